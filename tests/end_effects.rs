#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The engine owns how a session ends: the audit line is appended by the engine itself, so
//! every face (the TUI drives the engine as these tests do, `keyturn run` through the CLI)
//! gets the same line; `keyturn run --sim` writes nothing into the current folder and marks
//! what it writes as simulated.

mod common;

use common::engine::{DEFAULT, Options, confirm_all, finished, setup, until_step};
use keyturn::runbook::engine::{Command, Pending};
use keyturn::session::event::Outcome;
use keyturn::sim::Scenario;

const DRIFT: &str = "heroku-key-drift-recovery";
const ROTATION: &str = "heroku-token-rotation";

fn audit_lines(s: &common::engine::Setup) -> Vec<serde_json::Value> {
    let path = s.dir.path().join("audit.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn a_drift_recovery_driven_by_the_engine_appends_its_audit_line() {
    let mut s = setup(Scenario::GithubStale, DRIFT, DEFAULT).await;
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let lines = audit_lines(&s);
    assert_eq!(lines.len(), 1, "one audit line: {lines:?}");
    assert_eq!(lines[0]["action"], "secret.drift.recovered");
    assert_eq!(lines[0]["context"]["path"], "path-b");
    assert_eq!(lines[0]["actor"], "ops@example.com");
}

#[tokio::test]
async fn path_a_is_recorded_as_path_a_in_the_audit_line() {
    let options = Options {
        dry_run: false,
        github_write: Some(false),
    };
    let mut s = setup(Scenario::GithubStale, DRIFT, options).await;
    until_step(&mut s.engine, "path_a_copy").await;
    s.engine
        .command(Command::Confirm {
            step: None,
            typed: None,
        })
        .await
        .unwrap();
    let copied = loop {
        if let Pending::Confirm { step, .. } = s.engine.advance().await.unwrap() {
            assert_eq!(step, "path_a_paste");
            break s.clipboard.contents().unwrap();
        }
    };
    s.sim.state().set_github_secret("HEROKU_API_KEY", &copied);
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let lines = audit_lines(&s);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["context"]["path"], "path-a");
}

#[tokio::test]
async fn path_b_skipped_then_pasted_by_hand_is_recorded_as_path_a() {
    let mut s = setup(Scenario::GithubStale, DRIFT, DEFAULT).await;
    until_step(&mut s.engine, "path_b_write_secret").await;
    s.engine
        .command(Command::Skip {
            reason: "operator prefers the manual paste".into(),
        })
        .await
        .unwrap();
    // The manual copy and paste follow; the operator pastes what was copied.
    let mut pasted = false;
    let pending = loop {
        let pending = s.engine.advance().await.unwrap();
        match &pending {
            Pending::Confirm { step, .. } if !pasted && step.contains("paste") => {
                let copied = s.clipboard.contents().unwrap();
                s.sim.state().set_github_secret("HEROKU_API_KEY", &copied);
                pasted = true;
                s.engine
                    .command(Command::Confirm {
                        step: None,
                        typed: None,
                    })
                    .await
                    .unwrap();
            }
            Pending::Confirm { .. } => s
                .engine
                .command(Command::Confirm {
                    step: None,
                    typed: None,
                })
                .await
                .unwrap(),
            _ => break pending,
        }
    };
    assert_eq!(finished(&pending), Outcome::Completed);
    assert!(pasted, "a paste step ran after Path B was skipped");
    let lines = audit_lines(&s);
    assert_eq!(lines[0]["context"]["path"], "path-a", "{lines:?}");
    let dir = s.dir.path().join("postmortems");
    let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap();
    let pm = std::fs::read_to_string(file.path()).unwrap();
    assert!(pm.contains("**Recovery:** Path A"), "{pm}");
    assert!(!pm.contains("Path B (keyturn wrote"), "{pm}");
}

#[tokio::test]
async fn a_rolled_back_rotation_driven_by_the_engine_appends_its_audit_line() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    until_step(&mut s.engine, "propagate_heroku").await;
    s.engine.command(Command::RollBack).await.unwrap();
    let pending = s.engine.advance().await.unwrap();
    assert_eq!(finished(&pending), Outcome::RolledBack);
    let lines = audit_lines(&s);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["action"], "secret.rotate.rolled_back");
}

#[tokio::test]
async fn a_completed_rotation_has_exactly_one_audit_line() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let lines = audit_lines(&s);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["action"], "secret.rotate.completed");
}

#[test]
fn run_sim_writes_nothing_into_the_current_folder_and_marks_its_audit_simulated() {
    let cwd = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keyturn"))
        .args(["run", DRIFT, "--sim", "github-stale", "--yes"])
        .current_dir(cwd.path())
        .env("XDG_STATE_HOME", state.path())
        .env("HOME", state.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing in the current folder: {left:?}");
    let audit = state.path().join("keyturn/sim/audit-log.jsonl");
    let text = std::fs::read_to_string(&audit).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["action"], "secret.drift.recovered");
    assert_eq!(line["context"]["simulated"], true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&*state.path().join("keyturn/sim").to_string_lossy()),
        "the run says where its simulated reports went: {stderr}"
    );
}
