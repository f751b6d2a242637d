//! The TUI driven headless: a real simulator over loopback, the real engine on its worker
//! thread, the real pollers; the test presses keys and reads the screen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::tui::Harness;
use keyturn::config::keymap::{Action, Key};
use keyturn::runbook::engine::Pending;
use keyturn::session::event::Outcome;
use keyturn::sim::Scenario;
use keyturn::tui::modal::Modal;
use keyturn::tui::panels::Panel;

fn finished(app: &keyturn::tui::app::App) -> bool {
    app.view.outcome.is_some()
}

fn in_sync(app: &keyturn::tui::app::App) -> bool {
    app.panels.apps_in_sync() == Some(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_b_recovery_from_the_first_screen_to_in_sync_panels() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    let screen = h.screen(120, 40);
    assert!(screen.contains("STALE"), "{screen}");
    assert!(screen.contains("diagnosis: github-stale"), "{screen}");
    assert!(
        matches!(&h.app().modal, Some(Modal::Confirm { step, .. }) if step.contains("path_b")),
        "the Path B confirmation opens by itself: {:?}",
        h.app().modal
    );
    h.act(Action::Confirm);
    h.until("the runbook finished", finished).await;
    assert_eq!(h.app().view.outcome, Some(Outcome::Completed));
    // The write refreshed GitHub's panel at once; the deploy it re-ran succeeded.
    h.until("GitHub's panel shows the successful deploy", |app| {
        app.panels
            .github
            .value()
            .and_then(|g| g.deploy.as_ref())
            .and_then(|d| d.conclusion.as_deref())
            == Some("success")
    })
    .await;
    h.until("the postmortem preview", |app| {
        app.view.postmortem.is_some()
    })
    .await;
    let screen = h.screen(120, 40);
    assert!(!screen.contains("STALE"), "{screen}");
    assert!(screen.contains("Finished: completed"), "{screen}");
    assert!(screen.contains("Postmortem written to"), "{screen}");
    let vault = h.sim.state().vault_value().unwrap();
    common::engine::assert_every_copy_is(&h.sim.state(), &vault);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_apps_are_written_and_their_panels_turn_in_sync() {
    let mut h = Harness::start(Scenario::AppStale, None).await;
    h.until_settled().await;
    assert_eq!(h.app().panels.apps_in_sync(), Some(false));
    let screen = h.screen(120, 40);
    assert!(screen.contains("≠ vault"), "{screen}");
    assert!(
        !screen.contains("STALE"),
        "apps are told apart from the vault, GitHub is not stale: {screen}"
    );
    h.act(Action::Confirm);
    h.until("every app panel matches the vault", in_sync).await;
    h.until("the runbook finished", finished).await;
    assert_eq!(h.app().view.outcome, Some(Outcome::Completed));
    assert!(!h.screen(120, 40).contains("≠ STALE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_cause_note_after_the_end_rewrites_the_postmortem() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    h.act(Action::Confirm);
    h.until("the postmortem preview", |app| {
        app.view.postmortem.is_some()
    })
    .await;
    h.act(Action::Note);
    assert!(matches!(h.app().modal, Some(Modal::Note { .. })));
    h.type_text("1");
    h.key(Key::Enter);
    h.until("the postmortem names the root cause", |app| {
        app.view
            .postmortem
            .as_ref()
            .is_some_and(|(_, text)| text.contains("manual rotation (one copy updated by hand)"))
    })
    .await;
    let (path, text) = h.app().view.postmortem.clone().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    let files = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
    assert_eq!(files, 1, "rewritten in place, not a second file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_sync_offers_the_rotation_which_runs_to_the_typed_revocation() {
    let mut h = Harness::start(Scenario::InSync, None).await;
    h.until("the rotation offer", |app| {
        matches!(app.modal, Some(Modal::OfferRotation { .. }))
    })
    .await;
    h.act(Action::Confirm);
    h.confirm_until(|_| false, true).await;
    assert_eq!(h.app().view.outcome, Some(Outcome::Completed));
    let vault = h.sim.state().vault_value().unwrap();
    common::engine::assert_every_copy_is(&h.sim.state(), &vault);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_needs_a_reason_and_abort_asks_first() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    h.act(Action::Cancel);
    assert!(h.app().modal.is_none());
    h.act(Action::Skip);
    h.key(Key::Enter);
    assert!(
        matches!(h.app().modal, Some(Modal::SkipReason { .. })),
        "an empty reason is refused"
    );
    let screen = h.screen(120, 40);
    assert!(
        screen.contains("Skip: Path B: write the GitHub secret HEROKU_API_KEY"),
        "the dialog names the step by its title: {screen}"
    );
    assert!(
        screen.contains("a reason is needed"),
        "the refusal is said: {screen}"
    );
    h.type_text("GitHub token lacks secrets:write");
    h.key(Key::Enter);
    h.until("the next confirmation (Path A)", |app| {
        matches!(&app.view.pending, Some(Pending::Confirm { step, .. }) if step == "path_a_copy")
    })
    .await;
    let screen = h.screen(160, 48);
    assert!(
        screen.contains("Path A: copy the vault value") && !screen.contains("Path B not done"),
        "Path A runs under its own titles: {screen}"
    );
    // Abort (like skip) is one key from the open confirmation, as its dialog says.
    assert!(matches!(h.app().modal, Some(Modal::Confirm { .. })));
    assert!(
        h.screen(160, 48)
            .contains("s skip    b roll back    a abort")
    );
    h.act(Action::Abort);
    assert!(matches!(h.app().modal, Some(Modal::Ask { .. })));
    h.act(Action::Confirm);
    h.until("aborted", finished).await;
    assert_eq!(h.app().view.outcome, Some(Outcome::Aborted));
    let journal = std::fs::read_to_string(h.app().view.journal.clone().unwrap()).unwrap();
    assert!(journal.contains("GitHub token lacks secrets:write"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_mid_runbook_asks_and_help_lists_every_action() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    h.act(Action::Cancel);
    h.act(Action::Help);
    let screen = h.screen(120, 40);
    for action in Action::ALL {
        assert!(
            screen.contains(action.describe()),
            "{action:?} missing:\n{screen}"
        );
    }
    h.key(Key::Char('x'));
    assert!(!h.app().help, "any key closes the help");
    h.act(Action::Quit);
    assert!(matches!(h.app().modal, Some(Modal::Quit { .. })));
    assert!(!h.app().quit);
    h.act(Action::Confirm);
    assert!(h.app().quit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_outage_shows_in_its_panel_and_clears_on_refresh() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    let rule =
        keyturn::sim::FaultRule::parse_spec("infisical:GET:/api/v3/secrets/raw/.*=503x50").unwrap();
    h.sim.faults().add(rule);
    h.act(Action::Refresh);
    h.until("the vault panel shows the error", |app| {
        matches!(app.panels.vault, Panel::Failed { .. })
    })
    .await;
    let screen = h.screen(120, 40);
    assert!(screen.contains("offline / error"), "{screen}");
    h.sim.faults().clear();
    h.act(Action::Refresh);
    h.until("the vault panel recovers", |app| {
        matches!(app.panels.vault, Panel::Loaded { .. })
    })
    .await;
}

/// The drift demo, settled, with a GitHub token that may read but not write secrets: Path
/// B's write gets 403 and the walk goes on with Path A.
async fn path_b_refused() -> Harness {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    let rule = keyturn::sim::FaultRule::parse_spec(
        "github:PUT:^/repos/[^/]+/[^/]+/actions/secrets/.*=403x5",
    )
    .unwrap();
    h.sim.faults().add(rule);
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_b_refused_falls_back_to_path_a_through_the_clipboard() {
    let mut h = path_b_refused().await;
    h.act(Action::Confirm);
    h.until("the copy step", |app| {
        matches!(&app.view.pending, Some(Pending::Confirm { step, .. }) if step == "path_a_copy")
    })
    .await;
    let result = h
        .app()
        .view
        .results
        .get("path_b_write_secret")
        .cloned()
        .unwrap_or_default();
    assert!(
        result.starts_with('✖') && result.contains("403"),
        "{result}"
    );
    h.act(Action::Confirm);
    h.until("the manual paste step", |app| {
        matches!(&app.view.pending, Some(Pending::Confirm { step, .. }) if step == "path_a_paste")
    })
    .await;
    let copied = h.clipboard.contents().expect("the vault value was copied");
    assert_eq!(Some(copied.clone()), h.sim.state().vault_value());
    // Hidden until the operator asks; the reveal key shows it in the dialog, then it hides.
    assert!(!h.screen(120, 40).contains(&copied));
    assert!(
        h.screen(120, 40).contains("clears in"),
        "the footer counts down"
    );
    h.act(Action::Reveal);
    assert!(
        h.screen_revealed(160, 40).contains(&copied),
        "revealed in the dialog"
    );
    h.app().clipboard.as_ref().unwrap().hide();
    assert!(!h.screen(160, 40).contains(&copied));
    // The operator opens the page the step names (the simulated GitHub's), pastes, saves,
    // and confirms here.
    let Some(Pending::Confirm { body, .. }) = h.app().view.pending.clone() else {
        unreachable!("the paste step waits")
    };
    let page = regex::Regex::new(r"http://127\.0\.0\.1:\d+/\S+/settings/secrets/actions")
        .unwrap()
        .find(&body)
        .map_or_else(
            || panic!("the step names the secrets page: {body}"),
            |m| m.as_str().to_owned(),
        );
    let (status, _) = common::sim::paste_on_secrets_page(&page, "HEROKU_API_KEY", &copied).await;
    assert_eq!(status, 200);
    h.act(Action::Confirm);
    h.until("finished", finished).await;
    assert_eq!(h.app().view.outcome, Some(Outcome::Completed));
    let vault = h.sim.state().vault_value().unwrap();
    common::engine::assert_every_copy_is(&h.sim.state(), &vault);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_rotation_is_taken_up_again_with_tui_resume() {
    let mut h = Harness::start(Scenario::InSync, Some("heroku-token-rotation")).await;
    // Confirm until the vault holds the new token, then "kill" the TUI at the next question.
    let old = h.sim.state().vault_value().unwrap();
    h.confirm_until(|h| h.sim.state().vault_value().unwrap() != old, false)
        .await;
    let journal = h.app().view.journal.clone().unwrap();
    let mut h = Box::pin(h.killed_and_resumed()).await;
    assert_eq!(
        h.app().view.journal.as_ref(),
        Some(&journal),
        "the same journal"
    );
    h.until("the resumed engine waits", |app| app.view.pending.is_some())
        .await;
    let screen = h.screen(120, 40);
    let log = &h.app().view.log;
    assert!(
        log.iter().any(|l| l.contains("session resumed from")),
        "{log:?}"
    );
    assert!(
        screen.contains("✔ 4. Store"),
        "earlier steps stay done:\n{screen}"
    );
    h.confirm_until(|_| false, false).await;
    assert_eq!(h.app().view.outcome, Some(Outcome::Completed));
    let vault = h.sim.state().vault_value().unwrap();
    assert_ne!(vault, old);
    common::engine::assert_every_copy_is(&h.sim.state(), &vault);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_more_apps_than_rows_the_stale_ones_are_listed_first() {
    let options = keyturn::sim::SimOptions {
        apps: Some(40),
        ..keyturn::sim::SimOptions::fast()
    };
    let mut h = Harness::start_with(Scenario::AppStale, None, options).await;
    h.until_settled().await;
    let screen = h.screen(120, 40);
    assert_eq!(screen.matches("≠ vault").count(), 2, "{screen}");
    assert!(screen.contains("… and 30 more, all = vault"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_color_draws_with_modifiers_only() {
    use ratatui::style::Color;
    let mut h = Harness::start(Scenario::AppStale, None).await;
    h.until_settled().await;
    h.act(Action::Help);
    for color in [true, false] {
        let mut app = h.app().clone();
        app.color = color;
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        terminal
            .draw(|frame| keyturn::tui::render::render(&app, frame))
            .unwrap();
        let buffer = terminal.backend().buffer();
        let coloured = buffer
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count();
        if color {
            assert!(coloured > 0, "colours are used normally");
        } else {
            assert_eq!(coloured, 0, "NO_COLOR: not one coloured cell");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_stops_the_wait_for_a_long_probe_run() {
    // Workflow runs take minutes here: the verify audit's probe (the scenario installs the
    // probe workflow) waits on one, and the operator's abort must end that wait.
    let slow = keyturn::sim::SimOptions {
        workflow_step: std::time::Duration::from_secs(600),
        ..keyturn::sim::SimOptions::fast()
    };
    let mut h = Harness::start_with(Scenario::GithubStale, None, slow).await;
    h.until_settled().await;
    h.act(Action::Confirm);
    h.until("the verify audit probes GitHub's copy", |app| {
        app.view.running.as_deref() == Some("verify_audit")
    })
    .await;
    // The probe is dispatched and its run waited on.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    h.act(Action::Abort);
    h.act(Action::Confirm);
    let status = h.app().status.clone().unwrap_or_default();
    assert!(status.contains("stopped watching"), "{status}");
    h.until("the runbook ended without waiting for the run", finished)
        .await;
    assert_eq!(h.app().view.outcome, Some(Outcome::Aborted));
    let result = h.app().view.results.get("verify_audit").cloned();
    let result = result.unwrap_or_default();
    assert!(result.contains("watch stopped by the operator"), "{result}");
    assert!(result.contains("unproven"), "{result}");
    let screen = h.screen(120, 40);
    assert!(
        screen.contains("No postmortem was written: `keyturn postmortem"),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_is_one_key_from_the_open_confirmation() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    assert!(matches!(h.app().modal, Some(Modal::Confirm { .. })));
    h.act(Action::Skip);
    assert!(matches!(h.app().modal, Some(Modal::SkipReason { .. })));
}

/// Path A with a wrong paste: the re-run deploy fails, the pane offers the way back, `g`
/// takes the walk back to the copy step, and the right paste completes the recovery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_paste_is_mended_by_going_back_to_the_copy_step() {
    let mut h = path_b_refused().await;
    let at = |id: &'static str| move |app: &keyturn::tui::app::App| matches!(&app.view.pending, Some(Pending::Confirm { step, .. }) if step == id);
    h.act(Action::Confirm);
    h.until("the copy step", at("path_a_copy")).await;
    h.act(Action::Confirm);
    h.until("the paste step", at("path_a_paste")).await;
    h.sim.state().set_github_secret(
        "HEROKU_API_KEY",
        "HRKU-AAAAAAAA-some-other-value-000000000000",
    );
    h.act(Action::Confirm);
    h.until("the deploy fails", |app| {
        matches!(&app.view.pending, Some(Pending::Failed { step, .. }) if step == "path_a_rerun_deploy")
    })
    .await;
    let screen = h.screen(120, 40);
    assert!(screen.contains("g go back to"), "{screen}");
    h.act(Action::Back);
    h.until("back at the copy step", at("path_a_copy")).await;
    let screen = h.screen(120, 40);
    assert!(screen.contains("back to path_a_copy"), "{screen}");
    assert!(
        !h.app().view.results.contains_key("path_a_rerun_deploy"),
        "the failed deploy's result is no longer the step's"
    );
    h.act(Action::Confirm);
    h.until("the paste step again", at("path_a_paste")).await;
    let copied = h.clipboard.contents().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    h.sim.state().set_github_secret("HEROKU_API_KEY", &copied);
    h.act(Action::Confirm);
    h.until_completed_in_sync().await;
}

/// The TUI's pollers, its engine and the probe share one set of vendor clients: a whole
/// recovery (panels polled, Path B written, the verify audit and its probe) logs in to
/// the vault once, not once per client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_set_of_vendor_clients_logs_in_to_the_vault_once() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    h.act(Action::Confirm);
    h.act(Action::Confirm);
    h.until("finished", finished).await;
    h.act(Action::Refresh);
    h.until_settled().await;
    let logins = h
        .sim
        .state()
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/universal-auth/login"))
        .count();
    assert_eq!(logins, 1);
}

/// Enter pressed again and again while the confirmed step runs neither reopens its
/// dialog nor queues a second "yes" (which the engine would have applied to the next step,
/// unseen); it says a step is running, and that notice is gone once the engine stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_pressed_again_while_a_step_runs_confirms_nothing_more() {
    let mut h = Harness::start(Scenario::GithubStale, None).await;
    h.until_settled().await;
    h.act(Action::Confirm);
    h.act(Action::Confirm);
    h.act(Action::Confirm);
    assert!(h.app().modal.is_none(), "{:?}", h.app().modal);
    assert_eq!(h.app().status.as_deref(), Some("a step is running…"));
    h.until_completed_in_sync().await;
    assert_ne!(h.app().status.as_deref(), Some("a step is running…"));
    let puts = h
        .sim
        .state()
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/actions/secrets/"))
        .count();
    assert_eq!(puts, 1, "one write of the GitHub secret");
}
