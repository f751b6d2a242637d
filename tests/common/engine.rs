//! An engine wired to a fresh simulator, with its files in a temp dir, and a driver that
//! plays the operator.

use std::time::Duration;

use keyturn::runbook::engine::{
    Command, ConfirmPrompt, Engine, EngineDeps, MemoryClipboard, Observer, Pending,
};
use keyturn::runbook::loader;
use keyturn::runbook::{Origin, Runbook};
use keyturn::session::event::{Event, Outcome};
use keyturn::session::journal::{self, Journal};
use keyturn::sim::{Scenario, SimHandle, SimState};
use keyturn::vendors::Vendors;
use keyturn::vendors::github::FollowOptions;
use tempfile::TempDir;

use super::sim::fast_http;

pub struct Setup {
    pub sim: SimHandle,
    pub engine: Engine,
    pub dir: TempDir,
    pub clipboard: MemoryClipboard,
}

pub struct Options {
    pub dry_run: bool,
    pub github_write: Option<bool>,
}

pub const DEFAULT: Options = Options {
    dry_run: false,
    github_write: None,
};

/// The embedded runbook `id` against a fresh simulator in `scenario`.
pub async fn setup(scenario: Scenario, id: &str, options: Options) -> Setup {
    let runbook = loader::embedded()
        .unwrap()
        .into_iter()
        .find(|r| r.id() == id)
        .unwrap();
    setup_with(scenario, runbook, options).await
}

/// The shipped runbook `id`, as the binary embeds it.
pub fn embedded(id: &str) -> Runbook {
    loader::embedded()
        .unwrap()
        .into_iter()
        .find(|r| r.id() == id)
        .unwrap()
}

/// A runbook written by the test (TOML text).
pub fn runbook(text: &str) -> Runbook {
    loader::parse(text, std::path::Path::new("test.toml"), Origin::Embedded).unwrap()
}

/// A runbook the validator would refuse (hostile or incomplete), to prove the engine
/// refuses it on its own.
pub fn unchecked_runbook(text: &str) -> Runbook {
    loader::parse_unchecked(text, std::path::Path::new("hostile.toml"), Origin::Embedded).unwrap()
}

pub async fn setup_with(scenario: Scenario, runbook: Runbook, options: Options) -> Setup {
    let sim = super::start(scenario).await;
    let dir = tempfile::tempdir().unwrap();
    let journal =
        Journal::create(&dir.path().join("sessions"), &journal::new_session_id()).unwrap();
    let clipboard = MemoryClipboard::default();
    let mut deps = deps(&sim, &dir, journal, None);
    deps.clipboard = Box::new(clipboard.clone());
    deps.dry_run = options.dry_run;
    deps.github_write = options.github_write;
    Setup {
        sim,
        engine: Engine::new(runbook, deps),
        dir,
        clipboard,
    }
}

/// What an engine against `sim` needs, its files in `dir` (the same every time, so a
/// resumed engine finds what the first one wrote).
pub fn deps(
    sim: &SimHandle,
    dir: &TempDir,
    journal: Journal,
    observer: Option<Observer>,
) -> EngineDeps {
    let mut config = sim.config();
    config.postmortem.dir = dir.path().join("postmortems");
    config.audit.path = dir.path().join("audit.jsonl");
    let vendors = std::sync::Arc::new(
        Vendors::connect_with(&config, &sim.keyturn_credentials(), &fast_http()).unwrap(),
    );
    EngineDeps {
        config,
        vendors,
        clipboard: Box::new(MemoryClipboard::default()),
        journal,
        dry_run: false,
        actor: Some("ops@example.com".into()),
        github_write: None,
        observer,
        follow: FollowOptions {
            interval: Duration::from_millis(50),
            ..FollowOptions::default()
        },
    }
}

/// Confirms every step (typed ones with their word) until the engine stops; returns the
/// last pending state (Finished or Failed).
pub async fn confirm_all(engine: &mut Engine) -> Pending {
    loop {
        let pending = engine.advance().await.unwrap();
        let typed = match &pending {
            Pending::Confirm {
                confirm: ConfirmPrompt::Typed(word),
                ..
            } => Some(word.clone()),
            Pending::Confirm { .. } => None,
            _ => return pending,
        };
        engine
            .command(Command::Confirm { step: None, typed })
            .await
            .unwrap();
    }
}

/// Runs until the step `id` asks for confirmation.
pub async fn until_step(engine: &mut Engine, id: &str) -> Pending {
    loop {
        let pending = engine.advance().await.unwrap();
        match &pending {
            Pending::Confirm { step, .. } if step == id => return pending,
            Pending::Confirm { .. } => engine
                .command(Command::Confirm {
                    step: None,
                    typed: None,
                })
                .await
                .unwrap(),
            _ => panic!("never reached {id}: {pending:?}"),
        }
    }
}

pub fn events(setup: &Setup) -> Vec<Event> {
    journal::read(setup.engine.journal_path()).unwrap()
}

/// Every token the simulator knows never appears in the journal.
pub fn assert_no_token_in_journal(setup: &Setup) {
    let text = std::fs::read_to_string(setup.engine.journal_path()).unwrap();
    for a in setup.sim.state().authorizations() {
        assert!(!text.contains(&a.token), "token leaked into the journal");
    }
}

pub fn finished(pending: &Pending) -> Outcome {
    match pending {
        Pending::Finished(outcome) => *outcome,
        other => panic!("not finished: {other:?}"),
    }
}

/// The vault, the GitHub secret and every app's config var all hold `value`.
pub fn assert_every_copy_is(state: &SimState, value: &str) {
    let key = "HEROKU_API_KEY";
    assert_eq!(state.vault_value().as_deref(), Some(value), "vault");
    assert_eq!(
        state.github_secret_value(key).as_deref(),
        Some(value),
        "GitHub"
    );
    for app in state.app_names() {
        assert_eq!(
            state.app_config_var(&app, key).as_deref(),
            Some(value),
            "{app}"
        );
    }
}
