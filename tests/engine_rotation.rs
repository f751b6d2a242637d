#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Rotation walked by the engine against the simulator: the full walk, rollback before
//! revocation, and the safety rules refusing.

mod common;

use common::engine::{
    DEFAULT, assert_every_copy_is, assert_no_token_in_journal, confirm_all, finished, setup,
    setup_with, unchecked_runbook, until_step,
};
use keyturn::runbook::engine::{Command, EngineError, Pending};
use keyturn::session::event::{EventKind, Outcome};
use keyturn::sim::FaultRule;
use keyturn::sim::Scenario;

const ROTATION: &str = "heroku-token-rotation";

#[tokio::test]
async fn full_rotation_revokes_the_old_token_and_syncs_every_copy() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    let old = s.sim.state().vault_value().unwrap();
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let state = s.sim.state();
    let new = state.vault_value().unwrap();
    assert_ne!(new, old);
    assert!(state.token_is_valid(&new));
    assert!(!state.token_is_valid(&old), "the old token must get 401");
    assert_every_copy_is(&state, &new);
    let audit = std::fs::read_to_string(s.dir.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("secret.rotate.completed"));
    assert!(!audit.contains(&new) && !audit.contains(&old));
    assert_no_token_in_journal(&s);
}

#[tokio::test]
async fn rollback_before_revocation_leaves_the_old_token_working_everywhere() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    let old = s.sim.state().vault_value().unwrap();
    until_step(&mut s.engine, "revoke_old").await;
    s.engine.command(Command::RollBack).await.unwrap();
    assert_eq!(
        finished(&s.engine.advance().await.unwrap()),
        Outcome::RolledBack
    );
    let state = s.sim.state();
    assert!(state.token_is_valid(&old));
    assert_every_copy_is(&state, &old);
    assert_no_token_in_journal(&s);
}

#[tokio::test]
async fn revocation_needs_the_typed_word() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    until_step(&mut s.engine, "revoke_old").await;
    let err = s
        .engine
        .command(Command::Confirm {
            step: None,
            typed: Some("yes".into()),
        })
        .await;
    assert!(matches!(err, Err(EngineError::WrongWord(_))));
    let live = s
        .sim
        .state()
        .authorizations()
        .iter()
        .filter(|a| !a.revoked)
        .count();
    assert_eq!(live, 2, "nothing revoked");
}

const PRECHECK: &str = r#"
id = "custom"
title = "t"
secret = "{secret}"
[[step]]
id = "precheck"
title = "pre"
action = "list_authorizations"
params = { identify = "vault-token" }
outputs = ["old_authorization_id", "old_description"]
"#;

const CREATE: &str = r#"
[[step]]
id = "create"
title = "create"
action = "create_authorization"
params = { description = "test-{date}" }
outputs = ["new_authorization_id", "new_description"]
"#;

const REVOKE: &str = r#"
[[step]]
id = "revoke_old"
title = "revoke"
action = "revoke_authorization"
params = { authorization_id = "{steps.precheck.old_authorization_id}" }
confirm = { typed = "{steps.precheck.old_description}" }
point_of_no_return = true
"#;

async fn refusal(text: &str, faults: &[&str]) -> (String, common::engine::Setup) {
    let mut s = setup_with(Scenario::InSync, unchecked_runbook(text), DEFAULT).await;
    let revoked_before = s
        .sim
        .state()
        .authorizations()
        .iter()
        .filter(|a| a.revoked)
        .count();
    for f in faults {
        s.sim.faults().add(FaultRule::parse_spec(f).unwrap());
    }
    let Pending::Failed { error, .. } = confirm_all(&mut s.engine).await else {
        panic!("not refused")
    };
    let revoked = s
        .sim
        .state()
        .authorizations()
        .iter()
        .filter(|a| a.revoked)
        .count();
    assert_eq!(revoked, revoked_before, "nothing revoked");
    (error, s)
}

#[tokio::test]
async fn refuses_to_revoke_the_authorization_the_vault_holds() {
    let (error, s) = refusal(&format!("{PRECHECK}{REVOKE}"), &[]).await;
    assert!(
        error.contains("vault") && error.contains("not written and proven"),
        "{error}"
    );
    assert!(
        s.sim
            .state()
            .token_is_valid(&s.sim.state().vault_value().unwrap())
    );
}

/// After a mint the vault must hold the new token before the OLD authorization goes: here
/// the new token validated but was never stored, so the vault still depends on OLD.
#[tokio::test]
async fn refuses_to_revoke_old_while_the_vault_lacks_the_new_token() {
    let validate = "[[step]]\nid = \"validate\"\ntitle = \"v\"\naction = \"validate_token\"\nparams = { source = \"new\" }\n";
    let (error, s) = refusal(&format!("{PRECHECK}{CREATE}{validate}{REVOKE}"), &[]).await;
    assert!(
        error.contains("vault") && error.contains("not written and proven"),
        "{error}"
    );
    assert!(
        s.sim
            .state()
            .token_is_valid(&s.sim.state().vault_value().unwrap())
    );
}

