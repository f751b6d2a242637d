//! `keyturn run RUNBOOK`: the non-interactive face of the engine, for a scheduled rotation
//! in CI or a scripted recovery. One line per step; confirmations on stdin unless `--yes`;
//! a typed (irreversible) confirmation always needs its word, from
//! `--confirm-irreversible` or typed on stdin. Exit 0 done, 1 failed (stores consistent),
//! 2 bad input.

use std::io::BufRead as _;
use std::path::PathBuf;

use crate::config::Config;
use crate::config::credentials::{self, CredentialEnv, Credentials};
use crate::runbook::engine::{
    Command, ConfirmPrompt, Engine, EngineDeps, NoClipboard, Observer, Pending,
};
use crate::runbook::{Registry, Runbook};
use crate::session::event::{Event, EventKind, NoteKind, Outcome};
use crate::session::journal::{self, Journal};
use crate::sim::{Scenario, Sim, SimOptions};
use crate::vendors::Vendors;
use crate::vendors::github::FollowOptions;

use super::exit;

/// Arguments of `keyturn run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Runbook id, e.g. heroku-key-drift-recovery or heroku-token-rotation.
    pub runbook: String,
    /// Confirm every yes/no step without asking (typed confirmations still need their word).
    #[arg(long)]
    pub yes: bool,
    /// Read everything, preview every write, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the events as JSON lines instead of one line per step.
    #[arg(long)]
    pub json: bool,
    /// The word an irreversible step asks for (e.g. the old authorization's description).
    #[arg(long, value_name = "WORD")]
    pub confirm_irreversible: Option<String>,
    /// Run against a freshly started embedded simulator in this scenario.
    #[arg(long, value_name = "SCENARIO")]
    pub sim: Option<Scenario>,
    /// Actor of the audit entry (default: the Heroku account's email).
    #[arg(long, value_name = "EMAIL")]
    pub actor: Option<String>,
    /// Root cause, for the postmortem.
    #[arg(long, value_name = "TEXT")]
    pub root_cause: Option<String>,
    /// Follow-up (issue), for the postmortem.
    #[arg(long, value_name = "TEXT")]
    pub followup: Option<String>,
    /// Directory of runbook files that override or add to the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub runbook_dir: Option<PathBuf>,
    /// Folder of session journals (default: `$XDG_STATE_HOME/keyturn/sessions`).
    #[arg(long, value_name = "DIR", env = "KEYTURN_SESSIONS_DIR")]
    pub sessions_dir: Option<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(args: &RunArgs, explicit: Option<&std::path::Path>) -> u8 {
    let runbook = match find_runbook(args) {
        Ok(runbook) => runbook,
        Err(err) => return bad_input(&err),
    };
    match super::check::runtime() {
        Ok(rt) => rt.block_on(run_async(args, explicit, runbook)),
        Err(err) => bad_input(&err),
    }
}

/// The runbook `args` names, from the embedded set and `--runbook-dir`.
pub fn find_runbook(args: &RunArgs) -> anyhow::Result<Runbook> {
    let registry = Registry::load(args.runbook_dir.as_deref())?;
    registry.get(&args.runbook).cloned().ok_or_else(|| {
        anyhow::anyhow!(
            "no runbook `{}` (see `keyturn runbooks list`)",
            args.runbook
        )
    })
}

async fn run_async(args: &RunArgs, explicit: Option<&std::path::Path>, runbook: Runbook) -> u8 {
    let Some(scenario) = args.sim else {
        return match configured(explicit) {
            Ok((config, creds)) => drive(args, runbook, config, &creds).await,
            Err(err) => bad_input(&err),
        };
    };
    let handle = match Sim::start(scenario, SimOptions::fast()).await {
        Ok(handle) => handle,
        Err(err) => return bad_input(&err),
    };
    let config = match simulated_reports(handle.config()) {
        Ok(config) => config,
        Err(err) => return bad_input(&err),
    };
    let code = drive(args, runbook, config, &handle.keyturn_credentials()).await;
    handle.shutdown().await;
    code
}

