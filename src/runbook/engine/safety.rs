//! The rules the engine enforces whatever the runbook says (DESIGN.md's safety
//! invariants). They are checked against the session's [`Ledger`] — what was written and
//! proven, store by store — not against the runbook's step list, so a runbook that leaves
//! out a consumer step, revokes early or asks for no confirmation cannot get past them:
//!
//! - the OLD authorization is revoked only once every configured copy (the vault, every
//!   app, the GitHub secret, every manual consumer) was written and proven with the new
//!   token in this session, or its step was skipped by the operator with a reason; never
//!   while the vault holds its token;
//! - revoking the OLD authorization always needs its typed word, and every store write
//!   needs a confirmation;
//! - once a revoke request was sent, nothing is rolled back to the old token.
//!
//! [`Ledger`]: super::Ledger

use crate::runbook::ActionKind;
use crate::runbook::catalogue::Writes;
use crate::session::event::{Source, Store};

use super::{ConfirmPrompt, Engine, EngineError, PlannedStep};

impl Engine {
    /// Refuses a revocation that would break a copy or the vault.
    pub(crate) async fn check_revocable(&mut self, id: &str) -> Result<(), EngineError> {
        if id.is_empty() {
            return Err(EngineError::Refused(
                "no OLD authorization id was captured".into(),
            ));
        }
        if !self.is_own_mint(id) && self.fold.ledger.revoke_sent.as_deref() != Some(id) {
            let missing = self.uncovered_copies();
            if !missing.is_empty() {
                return Err(EngineError::Refused(format!(
                    "{} not written and proven with the new token in this session (nor skipped by the operator): revoking {id} now would break {}",
                    join(&missing),
                    if missing.len() == 1 { "it" } else { "them" }
                )));
            }
        }
        // In a dry run the vault still holds the old token (nothing was written), so this
        // check would always refuse; the coverage check above still applies.
        if !self.deps().dry_run && self.vault_holds(id).await? {
            return Err(EngineError::Refused(format!(
                "authorization {id} issued the token the vault holds now: revoking it would invalidate the source of truth"
            )));
        }
        Ok(())
    }

    /// True for an authorization this session (or the session it resumes) minted.
    pub(crate) fn is_own_mint(&self, id: &str) -> bool {
        self.fold.ledger.minted.contains(id)
            || self.secrets.new_authorization.as_deref() == Some(id)
            || self.orphan_proofs.contains_key(id)
    }

    /// Every configured copy of the secret: the vault, each app, the GitHub secret and each
    /// manual consumer.
    pub(crate) fn configured_copies(&self) -> Vec<Store> {
        let config = &self.deps().config;
        let mut copies = vec![Store::Vault];
        copies.extend(
            config
                .heroku
                .apps
                .names()
                .iter()
                .map(|app| Store::HerokuApp { app: app.clone() }),
        );
        copies.push(Store::Github);
        copies.extend(config.manual_consumers.iter().map(|c| Store::Manual {
            name: c.name.clone(),
        }));
        copies
    }

    /// The copies not yet proven to hold the new token nor skipped by the operator (the
    /// vault cannot be skipped: it is the source of truth).
    pub(crate) fn uncovered_copies(&self) -> Vec<Store> {
        let minted = self.secrets.new.is_some();
        self.configured_copies()
            .into_iter()
            .filter(|store| {
                let proven = if self.deps().dry_run {
                    self.fold.ledger.dry_covered.contains(store)
                } else {
                    minted && self.fold.ledger.proven.get(store) == Some(&Source::New)
                };
                let skipped =
                    *store != Store::Vault && self.fold.ledger.skipped.contains_key(store);
                !proven && !skipped
            })
            .collect()
    }

