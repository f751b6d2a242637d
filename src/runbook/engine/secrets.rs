//! The tokens a session holds, in memory only, and the clipboard seam.
//!
//! Events and step outputs are strings; tokens are [`Token`]s and live here, so nothing the
//! engine persists can carry one. Every copy the engine may write is recorded with whether it
//! validated, because the engine (not the runbook) refuses to spread an unvalidated token.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::secret::{Fingerprint, Token};

pub use crate::session::event::Source;

/// The session's tokens and what is known about them.
#[derive(Debug, Default)]
pub struct Secrets {
    /// The vault's current value as last read.
    pub vault: Option<Token>,
    /// A live (Heroku app) copy that validated, for the inverse path.
    pub live: Option<Token>,
    /// The token minted this session; lost with the process by design.
    pub new: Option<Token>,
    /// The vault's previous version (the old token during a rotation rollback).
    pub previous: Option<Token>,
    /// The OLD authorization id captured by the pre-checks.
    pub old_authorization: Option<String>,
    /// The authorization this session created.
    pub new_authorization: Option<String>,
    /// Fingerprints that `GET /account` accepted during this session.
    pub validated: BTreeSet<Fingerprint>,
    /// The OLD authorization's token, when the listing carried it (proves the 401).
    pub old_token: Option<Token>,
}

impl Secrets {
    /// The token for `source`, if this session holds it.
    pub fn get(&self, source: Source) -> Option<&Token> {
        match source {
            Source::Vault => self.vault.as_ref(),
            Source::Live => self.live.as_ref(),
            Source::New => self.new.as_ref(),
            Source::Previous => self.previous.as_ref(),
        }
    }

    /// True when this value was accepted by Heroku in this session.
    pub fn is_validated(&self, token: &Token) -> bool {
        self.validated.contains(&token.fingerprint())
    }
}

/// Where Path A's copy goes. The TUI brings a real one (arboard/OSC 52); tests bring
/// [`MemoryClipboard`]; `keyturn run` brings [`NoClipboard`], which refuses clearly.
pub trait Clipboard: Send + Sync {
    /// True when `copy` can work; runbooks branch on `capability.clipboard`.
    fn available(&self) -> bool;
    /// Puts `value` on the clipboard; the error is shown to the operator.
    fn copy(&mut self, value: &Token) -> Result<(), String>;
}

/// A clipboard for non-interactive runs: there is nobody to paste, so it refuses.
#[derive(Debug, Default)]
pub struct NoClipboard;

impl Clipboard for NoClipboard {
    fn available(&self) -> bool {
        false
    }

    fn copy(&mut self, _value: &Token) -> Result<(), String> {
        Err("no clipboard in this mode: run the TUI for Path A, or give keyturn a GitHub token allowed to write secrets (Path B)".to_owned())
    }
}

/// An in-memory clipboard the test (playing the operator) can read.
#[derive(Debug, Default, Clone)]
pub struct MemoryClipboard(pub Arc<Mutex<Option<String>>>);

impl MemoryClipboard {
    /// What was last copied.
    pub fn contents(&self) -> Option<String> {
        self.0.lock().ok().and_then(|c| c.clone())
    }
}

impl Clipboard for MemoryClipboard {
    fn available(&self) -> bool {
        true
    }

    fn copy(&mut self, value: &Token) -> Result<(), String> {
        let mut slot = self.0.lock().map_err(|e| e.to_string())?;
        *slot = Some(value.for_clipboard().to_string());
        Ok(())
    }
}
