#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One regression test per defect of the issue "Safety under faults", each asserting the
//! end state by reading the simulated stores. The fault matrix (`fault_matrix.rs`) covers
//! every call × fault class; these pin the exact cases that were found broken.

mod common;

use common::engine::{DEFAULT, Options, events, finished, setup, setup_with, until_step};
use common::matrix::{drive, stores};
use keyturn::runbook::engine::{Command, Pending};
use keyturn::session::event::{EventKind, Outcome};
use keyturn::sim::{FaultRule, Scenario, SimState};

const ROTATION: &str = "heroku-token-rotation";
const DRIFT: &str = "heroku-key-drift-recovery";

fn fault(s: &common::engine::Setup, spec: &str) {
    s.sim.faults().add(FaultRule::parse_spec(spec).unwrap());
}

fn end_message(s: &common::engine::Setup) -> String {
    events(s)
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::SessionFinished { message, .. } => Some(message.clone()),
            _ => None,
        })
        .unwrap()
}

/// Every store holds `value`, and it validates.
fn all_on(state: &SimState, value: &str) {
    for (store, held) in stores(state) {
        assert_eq!(held.as_deref(), Some(value), "{store}");
    }
    assert!(state.token_is_valid(value));
}

fn live_minted(state: &SimState, before: usize) -> Vec<String> {
    state
        .authorizations()
        .into_iter()
        .skip(before)
        .filter(|a| !a.revoked)
        .map(|a| a.token)
        .collect()
}

/// 1. The DELETE succeeded, then the old token's `GET /account` cannot be read: nothing is
/// rolled back onto the revoked token; the session ends "proof pending" on the new token.
#[tokio::test]
async fn a_failed_401_proof_after_the_revoke_never_rolls_back_onto_the_old_token() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    let old = s.sim.state().vault_value().unwrap();
    let Pending::Confirm { .. } = until_step(&mut s.engine, "revoke_old").await else {
        unreachable!()
    };
    fault(&s, "heroku:GET:^/account$=500x100");
    let outcome = drive(&mut s.engine).await;
    s.sim.faults().clear();
    let state = s.sim.state();
    let new = state.vault_value().unwrap();
    assert_ne!(new, old);
    assert!(!state.token_is_valid(&old), "the revoke went through");
    all_on(&state, &new);
    assert_eq!(outcome, Outcome::Completed);
    let message = end_message(&s);
    let summary = events(&s).iter().find_map(|e| match &e.kind {
        EventKind::StepSucceeded { step, summary, .. } if step == "revoke_old" => {
            Some(summary.clone())
        }
        _ => None,
    });
    let summary = summary.unwrap();
    assert!(summary.contains("proof pending"), "{summary}");
    assert!(summary.contains("heroku authorizations:info"), "{summary}");
    assert!(
        !events(&s)
            .iter()
            .any(|e| matches!(e.kind, EventKind::RollbackStarted)),
        "{message}"
    );
}

/// 1b. A rollback asked for after the revoke request went out is refused, whatever the
/// DELETE answered.
#[tokio::test]
async fn no_rollback_once_a_revoke_request_was_sent() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    let Pending::Confirm { confirm, .. } = until_step(&mut s.engine, "revoke_old").await else {
        unreachable!()
    };
    let keyturn::runbook::engine::ConfirmPrompt::Typed(word) = confirm else {
        panic!("the revoke asks for its word")
    };
    fault(&s, "heroku:DELETE:^/oauth/authorizations/=after-500x3");
    s.engine
        .command(Command::Confirm {
            step: None,
            typed: Some(word),
        })
        .await
        .unwrap();
    let Pending::Failed { error, .. } = s.engine.advance().await.unwrap() else {
        panic!("the revoke's answer was lost")
    };
    assert!(error.contains("may already be dead"), "{error}");
    let refused = s.engine.command(Command::RollBack).await.unwrap_err();
    assert!(refused.to_string().contains("revoke request"), "{refused}");
    assert!(!s.engine.can_roll_back());
    let new = s.sim.state().vault_value().unwrap();
    all_on(&s.sim.state(), &new);
}

