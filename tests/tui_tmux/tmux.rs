//! The harness: a private tmux server running `keyturn demo` (or another program) in one
//! pane, its screen read back with `capture-pane`, keys sent with `send-keys`, and waits
//! that poll the screen against a deadline. Shared by `tui_tmux.rs` and `tui_exits.rs`.

// Each test binary uses part of it.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

// One file, loaded by each harness that a test binary may include alone or together.
#[allow(clippy::duplicate_mod)]
#[path = "procs.rs"]
mod procs;
// Not every test binary that includes this harness asks whether a pid runs.
#[allow(unused_imports)]
pub use procs::{kill_demo_simulator, running};

/// How long one wait may take before the test fails. Generous for a slow 2-core CI box;
/// a passing run never waits this long.
const DEADLINE: Duration = Duration::from_secs(60);
/// How often the screen is read while waiting.
const POLL: Duration = Duration::from_millis(100);
/// Runs keyturn (`$0 "$@"`), then prints its exit status on the normal screen. tmux's own
/// `#{pane_dead_status}` is not enough: under load, tmux 3.3 sometimes marks a pane dead
/// and never records the status (seen with a plain `sleep` too).
const EXIT_REPORTER: &str = r#""$0" "$@"; echo "keyturn exited with status $?""#;
const EXITED: &str = "keyturn exited with status ";
/// The session (and window) name inside the private server.
pub const TARGET: &str = "keyturn";

/// A private tmux server running `keyturn demo` in one pane; killed on drop, so a failing
/// test leaves no server behind. Its socket lives in the test's temporary directory (`-S`
/// rather than `-L`, which would leave one socket file per test run in
/// `/tmp/tmux-$UID/`): it never meets a developer's tmux and goes away with the directory.
pub struct Tmux {
    socket: PathBuf,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts `keyturn demo` in a `width`×`height` pane, or `None` when tmux is missing
    /// outside CI (the caller skips).
    pub fn demo(width: u16, height: u16) -> Option<Tmux> {
        Tmux::demo_with(&[], width, height)
    }

    /// Starts `keyturn demo --dir <its demo folder> args…` in a `width`×`height` pane.
    pub fn demo_with(args: &[&str], width: u16, height: u16) -> Option<Tmux> {
        let tmux = Tmux::server()?;
        tmux.keyturn_demo(args, (width, height));
        Some(tmux)
    }

    /// Ends whatever runs in the server, then runs `keyturn demo --dir <its demo folder>
    /// args…` in a new pane of a new server on the same socket, with the same folders.
    pub fn restart_demo(&self, args: &[&str], width: u16, height: u16) {
        let _ = self.tmux(&["kill-server"]);
        self.keyturn_demo(args, (width, height));
    }

    fn keyturn_demo(&self, args: &[&str], size: (u16, u16)) {
        let demo = self.demo_dir();
        let mut all = vec!["demo", "--dir", demo.to_str().unwrap()];
        all.extend_from_slice(args);
        self.start(Path::new(env!("CARGO_BIN_EXE_keyturn")), &all, size);
    }

    /// The pid of keyturn, the child of the pane's shell.
    pub fn keyturn_pid(&self) -> Option<String> {
        child_of(&self.pane("#{pane_pid}"))
    }

    /// Starts `program args…` in a `width`×`height` pane, as [`Tmux::demo`] does keyturn.
    pub fn run(program: &Path, args: &[&str], width: u16, height: u16) -> Option<Tmux> {
        let tmux = Tmux::server()?;
        tmux.start(program, args, (width, height));
        Some(tmux)
    }

    /// A server of our own (nothing runs in it yet), or `None` when tmux is missing
    /// outside CI.
    pub fn server() -> Option<Tmux> {
        if !tmux_installed() {
            assert!(
                !in_ci(),
                "tmux is not installed but $CI is set: .ci/run installs it; the end-to-end TUI test cannot be skipped in CI"
            );
            // Straight to stderr: the test harness captures `eprintln!`, and a skip nobody
            // sees looks like a pass.
            let _ = writeln!(
                std::io::stderr(),
                "note: tmux is not installed; skipping the end-to-end TUI test (tests/tui_tmux.rs)"
            );
            return None;
        }
        // A short prefix keeps the socket path under the 104-byte limit of some systems.
        let dir = tempfile::Builder::new().prefix("kt").tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        Some(Tmux { socket, dir })
    }

    pub fn demo_dir(&self) -> PathBuf {
        self.dir.path().join("demo")
    }

