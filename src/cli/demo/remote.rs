//! The demo's side of its detached simulator: start it, find it again, ask it for the
//! credentials (on loopback, with the nonce: no token is ever on disk) and stop it.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::child::READY;
use super::handoff::{self, Handoff, HandoffError};
use crate::config::Config;
use crate::config::credentials::Credentials;
use crate::sim::{NONCE_HEADER, SESSION_PATH, SHUTDOWN_PATH, Scenario, SessionAnswer};

/// How long a starting simulator may take to say it serves (a cold, loaded CI box).
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a request to the simulator's remote control may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a stopping simulator may take before it is signalled, then killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A detached demo simulator that serves (its lock is held).
#[derive(Debug)]
pub struct RemoteSim {
    pub dir: PathBuf,
    pub handoff: Handoff,
    /// The process when this keyturn started it, to reap it after a stop.
    child: Option<Child>,
}

/// Why there is no simulator to take a demo up on.
#[derive(Debug, thiserror::Error)]
pub enum SimGone {
    #[error(
        "no demo simulator serves {}: none was started there, or it stopped (its demo finished, or nothing asked it anything for its idle timeout)",
        dir.display()
    )]
    NotServing { dir: PathBuf },
    #[error(
        "the demo's simulator is gone: pid {pid}, started {started}, no longer runs (the machine restarted, it was stopped, or it stopped itself after {idle} without a request), and the simulated stores went with it",
        started = handoff.started_at.format("%Y-%m-%d %H:%M UTC"),
        pid = handoff.pid,
        idle = super::minutes(handoff.idle_timeout_secs)
    )]
    Ended { handoff: Box<Handoff> },
    #[error(
        "the session started {session_started} against an earlier demo simulator, which is gone (this folder's simulator started later, {sim_started}, for a newer demo)",
        session_started = session_started.format("%Y-%m-%d %H:%M:%S UTC"),
        sim_started = sim_started.format("%Y-%m-%d %H:%M:%S UTC")
    )]
    Earlier {
        session_started: chrono::DateTime<chrono::Utc>,
        sim_started: chrono::DateTime<chrono::Utc>,
    },
    #[error(transparent)]
    Handoff(#[from] HandoffError),
}

