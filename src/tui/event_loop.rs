//! The one loop: a `tokio::select!` over the terminal's events, the pollers' and the
//! engine's messages, a slow heartbeat for clocks and countdowns, and SIGTERM. It draws
//! only when something changed; idle, it wakes once a heartbeat.

use std::time::{Duration, Instant};

use crossterm::event::{
    Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};
use futures::StreamExt as _;

use super::app::Msg;
use super::render;
use super::session::Session;
use super::terminal::TerminalGuard;
use crate::config::keymap::{Key, KeyChord};

/// Clocks ("read 12s ago") and the clipboard countdown move once a second; nothing else
/// needs a timer.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// Runs until the operator quits, the terminal closes or SIGTERM arrives.
pub async fn run(guard: &mut TerminalGuard, session: &mut Session) -> anyhow::Result<()> {
    let mut events = EventStream::new();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    while !session.app.quit {
        flush_terminal_writes(guard, session)?;
        // Every wake-up is a change (a key, a reading, an engine message, a resize, a clock
        // tick), so every one draws; ratatui writes only the cells that differ.
        guard
            .terminal
            .draw(|frame| render::render(&session.app, frame))?;
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => terminal_msg(&event),
                Some(Err(err)) => return Err(err.into()),
                None => break,
            },
            Some(msg) = session.next_message() => Some(msg),
            _ = heartbeat.tick() => {
                tick_clipboard(session);
                Some(Msg::Tick(chrono::Utc::now()))
            }
            _ = sigterm.recv() => break,
        };
        if let Some(msg) = msg {
            session.handle(msg);
        }
    }
    Ok(())
}

fn tick_clipboard(session: &Session) {
    if let Some(clipboard) = &session.app.clipboard {
        clipboard.tick(Instant::now());
    }
}

/// OSC 52 sequences queued by the engine thread go out here, between two frames.
fn flush_terminal_writes(guard: &mut TerminalGuard, session: &Session) -> std::io::Result<()> {
    if let Some(clipboard) = &session.app.clipboard {
        for write in clipboard.take_terminal_writes() {
            guard.write_raw(write.as_bytes())?;
        }
    }
    Ok(())
}

/// A terminal event as an app message; key releases and unknown keys are dropped.
pub fn terminal_msg(event: &Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Press => chord(key).map(Msg::Key),
        Event::Paste(text) => Some(Msg::Paste(text.clone())),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp => Some(Msg::Scroll(-3)),
            MouseEventKind::ScrollDown => Some(Msg::Scroll(3)),
            _ => None,
        },
        _ => None,
    }
}

/// crossterm's key as the keymap's chord. Shift is already in the character's case.
pub fn chord(key: &KeyEvent) -> Option<KeyChord> {
    let code = match key.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::F(n) => Key::F(n),
        _ => return None,
    };
    Some(KeyChord {
        key: code,
        ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
        alt: key.modifiers.contains(KeyModifiers::ALT),
    })
}
