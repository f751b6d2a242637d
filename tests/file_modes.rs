#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What keyturn writes is private and never written through a link: under umask 000 the
//! real binary's journals, lock, audit log and postmortem are 0600 in 0700 folders, and a
//! symbolic link at the audit log's, a journal's or the log file's path is refused with an
//! error that says so, its target untouched.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use keyturn::report::audit::{self, AuditEntry};
use keyturn::session::journal::Journal;

/// `keyturn ARGS` in `dir` under `umask 000`, its state folder inside `dir`.
fn keyturn_umask_000(dir: &Path, args: &[&str]) -> std::process::Output {
    let program = assert_cmd::cargo::cargo_bin("keyturn");
    Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(program)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .unwrap()
}

/// Every path under `dir` with its permission bits.
fn modes(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        let mode = std::fs::symlink_metadata(&path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        if path.is_dir() {
            found.extend(modes(&path));
        }
        found.push((path, mode));
    }
    found
}

fn assert_private(dir: &Path) -> usize {
    let all = modes(dir);
    for (path, mode) in &all {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{} is {mode:o}", path.display());
    }
    all.iter().filter(|(p, _)| p.is_file()).count()
}

#[test]
fn under_umask_000_every_file_is_0600_in_0700_folders() {
    let dir = tempfile::tempdir().unwrap();
    let run = [
        "run",
        "heroku-key-drift-recovery",
        "--sim",
        "github-stale",
        "--yes",
    ];
    let out = keyturn_umask_000(dir.path(), &run);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = keyturn_umask_000(
        dir.path(),
        &["run", "heroku-token-rotation", "--sim", "in-sync", "--yes"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "refused before the first write without the word"
    );
    let state = dir.path().join("state");
    let files = assert_private(&state);
    assert!(
        files >= 5,
        "two journals, a lock, the postmortem and the audit log: {:?}",
        modes(&state)
    );
    let sim = state.join("keyturn/sim");
    assert!(sim.join("audit-log.jsonl").is_file(), "{:?}", modes(&sim));
    assert_eq!(
        std::fs::read_dir(sim.join("postmortems")).unwrap().count(),
        1,
        "the postmortem: {:?}",
        modes(&sim)
    );
    assert!(
        !dir.path().join("docs").exists(),
        "a simulated run writes nothing into the current folder"
    );
}

/// A link planted where the audit log goes, pointing at a file of the operator's.
fn planted_link(dir: &Path, at: &str) -> (PathBuf, PathBuf) {
    let target = dir.join("someone-elses-file");
    std::fs::write(&target, "precious\n").unwrap();
    let link = dir.join(at);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    (link, target)
}

#[test]
fn a_symlinked_audit_log_is_refused_by_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let (_, target) = planted_link(dir.path(), "state/keyturn/sim/audit-log.jsonl");
    let run = [
        "run",
        "heroku-key-drift-recovery",
        "--sim",
        "github-stale",
        "--yes",
    ];
    let out = keyturn_umask_000(dir.path(), &run);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("sim/audit-log.jsonl: cannot write"), "{err}");
    assert!(
        err.contains("it is a symbolic link, and keyturn never writes through one"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(target).unwrap(), "precious\n");
}

#[test]
fn symlinked_journals_audit_logs_and_log_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(&dir.path().join("sessions"), "s1").unwrap();
    let real = journal.path().to_owned();
    drop(journal);
    let (link, target) = planted_link(dir.path(), "sessions/s2.jsonl");
    std::fs::copy(&real, &target).unwrap();
    let err = Journal::reopen(&link).unwrap_err().to_string();
    assert!(
        err.contains("s2.jsonl: cannot write the journal: it is a symbolic link"),
        "{err}"
    );

    let (link, target) = planted_link(dir.path(), "audit.jsonl");
    let entry = AuditEntry {
        action: "secret.rotate.completed".into(),
        actor: "ops".into(),
        at: chrono::Utc::now(),
        context: serde_json::json!({}),
    };
    let err = audit::append(&link, &entry).unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");

    let (link, _) = planted_link(dir.path(), "state/keyturn.log");
    let err = keyturn::tui::log_to_file(&link).unwrap_err().to_string();
    assert!(
        err.contains("keyturn.log: cannot open the log: it is a symbolic link"),
        "{err}"
    );
}

/// The demo's detached simulator under `umask 000`: its handoff file, lock and log are 0600
/// in the 0700 demo folder, and none of them holds a token of the simulated world or a
/// credential (those are handed over on loopback, to the nonce's holder only).
#[tokio::test]
async fn the_demo_simulators_handoff_file_is_0600_and_holds_no_token() {
    use std::os::unix::fs::DirBuilderExt as _;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    std::fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
    let sim = common::demo::start(&dir, "in-sync", 60, true);
    assert_eq!(assert_private(&dir), 3, "sim.json, sim.lock, sim.log");
    let (_, answer) = common::demo::session(&sim.handoff, Some(&sim.handoff.nonce)).await;
    let answer = answer.unwrap();
    // The same scenario and seed in this process: the same world, so its tokens are the
    // detached simulator's (the credentials prove the seed matches).
    let twin = keyturn::sim::Sim::start(
        keyturn::sim::Scenario::InSync,
        keyturn::sim::SimOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        twin.credentials().heroku_operator_token,
        answer.credentials.heroku_operator_token
    );
    let mut secrets = common::sim::every_token(&twin);
    secrets.extend(common::demo::credential_values(&answer));
    assert!(secrets.len() >= 7, "{} secrets", secrets.len());
    common::demo::assert_no_secret_in_files(&dir, &secrets);
    let text = std::fs::read_to_string(dir.join("sim.json")).unwrap();
    assert!(text.contains(&sim.handoff.heroku_url), "{text}");
    twin.shutdown().await;
}
