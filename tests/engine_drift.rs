#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Drift recovery walked by the engine against the simulator, asserting the stores after.

mod common;

use common::engine::{
    DEFAULT, Options, assert_every_copy_is, assert_no_token_in_journal, confirm_all, events,
    finished, setup, until_step,
};
use keyturn::runbook::engine::{Command, Pending};
use keyturn::session::event::{EventKind, Outcome};
use keyturn::sim::{Scenario, SimState};

const KEY: &str = "HEROKU_API_KEY";

fn assert_all_equal_vault(state: &SimState) {
    let vault = state.vault_value().unwrap();
    assert!(state.token_is_valid(&vault));
    assert_every_copy_is(state, &vault);
}

#[tokio::test]
async fn github_stale_path_b_syncs_every_copy_and_writes_the_postmortem() {
    let mut s = setup(Scenario::GithubStale, "heroku-key-drift-recovery", DEFAULT).await;
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    assert_all_equal_vault(&s.sim.state());
    let pm = std::fs::read_dir(s.dir.path().join("postmortems"))
        .unwrap()
        .count();
    assert_eq!(pm, 1);
    assert_no_token_in_journal(&s);
}

#[tokio::test]
async fn app_stale_writes_exactly_the_stale_apps() {
    let mut s = setup(Scenario::AppStale, "heroku-key-drift-recovery", DEFAULT).await;
    let before: Vec<_> = s
        .sim
        .state()
        .app_names()
        .iter()
        .map(|a| s.sim.state().app_releases(a).len())
        .collect();
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let state = s.sim.state();
    assert_all_equal_vault(&state);
    let after: Vec<_> = state
        .app_names()
        .iter()
        .map(|a| state.app_releases(a).len())
        .collect();
    let changed = before.iter().zip(&after).filter(|(b, a)| b != a).count();
    assert_eq!(changed, 2, "only the two stale apps get a release");
    assert_no_token_in_journal(&s);
    // GitHub was not written, and the verify step's probe proved what it holds: the end
    // message says so instead of "unknown".
    let end = events(&s)
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::SessionFinished { message, .. } => Some(message.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        end.contains("GitHub secret: not changed by this session; probe run")
            && end.contains("holds the vault's value"),
        "{end}"
    );
}

#[tokio::test]
async fn vault_stale_writes_the_live_copy_back_to_the_vault() {
    let mut s = setup(Scenario::VaultStale, "heroku-key-drift-recovery", DEFAULT).await;
    let stale_value = s.sim.state().vault_value().unwrap();
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let state = s.sim.state();
    assert_ne!(state.vault_value().unwrap(), stale_value);
    assert_all_equal_vault(&state);
    assert_no_token_in_journal(&s);
}

#[tokio::test]
async fn nothing_valid_stops_and_points_to_rotation_without_writing() {
    let mut s = setup(Scenario::AllInvalid, "heroku-key-drift-recovery", DEFAULT).await;
    let vault = s.sim.state().vault_value();
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Stopped
    );
    assert_eq!(s.sim.state().vault_value(), vault);
    let text = std::fs::read_to_string(s.engine.journal_path()).unwrap();
    assert!(text.contains("heroku-token-rotation"));
}

#[tokio::test]
async fn in_sync_stops_with_nothing_to_do() {
    let mut s = setup(Scenario::InSync, "heroku-key-drift-recovery", DEFAULT).await;
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Stopped
    );
    assert_all_equal_vault(&s.sim.state());
}

#[tokio::test]
async fn path_a_operator_pastes_from_the_clipboard() {
    let options = Options {
        dry_run: false,
        github_write: Some(false),
    };
    let mut s = setup(Scenario::GithubStale, "heroku-key-drift-recovery", options).await;
    until_step(&mut s.engine, "path_a_copy").await;
    s.engine
        .command(Command::Confirm {
            step: None,
            typed: None,
        })
        .await
        .unwrap();
    let Pending::Confirm { step, .. } = s.engine.advance().await.unwrap() else {
        panic!()
    };
    assert_eq!(step, "path_a_paste");
    let copied = s.clipboard.contents().unwrap();
    assert_eq!(Some(copied.clone()), s.sim.state().vault_value());
    s.sim.state().set_github_secret(KEY, &copied);
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    assert_all_equal_vault(&s.sim.state());
    assert_no_token_in_journal(&s);
}

/// A wrong paste (the operator pasted another value) makes the re-run deploy fail; the
/// failure offers the way back to the copy step, and the right paste then completes.
#[tokio::test]
async fn a_wrong_paste_goes_back_to_the_copy_step_and_the_right_one_completes() {
    let options = Options {
        dry_run: false,
        github_write: Some(false),
    };
    let mut s = setup(Scenario::GithubStale, "heroku-key-drift-recovery", options).await;
    until_step(&mut s.engine, "path_a_copy").await;
    let confirm = Command::Confirm {
        step: None,
        typed: None,
    };
    s.engine.command(confirm.clone()).await.unwrap();
    until_step(&mut s.engine, "path_a_paste").await;
    s.sim
        .state()
        .set_github_secret(KEY, "HRKU-AAAAAAAA-not-the-vault-value-0000000000");
    s.engine.command(confirm.clone()).await.unwrap();
    let Pending::Failed { step, back, .. } = s.engine.advance().await.unwrap() else {
        panic!("the deploy fails on the wrong value")
    };
    assert_eq!(step, "path_a_rerun_deploy");
    let back = back.expect("the failure offers the way back");
    assert_eq!(back.step, "path_a_copy");
    assert!(back.title.starts_with("Path A: copy"), "{}", back.title);
    s.engine.command(Command::Back).await.unwrap();
    let Pending::Confirm { step, .. } = s.engine.advance().await.unwrap() else {
        panic!("back at the copy step")
    };
    assert_eq!(step, "path_a_copy");
    s.engine.command(confirm.clone()).await.unwrap();
    until_step(&mut s.engine, "path_a_paste").await;
    let right = s.clipboard.contents().unwrap();
    // GitHub's updated_at has whole seconds: a paste in the same second as the wrong one
    // cannot be told from it (keyturn then refuses, rightly). An operator takes longer.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    s.sim.state().set_github_secret(KEY, &right);
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    assert_all_equal_vault(&s.sim.state());
    let walked_back = events(&s)
        .iter()
        .any(|e| matches!(&e.kind, EventKind::WalkedBack { to, .. } if to == "path_a_copy"));
    assert!(walked_back, "the way back is journaled");
    assert_no_token_in_journal(&s);
}

