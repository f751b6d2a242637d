//! Drawing: a pure function of [`App`]. One file per region of the screen.
//!
//! ```text
//! ┌ SIMULATION banner (demo only) ──────────────────────────────────────────────────────┐
//! ┌ Vault (Infisical) ──────┐┌ GitHub Actions ─────────┐┌ Heroku apps ─────────────────┐
//! │ v14 · fp · /account     ││ updated · last deploy   ││ one line per app             │
//! └─────────────────────────┘└─────────────────────────┘└──────────────────────────────┘
//! ┌ Runbook ───────┐┌ Step 3/7 · title ─────────────────────────────────────────────────┐
//! │ ✔ step          ││ markdown body · the change it will make · last attempt · activity │
//! │ ▶ step          ││                                                                   │
//! └─────────────────┘└───────────────────────────────────────────────────────────────────┘
//!  status line (a refusal, a hint)
//!  diagnosis · rate budgets · clipboard countdown · keys
//! ```

mod footer;
mod modal;
mod panels;
mod steps;
mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::app::App;

/// Below this the screen would be garbled: say so instead.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Styles, with or without colour (`NO_COLOR`).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn banner(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }
}

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let theme = Theme { color: app.color };
    // The banner wraps rather than being cut (the demo's names its files' folder).
    let banner = app.banner.as_ref().map_or(0, |text| {
        let width = usize::from(area.width.max(1));
        u16::try_from((text.chars().count() + 2).div_ceil(width).min(3)).unwrap_or(1)
    });
    let [top, panels, body, status, footer] = Layout::vertical([
        Constraint::Length(banner),
        Constraint::Length(panels::height(app, area.height)),
        Constraint::Min(6),
        Constraint::Length(1),
        Constraint::Length(footer::height(area.width)),
    ])
    .areas(area);
    if let Some(text) = &app.banner {
        let line = Line::styled(format!(" {text} "), theme.banner());
        let banner = Paragraph::new(line)
            .style(theme.banner())
            .wrap(Wrap { trim: true });
        frame.render_widget(banner, top);
    }
    panels::render(app, theme, frame, panels);
    // With a dialog open, the list and the step pane end above it (the focused step and
    // its "waiting for you" line stay visible), unless that leaves them no room.
    let above = modal::covered(app, theme, area, body).map_or(body, |dialog| Rect {
        height: dialog.y.saturating_sub(body.y),
        ..body
    });
    let steps_area = if above.height >= 6 { above } else { body };
    steps::render(app, theme, frame, steps_area);
    footer::render_status(app, theme, frame, status);
    footer::render(app, theme, frame, footer);
    modal::render(app, theme, frame, area, body);
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "keyturn needs at least {MIN_WIDTH}×{MIN_HEIGHT} (this terminal is {}×{}).\nEnlarge the window; nothing is lost meanwhile — q quits.",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

/// "12s ago", "3m ago", "5h ago", "91d ago".
pub fn ago(now: chrono::DateTime<chrono::Utc>, then: chrono::DateTime<chrono::Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s ago"),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86_400 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}
