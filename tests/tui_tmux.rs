#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end in a real terminal: `keyturn demo` runs inside a private tmux server (its
//! own socket, no user config), keys go in with `send-keys`, and the screen comes back
//! with `capture-pane`. Every wait polls the screen until a condition holds or a generous
//! deadline passes; no sleep is ever the assertion.
//!
//! Without tmux the tests skip with a note, except under CI (`$CI` set), where a missing
//! tmux is a failure: `.ci/run` installs it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

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
const TARGET: &str = "keyturn";
/// The in-sync marker of an app line (" · = vault"). The apps panel is 50 columns wide at
/// 120 columns and clips it to "= vau"; matching the prefix holds either way, and the
/// out-of-sync form ("STALE (≠ vault)") never matches it.
const IN_SYNC: &str = "· = vau";

/// A private tmux server running `keyturn demo` in one pane; killed on drop, so a failing
/// test leaves no server behind. Its socket lives in the test's temporary directory (`-S`
/// rather than `-L`, which would leave one socket file per test run in
/// `/tmp/tmux-$UID/`): it never meets a developer's tmux and goes away with the directory.
struct Tmux {
    socket: PathBuf,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts `keyturn demo` in a `width`×`height` pane, or `None` when tmux is missing
    /// outside CI (the caller skips).
    fn demo(width: u16, height: u16) -> Option<Tmux> {
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
        let tmux = Tmux { socket, dir };
        tmux.start(width, height);
        Some(tmux)
    }

    fn demo_dir(&self) -> PathBuf {
        self.dir.path().join("demo")
    }

    /// The pane runs keyturn with a clean, known environment, under a shell that prints
    /// its exit status; the pane stays after keyturn exits so the normal screen it left
    /// can be read.
    fn start(&self, width: u16, height: u16) {
        let home = self.dir.path().join("home");
        let state = self.dir.path().join("state");
        let config = self.dir.path().join("config");
        let demo = self.demo_dir();
        let (w, h) = (width.to_string(), height.to_string());
        let env = |name: &str, path: &Path| format!("{name}={}", path.display());
        let args = [
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
            &env("HOME", &home),
            &env("XDG_STATE_HOME", &state),
            &env("XDG_CONFIG_HOME", &config),
            "sh",
            "-c",
            EXIT_REPORTER,
            env!("CARGO_BIN_EXE_keyturn"),
            "demo",
            "--dir",
            demo.to_str().unwrap(),
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
        ];
        let out = self.tmux(&args);
        assert!(out.status.success(), "tmux new-session failed: {out:?}");
    }

