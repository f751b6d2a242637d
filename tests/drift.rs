#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_macros)]
//! The drift audit against routed fakes of the three vendors: each situation gets the right
//! diagnosis, each distinct value is validated once, and the snapshot carries no value.

mod common;

use common::world::{GOOD, OLD, OPERATOR, World, start};
use keyturn::drift::{self, AuditOptions, Diagnosis, Validity};
use keyturn::vendors::Vendors;

async fn audit(world: World) -> (drift::Audit, common::world::Running) {
    let running = start(world).await;
    let vendors = Vendors::connect(&running.config, &running.creds).unwrap();
    let audit = drift::audit(&vendors, &running.config, AuditOptions::default()).await;
    (audit, running)
}

#[tokio::test]
async fn in_sync() {
    let (audit, running) = audit(World::in_sync(4)).await;
    assert!(
        matches!(audit.diagnosis, Diagnosis::InSync { .. }),
        "{:#?}",
        audit.snapshot
    );
    assert_eq!(audit.diagnosis.exit_code(), 0);
    assert_eq!(audit.snapshot.vault.version, Some(4));
    assert!(
        audit
            .snapshot
            .apps
            .iter()
            .all(|c| c.matches_vault == Some(true) && c.validity == Validity::Valid)
    );
    let validations = running
        .heroku
        .all()
        .iter()
        .filter(|r| r.starts_with("GET /account "))
        .count();
    assert_eq!(validations, 1, "one distinct value, validated once");
    let json = serde_json::to_string(&audit.snapshot).unwrap();
    assert!(!json.contains(GOOD));
    assert!(!format!("{audit:?}").contains(GOOD));
}

#[tokio::test]
async fn github_older_than_the_vault_is_stale() {
    let mut world = World::in_sync(4);
    world.github_updated = "2026-11-01T00:00:00Z".into();
    // The last (successful) deploy ran before the vault's current version was written.
    world.deploy_created = "2026-11-19T00:00:00Z".into();
    let (audit, _r) = audit(world).await;
    assert!(
        matches!(audit.diagnosis, Diagnosis::GithubStale { .. }),
        "{:?}",
        audit.diagnosis
    );
    let rec = audit.diagnosis.recommendation();
    assert_eq!(rec.runbook, Some("heroku-key-drift-recovery"));
    assert_eq!(rec.path, Some(keyturn::drift::RecoveryPath::PathB));
    assert_eq!(audit.diagnosis.exit_code(), 1);
}

/// Timestamps alone never make GitHub stale once a deploy that used the secret succeeded
/// after the vault's current version was written (an inverse recovery writes a new vault
/// version of the value GitHub held all along): the copy is unknown (no probe), exit 0.
#[tokio::test]
async fn github_older_than_the_vault_but_deployed_since_is_unknown_not_stale() {
    let mut world = World::in_sync(4);
    world.github_updated = "2026-11-01T00:00:00Z".into();
    world.deploy_created = "2026-11-21T00:00:00Z".into();
    let (audit, _r) = audit(world).await;
    assert_eq!(audit.diagnosis.name(), "in-sync", "{:?}", audit.diagnosis);
    assert_eq!(audit.diagnosis.exit_code(), 0);
    let why = audit.diagnosis.recommendation().why;
    assert!(why.contains("unknown (no probe)"), "{why}");
    assert!(why.contains("keyturn check --probe"), "{why}");
    assert_eq!(audit.snapshot.github.matches_vault, None);
    assert_eq!(audit.snapshot.github.validity, Validity::Unknown);
}

#[tokio::test]
async fn a_deploy_failing_with_the_invalid_token_message_means_github_stale() {
    let mut world = World::in_sync(4);
    world.deploy_failed_invalid = true;
    let (audit, _r) = audit(world).await;
    assert!(
        matches!(audit.diagnosis, Diagnosis::GithubStale { .. }),
        "{:?}",
        audit.diagnosis
    );
    assert!(
        audit
            .snapshot
            .deploy
            .as_ref()
            .unwrap()
            .failed_with_invalid_token
    );
}

#[tokio::test]
async fn stale_apps_are_named() {
    let mut world = World::in_sync(4);
    world.apps[1].1 = Some(OLD.into());
    world.apps[3].1 = None;
    let (audit, running) = audit(world).await;
    assert_eq!(
        audit.diagnosis,
        Diagnosis::AppsStale {
            apps: vec!["raxx-app-1".into(), "raxx-app-3".into()],
            github_stale: false
        }
    );
    assert_eq!(audit.snapshot.apps[1].validity, Validity::Invalid);
    let validations = running
        .heroku
        .all()
        .iter()
        .filter(|r| r.starts_with("GET /account "))
        .count();
    assert_eq!(validations, 2, "two distinct values");
}

#[tokio::test]
async fn a_dead_vault_with_a_live_app_is_the_inverse_path() {
    let mut world = World::in_sync(4);
    world.vault = Some(OLD.into());
    let (audit, _r) = audit(world).await;
    assert_eq!(
        audit.diagnosis,
        Diagnosis::VaultStale {
            valid_app: "raxx-app-0".into()
        }
    );
    assert_eq!(
        audit.diagnosis.recommendation().path,
        Some(keyturn::drift::RecoveryPath::Inverse)
    );
    let (app, token) = audit.tokens.valid_live().unwrap();
    assert_eq!(app, "raxx-app-0");
    assert_eq!(token, &keyturn::secret::Token::new(GOOD));
}

#[tokio::test]
async fn nothing_valid_means_rotate() {
    let mut world = World::in_sync(4);
    world.valid = vec![OPERATOR.into()];
    let (audit, _r) = audit(world).await;
    assert_eq!(audit.diagnosis, Diagnosis::NothingValid);
    assert_eq!(
        audit.diagnosis.recommendation().runbook,
        Some("heroku-token-rotation")
    );
}

#[tokio::test]
async fn an_unreadable_app_means_unknown() {
    let mut world = World::in_sync(4);
    world.unreadable_app = Some("raxx-app-2".into());
    let (audit, _r) = audit(world).await;
    let Diagnosis::Unknown { store, why } = &audit.diagnosis else {
        panic!("{:?}", audit.diagnosis)
    };
    assert_eq!(store, "heroku:raxx-app-2");
    assert!(why.contains("403"), "{why}");
    assert_eq!(audit.diagnosis.exit_code(), 2);
}

#[tokio::test]
async fn two_hundred_apps() {
    let (audit, running) = audit(World::in_sync(200)).await;
    assert!(matches!(audit.diagnosis, Diagnosis::InSync { .. }));
    assert_eq!(audit.snapshot.apps.len(), 200);
    assert_eq!(
        audit.snapshot.apps[199].store.short(),
        "heroku:raxx-app-199"
    );
    assert_eq!(running.heroku.count(), 201, "200 reads + 1 validation");
}

/// Wall time of the audit at 50 ms per request, for 4 and 200 apps, at two fan-out widths.
/// Run with `cargo test --test drift timing -- --ignored --nocapture`; prints, asserts nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints timings; run by hand"]
async fn timing() {
    for apps in [4, 200] {
        for width in [16, 64] {
            let mut world = World::in_sync(apps);
            world.latency = std::time::Duration::from_millis(50);
            let running = start(world).await;
            let vendors = Vendors::connect(&running.config, &running.creds).unwrap();
            let started = std::time::Instant::now();
            let audit = drift::audit(
                &vendors,
                &running.config,
                AuditOptions { concurrency: width },
            )
            .await;
            println!(
                "apps={apps} concurrency={width}: {:?} ({})",
                started.elapsed(),
                audit.diagnosis.name()
            );
        }
    }
}
