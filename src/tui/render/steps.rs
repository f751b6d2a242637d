//! The runbook pane: the step list with status icons on the left, the focused step on the
//! right (its markdown body, the exact change it will make, the last attempt, recent
//! activity), or the postmortem preview once the session is over.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, List, ListItem, Paragraph, Wrap};

use super::Theme;
use crate::runbook::StepStatus;
use crate::runbook::engine::{ConfirmPrompt, Pending};
use crate::tui::app::App;
use crate::tui::runbook_view::outcome_name;

/// Draws the list and the step pane.
pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let list_width = (area.width / 3).clamp(26, 56);
    let [list, pane] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(40)]).areas(area);
    render_list(app, theme, frame, list);
    render_pane(app, theme, frame, pane);
}

fn render_list(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let title = app
        .view
        .runbook
        .as_ref()
        .map_or(" Runbook ".to_owned(), |r| {
            format!(" Runbook: {} ", short_name(r))
        });
    let focus = app.view.focus();
    // Titles wrap under their text (two rows at most, the rest cut with …) instead of
    // stopping at the list's edge.
    let room = usize::from(area.width.saturating_sub(2)).max(8);
    let items: Vec<ListItem> = app
        .view
        .steps
        .iter()
        .map(|s| {
            let (icon, style) = match s.status {
                Some(StepStatus::Succeeded) if app.view.findings.contains(&s.id) => {
                    ("!", theme.warn())
                }
                Some(StepStatus::Succeeded) => ("✔", theme.good()),
                Some(StepStatus::Failed) => ("✖", theme.bad()),
                Some(StepStatus::Skipped) => ("–", theme.dim()),
                None if Some(s.id.as_str()) == focus => ("▶", theme.key()),
                None => ("·", theme.dim()),
            };
            let line = Line::from(vec![
                Span::styled(format!("{icon} "), style),
                Span::raw(s.title.clone()),
            ]);
            ListItem::new(Text::from(two_rows(&line, room)))
        })
        .collect();
    let block = Block::bordered().title(Span::styled(title, theme.title()));
    if items.is_empty() {
        let text = Line::styled("auditing the stores…", theme.dim());
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let selected = app
        .view
        .steps
        .iter()
        .position(|s| Some(s.id.as_str()) == focus);
    let mut state = ratatui::widgets::ListState::default().with_selected(selected);
    frame.render_stateful_widget(List::new(items).block(block), area, &mut state);
}

/// `line` wrapped at `width` under its icon, at most two rows, the second cut with `…`.
fn two_rows(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    if line.width() <= width {
        return vec![line.clone()];
    }
    let mut rows = super::wrap::wrap(line, width, 2);
    if rows.len() > 2 {
        rows.truncate(2);
        let last = &mut rows[1];
        let text: String = last.spans.iter().map(|s| s.content.as_ref()).collect();
        let keep: String = text.chars().take(width.saturating_sub(1)).collect();
        *last = Line::raw(format!("{}…", keep.trim_end()));
    }
    rows
}

fn short_name(runbook: &crate::runbook::Runbook) -> &str {
    match runbook.kind {
        crate::session::event::RunbookKind::DriftRecovery => "drift recovery",
        crate::session::event::RunbookKind::Rotation => "token rotation",
        crate::session::event::RunbookKind::Other => runbook.id(),
    }
}

fn render_pane(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let (title, text) = pane_content(app, theme, usize::from(area.width.saturating_sub(2)));
    let block = Block::bordered().title(Span::styled(format!(" {title} "), theme.title()));
    let paragraph = Paragraph::new(text)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((app.scroll, 0));
    frame.render_widget(paragraph, area);
}

fn pane_content(app: &App, theme: Theme, width: usize) -> (String, Text<'static>) {
    if let Some(broken) = &app.view.broken {
        let text = Text::from(vec![
            Line::styled(format!("The engine stopped: {broken}"), theme.bad()),
            Line::raw(""),
            Line::raw(resume_hint(app)),
        ]);
        return ("Stopped".to_owned(), text);
    }
    if let Some(outcome) = app.view.outcome {
        return finished(app, theme, outcome, width);
    }
    let Some(step) = app.view.focus() else {
        let text = Text::styled("Reading every copy of the token…", theme.dim());
        return ("Starting".to_owned(), text);
    };
    let title = app
        .view
        .steps
        .iter()
        .find(|s| s.id == step)
        .map_or(step.to_owned(), |s| s.title.clone());
    // The block's title holds the position; the step's own title is the pane's first
    // line, where it wraps instead of being cut at the border.
    let heading = match app.view.position() {
        Some((n, total)) => format!("Step {n}/{total}"),
        None => "Step".to_owned(),
    };
    let mut text = step_text(app, theme, step, width);
    text.lines.insert(0, Line::styled(title, theme.title()));
    (heading, text)
}

fn step_text(app: &App, theme: Theme, step: &str, width: usize) -> Text<'static> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    lines.extend(state_lines(app, theme, step));
    if let Some(body) = app.view.body(step) {
        lines.push(Line::raw(""));
        let body = crate::tui::markdown::to_text(&body, theme.color).lines;
        lines.extend(super::wrap::hang(body, width));
    }
    if let Some((preview, prompt)) = app.view.preview() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("This step will change:", theme.title()));
        if preview.is_empty() {
            lines.push(Line::styled(
                "  no store (a confirmation or a read)",
                theme.dim(),
            ));
        }
        for change in preview {
            lines.push(Line::raw(format!("  • {change}")));
        }
        if let ConfirmPrompt::Typed(word) = prompt {
            lines.push(Line::styled(
                format!("Irreversible: you will type `{word}` to confirm."),
                theme.warn(),
            ));
        }
    }
    lines.extend(activity(app, theme));
    Text::from(lines)
}

