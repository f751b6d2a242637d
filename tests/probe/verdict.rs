//! What a probe proves, folded into the drift audit: exact `matches_vault` and `validity`
//! with evidence `probe`, and the diagnosis that follows.

use keyturn::drift::{self, AuditOptions, Diagnosis, Evidence, ProbeReport, Validity};
use keyturn::secret::Token;
use keyturn::sim::Scenario;

use super::support::{probe, reading, request, world};

#[tokio::test]
async fn in_sync_proves_the_github_copy_equals_the_vault() {
    let (sim, vendors) = world(Scenario::InSync).await;
    let read = reading(probe(&sim, &vendors).await);
    let vault = Token::new(sim.state().vault_value().unwrap());
    assert!(read.holds(&vault));
    let verdict = read.verdict(Some(&vault));
    assert_eq!(verdict.matches_vault, Some(true));
    assert_eq!(verdict.validity, Validity::Valid);
    assert_eq!(verdict.account_status, Some(200));
    assert!(!verdict.empty);
}

#[tokio::test]
async fn github_stale_is_proven_stale_by_the_probe() {
    let (sim, vendors) = world(Scenario::GithubStale).await;
    let config = sim.config();
    let audit = drift::audit_with_probe(
        &vendors,
        &config,
        AuditOptions::default(),
        &request(&sim, std::time::Duration::from_secs(10)),
        &|_| {},
    )
    .await;
    let github = &audit.snapshot.github;
    assert_eq!(github.evidence, Some(Evidence::Probe));
    assert_eq!(github.matches_vault, Some(false));
    assert_eq!(github.validity, Validity::Invalid);
    let Diagnosis::GithubStale { reason } = &audit.diagnosis else {
        panic!("{:?}", audit.diagnosis)
    };
    assert!(reason.contains("probe run"), "{reason}");
    assert!(
        reason.contains("/actions/runs/"),
        "names the run's URL: {reason}"
    );
    assert!(matches!(audit.snapshot.probe, Some(ProbeReport::Proved(_))));
}

/// Timestamps say stale, the deploy says nothing; the probe says the copy is right, and
/// that decides.
#[tokio::test]
async fn a_probe_overrules_timestamps() {
    let (sim, vendors) = world(Scenario::InSync).await;
    let config = sim.config();
    let value = sim.state().vault_value().unwrap();
    sim.state().set_vault_value(&value);
    let plain = drift::audit(&vendors, &config, AuditOptions::default()).await;
    assert!(
        matches!(plain.diagnosis, Diagnosis::GithubStale { .. }),
        "{:?}",
        plain.diagnosis
    );
    let mut audit = plain;
    audit.apply_probe(&probe(&sim, &vendors).await);
    assert!(
        matches!(
            audit.diagnosis,
            Diagnosis::InSync {
                github_unproven: None
            }
        ),
        "{:?}",
        audit.diagnosis
    );
    assert_eq!(audit.diagnosis.exit_code(), 0);
    let vault_fp = audit.snapshot.vault.fingerprint;
    assert_eq!(audit.snapshot.github.fingerprint, vault_fp);
}

/// The probe names the copy GitHub's value equals when keyturn holds it: here a stale app's.
#[tokio::test]
async fn the_github_copy_gets_the_fingerprint_of_the_copy_it_equals() {
    let (sim, vendors) = world(Scenario::AppStale).await;
    let stale = sim
        .state()
        .app_config_var("raxx-console-staging", "HEROKU_API_KEY")
        .unwrap();
    sim.state().set_github_secret("HEROKU_API_KEY", &stale);
    let mut audit = drift::audit(&vendors, &sim.config(), AuditOptions::default()).await;
    audit.apply_probe(&probe(&sim, &vendors).await);
    let app = audit
        .snapshot
        .apps
        .iter()
        .find(|c| c.store.short() == "heroku:raxx-console-staging")
        .unwrap();
    assert_eq!(audit.snapshot.github.fingerprint, app.fingerprint);
    assert_eq!(audit.snapshot.github.matches_vault, Some(false));
    assert!(
        matches!(
            audit.diagnosis,
            Diagnosis::AppsStale {
                github_stale: true,
                ..
            }
        ),
        "{:?}",
        audit.diagnosis
    );
}

#[tokio::test]
async fn an_empty_secret_is_reported_as_empty() {
    let (sim, vendors) = world(Scenario::InSync).await;
    sim.state().set_github_secret("HEROKU_API_KEY", "");
    let mut audit = drift::audit(&vendors, &sim.config(), AuditOptions::default()).await;
    audit.apply_probe(&probe(&sim, &vendors).await);
    let Some(ProbeReport::Proved(verdict)) = &audit.snapshot.probe else {
        panic!("{:?}", audit.snapshot.probe)
    };
    assert!(verdict.empty);
    assert_eq!(verdict.account_status, None);
    assert_eq!(verdict.matches_vault, Some(false));
    let Diagnosis::GithubStale { reason } = &audit.diagnosis else {
        panic!("{:?}", audit.diagnosis)
    };
    assert!(reason.contains("empty"), "{reason}");
}
