//! The fault matrix: a runbook walked once cleanly to learn every request it makes, then
//! once per (request, fault class) with that one request broken, driven as `keyturn run
//! --yes` drives it (confirm everything, type the word, roll back on a failure when a
//! rollback is allowed, else stop). After each cell the simulated stores are read — never
//! keyturn's report of them — and DESIGN.md's invariants are asserted. A session that can
//! go on is then resumed without the fault and must complete.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyturn::runbook::engine::{Command, ConfirmPrompt, Engine, Pending};
use keyturn::session::event::{Event, EventKind, Outcome};
use keyturn::session::journal::{self, Journal};
use keyturn::sim::{FaultAction, FaultRule, LoggedRequest, Scenario, SimHandle, SimState};

use super::engine::deps;

/// One request of the clean walk: the step it belongs to and how to hit exactly it again.
#[derive(Debug, Clone)]
pub struct Call {
    pub step: String,
    pub vendor: keyturn::sim::Vendor,
    pub method: String,
    /// An anchored regex for its path (ids generalised).
    pub pattern: String,
    /// Which match of `pattern` it is, from 1.
    pub nth: usize,
}

/// A fault class: what the broken request gets.
#[derive(Debug, Clone, Copy)]
pub struct Class {
    pub name: &'static str,
    pub action: fn() -> FaultAction,
    /// Matching requests it breaks (enough to exhaust the client's retries, or one).
    pub times: usize,
    /// The request reaches the vendor first; only the answer is broken.
    pub after: bool,
}

/// Every class of the issue, plus the answer-only variants for writes.
pub const CLASSES: &[Class] = &[
    class("401", || FaultAction::Status(401), 3, false),
    class("403", || FaultAction::Status(403), 3, false),
    class("404", || FaultAction::Status(404), 3, false),
    class(
        "429",
        || FaultAction::RateLimited {
            retry_after_secs: 0,
        },
        1,
        false,
    ),
    class("500", || FaultAction::Status(500), 3, false),
    class("transient-503", || FaultAction::Status(503), 1, false),
    class("hang", || FaultAction::Hang, 3, false),
    class("drop", || FaultAction::Drop, 3, false),
    class("malformed", || FaultAction::MalformedJson, 3, false),
    class("after-500", || FaultAction::Status(500), 1, true),
    class("after-drop", || FaultAction::Drop, 1, true),
    class("after-malformed", || FaultAction::MalformedJson, 1, true),
];

const fn class(
    name: &'static str,
    action: fn() -> FaultAction,
    times: usize,
    after: bool,
) -> Class {
    Class {
        name,
        action,
        times,
        after,
    }
}

/// Where each step began in the simulator's request log: (log length, step id).
pub type Marks = Arc<Mutex<Vec<(usize, String)>>>;

/// A runbook and the scenario it is walked in.
#[derive(Debug, Clone, Copy)]
pub struct Walk {
    pub scenario: Scenario,
    pub runbook: &'static str,
}

/// What one walk ended as.
pub struct Ended {
    pub outcome: Outcome,
    pub events: Vec<Event>,
}

/// The typed word for the revoke, as an operator passing `--confirm-irreversible` knows it.
fn word(pending: &Pending) -> Option<String> {
    match pending {
        Pending::Confirm {
            confirm: ConfirmPrompt::Typed(word),
            ..
        } => Some(word.clone()),
        _ => None,
    }
}

/// Drives `engine` as `keyturn run --yes --confirm-irreversible WORD` does.
pub async fn drive(engine: &mut Engine) -> Outcome {
    loop {
        let pending = engine.advance().await.unwrap();
        let command = match &pending {
            Pending::Finished(outcome) => return *outcome,
            Pending::Confirm { .. } => Command::Confirm {
                step: None,
                typed: word(&pending),
            },
            Pending::Failed { step, error, .. } if engine.can_roll_back() => {
                let _ = (step, error);
                Command::RollBack
            }
            Pending::Failed { step, error, .. } => Command::Stop {
                reason: format!("step {step} failed: {error}"),
            },
        };
        if let Err(err) = engine.command(command).await {
            engine
                .command(Command::Stop {
                    reason: format!("{err}"),
                })
                .await
                .unwrap();
        }
    }
}