    /// One tmux command against the private server, never the developer's.
    fn tmux(&self, args: &[&str]) -> Output {
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
    fn screen(&self) -> String {
        self.capture(&["-p"])
    }

    /// The normal screen and its scrollback, wrapped lines joined (a long farewell in one
    /// piece). The scrollback counts: when the pane dies, tmux scrolls the screen one line
    /// to print "Pane is dead", which pushes the farewell's first line into the history.
    /// The alternate screen never reaches the history, so a TUI frame found here was drawn
    /// on the normal screen.
    fn normal_screen(&self) -> String {
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
    fn pane(&self, format: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", TARGET, format]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Sends one key (tmux key names: `Enter`, `Escape`, `q`, `?`).
    fn key(&self, key: &str) {
        let out = self.tmux(&["send-keys", "-t", TARGET, key]);
        assert!(out.status.success(), "send-keys {key} failed: {out:?}");
    }

    /// Polls the screen until `check` accepts it; fails with the last reason, the screen
    /// and the tail of keyturn's log after [`DEADLINE`].
    fn wait(&self, what: &str, check: impl Fn(&str) -> Result<(), String>) -> String {
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
    fn wait_exit(&self) -> String {
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
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
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

/// The three status panels' text, read between their borders.
#[derive(Debug, Default)]
struct Panels {
    vault: Vec<String>,
    github: Vec<String>,
    apps: Vec<String>,
}

impl Panels {
    /// `None` until the panel strip is on screen.
    fn read(screen: &str) -> Option<Panels> {
        let mut lines = screen
            .lines()
            .skip_while(|l| !l.contains("┌ Vault (Infisical)"));
        lines.next()?;
        let mut panels = Panels::default();
        for line in lines.take_while(|l| !l.starts_with('└')) {
            let inner = line.strip_prefix('│')?.strip_suffix('│')?;
            let cells: Vec<&str> = inner.split("││").collect();
            let [vault, github, apps] = cells[..] else {
                return None;
            };
            for (panel, cell) in [
                (&mut panels.vault, vault),
                (&mut panels.github, github),
                (&mut panels.apps, apps),
            ] {
                let cell = cell.trim_end();
                if !cell.is_empty() {
                    panel.push(cell.to_owned());
                }
            }
        }
        Some(panels)
    }

    fn github(&self) -> String {
        self.github.join("\n")
    }

    /// The apps panel's lines naming an app.
    fn app_lines(&self) -> Vec<&str> {
        self.apps
            .iter()
            .map(String::as_str)
            .filter(|l| l.starts_with("raxx-"))
            .collect()
    }
}

/// The four apps of the SOP, as the demo simulates them.
const APPS: usize = 4;

/// Every panel has its reading: vault fingerprint and `/account`, GitHub's date and last
/// deploy, each app's fingerprint and verdict.
fn panels_filled(screen: &str) -> Result<Panels, String> {
    let panels = Panels::read(screen).ok_or("no panel strip on screen")?;
    let vault = panels.vault.join("\n");
    if !(vault.contains("fp ") && vault.contains("/account: 200")) {
        return Err(format!("vault panel not read yet: {vault:?}"));
    }
    let github = panels.github();
    if !(github.contains("updated ") && github.contains("last deploy: ")) {
        return Err(format!("GitHub panel not read yet: {github:?}"));
    }
    let apps = panels.app_lines();
    let read = apps
        .iter()
        .filter(|l| l.contains("fp ") && (l.contains("valid") || l.contains("401")))
        .count();
    if apps.len() != APPS || read != APPS {
        return Err(format!("{read} of {APPS} app lines read: {apps:?}"));
    }
    Ok(panels)
}

/// The demo's first screen: panels filled and the Path B confirmation open.
fn first_screen(screen: &str) -> Result<(), String> {
    panels_filled(screen)?;
    if !screen.contains("Confirm: Path B") {
        return Err("the Path B confirmation is not open".to_owned());
    }
    Ok(())
}

/// After Path B and the verify steps: finished, and the panels in sync.
fn recovered(screen: &str) -> Result<(), String> {
    if !screen.contains("Finished: completed") {
        return Err("the runbook has not finished".to_owned());
    }
    let panels = panels_filled(screen)?;
    let github = panels.github();
    if github.contains("STALE") {
        return Err(format!("the GitHub panel still says STALE: {github:?}"));
    }
    if !github.contains("last deploy: success") {
        return Err(format!("the last deploy is not a success: {github:?}"));
    }
    for line in panels.app_lines() {
        if !(line.contains("valid") && line.contains(IN_SYNC)) {
            return Err(format!("an app is not valid and in sync: {line:?}"));
        }
    }
    Ok(())
}

fn postmortems(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("postmortems"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect()
        })
        .unwrap_or_default()
}

/// After keyturn exited: the alternate screen is gone and the normal screen shows the
/// farewell line, containing every part of `farewell`.
fn assert_restored(tmux: &Tmux, farewell: &[&str]) {
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "0",
        "still on the alternate screen"
    );
    let normal = tmux.normal_screen();
    assert!(
        !normal.contains("┌ Vault (Infisical)"),
        "the TUI is still drawn after exit:\n{normal}"
    );
    let line = normal
        .lines()
        .find(|l| l.starts_with("keyturn: session "))
        .unwrap_or_else(|| panic!("no farewell line on the normal screen:\n{normal}"));
    for part in farewell {
        assert!(line.contains(part), "farewell {line:?} lacks {part:?}");
    }
}

#[test]
fn path_b_recovery_turns_every_panel_in_sync_and_restores_the_terminal() {
    let Some(tmux) = Tmux::demo(120, 40) else {
        return;
    };
    let screen = tmux.wait("the first screen", first_screen);
    let panels = Panels::read(&screen).unwrap();
    assert!(
        panels.github().contains("STALE"),
        "GitHub not STALE at start:\n{screen}"
    );
    assert!(
        screen.contains("diagnosis: github-stale"),
        "diagnosis is not github-stale:\n{screen}"
    );

    tmux.key("Enter");
    tmux.wait("the recovery to finish with every panel in sync", recovered);
    let written = postmortems(&tmux.demo_dir());
    assert_eq!(written.len(), 1, "postmortems: {written:?}");

    tmux.key("q");
    assert_eq!(tmux.wait_exit(), "0", "keyturn's exit status");
    assert_restored(&tmux, &["completed."]);
}

#[test]
fn help_overlay_closes_on_any_key_and_quitting_mid_runbook_asks_first() {
    let Some(tmux) = Tmux::demo(120, 40) else {
        return;
    };
    tmux.wait("the first screen", first_screen);

    tmux.key("?");
    tmux.wait("the help overlay", |s| {
        (s.contains(" Keys ") && s.contains("show / hide this help"))
            .then_some(())
            .ok_or_else(|| "no help overlay".to_owned())
    });
    tmux.key("x");
    tmux.wait("the help overlay to close", |s| {
        match (s.contains(" Keys "), s.contains("Confirm: Path B")) {
            (false, true) => Ok(()),
            (true, _) => Err("the help overlay is still up".to_owned()),
            (false, false) => Err("the confirmation went away with the help".to_owned()),
        }
    });

    tmux.key("Escape");
    tmux.wait("the confirmation to close", |s| {
        (!s.contains("Confirm: Path B"))
            .then_some(())
            .ok_or_else(|| "the confirmation is still open".to_owned())
    });
    tmux.key("q");
    tmux.wait("the quit question", |s| {
        (s.contains("Quit?") && s.contains("keyturn resume"))
            .then_some(())
            .ok_or_else(|| "no Quit? dialog".to_owned())
    });
    tmux.key("y");
    assert_eq!(tmux.wait_exit(), "0", "keyturn's exit status");
    assert_restored(&tmux, &["left under way", "keyturn resume "]);
    let journals = std::fs::read_dir(tmux.demo_dir().join("sessions"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .count();
    assert_eq!(journals, 1, "one resumable journal");
}

#[test]
fn below_80x24_says_so_and_resizing_brings_the_screen_back() {
    let Some(tmux) = Tmux::demo(70, 20) else {
        return;
    };
    let screen = tmux.wait("the minimum-size message", |s| {
        s.contains("keyturn needs at least 80×24")
            .then_some(())
            .ok_or_else(|| "no minimum-size message".to_owned())
    });
    assert!(screen.contains("70×20"), "size not named:\n{screen}");
    assert!(
        !screen.contains('┌') && !screen.contains("Confirm:"),
        "a garbled screen under the message:\n{screen}"
    );

    let out = tmux.tmux(&["resize-window", "-t", TARGET, "-x", "120", "-y", "40"]);
    assert!(out.status.success(), "resize-window failed: {out:?}");
    tmux.wait("the full screen after resizing", first_screen);
}
