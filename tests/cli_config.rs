//! The binary's foundation surface: `--version`, `--help`, `config check`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;

const CANARY: &str = "HRKU-CANARY-cli-0c4e51";

fn keyturn() -> Command {
    let mut cmd = Command::cargo_bin("keyturn").unwrap();
    cmd.env_clear()
        .env("HOME", "/nonexistent")
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

#[test]
fn version_and_help_document_search_order_and_sources() {
    let out = keyturn().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("keyturn "));
    let out = keyturn().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--config FILE",
        "./keyturn.toml",
        "keyturn/config.toml",
        "~/.netrc",
        "gh auth token",
        "INFISICAL_API_URL",
        "Examples:",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
}

#[test]
fn config_check_reports_sources_never_values() {
    let out = keyturn()
        .args(["--config", "examples/keyturn.toml", "config", "check"])
        .env("KEYTURN_HEROKU_TOKEN", CANARY)
        .env("GH_TOKEN", CANARY)
        .env("INFISICAL_TOKEN", CANARY)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains(CANARY), "{all}");
    assert!(all.contains("found: $KEYTURN_HEROKU_TOKEN"), "{all}");
    assert!(all.contains("found: $GH_TOKEN"), "{all}");
    assert!(all.contains("non-dumpable"), "{all}");
}

#[test]
fn config_check_exits_2_on_missing_credentials_or_bad_file() {
    let out = keyturn()
        .args(["--config", "examples/keyturn.toml", "config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("MISSING"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[secret]\nname = \"HEROKU_API_KEY\"\nbogus = 1\n").unwrap();
    let out = keyturn()
        .args(["--config", bad.to_str().unwrap(), "config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:3:1: unknown field `bogus`"), "{err}");
}

#[test]
fn harden_process_makes_the_process_non_dumpable() {
    keyturn::secret::harden_process().unwrap();
    #[cfg(target_os = "linux")]
    assert!(keyturn::secret::is_hardened());
}

#[test]
fn postmortem_command_writes_from_a_journal_including_interrupted_sessions() {
    use keyturn::session::event::{EventKind, RunbookKind};
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    let mut journal =
        keyturn::session::journal::Journal::create(&sessions, "20260503T034800Z-abc123").unwrap();
    journal
        .append(EventKind::SessionStarted {
            session: "20260503T034800Z-abc123".into(),
            runbook: "heroku-key-drift-recovery".into(),
            title: "drift recovery".into(),
            secret: "HEROKU_API_KEY".into(),
            kind: RunbookKind::DriftRecovery,
            dry_run: false,
            keyturn_version: "0.1.0".into(),
            simulated: false,
        })
        .unwrap();
    journal
        .append(EventKind::Diagnosed {
            diagnosis: keyturn::drift::DiagnosisKind::GithubStale,
            path: Some(keyturn::drift::RecoveryPath::PathB),
            why: "deploy failed".into(),
        })
        .unwrap();
    let out_dir = dir.path().join("pm");
    let out = keyturn()
        .args([
            "postmortem",
            "--dir",
            out_dir.to_str().unwrap(),
            "--root-cause",
            "manual rotation",
        ])
        .env("KEYTURN_SESSIONS_DIR", &sessions)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("UNRESOLVED"));
    let files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        text.contains("**Unresolved**") && text.contains("manual rotation"),
        "{text}"
    );

    let out = keyturn()
        .args(["postmortem", "no-such-session"])
        .env("KEYTURN_SESSIONS_DIR", &sessions)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// stderr of `keyturn --config PATH config check`, which must exit 2.
fn config_error(path: &std::path::Path) -> String {
    let out = keyturn()
        .args(["--config", path.to_str().unwrap(), "config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn each_unreadable_config_gets_its_own_message() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.toml");
    std::fs::write(&latin1, b"[secret]\nname = \"HE\xffROKU\"\n").unwrap();
    let err = config_error(&latin1);
    assert!(
        err.contains("latin1.toml:2:11: not UTF-8 text: byte 0xFF"),
        "{err}"
    );

    let out = keyturn()
        .args(["runbooks", "validate", latin1.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("latin1.toml:2:11: not UTF-8 text"), "{err}");

    let err = config_error(dir.path());
    assert!(err.contains("is a directory, not a config file"), "{err}");
    assert!(err.contains("keyturn.toml"), "{err}");

    let err = config_error(std::path::Path::new("/dev/null"));
    assert!(
        err.contains("/dev/null: is a device with nothing to read"),
        "{err}"
    );
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "\n").unwrap();
    let err = config_error(&empty);
    assert!(
        err.contains("empty.toml: is empty — a config needs"),
        "{err}"
    );

    let missing = dir.path().join("missing.toml");
    let err = config_error(&missing);
    assert!(err.contains("no such file (given with --config)"), "{err}");
    for other in [&latin1, &empty] {
        assert!(!config_error(other).contains("no such file"));
    }
}
