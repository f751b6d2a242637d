//! Canaries: no token value appears in anything a probe makes — the job logs the simulated
//! GitHub serves (as GitHub would), keyturn's reading, verdict, report and errors, and what
//! `keyturn check --probe` prints on stdout and stderr, table and JSON.

use keyturn::drift::{self, AuditOptions, ProbeReport};
use keyturn::sim::ProbeMode;
use keyturn::sim::{Scenario, Sim, SimOptions};

use super::support::{probe, world};
use crate::common::sim::every_token;

fn assert_clean(what: &str, text: &str, tokens: &[String]) {
    assert!(!tokens.is_empty());
    for token in tokens {
        assert!(
            !text.contains(token.as_str()),
            "a token value leaked into {what}: {text}"
        );
    }
}

#[tokio::test]
async fn nothing_a_probe_records_holds_a_value() {
    for mode in [
        ProbeMode::Honest,
        ProbeMode::Fail,
        ProbeMode::NoLine,
        ProbeMode::ReplayOld,
    ] {
        for scenario in Scenario::ALL {
            let (sim, vendors) = world(scenario).await;
            sim.state().set_probe_mode(mode);
            let outcome = probe(&sim, &vendors).await;
            let mut audit = drift::audit(&vendors, &sim.config(), AuditOptions::default()).await;
            audit.apply_probe(&outcome);
            let report: &ProbeReport = audit.snapshot.probe.as_ref().unwrap();
            let tokens = every_token(&sim);
            assert_clean(
                "the outcome",
                &format!(
                    "{outcome:?} {:?}",
                    outcome.result.as_ref().err().map(ToString::to_string)
                ),
                &tokens,
            );
            assert_clean(
                "the report",
                &serde_json::to_string(report).unwrap(),
                &tokens,
            );
            assert_clean(
                "the snapshot",
                &serde_json::to_string(&audit.snapshot).unwrap(),
                &tokens,
            );
            assert_clean(
                "the diagnosis",
                &format!(
                    "{:?} {}",
                    audit.diagnosis,
                    audit.diagnosis.recommendation().why
                ),
                &tokens,
            );
            for run in sim.state().workflow_runs() {
                assert_clean("a simulated job log", &run.log, &tokens);
            }
        }
    }
}

/// The binary's simulator uses the same seed as a test's, so the same tokens.
#[tokio::test]
async fn check_probe_prints_no_value() {
    for scenario in Scenario::ALL {
        let sim = Sim::start(scenario, SimOptions::fast()).await.unwrap();
        let tokens = every_token(&sim);
        for json in [true, false] {
            let mut args = vec!["check", "--sim", scenario.name(), "--probe"];
            if json {
                args.push("--json");
            }
            let out = assert_cmd::Command::cargo_bin("keyturn")
                .unwrap()
                .args(&args)
                .output()
                .unwrap();
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(printed.contains("probe"), "{printed}");
            assert_clean("check --probe's output", &printed, &tokens);
        }
    }
}
