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
