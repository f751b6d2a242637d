#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The TUI clipboard: copy, countdown, clear-if-ours, reveal, OSC 52 bytes, detection.
//! Time is passed in as explicit `Instant`s (never a sleep) and no test needs an X display:
//! the memory backend stands in for the desktop and OSC 52 is chosen through a fake env.

use std::collections::HashMap;
use std::ffi::OsString;
use std::time::{Duration, Instant};

use keyturn::runbook::engine::{Clipboard, MemoryClipboard};
use keyturn::secret::Token;
use keyturn::tui::clipboard::{
    BackendKind, ClipboardHandle, ClipboardState, DisplayServer, Environment, Osc52Reason,
    REVEAL_FOR, TuiClipboard,
};

const CANARY: &str = "HRKU-CANARY-7f3e9a1c-do-not-leak";
const CLEAR_AFTER: Duration = Duration::from_secs(30);
const SECOND: Duration = Duration::from_secs(1);
const JUST_BEFORE_CLEAR: Duration = Duration::from_secs(29);
const JUST_BEFORE_HIDE: Duration = Duration::from_secs(9);

/// A memory-backed pair with the canary copied; `now` is taken just after the copy, so the
/// deadline lies in `(now + 29 s, now + 30 s]`.
fn copied() -> (ClipboardHandle, TuiClipboard, MemoryClipboard, Instant) {
    let desktop = MemoryClipboard::default();
    let (handle, mut engine) = ClipboardHandle::memory(CLEAR_AFTER, desktop.clone());
    engine.copy(&Token::new(CANARY)).unwrap();
    (handle, engine, desktop, Instant::now())
}

fn env(vars: &[(&str, &str)]) -> Environment {
    let map: HashMap<String, OsString> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
        .collect();
    Environment::from_lookup(|name| map.get(name).cloned())
}

/// An OSC 52 pair without touching arboard (SSH always means OSC 52).
fn osc52(tmux: bool) -> (ClipboardHandle, TuiClipboard) {
    let mut vars = vec![("SSH_TTY", "/dev/pts/3")];
    if tmux {
        vars.push(("TMUX", "/tmp/tmux-1000/default,1234,0"));
    }
    ClipboardHandle::detect_in(&env(&vars), CLEAR_AFTER)
}

#[test]
fn copy_counts_down_and_clears_when_due() {
    let (handle, _engine, desktop, now) = copied();
    assert_eq!(desktop.contents().as_deref(), Some(CANARY));
    let left = handle.countdown(now).unwrap();
    assert!(
        left <= CLEAR_AFTER && left + SECOND > CLEAR_AFTER,
        "{left:?}"
    );
    assert_eq!(
        handle.status(now).describe(),
        "copied to the in-memory clipboard · clears in 30 s"
    );
    assert!(!handle.tick(now + JUST_BEFORE_CLEAR));
    assert_eq!(desktop.contents().as_deref(), Some(CANARY));
    assert!(handle.tick(now + CLEAR_AFTER));
    assert_eq!(desktop.contents(), None);
    assert_eq!(handle.countdown(now + CLEAR_AFTER), None);
    assert_eq!(handle.status(now).state, ClipboardState::Cleared);
    assert_eq!(handle.status(now).describe(), "cleared");
}

#[test]
fn countdown_text_rounds_up_to_whole_seconds() {
    let (handle, _engine, _desktop, now) = copied();
    let later = now + Duration::from_millis(6_500);
    let text = handle.status(later).describe();
    assert!(
        text.ends_with("clears in 24 s") || text.ends_with("clears in 23 s"),
        "{text}"
    );
}

#[test]
fn a_clipboard_someone_else_overwrote_is_left_alone() {
    let (handle, _engine, desktop, now) = copied();
    *desktop.0.lock().unwrap() = Some("the operator's own note".to_owned());
    assert!(handle.tick(now + CLEAR_AFTER + SECOND));
    assert_eq!(
        desktop.contents().as_deref(),
        Some("the operator's own note")
    );
    assert_eq!(handle.status(now).state, ClipboardState::Replaced);
}

