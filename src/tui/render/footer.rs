//! The two bottom lines: a transient status (a refusal, a hint) and the footer with the
//! diagnosis, the vendors' remaining rate-limit budget, the clipboard countdown and the
//! keys that are always one press away.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::config::keymap::Action;
use crate::tui::app::App;
use crate::vendors::RateBudget;

/// The footer's height: one line when it fits, two on narrow screens.
pub fn height(width: u16) -> u16 {
    if width >= 140 { 1 } else { 2 }
}

/// The status line.
pub fn render_status(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let line = match &app.status {
        Some(text) => Line::styled(format!(" {text}"), theme.warn()),
        None => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The footer.
pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let mut first = facts(app, theme);
    let lines = if area.height >= 2 {
        vec![Line::from(first), Line::from(keys(app, theme))]
    } else {
        first.push(Span::styled(" │ ", theme.dim()));
        first.extend(keys(app, theme));
        vec![Line::from(first)]
    };
    frame.render_widget(Paragraph::new(lines), area);
}

fn facts(app: &App, theme: Theme) -> Vec<Span<'static>> {
    // The newest readings decide (the drift audit's rules on the panels); until every
    // panel has one, the session's first audit, marked as such.
    let live = app.live_diagnosis().map(|d| d.kind());
    let at_start = app.view.first_diagnosis();
    // Mid-rotation the copies differ on purpose: say so beside the finding.
    let spreading = app.view.under_way()
        && app.view.fold.summary.kind == Some(crate::session::event::RunbookKind::Rotation)
        && !app.view.fold.ledger.attempted.is_empty();
    let diagnosis = match (live, at_start) {
        (Some(now), Some(start)) if now != start && spreading => {
            format!("{now} while the rotation spreads the new token (at the start: {start})")
        }
        (Some(now), Some(start)) if now != start => format!("{now} (at the start: {start})"),
        (Some(now), _) => now.to_string(),
        (None, Some(start)) => format!("{start} (at the start; reading the stores…)"),
        (None, None) => "auditing…".to_owned(),
    };
    let mut spans = vec![
        Span::styled(" diagnosis: ", theme.dim()),
        Span::styled(diagnosis, theme.title()),
    ];
    // The path the runbook is taking, from what it wrote, while it takes it.
    if let Some(path) = app.view.path_taken().filter(|_| app.view.under_way()) {
        spans.push(Span::raw(format!(" · {}", path.id())));
    }
    spans.push(Span::styled(
        format!(" · rate: heroku {}", budget(app.panels.heroku_rate)),
        theme.dim(),
    ));
    if let Some(github) = app.panels.github_rate {
        spans.push(Span::styled(
            format!(" github {}", budget(github)),
            theme.dim(),
        ));
    }
    if let Some(countdown) = clipboard(app) {
        spans.push(Span::styled(format!(" · {countdown}"), theme.warn()));
    }
    spans
}

fn budget(rate: RateBudget) -> String {
    match (rate.remaining, rate.limit) {
        (Some(left), Some(limit)) => format!("{left}/{limit}"),
        (Some(left), None) => format!("{left} left"),
        _ => "?".to_owned(),
    }
}

fn clipboard(app: &App) -> Option<String> {
    let status = app.clipboard.as_ref()?.status(app.clock);
    (status.state != crate::tui::clipboard::ClipboardState::Idle).then(|| status.describe())
}

fn keys(app: &App, theme: Theme) -> Vec<Span<'static>> {
    // Once the session is over only notes (for the postmortem), help and quit still apply.
    let shown: &[(Action, &str)] = if app.view.outcome.is_some() {
        &[
            (Action::Note, "note"),
            (Action::Refresh, "refresh"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
    } else {
        &[
            (Action::Confirm, "confirm"),
            (Action::Skip, "skip"),
            (Action::Retry, "retry"),
            (Action::RollBack, "roll back"),
            (Action::Abort, "abort"),
            (Action::Note, "note"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
    };
    let mut shown = shown.to_vec();
    // The way back exists only while a failed step offers it.
    if matches!(
        app.view.pending,
        Some(crate::runbook::engine::Pending::Failed { back: Some(_), .. })
    ) {
        shown.insert(3, (Action::Back, "back"));
    }
    let mut spans = Vec::new();
    for &(action, label) in &shown {
        let key = app.keymap.first_key(action);
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::raw(format!(" {label} ")));
    }
    spans
}
