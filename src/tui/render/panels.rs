//! The three status panels: vault, GitHub, Heroku apps. Each says how fresh its reading is
//! and shows a failed read plainly ("offline / error: …") above the last good reading.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{Theme, ago};
use crate::tui::app::App;
use crate::tui::panels::{Account, AppReading, GithubReading, Panel, VaultReading};

/// Rows for the panel strip: room for every app, within reason.
pub fn height(app: &App, screen: u16) -> u16 {
    let apps = u16::try_from(app.panels.apps.len()).unwrap_or(u16::MAX);
    let wanted = apps.max(3).saturating_add(3);
    wanted.min(screen / 3).max(5)
}

/// Draws the strip.
pub fn render(app: &App, theme: Theme, frame: &mut Frame, area: Rect) {
    let narrow = area.width < 100;
    let split = if narrow { [25, 25, 50] } else { [28, 30, 42] };
    let [vault, github, apps] = Layout::horizontal(split.map(Constraint::Percentage)).areas(area);
    let block = |title: &'static str| Block::bordered().title(Span::styled(title, theme.title()));
    let wrap = Wrap { trim: true };
    let p = Paragraph::new(vault_lines(app, theme)).wrap(wrap);
    frame.render_widget(p.block(block(" Vault (Infisical) ")), vault);
    let p = Paragraph::new(github_lines(app, theme)).wrap(wrap);
    frame.render_widget(p.block(block(" GitHub Actions ")), github);
    let inner = Rect {
        width: apps.width.saturating_sub(2),
        height: apps.height.saturating_sub(2),
        ..apps
    };
    let p = app_lines(app, theme, inner);
    frame.render_widget(Paragraph::new(p).block(block(" Heroku apps ")), apps);
}

/// The reading's state as lines: the value's lines, then freshness or the error.
fn panel_lines<'a, T>(
    app: &App,
    theme: Theme,
    panel: &'a Panel<T>,
    value: impl Fn(&'a T) -> Vec<Line<'static>>,
) -> Vec<Line<'static>> {
    match panel {
        Panel::Idle => vec![Line::styled("not read yet", theme.dim())],
        Panel::Loading => vec![Line::styled("reading…", theme.dim())],
        Panel::Loaded { value: v, at } => {
            let mut lines = value(v);
            lines.push(Line::styled(
                format!("read {}", ago(app.now, *at)),
                theme.dim(),
            ));
            lines
        }
        Panel::Failed { error, at, last } => {
            let mut lines = vec![Line::styled(
                format!("offline / error ({}): {error}", ago(app.now, *at)),
                theme.bad(),
            )];
            if let Some(last) = last {
                lines.extend(value(last));
            }
            lines
        }
    }
}

fn vault_lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    panel_lines(app, theme, &app.panels.vault, |v: &VaultReading| {
        let Some(fp) = v.fingerprint else {
            return vec![Line::styled(
                format!("{} is not in the vault", app.secret),
                theme.bad(),
            )];
        };
        let version = v.version.map_or("v?".to_owned(), |n| format!("v{n}"));
        let when = v.updated_at.map_or("?".to_owned(), |t| ago(app.now, t));
        vec![
            Line::from(format!("{version} · fp {}", short(fp))),
            Line::from(format!("updated {when}")),
            account_line(theme, v.account.as_ref()),
        ]
    })
}

fn account_line(theme: Theme, account: Option<&Account>) -> Line<'static> {
    match account {
        Some(Account::Valid { email }) => {
            Line::styled(format!("/account: 200 {email}"), theme.good())
        }
        Some(Account::Invalid) => Line::styled("/account: 401 — token rejected", theme.bad()),
        Some(Account::Unknown(why)) => Line::styled(format!("/account: ? {why}"), theme.warn()),
        None => Line::styled("/account: not checked", theme.dim()),
    }
}

fn github_lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    if !app.panels.github_configured {
        return vec![Line::styled(
            "no GitHub credential (set GH_TOKEN)",
            theme.warn(),
        )];
    }
    panel_lines(app, theme, &app.panels.github, |g: &GithubReading| {
        let Some(updated) = g.updated_at else {
            return vec![Line::styled(
                format!("{} is not set", app.secret),
                theme.bad(),
            )];
        };
        let stale = github_stale(app, g);
        let mut first = vec![Span::raw(format!("updated {}", ago(app.now, updated)))];
        if stale {
            first.push(Span::styled(" · STALE", theme.bad()));
        }
        vec![Line::from(first), deploy_line(app, theme, g)]
    })
}

