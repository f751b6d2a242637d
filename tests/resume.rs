#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Resume after the process dies at every step of a runbook, against the simulator: the
//! session is taken up again from its journal (`Engine::resume`, as `keyturn resume
//! --continue` does) and walked to the end, and the simulated stores are checked.
//!
//! The kill points come from the runbook itself (every planned step, killed right after it
//! and inside it), so a runbook change is covered without touching this file.

mod common;

use std::collections::BTreeSet;

use clap::Parser as _;
use common::crash::{
    Kill, confirm_until_killed, cut_journal_after, doomed, kill_switch, resume, session_journal,
    step_done, until_killed,
};
use common::engine::{assert_every_copy_is, confirm_all, deps, embedded, finished, until_step};
use futures::StreamExt as _;
use keyturn::cli::{Cli, Command as Sub, resume as resume_cli};
use keyturn::runbook::engine::{Command, EngineError, Pending, PlannedStep, expand};
use keyturn::session::event::{Event, EventKind, Outcome};
use keyturn::session::journal::{self, Journal};
use keyturn::sim::{FaultRule, Scenario, SimHandle};
use tempfile::TempDir;

const ROTATION: &str = "heroku-token-rotation";
const RECOVERY: &str = "heroku-key-drift-recovery";

/// The steps a session of `id` walks against `sim` (`for_each` expanded).
fn planned(sim: &SimHandle, id: &str) -> Vec<PlannedStep> {
    expand(&embedded(id), &sim.config().manual_consumers)
}

/// A session killed at `step`; the journal is left as the dead process left it.
struct Killed {
    sim: SimHandle,
    dir: TempDir,
    old: String,
    authorizations_before: BTreeSet<String>,
    /// Authorizations minted before the kill whose token the vault did not hold: their
    /// tokens died with the process.
    lost: Vec<String>,
}

/// Starts `id` in `scenario`, confirms every step, and kills the process at `step`.
/// `None` when the kill point does not exist (`Inside` a step that never started).
async fn kill(scenario: Scenario, id: &str, step: &str, how: Kill) -> Option<Killed> {
    let sim = common::start(scenario).await;
    let dir = tempfile::tempdir().unwrap();
    let old = sim.state().vault_value().unwrap();
    let authorizations_before: BTreeSet<String> = sim
        .state()
        .authorizations()
        .into_iter()
        .map(|a| a.id)
        .collect();
    let engine = doomed(&sim, &dir, embedded(id), kill_switch(step_done(step)));
    Box::pin(confirm_until_killed(engine)).await;
    if how == Kill::Inside {
        let started =
            |e: &Event| matches!(&e.kind, EventKind::StepStarted { step: s, .. } if s == step);
        if !cut_journal_after(&session_journal(&dir), started) {
            return None;
        }
    }
    let state = sim.state();
    let vault = state.vault_value();
    let lost = state
        .authorizations()
        .into_iter()
        .filter(|a| !authorizations_before.contains(&a.id))
        .filter(|a| !a.revoked && Some(&a.token) != vault.as_ref())
        .map(|a| a.id)
        .collect();
    Some(Killed {
        sim,
        dir,
        old,
        authorizations_before,
        lost,
    })
}

/// Resumes the killed session and confirms every step to the end.
async fn resume_to_the_end(k: &Killed, id: &str) -> Outcome {
    let mut engine = resume(&k.sim, &k.dir, embedded(id)).await.unwrap();
    finished(&confirm_all(&mut engine).await)
}

