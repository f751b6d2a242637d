//! The terminal is restored on the exit paths a key press cannot reach: a panic (whose
//! message must stay visible) and SIGTERM (which leaves the session resumable). Both run
//! in a real terminal: the private tmux server of `tui_tmux.rs`'s harness.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_tmux/tmux.rs"]
mod tmux;

use std::path::PathBuf;
use std::process::Command;

use tmux::{Tmux, child_of};

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
    let Some(tmux) = Tmux::run(&bin, &[], 120, 40) else {
        return;
    };
    assert_eq!(tmux.wait_exit(), "101");
    let screen = tmux.normal_screen();
    assert!(screen.contains("deliberate panic"), "{screen}");
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "0",
        "back on the normal screen"
    );
    assert!(
        !screen.contains("keyturn frame before the panic"),
        "{screen}"
    );
}

#[test]
fn sigterm_restores_the_terminal_and_leaves_the_session_resumable() {
    let Some(tmux) = Tmux::demo(120, 40) else {
        return;
    };
    tmux.wait("the Path B confirmation", |screen| {
        if screen.contains("Confirm: Path B") {
            Ok(())
        } else {
            Err("not yet".to_owned())
        }
    });
    assert_eq!(tmux.pane("#{alternate_on}"), "1");
    let pid = tmux.pane("#{pane_pid}");
    // The pane runs `sh -c "keyturn …; echo …"`: signal keyturn, the shell's child.
    let keyturn = child_of(&pid).expect("keyturn runs under the pane's shell");
    assert!(
        Command::new("kill")
            .args(["-TERM", &keyturn])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(tmux.wait_exit(), "0");
    let screen = tmux.normal_screen();
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "0",
        "back on the normal screen"
    );
    assert!(screen.contains("left under way"), "{screen}");
    assert!(screen.contains("keyturn demo --resume"), "{screen}");
    let journals = keyturn::session::journal::list_sessions(&tmux.demo_dir().join("sessions"));
    assert_eq!(journals.len(), 1, "the journal stays for `keyturn resume`");
}
