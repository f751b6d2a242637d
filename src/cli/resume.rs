//! `keyturn resume [SESSION]`: after a crash or a kill, show where a session stopped, what
//! exists because of it, the step it would continue from and the safe way on. Read-only
//! by default, so it is safe to run at any time.
//!
//! `--continue` takes the session up again through [`Engine::resume`]: same runbook, same
//! journal (appended to), steps already done stay done, tokens recovered from the vault,
//! an orphan authorization (minted, its token lost with the process) revoked and minted
//! again. Confirmations work exactly as in `keyturn run` (the same walk drives it).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::Config;
use crate::config::credentials::Credentials;
use crate::runbook::Registry;
use crate::runbook::engine::{Continuation, Engine, EngineDeps, NoClipboard, PlannedStep, expand};
use crate::session::State;
use crate::session::event::{Event, EventKind, Outcome, Store};
use crate::session::journal::{self, Journal};
use crate::session::summary::{StepResult, Summary};
use crate::vendors::Vendors;

use super::exit;
use super::run::{self, RunArgs};

/// Arguments of `keyturn resume`.
#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// Session id or journal file (default: the newest session).
    pub session: Option<String>,
    /// Folder of session journals (default: `$XDG_STATE_HOME/keyturn/sessions`).
    #[arg(long, value_name = "DIR", env = "KEYTURN_SESSIONS_DIR")]
    pub sessions_dir: Option<PathBuf>,
    /// Continue the session (this writes): recover the tokens from the vault, revoke an
    /// orphan authorization, run the remaining steps. Use the config and credentials the
    /// session ran with.
    #[arg(long = "continue")]
    pub continue_session: bool,
    /// With --continue: confirm every yes/no step without asking (as `keyturn run --yes`).
    #[arg(long, requires = "continue_session")]
    pub yes: bool,
    /// With --continue: the word an irreversible step asks for.
    #[arg(long, value_name = "WORD", requires = "continue_session")]
    pub confirm_irreversible: Option<String>,
    /// With --continue: print the events as JSON lines.
    #[arg(long, requires = "continue_session")]
    pub json: bool,
    /// Actor of the audit entry (default: the Heroku account's email).
    #[arg(long, value_name = "EMAIL")]
    pub actor: Option<String>,
    /// Directory of runbook files that override or add to the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub runbook_dir: Option<PathBuf>,
    /// Config file, as the global `--config` (either place works).
    // Same id as the global flag: clap hands its value to this field, so `keyturn --config
    // FILE resume` and `keyturn resume --config FILE` both reach the resumed engine.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Prints the session's state and advice (exit 0), or continues it (exit as `keyturn
/// run`); 2 when there is no such session or it cannot be continued.
pub fn run(args: &ResumeArgs) -> u8 {
    if args.continue_session {
        return continue_from_config(args);
    }
    match show(args) {
        Ok(text) => {
            out!("{text}");
            exit::OK
        }
        Err(err) => bad_input(&err),
    }
}

fn show(args: &ResumeArgs) -> anyhow::Result<String> {
    let path = find(args)?;
    let events = journal::read(&path)?;
    let steps = planned(args, &State::of(&events).summary.runbook);
    let text = describe(&events, steps.as_deref());
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    Ok(
        match crate::session::lock::live_holder(dir, &journal::session_of(&path)) {
            Some(holder) => format!(
                "LIVE: this session is running now ({holder}); it is not interrupted. Go to that terminal; `--continue` is refused while it runs.\n\n{text}"
            ),
            None => text,
        },
    )
}

/// The session's steps as the engine would plan them (manual consumers from the config when
/// one is found); `None` when its runbook is not known here.
fn planned(args: &ResumeArgs, runbook: &str) -> Option<Vec<PlannedStep>> {
    let registry = Registry::load(args.runbook_dir.as_deref()).ok()?;
    let runbook = registry.get(runbook)?;
    let consumers = Config::discover(args.config.as_deref())
        .map(|c| c.manual_consumers)
        .unwrap_or_default();
    Some(expand(runbook, &consumers))
}

fn find(args: &ResumeArgs) -> anyhow::Result<PathBuf> {
    find_journal(args.session.as_deref(), args.sessions_dir.as_deref())
}

