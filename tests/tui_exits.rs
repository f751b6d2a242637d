//! The terminal is restored on the exit paths a key press cannot reach: a panic (whose
//! message must stay visible) and SIGTERM (which leaves the session resumable). Both run
//! in a real terminal: a private tmux server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` when tmux is missing and we are not in CI (where `.ci/run` installs it).
    fn start(command: &str, env: &[(&str, String)]) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
            eprintln!("skipped: tmux is not installed");
            return None;
        }
        let socket = format!("keyturn-exits-{}-{}", std::process::id(), rand_suffix());
        let mut cmd = Command::new("tmux");
        cmd.args([
            "-L",
            &socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
        ]);
        for (key, value) in env {
            cmd.args(["-e", &format!("{key}={value}")]);
        }
        cmd.arg(format!("{command}; echo \"[exit $?]\"; sleep 60"));
        assert!(cmd.status().unwrap().success());
        Some(Tmux { socket })
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "0"])
    }

    /// Polls the screen until `what` appears.
    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {what:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the pane shows the alternate screen right now.
    fn in_alternate_screen(&self) -> bool {
        self.tmux(&["display", "-p", "-t", "0", "#{alternate_on}"])
            .trim()
            == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    nanos % 1_000_000
}

/// The first child process of `parent`, from /proc (no procps needed).
fn child_of(parent: &str) -> Option<String> {
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

/// `target/debug/examples/panic_restore`, built by `cargo test` with the other targets.
fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let debug = deps.parent().unwrap().parent().unwrap();
    debug.join("examples").join(name)
}

#[test]
fn a_panic_restores_the_terminal_and_leaves_its_message_visible() {
    let bin = example("panic_restore");
    if !bin.exists() {
        // `cargo test` builds examples; a filtered run (`--test tui_exits`) may not have.
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", "panic_restore"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let Some(tmux) = Tmux::start(&bin.display().to_string(), &[]) else {
        return;
    };
    let screen = tmux.wait_for("[exit 101]");
    assert!(screen.contains("deliberate panic"), "{screen}");
    assert!(!tmux.in_alternate_screen(), "back on the normal screen");
    assert!(
        !screen.contains("keyturn frame before the panic"),
        "{screen}"
    );
}

#[test]
fn sigterm_restores_the_terminal_and_leaves_the_session_resumable() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_keyturn");
    let command = format!("{bin} demo --dir {}", dir.path().display());
    let env = [("XDG_STATE_HOME", dir.path().display().to_string())];
    let Some(tmux) = Tmux::start(&command, &env) else {
        return;
    };
    tmux.wait_for("Confirm: Path B");
    assert!(tmux.in_alternate_screen());
    let pid = tmux.tmux(&["display", "-p", "-t", "0", "#{pane_pid}"]);
    // The pane runs `sh -c "keyturn …; echo; sleep"`: signal keyturn, the shell's child.
    let keyturn = child_of(pid.trim()).expect("keyturn runs under the pane's shell");
    assert!(
        Command::new("kill")
            .args(["-TERM", &keyturn])
            .status()
            .unwrap()
            .success()
    );
    let screen = tmux.wait_for("[exit ");
    assert!(!tmux.in_alternate_screen(), "back on the normal screen");
    assert!(screen.contains("left under way"), "{screen}");
    assert!(screen.contains("keyturn resume"), "{screen}");
    let journals = std::fs::read_dir(dir.path().join("sessions"))
        .unwrap()
        .count();
    assert_eq!(journals, 1, "the journal stays for `keyturn resume`");
}