#[test]
fn reveal_lasts_ten_seconds_then_ends() {
    let (handle, _engine, _desktop, now) = copied();
    assert!(handle.revealed(now).is_none(), "hidden until asked");
    assert!(handle.reveal(now));
    assert_eq!(
        handle.revealed(now + JUST_BEFORE_HIDE).unwrap().as_str(),
        CANARY
    );
    assert!(handle.revealed(now + REVEAL_FOR).is_none());
    assert!(
        handle.revealed(now + SECOND).is_none(),
        "an ended reveal stays ended"
    );
}

#[test]
fn hide_ends_a_reveal_early_and_tick_ends_a_due_one() {
    let (handle, _engine, _desktop, now) = copied();
    handle.reveal(now);
    handle.hide();
    assert!(handle.revealed(now).is_none());
    handle.reveal(now);
    assert!(
        handle.tick(now + REVEAL_FOR),
        "the reveal ending is a change"
    );
    assert!(handle.revealed(now + SECOND).is_none());
}

#[test]
fn nothing_to_reveal_before_a_copy() {
    let (handle, _engine) = ClipboardHandle::memory(CLEAR_AFTER, MemoryClipboard::default());
    let now = Instant::now();
    assert!(!handle.reveal(now));
    assert!(handle.revealed(now).is_none());
    assert_eq!(handle.status(now).state, ClipboardState::Idle);
    assert!(!handle.tick(now + CLEAR_AFTER));
}

#[test]
fn clear_now_clears_ours_and_forgets_the_value() {
    let (handle, _engine, desktop, now) = copied();
    handle.reveal(now);
    handle.clear_now();
    assert_eq!(desktop.contents(), None);
    assert!(handle.revealed(now).is_none());
    assert!(!handle.reveal(now), "the value is forgotten at session end");
}

#[test]
fn dropping_the_last_owner_clears_if_still_ours() {
    let (handle, engine, desktop, _now) = copied();
    drop(handle);
    assert_eq!(
        desktop.contents().as_deref(),
        Some(CANARY),
        "engine still owns it"
    );
    drop(engine);
    assert_eq!(desktop.contents(), None);

    let (handle, engine, desktop, _now) = copied();
    *desktop.0.lock().unwrap() = Some("someone else".to_owned());
    drop((handle, engine));
    assert_eq!(desktop.contents().as_deref(), Some("someone else"));
}

#[test]
fn osc52_sequences_are_exact() {
    let (handle, mut engine) = osc52(false);
    engine.copy(&Token::new("hunter2")).unwrap();
    let writes = handle.take_terminal_writes();
    let writes: Vec<&str> = writes.iter().map(|w| w.as_str()).collect();
    assert_eq!(writes, ["\x1b]52;c;aHVudGVyMg==\x07"]);
    assert!(handle.take_terminal_writes().is_empty(), "taken once");
    handle.clear_now();
    let clear = handle.take_terminal_writes();
    assert_eq!(clear.len(), 1);
    assert_eq!(clear[0].as_str(), "\x1b]52;c;\x07");
    assert_eq!(
        handle.status(Instant::now()).state,
        ClipboardState::ClearSent
    );
}

#[test]
fn osc52_in_tmux_uses_passthrough_with_escapes_doubled() {
    let (handle, mut engine) = osc52(true);
    engine.copy(&Token::new("hunter2")).unwrap();
    let writes = handle.take_terminal_writes();
    assert_eq!(
        writes[0].as_str(),
        "\x1bPtmux;\x1b\x1b]52;c;aHVudGVyMg==\x07\x1b\\"
    );
    assert!(handle.tick(Instant::now() + CLEAR_AFTER + SECOND));
    let clear = handle.take_terminal_writes();
    assert_eq!(clear[0].as_str(), "\x1bPtmux;\x1b\x1b]52;c;\x07\x1b\\");
}

#[test]
fn a_clear_replaces_a_copy_the_ui_never_wrote() {
    let (handle, mut engine) = osc52(false);
    engine.copy(&Token::new("hunter2")).unwrap();
    handle.clear_now();
    let writes = handle.take_terminal_writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].as_str(), "\x1b]52;c;\x07");
}

