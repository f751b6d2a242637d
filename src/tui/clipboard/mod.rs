//! The TUI's clipboard for Path A: arboard, or OSC 52 over SSH, cleared after a timeout.
//!
//! The engine thread calls [`Clipboard::copy`] on a [`TuiClipboard`]; the UI keeps the
//! [`ClipboardHandle`] sharing the same state and drives everything with time in it (the
//! countdown, the clear, the 10 s reveal) from its heartbeat, with explicit `Instant`s so
//! tests never sleep. The engine thread never writes to the terminal: an OSC 52 sequence is
//! queued and the UI writes it between draws ([`ClipboardHandle::take_terminal_writes`]).
//!
//! The value leaves this module only three ways: onto the clipboard, as a queued OSC 52
//! sequence, and through [`ClipboardHandle::revealed`] during an operator's reveal.

use std::fmt;
use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::runbook::engine::{Clipboard, MemoryClipboard};
use crate::secret::Token;

mod detect;
mod ops;

use ops::{clear_memory, clear_system, osc52, private_set};

pub use detect::{DisplayServer, Environment, Osc52Reason};

/// How long an explicit reveal shows the value.
pub const REVEAL_FOR: Duration = Duration::from_secs(10);

/// Where copies go; token-free, for the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendKind {
    /// The desktop clipboard through arboard.
    System,
    /// An OSC 52 escape sequence the operator's terminal turns into a clipboard write.
    Osc52 { reason: Osc52Reason, tmux: bool },
    /// An in-memory clipboard (tests).
    Memory,
}

/// What happened to the last copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipboardState {
    /// Nothing copied this session.
    Idle,
    /// On the clipboard; cleared when `clears_in` runs out.
    Copied { clears_in: Duration },
    /// We cleared it: it still held our value.
    Cleared,
    /// The OSC 52 clear went to the terminal; a terminal cannot be read back to confirm.
    ClearSent,
    /// Something else was copied over it, so it was left alone.
    Replaced,
    /// Copying or clearing failed; the message says what to do.
    Failed(String),
}

/// The clipboard's state for the footer and the event line. Holds no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipboardStatus {
    pub backend: BackendKind,
    pub state: ClipboardState,
}

impl ClipboardStatus {
    /// One line for the footer, e.g. "copied to the system clipboard · clears in 23 s".
    pub fn describe(&self) -> String {
        match &self.state {
            ClipboardState::Idle => "nothing copied".to_owned(),
            ClipboardState::Copied { clears_in } => {
                let secs = clears_in.as_secs() + u64::from(clears_in.subsec_nanos() > 0);
                format!("{} · clears in {secs} s", self.destination())
            }
            ClipboardState::Cleared => "cleared".to_owned(),
            ClipboardState::ClearSent => "clear sent to your terminal (OSC 52)".to_owned(),
            ClipboardState::Replaced => "left alone: something else was copied since".to_owned(),
            ClipboardState::Failed(message) => message.clone(),
        }
    }

    fn destination(&self) -> String {
        match &self.backend {
            BackendKind::System => "copied to the system clipboard".to_owned(),
            BackendKind::Memory => "copied to the in-memory clipboard".to_owned(),
            BackendKind::Osc52 { reason, tmux } => {
                let why = match reason {
                    Osc52Reason::Ssh => "SSH".to_owned(),
                    Osc52Reason::NoDisplay => "no display".to_owned(),
                    Osc52Reason::SystemUnavailable(e) => format!("no system clipboard: {e}"),
                };
                let (via, hint) = match tmux {
                    true => (" through tmux", "; needs `set -g allow-passthrough on`"),
                    false => ("", ""),
                };
                format!("sent to your terminal via OSC 52{via} ({why}{hint})")
            }
        }
    }
}

/// The UI's side: countdown, clear, reveal, status and the queued terminal writes.
#[derive(Clone, Debug)]
pub struct ClipboardHandle {
    state: Arc<Mutex<State>>,
}

/// The engine's side: what [`Clipboard::copy`] is called on, from the engine's thread.
#[derive(Debug)]
pub struct TuiClipboard {
    state: Arc<Mutex<State>>,
}

static_assertions::assert_impl_all!(TuiClipboard: Send, Sync);
static_assertions::assert_impl_all!(ClipboardHandle: Send, Sync);