/// GitHub cannot be read back: it is stale when older than the vault's value, or when the
/// engine diagnosed it so and nothing was written since.
fn github_stale(app: &App, g: &GithubReading) -> bool {
    let vault_at = app.panels.vault.value().and_then(|v| v.updated_at);
    let older = matches!((g.updated_at, vault_at), (Some(gh), Some(v)) if gh < v);
    let failed = g
        .deploy
        .as_ref()
        .is_some_and(|d| d.conclusion.as_deref() == Some("failure"));
    older || failed
}

fn deploy_line(app: &App, theme: Theme, g: &GithubReading) -> Line<'static> {
    let Some(run) = &g.deploy else {
        return Line::styled("last deploy: none yet", theme.dim());
    };
    let state = run
        .conclusion
        .clone()
        .or_else(|| run.status.clone())
        .unwrap_or_else(|| "?".to_owned());
    let style = match state.as_str() {
        "success" => theme.good(),
        "failure" | "cancelled" | "timed_out" => theme.bad(),
        _ => theme.warn(),
    };
    let when = run
        .created_at
        .map_or(String::new(), |t| format!(", {}", ago(app.now, t)));
    Line::from(vec![
        Span::raw("last deploy: "),
        Span::styled(state, style),
        Span::styled(format!(" (run {}{when})", run.run_id), theme.dim()),
    ])
}

fn app_lines(app: &App, theme: Theme, inner: Rect) -> Vec<Line<'static>> {
    let vault = app.panels.vault_fingerprint();
    let longest = app
        .panels
        .apps
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    // name, then "1a2b3c valid ≠ STALE" (21 columns) on one line.
    let width = longest
        .min(usize::from(inner.width).saturating_sub(21))
        .max(8);
    let rows = usize::from(inner.height);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for (i, (name, panel)) in app.panels.apps.iter().enumerate() {
        if lines.len() + 1 >= rows && i + 1 < app.panels.apps.len() {
            let rest = app.panels.apps.len() - i;
            lines.push(Line::styled(format!("… and {rest} more apps"), theme.dim()));
            break;
        }
        lines.push(app_line(theme, &fit(name, width), panel, vault));
    }
    lines
}

/// `name` padded or cut to `width` columns.
fn fit(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return format!("{name:<width$}");
    }
    let cut: String = name.chars().take(width.saturating_sub(1)).collect();
    format!("{cut}…")
}

fn app_line(
    theme: Theme,
    name: &str,
    panel: &Panel<AppReading>,
    vault: Option<crate::secret::Fingerprint>,
) -> Line<'static> {
    let mut spans = vec![Span::raw(format!("{name} "))];
    match panel {
        Panel::Idle | Panel::Loading => spans.push(Span::styled("reading…", theme.dim())),
        Panel::Failed {
            error, last: None, ..
        } => {
            spans.push(Span::styled(format!("error: {error}"), theme.bad()));
        }
        Panel::Loaded { value, .. } => spans.extend(app_value(theme, value, vault)),
        Panel::Failed {
            last: Some(value),
            error,
            ..
        } => {
            spans.extend(app_value(theme, value, vault));
            spans.push(Span::styled(format!(" (offline: {error})"), theme.warn()));
        }
    }
    Line::from(spans)
}

/// Six hex digits are enough to tell copies apart on screen.
fn short(fp: crate::secret::Fingerprint) -> String {
    fp.to_string().chars().take(6).collect()
}

fn app_value(
    theme: Theme,
    value: &AppReading,
    vault: Option<crate::secret::Fingerprint>,
) -> Vec<Span<'static>> {
    let Some(fp) = value.fingerprint else {
        return vec![Span::styled("not set", theme.bad())];
    };
    let mut spans = vec![Span::raw(format!("{} ", short(fp)))];
    spans.push(match value.account {
        Some(Account::Valid { .. }) => Span::styled("valid", theme.good()),
        Some(Account::Invalid) => Span::styled("401  ", theme.bad()),
        _ => Span::styled("?    ", theme.warn()),
    });
    spans.push(match vault.map(|v| v == fp) {
        Some(true) => Span::styled(" = vault", theme.good()),
        Some(false) => Span::styled(" ≠ STALE", theme.bad()),
        None => Span::raw(""),
    });
    spans
}
