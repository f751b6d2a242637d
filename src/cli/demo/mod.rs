//! `keyturn demo`: the TUI against a simulator (no config, no credentials, no network), and
//! `keyturn demo --resume [SESSION]`: an interrupted demo session taken up again.
//!
//! The simulator runs as a detached process of its own ([`child`]), so the simulated stores
//! outlive the TUI as real vendors would: after a `kill -9`, a closed terminal or a quit
//! mid-runbook the session can be continued, not only read. The demo finds it again through
//! the handoff file in its folder ([`handoff`]) and asks it for the credentials on loopback
//! ([`remote`]). A demo that ends with nothing to resume stops its simulator; otherwise the
//! simulator stops itself after [`IDLE_TIMEOUT_SECS`] without a request.

pub mod child;
pub mod handoff;
pub mod remote;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use remote::{RemoteSim, SimGone};

use super::tui_cmd::{bad_input, default_demo_dir, demo_dir};
use crate::sim::Scenario;
use crate::tui::DemoResume;

/// How long a demo's simulator waits for a request before it stops: long enough to come
/// back to an interrupted demo after a coffee, short enough not to linger all day.
pub const IDLE_TIMEOUT_SECS: u64 = 30 * 60;

/// Arguments of `keyturn demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The simulated situation to open on.
    #[arg(long, value_name = "SCENARIO", default_value = "github-stale")]
    pub scenario: Scenario,
    /// The runbook to walk (default: picked from the diagnosis).
    #[arg(long, value_name = "NAME")]
    pub runbook: Option<String>,
    /// Simulate this many Heroku apps instead of the SOP's four.
    #[arg(long, value_name = "N")]
    pub apps: Option<usize>,
    /// Where the demo's journals, postmortems, audit log and simulator hand-over go
    /// (default: `$XDG_STATE_HOME/keyturn/demo`).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Take up an interrupted demo session (id or journal file; the newest when no value)
    /// on the simulator it ran against, which waits 30 min for it.
    #[arg(
        long,
        value_name = "SESSION",
        num_args = 0..=1,
        default_missing_value = "",
        conflicts_with_all = ["scenario", "runbook", "apps"]
    )]
    pub resume: Option<String>,
    /// Seconds without a request after which the simulator stops itself (tests use seconds).
    #[arg(long, value_name = "SECS", default_value_t = IDLE_TIMEOUT_SECS, hide = true)]
    pub sim_idle_timeout: u64,
}

/// `keyturn demo [--resume [SESSION]]`.
pub fn run(args: &DemoArgs) -> u8 {
    let dir = match folder(args) {
        Ok(dir) => dir,
        Err(err) => return bad_input(&format!("{err:#}")),
    };
    let rt = match super::check::runtime() {
        Ok(rt) => rt,
        Err(err) => return bad_input(&err.to_string()),
    };
    match &args.resume {
        Some(session) => resume(args, &dir, session, &rt),
        None => fresh(args, &dir, &rt),
    }
}

/// The demo folder, absolute (the simulator runs from `/`), created 0700 when missing.
fn folder(args: &DemoArgs) -> anyhow::Result<PathBuf> {
    let Some(dir) = &args.dir else {
        return demo_dir();
    };
    crate::private_files::create_dirs(dir)?;
    Ok(std::path::absolute(dir)?)
}

/// A new demo: any earlier simulator of this folder stopped first, a new one started.
fn fresh(args: &DemoArgs, dir: &Path, rt: &tokio::runtime::Runtime) -> u8 {
    // Before any simulator starts: without a screen it would only wait out its idle timeout.
    if let Err(why) = need_terminal() {
        return bad_input(why);
    }
    if let Err(why) = rt.block_on(stop_earlier(dir)) {
        return bad_input(&why);
    }
    let idle = Duration::from_secs(args.sim_idle_timeout);
    let remote = match RemoteSim::spawn(dir, args.scenario, args.apps, idle) {
        Ok(remote) => remote,
        Err(err) => return bad_input(&format!("{err:#}")),
    };
    open(args, remote, None, rt)
}

/// Stops a simulator an earlier demo left in `dir` and says so; refuses while a session
/// in the folder runs (its TUI would lose its stores).
async fn stop_earlier(dir: &Path) -> Result<(), String> {
    let Ok(earlier) = RemoteSim::find(dir) else {
        return Ok(());
    };
    let sessions = dir.join("sessions");
    if let Some(holder) = crate::session::lock::live_holders(&sessions).first() {
        return Err(format!(
            "a demo in {} is running now ({holder}): go to that terminal, or give this one another --dir",
            dir.display()
        ));
    }
    let (pid, scenario) = (earlier.handoff.pid, earlier.handoff.scenario.clone());
    earlier.stop().await;
    errln!(
        "keyturn: stopped the earlier demo's simulator in {} (pid {pid}, scenario {scenario}); its sessions can still be read: `keyturn resume --sessions-dir {}`",
        dir.display(),
        sessions.display()
    );
    Ok(())
}