/// A simulated session's postmortem and audit line go to keyturn's state folder
/// (`…/keyturn/sim/`), never into the current folder where a real `docs/ops` may live.
fn simulated_reports(mut config: Config) -> anyhow::Result<Config> {
    let sessions = journal::sessions_dir()?;
    let dir = sessions
        .parent()
        .map_or_else(|| sessions.clone(), std::path::Path::to_path_buf)
        .join("sim");
    crate::private_files::own_dir(&dir)?;
    config.postmortem.dir = dir.join("postmortems");
    config.audit.path = dir.join("audit-log.jsonl");
    errln!(
        "keyturn: simulated: the postmortem and the audit line go to {} (marked simulated)",
        dir.display()
    );
    Ok(config)
}

/// The config found by the documented search order (or `explicit`) and the credentials
/// from the environment: what `keyturn run`, `keyturn resume --continue` and the TUI use.
pub(crate) fn configured(
    explicit: Option<&std::path::Path>,
) -> anyhow::Result<(Config, Credentials)> {
    let env = CredentialEnv::from_process();
    let mut config = Config::discover(explicit)?;
    config
        .apply_env_overrides(env.vars.get("INFISICAL_API_URL").map(String::as_str))
        .map_err(anyhow::Error::msg)?;
    Ok((config, credentials::resolve(&env)))
}

/// Walks `runbook` against `config`'s stores; returns the exit code.
pub async fn drive(args: &RunArgs, runbook: Runbook, config: Config, creds: &Credentials) -> u8 {
    let engine = match build(args, runbook, config, creds) {
        Ok(engine) => engine,
        Err(err) => return bad_input(&err),
    };
    // Boxed: the walk holds the whole engine (config, clients, journal) across awaits.
    match Box::pin(walk(args, engine)).await {
        Ok(code) => code,
        Err(err) => {
            errln!("keyturn: {err:#}");
            exit::DRIFT_OR_FAILED
        }
    }
}

fn build(
    args: &RunArgs,
    runbook: Runbook,
    config: Config,
    creds: &Credentials,
) -> anyhow::Result<Engine> {
    let vendors = std::sync::Arc::new(Vendors::connect(&config, creds)?);
    let dir = match &args.sessions_dir {
        Some(dir) => dir.clone(),
        None => journal::sessions_dir()?,
    };
    let journal = Journal::start_session(&dir, &config)?;
    let deps = EngineDeps {
        config,
        vendors,
        clipboard: Box::new(NoClipboard),
        journal,
        dry_run: args.dry_run,
        actor: args.actor.clone(),
        github_write: None,
        observer: Some(printer(args.json)),
        follow: follow_options(args.sim.is_some()),
    };
    Ok(Engine::new(runbook, deps))
}

/// The simulator finishes runs in moments; real GitHub gets the polite default.
pub(crate) fn follow_options(sim: bool) -> FollowOptions {
    if sim {
        FollowOptions {
            interval: std::time::Duration::from_millis(100),
            ..FollowOptions::default()
        }
    } else {
        FollowOptions::default()
    }
}

/// Drives the engine to the end, answering for the operator (also a resumed one).
pub(crate) async fn walk(args: &RunArgs, engine: Engine) -> anyhow::Result<u8> {
    let watcher = watch_interrupts(engine.journal_path());
    let walked = walk_to_the_end(args, engine).await;
    watcher.abort();
    walked
}