/// 2. A GitHub PUT answered 200 with a malformed body never happened: the write is not
/// proven, the rotation is rolled back and the old token is not revoked.
#[tokio::test]
async fn an_unproven_github_write_is_a_failed_step_not_done() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    let old = s.sim.state().vault_value().unwrap();
    let updated = s.sim.state().github_secret_updated_at("HEROKU_API_KEY");
    fault(
        &s,
        "github:PUT:/actions/secrets/HEROKU_API_KEY$=malformedx5",
    );
    let outcome = drive(&mut s.engine).await;
    let state = s.sim.state();
    assert_ne!(outcome, Outcome::Completed);
    assert_eq!(
        state.github_secret_updated_at("HEROKU_API_KEY"),
        updated,
        "the PUT never happened"
    );
    assert!(state.token_is_valid(&old), "the old token was not revoked");
    all_on(&state, &old);
    assert!(
        live_minted(&state, 2).is_empty(),
        "the new authorization was revoked"
    );
}

const HEAD: &str = r#"
id = "hostile"
title = "t"
secret = "{secret}"
[[step]]
id = "precheck"
title = "pre"
action = "list_authorizations"
params = { identify = "vault-token" }
outputs = ["old_authorization_id", "old_description"]
[[step]]
id = "create"
title = "create"
action = "create_authorization"
params = { description = "hostile-{date}" }
outputs = ["new_authorization_id", "new_description"]
[[step]]
id = "validate"
title = "v"
action = "validate_token"
params = { source = "new" }
"#;

const VAULT: &str = r#"
[[step]]
id = "store"
title = "store"
action = "write_vault"
params = { source = "new" }
"#;

const REVOKE_TYPED: &str = r#"
[[step]]
id = "revoke"
title = "revoke"
action = "revoke_authorization"
params = { authorization_id = "{steps.precheck.old_authorization_id}" }
confirm = { typed = "{steps.precheck.old_description}" }
point_of_no_return = true
"#;

const REVOKE_NONE: &str = r#"
[[step]]
id = "revoke"
title = "revoke"
action = "revoke_authorization"
params = { authorization_id = "{steps.precheck.old_authorization_id}" }
confirm = "none"
"#;

/// The three hostile runbooks of the issue.
fn hostile() -> Vec<(&'static str, String)> {
    vec![
        (
            "revoke right after the vault write",
            format!("{HEAD}{VAULT}{REVOKE_TYPED}"),
        ),
        ("no consumer steps at all", format!("{HEAD}{REVOKE_TYPED}")),
        (
            "confirm = none on the revoke",
            format!("{HEAD}{VAULT}{REVOKE_NONE}"),
        ),
    ]
}

/// 3. `keyturn runbooks validate` reports each as an error with `file:line`.
#[test]
fn hostile_runbooks_are_refused_by_validate_with_file_and_line() {
    for (what, text) in hostile() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hostile.toml");
        std::fs::write(&file, &text).unwrap();
        let out = assert_cmd::Command::cargo_bin("keyturn")
            .unwrap()
            .args(["runbooks", "validate", file.to_str().unwrap()])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: accepted\n{said}");
        assert!(
            said.contains("hostile.toml:"),
            "{what}: no file:line\n{said}"
        );
        assert!(
            said.contains("revokes") || said.contains("confirmation"),
            "{what}: {said}"
        );
    }
}

/// 3b. The engine refuses them on its own: the old authorization stays live, every store
/// keeps a valid token, no "completed" audit line.
#[tokio::test]
async fn hostile_runbooks_are_refused_by_the_engine() {
    for (what, text) in hostile() {
        let runbook = common::engine::unchecked_runbook(&text);
        let mut s = setup_with(Scenario::InSync, runbook, DEFAULT).await;
        let old = s.sim.state().vault_value().unwrap();
        let outcome = drive(&mut s.engine).await;
        let state = s.sim.state();
        assert!(
            state.token_is_valid(&old),
            "{what}: the old token was revoked"
        );
        for (store, held) in stores(&state) {
            assert!(
                state.token_is_valid(held.as_deref().unwrap_or("")),
                "{what}: {store}"
            );
        }
        assert_ne!(outcome, Outcome::Completed, "{what}");
        let audit = std::fs::read_to_string(s.dir.path().join("audit.jsonl")).unwrap_or_default();
        assert!(!audit.contains("secret.rotate.completed"), "{what}");
    }
}

