//! The shipped workflow's own script, run with bash, openssl and curl as a GitHub runner
//! would run it, against a known value and nonce and the simulated Heroku on loopback:
//! keyturn's parser takes its line, the HMAC matches keyturn's, the status is Heroku's, and
//! the value appears nowhere in what it prints.

use std::process::{Command, Output};

use keyturn::drift::probe::{Found, ProbeNonce, find_line};
use keyturn::probe_workflow::{WORKFLOW, run_script};
use keyturn::secret::Token;
use keyturn::sim::{Scenario, probe_line};

use crate::common;

/// Runs the workflow's script with `NONCE` and `VALUE` set, Heroku at `heroku`.
fn run(nonce: &str, value: &str, heroku: &str) -> Output {
    let script = run_script(WORKFLOW).expect("the workflow has a `run: |` script");
    Command::new("bash")
        .args([
            "--noprofile",
            "--norc",
            "-e",
            "-o",
            "pipefail",
            "-c",
            &script,
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("NONCE", nonce)
        .env("VALUE", value)
        .env("KEYTURN_PROBE_HEROKU_URL", heroku)
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_step_reads_the_secret_through_env_only() {
    assert!(WORKFLOW.contains("VALUE: ${{ secrets.HEROKU_API_KEY }}"));
    assert!(WORKFLOW.contains("NONCE: ${{ inputs.nonce }}"));
    assert!(WORKFLOW.contains("run-name: keyturn-probe ${{ inputs.nonce }}"));
    assert!(WORKFLOW.contains("workflow_dispatch:"));
    assert!(WORKFLOW.contains("permissions: {}"));
}

// The script runs synchronously; the simulator needs a second thread to answer its curl.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_prints_the_line_keyturn_parses() {
    let sim = common::start(Scenario::InSync).await;
    let valid = sim.state().vault_value().unwrap();
    let nonce = ProbeNonce::fresh();
    let out = run(nonce.as_str(), &valid, &sim.heroku_url());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    assert!(!stdout.contains(&valid) && !stderr.contains(&valid));
    let Found::Line(line) = find_line(&stdout, nonce.as_str()) else {
        panic!("keyturn does not parse {stdout}")
    };
    assert_eq!(line.account, Some(200));
    assert!(Token::new(valid.as_str()).matches_probe(nonce.as_str(), &line.fp.unwrap()));
    assert!(!Token::new("HRKU-other").matches_probe(nonce.as_str(), &line.fp.unwrap()));
    assert_eq!(
        stdout.trim_end(),
        probe_line(nonce.as_str(), &valid, Some(200)),
        "the simulator prints what the script prints"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_value_gets_401_and_an_unset_one_prints_empty() {
    let sim = common::start(Scenario::GithubStale).await;
    let revoked = sim.state().github_secret_value("HEROKU_API_KEY").unwrap();
    let nonce = ProbeNonce::fresh();
    let (stdout, _) = text(&run(nonce.as_str(), &revoked, &sim.heroku_url()));
    assert!(!stdout.contains(&revoked));
    assert_eq!(
        stdout.trim_end(),
        probe_line(nonce.as_str(), &revoked, Some(401))
    );
    let (empty, _) = text(&run(nonce.as_str(), "", &sim.heroku_url()));
    assert_eq!(
        empty.trim_end(),
        format!(
            "keyturn-probe nonce={} fp=empty account=none",
            nonce.as_str()
        )
    );
}

#[test]
fn no_answer_from_heroku_is_000_and_a_bad_nonce_stops_the_script() {
    let nonce = "0123456789abcdef0123456789abcdef";
    let (stdout, _) = text(&run(nonce, "HRKU-secret", "http://127.0.0.1:9"));
    // printf '%s' HRKU-secret | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
    assert_eq!(
        stdout.trim_end(),
        format!("keyturn-probe nonce={nonce} fp=91cf6821233cd16a account=000")
    );
    for bad in [
        "$(touch /tmp/keyturn-probe-pwned)",
        "0123",
        "0123456789ABCDEF0123456789ABCDEF",
    ] {
        let out = run(bad, "HRKU-secret", "http://127.0.0.1:9");
        let (stdout, stderr) = text(&out);
        assert!(!out.status.success(), "{bad}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.contains("32 lowercase hex"), "{stderr}");
    }
    assert!(!std::path::Path::new("/tmp/keyturn-probe-pwned").exists());
}
