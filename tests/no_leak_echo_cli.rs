#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real binary against a simulator whose every error echoes the request's credentials
//! and body, with chosen calls failing that way: `keyturn check` (table and JSON) in every
//! scenario, both runbooks through `keyturn run` with a failure rolled back, and a rotation
//! killed and resumed. No token value, and no 8-character window of one, in stdout,
//! stderr or any file the runs wrote (journals, audit log, postmortems).

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::echo::{ECHOED, assert_no_window, every_secret, files_under, only, reflect};
use keyturn::session::journal;
use keyturn::sim::{Scenario, SimHandle, Vendor};

/// The binary in `dir` with the simulator's credentials (and nothing of the host's).
fn keyturn(sim: &SimHandle, dir: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = common::sim::keyturn_bin(sim, dir);
    cmd.args(["--config", "keyturn.toml"]).args(args);
    cmd
}

async fn output(mut cmd: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// A simulator in `scenario` echoing every error, and a folder with its `keyturn.toml`.
async fn echoing(scenario: Scenario) -> (SimHandle, tempfile::TempDir) {
    let sim = common::start(scenario).await;
    only(&sim, Vec::new());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keyturn.toml"), sim.config_toml()).unwrap();
    (sim, dir)
}

/// stdout and stderr of every output, then every file under `dir`.
fn everything(outputs: &[Output], dir: &Path) -> String {
    let mut text = String::new();
    for out in outputs {
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        text.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    text + &files_under(dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn check_in_every_scenario_prints_no_echoed_token() {
    for scenario in Scenario::ALL {
        let (sim, dir) = echoing(scenario).await;
        let app = &sim.state().app_names()[1];
        let path = format!("^/apps/{app}/config-vars$");
        only(&sim, vec![reflect(Vendor::Heroku, "GET", &path, 403, 100)]);
        let table = output(keyturn(&sim, dir.path(), &["check"])).await;
        let json = output(keyturn(&sim, dir.path(), &["check", "--json"])).await;
        assert_ne!(
            table.status.code(),
            Some(0),
            "{scenario}: an app was unreadable"
        );
        let text = everything(&[table, json], dir.path());
        assert!(text.contains(ECHOED), "{scenario}: {text}");
        assert_no_window(&text, &every_secret(&sim), &format!("check {scenario}"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_with_failures_rolled_back_print_no_echoed_token() {
    let (sim, dir) = echoing(Scenario::GithubStale).await;
    only(
        &sim,
        vec![reflect(Vendor::Github, "PUT", "secrets/HEROKU", 422, 1)],
    );
    let recovery = ["run", "heroku-key-drift-recovery", "--yes"];
    let failed = output(keyturn(&sim, dir.path(), &recovery)).await;
    only(&sim, Vec::new());
    let recovered = output(keyturn(&sim, dir.path(), &recovery)).await;
    assert_eq!(recovered.status.code(), Some(0));

    let word = common::sim::revocation_word(&sim);
    let rotation = [
        "run",
        "heroku-token-rotation",
        "--yes",
        "--confirm-irreversible",
        &word,
    ];
    only(
        &sim,
        vec![reflect(Vendor::Heroku, "PATCH", "config-vars$", 422, 1)],
    );
    let rolled_back = output(keyturn(&sim, dir.path(), &rotation)).await;
    assert_eq!(rolled_back.status.code(), Some(1));
    only(&sim, Vec::new());
    let rotated = output(keyturn(&sim, dir.path(), &rotation)).await;
    let err = String::from_utf8_lossy(&rotated.stderr).into_owned();
    assert_eq!(rotated.status.code(), Some(0), "{err}");

    let outputs = [failed, recovered, rolled_back, rotated];
    let text = everything(&outputs, dir.path());
    assert!(
        text.contains(ECHOED) && text.contains("[redacted]"),
        "{text}"
    );
    assert_no_window(&text, &every_secret(&sim), "keyturn run");
}

/// Waits until the newest journal says `step` succeeded.
async fn wait_for_step(dir: &Path, step: &str) {
    let needle = format!("\"step\":\"{step}\"");
    for _ in 0..300 {
        if let Some(path) = journal::list_sessions(&dir.join("sessions")).pop() {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text
                .lines()
                .any(|l| l.contains("step_succeeded") && l.contains(&needle))
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{step} never succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_and_resumed_rotation_prints_no_echoed_token() {
    let (sim, dir) = echoing(Scenario::InSync).await;
    let word = common::sim::revocation_word(&sim);
    let mut run = keyturn(&sim, dir.path(), &["run", "heroku-token-rotation"]);
    run.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = run.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"y\ny\n").unwrap();
    wait_for_step(dir.path(), "store_vault").await;
    child.kill().unwrap();
    tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    drop(stdin);

    only(
        &sim,
        vec![reflect(Vendor::Heroku, "PATCH", "config-vars$", 422, 1)],
    );
    let resume = [
        "resume",
        "--continue",
        "--yes",
        "--confirm-irreversible",
        &word,
    ];
    let rolled_back = output(keyturn(&sim, dir.path(), &resume)).await;
    let shown = output(keyturn(&sim, dir.path(), &["resume"])).await;
    let text = everything(&[rolled_back, shown], dir.path());
    assert!(text.contains(ECHOED), "{text}");
    assert_no_window(&text, &every_secret(&sim), "kill and resume");
}