#[test]
fn osc52_status_says_why_and_how() {
    let (handle, mut engine) = osc52(true);
    engine.copy(&Token::new(CANARY)).unwrap();
    let status = handle.status(Instant::now());
    assert_eq!(
        status.backend,
        BackendKind::Osc52 {
            reason: Osc52Reason::Ssh,
            tmux: true
        }
    );
    let text = status.describe();
    assert!(
        text.starts_with("sent to your terminal via OSC 52 through tmux (SSH"),
        "{text}"
    );
    assert!(text.contains("allow-passthrough on"), "{text}");
    assert!(text.ends_with("clears in 30 s"), "{text}");
    handle.clear_now();
    handle.take_terminal_writes();
}

#[test]
fn detection_matrix() {
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<Osc52Reason>);
    let cases: &[Case<'_>] = &[
        (&[("DISPLAY", ":0")], None),
        (&[("WAYLAND_DISPLAY", "wayland-0")], None),
        (&[("DISPLAY", ":0"), ("TMUX", "/tmp/t,1,0")], None),
        (
            &[("DISPLAY", ":0"), ("SSH_TTY", "/dev/pts/1")],
            Some(Osc52Reason::Ssh),
        ),
        (
            &[("SSH_CONNECTION", "10.0.0.2 5022 10.0.0.1 22")],
            Some(Osc52Reason::Ssh),
        ),
    ];
    for (vars, expected) in cases {
        assert_eq!(&env(vars).osc52_reason(), expected, "{vars:?}");
    }
    assert!(env(&[("TMUX", "/tmp/t,1,0")]).tmux);
    assert!(!env(&[("TMUX", "")]).tmux, "empty counts as unset");
}

#[test]
fn no_display_means_osc52_only_where_the_clipboard_needs_one() {
    let bare = env(&[("DISPLAY", ""), ("SSH_TTY", "")]);
    let expected = match bare.display {
        DisplayServer::Missing => Some(Osc52Reason::NoDisplay),
        DisplayServer::NotNeeded => None,
        DisplayServer::Running => panic!("empty DISPLAY counts as unset"),
    };
    assert_eq!(bare.osc52_reason(), expected);
    let headless = Environment {
        ssh: false,
        display: DisplayServer::Missing,
        tmux: true,
    };
    assert_eq!(headless.osc52_reason(), Some(Osc52Reason::NoDisplay));
    let mac = Environment {
        display: DisplayServer::NotNeeded,
        ..headless
    };
    assert_eq!(mac.osc52_reason(), None);
}

#[test]
fn debug_of_every_public_type_holds_no_value() {
    let (handle, engine, _desktop, now) = copied();
    handle.reveal(now);
    let (osc_handle, mut osc_engine) = osc52(true);
    osc_engine.copy(&Token::new(CANARY)).unwrap();
    let shown = format!(
        "{handle:?} {handle:#?} {engine:?} {osc_handle:?} {osc_engine:#?} {:?} {:?} {}",
        handle.status(now),
        osc_handle.status(now),
        osc_handle.status(now).describe(),
    );
    assert!(!shown.contains(CANARY), "{shown}");
    assert!(!shown.contains("CANARY"), "{shown}");
    assert!(!shown.contains(&base64_of_canary()), "{shown}");
    osc_handle.clear_now();
    osc_handle.take_terminal_writes();
}

fn base64_of_canary() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(CANARY)
}

/// With a display in the (fake) environment arboard is tried; where it cannot open (no
/// real X server, as in CI) the copy falls back to OSC 52 and says why. Nothing is copied.
#[test]
fn a_system_clipboard_that_cannot_open_falls_back_to_osc52() {
    let (handle, _engine) = ClipboardHandle::detect_in(&env(&[("DISPLAY", ":0")]), CLEAR_AFTER);
    match handle.status(Instant::now()).backend {
        BackendKind::System => {}
        BackendKind::Osc52 {
            reason: Osc52Reason::SystemUnavailable(why),
            tmux: false,
        } => assert!(!why.is_empty()),
        other => panic!("unexpected backend {other:?}"),
    }
}
