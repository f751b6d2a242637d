#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_macros)]
//! Every simulator scenario gives the right diagnosis and `keyturn check` exit code.

mod common;

use std::time::{Duration, Instant};

use common::sim::{connect, connect_with};
use keyturn::cli::check;
use keyturn::drift::{self, AuditOptions, Diagnosis};
use keyturn::sim::{Latency, Scenario, SimOptions};

async fn diagnose(scenario: Scenario) -> Diagnosis {
    let (sim, vendors) = connect(scenario).await;
    let audit = drift::audit(&vendors, &sim.config(), AuditOptions::default()).await;
    let json = serde_json::to_string(&audit.snapshot).unwrap();
    for a in sim.state().authorizations() {
        assert!(!json.contains(&a.token));
    }
    audit.diagnosis
}

#[tokio::test]
async fn every_scenario_is_diagnosed() {
    assert!(matches!(
        diagnose(Scenario::InSync).await,
        Diagnosis::InSync { .. }
    ));
    assert!(matches!(
        diagnose(Scenario::RotationDue).await,
        Diagnosis::InSync { .. }
    ));
    assert!(matches!(
        diagnose(Scenario::GithubStale).await,
        Diagnosis::GithubStale { .. }
    ));
    let Diagnosis::AppsStale { apps, github_stale } = diagnose(Scenario::AppStale).await else {
        panic!()
    };
    assert_eq!(apps.len(), 2);
    assert!(!github_stale);
    assert!(matches!(
        diagnose(Scenario::VaultStale).await,
        Diagnosis::VaultStale { .. }
    ));
    assert_eq!(
        diagnose(Scenario::AllInvalid).await,
        Diagnosis::NothingValid
    );
}

#[tokio::test]
async fn check_exit_codes_per_scenario() {
    let expected = [
        (Scenario::InSync, 0),
        (Scenario::RotationDue, 0),
        (Scenario::GithubStale, 1),
        (Scenario::AppStale, 1),
        (Scenario::VaultStale, 1),
        (Scenario::AllInvalid, 1),
    ];
    for (scenario, code) in expected {
        assert_eq!(check::run_sim(scenario, true).await, code, "{scenario}");
    }
}

#[tokio::test]
async fn an_unreachable_vault_exits_2() {
    let (sim, _v) = connect(Scenario::InSync).await;
    sim.faults().add(
        keyturn::sim::FaultRule::new(
            keyturn::sim::Vendor::Infisical,
            None,
            ".*",
            keyturn::sim::FaultAction::Status(403),
            100,
        )
        .unwrap(),
    );
    let code = check::run(&sim.config(), &sim.keyturn_credentials(), false).await;
    assert_eq!(code, 2);
}

#[tokio::test]
async fn two_hundred_apps() {
    let options = SimOptions {
        apps: Some(200),
        ..SimOptions::fast()
    };
    let (sim, vendors) = connect_with(Scenario::AppStale, options).await;
    let audit = drift::audit(&vendors, &sim.config(), AuditOptions::default()).await;
    assert_eq!(audit.snapshot.apps.len(), 200);
    assert!(
        matches!(audit.diagnosis, Diagnosis::AppsStale { .. }),
        "{:?}",
        audit.diagnosis
    );
}

/// Wall time at 50 ms simulated latency; prints, asserts nothing.
/// `cargo test --test drift_sim timing -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints timings; run by hand"]
async fn timing() {
    for apps in [4, 200] {
        for width in [16, 64] {
            let options = SimOptions {
                apps: Some(apps),
                latency: Latency::Fixed(Duration::from_millis(50)),
                ..SimOptions::fast()
            };
            let (sim, vendors) = connect_with(Scenario::GithubStale, options).await;
            let started = Instant::now();
            let audit =
                drift::audit(&vendors, &sim.config(), AuditOptions { concurrency: width }).await;
            println!(
                "sim apps={apps} concurrency={width}: {:?} ({})",
                started.elapsed(),
                audit.diagnosis.name()
            );
        }
    }
}

#[tokio::test]
async fn rotation_due_is_flagged_past_the_90_day_cadence() {
    for (scenario, due) in [(Scenario::RotationDue, true), (Scenario::InSync, false)] {
        let (sim, vendors) = connect(scenario).await;
        let audit = drift::audit(&vendors, &sim.config(), AuditOptions::default()).await;
        let age = audit.snapshot.rotation_age();
        assert_eq!(age.due, due, "{scenario}: {age:?}");
        assert!(age.vault_age_days.is_some());
        let table = check::render_table(&audit);
        assert_eq!(table.contains("rotation:  DUE"), due, "{table}");
        let json: serde_json::Value =
            serde_json::from_str(&check::render_json(&audit, &vendors)).unwrap();
        assert_eq!(json["rotation"]["due"], due);
    }
}

#[tokio::test]
async fn the_unreadable_github_row_says_stale_when_diagnosed() {
    let (sim, vendors) = connect(Scenario::GithubStale).await;
    let audit = drift::audit(&vendors, &sim.config(), AuditOptions::default()).await;
    let table = check::render_table(&audit);
    let github = table.lines().find(|l| l.starts_with("github")).unwrap();
    assert!(github.contains("STALE"), "{table}");
    let (sim, vendors) = connect(Scenario::InSync).await;
    let audit = drift::audit(&vendors, &sim.config(), AuditOptions::default()).await;
    assert!(!check::render_table(&audit).contains("STALE"));
}