/// Ctrl-C or SIGTERM during a walk: say how to take the session up, then exit 130. A task
/// of its own, because the walk may be blocked reading a prompt's answer. Exiting between
/// two journal lines is as safe as a kill, and a resume is built for that.
fn watch_interrupts(journal_path: &std::path::Path) -> tokio::task::JoinHandle<()> {
    let session = journal::session_of(journal_path);
    let journal = journal_path.display().to_string();
    tokio::spawn(async move {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
        errln!(
            "\nkeyturn: interrupted. Nothing is lost: every step so far is in {journal}.\n  \
             keyturn resume {session}              shows where it stopped and what exists\n  \
             keyturn resume {session} --continue   takes it up"
        );
        std::process::exit(i32::from(exit::INTERRUPTED));
    })
}

async fn walk_to_the_end(args: &RunArgs, mut engine: Engine) -> anyhow::Result<u8> {
    let mut noted = false;
    let mut word_checked = false;
    loop {
        let pending = engine.advance().await?;
        if !noted {
            noted = true;
            add_notes(args, &mut engine).await?;
        }
        if !word_checked && matches!(pending, Pending::Confirm { .. }) {
            word_checked = true;
            if let Some(refusal) = missing_word(args, &engine) {
                errln!("keyturn: {refusal}");
                engine.command(Command::Stop { reason: refusal }).await?;
                return Ok(exit::BAD_INPUT);
            }
        }
        let command = match pending {
            Pending::Finished(outcome) => {
                // The engine appended the audit line as it ended (see `audit_the_end`).
                if engine.report_failed() {
                    for failure in engine.report_failures() {
                        errln!("keyturn: {failure}");
                    }
                    errln!(
                        "keyturn: the session ended {outcome:?}, but a report is missing (said above): exit 1 so a scheduler notices; the stores are as the end message says"
                    );
                    return Ok(exit::DRIFT_OR_FAILED);
                }
                return Ok(code_for(outcome, engine.diagnosis_kind()));
            }
            Pending::Confirm {
                step,
                title,
                preview,
                confirm,
                ..
            } => answer(args, &step, &title, &preview, &confirm),
            Pending::Failed { step, error, back } if !args.yes => {
                ask_on_failure(&engine, &step, &error, back.as_ref())
            }
            Pending::Failed { step, error, .. } => on_failure(&engine, &step, &error),
        };
        if let Err(err) = engine.command(command).await {
            errln!("keyturn: {err}");
            if !args.yes && matches!(err, crate::runbook::engine::EngineError::WrongWord(_)) {
                continue;
            }
            let reason = format!("{err}; stopped here with the stores as they are");
            engine.command(Command::Stop { reason }).await?;
        }
    }
}

/// Under `--yes`, the irreversible step's word must be at hand before the first write:
/// refusing then leaves nothing behind, refusing at the revoke leaves a half rotation.
fn missing_word(args: &RunArgs, engine: &Engine) -> Option<String> {
    if !args.yes || args.dry_run {
        return None;
    }
    let word = engine.irreversible_word_ahead()?;
    match &args.confirm_irreversible {
        Some(given) if given.trim() == word => None,
        Some(given) => Some(format!(
            "--confirm-irreversible `{given}` does not match the word the irreversible step asks for (`{word}`): nothing was written; run again with --confirm-irreversible {word}"
        )),
        None => Some(format!(
            "this runbook has an irreversible step that asks for the word `{word}`, and --yes cannot type it: nothing was written; run again with --confirm-irreversible {word}"
        )),
    }
}

async fn add_notes(args: &RunArgs, engine: &mut Engine) -> anyhow::Result<()> {
    let notes = [
        (NoteKind::RootCause, &args.root_cause),
        (NoteKind::Followup, &args.followup),
    ];
    for (kind, text) in notes {
        if let Some(text) = text {
            engine
                .command(Command::Note {
                    kind,
                    text: text.clone(),
                })
                .await?;
        }
    }
    Ok(())
}

/// Non-interactive failure handling: roll back what can be undone, else stop as is (the
/// session stays resumable).
fn on_failure(engine: &Engine, step: &str, error: &str) -> Command {
    errln!("keyturn: step {step} failed: {error}");
    if engine.can_roll_back() {
        Command::RollBack
    } else {
        Command::Stop {
            reason: format!(
                "step {step} failed: {error}; a rollback is not possible here, so the stores stay as they are"
            ),
        }
    }
}

