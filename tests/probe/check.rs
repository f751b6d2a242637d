//! `keyturn check --probe` end to end through the binary: the JSON fields the issue names,
//! the progress line on stderr, and the exit codes.

use serde_json::Value;

/// `keyturn ARGS…`: exit code, the JSON document (or Null), stderr.
fn keyturn(args: &[&str]) -> (i32, Value, String) {
    let out = assert_cmd::Command::cargo_bin("keyturn")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap(), doc, stderr)
}

#[test]
fn github_stale_is_proven_not_matching() {
    let (code, doc, stderr) = keyturn(&["check", "--sim", "github-stale", "--probe", "--json"]);
    assert_eq!(code, 1, "{stderr}");
    let github = &doc["snapshot"]["github"];
    assert_eq!(github["matches_vault"], false, "{doc:#}");
    assert_eq!(github["validity"], "invalid");
    assert_eq!(github["evidence"], "probe");
    assert_eq!(doc["diagnosis"]["kind"], "github-stale");
    let probe = &doc["snapshot"]["probe"];
    assert_eq!(probe["outcome"], "proved");
    assert_eq!(probe["account_status"], 401);
    assert!(
        probe["html_url"]
            .as_str()
            .unwrap()
            .contains("/actions/runs/")
    );
    assert_eq!(doc["schema"], "keyturn.check/v1");
    assert!(stderr.contains("costs one workflow run"), "{stderr}");
    assert!(
        stderr.contains(&format!("run {}", probe["run_id"])),
        "{stderr}"
    );
}

#[test]
fn in_sync_is_proven_matching() {
    let (code, doc, stderr) = keyturn(&["check", "--sim", "in-sync", "--probe", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let github = &doc["snapshot"]["github"];
    assert_eq!(github["matches_vault"], true, "{doc:#}");
    assert_eq!(github["validity"], "valid");
    assert_eq!(github["evidence"], "probe");
    assert_eq!(
        github["fingerprint"],
        doc["snapshot"]["vault"]["fingerprint"]
    );
    assert_eq!(doc["diagnosis"]["kind"], "in-sync");
    assert_eq!(doc["diagnosis"]["github_unproven"], Value::Null);
}

#[test]
fn without_a_probe_the_github_copy_is_unknown_and_the_diagnosis_says_how_to_prove_it() {
    let (code, doc, _) = keyturn(&["check", "--sim", "in-sync", "--json"]);
    assert_eq!(code, 0);
    let github = &doc["snapshot"]["github"];
    assert_eq!(github["matches_vault"], Value::Null);
    assert_eq!(github["evidence"], "metadata");
    assert_eq!(doc["snapshot"]["probe"], Value::Null);
    let unproven = doc["diagnosis"]["github_unproven"].as_str().unwrap();
    assert!(
        unproven.contains("unknown (no probe)") && unproven.contains("--probe"),
        "{unproven}"
    );
    let (code, _, stderr) = keyturn(&["check", "--sim", "in-sync"]);
    assert_eq!(code, 0);
    assert!(
        !stderr.contains("probe:"),
        "no probe unless asked: {stderr}"
    );
}

#[test]
fn a_timeout_flag_needs_the_probe_and_a_bad_one_is_refused() {
    let (code, _, stderr) = keyturn(&["check", "--sim", "in-sync", "--probe-timeout", "5"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = keyturn(&[
        "check",
        "--sim",
        "in-sync",
        "--probe",
        "--probe-timeout",
        "x",
    ]);
    assert_eq!(code, 2);
}

#[test]
fn probe_print_writes_the_shipped_workflow() {
    let out = assert_cmd::Command::cargo_bin("keyturn")
        .unwrap()
        .args(["probe", "print"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        keyturn::probe_workflow::WORKFLOW
    );
    let out = assert_cmd::Command::cargo_bin("keyturn")
        .unwrap()
        .args([
            "probe",
            "print",
            "--secret",
            "DEPLOY_KEY",
            "--environment",
            "production",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("secrets.DEPLOY_KEY") && text.contains("environment: 'production'"),
        "{text}"
    );
    let bad = assert_cmd::Command::cargo_bin("keyturn")
        .unwrap()
        .args(["probe", "print", "--secret", "no-dashes"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--secret"));
}

/// Asked for proof and got none: exit 2 ("could not tell"), the failure in the document.
#[tokio::test]
async fn a_failed_probe_exits_2_unless_drift_shows_anyway() {
    use keyturn::cli::check::{self, CheckOptions};
    use keyturn::sim::{ProbeMode, Scenario};
    let options = CheckOptions {
        probe_interval: std::time::Duration::from_millis(50),
        ..CheckOptions::probing(true)
    };
    let (sim, _) = crate::common::sim::connect(Scenario::InSync).await;
    sim.state().remove_workflow("keyturn-probe.yml");
    let (config, creds) = (sim.config(), sim.keyturn_credentials());
    assert_eq!(check::run_with(&config, &creds, &options).await, 2);
    let mut unconfigured = config.clone();
    unconfigured.github.probe_workflow = None;
    assert_eq!(check::run_with(&unconfigured, &creds, &options).await, 2);
    let (stale, _) = crate::common::sim::connect(Scenario::AppStale).await;
    stale.state().set_probe_mode(ProbeMode::Fail);
    let code = check::run_with(&stale.config(), &stale.keyturn_credentials(), &options).await;
    assert_eq!(code, 1, "stale apps are drift whatever the probe did");
}
