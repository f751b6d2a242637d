//! Dialogs and the help overlay, drawn over the screen's centre.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::Theme;
use crate::config::keymap::{Action, snake};
use crate::runbook::engine::ConfirmPrompt;
use crate::tui::app::App;
use crate::tui::modal::{Modal, ROOT_CAUSES};
use crate::tui::runbook_view::note_name;

/// Draws the open dialog over the bottom of the runbook region `body` (its full width, so
/// no step text shows beside it and no border crosses it), then the help overlay.
pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect, body: Rect) {
    if let Some(modal) = &app.modal {
        let (title, lines) = content(app, theme, modal);
        let rect = dialog_rect(&lines, area, body);
        frame.render_widget(Clear, rect);
        let block = Block::bordered().title(Span::styled(format!(" {title} "), theme.title()));
        let paragraph = Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false });
        frame.render_widget(paragraph, rect);
    }
    if app.help {
        help(app, theme, frame, area);
    }
}

fn centered(area: Rect, width_pct: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Percentage(width_pct)])
        .flex(Flex::Center)
        .areas(row);
    rect
}

/// Where the open dialog goes, if one is open: the step list and pane are drawn above it so
/// the focused step stays in sight.
pub fn covered(app: &App, theme: Theme, area: Rect, body: Rect) -> Option<Rect> {
    let modal = app.modal.as_ref()?;
    let (_, lines) = content(app, theme, modal);
    Some(dialog_rect(&lines, area, body))
}

fn dialog_rect(lines: &[Line], area: Rect, body: Rect) -> Rect {
    let inner = body.width.saturating_sub(2);
    let height = wrapped_height(lines, inner).saturating_add(2);
    bottom_of(body, height.min(area.height))
}

/// Dialogs sit low, over the end of the runbook region, so the step's explanation above
/// stays readable; a dialog taller than the region grows upwards over the panels.
fn bottom_of(body: Rect, height: u16) -> Rect {
    let bottom = body.bottom();
    let y = bottom.saturating_sub(height);
    Rect {
        x: body.x,
        y,
        width: body.width,
        height: bottom - y,
    }
}

/// Rows `lines` take when wrapped at `width`, plus one spare when any wraps (word
/// wrapping can need a row more than the character count says).
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let mut rows = 0;
    let mut wrapped = false;
    for line in lines {
        let n = line.width().div_ceil(width).max(1);
        wrapped |= n > 1;
        rows += n;
    }
    u16::try_from(rows + usize::from(wrapped)).unwrap_or(u16::MAX)
}

fn key(app: &App, action: Action) -> String {
    app.keymap.first_key(action)
}

fn content(app: &App, theme: Theme, modal: &Modal) -> (String, Vec<Line<'static>>) {
    match modal {
        Modal::Confirm {
            title,
            preview,
            prompt,
            typed,
            error,
            ..
        } => (
            format!("Confirm: {title}"),
            confirm_lines(app, theme, preview, prompt, typed, error.as_deref()),
        ),
        Modal::SkipReason {
            title,
            reason,
            error,
            ..
        } => {
            let mut lines = vec![
                Line::raw("Why skip it? The reason goes into the journal and the postmortem."),
                Line::from(vec![
                    Span::raw("reason: "),
                    Span::styled(format!("{reason}▏"), theme.key()),
                ]),
            ];
            if let Some(error) = error {
                lines.push(Line::styled(error.clone(), theme.bad()));
            }
            lines.push(Line::styled("enter: skip · esc: cancel", theme.dim()));
            (format!("Skip: {title}"), lines)
        }
        Modal::Ask { question, .. } => (
            "Are you sure?".to_owned(),
            vec![
                Line::raw(question.clone()),
                Line::styled(
                    format!(
                        "{} / y: yes · {} / n: no",
                        key(app, Action::Confirm),
                        key(app, Action::Cancel)
                    ),
                    theme.key(),
                ),
            ],
        ),
        Modal::Note { kind, text } => note(theme, *kind, text),
        Modal::Quit { session, running } => {
            let resume = session.as_ref().map_or_else(
                || "`keyturn resume` shows where it stopped".to_owned(),
                |s| app.resume_command(s),
            );
            let state = match running {
                Some(step) => format!(
                    "The step `{step}` is running: leaving interrupts it. {} {resume}.",
                    app.view.left_behind()
                ),
                None => format!("{} {resume}.", app.view.left_behind()),
            };
            (
                "Quit?".to_owned(),
                vec![
                    Line::raw("A runbook is under way. Leave now?"),
                    Line::raw(state),
                    Line::styled(
                        format!(
                            "{} / y: quit · {} / n: stay",
                            key(app, Action::Confirm),
                            key(app, Action::Cancel)
                        ),
                        theme.key(),
                    ),
                ],
            )
        }
        Modal::OfferRotation { why } => (
            if why.starts_with("No copy validates") {
                "Nothing valid".to_owned()
            } else {
                "In sync".to_owned()
            },
            vec![
                Line::styled(why.clone(), theme.good()),
                Line::raw("Start the rotation runbook (heroku-token-rotation) now?"),
                Line::styled(
                    format!(
                        "{} / y: start · {} / n: not now",
                        key(app, Action::Confirm),
                        key(app, Action::Cancel)
                    ),
                    theme.key(),
                ),
            ],
        ),
    }
}