/// A completed rotation after a kill: one new token everywhere, the OLD one dead, every
/// orphan revoked, one audit line, no token in the journal.
fn assert_rotated(k: &Killed, case: &str) {
    let state = k.sim.state();
    let new = state.vault_value().unwrap();
    assert_ne!(new, k.old, "{case}: rotated");
    assert!(state.token_is_valid(&new), "{case}: new token valid");
    assert!(!state.token_is_valid(&k.old), "{case}: old token gets 401");
    assert_every_copy_is(&state, &new);
    let minted: Vec<_> = state
        .authorizations()
        .into_iter()
        .filter(|a| !k.authorizations_before.contains(&a.id))
        .collect();
    let live: Vec<_> = minted.iter().filter(|a| !a.revoked).collect();
    assert_eq!(live.len(), 1, "{case}: exactly one new authorization left");
    for id in &k.lost {
        let orphan = minted.iter().find(|a| &a.id == id).unwrap();
        assert!(orphan.revoked, "{case}: the orphan is revoked, not adopted");
    }
    assert_eq!(live[0].token, new, "{case}: it issued the vault's token");
    let audit = std::fs::read_to_string(k.dir.path().join("audit.jsonl")).unwrap();
    let lines = audit.matches("secret.rotate.completed").count();
    assert_eq!(lines, 1, "{case}: one audit line: {audit}");
    assert!(
        audit.contains(&live[0].id),
        "{case}: audit names the new id {}: {audit}",
        live[0].id
    );
    assert_no_token_in(k, case);
}

fn assert_no_token_in(k: &Killed, case: &str) {
    let text = std::fs::read_to_string(session_journal(&k.dir)).unwrap();
    for a in k.sim.state().authorizations() {
        assert!(
            !text.contains(&a.token),
            "{case}: a token leaked into the journal"
        );
    }
    assert!(
        text.contains("\"session_resumed\""),
        "{case}: resume journaled"
    );
}

/// Runs the cases a few at a time: enough to be quick, few enough that the fast client
/// timeouts of the tests never fire under load.
async fn side_by_side<T>(cases: impl IntoIterator<Item = impl Future<Output = T>>) -> Vec<T> {
    futures::stream::iter(cases)
        .buffer_unordered(6)
        .collect()
        .await
}

/// One rotation killed at `step` and resumed; false when the kill point does not exist.
async fn rotation_case(step: String, how: Kill) -> bool {
    let case = format!("killed {how:?} {step}");
    let Some(k) = kill(Scenario::InSync, ROTATION, &step, how).await else {
        return false;
    };
    let outcome = resume_to_the_end(&k, ROTATION).await;
    assert_eq!(outcome, Outcome::Completed, "{case}");
    assert_rotated(&k, &case);
    true
}

/// Every step of the rotation as a kill point, each case against its own simulator (run
/// side by side); returns how many kill points existed.
async fn every_rotation_step(how: Kill) -> usize {
    let probe = common::start(Scenario::InSync).await;
    let cases = planned(&probe, ROTATION)
        .into_iter()
        .map(|p| rotation_case(p.id, how));
    let ran = side_by_side(cases).await;
    ran.into_iter().filter(|ran| *ran).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_killed_right_after_any_step_resumes_to_a_completed_rotation() {
    let cases = every_rotation_step(Kill::After).await;
    assert!(cases >= 10, "every step is a kill point ({cases})");
}

/// The worst moment: the vendors got the step's writes (authorization minted, vault or apps
/// written, OLD revoked, audit line appended) but its events never reached the journal.
#[tokio::test(flavor = "multi_thread")]
async fn rotation_killed_inside_any_step_resumes_to_a_completed_rotation() {
    let cases = every_rotation_step(Kill::Inside).await;
    assert!(cases >= 8, "every step that runs is a kill point ({cases})");
}

/// A drift recovery killed at `step` and resumed: every copy equals the valid vault.
async fn recovery_case(scenario: Scenario, step: String, how: Kill) {
    let case = format!("{scenario:?} killed {how:?} {step}");
    let Some(k) = kill(scenario, RECOVERY, &step, how).await else {
        return;
    };
    let outcome = resume_to_the_end(&k, RECOVERY).await;
    assert_eq!(outcome, Outcome::Completed, "{case}");
    let state = k.sim.state();
    let vault = state.vault_value().unwrap();
    assert!(state.token_is_valid(&vault), "{case}");
    assert_every_copy_is(&state, &vault);
    assert_no_token_in(&k, &case);
}

/// The steps an uninterrupted session of `id` in `scenario` runs (conditions decide).
async fn steps_that_run(scenario: Scenario, id: &str) -> Vec<String> {
    let mut s = common::engine::setup(scenario, id, common::engine::DEFAULT).await;
    confirm_all(&mut s.engine).await;
    common::engine::events(&s)
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::StepStarted { step, .. } => Some(step),
            _ => None,
        })
        .collect()
}

