//! The one fold over a session's events. The engine keeps a [`State`] as it emits each
//! event, a resumed engine rebuilds it from the journal, the TUI keeps one from the
//! events it is sent, and every report reads one: they cannot disagree about what
//! happened because they are the same computation over the same stream.

use super::event::Event;
use super::{Journaled, Ledger, Summary};

/// A session as its events so far say it is.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Where the session stands (statuses, tokens minted, vault versions): what resuming
    /// and `keyturn resume`'s account need.
    pub journaled: Journaled,
    /// What the session did to each store: what the safety rules, rollback and the
    /// faces' "what this leaves behind" need.
    pub ledger: Ledger,
    /// What it found and did, in order: what the postmortem, the audit entry and the end
    /// message need.
    pub summary: Summary,
    /// How many events were folded (the next one's sequence number).
    pub folded: u64,
}

impl State {
    /// Folds a whole journal.
    pub fn of(events: &[Event]) -> State {
        let mut state = State::default();
        for event in events {
            state.take(event);
        }
        state
    }

    /// Folds one more event in: the engine calls it for every event it journals, the TUI
    /// for every event it is sent.
    pub fn take(&mut self, event: &Event) {
        self.journaled.take(event);
        self.ledger.take(&event.kind);
        self.summary.take(event);
        self.folded = event.seq + 1;
    }
}
