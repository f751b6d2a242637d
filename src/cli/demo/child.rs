//! The demo's simulator as a process of its own (`keyturn demo-simulator`, hidden): real
//! vendors outlive the keyturn that talks to them, so the demo's fake ones do too, and an
//! interrupted demo session can really be continued.
//!
//! It leaves the demo's session and process group first (`setsid`), so neither a `kill`
//! of the TUI's group nor a closed terminal reaches it; takes the demo folder's lock;
//! serves; writes the handoff file; says it is ready on stdout (the starter's pipe); and
//! then runs until one of: a shutdown request with its nonce, SIGTERM or SIGINT, or no
//! request for the idle timeout. It removes its handoff file on the way out.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use rand::RngCore as _;
use tokio::signal::unix::{SignalKind, signal};

use super::handoff::{Handoff, SimLock};
use crate::cli::exit;
use crate::sim::{Control, Scenario, Sim, SimHandle, SimOptions};

/// The line the simulator prints once it serves and its handoff file is in place.
pub const READY: &str = "keyturn demo simulator ready";

/// Arguments of the hidden `keyturn demo-simulator`.
#[derive(Debug, clap::Args)]
pub struct DemoSimArgs {
    /// The demo folder: lock, handoff file and log go there.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    #[arg(long, value_name = "SCENARIO")]
    pub scenario: Scenario,
    #[arg(long, value_name = "N")]
    pub apps: Option<usize>,
    /// Stop after this many seconds without a request.
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: u64,
}

/// Runs the detached simulator; returns its exit code.
pub fn run(args: &DemoSimArgs) -> u8 {
    // Fails only when already a group leader (started by hand from a shell script that
    // made it one): it is then detached enough.
    let _ = rustix::process::setsid();
    let _ = crate::tui::log_to_file(&args.dir.join("sim.log"));
    match crate::cli::check::runtime() {
        Ok(rt) => rt.block_on(serve(args)),
        Err(err) => fail(&format!("cannot start the async runtime: {err}")),
    }
}

async fn serve(args: &DemoSimArgs) -> u8 {
    let lock = match SimLock::acquire(&args.dir) {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            return fail(&format!(
                "another demo simulator already serves {}",
                args.dir.display()
            ));
        }
        Err(err) => return fail(&format!("cannot lock {}: {err}", args.dir.display())),
    };
    let nonce = fresh_nonce();
    let control = Control::new(&nonce);
    let options = SimOptions {
        apps: args.apps,
        control: Some(control.clone()),
        ..SimOptions::default()
    };
    let sim = match Sim::start(args.scenario, options).await {
        Ok(sim) => sim,
        Err(err) => return fail(&err.to_string()),
    };
    let handoff = handoff(args, &sim, nonce);
    if let Err(err) = handoff.write(&args.dir) {
        sim.shutdown().await;
        return fail(&format!("cannot write the handoff file: {err}"));
    }
    outln!("{READY}");
    tracing::info!(pid = handoff.pid, scenario = %handoff.scenario, idle_timeout_secs = args.idle_timeout, "demo simulator serving");
    let why = wait(&control, Duration::from_secs(args.idle_timeout)).await;
    tracing::info!("demo simulator stopping: {why}");
    handoff.remove_from(&args.dir);
    sim.shutdown().await;
    drop(lock);
    exit::OK
}

fn handoff(args: &DemoSimArgs, sim: &SimHandle, nonce: String) -> Handoff {
    let [heroku_url, github_url, infisical_url] = sim.urls();
    Handoff {
        pid: std::process::id(),
        scenario: args.scenario.to_string(),
        apps: sim.state().app_names().len(),
        heroku_url,
        github_url,
        infisical_url,
        started_at: chrono::Utc::now(),
        idle_timeout_secs: args.idle_timeout,
        nonce,
    }
}

/// 32 random bytes, hex.
fn fresh_nonce() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// Waits for a reason to stop; returns it, for the log.
async fn wait(control: &Control, idle: Duration) -> &'static str {
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return "its signal handlers could not be installed";
    };
    let mut tick = tokio::time::interval(check_period(idle));
    loop {
        tokio::select! {
            () = control.stopped() => return "a shutdown request",
            _ = term.recv() => return "SIGTERM",
            _ = int.recv() => return "SIGINT",
            _ = tick.tick() => {
                if control.idle_for() >= idle {
                    return "no request for its idle timeout";
                }
            }
        }
    }
}

/// A quarter of the timeout, between 100 ms and 30 s: the stop comes at most 25 % late.
fn check_period(idle: Duration) -> Duration {
    (idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(30))
}

fn fail(why: &str) -> u8 {
    errln!("keyturn demo-simulator: {why}");
    tracing::error!("{why}");
    exit::BAD_INPUT
}
