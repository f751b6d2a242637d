//! Proves the terminal is restored when keyturn panics mid-screen: enters the TUI's
//! terminal (alternate screen, raw mode, mouse), draws one frame, then panics. Run in a
//! terminal: afterwards the shell prompt is usable and the panic message is visible.
//! Used by `tests/tui_exits.rs` through tmux.

fn main() -> std::io::Result<()> {
    let mut guard = keyturn::tui::terminal::TerminalGuard::enter()?;
    guard.terminal.draw(|frame| {
        let text = ratatui::widgets::Paragraph::new("keyturn frame before the panic");
        frame.render_widget(text, frame.area());
    })?;
    std::thread::sleep(std::time::Duration::from_millis(300));
    panic!("deliberate panic: the terminal must be restored and this message visible");
}
