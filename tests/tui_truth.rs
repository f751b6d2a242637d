//! What the TUI says after things move is true of the stores: the footer's diagnosis and
//! the GitHub panel come from the newest readings under the drift audit's rules, apps are
//! told apart from the vault without calling a live copy stale, the quit, abort and roll
//! back questions say what this session changed, and no text shows a raw `{placeholder}`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::tui::Harness;
use keyturn::config::keymap::Action;
use keyturn::runbook::engine::Pending;
use keyturn::sim::{Scenario, SimOptions};
use keyturn::tui::modal::Modal;

fn finished(app: &keyturn::tui::app::App) -> bool {
    app.view.outcome.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_path_b_the_footer_and_the_github_panel_read_the_newest_stores() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    let screen = h.screen(160, 48);
    assert!(screen.contains("diagnosis: github-stale"), "{screen}");
    assert!(screen.contains("STALE"), "{screen}");
    h.act(Action::Confirm);
    h.until("the runbook finished", finished).await;
    h.act(Action::Refresh);
    h.until("the footer reads the stores as they are now", |app| {
        app.live_diagnosis().map(|d| d.kind()) == Some(keyturn::drift::DiagnosisKind::InSync)
    })
    .await;
    let screen = h.screen(160, 48);
    assert!(
        screen.contains("diagnosis: in-sync (at the start: github-stale)"),
        "{screen}"
    );
    assert!(!screen.contains("STALE"), "{screen}");
    assert!(
        !screen.contains("· path-b"),
        "the path is shown while it is taken: {screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_vault_stale_the_live_apps_are_not_stale_and_the_rejected_vault_is_a_finding() {
    let mut h = Harness::start(Scenario::VaultStale, None).await;
    h.until_settled().await;
    h.until("the panels are read", |app| app.live_diagnosis().is_some())
        .await;
    let screen = h.screen(160, 48);
    assert!(screen.contains("diagnosis: vault-stale"), "{screen}");
    assert!(screen.contains("valid ≠ vault"), "{screen}");
    assert!(!screen.contains("≠ STALE"), "{screen}");
    assert!(
        screen.contains("! Confirm the source of truth"),
        "a vault found rejected is a finding, not a ✔: {screen}"
    );
    assert!(
        !screen.contains("✔ Confirm the source of truth"),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quit_abort_and_roll_back_say_what_this_session_changed() {
    // Workflow runs take minutes: the verify audit's probe waits while we ask.
    let slow = SimOptions {
        workflow_step: std::time::Duration::from_secs(600),
        ..SimOptions::fast()
    };
    let mut h = Harness::start_with(Scenario::GithubStale, None, slow).await;
    h.until_settled().await;
    // Before any write: `b` works from the open confirmation, and says nothing changed.
    assert!(matches!(h.app().modal, Some(Modal::Confirm { .. })));
    h.act(Action::RollBack);
    let Some(Modal::Ask { question, .. }) = h.app().modal.clone() else {
        panic!("roll back asks from the confirmation: {:?}", h.app().modal);
    };
    assert!(
        question.contains("Nothing has been changed yet"),
        "{question}"
    );
    h.act(Action::Cancel);
    h.act(Action::Abort);
    let Some(Modal::Ask { question, .. }) = h.app().modal.clone() else {
        panic!("abort asks: {:?}", h.app().modal);
    };
    assert!(question.contains("No store has been changed"), "{question}");
    h.act(Action::Cancel);
    // The first enter opens the confirmation again, the second runs the write.
    h.act(Action::Confirm);
    h.act(Action::Confirm);
    h.until(
        "the Path B write is done and the verify audit waits",
        |app| app.view.running.as_deref() == Some("verify_audit"),
    )
    .await;
    h.act(Action::Quit);
    let screen = h.screen(160, 48);
    assert!(
        screen.contains("This session changed GitHub secret"),
        "{screen}"
    );
    assert!(!screen.contains("every store is as it was"), "{screen}");
    h.act(Action::Cancel);
    h.act(Action::RollBack);
    let Some(Modal::Ask { question, .. }) = h.app().modal.clone() else {
        panic!("roll back asks: {:?}", h.app().modal);
    };
    assert!(
        question.contains("put GitHub secret back on the value each held before"),
        "{question}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn titles_and_bodies_never_show_a_raw_placeholder() {
    let mut h = Harness::start(Scenario::InSync, Some("heroku-token-rotation")).await;
    h.until("the first confirmation", |app| {
        matches!(app.view.pending, Some(Pending::Confirm { .. }))
    })
    .await;
    let view = &h.app().view;
    let body = view.body("precheck").unwrap();
    assert!(body.contains("HEROKU_API_KEY"), "{body}");
    for step in &view.steps {
        assert!(!step.title.contains('{'), "{}", step.title);
        let body = view.body(&step.id).unwrap_or_default();
        assert!(
            keyturn::runbook::template::placeholders(&body).is_empty(),
            "{}: {body}",
            step.id
        );
    }
    let downstream = (view.steps.iter())
        .find(|s| s.title.contains("Verify downstream: check"))
        .unwrap();
    assert!(
        downstream.title.contains("(no health URL configured)"),
        "{}",
        downstream.title
    );
}

fn probe_done(app: &keyturn::tui::app::App) -> bool {
    matches!(
        app.panels.probe,
        Some(keyturn::tui::panels::ProbeShown::Done { .. })
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_key_proves_what_the_github_copy_holds_until_the_next_write() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    h.act(Action::Cancel);
    h.act(Action::Probe);
    h.until("the probe ran", probe_done).await;
    let verdict = h.app().panels.probe_verdict().cloned().expect("a verdict");
    assert_eq!(verdict.matches_vault, Some(false), "{verdict:?}");
    let screen = h.screen(160, 48);
    assert!(screen.contains("STALE (probe)"), "{screen}");
    assert!(screen.contains("holds another"), "{screen}");
    // Path B writes the secret, and the verify step's probe proves it (see below); a
    // write after that outdates the verdict: it speaks of a value GitHub may not hold.
    h.act(Action::Confirm);
    h.act(Action::Confirm);
    h.until("the runbook finished", finished).await;
    let vault = h.sim.state().vault_value().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    h.sim.state().set_github_secret("HEROKU_API_KEY", &vault);
    h.act(Action::Refresh);
    h.until("the probe is outdated by the write", |app| {
        probe_done(app) && app.panels.probe_verdict().is_none()
    })
    .await;
    assert!(
        h.screen(160, 48).contains("outdated by a"),
        "{}",
        h.screen(160, 48)
    );
    h.act(Action::Probe);
    h.until("the second probe ran", |app| {
        probe_done(app) && app.panels.probe_verdict().is_some()
    })
    .await;
    let verdict = h.app().panels.probe_verdict().cloned().unwrap();
    assert_eq!(verdict.matches_vault, Some(true), "{verdict:?}");
    let screen = h.screen(160, 48);
    assert!(screen.contains("= vault (probe)"), "{screen}");
    assert!(screen.contains("holds the"), "{screen}");
    assert!(screen.contains("diagnosis: in-sync"), "{screen}");
}

/// The drift recovery's verify step probes GitHub's copy (a probe workflow is configured):
/// its verdict reaches the GitHub panel and the activity log without the operator pressing
/// the probe key, as every face tells the one fold's facts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_steps_probe_reaches_the_github_panel() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    h.act(Action::Confirm);
    h.act(Action::Confirm);
    h.until("the runbook finished", finished).await;
    h.until("the panels caught up", |app| {
        app.panels.probe_verdict().is_some()
            && app
                .panels
                .github
                .value()
                .is_some_and(|g| g.updated_at.is_some())
    })
    .await;
    let verdict = h.app().panels.probe_verdict().cloned().unwrap();
    assert_eq!(verdict.matches_vault, Some(true), "{verdict:?}");
    let screen = h.screen(160, 48);
    assert!(screen.contains("= vault (probe)"), "{screen}");
    let log = &h.app().view.log;
    assert!(
        log.iter()
            .any(|l| l.contains("probe run") && l.contains("equals the vault")),
        "{log:?}"
    );
    // The end message says what proves GitHub's copy: the probe, not only updated_at.
    let proven = "GitHub secret: the vault's value (written, proven by updated_at); probe run";
    assert!(
        log.iter().any(|l| l.contains("finished (completed)")
            && l.contains(proven)
            && l.contains("holds the vault's value")),
        "{log:?}"
    );
}

/// Mid-rotation the copies differ on purpose (the vault holds the new token, the apps not
/// yet): the footer says the rotation is spreading it, beside the finding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mid_rotation_the_footer_says_the_new_token_is_spreading() {
    let mut h = Harness::start(Scenario::InSync, Some("heroku-token-rotation")).await;
    let old = h.sim.state().vault_value().unwrap();
    h.confirm_until(|h| h.sim.state().vault_value().unwrap() != old, false)
        .await;
    h.act(Action::Refresh);
    h.until("the panels see the vault moved", |app| {
        app.live_diagnosis()
            .is_some_and(|d| d.kind() != keyturn::drift::DiagnosisKind::InSync)
    })
    .await;
    let screen = h.screen(160, 48);
    assert!(
        screen.contains("while the rotation spreads the new token (at the start: in-sync)"),
        "{screen}"
    );
}
