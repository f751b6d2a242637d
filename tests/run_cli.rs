#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `keyturn run`: exit codes, and the simulator state after a non-interactive recovery.

mod common;

use assert_cmd::Command;
use clap::Parser as _;
use keyturn::cli::run::{RunArgs, drive, find_runbook};
use keyturn::cli::{Cli, Command as Sub};
use keyturn::sim::Scenario;

fn args(line: &[&str]) -> RunArgs {
    let cli = Cli::try_parse_from(line).unwrap();
    let Some(Sub::Run(args)) = cli.command else {
        panic!()
    };
    args
}

#[tokio::test]
async fn drift_recovery_yes_leaves_every_copy_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("s");
    let line = [
        "keyturn",
        "run",
        "heroku-key-drift-recovery",
        "--yes",
        "--sessions-dir",
        sessions.to_str().unwrap(),
    ];
    let args = args(&line);
    let sim = common::start(Scenario::GithubStale).await;
    let mut config = sim.config();
    config.postmortem.dir = dir.path().join("pm");
    config.audit.path = dir.path().join("audit.jsonl");
    let code = drive(
        &args,
        find_runbook(&args).unwrap(),
        config,
        &sim.keyturn_credentials(),
    )
    .await;
    assert_eq!(code, 0);
    let state = sim.state();
    let vault = state.vault_value().unwrap();
    assert_eq!(
        state.github_secret_value("HEROKU_API_KEY").as_deref(),
        Some(vault.as_str())
    );
    for app in state.app_names() {
        assert_eq!(
            state.app_config_var(&app, "HEROKU_API_KEY").as_deref(),
            Some(vault.as_str())
        );
    }
    assert_eq!(std::fs::read_dir(dir.path().join("pm")).unwrap().count(), 1);
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("secret.drift.recovered"));
}

/// `--yes` without `--confirm-irreversible`: refused before the first write (exit 2), so
/// nothing is minted and no audit line says the rotation failed.
#[tokio::test]
async fn rotation_without_the_word_is_refused_before_the_first_write() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("s");
    let line = [
        "keyturn",
        "run",
        "heroku-token-rotation",
        "--yes",
        "--sessions-dir",
        sessions.to_str().unwrap(),
    ];
    let args = args(&line);
    let sim = common::start(Scenario::InSync).await;
    let old = sim.state().vault_value().unwrap();
    let minted_before = sim.state().authorizations().len();
    let mut config = sim.config();
    config.audit.path = dir.path().join("audit.jsonl");
    let code = drive(
        &args,
        find_runbook(&args).unwrap(),
        config,
        &sim.keyturn_credentials(),
    )
    .await;
    assert_eq!(code, 2);
    assert!(
        sim.state().token_is_valid(&old),
        "old token not revoked without the typed word"
    );
    assert_eq!(
        sim.state().authorizations().len(),
        minted_before,
        "nothing minted"
    );
    assert_eq!(sim.state().vault_value().unwrap(), old, "nothing written");
    assert!(!dir.path().join("audit.jsonl").exists(), "no audit line");
}

#[test]
fn unknown_runbook_is_bad_input() {
    Command::cargo_bin("keyturn")
        .unwrap()
        .args(["run", "no-such-runbook", "--sim", "in-sync"])
        .assert()
        .code(2);
}

#[test]
fn json_lines_carry_no_token_and_exit_zero_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("keyturn")
        .unwrap()
        .current_dir(dir.path())
        .env("KEYTURN_SESSIONS_DIR", dir.path().join("s"))
        .args([
            "run",
            "heroku-key-drift-recovery",
            "--sim",
            "in-sync",
            "--yes",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(event.get("event").is_some());
    }
    assert!(text.contains("session_finished"));
}

#[tokio::test]
async fn rotation_with_the_word_revokes_the_old_token() {
    let dir = tempfile::tempdir().unwrap();
    let sim = common::start(Scenario::InSync).await;
    let old = sim.state().vault_value().unwrap();
    let auths = sim.state().authorizations();
    let word = &auths.iter().find(|a| a.token == old).unwrap().description;
    let sessions = dir.path().join("s");
    let line = [
        "keyturn",
        "run",
        "heroku-token-rotation",
        "--yes",
        "--confirm-irreversible",
        word,
        "--sessions-dir",
        sessions.to_str().unwrap(),
    ];
    let args = args(&line);
    let mut config = sim.config();
    config.audit.path = dir.path().join("audit.jsonl");
    let code = drive(
        &args,
        find_runbook(&args).unwrap(),
        config,
        &sim.keyturn_credentials(),
    )
    .await;
    assert_eq!(code, 0);
    let state = sim.state();
    assert!(!state.token_is_valid(&old));
    let new = state.vault_value().unwrap();
    assert_eq!(
        state.github_secret_value("HEROKU_API_KEY").as_deref(),
        Some(new.as_str())
    );
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 1, "one audit line: {audit}");
}
