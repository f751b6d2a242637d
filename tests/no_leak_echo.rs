#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The promise under an echoing vendor: every error answer of every vendor repeats the
//! request's credentials and body (the operator token, the vault access token, the
//! Universal Auth secret, the old and the new `HEROKU_API_KEY`, the GitHub token), and
//! chosen calls fail that way. Both runbooks in every scenario, failures rolled back, a
//! kill and a resume: no token value, and no 8-character window of one, may reach any
//! file written, any event, any error the engine hands its face.

mod common;

use std::sync::{Arc, Mutex};

use common::crash::KILL;
use common::echo::{ECHOED, assert_no_window, every_secret, files_under, only, reflect};
use keyturn::runbook::engine::{Command, ConfirmPrompt, Engine, Observer, Pending};
use keyturn::runbook::{Runbook, loader};
use keyturn::session::event::{Event, EventKind};
use keyturn::session::journal::{self, Journal};
use keyturn::sim::{FaultRule, Scenario, SimHandle, Vendor};
use tempfile::TempDir;

const ROTATION: &str = "heroku-token-rotation";
const RECOVERY: &str = "heroku-key-drift-recovery";

fn runbook(id: &str) -> Runbook {
    let all = loader::embedded().unwrap();
    all.into_iter().find(|r| r.id() == id).unwrap()
}