/// The UI's handle and the engine's clipboard, sharing one state.
pub type ClipboardPair = (ClipboardHandle, TuiClipboard);

impl ClipboardHandle {
    /// Picks the backend for this process's environment.
    pub fn detect(clear_after: Duration) -> ClipboardPair {
        Self::detect_in(&Environment::current(), clear_after)
    }

    /// Picks the backend for `env`: OSC 52 when the system clipboard would not reach the
    /// operator or arboard cannot open it. arboard is only touched when it is chosen.
    pub fn detect_in(env: &Environment, clear_after: Duration) -> ClipboardPair {
        let tmux = env.tmux;
        let osc52 = |reason| Backend::Osc52 { reason, tmux };
        let backend = match env.osc52_reason() {
            Some(reason) => osc52(reason),
            None => match arboard::Clipboard::new() {
                Ok(clipboard) => Backend::System(clipboard),
                Err(e) => osc52(Osc52Reason::SystemUnavailable(e.to_string())),
            },
        };
        Self::with_backend(backend, clear_after)
    }

    /// An in-memory clipboard: `desktop` plays the operator's clipboard in tests (read it,
    /// or overwrite it to play "someone copied something else").
    pub fn memory(clear_after: Duration, desktop: MemoryClipboard) -> ClipboardPair {
        Self::with_backend(Backend::Memory(desktop), clear_after)
    }

    fn with_backend(backend: Backend, clear_after: Duration) -> ClipboardPair {
        let state = Arc::new(Mutex::new(State {
            backend,
            clear_after,
            token: None,
            clear_at: None,
            reveal_until: None,
            writes: Vec::new(),
            last: ClipboardState::Idle,
        }));
        let engine = TuiClipboard {
            state: Arc::clone(&state),
        };
        (ClipboardHandle { state }, engine)
    }

    /// Heartbeat: clears a due copy (if still ours) and ends a due reveal. True when
    /// something changed, so the UI knows to redraw.
    pub fn tick(&self, now: Instant) -> bool {
        let mut state = lock(&self.state);
        let reveal_ended = state.reveal_until.take_if(|until| now >= *until).is_some();
        let due = state.clear_at.is_some_and(|at| now >= at);
        if due {
            state.clear();
        }
        reveal_ended || due
    }

    /// Time left before the clipboard is cleared, for "clipboard clears in 23 s".
    pub fn countdown(&self, now: Instant) -> Option<Duration> {
        lock(&self.state)
            .clear_at
            .map(|at| at.saturating_duration_since(now))
    }

    /// Starts a [`REVEAL_FOR`] reveal of the copied value; false when nothing was copied.
    pub fn reveal(&self, now: Instant) -> bool {
        let mut state = lock(&self.state);
        state.reveal_until = state.token.as_ref().map(|_| now + REVEAL_FOR);
        state.reveal_until.is_some()
    }

    /// The value while a reveal runs; the only place the UI can read it. An expired
    /// reveal ends here too.
    pub fn revealed(&self, now: Instant) -> Option<Zeroizing<String>> {
        let mut state = lock(&self.state);
        if state.reveal_until.take_if(|until| now >= *until).is_some() {
            return None;
        }
        state.reveal_until?;
        state.token.as_ref().map(Token::reveal)
    }

    /// Ends a reveal early.
    pub fn hide(&self) {
        lock(&self.state).reveal_until = None;
    }

    /// Token-free status for the footer and the event line.
    pub fn status(&self, now: Instant) -> ClipboardStatus {
        lock(&self.state).status(now)
    }

    /// OSC 52 sequences to write to the terminal, oldest first; the UI writes them to
    /// stdout between draws. Empty for the other backends.
    pub fn take_terminal_writes(&self) -> Vec<Zeroizing<String>> {
        std::mem::take(&mut lock(&self.state).writes)
    }

    /// Session end: clears now if the clipboard still holds our value, ends any reveal
    /// and forgets the value. With OSC 52, write [`Self::take_terminal_writes`] afterwards.
    pub fn clear_now(&self) {
        lock(&self.state).end_session();
    }

    /// Another engine-side clipboard on the same state (each runbook run gets its engine).
    pub fn engine_side(&self) -> TuiClipboard {
        TuiClipboard {
            state: self.state.clone(),
        }
    }

