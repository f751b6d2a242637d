//! [`VendorText`]: text that came from a vendor (an error message, a run status). It can
//! only be shown redacted and cut to a readable length, so no error path can forget to.

use std::fmt;

use zeroize::Zeroizing;

use super::redact;

/// The most of a vendor's text kept (bytes): an error message, not a body.
const KEEP_BYTES: usize = 2048;

/// The most of it shown (characters, after redaction).
pub const SHOWN_CHARS: usize = 300;

/// Text from a vendor. Holds the raw text (wiped on drop: it may echo a token) and
/// redacts it each time it is shown, so a token registered after the text arrived (the
/// new one) is masked too.
#[derive(Clone, PartialEq, Eq)]
pub struct VendorText(Zeroizing<String>);

impl VendorText {
    /// Keeps the first 2 KiB of `raw`.
    pub fn new(raw: &str) -> VendorText {
        let mut end = raw.len().min(KEEP_BYTES);
        while !raw.is_char_boundary(end) {
            end -= 1;
        }
        VendorText(Zeroizing::new(raw[..end].to_owned()))
    }

    /// The text as it may be shown: redacted, at most [`SHOWN_CHARS`] characters.
    pub fn shown(&self) -> String {
        let clean = redact(&self.0);
        let mut chars = clean.chars();
        let mut shown: String = chars.by_ref().take(SHOWN_CHARS).collect();
        if chars.next().is_some() {
            shown.push('…');
        }
        shown
    }

    /// True when the vendor's text (before redaction) is `expected`: for matching a known
    /// message, never for showing it.
    pub fn is(&self, expected: &str) -> bool {
        self.0.as_str() == expected
    }
}

impl fmt::Display for VendorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

impl fmt::Debug for VendorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VendorText({:?})", self.shown())
    }
}

impl From<&str> for VendorText {
    fn from(raw: &str) -> VendorText {
        VendorText::new(raw)
    }
}
