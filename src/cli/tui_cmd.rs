//! `keyturn` / `keyturn tui` (the TUI against the configured stores), and the TUI set-up
//! `keyturn demo` (`super::demo`) shares with it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::config::credentials::Credentials;
use crate::runbook::Registry;
use crate::runbook::engine::Clipboard;
use crate::session::journal;
use crate::tui::TuiOptions;
use crate::tui::clipboard::ClipboardHandle;
use crate::tui::session::SessionOptions;
use crate::vendors::github::FollowOptions;

use super::exit;

/// Arguments of `keyturn tui`.
#[derive(Debug, Default, clap::Args)]
pub struct TuiArgs {
    /// The runbook to walk (default: picked from the diagnosis — drift recovery when the
    /// copies drifted; when all are in sync, the rotation is offered).
    #[arg(long, value_name = "NAME")]
    pub runbook: Option<String>,
    /// Read everything and preview every write, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Directory of runbook files that override or add to the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub runbook_dir: Option<PathBuf>,
    /// Folder of session journals (default: `$XDG_STATE_HOME/keyturn/sessions`).
    #[arg(long, value_name = "DIR", env = "KEYTURN_SESSIONS_DIR")]
    pub sessions_dir: Option<PathBuf>,
    /// Actor of the audit entry (default: the Heroku account's email).
    #[arg(long, value_name = "EMAIL")]
    pub actor: Option<String>,
    /// Take up an interrupted session (id or journal file; the newest when no value),
    /// continuing from its first unfinished step — see `keyturn resume`.
    #[arg(long, value_name = "SESSION", num_args = 0..=1, default_missing_value = "")]
    pub resume: Option<String>,
}

/// `keyturn tui`: the TUI against the configured stores.
pub fn tui(args: &TuiArgs, explicit: Option<&Path>) -> u8 {
    let (config, creds) = match super::run::configured(explicit) {
        Ok(found) => found,
        Err(err) => {
            return bad_input(&format!(
                "{err:#}\n(no stores configured? `keyturn demo` opens the same screen on a simulator)"
            ));
        }
    };
    let resume = match &args.resume {
        None => None,
        Some(session) => {
            let session = Some(session.as_str()).filter(|s| !s.is_empty());
            match super::resume::find_journal(session, args.sessions_dir.as_deref()) {
                Ok(path) => Some(path),
                Err(err) => return bad_input(&format!("{err:#}")),
            }
        }
    };
    let registry = match Registry::load(args.runbook_dir.as_deref()) {
        Ok(registry) => registry,
        Err(err) => return bad_input(&format!("{err:#}")),
    };
    let (handle, factory) = clipboard(&config);
    let session = SessionOptions {
        runbook: args.runbook.clone(),
        registry,
        sessions_dir: args.sessions_dir.clone(),
        dry_run: args.dry_run,
        actor: args.actor.clone(),
        follow: FollowOptions::default(),
        refresh: Duration::from_secs(config.tui.refresh_secs.max(1)),
        http: crate::vendors::HttpOptions::default(),
        clipboard: factory,
    };
    let options = TuiOptions {
        session,
        banner: args
            .dry_run
            .then(|| "DRY RUN — keyturn reads everything and writes nothing".to_owned()),
        log_file: log_file(),
        clipboard: Some(handle),
        resume,
        sessions_dir: args.sessions_dir.clone(),
        simulated: false,
        demo_resume: None,
    };
    open(config, &creds, options)
}

