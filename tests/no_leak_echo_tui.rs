#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The TUI against a simulator whose every error echoes the request's credentials and
//! body: a panel whose read fails, Path B refused, a rotation whose propagation fails and
//! is rolled back. Every screen drawn on the way (120×40 and 80×24) and the log file hold
//! no token value and no 8-character window of one.

mod common;

use std::os::unix::fs::PermissionsExt as _;

use common::echo::{ECHOED, assert_no_window, every_secret, files_under, only, reflect};
use common::tui::{Harness, render};
use keyturn::config::keymap::Action;
use keyturn::runbook::engine::Pending;
use keyturn::sim::{Scenario, Vendor};
use keyturn::tui::modal::Modal;
use keyturn::tui::panels::Panel;

/// Both screen sizes, checked; returned for the caller's own assertions.
fn screens(h: &Harness, what: &str) -> String {
    let secrets = every_secret(&h.sim);
    let both = format!("{}\n{}", render(h.app(), 120, 40), render(h.app(), 80, 24));
    assert_no_window(&both, &secrets, what);
    both
}

/// Answers the yes/no question the last action opened.
fn answer_yes(h: &mut Harness) {
    if matches!(h.app().modal, Some(Modal::Ask { .. })) {
        h.act(Action::Confirm);
    }
}

async fn a_refused_path_b_and_a_failing_panel(log: &std::path::Path) {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    let app = h.sim.state().app_names()[2].clone();
    let read = format!("^/apps/{app}/config-vars$");
    only(
        &h.sim,
        vec![
            reflect(Vendor::Heroku, "GET", &read, 403, 1000),
            reflect(Vendor::Github, "PUT", "secrets/HEROKU", 403, 5),
        ],
    );
    h.act(Action::Refresh);
    h.until("the app's panel shows the echoed error", |app| {
        matches!(app.panels.apps.get(2), Some((_, Panel::Failed { .. })))
    })
    .await;
    let Some((_, Panel::Failed { error, .. })) = h.app().panels.apps.get(2) else {
        unreachable!()
    };
    assert!(
        error.contains(ECHOED) && error.contains("[redacted]"),
        "{error}"
    );
    screens(&h, "panel error");
    h.act(Action::Confirm);
    h.until("Path B refused, the fallback offered", |app| {
        matches!(&app.view.pending, Some(Pending::Confirm { step, .. }) if step == "path_a_copy")
    })
    .await;
    screens(&h, "Path B refused");
    h.act(Action::Abort);
    answer_yes(&mut h);
    h.until("aborted", |app| app.view.outcome.is_some()).await;
    screens(&h, "aborted");
    let logged = std::fs::read_to_string(log).unwrap();
    assert!(logged.contains("store read failed"), "{logged}");
    assert_no_window(&logged, &every_secret(&h.sim), "keyturn.log");
    assert_no_window(&files_under(h.dir.path()), &every_secret(&h.sim), "files");
}

async fn a_rotation_rolled_back() {
    let mut h = Harness::start(Scenario::RotationDue, Some("heroku-token-rotation")).await;
    h.until_settled().await;
    only(&h.sim, Vec::new());
    let at_propagation = |h: &Harness| matches!(&h.app().view.pending, Some(Pending::Confirm { step, .. }) if step == "propagate_heroku");
    h.confirm_until(at_propagation, false).await;
    screens(&h, "before propagation");
    only(
        &h.sim,
        vec![reflect(Vendor::Heroku, "PATCH", "config-vars$", 422, 1)],
    );
    h.act(Action::Confirm);
    h.until("the propagation failed", |app| {
        matches!(app.view.pending, Some(Pending::Failed { .. }))
    })
    .await;
    let shown = screens(&h, "propagation failed");
    assert!(shown.contains("redacted"), "{shown}");
    h.act(Action::RollBack);
    answer_yes(&mut h);
    h.until("rolled back", |app| app.view.outcome.is_some())
        .await;
    screens(&h, "rolled back");
    assert_no_window(&files_under(h.dir.path()), &every_secret(&h.sim), "files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_screen_and_no_log_line_shows_an_echoed_token() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("state/keyturn.log");
    keyturn::tui::log_to_file(&log).unwrap();
    a_refused_path_b_and_a_failing_panel(&log).await;
    a_rotation_rolled_back().await;
    let mode = std::fs::metadata(&log).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "keyturn.log is private");
}