/// Asks the operator what to do about a failed step: retry, go back (when the step offers
/// it), skip, roll back (when possible) or stop as is.
fn ask_on_failure(
    engine: &Engine,
    step: &str,
    error: &str,
    back: Option<&crate::runbook::engine::BackTo>,
) -> Command {
    errln!("keyturn: step {step} failed: {error}");
    let mut options = vec!["[r]etry".to_owned()];
    if let Some(back) = back {
        options.push(format!("[g]o back to “{}”", back.title));
    }
    options.push("[s]kip".to_owned());
    if engine.can_roll_back() {
        options.push("roll [b]ack".to_owned());
    }
    options.push("[a]bort (stores stay as they are; resumable)".to_owned());
    match ask(&format!("{}: ", options.join(" / "))).as_str() {
        "r" | "retry" => Command::Retry,
        "g" | "back" if back.is_some() => Command::Back,
        "s" | "skip" => Command::Skip {
            reason: ask("why skip it? (goes into the postmortem): "),
        },
        "b" | "rollback" if engine.can_roll_back() => Command::RollBack,
        _ => Command::Abort,
    }
}

/// Confirms, skips or aborts the pending step.
fn answer(
    args: &RunArgs,
    step: &str,
    title: &str,
    preview: &[crate::runbook::engine::Change],
    confirm: &ConfirmPrompt,
) -> Command {
    for change in preview {
        errln!("    about to change {change}");
    }
    match confirm {
        ConfirmPrompt::Typed(word) => match &args.confirm_irreversible {
            Some(given) => Command::Confirm {
                step: Some(step.to_owned()),
                typed: Some(given.clone()),
            },
            None if args.yes => Command::Stop {
                reason: format!(
                    "`{title}` is irreversible and --yes cannot type its word: pass --confirm-irreversible {word}"
                ),
            },
            None => Command::Confirm {
                step: Some(step.to_owned()),
                typed: Some(ask(&format!("{title}\n  type `{word}` to confirm: "))),
            },
        },
        ConfirmPrompt::YesNo if args.yes => Command::Confirm {
            step: Some(step.to_owned()),
            typed: None,
        },
        ConfirmPrompt::YesNo => {
            match ask(&format!("{title} — run it? [y]es / [s]kip / [a]bort: ")).as_str() {
                "y" | "yes" => Command::Confirm {
                    step: Some(step.to_owned()),
                    typed: None,
                },
                "s" | "skip" => Command::Skip {
                    reason: "skipped at the prompt".into(),
                },
                _ => Command::Abort,
            }
        }
    }
}

fn ask(prompt: &str) -> String {
    errprint!("{prompt}");
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim().to_owned()
}

fn code_for(outcome: Outcome, diagnosis: crate::drift::DiagnosisKind) -> u8 {
    match outcome {
        Outcome::Completed => exit::OK,
        Outcome::Stopped if diagnosis == crate::drift::DiagnosisKind::InSync => exit::OK,
        _ => exit::DRIFT_OR_FAILED,
    }
}

/// Prints each event: JSON lines, or one human line per step.
pub(crate) fn printer(json: bool) -> Observer {
    Box::new(move |event: &Event| {
        if json {
            if let Ok(line) = serde_json::to_string(event) {
                outln!("{line}");
            }
        } else if let Some(line) = human(&event.kind) {
            outln!("{line}");
        }
    })
}

/// Every event that has a sentence, in the words every face uses.
fn human(kind: &EventKind) -> Option<String> {
    crate::session::describe::describe(kind).map(|s| s.text)
}

fn bad_input(err: &dyn std::fmt::Display) -> u8 {
    errln!("keyturn: {err}");
    exit::BAD_INPUT
}