/// Each branch that writes (apps, inverse, Path B), killed after and inside every step it
/// runs (the rotation test above also kills at skipped steps; here that would only repeat
/// the step before).
#[tokio::test(flavor = "multi_thread")]
async fn drift_recovery_killed_at_any_step_resumes_to_every_copy_in_sync() {
    let mut cases = Vec::new();
    for scenario in [
        Scenario::AppStale,
        Scenario::VaultStale,
        Scenario::GithubStale,
    ] {
        for step in steps_that_run(scenario, RECOVERY).await {
            for how in [Kill::After, Kill::Inside] {
                cases.push(recovery_case(scenario, step.clone(), how));
            }
        }
    }
    assert!(cases.len() >= 18, "{} kill points", cases.len());
    side_by_side(cases).await;
}

#[tokio::test]
async fn rotation_killed_during_the_rollback_finishes_the_rollback() {
    let sim = common::start(Scenario::InSync).await;
    let dir = tempfile::tempdir().unwrap();
    let old = sim.state().vault_value().unwrap();
    let mut rolling = false;
    let observer = kill_switch(move |e| {
        rolling |= matches!(e.kind, EventKind::RollbackStarted);
        rolling && matches!(e.kind, EventKind::SecretWritten { .. })
    });
    let mut engine = doomed(&sim, &dir, embedded(ROTATION), observer);
    until_step(&mut engine, "revoke_old").await;
    until_killed(engine.command(Command::RollBack)).await;
    drop(engine);
    let mut engine = resume(&sim, &dir, embedded(ROTATION)).await.unwrap();
    assert_eq!(
        finished(&engine.advance().await.unwrap()),
        Outcome::RolledBack
    );
    let state = sim.state();
    assert!(
        state.token_is_valid(&old),
        "the old token was never revoked"
    );
    assert_every_copy_is(&state, &old);
}

#[tokio::test]
async fn resume_refuses_when_the_vault_moved_outside_the_session() {
    let k = kill(Scenario::InSync, ROTATION, "store_vault", Kill::After)
        .await
        .unwrap();
    k.sim.state().set_vault_value(&k.old);
    let Err(err) = resume(&k.sim, &k.dir, embedded(ROTATION)).await else {
        panic!("resumed over a vault it cannot account for")
    };
    assert!(matches!(err, EngineError::Refused(_)), "{err}");
    assert!(err.to_string().contains("outside this session"), "{err}");
    assert!(k.sim.state().token_is_valid(&k.old), "OLD not revoked");
}

#[tokio::test]
async fn resume_refuses_a_finished_session_and_another_config() {
    let sim = common::start(Scenario::InSync).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(&dir.path().join("sessions"), "done").unwrap();
    let mut engine =
        keyturn::runbook::engine::Engine::new(embedded(ROTATION), deps(&sim, &dir, journal, None));
    confirm_all(&mut engine).await;
    let err = resume(&sim, &dir, embedded(ROTATION)).await.err().unwrap();
    assert!(err.to_string().contains("already ended"), "{err}");

    let k = kill(Scenario::InSync, ROTATION, "precheck", Kill::After)
        .await
        .unwrap();
    let path = session_journal(&k.dir);
    let mut other = deps(&sim, &k.dir, Journal::reopen(&path).unwrap(), None);
    other.config.heroku.apps =
        keyturn::config::AppList::parse(vec!["raxx-elsewhere".into()]).unwrap();
    let events = journal::read(&path).unwrap();
    let err = keyturn::runbook::engine::Engine::resume(embedded(ROTATION), other, &events)
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("the config the session ran with"),
        "{err}"
    );
}