    /// The copies a step writes (for the ledger: what an operator's skip leaves out).
    pub(crate) fn covers(&self, planned: &PlannedStep) -> Vec<Store> {
        let p = self.params(planned);
        match planned.kind {
            Some(ActionKind::WriteVault | ActionKind::RestoreVaultVersion) => vec![Store::Vault],
            Some(ActionKind::SetHerokuConfig) => self
                .target_apps(&p)
                .into_iter()
                .map(|app| Store::HerokuApp { app })
                .collect(),
            Some(ActionKind::WriteGithubSecret) => vec![Store::Github],
            Some(ActionKind::Manual) => {
                match (&planned.consumer, p.get("store").map(String::as_str)) {
                    (Some(consumer), _) => vec![Store::Manual {
                        name: consumer.name.clone(),
                    }],
                    (None, Some("github")) => vec![Store::Github],
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// The step's confirmation as the engine enforces it: revoking an authorization this
    /// session did not mint always asks for a typed word (the runbook's, else the old
    /// authorization's description), and a step that writes a store always asks.
    pub(crate) fn enforced_prompt(
        &self,
        planned: &PlannedStep,
        given: Option<ConfirmPrompt>,
    ) -> Option<ConfirmPrompt> {
        if planned.is(ActionKind::RevokeAuthorization) && self.revokes_old(planned) {
            return Some(match given {
                Some(ConfirmPrompt::Typed(word)) if !word.trim().is_empty() => {
                    ConfirmPrompt::Typed(word)
                }
                _ => ConfirmPrompt::Typed(self.old_word(planned)),
            });
        }
        let writes_store = matches!(
            planned.kind.and_then(ActionKind::writes),
            Some(Writes::Vault | Writes::Github | Writes::Heroku | Writes::Authorizations)
        );
        match given {
            None if writes_store => Some(ConfirmPrompt::YesNo),
            other => other,
        }
    }

    /// True when the step revokes an authorization this session did not mint.
    pub(crate) fn revokes_old(&self, planned: &PlannedStep) -> bool {
        let id = self
            .params(planned)
            .get("authorization_id")
            .cloned()
            .unwrap_or_default();
        !self.is_own_mint(&id)
    }

    /// The word to type when the runbook gives none: the old description, else its id.
    fn old_word(&self, planned: &PlannedStep) -> String {
        let id = self
            .params(planned)
            .get("authorization_id")
            .cloned()
            .unwrap_or_default();
        self.old_description.clone().unwrap_or(id)
    }

    /// A revoke of the OLD authorization when Heroku already rejected the old token before
    /// the rotation: nothing to revoke, and no typed word to ask for.
    pub(crate) fn needless_revoke(&self, planned: &PlannedStep) -> Option<String> {
        let revoke = planned.is(ActionKind::RevokeAuthorization);
        (revoke && self.fold.ledger.old_dead && self.revokes_old(planned)).then(|| {
            "the old token was already rejected by Heroku (401) before this rotation: there is nothing to revoke".to_owned()
        })
    }

    /// Why a rollback is impossible now, if it is: a revoke request went out (the old
    /// token may be dead), or the old token was dead before the session began.
    pub(crate) fn rollback_forbidden(&self) -> Option<String> {
        if let Some(id) = &self.fold.ledger.revoke_sent {
            return Some(format!(
                "a revoke request for {id} was sent, so the old token may be dead: nothing is rolled back to it; every store stays on the new token"
            ));
        }
        self.fold.ledger.old_dead.then(|| {
            "the token in use before this rotation is rejected by Heroku (401): rolling back would put every store on a dead token — fix forward (retry the failed step) or stop here".to_owned()
        })
    }

    /// The word the next irreversible step ahead will ask for (rendered with what the
    /// session knows now), so a face without an operator can refuse before the first
    /// write instead of minting and then stopping at the revoke.
    pub fn irreversible_word_ahead(&self) -> Option<String> {
        self.steps[self.cursor.min(self.steps.len())..]
            .iter()
            .filter(|s| self.needless_revoke(s).is_none())
            .find_map(|s| match self.prompt(s) {
                Some(ConfirmPrompt::Typed(word)) => Some(word),
                _ => None,
            })
    }

    /// True when this session sent a write to a store or minted an authorization.
    pub fn wrote_anything(&self) -> bool {
        !self.fold.ledger.attempted.is_empty() || !self.fold.ledger.minted.is_empty()
    }

    /// True when a rollback is allowed now (a face without an operator decides by it).
    pub fn can_roll_back(&self) -> bool {
        self.rollback_forbidden().is_none() && self.point_of_no_return_passed().is_none()
    }

    /// True when the vault's current value may be the token of authorization `id`.
    ///
    /// Sound even when Heroku's listing hides tokens (the SOP treats them as shown once):
    /// after a mint the answer follows from whether the vault holds this session's new
    /// token; without a mint, `id` must be proven not to have issued the vault's value, and
    /// an unprovable case counts as "holds".
    async fn vault_holds(&self, id: &str) -> Result<bool, EngineError> {
        let deps = self.deps();
        let name = deps.config.secret.name.to_string();
        let current = deps.vendors.vault.read_secret(&name).await?;
        // A resume proved this orphan was minted after the vault's current version was
        // written (see `resume.rs`): the vault cannot hold its token while it stays there.
        if self.orphan_proofs.get(id) == Some(&current.version) {
            return Ok(false);
        }
        let vault = current.secret_value;
        if let Some(new) = &self.secrets.new {
            // Revoking this session's own (broken) authorization: only if the vault moved on
            // without it. Revoking any other: only once the vault holds the new token, which
            // that authorization cannot have issued.
            let holds_new = new.same_value(&vault);
            let revoking_new = self.secrets.new_authorization.as_deref() == Some(id);
            return Ok(holds_new == revoking_new);
        }
        let list = deps.vendors.heroku.list_authorizations().await?;
        let token_of = |a: &crate::vendors::heroku::Authorization| {
            a.access_token.as_ref().and_then(|t| t.token.clone())
        };
        Ok(list
            .iter()
            .any(|a| a.id == id && token_of(a).is_none_or(|t| t.same_value(&vault))))
    }
}

/// Steps that put the token somewhere a consumer reads it.
pub(super) fn is_consumer(kind: Option<ActionKind>) -> bool {
    kind == Some(ActionKind::Manual)
        || matches!(
            kind.and_then(ActionKind::writes),
            Some(Writes::Heroku | Writes::Github | Writes::Vault)
        )
}

/// "the vault, Heroku app x and the GitHub secret".
pub(crate) fn join(stores: &[Store]) -> String {
    let names: Vec<String> = stores.iter().map(ToString::to_string).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