    /// `$XDG_STATE_HOME` of the program in the pane.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The pane runs `program` with a clean, known environment, under a shell that prints
    /// its exit status; the pane stays after it exits so the normal screen it left can be
    /// read.
    fn start(&self, program: &Path, program_args: &[&str], (width, height): (u16, u16)) {
        let home = self.dir.path().join("home");
        let state = self.dir.path().join("state");
        let config = self.dir.path().join("config");
        let (w, h) = (width.to_string(), height.to_string());
        let env = |name: &str, path: &Path| format!("{name}={}", path.display());
        let (home, state, config) = (
            env("HOME", &home),
            env("XDG_STATE_HOME", &state),
            env("XDG_CONFIG_HOME", &config),
        );
        let mut args = vec![
            "new-session",
            "-d",
            "-s",
            TARGET,
            "-x",
            &w,
            "-y",
            &h,
            "env",
            "-u",
            "NO_COLOR",
            "TERM=xterm-256color",
            &home,
            &state,
            &config,
            "sh",
            "-c",
            EXIT_REPORTER,
            program.to_str().unwrap(),
        ];
        args.extend_from_slice(program_args);
        args.extend_from_slice(&[";", "set-option", "-g", "remain-on-exit", "on"]);
        let out = self.tmux(&args);
        assert!(out.status.success(), "tmux new-session failed: {out:?}");
    }

    /// One tmux command against the private server, never the developer's.
    pub fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// The visible screen as plain text.
    pub fn screen(&self) -> String {
        self.capture(&["-p"])
    }

    /// The normal screen and its scrollback, wrapped lines joined (a long farewell in one
    /// piece). The scrollback counts: when the pane dies, tmux scrolls the screen one line
    /// to print "Pane is dead", which pushes the farewell's first line into the history.
    /// The alternate screen never reaches the history, so a TUI frame found here was drawn
    /// on the normal screen.
    pub fn normal_screen(&self) -> String {
        self.capture(&["-p", "-J", "-S", "-"])
    }

    fn capture(&self, flags: &[&str]) -> String {
        let mut args = vec!["capture-pane", "-t", TARGET];
        args.extend_from_slice(flags);
        let out = self.tmux(&args);
        assert!(out.status.success(), "capture-pane failed: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format about the pane, e.g. `#{pane_dead}`.
    pub fn pane(&self, format: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", TARGET, format]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Sends one key (tmux key names: `Enter`, `Escape`, `q`, `?`).
    pub fn key(&self, key: &str) {
        let out = self.tmux(&["send-keys", "-t", TARGET, key]);
        assert!(out.status.success(), "send-keys {key} failed: {out:?}");
    }

    /// Polls the screen until `check` accepts it; fails with the last reason, the screen
    /// and the tail of keyturn's log after [`DEADLINE`].
    pub fn wait(&self, what: &str, check: impl Fn(&str) -> Result<(), String>) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            let verdict = check(&screen);
            match verdict {
                Ok(()) => return screen,
                Err(why) if start.elapsed() > DEADLINE => panic!(
                    "timed out after {DEADLINE:?} waiting for {what}: {why}\n--- screen ---\n{screen}\n--- keyturn.log (tail) ---\n{}",
                    self.log_tail()
                ),
                Err(_) => std::thread::sleep(POLL),
            }
        }
    }

    /// Waits for keyturn to exit; returns its exit status as [`EXIT_REPORTER`] printed it.
    pub fn wait_exit(&self) -> String {
        let status = |screen: &str| {
            screen
                .lines()
                .find_map(|l| l.strip_prefix(EXITED))
                .map(|code| code.trim().to_owned())
        };
        let screen = self.wait("keyturn to exit", |_| {
            let normal = self.normal_screen();
            status(&normal)
                .map(drop)
                .ok_or_else(|| "keyturn is still running".to_owned())
        });
        status(&self.normal_screen()).unwrap_or_else(|| panic!("no exit status:\n{screen}"))
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.demo_dir().join("keyturn.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Tmux {
    /// Also kills the demo's detached simulator, which outlives keyturn on purpose.
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
        let default_demo = self.state_dir().join("keyturn/demo");
        for dir in [self.demo_dir(), default_demo] {
            if let Ok(Some(handoff)) = keyturn::cli::demo::handoff::Handoff::read(&dir) {
                kill_demo_simulator(handoff.pid);
            }
        }
    }
}

/// The first child process of `parent`, from /proc (no procps needed).
pub fn child_of(parent: &str) -> Option<String> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid …; comm may hold spaces, so split after the last ')'.
            let after = stat.rsplit_once(')')?.1;
            let ppid = after.split_whitespace().nth(1)?;
            (ppid == parent).then(|| entry.file_name().to_string_lossy().into_owned())
        })
}

/// `$CI` as CI services set it (`true`, `1`); empty, `0` or `false` count as unset.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

fn tmux_installed() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|out| out.status.success())
}
