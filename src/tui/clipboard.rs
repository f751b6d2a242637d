//! The TUI's clipboard for Path A: arboard, or OSC 52 over SSH, cleared after a timeout.