/// 3c. `confirm = "none"` does not take the typed word away.
#[tokio::test]
async fn the_revoke_always_asks_for_its_typed_word() {
    let runbook = common::engine::unchecked_runbook(&format!("{HEAD}{VAULT}{REVOKE_NONE}"));
    let mut s = setup_with(Scenario::InSync, runbook, DEFAULT).await;
    let pending = loop {
        match s.engine.advance().await.unwrap() {
            p @ Pending::Confirm {
                confirm: keyturn::runbook::engine::ConfirmPrompt::Typed(_),
                ..
            } => break p,
            Pending::Confirm { .. } => s
                .engine
                .command(Command::Confirm {
                    step: None,
                    typed: None,
                })
                .await
                .unwrap(),
            other => panic!("never asked for the word: {other:?}"),
        }
    };
    let Pending::Confirm { step, .. } = pending else {
        unreachable!()
    };
    assert_eq!(step, "revoke");
}

/// 4. A failure before the vault holds the new token revokes the session's own new
/// authorization, and says so.
#[tokio::test]
async fn a_failed_rotation_revokes_its_unused_new_authorization() {
    for spec in [
        "heroku:GET:^/apps/raxx-console-prod/config-vars$=401x3@2",
        "infisical:PATCH:^/api/v3/secrets/raw/HEROKU_API_KEY$=500x5",
    ] {
        let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
        let old = s.sim.state().vault_value().unwrap();
        let before = s.sim.state().authorizations().len();
        fault(&s, spec);
        let outcome = drive(&mut s.engine).await;
        let state = s.sim.state();
        assert_ne!(outcome, Outcome::Completed, "{spec}");
        assert!(
            live_minted(&state, before).is_empty(),
            "{spec}: the new authorization is live"
        );
        all_on(&state, &old);
        let message = end_message(&s);
        assert!(
            message.contains("revoked this session's new authorization"),
            "{spec}: {message}"
        );
    }
}

/// 4b. Rolled back from the operator's side (the TUI's `b`), the same.
#[tokio::test]
async fn a_rollback_revokes_the_new_authorization() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    let old = s.sim.state().vault_value().unwrap();
    until_step(&mut s.engine, "revoke_old").await;
    s.engine.command(Command::RollBack).await.unwrap();
    assert_eq!(
        finished(&s.engine.advance().await.unwrap()),
        Outcome::RolledBack
    );
    let state = s.sim.state();
    all_on(&state, &old);
    assert!(live_minted(&state, 2).is_empty());
    assert!(end_message(&s).contains("revoked this session's new authorization"));
}

/// 5. Nothing valid: the rotation mints, stores, spreads and verifies; the revoke is
/// skipped without a typed word; the audit line is written.
#[tokio::test]
async fn the_rotation_recovers_when_nothing_is_valid() {
    let mut s = setup(Scenario::AllInvalid, ROTATION, DEFAULT).await;
    let mut asked_words = 0;
    let outcome = loop {
        match s.engine.advance().await.unwrap() {
            Pending::Finished(outcome) => break outcome,
            Pending::Confirm { confirm, .. } => {
                if matches!(confirm, keyturn::runbook::engine::ConfirmPrompt::Typed(_)) {
                    asked_words += 1;
                }
                s.engine
                    .command(Command::Confirm {
                        step: None,
                        typed: None,
                    })
                    .await
                    .unwrap();
            }
            Pending::Failed { step, error, .. } => panic!("{step}: {error}"),
        }
    };
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(asked_words, 0, "no typed word: nothing to revoke");
    let state = s.sim.state();
    let new = state.vault_value().unwrap();
    all_on(&state, &new);
    let skipped = events(&s).iter().any(|e| {
        matches!(&e.kind, EventKind::StepSkipped { step, reason, .. }
            if step == "revoke_old" && reason.contains("already rejected"))
    });
    assert!(skipped);
    let audit = std::fs::read_to_string(s.dir.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("secret.rotate.completed"), "{audit}");
}

/// 6a. GitHub failing under `--yes` says what failed and rolls back; never "aborted by
/// the operator".
#[tokio::test]
async fn a_github_failure_under_yes_names_github_and_rolls_back() {
    for spec in [
        "github:GET:/actions/secrets/public-key$=403x10",
        "github:PUT:/actions/secrets/HEROKU_API_KEY$=500x10",
        "github:PUT:/actions/secrets/HEROKU_API_KEY$=dropx10",
    ] {
        let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
        let old = s.sim.state().vault_value().unwrap();
        fault(&s, spec);
        let outcome = drive(&mut s.engine).await;
        s.sim.faults().clear();
        let message = end_message(&s);
        assert_eq!(outcome, Outcome::RolledBack, "{spec}: {message}");
        assert!(!message.contains("aborted by the operator"), "{message}");
        let failed = events(&s).iter().find_map(|e| match &e.kind {
            EventKind::StepFailed { error, .. } => Some(error.clone()),
            _ => None,
        });
        assert!(failed.unwrap().contains("GitHub"), "{spec}");
        all_on(&s.sim.state(), &old);
    }
}