/// A fresh simulator and an engine on `walk`, its files in `dir`, every request's step
/// recorded when `marks` is given.
pub async fn engine_for(
    walk: Walk,
    dir: &tempfile::TempDir,
    marks: Option<Marks>,
) -> (SimHandle, Engine) {
    let sim = super::start(walk.scenario).await;
    let journal =
        Journal::create(&dir.path().join("sessions"), &journal::new_session_id()).unwrap();
    let observer = marks.map(|marks| {
        let state = sim.state();
        let observer: keyturn::runbook::engine::Observer = Box::new(move |event: &Event| {
            if let EventKind::StepStarted { step, .. } = &event.kind {
                marks
                    .lock()
                    .unwrap()
                    .push((state.requests().len(), step.clone()));
            }
        });
        observer
    });
    let mut deps = deps(&sim, dir, journal, observer);
    deps.follow.interval = Duration::from_millis(20);
    let runbook = keyturn::runbook::loader::embedded()
        .unwrap()
        .into_iter()
        .find(|r| r.id() == walk.runbook)
        .unwrap();
    (sim, Engine::new(runbook, deps))
}

/// The clean walk's requests after the first audit, each with its step.
pub async fn calls(walk: Walk) -> Vec<Call> {
    let dir = tempfile::tempdir().unwrap();
    let marks = Arc::new(Mutex::new(Vec::new()));
    let (sim, mut engine) = engine_for(walk, &dir, Some(marks.clone())).await;
    assert_eq!(
        drive(&mut engine).await,
        Outcome::Completed,
        "clean walk of {walk:?}"
    );
    let log = sim.state().requests();
    let marks = marks.lock().unwrap().clone();
    let first = marks.first().map_or(log.len(), |(at, _)| *at);
    let mut seen: Vec<(keyturn::sim::Vendor, String, String)> = Vec::new();
    let mut calls = Vec::new();
    for (i, request) in log.iter().enumerate() {
        let pattern = pattern(&request.path);
        let key = (request.vendor, request.method.clone(), pattern.clone());
        let nth = seen.iter().filter(|k| **k == key).count() + 1;
        seen.push(key);
        if i < first || skip(request) {
            continue;
        }
        let step = marks
            .iter()
            .rev()
            .find(|(at, _)| *at <= i)
            .map_or_else(|| "(end)".to_owned(), |(_, s)| s.clone());
        calls.push(Call {
            step,
            vendor: request.vendor,
            method: request.method.clone(),
            pattern,
            nth,
        });
    }
    calls
}

/// Polls of a watched run repeat a varying number of times: one fault on the first poll
/// stands for all of them.
fn skip(request: &LoggedRequest) -> bool {
    request.method == "GET"
        && request.path.contains("/actions/runs/")
        && !request.path.ends_with("/jobs")
}

/// An anchored regex for `path` with uuids generalised (authorization ids differ per run).
fn pattern(path: &str) -> String {
    let uuid =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let escaped = regex::escape(path);
    format!("^{}$", uuid.replace_all(&escaped, "[0-9a-f-]{36}"))
}

/// The rule that breaks exactly `call` with `class`.
pub fn rule(call: &Call, class: &Class) -> FaultRule {
    let rule = FaultRule::new(
        call.vendor,
        Some(&call.method),
        &call.pattern,
        (class.action)(),
        class.times,
    )
    .unwrap()
    .at(call.nth);
    if class.after {
        rule.after_handling()
    } else {
        rule
    }
}

/// The stores' values before a walk: to tell "old" from "new" afterwards.
#[derive(Debug, Clone)]
pub struct Before {
    pub vault: String,
    pub authorizations: BTreeSet<String>,
    /// Each store's value at the start, and whether it validated then.
    pub stores: Vec<(String, Option<String>, bool)>,
}

pub fn before(state: &SimState) -> Before {
    Before {
        vault: state.vault_value().unwrap(),
        authorizations: state.authorizations().into_iter().map(|a| a.id).collect(),
        stores: stores(state)
            .into_iter()
            .map(|(store, value)| {
                let valid = value.as_deref().is_some_and(|v| state.token_is_valid(v));
                (store, value, valid)
            })
            .collect(),
    }
}

/// Every store's value now: vault, GitHub, each app.
pub fn stores(state: &SimState) -> Vec<(String, Option<String>)> {
    let key = "HEROKU_API_KEY";
    let mut stores = vec![
        ("vault".to_owned(), state.vault_value()),
        ("github".to_owned(), state.github_secret_value(key)),
    ];
    for app in state.app_names() {
        let value = state.app_config_var(&app, key);
        stores.push((app, value));
    }
    stores
}

