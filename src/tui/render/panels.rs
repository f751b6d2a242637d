//! The three status panels: vault, GitHub, Heroku apps. Each says how fresh its reading is
//! and shows a failed read plainly ("offline / error: …") above the last good reading.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{Theme, ago};
use crate::config::keymap::Action;
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
    // How fresh each reading is goes in the title, where wrapping cannot push it out.
    let block = |title: &str, at: Option<DateTime<Utc>>| {
        let mut spans = vec![Span::styled(format!(" {title} "), theme.title())];
        if let Some(at) = at {
            spans.push(Span::styled(format!("{} ", ago(app.now, at)), theme.dim()));
        }
        Block::bordered().title(Line::from(spans))
    };
    let wrap = Wrap { trim: true };
    let width = usize::from(vault.width.saturating_sub(2));
    let p = Paragraph::new(vault_lines(app, theme, width)).wrap(wrap);
    let title = if narrow { "Vault" } else { "Vault (Infisical)" };
    frame.render_widget(p.block(block(title, read_at(&app.panels.vault))), vault);
    let p = Paragraph::new(github_lines(app, theme)).wrap(wrap);
    let title = if narrow { "GitHub" } else { "GitHub Actions" };
    frame.render_widget(p.block(block(title, read_at(&app.panels.github))), github);
    let inner = Rect {
        width: apps.width.saturating_sub(2),
        height: apps.height.saturating_sub(2),
        ..apps
    };
    let p = app_lines(app, theme, inner);
    let oldest = app.panels.apps.iter().filter_map(|(_, p)| read_at(p)).min();
    frame.render_widget(Paragraph::new(p).block(block("Heroku apps", oldest)), apps);
}

/// When the shown reading was taken (a failed read counts: its error is what is shown).
fn read_at<T>(panel: &Panel<T>) -> Option<DateTime<Utc>> {
    match panel {
        Panel::Loaded { at, .. } | Panel::Failed { at, .. } => Some(*at),
        Panel::Idle | Panel::Loading => None,
    }
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
        Panel::Loaded { value: v, .. } => value(v),
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

fn vault_lines(app: &App, theme: Theme, width: usize) -> Vec<Line<'static>> {
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
        ]
        .into_iter()
        .chain(account_lines(theme, v.account.as_ref(), width))
        .collect()
    })
}

/// `/account: 200` and the account's email, cut (not broken mid-word) to fit.
fn account_lines(theme: Theme, account: Option<&Account>, width: usize) -> Vec<Line<'static>> {
    match account {
        Some(Account::Valid { email }) => vec![
            Line::styled("/account: 200", theme.good()),
            Line::styled(fit(email, width).trim_end().to_owned(), theme.good()),
        ],
        Some(Account::Invalid) => vec![Line::styled("/account: 401 rejected", theme.bad())],
        Some(Account::Unknown(why)) => {
            vec![Line::styled(format!("/account: ? {why}"), theme.warn())]
        }
        None => vec![Line::styled("/account: not checked", theme.dim())],
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
        // GitHub never shows the value: STALE only where the drift audit's rules say so
        // (on the same readings), otherwise its match is unproven without a probe.
        let mut first = vec![Span::raw(format!("updated {}", ago(app.now, updated)))];
        let proved = app.panels.probe_verdict();
        match (app.github_stale().is_some(), proved) {
            (true, Some(_)) => first.push(Span::styled(" · STALE (probe)", theme.bad())),
            (true, None) => first.push(Span::styled(" · STALE", theme.bad())),
            (false, Some(v)) if v.matches_vault == Some(true) => {
                first.push(Span::styled(" · = vault (probe)", theme.good()));
            }
            (false, _) if app.live_diagnosis().is_some() => {
                let how = if app.probe_configured {
                    format!(
                        " · unproven ({} probes)",
                        app.keymap.first_key(Action::Probe)
                    )
                } else {
                    " · unproven (no probe workflow)".to_owned()
                };
                first.push(Span::styled(how, theme.dim()));
            }
            _ => {}
        }
        let mut lines = vec![Line::from(first), deploy_line(app, theme, g)];
        lines.extend(probe_line(app, theme));
        lines
    })
}

