//! Everything the command line prints goes through here (`outln!`, `out!`, `errln!`,
//! `errprint!`; clippy's `disallowed_macros` refuses `println!` and friends in this crate).
//!
//! Two promises. The text is redacted ([`crate::redact`]): vendor words quoted in an error
//! cannot put a token on the terminal or in a CI log. And a closed stdout or stderr (`|
//! head -3`, a log collector that died) ends the printing, never the work: Rust ignores
//! SIGPIPE, so a write returns `EPIPE`, which `println!` turns into a panic — mid-rotation,
//! with an authorization minted and not yet stored. Here the stream is marked closed and
//! later writes to it are skipped; the walk goes on and its journal stays resumable.

use std::io::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

/// Which standard stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

fn closed(stream: Stream) -> &'static AtomicBool {
    match stream {
        Stream::Out => &STDOUT_CLOSED,
        Stream::Err => &STDERR_CLOSED,
    }
}

/// Prints `text` redacted.
pub fn print(stream: Stream, text: &str) {
    print_unredacted(stream, &crate::redact::redact(text));
}

/// Prints `text` as is: only for what must reach the operator verbatim, the simulator's
/// own made-up credentials (`keyturn sim --env`).
pub fn print_unredacted(stream: Stream, text: &str) {
    let flag = closed(stream);
    if flag.load(Ordering::Relaxed) {
        return;
    }
    let written = match stream {
        Stream::Out => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
        Stream::Err => {
            let mut err = io::stderr().lock();
            err.write_all(text.as_bytes()).and_then(|()| err.flush())
        }
    };
    // A broken pipe, or any other failure to write: stop printing there, go on working.
    if written.is_err() {
        flag.store(true, Ordering::Relaxed);
    }
}

/// True once a write to `stream` failed (the reader went away).
pub fn is_closed(stream: Stream) -> bool {
    closed(stream).load(Ordering::Relaxed)
}

/// Like `println!`, through [`print`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::out::print($crate::cli::out::Stream::Out, &format!("{}\n", format_args!($($arg)*)))
    };
}

/// Like `print!`, through [`print`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::print($crate::cli::out::Stream::Out, &format!($($arg)*))
    };
}

/// Like `eprintln!`, through [`print`].
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::out::print($crate::cli::out::Stream::Err, &format!("{}\n", format_args!($($arg)*)))
    };
}

/// Like `eprint!`, through [`print`].
macro_rules! errprint {
    ($($arg:tt)*) => {
        $crate::cli::out::print($crate::cli::out::Stream::Err, &format!($($arg)*))
    };
}