/// 6b. A postmortem that cannot be written never undoes a recovery.
#[tokio::test]
async fn a_postmortem_failure_is_reported_and_never_undoes_the_recovery() {
    let mut s = setup(Scenario::GithubStale, DRIFT, DEFAULT).await;
    let folder = s.engine.config().postmortem.dir.clone();
    std::fs::create_dir_all(folder.parent().unwrap()).unwrap();
    std::fs::write(&folder, "a file where the folder should be").unwrap();
    let outcome = drive(&mut s.engine).await;
    assert_eq!(outcome, Outcome::Completed);
    let vault = s.sim.state().vault_value().unwrap();
    all_on(&s.sim.state(), &vault);
    let message = end_message(&s);
    assert!(message.contains("postmortem"), "{message}");
    assert!(message.contains("keyturn postmortem"), "{message}");
}

/// 6c. A rollback rewrites only what this session changed: a GitHub secret the session
/// never wrote is not PUT.
#[tokio::test]
async fn a_rollback_leaves_an_unchanged_github_secret_alone() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    until_step(&mut s.engine, "propagate_github").await;
    let puts_before = puts(&s.sim.state());
    s.engine.command(Command::RollBack).await.unwrap();
    assert_eq!(
        finished(&s.engine.advance().await.unwrap()),
        Outcome::RolledBack
    );
    assert_eq!(puts(&s.sim.state()), puts_before, "GitHub was not written");
    let message = end_message(&s);
    assert!(
        message.contains("GitHub secret: not changed by this session"),
        "{message}"
    );
}

fn puts(state: &SimState) -> usize {
    state
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/actions/secrets/"))
        .count()
}

/// 6d. Without GitHub write access a pasted GitHub secret cannot be reverted: the end
/// says to paste the previous value by hand, never that GitHub was rolled back.
#[tokio::test]
async fn a_rollback_after_a_manual_paste_says_github_is_by_hand() {
    let options = Options {
        dry_run: false,
        github_write: Some(false),
    };
    let mut s = setup(Scenario::InSync, ROTATION, options).await;
    until_step(&mut s.engine, "propagate_github_paste").await;
    // The operator pastes something (wrong) on GitHub's page.
    s.sim
        .state()
        .set_github_secret("HEROKU_API_KEY", "HRKU-pasted-by-mistake");
    s.engine
        .command(Command::Confirm {
            step: None,
            typed: None,
        })
        .await
        .unwrap();
    // The wrong paste fails the verify deploy: the operator rolls back there.
    let failed = loop {
        match s.engine.advance().await.unwrap() {
            Pending::Confirm { .. } => s
                .engine
                .command(Command::Confirm {
                    step: None,
                    typed: None,
                })
                .await
                .unwrap(),
            other => break other,
        }
    };
    assert!(
        matches!(&failed, Pending::Failed { step, .. } if step == "verify_workflow"),
        "{failed:?}"
    );
    s.engine.command(Command::RollBack).await.unwrap();
    assert_eq!(
        finished(&s.engine.advance().await.unwrap()),
        Outcome::RolledBack
    );
    let message = end_message(&s);
    assert!(
        message.contains("by hand") && message.contains("GitHub secret"),
        "{message}"
    );
}

/// 7. A second operator's session (another sessions folder, so no shared lock) refuses to
/// mint while the first rotation is in flight, naming it.
#[tokio::test]
async fn a_rotation_in_flight_is_seen_from_another_session() {
    let mut a = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    until_step(&mut a.engine, "propagate_heroku").await;
    let session_a = keyturn::session::journal::session_of(a.engine.journal_path());
    // Operator B: same simulated vendors, its own files.
    let dir = tempfile::tempdir().unwrap();
    let journal = keyturn::session::journal::Journal::create(
        &dir.path().join("sessions"),
        &keyturn::session::journal::new_session_id(),
    )
    .unwrap();
    let runbook = common::engine::embedded(ROTATION);
    let deps = common::engine::deps(&a.sim, &dir, journal, None);
    let mut b = keyturn::runbook::engine::Engine::new(runbook, deps);
    let minted = a.sim.state().authorizations().len();
    let Pending::Failed { error, .. } = b.advance().await.unwrap() else {
        panic!("B went on")
    };
    assert!(
        error.contains("in flight") && error.contains(&session_a),
        "{error}"
    );
    assert_eq!(
        a.sim.state().authorizations().len(),
        minted,
        "B minted nothing"
    );
    // A goes on to the end; its mark is cleared, so a later rotation may start.
    assert_eq!(drive(&mut a.engine).await, Outcome::Completed);
    let marked = a
        .sim
        .state()
        .authorizations()
        .into_iter()
        .filter(|x| !x.revoked && x.description.contains("[keyturn"))
        .count();
    assert_eq!(marked, 0, "the pending mark is cleared at the end");
}

