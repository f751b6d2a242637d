//! Reports written from what actually happened: folds over a session's events.
//!
//! Both outputs are built from [`Event`](crate::session::event::Event)s only, which cannot
//! hold a token, so neither can leak one.

pub mod audit;
pub mod postmortem;

use std::path::PathBuf;

/// Why a report could not be written. Names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: cannot write: {source} — fix the folder's permissions or choose another with the config's [postmortem] dir / [audit] path", path = .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}
