#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Each fault kind injected by the simulator gives the right typed error or retry, and no
//! error text carries the token the request was made with.

mod common;

use std::time::{Duration, Instant};

use common::sim::connect;
use keyturn::secret::Token;
use keyturn::sim::{FaultAction, FaultRule, Scenario, Vendor};
use keyturn::vendors::heroku::NewAuthorization;
use keyturn::vendors::{Validation, VendorError};

fn rule(
    vendor: Vendor,
    method: Option<&str>,
    path: &str,
    action: FaultAction,
    times: usize,
) -> FaultRule {
    FaultRule::new(vendor, method, path, action, times).unwrap()
}

fn assert_no_secret(err: &VendorError, secret: &str) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(secret), "leaked: {shown}");
}

#[tokio::test]
async fn status_faults_are_typed() {
    let (sim, v) = connect(Scenario::InSync).await;
    let op = sim.credentials().heroku_operator_token.clone();
    for status in [401, 403, 404] {
        sim.faults().add(rule(
            Vendor::Heroku,
            Some("GET"),
            "^/apps/[^/]+/config-vars$",
            FaultAction::Status(status),
            1,
        ));
        let err = v.heroku.config_vars("raxx-api-prod").await.unwrap_err();
        assert_eq!(err.status(), Some(status), "{err}");
        assert_no_secret(&err, &op);
    }
}

#[tokio::test]
async fn rate_limit_is_retried_after_the_wait() {
    let (sim, v) = connect(Scenario::InSync).await;
    sim.faults().add(rule(
        Vendor::Heroku,
        None,
        "^/account$",
        FaultAction::RateLimited {
            retry_after_secs: 1,
        },
        1,
    ));
    let started = Instant::now();
    v.heroku.account().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn server_error_is_retried_and_persistent_ones_reported() {
    let (sim, v) = connect(Scenario::InSync).await;
    sim.faults().add(rule(
        Vendor::Github,
        Some("GET"),
        "secrets/HEROKU_API_KEY$",
        FaultAction::Status(500),
        1,
    ));
    v.github
        .as_ref()
        .unwrap()
        .secret("HEROKU_API_KEY")
        .await
        .unwrap();
    sim.faults().add(rule(
        Vendor::Github,
        Some("GET"),
        "secrets/HEROKU_API_KEY$",
        FaultAction::Status(500),
        10,
    ));
    let err = v
        .github
        .as_ref()
        .unwrap()
        .secret("HEROKU_API_KEY")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_no_secret(&err, &sim.credentials().github_token);
}

#[tokio::test]
async fn hang_times_out_and_drop_is_retried() {
    let (sim, v) = connect(Scenario::InSync).await;
    sim.faults().add(rule(
        Vendor::Infisical,
        Some("GET"),
        "^/api/v3/secrets/raw/",
        FaultAction::Hang,
        1,
    ));
    let err = v.vault.read_secret("HEROKU_API_KEY").await.unwrap_err();
    assert!(matches!(err, VendorError::Timeout { .. }), "{err:?}");
    sim.faults().add(rule(
        Vendor::Infisical,
        Some("GET"),
        "^/api/v3/secrets/raw/",
        FaultAction::Drop,
        1,
    ));
    v.vault.read_secret("HEROKU_API_KEY").await.unwrap();
    sim.faults().add(rule(
        Vendor::Infisical,
        Some("GET"),
        "^/api/v3/secrets/raw/",
        FaultAction::Drop,
        10,
    ));
    let err = v.vault.read_secret("HEROKU_API_KEY").await.unwrap_err();
    assert!(matches!(err, VendorError::Connection { .. }), "{err:?}");
    assert_no_secret(&err, &sim.credentials().infisical_client_secret);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let (sim, v) = connect(Scenario::InSync).await;
    sim.faults().add(rule(
        Vendor::Heroku,
        Some("GET"),
        "config-vars$",
        FaultAction::MalformedJson,
        1,
    ));
    let err = v.heroku.config_vars("raxx-api-prod").await.unwrap_err();
    assert!(matches!(err, VendorError::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn unreadable_create_answer_is_not_retried() {
    let (sim, v) = connect(Scenario::InSync).await;
    sim.faults().add(rule(
        Vendor::Heroku,
        Some("POST"),
        "^/oauth/authorizations$",
        FaultAction::MalformedJson,
        1,
    ));
    let before = sim.state().authorizations().len();
    let new = NewAuthorization {
        scope: vec!["global".into()],
        description: "raxx-platform-token-orphan".into(),
        expires_in: None,
    };
    let err = v.heroku.create_authorization(&new).await.unwrap_err();
    // The simulator's faults answer instead of the handler, so nothing was created: the
    // follow-up listing finds no orphan and the original error comes back, with no second POST.
    // (The orphan path itself is covered in `vendors_faults.rs` with a scripted server.)
    let after = sim.state().authorizations();
    assert_eq!(after.len(), before, "no blind retry of the POST");
    assert!(matches!(err, VendorError::Decode { .. }), "{err:?}");
    for a in &after {
        assert_no_secret(&err, &a.token);
    }
}

#[tokio::test]
async fn github_primary_rate_limit_is_typed() {
    let (sim, v) = connect(Scenario::InSync).await;
    sim.state().set_github_rate_remaining(0);
    let err = v
        .github
        .as_ref()
        .unwrap()
        .secret("HEROKU_API_KEY")
        .await
        .unwrap_err();
    assert!(matches!(err, VendorError::RateLimited { .. }), "{err:?}");
}

#[tokio::test]
async fn validation_of_a_revoked_token_is_invalid_not_an_error() {
    let (sim, v) = connect(Scenario::AllInvalid).await;
    let dead = Token::new(sim.state().vault_value().unwrap());
    assert!(matches!(
        v.heroku.validate(&dead).await,
        Validation::Invalid
    ));
}
