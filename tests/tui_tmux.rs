#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end in a real terminal: `keyturn demo` runs inside a private tmux server (its
//! own socket, no user config), keys go in with `send-keys`, and the screen comes back
//! with `capture-pane`. Every wait polls the screen until a condition holds or a generous
//! deadline passes; no sleep is ever the assertion.
//!
//! Without tmux the tests skip with a note, except under CI (`$CI` set), where a missing
//! tmux is a failure: `.ci/run` installs it.

// In a subdirectory so cargo does not build it as a test target of its own.
#[path = "tui_tmux/tmux.rs"]
mod tmux;

use std::path::{Path, PathBuf};

use keyturn::cli::demo::handoff::Handoff;
use tmux::{TARGET, Tmux};

/// The in-sync marker of an app line in `src/tui/render/panels.rs` (the out-of-sync one is
/// "≠ STALE").
const IN_SYNC: &str = "= vault";

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
/// deploy, each app's verdict.
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
        .filter(|l| l.contains("valid") || l.contains("401"))
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
        if !(line.contains("valid") && line.contains(IN_SYNC)) || line.contains("STALE") {
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
    let simulator = demo_simulator(&tmux);

    tmux.key("q");
    assert_eq!(tmux.wait_exit(), "0", "keyturn's exit status");
    assert_restored(&tmux, &["completed."]);
    assert!(
        !tmux::running(simulator),
        "a finished demo leaves no simulator behind (pid {simulator})"
    );
    assert!(
        Handoff::read(&tmux.demo_dir()).unwrap().is_none(),
        "nor its handoff file"
    );
}

/// The pid of the demo's detached simulator, from its handoff file.
fn demo_simulator(tmux: &Tmux) -> u32 {
    let handoff = Handoff::read(&tmux.demo_dir())
        .unwrap()
        .expect("a handoff file");
    assert!(tmux::running(handoff.pid), "the simulator runs");
    handoff.pid
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
        (s.contains("Quit?") && s.contains("keyturn demo --resume"))
            .then_some(())
            .ok_or_else(|| "no Quit? dialog".to_owned())
    });
    tmux.key("y");
    assert_eq!(tmux.wait_exit(), "0", "keyturn's exit status");
    assert_restored(
        &tmux,
        &["left under way", "keyturn demo --resume ", "30 min"],
    );
    let journals = keyturn::session::journal::list_sessions(&tmux.demo_dir().join("sessions"));
    assert_eq!(journals.len(), 1, "one resumable journal");
    demo_simulator(&tmux);
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

/// `keyturn demo` under `umask 000`, in its default folder: the state folder, the demo
/// folder, `keyturn.log`, the journal, the lock and the postmortem are all 0600 files in
/// 0700 folders.
#[test]
fn the_demo_under_umask_000_writes_only_private_files() {
    let program = Path::new(env!("CARGO_BIN_EXE_keyturn")).to_str().unwrap();
    let script = "umask 000; exec \"$0\" demo";
    let Some(tmux) = Tmux::run(Path::new("/bin/sh"), &["-c", script, program], 120, 40) else {
        return;
    };
    tmux.wait("the first screen", first_screen);
    tmux.key("Enter");
    tmux.wait("the recovery to finish", recovered);
    tmux.key("q");
    assert_eq!(tmux.wait_exit(), "0", "keyturn's exit status");
    let keyturn = tmux.state_dir().join("keyturn");
    let demo = keyturn.join("demo");
    assert!(
        demo.join("keyturn.log").is_file(),
        "the log is in {}",
        demo.display()
    );
    assert_eq!(postmortems(&demo).len(), 1);
    let mut checked = Vec::new();
    let mut pending = vec![keyturn];
    while let Some(path) = pending.pop() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::symlink_metadata(&path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        if path.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
            checked.push(path);
        }
    }
    assert!(
        checked.len() >= 4,
        "the log, the journal, the lock and the postmortem: {checked:?}"
    );
}