/// 7b. A rollback does not restore over another session's vault write.
#[tokio::test]
async fn a_rollback_never_restores_over_someone_elses_vault_write() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    until_step(&mut s.engine, "propagate_heroku").await;
    let theirs = "HRKU-someone-elses-token-0000";
    s.sim.state().set_vault_value(theirs);
    s.engine.command(Command::RollBack).await.unwrap();
    let _ = s.engine.advance().await.unwrap();
    assert_eq!(s.sim.state().vault_value().as_deref(), Some(theirs));
    let message = end_message(&s);
    assert!(message.contains("outside this session"), "{message}");
}

/// The operator's skip of a copy counts for the revoke's rule in a resumed session too:
/// the skip is journaled with the stores it covers, so a process killed after it resumes
/// with the skip in its ledger (before, the resumed revoke was refused for a GitHub copy
/// "neither proven nor skipped").
#[tokio::test]
async fn an_operators_skip_survives_a_kill_and_a_resume() {
    use common::crash::{doomed, kill_switch, resume, step_done, until_killed};
    let sim = common::start(Scenario::InSync).await;
    let dir = tempfile::tempdir().unwrap();
    let runbook = common::engine::embedded(ROTATION);
    let mut engine = doomed(
        &sim,
        &dir,
        runbook.clone(),
        kill_switch(step_done("propagate_github")),
    );
    until_killed(async {
        loop {
            let command = match engine.advance().await.unwrap() {
                Pending::Confirm { step, .. } if step == "propagate_github" => Command::Skip {
                    reason: "the CI copy is handled by the platform team".into(),
                },
                Pending::Confirm { .. } => Command::Confirm {
                    step: None,
                    typed: None,
                },
                other => return other,
            };
            engine.command(command).await.unwrap();
        }
    })
    .await;
    let old_github = sim.state().github_secret_value("HEROKU_API_KEY");
    let mut resumed = resume(&sim, &dir, runbook).await.unwrap();
    let pending = common::engine::confirm_all(&mut resumed).await;
    assert_eq!(finished(&pending), Outcome::Completed, "{pending:?}");
    let state = sim.state();
    assert_eq!(
        state.github_secret_value("HEROKU_API_KEY"),
        old_github,
        "the skipped copy was left alone"
    );
    let new = state.vault_value().unwrap();
    for app in state.app_names() {
        assert_eq!(
            state.app_config_var(&app, "HEROKU_API_KEY"),
            Some(new.clone())
        );
    }
}

/// A confirmation names the step the operator saw: one meant for another step (a stale
/// dialog, a key pressed again while a step ran and queued behind it) is refused and runs
/// nothing, so no write is ever confirmed without its preview having been shown.
#[tokio::test]
async fn a_confirmation_meant_for_another_step_runs_nothing() {
    let mut s = setup(Scenario::GithubStale, DRIFT, DEFAULT).await;
    until_step(&mut s.engine, "path_b_write_secret").await;
    let before = s.sim.state().github_secret_value("HEROKU_API_KEY");
    let stale = Command::Confirm {
        step: Some("confirm_source_of_truth".into()),
        typed: None,
    };
    let err = s.engine.command(stale).await.unwrap_err().to_string();
    assert!(err.contains("confirm_source_of_truth"), "{err}");
    assert!(err.contains("path_b_write_secret"), "{err}");
    assert_eq!(s.sim.state().github_secret_value("HEROKU_API_KEY"), before);
    let Pending::Confirm { step, .. } = s.engine.advance().await.unwrap() else {
        panic!("still waiting")
    };
    assert_eq!(step, "path_b_write_secret");
}