#[tokio::test]
async fn refuses_to_revoke_while_a_consumer_step_failed() {
    let consumer = r#"
[[step]]
id = "store"
title = "store"
action = "write_vault"
params = { source = "new" }
[[step]]
id = "gh"
title = "gh"
action = "write_github_secret"
params = { source = "new" }
[[step]]
id = "gh_fallback"
title = "paste"
action = "manual"
when = "step.gh.failed"
"#;
    let validate = "[[step]]\nid = \"validate\"\ntitle = \"v\"\naction = \"validate_token\"\nparams = { source = \"new\" }\n";
    let text = format!("{PRECHECK}{CREATE}{validate}{consumer}{REVOKE}");
    let (error, _s) = refusal(&text, &["github:PUT:secrets/HEROKU=403x5"]).await;
    assert!(
        error.contains("GitHub secret") && error.contains("not written and proven"),
        "{error}"
    );
}

#[tokio::test]
async fn refuses_to_write_a_token_that_did_not_validate() {
    let store = "[[step]]\nid = \"store\"\ntitle = \"s\"\naction = \"write_vault\"\nparams = { source = \"new\" }\n";
    let (error, s) = refusal(&format!("{PRECHECK}{CREATE}{store}"), &[]).await;
    assert!(error.contains("never written to any store"), "{error}");
    let vault = s.sim.state().vault_value().unwrap();
    let new = s
        .sim
        .state()
        .authorizations()
        .into_iter()
        .find(|a| a.description.starts_with("test-"))
        .unwrap();
    assert_ne!(vault, new.token);
}

/// A 401 on the operator's own management token names that credential, where it came
/// from and the call; it is not the managed token's drift message.
#[tokio::test]
async fn management_token_rejected_names_the_operator_credential_and_the_call() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    let before = s.sim.state().authorizations().len();
    s.sim
        .faults()
        .add(FaultRule::parse_spec("heroku:GET:^/oauth/authorizations$=401x10").unwrap());
    let Pending::Failed { error, .. } = s.engine.advance().await.unwrap() else {
        panic!()
    };
    assert!(
        error.contains("GET /oauth/authorizations")
            && error.contains("management token")
            && error.contains("embedded simulator")
            && error.contains("401")
            && !error.contains("rolling token"),
        "{error}"
    );
    assert_eq!(
        s.sim.state().authorizations().len(),
        before,
        "nothing minted"
    );
}

#[tokio::test]
async fn journal_records_the_authorization_ids() {
    let mut s = setup(Scenario::InSync, ROTATION, DEFAULT).await;
    confirm_all(&mut s.engine).await;
    let events = common::engine::events(&s);
    assert!(
        events
            .iter()
            .any(|e| matches!(e.kind, EventKind::AuthorizationCreated { .. }))
    );
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::AuthorizationRevoked {
            old_token_rejected: true,
            ..
        }
    )));
}

#[tokio::test]
async fn dry_run_rotation_writes_nothing() {
    let options = common::engine::Options {
        dry_run: true,
        github_write: None,
    };
    let mut s = setup(Scenario::InSync, ROTATION, options).await;
    let state = s.sim.state();
    let (vault, auths, skip) = (
        state.vault_value(),
        state.authorizations().len(),
        state.requests().len(),
    );
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    assert_eq!(state.vault_value(), vault);
    assert_eq!(state.authorizations().len(), auths);
    assert!(state.token_is_valid(&vault.unwrap()));
    let writes: Vec<_> = state.requests()[skip..]
        .iter()
        .filter(|r| r.method != "GET" && !r.path.contains("login"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(!s.dir.path().join("audit.jsonl").exists());
}

#[tokio::test]
async fn rolling_back_names_the_manual_consumers_to_restore_by_hand() {
    let sim = common::start(Scenario::InSync).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = keyturn::session::journal::Journal::create(
        &dir.path().join("sessions"),
        &keyturn::session::journal::new_session_id(),
    )
    .unwrap();
    let path = journal.path().to_owned();
    let mut deps = common::engine::deps(&sim, &dir, journal, None);
    deps.config.manual_consumers = toml::from_str::<ManualConsumers>(
        r#"list = [{ name = "Rotation pipeline", how = "the pipeline app's config var" },
                   { name = "Operator zshrc", how = "DM the operator" }]"#,
    )
    .unwrap()
    .list;
    let runbook = keyturn::runbook::loader::embedded()
        .unwrap()
        .into_iter()
        .find(|r| r.id() == "heroku-token-rotation")
        .unwrap();
    let mut engine = keyturn::runbook::engine::Engine::new(runbook, deps);
    common::engine::until_step(&mut engine, "revoke_old").await;
    engine.command(Command::RollBack).await.unwrap();
    let pending = engine.advance().await.unwrap();
    assert_eq!(common::engine::finished(&pending), Outcome::RolledBack);
    let events = keyturn::session::journal::read(&path).unwrap();
    let by_hand: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StepRolledBack { step, summary } if step.starts_with("propagate_manual") => {
                Some(summary.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(by_hand.len(), 2, "{by_hand:?}");
    assert!(
        by_hand
            .iter()
            .all(|s| s.starts_with("by hand: put the previous token back"))
    );
    let finished = events.iter().find_map(|e| match &e.kind {
        EventKind::SessionFinished { message, .. } => Some(message.clone()),
        _ => None,
    });
    let finished = finished.unwrap();
    assert!(
        finished.contains("by hand")
            && finished.contains("Rotation pipeline")
            && finished.contains("Operator zshrc"),
        "{finished}"
    );
}

#[derive(serde::Deserialize)]
struct ManualConsumers {
    list: Vec<keyturn::config::ManualConsumer>,
}