/// The TUI options of a demo on a simulator whose config is `config`, its files in `dir`.
pub(super) fn demo_options(
    config: &Config,
    dir: &Path,
    scenario: &str,
    runbook: Option<String>,
    resume: Option<PathBuf>,
) -> anyhow::Result<TuiOptions> {
    let (handle, factory) = clipboard(config);
    let session = SessionOptions {
        runbook,
        registry: Registry::load(None)?,
        sessions_dir: Some(dir.join("sessions")),
        dry_run: false,
        actor: None,
        follow: FollowOptions {
            interval: Duration::from_millis(500),
            ..FollowOptions::default()
        },
        refresh: Duration::from_secs(config.tui.refresh_secs.max(1)),
        http: crate::vendors::HttpOptions::default(),
        clipboard: factory,
    };
    let banner = format!(
        "SIMULATION · {scenario} · files: {} · fake Heroku, GitHub and Infisical on loopback, nothing real is touched",
        dir.display()
    );
    Ok(TuiOptions {
        session,
        banner: Some(banner),
        log_file: Some(dir.join("keyturn.log")),
        clipboard: Some(handle),
        resume,
        sessions_dir: Some(dir.join("sessions")),
        simulated: true,
        demo_resume: None,
    })
}

/// The demo's config: the simulator's, with the reports in the demo's folder.
pub(super) fn demo_config(mut config: Config, dir: &Path) -> Config {
    config.postmortem.dir = dir.join("postmortems");
    config.audit.path = dir.join("audit-log.jsonl");
    config
}

/// Runs the TUI of a demo; returns the exit code and whether a session was left under
/// way (or the TUI failed, which may have left one).
pub(super) fn open_demo(
    rt: &tokio::runtime::Runtime,
    config: Config,
    creds: &Credentials,
    options: TuiOptions,
) -> (u8, bool) {
    let ending = rt.block_on(crate::tui::run(config, creds, options));
    let kept = ending.under_way.is_some() || ending.result.is_err();
    (print_ending(ending.result), kept)
}

fn open(config: Config, creds: &Credentials, options: TuiOptions) -> u8 {
    match super::check::runtime() {
        Ok(rt) => open_in(&rt, config, creds, options),
        Err(err) => bad_input(&err.to_string()),
    }
}

fn open_in(
    rt: &tokio::runtime::Runtime,
    config: Config,
    creds: &Credentials,
    options: TuiOptions,
) -> u8 {
    print_ending(rt.block_on(crate::tui::run(config, creds, options)).result)
}

fn print_ending(result: anyhow::Result<String>) -> u8 {
    match result {
        Ok(farewell) => {
            outln!("{farewell}");
            exit::OK
        }
        Err(err) => {
            errln!("keyturn: {err:#}");
            exit::DRIFT_OR_FAILED
        }
    }
}

/// The real clipboard (arboard, or OSC 52 over SSH) and the factory of its engine sides.
fn clipboard(config: &Config) -> (ClipboardHandle, ClipboardFactory) {
    let clear_after = Duration::from_secs(config.clipboard.clear_after_secs);
    let (handle, _) = ClipboardHandle::detect(clear_after);
    let shared = handle.clone();
    let factory: ClipboardFactory = Box::new(move || Box::new(shared.engine_side()));
    (handle, factory)
}

type ClipboardFactory = Box<dyn FnMut() -> Box<dyn Clipboard> + Send>;

/// `$XDG_STATE_HOME/keyturn/demo`, made keyturn's own (0700, see `private_files`).
pub(super) fn demo_dir() -> anyhow::Result<PathBuf> {
    let dir = default_demo_dir()?;
    crate::private_files::own_dir(&dir)?;
    Ok(dir)
}

/// `$XDG_STATE_HOME/keyturn/demo`, as a path only (nothing is created).
pub(super) fn default_demo_dir() -> anyhow::Result<PathBuf> {
    Ok(state_dir()?.join("demo"))
}

/// `keyturn.log` in keyturn's state folder, which is made 0700 (an older keyturn left it
/// 0755).
fn log_file() -> Option<PathBuf> {
    let state = state_dir().ok()?;
    crate::private_files::own_dir(&state).ok()?;
    Some(state.join("keyturn.log"))
}

fn state_dir() -> anyhow::Result<PathBuf> {
    let sessions = journal::sessions_dir()?;
    Ok(sessions
        .parent()
        .map_or_else(|| sessions.clone(), Path::to_path_buf))
}

pub(super) fn bad_input(err: &str) -> u8 {
    errln!("keyturn: {err}");
    exit::BAD_INPUT
}