    /// True while our value is on the clipboard (copied and not yet cleared or replaced).
    pub fn holds_value(&self, now: Instant) -> bool {
        matches!(self.status(now).state, ClipboardState::Copied { .. })
    }
}

impl Clipboard for TuiClipboard {
    fn available(&self) -> bool {
        true
    }

    fn copy(&mut self, value: &Token) -> Result<(), String> {
        lock(&self.state).copy(value, Instant::now())
    }
}

/// Shows the token-free status only (the wrappers derive `Debug` through it).
impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.status(Instant::now()).fmt(f)
    }
}

/// A poisoned lock only means another thread panicked mid-update; the state stays usable
/// and clearing the clipboard matters more than propagating the panic.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

enum Backend {
    /// Kept for the whole session: an X11 selection dies with the `arboard::Clipboard`.
    System(arboard::Clipboard),
    Osc52 {
        reason: Osc52Reason,
        tmux: bool,
    },
    Memory(MemoryClipboard),
}

impl Backend {
    fn kind(&self) -> BackendKind {
        match self {
            Backend::System(_) => BackendKind::System,
            Backend::Osc52 { reason, tmux } => BackendKind::Osc52 {
                reason: reason.clone(),
                tmux: *tmux,
            },
            Backend::Memory(_) => BackendKind::Memory,
        }
    }
}

struct State {
    backend: Backend,
    clear_after: Duration,
    /// The last copied value, for a reveal; forgotten at session end.
    token: Option<Token>,
    /// When the pending clear is due; `None` once cleared.
    clear_at: Option<Instant>,
    reveal_until: Option<Instant>,
    writes: Vec<Zeroizing<String>>,
    last: ClipboardState,
}

impl State {
    fn copy(&mut self, token: &Token, now: Instant) -> Result<(), String> {
        let value = token.for_clipboard();
        let put = match &mut self.backend {
            Backend::System(clipboard) => private_set(clipboard)
                .text(value.as_str())
                .map_err(|e| format!("could not put the token on the system clipboard: {e}")),
            Backend::Osc52 { tmux, .. } => {
                self.writes.push(osc52(Some(&value), *tmux));
                Ok(())
            }
            Backend::Memory(desktop) => desktop.copy(token),
        };
        if let Err(message) = &put {
            self.last = ClipboardState::Failed(message.clone());
            return put;
        }
        self.token = Some(token.clone());
        self.clear_at = Some(now + self.clear_after);
        self.last = ClipboardState::Copied {
            clears_in: self.clear_after,
        };
        Ok(())
    }

    /// Clears the clipboard if it still holds our value; records what happened.
    fn clear(&mut self) {
        self.clear_at = None;
        let Some(token) = self.token.as_ref() else {
            return;
        };
        self.last = match &mut self.backend {
            Backend::System(clipboard) => clear_system(clipboard, token),
            Backend::Osc52 { tmux, .. } => {
                // A clear supersedes a copy the UI has not written yet.
                self.writes.clear();
                self.writes.push(osc52(None, *tmux));
                ClipboardState::ClearSent
            }
            Backend::Memory(desktop) => clear_memory(desktop, token),
        };
    }

    fn end_session(&mut self) {
        if self.clear_at.is_some() {
            self.clear();
        }
        self.reveal_until = None;
        self.token = None;
    }

    fn status(&self, now: Instant) -> ClipboardStatus {
        let state = match (&self.last, self.clear_at) {
            (ClipboardState::Copied { .. }, Some(at)) => ClipboardState::Copied {
                clears_in: at.saturating_duration_since(now),
            },
            (other, _) => other.clone(),
        };
        ClipboardStatus {
            backend: self.backend.kind(),
            state,
        }
    }
}

/// The last owner is gone: clear if still ours. An OSC 52 clear nobody will flush is
/// written here, to a terminal only (never into a pipe or a test's output).
impl Drop for State {
    fn drop(&mut self) {
        self.end_session();
        let mut stdout = std::io::stdout();
        if self.writes.is_empty() || !stdout.is_terminal() {
            return;
        }
        for write in &self.writes {
            let _ = stdout.write_all(write.as_bytes());
        }
        let _ = stdout.flush();
    }
}
