#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The rule that does not bend: run every scenario through both runbooks against the
//! simulator and prove no token value the simulated world ever held appears in the journal,
//! the postmortem or the audit log.

mod common;

use common::engine::{DEFAULT, Setup, confirm_all, setup};
use keyturn::report::{audit, postmortem};
use keyturn::session::journal;
use keyturn::sim::Scenario;

/// Every secret value the simulated world knows: each authorization's token (valid or
/// revoked), every vault version, the stores' current values and the operator credentials.
fn every_known_secret(s: &Setup) -> Vec<String> {
    let creds = s.sim.credentials();
    let mut known = common::sim::every_token(&s.sim);
    known.extend([
        creds.heroku_operator_token.clone(),
        creds.github_token.clone(),
        creds.infisical_client_secret.clone(),
    ]);
    known.retain(|v| v.len() >= 8);
    known
}

/// Everything keyturn persisted for this session, as text.
fn everything_written(s: &Setup) -> String {
    let events = journal::read(s.engine.journal_path()).unwrap();
    let mut text = std::fs::read_to_string(s.engine.journal_path()).unwrap();
    text.push_str(&postmortem::render(&events).markdown);
    if let Some(entry) = audit::entry_for(&events, "ops") {
        text.push_str(&serde_json::to_string(&entry).unwrap());
    }
    for entry in walk(s.dir.path()) {
        text.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
    }
    text
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn assert_no_leak(scenario: Scenario, runbook: &str) {
    let mut s = setup(scenario, runbook, DEFAULT).await;
    confirm_all(&mut s.engine).await;
    let written = everything_written(&s);
    assert!(
        written.len() > 200,
        "{scenario}/{runbook}: nothing was written"
    );
    let secrets = every_known_secret(&s);
    assert!(
        secrets.len() >= 5,
        "{scenario}/{runbook}: the world should hold several tokens"
    );
    for secret in secrets {
        assert!(
            !written.contains(&secret),
            "{scenario}/{runbook}: a token value was persisted"
        );
    }
}

#[tokio::test]
async fn drift_recovery_persists_no_token_in_any_scenario() {
    for scenario in Scenario::ALL {
        assert_no_leak(scenario, "heroku-key-drift-recovery").await;
    }
}

#[tokio::test]
async fn rotation_persists_no_token_old_or_new() {
    for scenario in [Scenario::InSync, Scenario::RotationDue] {
        assert_no_leak(scenario, "heroku-token-rotation").await;
    }
}
