//! A session: what happened while one runbook ran, and the one fold over it.
//!
//! Everything keyturn says about a session after the fact — the engine's live state and
//! a resumed engine, the TUI's runbook view, `keyturn run`'s lines, `keyturn resume`'s
//! account, the postmortem and the audit entry — is read from the same [`event`] stream,
//! folded once by [`State`]:
//!
//! - [`event`]: the typed, token-free vocabulary (stores, validity, diagnosis, versions);
//! - [`journal`]: the fsynced JSON-lines file that keeps the events, and [`lock`], the one
//!   process that may append to it;
//! - [`State`] ([`fold`]): the fold, with its three readings: [`Journaled`] (where the
//!   session stands: statuses, tokens minted, vault versions — what resuming needs),
//!   [`Ledger`] (what it did to each store — what the safety rules and rollback need) and
//!   [`Summary`] (what it found and did, in order — what reports need);
//! - [`describe`]: the one sentence each event reads as, on every face.
//!
//! A new fact about a session is added here once (an event, and its place in the fold)
//! and then reaches the TUI, the journal, the postmortem and the audit log alike.

pub mod describe;
pub mod event;
pub mod fold;
pub mod journal;
pub mod journaled;
pub mod ledger;
pub mod lock;
pub mod summary;

pub use fold::State;
pub use journaled::{Journaled, Minted};
pub use ledger::Ledger;
pub use summary::Summary;

/// How a step ended, as the fold and a `when` condition see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Succeeded,
    /// Failed, and the operator chose to go on (e.g. Path B failed, so offer Path A).
    Failed,
    /// Skipped because its own `when` was false, or by the operator.
    Skipped,
}
