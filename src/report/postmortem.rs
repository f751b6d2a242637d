//! The drift postmortem: the SOP's template, filled from the session's events.
//!
//! Saved as `<dir>/heroku-key-drift-<YYYY-MM-DD>.md`; never overwrites (a second incident
//! the same day gets `-2`, then `-3`, …) and is written atomically (a temporary file is
//! hard-linked into place, which fails instead of replacing an existing file).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::session::event::{Event, EventKind, NoteKind, Outcome};
use crate::session::summary::{Observation, StepRecord, StepResult, Summary};
use crate::store::{Store, Validity};

mod file;

pub use file::{rewrite, write};

/// A rendered postmortem.
#[derive(Debug, Clone)]
pub struct Postmortem {
    pub markdown: String,
    /// The UTC moment drift was detected: the file is named after its date.
    pub detected_at: DateTime<Utc>,
    /// False for an interrupted or failed session (the text says so at the top).
    pub resolved: bool,
}

const ROOT_CAUSE_BLANK: &str =
    "_to fill in — manual rotation? failed rotation handler? dashboard rotation? other?_";
const FOLLOWUP_BLANK: &str = "_to fill in — issue number_";

/// Renders the postmortem of a session from its events.
pub fn render(events: &[Event]) -> Postmortem {
    of(&crate::session::State::of(events).summary)
}

