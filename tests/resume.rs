#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `keyturn resume` after the process dies mid-rotation (the engine is dropped at a step):
//! the advice matches what exists in the simulator.

mod common;

use clap::Parser as _;
use common::engine::{DEFAULT, setup, until_step};
use keyturn::cli::{Cli, Command as Sub, resume};
use keyturn::runbook::journal;
use keyturn::sim::Scenario;

async fn killed_at(step: &str) -> (common::engine::Setup, String) {
    let mut s = setup(Scenario::InSync, "heroku-token-rotation", DEFAULT).await;
    until_step(&mut s.engine, step).await;
    let events = journal::read(s.engine.journal_path()).unwrap();
    let text = resume::describe(&events);
    (s, text)
}

#[tokio::test]
async fn killed_after_mint_offers_revoking_the_orphan() {
    let (s, text) = killed_at("store_vault").await;
    let state = s.sim.state();
    let orphan = state
        .authorizations()
        .into_iter()
        .find(|a| !a.revoked && Some(&a.token) != state.vault_value().as_ref())
        .unwrap();
    assert!(text.contains(&orphan.id), "{text}");
    assert!(text.contains("revoke the orphan"), "{text}");
    assert!(!text.contains(&orphan.token));
}

#[tokio::test]
async fn killed_after_the_vault_write_points_to_drift_recovery() {
    let (s, text) = killed_at("propagate_heroku").await;
    let state = s.sim.state();
    let vault = state.vault_value().unwrap();
    assert!(state.token_is_valid(&vault));
    assert!(text.contains("heroku-key-drift-recovery"), "{text}");
}

#[test]
fn resume_without_sessions_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::try_parse_from([
        "keyturn",
        "resume",
        "--sessions-dir",
        dir.path().to_str().unwrap(),
    ])
    .unwrap();
    let Some(Sub::Resume(args)) = cli.command else {
        panic!()
    };
    assert_eq!(resume::run(&args), 2);
}