/// DESIGN.md's invariants, read from the simulated stores. `cell` names the case.
pub fn assert_invariants(cell: &str, state: &SimState, before: &Before, ended: &Ended) {
    let stores = stores(state);
    // 1 and 6: every copy holds a token that validates — unless it still holds the dead
    // value it started with (a recovery that did not get that far broke nothing).
    for (store, value) in &stores {
        let untouched_dead = before
            .stores
            .iter()
            .any(|(s, v, valid)| s == store && v == value && !valid);
        let value = value.as_deref().unwrap_or("");
        assert!(
            untouched_dead || state.token_is_valid(value),
            "{cell}: {store} ends on a token that does not validate ({:?}) — {}",
            ended.outcome,
            last_words(ended)
        );
    }
    // 5: no authorization this session minted stays live unless a store holds its token.
    let held: BTreeSet<String> = stores.iter().filter_map(|(_, v)| v.clone()).collect();
    for a in state.authorizations() {
        let minted = !before.authorizations.contains(&a.id);
        assert!(
            !(minted && !a.revoked && !held.contains(&a.token)),
            "{cell}: minted authorization {} stays live and unused ({:?}) — {}",
            a.id,
            ended.outcome,
            last_words(ended)
        );
    }
    // A completed session is what it says.
    if ended.outcome == Outcome::Completed {
        let values: BTreeSet<&String> = held.iter().collect();
        assert_eq!(values.len(), 1, "{cell}: completed, but the copies differ");
    }
    // Every failure names a vendor (or the store a write could not be proven on).
    if ended.outcome != Outcome::Completed {
        let said = last_words(ended);
        let named = [
            "Heroku",
            "GitHub",
            "Infisical",
            "vault",
            "revoke",
            "not proven",
        ]
        .iter()
        .any(|v| said.contains(v));
        assert!(named, "{cell}: the end names no vendor or store: {said}");
    }
}

/// The failures and the end message, for assertion messages.
pub fn last_words(ended: &Ended) -> String {
    ended
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StepFailed { step, error, .. } => Some(format!("{step}: {error}")),
            EventKind::SessionFinished { message, .. } => Some(format!("end: {message}")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Runs one cell: `walk` with `call` broken by `class`; asserts the invariants, then
/// resumes a session that can go on (fault cleared) and asserts them again.
pub async fn cell(walk: Walk, call: &Call, class: &Class) {
    let name = format!(
        "{} / {} / {} {} #{} ({})",
        walk.runbook, call.step, call.method, call.pattern, call.nth, class.name
    );
    let dir = tempfile::tempdir().unwrap();
    let (sim, mut engine) = engine_for(walk, &dir, None).await;
    let before = before(&sim.state());
    sim.faults().add(rule(call, class));
    let outcome = tokio::time::timeout(Duration::from_secs(90), drive(&mut engine))
        .await
        .unwrap_or_else(|_| panic!("{name}: the walk never ended"));
    let path = engine.journal_path().to_owned();
    drop(engine);
    let ended = Ended {
        outcome,
        events: journal::read(&path).unwrap(),
    };
    assert_invariants(&name, &sim.state(), &before, &ended);
    if !matches!(outcome, Outcome::Failed | Outcome::Aborted) {
        return;
    }
    sim.faults().clear();
    let runbook = keyturn::runbook::loader::embedded()
        .unwrap()
        .into_iter()
        .find(|r| r.id() == walk.runbook)
        .unwrap();
    let events = journal::read(&path).unwrap();
    let journal = Journal::reopen(&path).unwrap();
    let mut resumed = Engine::resume(runbook, deps(&sim, &dir, journal, None), &events)
        .await
        .unwrap_or_else(|e| panic!("{name}: cannot resume a {outcome:?} session: {e}"));
    let outcome = drive(&mut resumed).await;
    drop(resumed);
    let ended = Ended {
        outcome,
        events: journal::read(&path).unwrap(),
    };
    assert_eq!(
        outcome,
        Outcome::Completed,
        "{name}: resumed without the fault, it did not complete: {}",
        last_words(&ended)
    );
    assert_invariants(&format!("{name}, resumed"), &sim.state(), &before, &ended);
}

/// Every cell of `walk` whose call matches `filter` (a step id), run a few at a time.
pub async fn run_walk(walk: Walk, steps: &[&str]) -> usize {
    use futures::StreamExt as _;
    let calls: Vec<Call> = calls(walk)
        .await
        .into_iter()
        .filter(|c| steps.is_empty() || steps.contains(&c.step.as_str()))
        .collect();
    assert!(!calls.is_empty(), "no calls for {steps:?} in {walk:?}");
    let matrix: Vec<(Call, Class)> = calls
        .iter()
        .flat_map(|call| {
            CLASSES
                .iter()
                .filter(move |class| !class.after || call.method != "GET")
                .map(move |class| (call.clone(), *class))
        })
        .collect();
    let count = matrix.len();
    futures::stream::iter(matrix)
        .for_each_concurrent(
            6,
            |(call, class)| async move { cell(walk, &call, &class).await },
        )
        .await;
    count
}