/// Faults to switch on when a step starts (the echo of every error stays on).
type Plan = Vec<(&'static str, Vec<FaultRule>)>;

/// What one session showed: every event and every error the face was handed.
#[derive(Default, Clone)]
struct Seen(Arc<Mutex<String>>);

impl Seen {
    fn push(&self, text: &str) {
        let mut seen = self.0.lock().unwrap();
        seen.push_str(text);
        seen.push('\n');
    }

    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

/// Records every event (as a face would print it) and applies `plan` as steps start;
/// `kill` says after which event the process dies.
fn observer(sim: &SimHandle, plan: Plan, seen: &Seen, kill: Option<&'static str>) -> Observer {
    let (seen, faults) = (seen.clone(), sim.faults().clone());
    Box::new(move |event: &Event| {
        seen.push(&format!(
            "{event:?}\n{}",
            serde_json::to_string(event).unwrap()
        ));
        if let EventKind::StepStarted { step, .. } = &event.kind {
            for (at, rules) in &plan {
                if at == step {
                    faults.clear();
                    rules.iter().cloned().for_each(|r| faults.add(r));
                    common::echo::echo_on(&faults);
                }
            }
        }
        let done = matches!(&event.kind, EventKind::StepSucceeded { step, .. } if Some(step.as_str()) == kill);
        if done {
            std::panic::panic_any(KILL);
        }
    })
}

/// Plays the operator: confirms everything (typed words too); a failure is rolled back
/// once the fault that caused it is gone, or aborted when rolling back is refused.
async fn operator(engine: &mut Engine, sim: &SimHandle, seen: &Seen) -> Pending {
    loop {
        let pending = engine.advance().await.unwrap();
        seen.push(&format!("{pending:?}"));
        let command = match &pending {
            Pending::Finished(_) => return pending,
            Pending::Confirm { confirm, .. } => Command::Confirm {
                step: None,
                typed: match confirm {
                    ConfirmPrompt::Typed(word) => Some(word.clone()),
                    ConfirmPrompt::YesNo => None,
                },
            },
            Pending::Failed { .. } => {
                only(sim, Vec::new());
                Command::RollBack
            }
        };
        if let Err(refused) = engine.command(command).await {
            seen.push(&format!("{refused}"));
            engine.command(Command::Abort).await.unwrap();
        }
    }
}

struct Walk {
    sim: SimHandle,
    dir: TempDir,
    seen: Seen,
}

impl Walk {
    async fn new(scenario: Scenario) -> Walk {
        let sim = common::start(scenario).await;
        only(&sim, Vec::new());
        Walk {
            sim,
            dir: tempfile::tempdir().unwrap(),
            seen: Seen::default(),
        }
    }

    fn engine(&self, id: &str, plan: Plan, kill: Option<&'static str>) -> Engine {
        let sessions = self.dir.path().join("sessions");
        let journal = Journal::create(&sessions, &journal::new_session_id()).unwrap();
        let observer = observer(&self.sim, plan, &self.seen, kill);
        let deps = common::engine::deps(&self.sim, &self.dir, journal, Some(observer));
        Engine::new(runbook(id), deps)
    }

    /// Everything this walk wrote or showed.
    fn everything(&self) -> String {
        format!("{}\n{}", self.seen.text(), files_under(self.dir.path()))
    }

    fn assert_clean(&self, what: &str) {
        let everything = self.everything();
        assert!(everything.len() > 500, "{what}: nothing was written");
        let secrets = every_secret(&self.sim);
        assert!(secrets.len() >= 8, "{what}: the world holds many secrets");
        assert_no_window(&everything, &secrets, what);
    }
}

async fn walk(scenario: Scenario, id: &str, plan: Plan) -> Walk {
    let walk = Walk::new(scenario).await;
    let mut engine = walk.engine(id, plan, None);
    operator(&mut engine, &walk.sim, &walk.seen).await;
    walk
}

/// Each scenario walked to its end, then again with the vault value's validation answered
/// by the echo (its `Authorization` is the managed token itself).
#[tokio::test]
async fn drift_recovery_in_every_scenario_leaks_nothing_the_vendors_echo() {
    for scenario in Scenario::ALL {
        let honest = walk(scenario, RECOVERY, Vec::new()).await;
        honest.assert_clean(&format!("{scenario}"));
        let echoed = reflect(Vendor::Heroku, "GET", "^/account$", 500, 100);
        let plan: Plan = vec![("confirm_source_of_truth", vec![echoed])];
        let failed = walk(scenario, RECOVERY, plan).await;
        assert!(failed.everything().contains(ECHOED), "{scenario}");
        failed.assert_clean(&format!("{scenario}, validation echoed"));
    }
}

#[tokio::test]
async fn rotation_leaks_neither_the_old_nor_the_new_token_when_echoed() {
    for scenario in [Scenario::InSync, Scenario::RotationDue] {
        let walk = walk(scenario, ROTATION, Vec::new()).await;
        walk.assert_clean(&format!("{scenario}"));
    }
}

/// A rotation whose listing, validation, every write and the verifying dispatch each fail
/// once with the echo (the new token in the request's body, or in its `Authorization` when
/// validated), each then rolled back.
#[tokio::test]
async fn failed_and_rolled_back_rotations_leak_nothing() {
    let failures: [(&str, FaultRule); 6] = [
        (
            "precheck",
            reflect(Vendor::Heroku, "GET", "^/oauth/authorizations$", 500, 8),
        ),
        (
            "verify_workflow",
            reflect(Vendor::Github, "POST", "dispatches$", 422, 1),
        ),
        (
            "validate_new",
            reflect(Vendor::Heroku, "GET", "^/account$", 500, 8),
        ),
        (
            "store_vault",
            reflect(Vendor::Infisical, "PATCH", "secrets/raw", 422, 1),
        ),
        (
            "propagate_heroku",
            reflect(Vendor::Heroku, "PATCH", "config-vars$", 422, 1),
        ),
        (
            "propagate_github",
            reflect(Vendor::Github, "PUT", "secrets/HEROKU", 422, 1),
        ),
    ];
    for (step, rule) in failures {
        let walk = walk(Scenario::RotationDue, ROTATION, vec![(step, vec![rule])]).await;
        let everything = walk.everything();
        assert!(everything.contains("[redacted]"), "{step}: {everything}");
        assert!(
            everything.contains(ECHOED),
            "{step}: the echo reached keyturn"
        );
        walk.assert_clean(step);
    }
}

#[tokio::test]
async fn a_failed_recovery_leaks_nothing() {
    let plan: Plan = vec![(
        "confirm_source_of_truth",
        vec![reflect(Vendor::Infisical, "GET", "secrets/raw", 500, 8)],
    )];
    let unreadable = walk(Scenario::GithubStale, RECOVERY, plan).await;
    assert!(unreadable.everything().contains(ECHOED));
    unreadable.assert_clean("vault unreadable");
    let plan: Plan = vec![(
        "path_b_write_secret",
        vec![reflect(Vendor::Github, "PUT", "secrets/HEROKU", 422, 1)],
    )];
    let refused = walk(Scenario::GithubStale, RECOVERY, plan).await;
    refused.assert_clean("path B refused");
}

/// Killed right after the vault took the new token, then resumed with tokens recovered from
/// the stores; the resumed propagation fails with the echo (the new token in the body) and
/// is rolled back.
#[tokio::test]
async fn a_killed_and_resumed_rotation_leaks_nothing() {
    let walk = Walk::new(Scenario::RotationDue).await;
    let plan: Plan = vec![(
        "store_vault",
        vec![reflect(Vendor::Heroku, "GET", "config-vars$", 500, 2)],
    )];
    let _quiet = common::crash::kill_switch(|_| false);
    let engine = walk.engine(ROTATION, plan, Some("store_vault"));
    Box::pin(common::crash::confirm_until_killed(engine)).await;
    let path = journal::list_sessions(&walk.dir.path().join("sessions"))
        .pop()
        .unwrap();
    let events = journal::read(&path).unwrap();
    let plan: Plan = vec![(
        "propagate_heroku",
        vec![reflect(Vendor::Heroku, "PATCH", "config-vars$", 422, 1)],
    )];
    let observer = observer(&walk.sim, plan, &walk.seen, None);
    let deps = common::engine::deps(
        &walk.sim,
        &walk.dir,
        Journal::reopen(&path).unwrap(),
        Some(observer),
    );
    let mut engine = Engine::resume(runbook(ROTATION), deps, &events)
        .await
        .unwrap();
    let end = operator(&mut engine, &walk.sim, &walk.seen).await;
    assert!(matches!(end, Pending::Finished(_)), "{end:?}");
    assert!(walk.everything().contains(ECHOED));
    walk.assert_clean("kill and resume");
}