/// Renders the postmortem from the session's fold.
pub fn of(s: &Summary) -> Postmortem {
    let detected_at = s.detected.or(s.started).unwrap_or_else(Utc::now);
    let mut md = String::new();
    let secret = if s.secret.is_empty() {
        "HEROKU_API_KEY"
    } else {
        &s.secret
    };
    let _ = writeln!(md, "### {secret} drift — {}\n", stamp(detected_at));
    if !s.resolved() {
        let _ = writeln!(md, "{}\n", unresolved_banner(s));
    }
    let _ = writeln!(md, "- **Detected:** {}", detected(s, detected_at));
    let _ = writeln!(md, "- **Vault state:** {}", transition(s, &Store::Vault));
    let _ = writeln!(
        md,
        "- **GH secret state:** {}",
        transition(s, &Store::Github)
    );
    let _ = writeln!(md, "- **Heroku config state:**");
    for app in apps(s) {
        let _ = writeln!(
            md,
            "  - `{app}`: {}",
            transition(s, &Store::HerokuApp { app: app.clone() })
        );
    }
    let _ = writeln!(
        md,
        "- **Root cause:** {}",
        s.note(NoteKind::RootCause).unwrap_or(ROOT_CAUSE_BLANK)
    );
    let _ = writeln!(md, "- **Recovery:** {}", recovery(s));
    let _ = writeln!(
        md,
        "- **Time to recover:** {}",
        time_to_recover(s, detected_at)
    );
    let _ = writeln!(
        md,
        "- **Followup:** {}",
        s.note(NoteKind::Followup).unwrap_or(FOLLOWUP_BLANK)
    );
    for suggestion in suggestions(s) {
        let _ = writeln!(md, "  - suggested: {suggestion}");
    }
    md.push_str(&timeline(s));
    let _ = write!(
        md,
        "\n<sub>Written by keyturn from session `{}` (runbook `{}`). Fingerprints are keyed per session and mean nothing outside it; no token value is recorded.</sub>\n",
        s.session, s.runbook
    );
    Postmortem {
        markdown: crate::redact::redact(&md).into_owned(),
        detected_at,
        resolved: s.resolved(),
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn unresolved_banner(s: &Summary) -> String {
    let last = s
        .steps
        .iter()
        .rev()
        .find(|st| !is_condition_skip(st))
        .map_or("before the first step".to_owned(), |st| {
            format!("at step “{}”", st.title)
        });
    let Some((_, outcome, message)) = &s.finished else {
        return format!(
            "> **Unresolved** — the session was interrupted {last}. Continue with `keyturn resume {} --continue`, then rewrite this file with `keyturn postmortem {}`.",
            s.session, s.session
        );
    };
    match outcome {
        Outcome::RolledBack => format!(
            "> **Rolled back** — {} ({message}). Nothing to continue in this session: start a new one when the cause is understood.",
            match undone(s) {
                0 => "the session ended by the rollback path, which had nothing of its own to undo"
                    .to_owned(),
                n => format!("the rollback undid {n} step(s) of this session"),
            }
        ),
        Outcome::Stopped => format!(
            "> **Stopped** — the runbook stopped on purpose {last} ({message}). Nothing to continue in this session."
        ),
        Outcome::Failed | Outcome::Aborted => format!(
            "> **Unresolved** — the session ended {} {last} ({message}). Continue with `keyturn resume {} --continue`, then rewrite this file with `keyturn postmortem {}`.",
            if *outcome == Outcome::Failed {
                "failed"
            } else {
                "aborted"
            },
            s.session,
            s.session
        ),
        Outcome::Completed => String::new(),
    }
}

fn detected(s: &Summary, at: DateTime<Utc>) -> String {
    let when = at.format("%H:%M:%S UTC").to_string();
    let how = match &s.deploy {
        Some(EventKind::DeployObserved {
            workflow,
            run_id,
            conclusion: Some(conclusion),
            url,
            invalid_token,
            ..
        }) if conclusion != "success" => {
            let run = url
                .as_ref()
                .map_or(format!("run {run_id}"), |u| format!("[run {run_id}]({u})"));
            let msg = if *invalid_token {
                ", “The token provided to HEROKU_API_KEY is invalid”"
            } else {
                ""
            };
            format!(
                "failed deploy: `{workflow}` {run} concluded `{conclusion}`{msg}; confirmed by keyturn's drift audit"
            )
        }
        _ => "keyturn's drift audit".to_owned(),
    };
    // The SOP's "how": the symptom and what was found, not the advice on what to do.
    let finding = s.diagnosis.as_ref().map_or(String::new(), |(kind, _, _)| {
        format!(": {}", kind.finding())
    });
    format!("{how} at {when}{finding}")
}

fn state_word(o: &Observation) -> String {
    if o.evidence == Some(crate::store::Evidence::Probe) {
        return match (o.matches_vault, o.validity) {
            (Some(true), Validity::Valid) => "valid, matches the vault (proven by the probe)",
            (Some(true), _) => "matches the vault (proven by the probe)",
            (Some(false), Validity::Invalid) => {
                "stale: differs from the vault, rejected with 401 (proven by the probe)"
            }
            (Some(false), _) => "differs from the vault (proven by the probe)",
            (None, _) => "unknown (the probe gave no verdict)",
        }
        .to_owned();
    }
    match (o.validity, o.matches_vault) {
        (Validity::Valid, Some(false)) => "valid, but differs from the vault".to_owned(),
        (Validity::Valid, _) => "valid".to_owned(),
        (Validity::Invalid, _) => "stale (rejected with 401)".to_owned(),
        // The write-only GitHub copy, judged from its metadata.
        (Validity::Unknown, Some(false)) => "stale (judged from GitHub's metadata)".to_owned(),
        (Validity::Unknown, Some(true)) => "matches the vault".to_owned(),
        (Validity::Unknown, None) => match &o.error {
            Some(e) => format!("unknown ({e})"),
            None => "unknown".to_owned(),
        },
    }
}

fn transition(s: &Summary, key: &Store) -> String {
    let word = state_word;
    let after = if s.resolved() {
        "after recovery"
    } else {
        "at the end of the session"
    };
    // A deploy that succeeded after the fix is the only proof the write-only copy works.
    if let (Store::Github, Some(run), true) = (key, s.successful_run, s.resolved()) {
        let before = s.before.get(key).map_or("not observed".to_owned(), word);
        return format!(
            "{before} at detection → valid after recovery (deploy run {run} succeeded with it)"
        );
    }
    match (s.before.get(key), s.after.get(key)) {
        (Some(b), Some(a)) => format!("{} at detection → {} {after}", word(b), word(a)),
        (Some(b), None) => format!("{} at detection (not re-checked)", word(b)),
        (None, Some(a)) => format!("not observed at detection → {} {after}", word(a)),
        (None, None) => "not observed".to_owned(),
    }
}

fn apps(s: &Summary) -> Vec<String> {
    let mut names: Vec<String> = s
        .before
        .keys()
        .chain(s.after.keys())
        .filter_map(|k| {
            if let Store::HerokuApp { app: a } = k {
                Some(a.clone())
            } else {
                None
            }
        })
        .collect();
    names.dedup();
    names.sort();
    names.dedup();
    names
}

/// How many steps the rollback undid.
fn undone(s: &Summary) -> usize {
    s.steps
        .iter()
        .filter(|st| matches!(st.result, StepResult::RolledBack { .. }))
        .count()
}

fn recovery(s: &Summary) -> String {
    let path = match (s.path_taken(), s.rolled_back) {
        (Some(path), false) => path.describe().to_owned(),
        (Some(path), true) => match undone(s) {
            0 => format!(
                "{} — then the session was rolled back, which undid none of it",
                path.describe()
            ),
            n => format!(
                "{} — then rolled back ({n} step(s) undone)",
                path.describe()
            ),
        },
        (None, _) => "none: no copy was written".to_owned(),
    };
    let taken: Vec<&str> = s
        .steps
        .iter()
        .filter(|st| matches!(st.result, StepResult::Succeeded { .. }))
        .map(|st| st.title.as_str())
        .collect();
    if taken.is_empty() {
        return format!("{path}; no step completed");
    }
    format!("{path}; steps taken: {}", taken.join(" → "))
}

fn time_to_recover(s: &Summary, detected: DateTime<Utc>) -> String {
    let end = s.verified_at.filter(|_| s.resolved()).or_else(|| {
        s.finished
            .as_ref()
            .filter(|_| s.resolved())
            .map(|(at, _, _)| *at)
    });
    match end {
        Some(end) => {
            let secs = (end - detected).num_seconds().max(0);
            format!(
                "{} ({} → {} UTC)",
                duration_words(secs),
                detected.format("%H:%M:%S"),
                end.format("%H:%M:%S")
            )
        }
        None => "not recovered in this session".to_owned(),
    }
}

/// A duration to the second, and rounded to minutes beside it once it is a minute or more
/// (the SOP asks for minutes).
fn duration_words(secs: i64) -> String {
    if secs < 60 {
        return format!("{secs} s");
    }
    let (m, s) = (secs / 60, secs % 60);
    let rounded = (secs + 30) / 60;
    format!("{m} min {s} s (≈ {rounded} min)")
}

fn suggestions(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    let path_b_unavailable = s.steps.iter().any(|st| {
            matches!(&st.result, StepResult::Skipped { reason, .. } | StepResult::Failed { error: reason, .. }
                if reason.contains("secrets:write") || reason.contains("Path B unavailable"))
        });
    if path_b_unavailable {
        out.push("GitHub token lacks secrets:write — Path B unavailable; grant it so recovery can write the secret itself (#925)".to_owned());
    }
    if s.resumable() {
        out.push(format!(
            "finish or roll back the interrupted session: `keyturn resume {}`",
            s.session
        ));
    }
    if s.diagnosis
        .as_ref()
        .is_some_and(|(d, _, _)| *d != crate::drift::DiagnosisKind::InSync)
    {
        out.push("keep the weekly drift audit (`keyturn check`) scheduled so drift is caught before a deploy fails".to_owned());
    }
    out
}

fn timeline(s: &Summary) -> String {
    let mut rows: Vec<(Option<DateTime<Utc>>, String, String, String)> = Vec::new();
    if let Some(at) = s.detected {
        let diagnosis = s
            .diagnosis
            .as_ref()
            .map_or(String::new(), |d| d.0.to_string());
        rows.push((
            Some(at),
            "drift detected".to_owned(),
            diagnosis,
            String::new(),
        ));
    }
    let not_applicable = s.steps.iter().filter(|st| is_condition_skip(st)).count();
    for step in s.steps.iter().filter(|st| !is_condition_skip(st)) {
        let (result, duration) = step_cells(&step.result);
        rows.push((step.started, step.title.clone(), result, duration));
    }
    for (at, fact) in &s.facts {
        rows.push((Some(*at), "·".to_owned(), fact.clone(), String::new()));
    }
    if let Some((at, outcome, message)) = &s.finished {
        rows.push((
            Some(*at),
            "session ended".to_owned(),
            format!(
                "{}: {message}",
                crate::session::describe::outcome_name(*outcome)
            ),
            String::new(),
        ));
    }
    rows.sort_by_key(|row| row.0);
    let mut md = String::from(
        "\n#### Timeline (UTC)\n\n| time | step | result | duration |\n|---|---|---|---|\n",
    );
    for (at, step, result, duration) in rows {
        let time = at.map_or(String::new(), |t| t.format("%H:%M:%S").to_string());
        let _ = writeln!(
            md,
            "| {time} | {} | {} | {duration} |",
            cell(&step),
            cell(&result)
        );
    }
    if not_applicable > 0 {
        let _ = writeln!(
            md,
            "\n{not_applicable} step(s) of other recovery paths did not apply (their condition was false)."
        );
    }
    md
}

/// A branch that did not apply: noise in a postmortem, counted instead of listed.
fn is_condition_skip(step: &StepRecord) -> bool {
    matches!(
        step.result,
        StepResult::Skipped {
            by_operator: false,
            ..
        }
    )
}

fn step_cells(result: &StepResult) -> (String, String) {
    match result {
        StepResult::Succeeded {
            summary,
            duration_ms,
        } => (format!("✔ {summary}"), secs(*duration_ms)),
        StepResult::Failed { error, duration_ms } => {
            (format!("✘ failed: {error}"), secs(*duration_ms))
        }
        StepResult::Skipped {
            reason,
            by_operator: true,
        } => (format!("skipped by the operator: {reason}"), String::new()),
        StepResult::Skipped { reason, .. } => (format!("skipped: {reason}"), String::new()),
        StepResult::RolledBack { summary } => (format!("↶ rolled back: {summary}"), String::new()),
        StepResult::Unfinished => ("unfinished (session interrupted)".to_owned(), String::new()),
    }
}

fn secs(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
}

/// Escapes what would break a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
