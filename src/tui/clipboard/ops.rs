//! The operations on each backend: copy without clipboard-manager history, clear only
//! if the value is still ours, and the OSC 52 escape sequences.

use std::sync::PoisonError;

use base64::Engine as _;
use zeroize::Zeroizing;

use super::ClipboardState;
use crate::runbook::engine::MemoryClipboard;
use crate::secret::Token;

/// A set that asks clipboard managers not to record the value in their history.
pub(super) fn private_set(clipboard: &mut arboard::Clipboard) -> arboard::Set<'_> {
    let set = clipboard.set();
    #[cfg(all(unix, not(target_os = "macos")))]
    let set = arboard::SetExtLinux::exclude_from_history(set);
    #[cfg(target_os = "macos")]
    let set = arboard::SetExtApple::exclude_from_history(set);
    #[cfg(windows)]
    let set = arboard::SetExtWindows::exclude_from_cloud(
        arboard::SetExtWindows::exclude_from_history(set),
    );
    set
}

pub(super) fn clear_system(clipboard: &mut arboard::Clipboard, token: &Token) -> ClipboardState {
    match clipboard.get_text() {
        Ok(text) => {
            let current = Token::new(Zeroizing::new(text).as_str());
            if !current.same_value(token) {
                return ClipboardState::Replaced;
            }
            match clipboard.clear() {
                Ok(()) => ClipboardState::Cleared,
                Err(e) => ClipboardState::Failed(format!(
                    "could not clear the system clipboard ({e}): copy something else over it"
                )),
            }
        }
        Err(arboard::Error::ContentNotAvailable) => ClipboardState::Replaced,
        Err(e) => ClipboardState::Failed(format!(
            "could not read the system clipboard back ({e}): copy something else over it"
        )),
    }
}

pub(super) fn clear_memory(desktop: &MemoryClipboard, token: &Token) -> ClipboardState {
    let mut slot = desktop.0.lock().unwrap_or_else(PoisonError::into_inner);
    let ours = slot
        .as_deref()
        .is_some_and(|text| Token::new(text).same_value(token));
    if !ours {
        return ClipboardState::Replaced;
    }
    *slot = None;
    ClipboardState::Cleared
}

/// `ESC ] 52 ; c ; <base64> BEL`, or with `None` the clear: an empty payload, which xterm,
/// alacritty, ghostty and libvterm-based terminals treat as "clear" (an invalid payload
/// such as `!` clears xterm but is ignored by terminals that reject bad base64). In tmux
/// the sequence is wrapped in its passthrough, `ESC P tmux; <ESCs doubled> ESC \`, so the
/// value reaches the outer terminal without staying in a tmux paste buffer; tmux 3.3+
/// forwards it only with `allow-passthrough on`. Built in one allocation of the final size,
/// so no partial copy of the value is left behind by a reallocation.
pub(super) fn osc52(value: Option<&str>, tmux: bool) -> Zeroizing<String> {
    let payload_len = value.map_or(0, |v| base64::encoded_len(v.len(), true).unwrap_or(0));
    let (open, close) = if tmux {
        ("\x1bPtmux;\x1b\x1b]52;c;", "\x07\x1b\\")
    } else {
        ("\x1b]52;c;", "\x07")
    };
    let mut sequence = Zeroizing::new(String::with_capacity(
        open.len() + payload_len + close.len(),
    ));
    sequence.push_str(open);
    if let Some(value) = value {
        base64::engine::general_purpose::STANDARD.encode_string(value, &mut sequence);
    }
    sequence.push_str(close);
    sequence
}
