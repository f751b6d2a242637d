#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A closed stdout (`keyturn check | true`, `keyturn run … | head -3`) ends the printing,
//! never the work: the real binary exits with its normal code, prints no panic, and a
//! rotation whose reader went away mid-way finishes with every store consistent.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use keyturn::session::event::{EventKind, Outcome};
use keyturn::session::journal;
use keyturn::sim::Scenario;

fn keyturn(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("keyturn"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("KEYTURN_SESSIONS_DIR", dir.join("sessions"));
    cmd
}

/// Runs `cmd` with its stdout closed before it prints anything.
async fn with_stdout_closed(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn assert_no_panic(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}

/// How the only session in `dir` ended, from its journal.
fn outcome(dir: &Path) -> Option<Outcome> {
    let path = journal::list_sessions(&dir.join("sessions")).pop()?;
    journal::read(&path)
        .unwrap()
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::SessionFinished { outcome, .. } => Some(outcome),
            _ => None,
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn check_into_a_closed_pipe_exits_with_its_normal_code() {
    let dir = tempfile::tempdir().unwrap();
    for (scenario, code) in [("in-sync", 0), ("app-stale", 1)] {
        let mut cmd = keyturn(dir.path());
        cmd.args(["check", "--sim", scenario]);
        let out = with_stdout_closed(cmd).await;
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(code), "{scenario}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_with_stdout_closed_finishes_and_journals_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let date = chrono::Utc::now() - chrono::Days::new(91);
    let word = format!("raxx-platform-token-{}", date.format("%Y-%m-%d"));
    let mut cmd = keyturn(dir.path());
    cmd.args([
        "run",
        "heroku-token-rotation",
        "--sim",
        "rotation-due",
        "--yes",
    ]);
    cmd.args(["--confirm-irreversible", &word]);
    let out = with_stdout_closed(cmd).await;
    assert_no_panic(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(outcome(dir.path()), Some(Outcome::Completed));
}

/// `| head -1`: the reader takes one line and goes away while the rotation is under way.
/// The walk goes on to the end: every copy holds the new token, only it is live.
#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_leaves_mid_rotation_leaves_every_store_consistent() {
    let sim = common::start(Scenario::RotationDue).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keyturn.toml"), sim.config_toml()).unwrap();
    let word = common::sim::revocation_word(&sim);
    let c = sim.credentials();
    let mut cmd = keyturn(dir.path());
    cmd.env("KEYTURN_HEROKU_TOKEN", &c.heroku_operator_token)
        .env("GH_TOKEN", &c.github_token)
        .env("INFISICAL_UNIVERSAL_AUTH_CLIENT_ID", &c.infisical_client_id)
        .env(
            "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
            &c.infisical_client_secret,
        )
        .args([
            "--config",
            "keyturn.toml",
            "run",
            "heroku-token-rotation",
            "--yes",
        ])
        .args(["--confirm-irreversible", &word]);
    let out = tokio::task::spawn_blocking(move || {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with("diagnosis"), "{first}");
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(outcome(dir.path()), Some(Outcome::Completed));
    let state = sim.state();
    let new = state.vault_value().unwrap();
    common::engine::assert_every_copy_is(&state, &new);
    let live: Vec<_> = state
        .authorizations()
        .into_iter()
        .filter(|a| !a.revoked)
        .collect();
    assert_eq!(live.len(), 1, "no orphan authorization");
    assert_eq!(live[0].token, new);
}
