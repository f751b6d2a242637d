#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Through the real binary: `keyturn run` of a rotation is killed while it waits at a
//! confirmation after the vault write, `keyturn resume` shows where it would continue, and
//! `keyturn resume --continue` finishes it. The simulator runs in this test (a `--sim`
//! simulator would die with the killed process), reached through a written config file and
//! credentials in the environment, as a real session would be.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use keyturn::session::journal;
use keyturn::sim::{Scenario, SimHandle};

const ROTATION: &str = "heroku-token-rotation";

/// The binary, run in `dir` with the simulator's credentials and nothing of the host's.
fn keyturn(sim: &SimHandle, dir: &Path) -> std::process::Command {
    common::sim::keyturn_bin(sim, dir)
}

/// Runs a command to its end off the async threads (the simulator needs them).
async fn output(mut cmd: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Waits until the session's journal says `step` succeeded.
async fn wait_for_step(dir: &Path, step: &str) -> PathBuf {
    let needle = format!("\"step\":\"{step}\"");
    for _ in 0..300 {
        let found = journal::list_sessions(&dir.join("sessions")).pop();
        if let Some(path) = found {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let done = text
                .lines()
                .any(|l| l.contains("step_succeeded") && l.contains(&needle));
            if done {
                return path;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{step} never succeeded");
}

/// `keyturn run` answering `y` to the mint and the vault write, then left waiting at the
/// next confirmation (stdin stays open) until it is killed.
async fn run_and_kill_after_the_vault_write(sim: &SimHandle, dir: &Path) -> PathBuf {
    let mut cmd = keyturn(sim, dir);
    cmd.args(["--config", "keyturn.toml", "run", ROTATION])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child: Child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"y\ny\n").unwrap();
    let path = wait_for_step(dir, "store_vault").await;
    child.kill().unwrap();
    tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    drop(stdin);
    path
}

/// The typed word of the revocation: the description of the authorization the vault holds.
fn revocation_word(sim: &SimHandle) -> String {
    let state = sim.state();
    let held = state.vault_value().unwrap();
    let authorizations = state.authorizations().into_iter();
    authorizations
        .filter(|a| a.token == held)
        .map(|a| a.description)
        .next()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_is_resumed_to_a_completed_rotation() {
    let sim = common::start(Scenario::InSync).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keyturn.toml"), sim.config_toml()).unwrap();
    let state = sim.state();
    let old = state.vault_value().unwrap();
    let word = revocation_word(&sim);

    let journal_path = run_and_kill_after_the_vault_write(&sim, dir.path()).await;
    let new = state.vault_value().unwrap();
    assert_ne!(new, old, "the vault holds the new token");
    let app = &state.app_names()[0];
    let app_copy = state.app_config_var(app, "HEROKU_API_KEY");
    assert_eq!(
        app_copy.as_deref(),
        Some(old.as_str()),
        "killed before propagation"
    );

    let mut view = keyturn(&sim, dir.path());
    view.arg("resume");
    let shown = output(view).await;
    let text = String::from_utf8_lossy(&shown.stdout);
    assert_eq!(shown.status.code(), Some(0), "{text}");
    assert!(
        text.contains("would continue from step propagate_heroku"),
        "{text}"
    );

    let mut resume = keyturn(&sim, dir.path());
    resume.args(["--config", "keyturn.toml", "resume", "--continue", "--yes"]);
    resume.args(["--confirm-irreversible", &word]);
    let done = output(resume).await;
    let text = String::from_utf8_lossy(&done.stdout);
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{text}\n{err}");
    assert!(text.contains("resumed from propagate_heroku"), "{text}");

    assert!(
        !state.token_is_valid(&old),
        "the OLD authorization is revoked"
    );
    assert!(state.token_is_valid(&new));
    common::engine::assert_every_copy_is(&state, &new);
    let live: Vec<_> = state
        .authorizations()
        .into_iter()
        .filter(|a| !a.revoked)
        .collect();
    assert_eq!(live.len(), 1, "one live authorization");
    assert_eq!(live[0].token, new, "the new one");
    let audit = std::fs::read_to_string(dir.path().join("docs/ops/audit-log.jsonl")).unwrap();
    assert_eq!(
        audit.matches("secret.rotate.completed").count(),
        1,
        "{audit}"
    );
    // One token, one fingerprint: the resumed process fingerprints with the session's key,
    // so its writes of the new token match the killed process's vault write.
    let events = keyturn::session::journal::read(&journal_path).unwrap();
    let resumed_at = events
        .iter()
        .position(|e| {
            matches!(
                e.kind,
                keyturn::session::event::EventKind::SessionResumed { .. }
            )
        })
        .unwrap();
    let written = |range: &[keyturn::session::event::Event]| -> Vec<String> {
        range
            .iter()
            .filter_map(|e| match &e.kind {
                keyturn::session::event::EventKind::SecretWritten { fingerprint, .. } => {
                    Some(fingerprint.to_string())
                }
                _ => None,
            })
            .collect()
    };
    let before = written(&events[..resumed_at]);
    let after = written(&events[resumed_at..]);
    assert!(
        !before.is_empty() && !after.is_empty(),
        "{before:?} {after:?}"
    );
    assert!(
        after.iter().all(|fp| *fp == before[0]),
        "the new token has one fingerprint across the resume: {before:?} then {after:?}"
    );
    let journal = std::fs::read_to_string(journal_path).unwrap();
    assert!(!journal.contains(&new) && !journal.contains(&old));
    assert!(!text.contains(&new) && !err.contains(&new));
}

/// Waits until a session's journal exists (its lock is taken just before).
async fn wait_for_session(dir: &Path) -> PathBuf {
    for _ in 0..300 {
        if let Some(path) = journal::list_sessions(&dir.join("sessions")).pop() {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no session started");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_session_is_refused_while_the_first_lives_and_a_killed_one_can_be_resumed() {
    let sim = common::start(Scenario::InSync).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keyturn.toml"), sim.config_toml()).unwrap();
    let word = revocation_word(&sim);
    let mut first = keyturn(&sim, dir.path());
    first
        .args(["--config", "keyturn.toml", "run", ROTATION])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child: Child = first.spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    let journal_path = wait_for_session(dir.path()).await;

    let refused = |out: &Output, what: &str| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{what}: {err}");
        assert!(
            err.contains("HEROKU_API_KEY is being worked on by another keyturn session"),
            "{what}: {err}"
        );
        assert!(
            err.contains(&format!("pid {}", child.id())),
            "{what}: {err}"
        );
    };
    let mut second = keyturn(&sim, dir.path());
    second.args([
        "--config",
        "keyturn.toml",
        "run",
        "heroku-key-drift-recovery",
        "--yes",
    ]);
    refused(&output(second).await, "a second run");
    let mut take_over = keyturn(&sim, dir.path());
    take_over.args(["--config", "keyturn.toml", "resume", "--continue", "--yes"]);
    refused(&output(take_over).await, "resuming the live session");
    assert_eq!(
        journal::list_sessions(&dir.path().join("sessions")),
        vec![journal_path.clone()],
        "the refused run left no journal behind"
    );
    let mut view = keyturn(&sim, dir.path());
    view.arg("resume");
    let shown = output(view).await;
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.starts_with("LIVE: this session is running now"),
        "{text}"
    );

    child.kill().unwrap();
    let child = tokio::task::spawn_blocking(move || child.wait().unwrap());
    child.await.unwrap();
    drop(stdin);
    let mut resume = keyturn(&sim, dir.path());
    resume.args(["--config", "keyturn.toml", "resume", "--continue", "--yes"]);
    resume.args(["--confirm-irreversible", &word]);
    let mut view = keyturn(&sim, dir.path());
    view.arg("resume");
    let shown = output(view).await;
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(!text.contains("LIVE"), "killed, so no longer live: {text}");
    let out = output(resume).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the killed session's lock died with it: {err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_at_a_prompt_says_how_to_resume_and_exits_130() {
    let sim = common::start(Scenario::InSync).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keyturn.toml"), sim.config_toml()).unwrap();
    let mut run = keyturn(&sim, dir.path());
    run.args(["--config", "keyturn.toml", "run", ROTATION])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child: Child = run.spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    let journal_path = wait_for_step(dir.path(), "precheck").await;
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    drop(stdin);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    let session = journal_path.file_stem().unwrap().to_string_lossy();
    assert!(err.contains("interrupted. Nothing is lost"), "{err}");
    assert!(
        err.contains(&format!("keyturn resume {session} --continue")),
        "{err}"
    );
}
