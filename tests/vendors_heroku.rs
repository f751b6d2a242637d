#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every Heroku client call against the simulator over loopback.

mod common;

use common::sim::connect;
use keyturn::secret::Token;
use keyturn::sim::Scenario;
use keyturn::vendors::Validation;
use keyturn::vendors::heroku::NewAuthorization;

#[tokio::test]
async fn account_and_validation() {
    let (sim, v) = connect(Scenario::AppStale).await;
    let account = v.heroku.account().await.unwrap();
    assert!(account.email.contains('@'));
    let good = Token::new(sim.state().vault_value().unwrap());
    assert!(matches!(
        v.heroku.validate(&good).await,
        Validation::Valid { .. }
    ));
    let stale = v.heroku.config_vars("raxx-api-staging").await.unwrap();
    let stale = stale.get("HEROKU_API_KEY").unwrap();
    assert!(matches!(
        v.heroku.validate(stale).await,
        Validation::Invalid
    ));
    assert!(v.heroku.rate_budget().remaining.is_some());
    assert_eq!(v.heroku.rate_budget().limit, Some(4500));
}

#[tokio::test]
async fn authorization_lifecycle() {
    let (sim, v) = connect(Scenario::InSync).await;
    let before = v.heroku.list_authorizations().await.unwrap().len();
    let new = NewAuthorization {
        scope: vec!["global".into()],
        description: "raxx-platform-token-2026-11-24".into(),
        expires_in: None,
    };
    let created = v.heroku.create_authorization(&new).await.unwrap();
    assert!(sim.state().token_is_valid(&created.token.reveal()));
    assert_eq!(
        v.heroku.list_authorizations().await.unwrap().len(),
        before + 1
    );
    let got = v.heroku.get_authorization(&created.id).await.unwrap();
    assert_eq!(
        got.description.as_deref(),
        Some("raxx-platform-token-2026-11-24")
    );
    v.heroku.delete_authorization(&created.id).await.unwrap();
    assert!(matches!(
        v.heroku.validate(&created.token).await,
        Validation::Invalid
    ));
    let err = v
        .heroku
        .delete_authorization(&created.id)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn config_vars_patch_releases_dynos() {
    let (sim, v) = connect(Scenario::AppStale).await;
    let app = "raxx-api-staging";
    let good = Token::new(sim.state().vault_value().unwrap());
    let before = v.heroku.releases(app, 1).await.unwrap();
    let vars = v
        .heroku
        .set_config_vars(app, &[("HEROKU_API_KEY", Some(&good))])
        .await
        .unwrap();
    assert_eq!(vars.get("HEROKU_API_KEY"), Some(&good));
    assert_eq!(
        sim.state().app_config_var(app, "HEROKU_API_KEY").unwrap(),
        *good.reveal()
    );
    let after = v.heroku.releases(app, 1).await.unwrap();
    assert_eq!(after.len(), 1);
    assert!(after[0].version > before.first().map_or(0, |r| r.version));
    assert!(
        after[0].description.contains("HEROKU_API_KEY"),
        "{}",
        after[0].description
    );
    let read = v.heroku.config_vars(app).await.unwrap();
    assert_eq!(read.get("HEROKU_API_KEY"), Some(&good));
    v.heroku.restart_dynos(app).await.unwrap();
    let dynos = v.heroku.dynos(app).await.unwrap();
    assert!(!dynos.is_empty());
    let releases_log = sim.state().requests();
    assert!(
        releases_log
            .iter()
            .any(|r| format!("{r:?}").contains("PATCH"))
    );
}