/// The journal of `session` (an id or a file), or the newest one in `sessions_dir`.
pub(crate) fn find_journal(
    session: Option<&str>,
    sessions_dir: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    let dir = match sessions_dir {
        Some(dir) => dir.to_owned(),
        None => journal::sessions_dir()?,
    };
    match session {
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

fn continue_from_config(args: &ResumeArgs) -> u8 {
    let configured = run::configured(args.config.as_deref());
    let (config, creds) = match configured {
        Ok(found) => found,
        Err(err) => return bad_input(&err),
    };
    match super::check::runtime() {
        Ok(rt) => rt.block_on(continue_with(args, config, &creds)),
        Err(err) => bad_input(&err),
    }
}

/// Continues the session `args` names against `config`'s stores; returns the exit code.
pub async fn continue_with(args: &ResumeArgs, config: Config, creds: &Credentials) -> u8 {
    let engine = match resume_engine(args, config, creds).await {
        Ok(engine) => engine,
        Err(err) => return bad_input(&format!("{err:#}")),
    };
    let walk_args = walk_args(args, engine.runbook().id());
    match Box::pin(run::walk(&walk_args, engine)).await {
        Ok(code) => code,
        Err(err) => {
            errln!("keyturn: {err:#}");
            exit::DRIFT_OR_FAILED
        }
    }
}

async fn resume_engine(
    args: &ResumeArgs,
    config: Config,
    creds: &Credentials,
) -> anyhow::Result<Engine> {
    let path = find(args)?;
    // Before any fingerprint is taken: the resumed walk prints the journal's fingerprints.
    if journal::adopt_fingerprint_key(&path) == Some(false) {
        errln!(
            "keyturn: the fingerprints printed from now on are not comparable with the journal's (another key)"
        );
    }
    let events = journal::read(&path)?;
    let walk_args = walk_args(args, &State::of(&events).summary.runbook);
    let runbook = run::find_runbook(&walk_args)?;
    let deps = EngineDeps {
        vendors: std::sync::Arc::new(Vendors::connect(&config, creds)?),
        journal: Journal::continue_session(&path, &config)?,
        config,
        clipboard: Box::new(NoClipboard),
        dry_run: false,
        actor: args.actor.clone(),
        github_write: None,
        observer: Some(run::printer(args.json)),
        follow: run::follow_options(false),
    };
    Ok(Engine::resume(runbook, deps, &events).await?)
}

/// `keyturn run`'s arguments for the walk of a resumed session.
fn walk_args(args: &ResumeArgs, runbook: &str) -> RunArgs {
    RunArgs {
        runbook: runbook.to_owned(),
        yes: args.yes,
        dry_run: false,
        json: args.json,
        confirm_irreversible: args.confirm_irreversible.clone(),
        sim: None,
        actor: args.actor.clone(),
        root_cause: None,
        followup: None,
        runbook_dir: args.runbook_dir.clone(),
        sessions_dir: args.sessions_dir.clone(),
    }
}

/// Where the session stopped, the step it would continue from (when its `steps` are
/// known) and the safe way on, as text.
pub fn describe(events: &[Event], steps: Option<&[PlannedStep]>) -> String {
    let fold = State::of(events);
    let s = &fold.summary;
    let mut out = format!("session {} · runbook {}\n", s.session, s.runbook);
    for step in &s.steps {
        let _ = writeln!(out, "  {:<10} {}", label(&step.result), step.id);
    }
    if let Some(steps) = steps {
        out.push_str(&continuation(
            &crate::runbook::engine::continuation::continuation(&fold.journaled, steps),
        ));
    }
    out.push_str(&advice(s, vault_written(events)));
    out.push('\n');
    out
}

fn vault_written(events: &[Event]) -> bool {
    events.iter().any(|e| {
        matches!(
            &e.kind,
            EventKind::SecretWritten {
                store: Store::Vault,
                ..
            }
        )
    })
}

fn continuation(next: &Continuation) -> String {
    match next {
        Continuation::Finished(_) => String::new(),
        Continuation::RollBack => "would continue: finish the rollback that was under way\n".into(),
        Continuation::From { orphans, step } => {
            let mut line = String::from("would continue ");
            for id in orphans {
                let _ = write!(line, "by revoking the orphan authorization {id}, then ");
            }
            match step {
                Some(step) => {
                    let _ = writeln!(line, "from step {step}");
                }
                None => line.push_str("by finishing: every step is done\n"),
            }
            line
        }
    }
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
    if let Some((_, outcome, message)) = &s.finished
        && !matches!(outcome, Outcome::Aborted | Outcome::Failed)
    {
        return format!("finished ({outcome:?}): {message}. Nothing to resume.");
    }
    let again = format!(
        "`keyturn resume {} --continue` (with the --config and credentials the session ran with)",
        s.session
    );
    let orphan = s
        .new_authorization
        .as_ref()
        .filter(|id| !s.revoked.contains(id));
    match orphan {
        Some(id) if !vault_written => format!(
            "authorization {id} was created but its token was lost with the process (it lived in memory only).\nSafe way on: revoke the orphan and mint a fresh one: {again} does both (by hand: `heroku authorizations:revoke {id}`, then `keyturn run {}`).",
            s.runbook
        ),
        Some(_) => format!(
            "the new token reached the vault before the session stopped.\nSafe way on: {again} reads it back from the vault (its current version; the old token is the version before) and propagates it, or `keyturn run heroku-key-drift-recovery` syncs the copies; the OLD authorization is revoked only after every copy is in sync."
        ),
        None => {
            let stopped = s.steps.iter().find(|st| {
                matches!(
                    st.result,
                    StepResult::Failed { .. } | StepResult::Unfinished
                )
            });
            let at = stopped.map_or("(no step)", |st| st.id.as_str());
            format!(
                "stopped at {at}.\nSafe way on: {again}; every write reads its store first and skips copies already holding the target."
            )
        }
    }
}

fn bad_input(err: &dyn std::fmt::Display) -> u8 {
    errln!("keyturn: {err}");
    exit::BAD_INPUT
}