impl RemoteSim {
    /// Starts the simulator for `dir` (absolute) as a detached child; returns once it serves.
    pub fn spawn(
        dir: &Path,
        scenario: Scenario,
        apps: Option<usize>,
        idle: Duration,
    ) -> anyhow::Result<RemoteSim> {
        let exe = std::env::current_exe()
            .context("cannot find keyturn's own program to start the demo's simulator")?;
        let mut command = Command::new(exe);
        command
            .arg("demo-simulator")
            .arg("--dir")
            .arg(dir)
            .args(["--scenario", scenario.name()])
            .args(["--idle-timeout", &idle.as_secs().to_string()]);
        if let Some(apps) = apps {
            command.args(["--apps", &apps.to_string()]);
        }
        // Nothing of the terminal: the TUI owns the screen, and the child outlives it.
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log(dir)?)
            .current_dir("/");
        let mut child = command
            .spawn()
            .context("cannot start the demo's simulator")?;
        wait_ready(&mut child, dir)?;
        let handoff = Handoff::read(dir)?
            .context("the demo's simulator said it serves but left no handoff file")?;
        Ok(RemoteSim {
            dir: dir.to_owned(),
            handoff,
            child: Some(child),
        })
    }

    /// The simulator serving `dir`, if one does.
    pub fn find(dir: &Path) -> Result<RemoteSim, SimGone> {
        let handoff = Handoff::read(dir)?.ok_or_else(|| SimGone::NotServing {
            dir: dir.to_owned(),
        })?;
        if !handoff::sim_alive(dir) || !pid_alive(handoff.pid) {
            return Err(SimGone::Ended {
                handoff: Box::new(handoff),
            });
        }
        Ok(RemoteSim {
            dir: dir.to_owned(),
            handoff,
            child: None,
        })
    }

    /// Refuses a session that began before this simulator did: it ran against another
    /// world, gone since (a demo started anew in the folder, or a simulator restarted).
    pub fn serves(&self, journal: &Path) -> Result<(), SimGone> {
        let events = crate::session::journal::read(journal).unwrap_or_default();
        match events.first() {
            Some(first) if first.at < self.handoff.started_at => Err(SimGone::Earlier {
                session_started: first.at,
                sim_started: self.handoff.started_at,
            }),
            _ => Ok(()),
        }
    }

    /// The config and credentials of the simulated world, handed over by the simulator.
    pub async fn connect(&self) -> anyhow::Result<(Config, Credentials)> {
        let answer = self.session().await?;
        let config =
            crate::sim::remote_config(&answer.credentials, &answer.apps, self.handoff.urls())?;
        Ok((config, answer.credentials.keyturn_credentials()))
    }

    async fn session(&self) -> anyhow::Result<SessionAnswer> {
        let url = self.control_url(SESSION_PATH)?;
        let response = client()?
            .get(&url)
            .header(NONCE_HEADER, &self.handoff.nonce)
            .send()
            .await
            .with_context(|| self.no_answer())?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "{}: it answered {status} (a simulator that does not know this folder's nonce)",
            self.no_answer()
        );
        response.json().await.with_context(|| self.no_answer())
    }

    fn no_answer(&self) -> String {
        format!(
            "the demo's simulator (pid {}) at {} does not answer",
            self.handoff.pid, self.handoff.heroku_url
        )
    }

    /// The control route on the simulated Heroku, refused unless it is plain loopback: the
    /// nonce goes nowhere else, whatever the handoff file says.
    fn control_url(&self, path: &str) -> anyhow::Result<String> {
        let base = &self.handoff.heroku_url;
        let url = url::Url::parse(base).with_context(|| format!("bad simulator URL {base}"))?;
        anyhow::ensure!(
            url.scheme() == "http" && url.host_str() == Some("127.0.0.1"),
            "the handoff file points the simulator at {base}, not at 127.0.0.1: start a new demo"
        );
        Ok(format!("{}{path}", base.trim_end_matches('/')))
    }

    /// Asks the simulator to stop, then signals it if it does not; waits until it is gone.
    pub async fn stop(mut self) {
        if let Ok(url) = self.control_url(SHUTDOWN_PATH)
            && let Ok(client) = client()
        {
            let request = client.post(url).header(NONCE_HEADER, &self.handoff.nonce);
            let _ = request.send().await;
        }
        for signal in [
            None,
            Some(rustix::process::Signal::TERM),
            Some(rustix::process::Signal::KILL),
        ] {
            if let Some(signal) = signal {
                self.signal(signal);
            }
            if self.gone_within(STOP_GRACE).await {
                break;
            }
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.try_wait();
        }
    }

    /// Signals the simulator, only while it still holds the folder (its pid is its own).
    fn signal(&self, signal: rustix::process::Signal) {
        let pid = i32::try_from(self.handoff.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw);
        if let Some(pid) = pid.filter(|_| handoff::sim_alive(&self.dir)) {
            let _ = rustix::process::kill_process(pid, signal);
        }
    }

    /// Polls until the lock is free and the process has ended (reaped when it is ours).
    async fn gone_within(&mut self, grace: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < grace {
            let ended = match self.child.as_mut() {
                Some(child) => child.try_wait().is_ok_and(|s| s.is_some()),
                None => !pid_alive(self.handoff.pid),
            };
            if ended || (!handoff::sim_alive(&self.dir) && self.child.is_none()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

/// A client for loopback only: never through a proxy (`$HTTP_PROXY` would get the nonce).
fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .timeout(ANSWER_TIMEOUT)
        .build()?)
}

/// `kill(pid, 0)`: the process exists (a zombie not yet reaped counts as existing).
pub fn pid_alive(pid: u32) -> bool {
    i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok())
}

/// `<dir>/sim.log`, the simulator's stderr and log (0600, appended to).
fn log(dir: &Path) -> anyhow::Result<Stdio> {
    let path = dir.join("sim.log");
    let mut options = crate::private_files::options();
    options.create(true).append(true);
    let file = crate::private_files::open(&options, &path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Stdio::from(file))
}

/// Reads the child's first line; anything but [`READY`] in time is a failed start, told
/// with the last line the simulator logged.
fn wait_ready(child: &mut Child, dir: &Path) -> anyhow::Result<()> {
    let stdout = child
        .stdout
        .take()
        .context("no pipe from the demo's simulator")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(READY_TIMEOUT).unwrap_or_default();
    if line.trim() == READY {
        return Ok(());
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(dir.join("sim.log")).unwrap_or_default();
    let last = log
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    anyhow::bail!(
        "the demo's simulator did not start within {}s: {}",
        READY_TIMEOUT.as_secs(),
        if last.is_empty() {
            "it said nothing"
        } else {
            last
        }
    )
}