fn confirm_lines(
    app: &App,
    theme: Theme,
    preview: &[crate::runbook::engine::Change],
    prompt: &ConfirmPrompt,
    typed: &str,
    error: Option<&str>,
) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    if preview.is_empty() {
        lines.push(Line::raw(
            "Confirm when you are ready (the step pane above explains what happens).",
        ));
    }
    for change in preview {
        lines.push(Line::raw(format!("• {change}")));
    }
    lines.extend(reveal_lines(app, theme));
    lines.push(Line::raw(""));
    match prompt {
        ConfirmPrompt::YesNo => lines.push(Line::from(vec![
            Span::styled(format!("{} / y", key(app, Action::Confirm)), theme.key()),
            Span::raw(" run it    "),
            Span::styled(format!("{} / n", key(app, Action::Cancel)), theme.key()),
            Span::raw(" not now    "),
            Span::styled(key(app, Action::Skip), theme.key()),
            Span::raw(" skip    "),
            Span::styled(key(app, Action::RollBack), theme.key()),
            Span::raw(" roll back    "),
            Span::styled(key(app, Action::Abort), theme.key()),
            Span::raw(" abort"),
        ])),
        ConfirmPrompt::Typed(word) => {
            lines.push(Line::styled(
                "This cannot be undone. Type the word below exactly, then enter (esc: not now).",
                theme.warn(),
            ));
            lines.push(Line::raw(format!("word:  {word}")));
            lines.push(Line::from(vec![
                Span::raw("typed: "),
                Span::styled(format!("{typed}▏"), theme.key()),
            ]));
        }
    }
    if let Some(error) = error {
        lines.push(Line::styled(error.to_owned(), theme.bad()));
    }
    lines
}

fn note(
    theme: Theme,
    kind: crate::session::event::NoteKind,
    text: &str,
) -> (String, Vec<Line<'static>>) {
    let mut lines = vec![Line::raw(format!(
        "{} (tab switches kind) — kept in the journal for the postmortem:",
        note_name(kind)
    ))];
    if kind == crate::session::event::NoteKind::RootCause && text.is_empty() {
        for (i, cause) in ROOT_CAUSES.iter().enumerate() {
            lines.push(Line::styled(format!("  {}  {cause}", i + 1), theme.dim()));
        }
        lines.push(Line::styled("  or type your own", theme.dim()));
    }
    lines.push(Line::from(vec![
        Span::raw("> "),
        Span::styled(format!("{text}▏"), theme.key()),
    ]));
    lines.push(Line::styled("enter: save · esc: cancel", theme.dim()));
    ("Operator note".to_owned(), lines)
}

/// The copied token, only while the operator asked to see it (10 s).
fn reveal_lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let Some(clipboard) = &app.clipboard else {
        return Vec::new();
    };
    match clipboard.revealed(app.clock) {
        Some(value) => vec![
            Line::raw(""),
            Line::styled(format!("token: {}", value.as_str()), theme.warn()),
            Line::styled("(hidden again in a few seconds)", theme.dim()),
        ],
        None if clipboard.holds_value(app.clock) => vec![Line::styled(
            format!(
                "The token is on your clipboard. {} reveals it for 10 s.",
                key(app, Action::Reveal)
            ),
            theme.dim(),
        )],
        None => Vec::new(),
    }
}

fn help(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    // Wide screens also name each action as `[tui.keymap]` does; narrow ones keep keys and
    // what they do, at full length.
    let wide = area.width >= 110;
    let mut lines = Vec::new();
    for action in Action::ALL {
        let keys: Vec<String> = app
            .keymap
            .keys(action)
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut spans = vec![
            Span::styled(format!("{:<18}", keys.join(" ")), theme.key()),
            Span::raw(action.describe().to_owned()),
        ];
        if wide {
            spans.push(Span::styled(format!("  [{}]", snake(action)), theme.dim()));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Rebind in the config: [tui.keymap] skip = [\"x\"]. The mouse wheel scrolls the step. Any key closes this.",
        theme.dim(),
    ));
    let pct = if wide { 80 } else { 96 };
    let inner = (area.width * pct / 100).saturating_sub(2);
    let height = wrapped_height(&lines, inner).saturating_add(2);
    let rect = centered(area, pct, height.min(area.height));
    frame.render_widget(Clear, rect);
    let block = Block::bordered().title(Span::styled(" Keys ", theme.title()));
    let paragraph = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(paragraph, rect);
}
