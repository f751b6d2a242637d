//! The terminal UI: a view over the runbook engine and the per-store pollers. It holds no
//! logic the non-interactive runner lacks (DESIGN.md "one engine, three faces"): the
//! engine decides, the pollers observe, and the screen draws what both said.

pub mod app;
pub mod clipboard;
pub mod event_loop;
pub mod markdown;
pub mod modal;
pub mod panels;
pub mod pollers;
pub mod render;
pub mod runbook_view;
pub mod session;
pub mod terminal;
pub mod verdict;
pub mod worker;

use std::path::Path;

use session::{Session, SessionOptions};

use crate::config::Config;
use crate::config::credentials::Credentials;

/// Everything the face needs besides the config and credentials.
pub struct TuiOptions {
    pub session: SessionOptions,
    /// "SIMULATION …" on top in the demo.
    pub banner: Option<String>,
    /// Where the log file goes (never the screen).
    pub log_file: Option<std::path::PathBuf>,
    /// The UI's side of the clipboard the session's engines copy to.
    pub clipboard: Option<clipboard::ClipboardHandle>,
    /// The journal of an interrupted session to take up instead of starting a runbook.
    pub resume: Option<std::path::PathBuf>,
    /// The journals' folder when it is not the default one (the demo's, `--sessions-dir`).
    pub sessions_dir: Option<std::path::PathBuf>,
    /// The stores are a simulator's (the demo's).
    pub simulated: bool,
    /// The demo's simulator outlives this process: `keyturn demo --resume` continues a
    /// session left under way.
    pub demo_resume: Option<DemoResume>,
}

pub use app::DemoResume;

/// How the TUI ended.
pub struct Ending {
    /// The line to print once the normal screen is back, or why the TUI failed.
    pub result: anyhow::Result<String>,
    /// The session left under way (started, not finished): it can be taken up again.
    pub under_way: Option<String>,
}

/// Opens the TUI and runs it until the operator quits; the terminal is restored on every
/// exit. Says what to print and which session, if any, was left under way.
pub async fn run(config: Config, creds: &Credentials, options: TuiOptions) -> Ending {
    let mut session = match open(config, creds, options).await {
        Ok(session) => session,
        Err(err) => {
            return Ending {
                result: Err(err),
                under_way: None,
            };
        }
    };
    let result = show(&mut session).await;
    let view = &session.app.view;
    Ending {
        under_way: view.session().filter(|_| view.outcome.is_none()),
        result: result.map(|()| farewell(&session)),
    }
}

async fn open(config: Config, creds: &Credentials, options: TuiOptions) -> anyhow::Result<Session> {
    if let Some(path) = &options.log_file {
        log_to_file(path)?;
    }
    let mut session = match &options.resume {
        Some(journal) => {
            Box::pin(Session::resume(
                config,
                creds,
                options.session,
                options.clipboard,
                journal,
            ))
            .await?
        }
        None => Session::start(config, creds, options.session, options.clipboard)?,
    };
    session.app.banner = options.banner;
    session.app.sessions_dir = options.sessions_dir;
    session.app.simulated = options.simulated;
    session.app.demo_resume = options.demo_resume;
    session.app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    Ok(session)
}

/// The screen, until the operator quits.
async fn show(session: &mut Session) -> anyhow::Result<()> {
    let mut guard = terminal::TerminalGuard::enter()?;
    let result = event_loop::run(&mut guard, session).await;
    // The token must not outlive the session on the clipboard: clear it (if still ours)
    // while the terminal can still receive an OSC 52 clear.
    if let Some(clipboard) = &session.app.clipboard {
        clipboard.clear_now();
        for write in clipboard.take_terminal_writes() {
            let _ = guard.write_raw(write.as_bytes());
        }
    }
    drop(guard);
    result
}

fn farewell(session: &Session) -> String {
    let view = &session.app.view;
    match (&view.session(), view.outcome) {
        (Some(id), Some(outcome)) => format!(
            "keyturn: session {id} {}.",
            runbook_view::outcome_name(outcome)
        ),
        (Some(id), None) => format!(
            "keyturn: session {id} left under way. {} {}.",
            view.left_behind(),
            session.app.resume_command(id)
        ),
        _ => "keyturn: no runbook was started.".to_owned(),
    }
}

/// `tracing` to a file under the state dir: the screen belongs to the TUI. The file is 0600
/// and not opened through a link; every line is redacted (a store's read error quotes the
/// vendor). Public so tests can read what a session logged.
pub fn log_to_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        crate::private_files::create_dirs(dir)?;
    }
    let mut options = crate::private_files::options();
    options.create(true).append(true);
    let file = crate::private_files::open(&options, path)
        .map_err(|e| anyhow::anyhow!("{}: cannot open the log: {e}", path.display()))?;
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(crate::redact::Redacting(file)))
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEYTURN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("keyturn=info")),
        )
        .finish();
    // A second session in one process (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(())
}
