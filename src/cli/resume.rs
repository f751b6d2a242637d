//! `keyturn resume [SESSION]`: after a crash or a kill, show where a session stopped, what
//! exists because of it, and the safe way on. Read-only: it writes nothing, so it is safe
//! to run at any time. The token of an authorization created by the dead process is gone
//! (it lived in memory only), which is why an orphan is revoked and minted again rather
//! than recovered.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::report::summary::{StepResult, Summary};
use crate::runbook::event::{Event, EventKind, Outcome, StoreRef};
use crate::runbook::journal;

use super::exit;

/// Arguments of `keyturn resume`.
#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// Session id or journal file (default: the newest session).
    pub session: Option<String>,
    /// Folder of session journals (default: `$XDG_STATE_HOME/keyturn/sessions`).
    #[arg(long, value_name = "DIR", env = "KEYTURN_SESSIONS_DIR")]
    pub sessions_dir: Option<PathBuf>,
}

/// Prints the session's state and advice; exit 0, or 2 when there is no such session.
pub fn run(args: &ResumeArgs) -> u8 {
    match show(args) {
        Ok(text) => {
            print!("{text}");
            exit::OK
        }
        Err(err) => {
            eprintln!("keyturn: {err:#}");
            exit::BAD_INPUT
        }
    }
}

fn show(args: &ResumeArgs) -> anyhow::Result<String> {
    let path = find(args)?;
    Ok(describe(&journal::read(&path)?))
}

fn find(args: &ResumeArgs) -> anyhow::Result<PathBuf> {
    let dir = match &args.sessions_dir {
        Some(dir) => dir.clone(),
        None => journal::sessions_dir()?,
    };
    match &args.session {
        Some(s) if Path::new(s).is_file() => Ok(PathBuf::from(s)),
        Some(s) => Ok(dir.join(format!("{s}.jsonl"))).and_then(|p| {
            anyhow::ensure!(p.is_file(), "no session `{s}` in {}", dir.display());
            Ok(p)
        }),
        None => journal::list_sessions(&dir)
            .into_iter()
            .next()
            .with_context(|| format!("no session journals in {}", dir.display())),
    }
}

/// Where the session stopped and the safe way on, as text.
pub fn describe(events: &[Event]) -> String {
    let s = &Summary::of(events);
    let vault_written = events.iter().any(|e| {
        matches!(
            &e.kind,
            EventKind::SecretWritten {
                store: StoreRef::Vault,
                ..
            }
        )
    });
    let mut out = format!("session {} · runbook {}\n", s.session, s.runbook);
    for step in &s.steps {
        let _ = writeln!(out, "  {:<10} {}", label(&step.result), step.id);
    }
    out.push_str(&advice(s, vault_written));
    out.push('\n');
    out
}

fn label(result: &StepResult) -> &'static str {
    match result {
        StepResult::Succeeded { .. } => "done",
        StepResult::Failed { .. } => "FAILED",
        StepResult::Skipped { .. } => "skipped",
        StepResult::RolledBack { .. } => "undone",
        StepResult::Unfinished => "STOPPED",
    }
}

fn advice(s: &Summary, vault_written: bool) -> String {
    if let Some((_, outcome, message)) = &s.finished {
        if *outcome == Outcome::Completed {
            return format!("finished: {message}. Nothing to resume.");
        }
    }
    let orphan = s
        .new_authorization
        .as_ref()
        .filter(|id| !s.revoked.contains(id));
    match orphan {
        Some(id) if !vault_written => format!(
            "authorization {id} was created but its token was lost with the process (it lived in memory only).\nSafe way on: revoke the orphan (`heroku authorizations:revoke {id}`), then run `keyturn run {}` again to mint a fresh one.",
            s.runbook
        ),
        Some(_) => "the new token reached the vault before the session stopped.\nSafe way on: `keyturn run heroku-key-drift-recovery` propagates it to the stale copies; revoke the OLD authorization only after every copy is in sync.".to_owned(),
        None => {
            let stopped = s.steps.iter().find(|st| matches!(st.result, StepResult::Failed { .. } | StepResult::Unfinished));
            let at = stopped.map_or("(no step)", |st| st.id.as_str());
            format!("stopped at {at}.\nSafe way on: run `keyturn run {}` again; every write reads its store first and skips copies already holding the target.", s.runbook)
        }
    }
}
