//! `keyturn postmortem [SESSION]`: (re)write a drift postmortem from a session journal,
//! also for an interrupted session (the text marks it unresolved).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;

use crate::config::Config;
use crate::report::postmortem;
use crate::session::event::{EventKind, NoteKind};
use crate::session::journal;

use super::exit;

/// Arguments of `keyturn postmortem`.
#[derive(Debug, Args)]
pub struct PostmortemArgs {
    /// Session id or journal path (default: the newest session).
    pub session: Option<String>,
    /// Folder to write into (default: the config's [postmortem] dir, else docs/ops/postmortems).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Root cause, if the session's notes lack one.
    #[arg(long, value_name = "TEXT")]
    pub root_cause: Option<String>,
    /// Follow-up (an issue number), if the session's notes lack one.
    #[arg(long, value_name = "TEXT")]
    pub followup: Option<String>,
    /// Print the postmortem instead of writing a file.
    #[arg(long)]
    pub stdout: bool,
    /// Folder of session journals (default: `$XDG_STATE_HOME/keyturn/sessions`).
    #[arg(long, value_name = "DIR", env = "KEYTURN_SESSIONS_DIR")]
    pub sessions_dir: Option<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(args: &PostmortemArgs, config: Option<&Path>) -> u8 {
    match write(args, config) {
        Ok(()) => exit::OK,
        Err(err) => {
            errln!("keyturn: {err:#}");
            exit::BAD_INPUT
        }
    }
}

fn write(args: &PostmortemArgs, config: Option<&Path>) -> anyhow::Result<()> {
    let path = find_journal(args)?;
    let mut events = journal::read(&path)?;
    let next = events.last().map_or(0, |e| e.seq + 1);
    let extra = [
        (NoteKind::RootCause, &args.root_cause),
        (NoteKind::Followup, &args.followup),
    ];
    for (i, (kind, text)) in extra.into_iter().enumerate() {
        if let Some(text) = text {
            events.push(crate::session::event::Event {
                seq: next + i as u64,
                at: chrono::Utc::now(),
                kind: EventKind::OperatorNote {
                    kind,
                    text: text.clone(),
                },
            });
        }
    }
    let pm = postmortem::render(&events);
    if args.stdout {
        out!("{}", pm.markdown);
        return Ok(());
    }
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => Config::discover(config).map_or_else(
            |_| PathBuf::from("docs/ops/postmortems"),
            |c| c.postmortem.dir,
        ),
    };
    let written = postmortem::write(&dir, &pm)?;
    let state = if pm.resolved {
        "resolved"
    } else {
        "UNRESOLVED"
    };
    outln!("postmortem written: {} ({state})", written.display());
    Ok(())
}

fn find_journal(args: &PostmortemArgs) -> anyhow::Result<PathBuf> {
    let dir = match &args.sessions_dir {
        Some(dir) => dir.clone(),
        None => journal::sessions_dir()?,
    };
    match &args.session {
        Some(s) if Path::new(s).is_file() => Ok(PathBuf::from(s)),
        Some(s) => {
            let path = dir.join(format!("{s}.jsonl"));
            if !path.is_file() {
                bail!(
                    "no session `{s}` in {} (list them with `ls {}`)",
                    dir.display(),
                    dir.display()
                );
            }
            Ok(path)
        }
        None => journal::list_sessions(&dir)
            .into_iter()
            .next()
            .with_context(|| format!("no session journals in {}", dir.display())),
    }
}
