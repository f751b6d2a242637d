#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every Infisical client call against the simulator over loopback.

mod common;

use common::sim::connect;
use keyturn::secret::Token;
use keyturn::sim::Scenario;

#[tokio::test]
async fn read_write_versions_and_rollback_read() {
    let (sim, v) = connect(Scenario::VaultStale).await;
    v.vault.login().await.unwrap();
    let current = v.vault.read_secret("HEROKU_API_KEY").await.unwrap();
    assert_eq!(
        *current.secret_value.reveal(),
        sim.state().vault_value().unwrap()
    );
    let fresh = Token::new("HRKU-fresh-value-written-by-test");
    let written = v
        .vault
        .write_secret("HEROKU_API_KEY", &fresh)
        .await
        .unwrap();
    assert_eq!(written.version, current.version + 1);
    assert_eq!(
        sim.state().vault_value().unwrap(),
        "HRKU-fresh-value-written-by-test"
    );
    let versions = v.vault.secret_versions(&written.id, 10).await.unwrap();
    assert_eq!(versions[0].version, written.version);
    assert_eq!(versions[1].secret_value, current.secret_value);
    let old = v
        .vault
        .read_secret_version("HEROKU_API_KEY", current.version)
        .await
        .unwrap();
    assert_eq!(old.secret_value, current.secret_value);
}

#[tokio::test]
async fn absent_secret_is_created_with_post() {
    let (_sim, v) = connect(Scenario::InSync).await;
    assert!(
        v.vault
            .read_secret("BRAND_NEW")
            .await
            .unwrap_err()
            .is_not_found()
    );
    let made = v
        .vault
        .write_secret("BRAND_NEW", &Token::new("x-value"))
        .await
        .unwrap();
    assert_eq!(made.version, 1);
    assert_eq!(
        v.vault.read_secret("BRAND_NEW").await.unwrap().secret_value,
        Token::new("x-value")
    );
}

#[tokio::test]
async fn expired_access_token_relogs_in_once() {
    let (sim, v) = connect(Scenario::InSync).await;
    v.vault.read_secret("HEROKU_API_KEY").await.unwrap();
    sim.state().expire_vault_access_tokens();
    v.vault.read_secret("HEROKU_API_KEY").await.unwrap();
}