/// The way back is journaled: a process that dies right after it resumes at the copy step,
/// not at the failed deploy.
#[tokio::test]
async fn a_session_killed_after_going_back_resumes_at_the_copy_step() {
    let options = Options {
        dry_run: false,
        github_write: Some(false),
    };
    let mut s = setup(Scenario::GithubStale, "heroku-key-drift-recovery", options).await;
    let confirm = Command::Confirm {
        step: None,
        typed: None,
    };
    until_step(&mut s.engine, "path_a_copy").await;
    s.engine.command(confirm.clone()).await.unwrap();
    until_step(&mut s.engine, "path_a_paste").await;
    s.sim
        .state()
        .set_github_secret(KEY, "HRKU-AAAAAAAA-not-the-vault-value-0000000000");
    s.engine.command(confirm).await.unwrap();
    assert!(matches!(
        s.engine.advance().await.unwrap(),
        Pending::Failed { back: Some(_), .. }
    ));
    s.engine.command(Command::Back).await.unwrap();
    let runbook = s.engine.runbook().clone();
    let mut resumed = common::crash::resume(&s.sim, &s.dir, runbook)
        .await
        .unwrap();
    let Pending::Confirm { step, .. } = resumed.advance().await.unwrap() else {
        panic!("the resumed session waits")
    };
    assert_eq!(step, "path_a_copy");
}

/// Without a paste of this session (Path B wrote GitHub), a failed verify deploy does not
/// offer a way back to a copy step that never ran.
#[tokio::test]
async fn no_way_back_to_a_step_that_did_not_run() {
    let mut s = setup(Scenario::GithubStale, "heroku-key-drift-recovery", DEFAULT).await;
    let rule = keyturn::sim::FaultRule::parse_spec(
        "github:POST:^/repos/[^/]+/[^/]+/actions/workflows/.*/dispatches=500x50",
    )
    .unwrap();
    until_step(&mut s.engine, "path_b_write_secret").await;
    s.sim.faults().add(rule);
    let Pending::Failed { step, back, .. } = confirm_all(&mut s.engine).await else {
        panic!("the dispatch fails")
    };
    assert_eq!(step, "verify_deploy");
    assert_eq!(back, None);
    assert!(s.engine.command(Command::Back).await.is_err());
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let options = Options {
        dry_run: true,
        github_write: None,
    };
    let mut s = setup(Scenario::AppStale, "heroku-key-drift-recovery", options).await;
    let state = s.sim.state();
    let apps: Vec<_> = state
        .app_names()
        .iter()
        .map(|a| state.app_config_var(a, KEY))
        .collect();
    let skip = state.requests().len();
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let after: Vec<_> = state
        .app_names()
        .iter()
        .map(|a| state.app_config_var(a, KEY))
        .collect();
    assert_eq!(apps, after);
    let writes: Vec<_> = state.requests()[skip..]
        .iter()
        .filter(|r| r.method != "GET" && !r.path.contains("login"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    let events = common::engine::events(&s);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::SecretWritten { .. }))
    );
}

#[tokio::test]
async fn operator_skip_is_journaled_with_its_reason_and_notes_are_kept() {
    let mut s = setup(Scenario::AppStale, "heroku-key-drift-recovery", DEFAULT).await;
    let stale = s.sim.state().app_config_var("raxx-console-staging", KEY);
    until_step(&mut s.engine, "apps_stale_set_config").await;
    let note = Command::Note {
        kind: keyturn::session::event::NoteKind::RootCause,
        text: "dashboard rotation".into(),
    };
    s.engine.command(note).await.unwrap();
    let skip = Command::Skip {
        reason: "change freeze".into(),
    };
    s.engine.command(skip).await.unwrap();
    s.engine.command(Command::Abort).await.unwrap();
    assert_eq!(
        finished(&s.engine.advance().await.unwrap()),
        Outcome::Aborted
    );
    assert_eq!(
        s.sim.state().app_config_var("raxx-console-staging", KEY),
        stale
    );
    let events = common::engine::events(&s);
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::StepSkipped { by_operator: true, reason, .. } if reason == "change freeze"
    )));
    assert!(events.iter().any(
        |e| matches!(&e.kind, EventKind::OperatorNote { text, .. } if text == "dashboard rotation")
    ));
}

#[tokio::test]
async fn a_stop_on_an_unreadable_copy_names_that_copy() {
    let s = setup(Scenario::GithubStale, "heroku-key-drift-recovery", DEFAULT).await;
    let rule =
        keyturn::sim::FaultRule::parse_spec("heroku:GET:/apps/raxx-api-prod/config-vars=503x50")
            .unwrap();
    s.sim.faults().add(rule);
    let mut s = s;
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Stopped
    );
    let message = events(&s)
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::SessionFinished { message, .. } => Some(message),
            _ => None,
        })
        .unwrap();
    assert!(message.contains("(Heroku app raxx-api-prod: "), "{message}");
    assert!(!message.contains("{unobserved}"), "{message}");
}
