//! Terminal setup and restore. The terminal is restored exactly once on every exit path:
//! normal return and `?` (the guard's `Drop`), panic (the hook, which restores before the
//! message is printed so it stays visible), and SIGTERM (the loop returns normally).

use std::io::{Write as _, stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::DefaultTerminal;

/// Set once the terminal is back to normal, so nothing restores twice.
static RESTORED: AtomicBool = AtomicBool::new(true);

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Alternate screen, raw mode, mouse and bracketed paste; installs the panic hook.
    pub fn enter() -> std::io::Result<TerminalGuard> {
        // Restore first, then let the previous hook print: the message lands on the normal
        // screen, after the alternate one is gone, and stays visible. Then leave: a panic on
        // the engine or a poller thread must not leave the UI drawing on a restored terminal
        // (the journal is resumable, as after any kill).
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
            std::process::exit(101);
        }));
        crossterm::terminal::enable_raw_mode()?;
        RESTORED.store(false, Ordering::SeqCst);
        crossterm::execute!(
            stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )?;
        let terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(stdout()))?;
        Ok(TerminalGuard { terminal })
    }

    /// Writes raw bytes for the terminal (an OSC 52 clipboard sequence) between frames.
    pub fn write_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut out = stdout();
        out.write_all(bytes)?;
        out.flush()
    }
}

/// Restores now unless something already did (the guard, the panic hook, the loop's end).
pub fn restore() {
    if !RESTORED.swap(true, Ordering::SeqCst) {
        let _ = crossterm::execute!(
            stdout(),
            DisableMouseCapture,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
