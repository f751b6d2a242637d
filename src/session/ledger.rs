//! What this session did to each store, kept beside the walk so the safety rules can be
//! checked against facts rather than against the runbook's step list: which copies were
//! written and proven with which value, which the operator chose to skip (and why), what a
//! write attempted without proof, and whether a revoke request has gone out.
//!
//! The ledger is rebuilt from the journal on resume ([`Ledger::of`]), so a resumed session
//! is held to the same rules as the one that died.

use std::collections::{BTreeMap, BTreeSet};

use crate::session::event::{EventKind, Source, Store};

/// The session's record of every store it touched.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Which token each store was last proven to hold after a write of this session.
    pub proven: BTreeMap<Store, Source>,
    /// Stores whose covering step the operator skipped, with the reason given.
    pub skipped: BTreeMap<Store, String>,
    /// Stores a write was sent to, with the token sent last (proven or not): a write whose
    /// answer was lost may still have landed.
    pub attempted: BTreeMap<Store, Source>,
    /// The authorization a revoke request was sent for: from then on its token may be dead.
    pub revoke_sent: Option<String>,
    /// Heroku rejected the token in use before the rotation minted anything.
    pub old_dead: bool,
    /// The vault version the session's first audit saw: the version a rollback restores.
    pub vault_start: Option<u64>,
    /// The last vault version this session saw or wrote: anything else is someone else's.
    pub vault_known: Option<u64>,
    /// Every authorization this session minted (revoked ones too).
    pub minted: BTreeSet<String>,
    /// Authorizations this session revoked (or found already revoked).
    pub revoked: BTreeSet<String>,
    /// In a dry run: the copies a step that "succeeded" would have written.
    pub dry_covered: BTreeSet<Store>,
}

impl Ledger {
    /// Folds one event in (through [`State::take`](super::State::take)).
    pub(super) fn take(&mut self, kind: &EventKind) {
        match kind {
            EventKind::SecretWritten {
                store,
                version,
                source,
                ..
            } => {
                if let Some(source) = source {
                    self.proven.insert(store.clone(), *source);
                    self.attempted.insert(store.clone(), *source);
                }
                if *store == Store::Vault {
                    self.vault_known = *version;
                }
            }
            EventKind::StoreObserved {
                store: Store::Vault,
                version,
                ..
            } => {
                let version = *version;
                self.vault_start = self.vault_start.or(version);
                if version.is_some() {
                    self.vault_known = version;
                }
            }
            EventKind::RevokeRequested { id } => self.revoke_sent = Some(id.clone()),
            EventKind::OldTokenAlreadyInvalid => self.old_dead = true,
            EventKind::AuthorizationCreated { id, .. } => {
                // A fresh mint: what earlier writes called "the new token" is another one.
                self.proven.retain(|_, s| *s != Source::New);
                self.attempted.retain(|_, s| *s != Source::New);
                self.minted.insert(id.clone());
            }
            EventKind::AuthorizationRevoked { id, .. } => {
                self.revoked.insert(id.clone());
            }
            EventKind::WriteSent { store, source, .. } => {
                self.attempted.insert(store.clone(), *source);
            }
            EventKind::CopyVerified { store, source, .. } => {
                self.proven.insert(store.clone(), *source);
            }
            EventKind::StepSkipped {
                reason,
                by_operator: true,
                stores,
                ..
            } => {
                for store in stores {
                    self.skipped.insert(store.clone(), reason.clone());
                }
            }
            EventKind::WalkedBack { stores, .. } => {
                for store in stores {
                    self.proven.remove(store);
                    self.skipped.remove(store);
                }
            }
            _ => {}
        }
    }

    /// True when this session sent a write to `store` (so a rollback may undo it).
    pub fn changed(&self, store: &Store) -> bool {
        self.attempted.contains_key(store)
    }

    /// The stores that may hold `source`'s token because of this session.
    pub fn may_hold(&self, source: Source) -> Vec<Store> {
        self.attempted
            .iter()
            .filter(|(_, s)| **s == source)
            .map(|(store, _)| store.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::event::Event;

    fn event(kind: EventKind) -> Event {
        Event {
            seq: 0,
            at: chrono::Utc::now(),
            kind,
        }
    }

    #[test]
    fn the_first_vault_observation_is_the_start_and_writes_move_the_known_version() {
        let fp = crate::secret::Token::new("x".repeat(20)).fingerprint();
        let observed = |v: &str| EventKind::StoreObserved {
            store: Store::Vault,
            fingerprint: None,
            validity: crate::store::Validity::Valid,
            matches_vault: Some(true),
            version: v.parse().ok(),
            evidence: None,
            error: None,
        };
        let ledger = crate::session::State::of(&[
            event(observed("7")),
            event(EventKind::SecretWritten {
                store: Store::Vault,
                fingerprint: fp,
                version: Some(8),
                proof: None,
                source: Some(Source::New),
                by_operator: false,
            }),
            event(EventKind::RevokeRequested { id: "a".into() }),
        ])
        .ledger;
        assert_eq!(ledger.vault_start, Some(7));
        assert_eq!(ledger.vault_known, Some(8));
        assert_eq!(ledger.proven.get(&Store::Vault), Some(&Source::New));
        assert_eq!(ledger.revoke_sent.as_deref(), Some("a"));
        assert_eq!(ledger.may_hold(Source::New), vec![Store::Vault]);
    }
}
