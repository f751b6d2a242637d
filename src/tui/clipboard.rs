//! The TUI's clipboard for Path A: arboard, or OSC 52 over SSH, cleared after a timeout.
//! (Placeholder until the real module lands.)

use std::time::Instant;

/// The UI's handle on the clipboard.
#[derive(Debug, Clone, Default)]
pub struct ClipboardHandle;

impl ClipboardHandle {
    /// Footer text.
    pub fn footer(&self, _now: Instant) -> Option<String> {
        None
    }
    /// The value while revealed.
    pub fn revealed(&self, _now: Instant) -> Option<zeroize::Zeroizing<String>> {
        None
    }
    /// True while our value is on the clipboard.
    pub fn holds_value(&self) -> bool {
        false
    }
}

impl ClipboardHandle {
    /// Shows the value for 10 s.
    pub fn reveal(&self, _now: Instant) {}
}

impl ClipboardHandle {
    /// Clears when due.
    pub fn tick(&self, _now: Instant) {}
    /// Queued OSC 52 writes.
    pub fn take_terminal_writes(&self) -> Vec<zeroize::Zeroizing<String>> {
        Vec::new()
    }
}