/// What is happening with the focused step right now.
fn state_lines(app: &App, theme: Theme, step: &str) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match &app.view.pending {
        Some(Pending::Confirm { .. }) => lines.push(Line::styled(
            format!(
                "Waiting for you: {} run this step · {} skip · {} roll back · {} abort",
                app.keymap.first_key(crate::config::keymap::Action::Confirm),
                app.keymap.first_key(crate::config::keymap::Action::Skip),
                app.keymap
                    .first_key(crate::config::keymap::Action::RollBack),
                app.keymap.first_key(crate::config::keymap::Action::Abort),
            ),
            theme.key(),
        )),
        Some(Pending::Failed { error, back, .. }) => {
            lines.push(Line::styled(format!("Failed: {error}"), theme.bad()));
            lines.push(Line::styled(
                "Every store is as the last ✔ left it. Retry, skip (with a reason), roll back or abort.",
                theme.warn(),
            ));
            if let Some(back) = back {
                lines.push(Line::styled(
                    format!(
                        "Or {} go back to “{}” and walk on from there.",
                        app.keymap.first_key(crate::config::keymap::Action::Back),
                        back.title
                    ),
                    theme.key(),
                ));
            }
        }
        _ if app.view.running.as_deref() == Some(step) => {
            lines.push(Line::styled("Running…", theme.warn()));
        }
        _ => {}
    }
    if let Some(result) = app.view.results.get(step) {
        lines.push(Line::from(vec![
            Span::styled("Last attempt: ", theme.dim()),
            Span::raw(result.clone()),
        ]));
    }
    lines
}

fn activity(app: &App, theme: Theme) -> Vec<Line<'static>> {
    const SHOWN: usize = 6;
    if app.view.log.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![Line::raw(""), Line::styled("Activity", theme.title())];
    let start = app.view.log.len().saturating_sub(SHOWN);
    lines.extend(
        app.view.log[start..]
            .iter()
            .map(|l| Line::styled(format!("  {l}"), theme.dim())),
    );
    lines
}

fn finished(
    app: &App,
    theme: Theme,
    outcome: crate::session::event::Outcome,
    width: usize,
) -> (String, Text<'static>) {
    let title = format!("Finished: {}", outcome_name(outcome));
    let mut lines = Vec::new();
    if let Some((at, outcome, message)) = &app.view.fold.summary.finished {
        let ending = crate::session::describe::ending(*outcome, message);
        lines.push(Line::raw(format!("{} {ending}", at.format("%H:%M:%S"))));
    }
    lines.push(Line::raw(resume_hint(app)));
    let owed = app.view.session().filter(|_| app.view.postmortem_owed());
    if let Some(session) = owed {
        lines.push(Line::raw(format!(
            "No postmortem was written: `keyturn postmortem {session}` writes it from the journal, marked unresolved."
        )));
    }
    if let Some((path, markdown)) = &app.view.postmortem {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!(
                "Postmortem written to {} — {} adds a root cause or follow-up (rewrites it). Preview:",
                path.display(),
                app.keymap.first_key(crate::config::keymap::Action::Note)
            ),
            theme.title(),
        ));
        lines.push(Line::raw(""));
        let preview = crate::tui::markdown::to_text(markdown, theme.color).lines;
        lines.extend(super::wrap::hang(preview, width));
    } else if app.view.log.len() > 1 {
        lines.extend(activity(app, theme));
    }
    (title, Text::from(lines))
}

fn resume_hint(app: &App) -> String {
    match (&app.view.session(), &app.view.journal) {
        (Some(session), Some(journal)) => format!(
            "Session {session} · journal {} · {}.",
            journal.display(),
            app.resume_command(session)
        ),
        _ => String::new(),
    }
}