/// `--resume`: the session's journal and the simulator it ran against, which must still
/// serve; exit 2 saying what is left to do when it does not.
fn resume(args: &DemoArgs, dir: &Path, session: &str, rt: &tokio::runtime::Runtime) -> u8 {
    let sessions = dir.join("sessions");
    let session = Some(session).filter(|s| !s.is_empty());
    let journal = super::resume::find_journal(session, Some(&sessions));
    let remote = RemoteSim::find(dir).and_then(|remote| match &journal {
        Ok(path) => remote.serves(path).map(|()| remote),
        Err(_) => Ok(remote),
    });
    let remote = match remote {
        Ok(remote) => remote,
        Err(gone) => return bad_input(&gone_advice(&gone, dir, journal.ok().as_deref())),
    };
    match (journal, need_terminal()) {
        (Ok(journal), Ok(())) => open(args, remote, Some(journal), rt),
        (Err(err), _) => bad_input(&format!("{err:#}")),
        (_, Err(why)) => bad_input(why),
    }
}

/// The TUI draws on stdout: refuse early, and say what works without a terminal.
fn need_terminal() -> Result<(), &'static str> {
    if std::io::stdout().is_terminal() {
        return Ok(());
    }
    Err(
        "keyturn demo draws a terminal UI, and stdout is not a terminal: run it in one (`keyturn run RUNBOOK --sim SCENARIO --yes` walks a simulated runbook without one)",
    )
}

/// Why the demo cannot be continued, and what can still be done.
fn gone_advice(gone: &SimGone, dir: &Path, journal: Option<&Path>) -> String {
    let sessions = dir.join("sessions");
    let id = journal.map(crate::session::journal::session_of);
    let read = match &id {
        Some(id) => format!("keyturn resume {id} --sessions-dir {}", sessions.display()),
        None => format!("keyturn resume --sessions-dir {}", sessions.display()),
    };
    let what = id.map_or_else(|| "a demo session".to_owned(), |id| format!("session {id}"));
    format!(
        "{gone}.\nSo {what} cannot be continued. Still possible:\n  `{read}` shows where it stopped (read-only)\n  `keyturn demo{}` starts a new demo",
        dir_flag(dir)
    )
}

/// ` --dir DIR` unless `dir` is the default demo folder.
fn dir_flag(dir: &Path) -> String {
    match default_demo_dir() {
        Ok(default) if default == dir => String::new(),
        _ => format!(" --dir {}", dir.display()),
    }
}

/// The TUI on the remote simulator; afterwards the simulator is stopped unless a session
/// was left under way (it then waits for `keyturn demo --resume`).
fn open(
    args: &DemoArgs,
    remote: RemoteSim,
    journal: Option<PathBuf>,
    rt: &tokio::runtime::Runtime,
) -> u8 {
    let (config, creds) = match rt.block_on(remote.connect()) {
        Ok((config, creds)) => (super::tui_cmd::demo_config(config, &remote.dir), creds),
        Err(err) => {
            if journal.is_none() {
                rt.block_on(remote.stop());
            }
            return bad_input(&format!("{err:#}"));
        }
    };
    let resume = DemoResume {
        dir_flag: dir_flag(&remote.dir),
        idle_timeout: minutes(remote.handoff.idle_timeout_secs),
    };
    let options = super::tui_cmd::demo_options(
        &config,
        &remote.dir,
        &remote.handoff.scenario,
        args.runbook.clone(),
        journal,
    );
    let (code, under_way) = match options {
        Ok(mut options) => {
            options.demo_resume = Some(resume);
            super::tui_cmd::open_demo(rt, config, &creds, options)
        }
        Err(err) => (bad_input(&format!("{err:#}")), false),
    };
    if !under_way {
        rt.block_on(remote.stop());
    }
    code
}

/// `30 min`, `45 s`: an idle timeout for a sentence.
pub(crate) fn minutes(secs: u64) -> String {
    if secs >= 60 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_timeouts_read_as_minutes_or_seconds() {
        assert_eq!(minutes(1800), "30 min");
        assert_eq!(minutes(90), "90 s");
        assert_eq!(minutes(3), "3 s");
    }
}