/// Real Heroku may not list tokens, so the orphan's revocation must not depend on the
/// listing: the vault still at its pre-mint version proves the vault cannot hold the
/// orphan's token. Here the listing fails after the resume, and the revocation still runs.
#[tokio::test]
async fn the_orphan_is_revoked_on_the_vault_version_proof_alone() {
    let k = kill(
        Scenario::InSync,
        ROTATION,
        "create_authorization",
        Kill::After,
    )
    .await
    .unwrap();
    let mut engine = resume(&k.sim, &k.dir, embedded(ROTATION)).await.unwrap();
    let Pending::Confirm { step, .. } = engine.advance().await.unwrap() else {
        panic!("no confirmation")
    };
    assert_eq!(step, "revoke_orphan.1");
    let fault = FaultRule::parse_spec("heroku:GET:^/oauth/authorizations$=503x100").unwrap();
    k.sim.faults().add(fault);
    engine
        .command(Command::Confirm {
            step: None,
            typed: None,
        })
        .await
        .unwrap();
    let state = k.sim.state();
    let minted: Vec<_> = state
        .authorizations()
        .into_iter()
        .filter(|a| !k.authorizations_before.contains(&a.id))
        .collect();
    assert_eq!(minted.len(), 1);
    assert!(minted[0].revoked, "the orphan is revoked");
    assert!(state.token_is_valid(&k.old), "OLD untouched");
}

/// The read-only view: what exists, and the step `--continue` would start from.
async fn described(step: &str) -> (Killed, String) {
    let k = kill(Scenario::InSync, ROTATION, step, Kill::After)
        .await
        .unwrap();
    let events = journal::read(&session_journal(&k.dir)).unwrap();
    let text = resume_cli::describe(&events, Some(&planned(&k.sim, ROTATION)));
    (k, text)
}

#[tokio::test]
async fn killed_after_mint_offers_revoking_the_orphan_and_minting_again() {
    let (k, text) = described("create_authorization").await;
    let state = k.sim.state();
    let orphan = state
        .authorizations()
        .into_iter()
        .find(|a| !a.revoked && Some(&a.token) != state.vault_value().as_ref())
        .unwrap();
    assert!(text.contains("revoke the orphan"), "{text}");
    let plan = format!(
        "would continue by revoking the orphan authorization {}, then from step create_authorization",
        orphan.id
    );
    assert!(text.contains(&plan), "{text}");
    assert!(!text.contains(&orphan.token));
}

#[tokio::test]
async fn killed_after_the_vault_write_continues_with_propagation() {
    let (k, text) = described("store_vault").await;
    let state = k.sim.state();
    assert!(state.token_is_valid(&state.vault_value().unwrap()));
    assert!(
        text.contains("would continue from step propagate_heroku"),
        "{text}"
    );
    assert!(text.contains("--continue"), "{text}");
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
    assert_eq!(resume_cli::run(&args), 2);
}

/// `keyturn --config FILE resume --continue` must reach the resumed engine's config.
#[test]
fn the_global_config_flag_reaches_resume() {
    for line in [
        ["keyturn", "--config", "k.toml", "resume", "--continue"],
        ["keyturn", "resume", "--continue", "--config", "k.toml"],
    ] {
        let cli = Cli::try_parse_from(line).unwrap();
        let Some(Sub::Resume(args)) = cli.command else {
            panic!()
        };
        assert_eq!(args.config.as_deref(), Some(std::path::Path::new("k.toml")));
        assert!(args.continue_session);
    }
}
