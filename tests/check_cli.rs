#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `keyturn check` end to end in process: exit codes per situation, the JSON document's
//! schema, and no value in either output.

mod common;

use common::world::{GOOD, OLD, World, start};
use keyturn::cli::check;
use keyturn::drift::{self, AuditOptions};
use keyturn::vendors::Vendors;

async fn code(world: World) -> u8 {
    let running = start(world).await;
    check::run(&running.config, &running.creds, true).await
}

#[tokio::test]
async fn exit_codes_follow_the_diagnosis() {
    assert_eq!(code(World::in_sync(4)).await, 0);
    let mut stale = World::in_sync(4);
    stale.apps[0].1 = Some(OLD.into());
    assert_eq!(code(stale).await, 1);
    let mut unknown = World::in_sync(4);
    unknown.unreadable_app = Some("raxx-app-3".into());
    assert_eq!(code(unknown).await, 2);
}

#[tokio::test]
async fn missing_credentials_exit_2() {
    let running = start(World::in_sync(1)).await;
    let mut creds = running.creds.clone();
    creds.vault = None;
    assert_eq!(check::run(&running.config, &creds, false).await, 2);
}

#[tokio::test]
async fn json_and_table_carry_fingerprints_not_values() {
    let mut world = World::in_sync(4);
    world.github_updated = "2026-11-01T00:00:00Z".into();
    world.deploy_created = "2026-11-19T00:00:00Z".into();
    let running = start(world).await;
    let vendors = Vendors::connect(&running.config, &running.creds).unwrap();
    let audit = drift::audit(&vendors, &running.config, AuditOptions::default()).await;
    let json = check::render_json(&audit, &vendors);
    let table = check::render_table(&audit);
    for text in [&json, &table] {
        assert!(!text.contains(GOOD), "{text}");
    }
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["schema"], "keyturn.check/v1");
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["diagnosis"]["kind"], "github-stale");
    assert_eq!(doc["recommendation"]["path"], "path-b");
    assert_eq!(doc["snapshot"]["vault"]["store"]["kind"], "vault");
    assert_eq!(doc["snapshot"]["apps"][0]["store"]["app"], "raxx-app-0");
    let fp = audit
        .tokens
        .vault
        .as_ref()
        .unwrap()
        .fingerprint()
        .to_string();
    assert_eq!(doc["snapshot"]["vault"]["fingerprint"], fp.as_str());
    assert!(
        table.contains(&fp) && table.contains("github-stale"),
        "{table}"
    );
    assert_eq!(doc["rate_limits"][0]["vendor"], "heroku");
}

#[test]
fn the_binary_checks_a_simulator_scenario() {
    let out = assert_cmd::Command::cargo_bin("keyturn")
        .unwrap()
        .args(["check", "--sim", "github-stale", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["diagnosis"]["kind"], "github-stale");
    let table = assert_cmd::Command::cargo_bin("keyturn")
        .unwrap()
        .args(["check", "--sim", "in-sync"])
        .output()
        .unwrap();
    assert_eq!(table.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&table.stdout).contains("diagnosis: in-sync"));
    let bad = assert_cmd::Command::cargo_bin("keyturn")
        .unwrap()
        .args(["check", "--config", "/nonexistent/keyturn.toml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
