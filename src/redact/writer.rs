//! [`Redacting`]: an `io::Write` that redacts what passes through it, for sinks whose
//! text is formatted elsewhere (the `tracing` log file).

use std::io::{self, Write};

use super::redact;

/// Writes `inner` with every write redacted. Meant for writers handed whole records
/// (`tracing` formats an event, then writes it at once), so a token is never split across
/// two writes.
pub struct Redacting<W: Write>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
