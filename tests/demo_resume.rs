#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `keyturn demo --resume` end to end, in a real terminal (the private tmux server of
//! `tui_tmux.rs`): a demo rotation is killed with SIGKILL once the vault holds the new
//! token, its detached simulator keeps serving, `keyturn demo --resume` takes the session
//! up and walks it to the end, and the simulated stores — read through the vendors' own
//! APIs, not from keyturn's report — hold one valid token everywhere. A fresh `keyturn
//! demo` in the same folder stops an earlier demo's simulator first and says so.

#[path = "tui_tmux/tmux.rs"]
mod tmux;

mod common;

use std::process::Command;
use std::time::Duration;

use common::demo::{self, PidGuard, Stores};
use keyturn::cli::demo::handoff::Handoff;
use tmux::Tmux;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

/// A confirmation whose title starts with `title` is open.
fn confirmation(title: &'static str) -> impl Fn(&str) -> Result<(), String> {
    move |screen| {
        screen
            .contains(&format!("Confirm: {title}"))
            .then_some(())
            .ok_or_else(|| format!("no confirmation `{title}`"))
    }
}

/// The word the revoke's typed confirmation shows.
fn typed_word(screen: &str) -> Option<String> {
    let line = screen.lines().find(|l| l.contains("│word:  "))?;
    let word = line.split("word:  ").nth(1)?.trim_end_matches('│').trim();
    Some(word.to_owned())
}

#[test]
fn a_demo_killed_mid_rotation_is_resumed_on_its_surviving_simulator() {
    let rotation = [
        "--scenario",
        "in-sync",
        "--runbook",
        "heroku-token-rotation",
    ];
    let Some(tmux) = Tmux::demo_with(&rotation, WIDTH, HEIGHT) else {
        return;
    };
    let dir = tmux.demo_dir();
    tmux.wait("the mint's confirmation", confirmation("2. Create the new"));
    let handoff = Handoff::read(&dir).unwrap().expect("a handoff file");
    let _guard = PidGuard(handoff.pid);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stores = rt.block_on(Stores::of(&handoff));
    let old = rt.block_on(stores.vault());

    tmux.key("Enter");
    tmux.wait("the vault write's confirmation", confirmation("4. Store"));
    tmux.key("Enter");
    tmux.wait(
        "the apps' confirmation",
        confirmation("5. Propagate to every"),
    );
    let new = rt.block_on(stores.vault());
    assert_ne!(new, old, "the vault holds the new token");
    let keyturn = tmux
        .keyturn_pid()
        .expect("keyturn runs under the pane's shell");
    let killed = Command::new("kill").args(["-KILL", &keyturn]).status();
    assert!(killed.unwrap().success());
    // Nothing restored the terminal: the shell's status line lands mid-screen.
    tmux.wait("keyturn to die", |_| {
        let died = tmux
            .normal_screen()
            .contains("keyturn exited with status 137");
        died.then_some(())
            .ok_or_else(|| "keyturn still runs".to_owned())
    });
    assert!(tmux::running(handoff.pid), "the simulator outlives keyturn");
    let after_kill = rt.block_on(Stores::of(&handoff));
    assert_eq!(
        rt.block_on(after_kill.vault()),
        new,
        "its stores are intact"
    );

    tmux.restart_demo(&["--resume"], WIDTH, HEIGHT);
    tmux.wait(
        "the resumed apps' confirmation",
        confirmation("5. Propagate to every"),
    );
    tmux.key("Enter");
    tmux.wait(
        "GitHub's confirmation",
        confirmation("5. Propagate to the GitHub"),
    );
    tmux.key("Enter");
    let screen = tmux.wait("the revoke's typed word", |s| {
        typed_word(s)
            .map(drop)
            .ok_or_else(|| "no typed confirmation".to_owned())
    });
    let word = typed_word(&screen).unwrap();
    assert!(
        tmux.tmux(&["send-keys", "-t", tmux::TARGET, "-l", &word])
            .status
            .success()
    );
    tmux.key("Enter");
    tmux.wait("the rotation to finish", |s| {
        s.contains("Finished: completed")
            .then_some(())
            .ok_or_else(|| "not finished".to_owned())
    });

    assert_one_valid_token_everywhere(&rt, &stores, &old);
    let mut secrets = rt.block_on(stores.authorization_tokens());
    secrets.extend([old, rt.block_on(stores.vault())]);
    secrets.extend(demo::credential_values(&stores.answer));
    demo::assert_no_secret_in_files(&dir, &secrets);

    tmux.key("q");
    assert_eq!(tmux.wait_exit(), "0");
    assert!(
        demo::ends_within(handoff.pid, Duration::from_secs(5)),
        "a finished demo stops its simulator"
    );
    assert_eq!(Handoff::read(&dir).unwrap(), None);
}

/// Read from the simulator: the vault, every app and the GitHub secret hold one value,
/// it validates, and the old token no longer does (it was revoked).
fn assert_one_valid_token_everywhere(rt: &tokio::runtime::Runtime, stores: &Stores, old: &str) {
    let vault = rt.block_on(stores.vault());
    assert_ne!(vault, old, "the vault holds the new token");
    for (app, value) in rt.block_on(stores.apps()) {
        assert!(value == vault, "{app} holds another value than the vault");
    }
    assert!(rt.block_on(stores.valid(&vault)), "the new token validates");
    assert!(!rt.block_on(stores.valid(old)), "the old token was revoked");
    assert!(
        rt.block_on(stores.github_holds(&vault)),
        "the GitHub secret holds the vault's value (probe)"
    );
}

#[test]
fn a_new_demo_stops_the_earlier_demos_simulator_and_says_so() {
    let Some(tmux) = Tmux::server() else {
        return;
    };
    let mut earlier = demo::start(&tmux.demo_dir(), "in-sync", 60, false);
    tmux.restart_demo(&[], WIDTH, HEIGHT);
    tmux.wait("the Path B confirmation", confirmation("Path B"));
    assert!(
        earlier.child.try_wait().unwrap().is_some(),
        "the earlier simulator was stopped"
    );
    let now = Handoff::read(&tmux.demo_dir()).unwrap().unwrap();
    let _guard = PidGuard(now.pid);
    assert_ne!(now.pid, earlier.handoff.pid, "a simulator of its own");
    tmux.key("Escape");
    tmux.wait("the confirmation to close", |s| {
        (!s.contains("Confirm: Path B"))
            .then_some(())
            .ok_or_else(|| "still open".to_owned())
    });
    tmux.key("q");
    tmux.wait("the quit question", |s| {
        s.contains("Quit?")
            .then_some(())
            .ok_or_else(|| "no Quit?".to_owned())
    });
    tmux.key("y");
    assert_eq!(tmux.wait_exit(), "0");
    let normal = tmux.normal_screen();
    let said = format!(
        "stopped the earlier demo's simulator in {} (pid {}",
        tmux.demo_dir().display(),
        earlier.handoff.pid
    );
    assert!(normal.contains(&said), "{normal}");
}
