//! What a session's journal says, folded once: the facts [`Engine::resume`] rebuilds an
//! engine from, and the continuation `keyturn resume` shows without touching a store.
//! Pure (reads no store), so the read-only view and the resumed engine agree on where a
//! session stopped; the engine then checks the stores for what the journal cannot know
//! (a write that reached a vendor just before the process died).
//!
//! The session's header (its id, runbook, secret, start, dry run) is the [`Summary`]'s:
//! each fact of a session is folded once.
//!
//! [`Engine::resume`]: crate::runbook::engine::Engine::resume
//! [`Summary`]: super::Summary

use std::collections::{BTreeMap, BTreeSet};

use super::StepStatus;
use super::event::{Event, EventKind, Outcome, Store};

/// An authorization the session created, and where the journal says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minted {
    pub id: String,
    pub description: String,
    pub seq: u64,
}

/// The facts of one session's journal that resuming needs.
// Independent facts of a journal (rollback under way, deploy seen, a vault write
// unproven): each is read on its own.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Default)]
pub struct Journaled {
    /// The first audit's verdict: the session's conditions branch on it throughout.
    pub diagnosis: Option<crate::drift::DiagnosisKind>,
    /// Each step's last status; a step started again loses its old one.
    pub status: BTreeMap<String, StepStatus>,
    pub outputs: BTreeMap<String, BTreeMap<String, String>>,
    pub skipped_by_operator: Vec<String>,
    /// Every `StepStarted`: its sequence number and step id, in order.
    pub starts: Vec<(u64, String)>,
    /// The step started last that never finished: the process died inside it.
    pub in_flight: Option<String>,
    pub old_authorization: Option<String>,
    pub minted: Vec<Minted>,
    pub revoked: BTreeSet<String>,
    /// Every vault version the session saw or wrote: (sequence number, version).
    pub vault_versions: Vec<(u64, u64)>,
    /// Sequence numbers of the session's own vault writes.
    pub vault_writes: Vec<u64>,
    /// A vault write was sent after the last version the journal knows, and never proven
    /// (its answer was lost): the vault may be a version or more ahead by this session.
    pub vault_sent_unproven: bool,
    /// A rollback began and the session did not finish afterwards.
    pub rollback_started: bool,
    /// How the session ended, unless it was resumed since.
    pub finished: Option<Outcome>,
    pub deploy_observed: bool,
    /// The apps the first audit saw, and those it found stale (for `apps = "stale"`).
    pub apps: BTreeSet<String>,
    pub stale_apps: Vec<String>,
}

impl Journaled {
    /// Folds one event in (through [`State::take`](super::State::take)).
    pub(super) fn take(&mut self, event: &Event) {
        match &event.kind {
            EventKind::Diagnosed { diagnosis, .. } if self.diagnosis.is_none() => {
                self.diagnosis = Some(*diagnosis);
            }
            EventKind::StoreObserved { .. } => self.observed(event),
            EventKind::DeployObserved { .. } => self.deploy_observed = true,
            EventKind::OldAuthorizationFound { id, .. } => {
                self.old_authorization = Some(id.clone());
            }
            EventKind::AuthorizationCreated {
                id, description, ..
            } => self.minted.push(Minted {
                id: id.clone(),
                description: description.clone(),
                seq: event.seq,
            }),
            EventKind::AuthorizationRevoked { id, .. } => {
                self.revoked.insert(id.clone());
            }
            EventKind::SecretWritten {
                store: Store::Vault,
                version,
                ..
            } => self.vault_written(event.seq, *version),
            EventKind::WriteSent {
                store: Store::Vault,
                ..
            } => self.vault_sent_unproven = true,
            EventKind::RollbackStarted => self.rollback_started = true,
            EventKind::SessionFinished { outcome, .. } => {
                self.finished = Some(*outcome);
                self.rollback_started = false;
            }
            EventKind::SessionResumed { .. } => self.finished = None,
            _ => self.step_event(event),
        }
    }

    fn observed(&mut self, event: &Event) {
        let EventKind::StoreObserved {
            store,
            version,
            matches_vault,
            ..
        } = &event.kind
        else {
            return;
        };
        match store {
            Store::Vault => {
                if let Some(v) = *version {
                    self.vault_versions.push((event.seq, v));
                    self.vault_sent_unproven = false;
                }
            }
            // The first audit, before its diagnosis: `stale_apps()` keeps the list only
            // when the diagnosis says `apps-stale`, as the live engine does.
            Store::HerokuApp { app } if self.diagnosis.is_none() => {
                self.apps.insert(app.clone());
                if *matches_vault != Some(true) {
                    self.stale_apps.push(app.clone());
                }
            }
            _ => {}
        }
    }

    fn vault_written(&mut self, seq: u64, version: Option<u64>) {
        self.vault_sent_unproven = false;
        self.vault_writes.push(seq);
        if let Some(v) = version {
            self.vault_versions.push((seq, v));
        }
    }

    fn step_event(&mut self, event: &Event) {
        let (step, status) = match &event.kind {
            EventKind::WalkedBack { reopened, .. } => {
                for step in reopened {
                    self.status.remove(step);
                    self.outputs.remove(step);
                    self.skipped_by_operator.retain(|s| s != step);
                }
                return;
            }
            EventKind::StepStarted { step, .. } => {
                self.starts.push((event.seq, step.clone()));
                self.status.remove(step);
                self.outputs.remove(step);
                self.in_flight = Some(step.clone());
                return;
            }
            EventKind::StepSucceeded { step, outputs, .. } => {
                self.outputs.insert(step.clone(), outputs.clone());
                (step, StepStatus::Succeeded)
            }
            EventKind::StepFailed { step, .. } => (step, StepStatus::Failed),
            EventKind::StepSkipped {
                step, by_operator, ..
            } => {
                if *by_operator {
                    self.skipped_by_operator.push(step.clone());
                }
                (step, StepStatus::Skipped)
            }
            _ => return,
        };
        if self.in_flight.as_ref() == Some(step) {
            self.in_flight = None;
        }
        self.status.insert(step.clone(), status);
    }

    /// The apps the first audit found stale, when its diagnosis says `apps-stale`.
    pub fn stale_apps(&self) -> Vec<String> {
        if self.diagnosis == Some(crate::drift::DiagnosisKind::AppsStale) {
            self.stale_apps.clone()
        } else {
            Vec::new()
        }
    }

    /// The last vault version the journal knows of, at or before `seq`.
    pub fn vault_version_before(&self, seq: u64) -> Option<u64> {
        self.vault_versions
            .iter()
            .filter(|(s, _)| *s <= seq)
            .map(|(_, v)| *v)
            .next_back()
    }

    /// The vault version the first audit saw: the value in use before the session wrote.
    pub fn vault_version_at_start(&self) -> Option<u64> {
        self.vault_versions.first().map(|(_, v)| *v)
    }

    /// The newest authorization this session minted that it did not revoke.
    pub fn live_minted(&self) -> Option<&Minted> {
        self.minted
            .iter()
            .rev()
            .find(|m| !self.revoked.contains(&m.id))
    }

    /// True when the journal shows a vault write after `seq` (the new token reached it).
    pub fn vault_written_after(&self, seq: u64) -> bool {
        self.vault_writes.iter().any(|w| *w > seq)
    }

    /// Steps started after `seq`, by id.
    pub fn started_after(&self, seq: u64) -> impl Iterator<Item = &str> {
        self.starts
            .iter()
            .filter(move |(s, _)| *s > seq)
            .map(|(_, id)| id.as_str())
    }
}
