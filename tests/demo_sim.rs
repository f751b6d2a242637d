#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The demo's detached simulator as a real process on loopback: it hands its credentials
//! only to the holder of its nonce, stops itself when nobody asks anything, and
//! `keyturn demo --resume` on a simulator that is gone says so and what is left (exit 2).
//! The end-to-end kill-and-resume in a terminal is `tests/demo_resume.rs`.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::demo;
use keyturn::cli::demo::handoff::{self, Handoff};
use keyturn::session::event::{EventKind, RunbookKind};
use keyturn::session::journal::Journal;

/// `keyturn ARGS` with its home and state folders inside `dir`.
fn keyturn(dir: &Path, args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("keyturn"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .unwrap()
}

/// An interrupted session's journal in `sessions` (started, nothing after).
fn interrupted_session(sessions: &Path, id: &str) {
    let mut journal = Journal::create(sessions, id).unwrap();
    journal
        .append(EventKind::SessionStarted {
            session: id.into(),
            runbook: "heroku-token-rotation".into(),
            title: "rotation".into(),
            secret: "HEROKU_API_KEY".into(),
            kind: RunbookKind::Rotation,
            dry_run: false,
            keyturn_version: "0.1.0".into(),
            simulated: true,
        })
        .unwrap();
}

#[tokio::test]
async fn the_simulator_answers_only_to_its_nonce_and_stops_itself_when_idle() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let mut sim = demo::start(&dir, "in-sync", 2, false);
    let handoff = sim.handoff.clone();

    assert_eq!(demo::session(&handoff, None).await.0, 404, "no nonce");
    let wrong = "0".repeat(handoff.nonce.len());
    assert_eq!(demo::session(&handoff, Some(&wrong)).await.0, 404);
    let (status, answer) = demo::session(&handoff, Some(&handoff.nonce)).await;
    assert_eq!(status, 200);
    assert_eq!(answer.unwrap().apps.len(), 4, "the SOP's four apps");

    assert!(
        demo::ends_within(handoff.pid, Duration::from_secs(10)),
        "still running 10 s into a 2 s idle timeout"
    );
    assert!(sim.child.wait().unwrap().success());
    assert_eq!(Handoff::read(&dir).unwrap(), None, "it removed its handoff");
    assert!(!handoff::sim_alive(&dir), "its lock is free");
    let log = std::fs::read_to_string(dir.join("sim.log")).unwrap();
    assert!(log.contains("no request for its idle timeout"), "{log}");
}

#[test]
fn resuming_on_a_simulator_that_is_gone_says_so_and_what_is_left() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let sessions = dir.join("sessions");
    let (earlier, id) = ("20260503T034800Z-abc123", "20260504T101500Z-def456");
    interrupted_session(&sessions, earlier);
    let mut sim = demo::start(&dir, "in-sync", 60, false);
    interrupted_session(&sessions, id);
    let demo_dir = dir.to_str().unwrap();
    let resume = |session: &[&str]| {
        let mut args = vec!["demo", "--resume"];
        args.extend_from_slice(session);
        args.extend_from_slice(&["--dir", demo_dir]);
        let out = keyturn(root.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr
    };

    assert!(resume(&["nope"]).contains("no session `nope`"));
    let stderr = resume(&[earlier]);
    assert!(
        stderr.contains("against an earlier demo simulator"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("session {earlier} cannot be continued")),
        "{stderr}"
    );
    // The newest session runs on this simulator: only the missing terminal stops it.
    assert!(resume(&[]).contains("stdout is not a terminal"));

    sim.child.kill().unwrap();
    sim.child.wait().unwrap();
    let stderr = resume(&[]);
    for part in [
        "the demo's simulator is gone",
        &format!("pid {}", sim.handoff.pid),
        "1 min without a request",
        &format!("session {id} cannot be continued"),
        &format!("keyturn resume {id} --sessions-dir {demo_dir}/sessions"),
        &format!("keyturn demo --dir {demo_dir}"),
    ] {
        assert!(stderr.contains(part), "{part:?} missing from:\n{stderr}");
    }

    let empty = root.path().join("empty");
    let out = keyturn(
        root.path(),
        &["demo", "--resume", "--dir", empty.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no demo simulator serves"), "{stderr}");
}
