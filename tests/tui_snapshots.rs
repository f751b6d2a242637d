//! Whole screens as snapshots (ratatui `TestBackend` + insta), at 160×48, 120×40 and 80×24, with
//! fingerprints, times, ports and session ids filtered out. The screens come from the
//! real session against the simulator, not from hand-built state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::tui::Harness;
use keyturn::config::keymap::Action;
use keyturn::runbook::engine::ConfirmPrompt;
use keyturn::sim::Scenario;
use keyturn::tui::modal::Modal;
use keyturn::tui::panels::Panel;

/// Every size of one screen, filtered.
fn sizes(h: &Harness) -> (String, String, String) {
    (
        h.stable_screen(160, 48),
        h.stable_screen(120, 40),
        h.stable_screen(80, 24),
    )
}

/// Waits until every panel holds a fresh reading and the engine waits: the first screen.
async fn first_screen(scenario: Scenario) -> Harness {
    let mut h = Harness::start(scenario, None).await;
    h.until_settled().await;
    h
}

macro_rules! snap {
    ($name:expr, $h:expr) => {{
        let (widest, wide, narrow) = sizes(&$h);
        insta::assert_snapshot!(concat!($name, "_160x48"), widest);
        insta::assert_snapshot!(concat!($name, "_120x40"), wide);
        insta::assert_snapshot!(concat!($name, "_80x24"), narrow);
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_github_stale_with_the_confirmation() {
    let h = first_screen(Scenario::GithubStale).await;
    snap!("first_github_stale", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_app_stale() {
    let h = first_screen(Scenario::AppStale).await;
    snap!("first_app_stale", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_vault_stale() {
    let h = first_screen(Scenario::VaultStale).await;
    snap!("first_vault_stale", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_all_invalid() {
    let h = first_screen(Scenario::AllInvalid).await;
    snap!("first_all_invalid", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_in_sync_offers_rotation() {
    let mut h = Harness::start(Scenario::InSync, None).await;
    h.until("the offer and every panel", |app| {
        common::tui::settled(app) && matches!(app.modal, Some(Modal::OfferRotation { .. }))
    })
    .await;
    snap!("first_in_sync", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_rotation_due() {
    let h = first_screen(Scenario::RotationDue).await;
    snap!("first_rotation_due", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_confirmation_of_the_revocation() {
    let mut h = Harness::start(Scenario::InSync, Some("heroku-token-rotation")).await;
    let typed = |h: &Harness| {
        matches!(
            &h.app().modal,
            Some(Modal::Confirm {
                prompt: ConfirmPrompt::Typed(_),
                ..
            })
        )
    };
    h.confirm_until(typed, false).await;
    assert!(typed(&h), "the revocation asks for its word");
    h.until_settled().await;
    h.type_text("raxx-plat");
    snap!("typed_confirmation", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_overlay() {
    let mut h = first_screen(Scenario::GithubStale).await;
    h.act(Action::Cancel);
    h.act(Action::Help);
    snap!("help", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_in_a_panel() {
    let mut h = first_screen(Scenario::AppStale).await;
    h.act(Action::Cancel);
    let rule =
        keyturn::sim::FaultRule::parse_spec("heroku:GET:^/apps/raxx-api-prod/config-vars$=503x50")
            .unwrap();
    h.sim.faults().add(rule);
    h.act(Action::Refresh);
    h.until("raxx-api-prod shows the error", |app| {
        matches!(app.panels.apps.get(2), Some((_, Panel::Failed { .. })))
    })
    .await;
    h.until_settled().await;
    snap!("panel_error", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_finished_runbook_with_the_postmortem_preview() {
    let mut h = first_screen(Scenario::GithubStale).await;
    h.act(Action::Confirm);
    h.until(
        "finished, previewed, GitHub re-read after the deploy",
        |app| {
            let deployed = app
                .panels
                .github
                .value()
                .and_then(|g| g.deploy.as_ref())
                .and_then(|d| d.conclusion.as_deref())
                == Some("success");
            app.view.postmortem.is_some() && deployed && common::tui::settled(app)
        },
    )
    .await;
    snap!("finished", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_small_a_terminal_says_so() {
    let h = first_screen(Scenario::GithubStale).await;
    insta::assert_snapshot!("too_small_70x20", h.stable_screen(70, 20));
}