/// The probe's state: under way, its verdict, that a later write outdated it, or why it
/// failed.
fn probe_line(app: &App, theme: Theme) -> Option<Line<'static>> {
    use crate::drift::ProbeReport;
    use crate::tui::panels::ProbeShown;
    let line = match app.panels.probe.as_ref()? {
        ProbeShown::Running { stage } => Line::styled(format!("probe: {stage}"), theme.warn()),
        ProbeShown::Done {
            report: ProbeReport::Failed(failure),
            ..
        } => Line::styled(format!("probe failed: {}", failure.message), theme.bad()),
        ProbeShown::Done {
            report: ProbeReport::Proved(verdict),
            at,
            ..
        } => {
            let when = ago(app.now, *at);
            if app.panels.probe_verdict().is_none() {
                Line::styled(
                    format!(
                        "probe run {} ({when}): outdated by a later write",
                        verdict.run_id
                    ),
                    theme.dim(),
                )
            } else {
                let account = verdict
                    .account_status
                    .map_or_else(|| "not asked".to_owned(), |s| s.to_string());
                let held = match verdict.matches_vault {
                    Some(true) => "holds the vault's value",
                    Some(false) if verdict.empty => "is empty",
                    Some(false) => "holds another value",
                    None => "compared with no vault value",
                };
                Line::styled(
                    format!(
                        "probe run {} ({when}): {held}, /account {account}",
                        verdict.run_id
                    ),
                    if verdict.matches_vault == Some(true) {
                        theme.good()
                    } else {
                        theme.bad()
                    },
                )
            }
        }
    };
    Some(line)
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
    // name, then " 1a2b3c4d valid ≠ vault" (24 columns), or with a ✔/✖ for the verdict
    // (20 columns) when the panel is narrow, on one line.
    let compact = usize::from(inner.width) < longest + 24;
    let rest = if compact { 20 } else { 24 };
    let width = longest
        .min(usize::from(inner.width).saturating_sub(rest))
        .max(8);
    let rows = usize::from(inner.height);
    let mut apps: Vec<&(String, Panel<AppReading>)> = app.panels.apps.iter().collect();
    if apps.len() > rows {
        // Not all fit: the ones that need attention first, the healthy rest after.
        apps.sort_by_key(|(_, panel)| !needs_attention(panel, vault));
    }
    let mut lines: Vec<Line<'static>> = Vec::new();
    for (i, (name, panel)) in apps.iter().enumerate() {
        if lines.len() + 1 >= rows && i + 1 < apps.len() {
            let rest = &apps[i..];
            let bad = rest
                .iter()
                .filter(|(_, p)| needs_attention(p, vault))
                .count();
            let text = match bad {
                0 => format!("… and {} more, all = vault", rest.len()),
                n => format!("… and {} more ({n} need attention)", rest.len()),
            };
            lines.push(Line::styled(text, theme.dim()));
            break;
        }
        let vault_valid = matches!(
            app.panels.vault.value().and_then(|v| v.account.as_ref()),
            Some(Account::Valid { .. })
        );
        lines.push(app_line(
            theme,
            &fit(name, width),
            panel,
            (vault, vault_valid, compact),
        ));
    }
    lines
}

/// An app whose copy differs from the vault, is rejected, or could not be read.
fn needs_attention(panel: &Panel<AppReading>, vault: Option<crate::secret::Fingerprint>) -> bool {
    match panel {
        Panel::Loaded { value, .. } => {
            value.fingerprint.is_none()
                || value.fingerprint != vault
                || !matches!(value.account, Some(Account::Valid { .. }))
        }
        Panel::Failed { .. } => true,
        Panel::Idle | Panel::Loading => false,
    }
}

/// `name` padded or cut to `width` columns. The cut is in the middle: app names share
/// prefixes (`raxx-console-prod`, `raxx-console-staging`) and differ at the end.
fn fit(name: &str, width: usize) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= width {
        return format!("{name:<width$}");
    }
    let keep = width.saturating_sub(1);
    let head: String = chars[..keep / 2].iter().collect();
    let tail: String = chars[chars.len() - (keep - keep / 2)..].iter().collect();
    format!("{head}…{tail}")
}

fn app_line(
    theme: Theme,
    name: &str,
    panel: &Panel<AppReading>,
    (vault, vault_valid, compact): (Option<crate::secret::Fingerprint>, bool, bool),
) -> Line<'static> {
    let mut spans = vec![Span::raw(format!("{name} "))];
    match panel {
        Panel::Idle | Panel::Loading => spans.push(Span::styled("reading…", theme.dim())),
        Panel::Failed {
            error, last: None, ..
        } => {
            spans.push(Span::styled(format!("error: {error}"), theme.bad()));
        }
        Panel::Loaded { value, .. } => {
            spans.extend(app_value(theme, value, (vault, vault_valid), compact));
        }
        Panel::Failed {
            last: Some(value),
            error,
            ..
        } => {
            spans.extend(app_value(theme, value, (vault, vault_valid), compact));
            spans.push(Span::styled(format!(" (offline: {error})"), theme.warn()));
        }
    }
    Line::from(spans)
}

/// The fingerprint as every screen of keyturn shows it (the confirmation too).
fn short(fp: crate::secret::Fingerprint) -> String {
    fp.to_string()
}

fn app_value(
    theme: Theme,
    value: &AppReading,
    (vault, vault_valid): (Option<crate::secret::Fingerprint>, bool),
    compact: bool,
) -> Vec<Span<'static>> {
    let Some(fp) = value.fingerprint else {
        return vec![Span::styled("not set", theme.bad())];
    };
    let mut spans = vec![Span::raw(format!("{} ", short(fp)))];
    let (valid, invalid, unknown) = if compact {
        ("✔", "✖", "?")
    } else {
        ("valid", "401  ", "?    ")
    };
    spans.push(match value.account {
        Some(Account::Valid { .. }) => Span::styled(valid, theme.good()),
        Some(Account::Invalid) => Span::styled(invalid, theme.bad()),
        _ => Span::styled(unknown, theme.warn()),
    });
    spans.push(match vault.map(|v| v == fp) {
        Some(true) => Span::styled(" = vault", theme.good()),
        // Differing from the vault makes the app stale only when the vault is the good copy
        // (after a vault-stale drift the app holds the live token and the vault the dead one).
        Some(false) if vault_valid => Span::styled(" ≠ vault", theme.bad()),
        Some(false) => Span::styled(" ≠ vault", theme.warn()),
        None => Span::raw(""),
    });
    spans
}
