//! How a session ends, whichever face ends it: the authorization this session minted is
//! revoked when nothing holds its token (a failure or rollback before the vault held it),
//! its pending mark is cleared when it stays in use, and the end message says, store by
//! store, which token each copy holds now — read from the stores, not from the plan.

use crate::secret::{Fingerprint, Token};
use crate::session::event::{EventKind, Outcome, Source, Store};
use crate::vendors::heroku::pending_mark;

use super::{Engine, EngineError, Phase};

impl Engine {
    /// Ends the session with `outcome`: cleans up this session's authorization, reads
    /// every store, and journals the end with a message that says what is where.
    pub(crate) async fn end(&mut self, outcome: Outcome, message: &str) -> Result<(), EngineError> {
        if matches!(self.phase, Phase::Finished(_)) {
            return Ok(());
        }
        let mut parts = vec![message.to_owned()];
        if !self.deps().dry_run {
            parts.extend(self.settle_new_authorization(outcome).await?);
            if !self.fold.ledger.attempted.is_empty() {
                parts.push(self.stores_now().await?);
            }
        }
        parts.extend(self.report_failures.iter().cloned());
        if let Some(failure) = self.audit_the_end(outcome, &parts.join(". ")).await {
            parts.push(failure.clone());
            self.report_failures.push(failure);
        }
        self.finish(outcome, &parts.join(". "))?;
        if let Some(failure) = self.rewrite_postmortem() {
            // After the end, still journaled: every face tells it, and the file holding the
            // step's "interrupted" version is named with the command that mends it.
            tracing::warn!("{failure}");
            self.report_failures.push(failure.clone());
            self.emit(EventKind::ReportFailed { message: failure })?;
        }
        Ok(())
    }

    /// Revokes this session's authorization when nothing holds its token, or clears its
    /// pending mark when the session ends for good with the token in use. A session that
    /// may be resumed (failed, aborted) keeps the mark: its rotation is still in flight.
    async fn settle_new_authorization(
        &mut self,
        outcome: Outcome,
    ) -> Result<Vec<String>, EngineError> {
        let Some(id) = self.secrets.new_authorization.clone() else {
            return Ok(Vec::new());
        };
        if self.fold.ledger.revoked.contains(&id) {
            return Ok(Vec::new());
        }
        let holders = self.holders_of_new().await;
        if holders.is_empty() && outcome != Outcome::Completed {
            return Ok(vec![self.revoke_unused(&id).await?]);
        }
        let resumable = matches!(outcome, Outcome::Failed | Outcome::Aborted);
        if resumable {
            return Ok(vec![format!(
                "the new authorization {id} stays live (its token is in {}) and marked pending, so other operators see this rotation in flight: `keyturn resume {}` takes it up",
                if holders.is_empty() {
                    "use".to_owned()
                } else {
                    super::safety::join(&holders)
                },
                self.session_id()
            )]);
        }
        Ok(self.clear_mark(&id).await.into_iter().collect())
    }

    /// The copies that hold (or may hold) this session's new token: only a store it was
    /// sent to can; of those, a store that reads otherwise does not, and one that cannot
    /// be read (or, like GitHub, never can) counts as holding it.
    async fn holders_of_new(&self) -> Vec<Store> {
        let Some(new) = self.secrets.new.as_ref().map(Token::fingerprint) else {
            return vec![Store::Vault];
        };
        let name = self.deps().config.secret.name.to_string();
        let mut holders = Vec::new();
        for store in self.fold.ledger.may_hold(Source::New) {
            let read = match &store {
                Store::Vault => self
                    .deps()
                    .vendors
                    .vault
                    .read_secret(&name)
                    .await
                    .ok()
                    .map(|v| Some(v.secret_value.fingerprint())),
                Store::HerokuApp { app } => {
                    match self.deps().vendors.heroku.config_vars(app).await {
                        Ok(vars) => Some(vars.get(&name).map(Token::fingerprint)),
                        Err(_) => None,
                    }
                }
                Store::Github | Store::Manual { .. } => None,
            };
            if read.is_none_or(|fp| fp == Some(new)) {
                holders.push(store);
            }
        }
        holders
    }

    /// Revokes the session's own unused authorization; says so, or says how to.
    async fn revoke_unused(&mut self, id: &str) -> Result<String, EngineError> {
        match self.deps().vendors.heroku.delete_authorization(id).await {
            Ok(_) => {}
            Err(err) if err.is_not_found() => {}
            Err(err) => {
                return Ok(format!(
                    "the new authorization {id} is unused but could not be revoked ({err}): revoke it with `heroku authorizations:revoke {id}`"
                ));
            }
        }
        self.emit(EventKind::AuthorizationRevoked {
            id: id.to_owned(),
            description: None,
            old_token_rejected: false,
        })?;
        Ok(format!(
            "revoked this session's new authorization {id}: no store held its token"
        ))
    }

    /// Drops the pending mark from the description of authorization `id`.
    async fn clear_mark(&self, id: &str) -> Option<String> {
        let clean = self.new_description.clone()?;
        match self
            .deps()
            .vendors
            .heroku
            .update_authorization_description(id, &clean)
            .await
        {
            Ok(_) => None,
            Err(err) => Some(format!(
                "the new authorization {id} still carries its pending mark ({err}), so the next rotation will refuse: clear it with `heroku authorizations:update {id} --description \"{clean}\"`"
            )),
        }
    }

    /// One line saying which token each copy holds now, read from the stores.
    async fn stores_now(&mut self) -> Result<String, EngineError> {
        let audit = self.audit().await?;
        // A rotation compares with its new and old tokens; a recovery with the vault's value.
        let new = self.secrets.new.as_ref().map(Token::fingerprint);
        let old = match new {
            Some(_) => self.start_fingerprint,
            None => None,
        };
        let vault = audit.snapshot.vault.fingerprint.filter(|_| new.is_none());
        let mut copies = Vec::new();
        for copy in audit.snapshot.copies() {
            let store = copy.store.clone();
            let what = match store {
                Store::Github => self.github_now(),
                Store::Vault if new.is_none() => match copy.fingerprint {
                    Some(fp) => format!("{fp}{}", validity(copy)),
                    None => describe(copy, None, None, None),
                },
                _ => describe(copy, new, old, vault),
            };
            copies.push(format!("{store}: {what}"));
        }
        for store in self.configured_copies() {
            if let Store::Manual { .. } = store {
                let what = match self.fold.ledger.attempted.get(&store) {
                    Some(source) => format!("{} (confirmed by the operator)", source.describe()),
                    None => "not changed by this session".to_owned(),
                };
                copies.push(format!("{store}: {what}"));
            }
        }
        Ok(format!("Stores now: {}", copies.join("; ")))
    }

    /// The GitHub secret cannot be read: what this session last wrote and proved there.
    fn github_now(&self) -> String {
        let store = Store::Github;
        // A probe after the last write proves what GitHub holds exactly.
        let probe = self.fold.summary.github_probe.as_ref().map(|probe| {
            let exact = match probe.matches_vault {
                Some(true) => "holds the vault's value",
                Some(false) => "holds another value than the vault",
                None => "could not be compared with the vault",
            };
            format!("{}: {exact}", probe.run_label())
        });
        let held = match (
            self.fold.ledger.proven.get(&store),
            self.fold.ledger.attempted.get(&store),
        ) {
            (Some(p), Some(a)) if p == a => {
                format!("{} (written, proven by updated_at)", p.describe())
            }
            (_, Some(a)) => format!("{} was sent, not proven — unknown", a.describe()),
            _ if probe.is_some() => "not changed by this session".to_owned(),
            _ => "not changed by this session (write-only: unknown)".to_owned(),
        };
        match probe {
            Some(probe) => format!("{held}; {probe}"),
            None => held,
        }
    }

    /// This session's id (its journal's name).
    pub(crate) fn session_id(&self) -> String {
        crate::session::journal::session_of(self.journal_path())
    }

    /// The description this session's authorization carries while its rotation is in
    /// flight: the clean one plus the pending mark.
    pub(crate) fn marked(&self, clean: &str) -> String {
        format!("{clean} {}", pending_mark(&self.session_id()))
    }
}

fn which(
    fp: Fingerprint,
    new: Option<Fingerprint>,
    old: Option<Fingerprint>,
    vault: Option<Fingerprint>,
) -> String {
    if Some(fp) == new {
        format!("the new token ({fp})")
    } else if Some(fp) == old {
        format!("the old token ({fp})")
    } else if Some(fp) == vault {
        format!("= vault ({fp})")
    } else if vault.is_some() {
        format!("a value other than the vault's ({fp})")
    } else {
        format!("another value ({fp})")
    }
}

fn describe(
    copy: &crate::drift::Copy,
    new: Option<Fingerprint>,
    old: Option<Fingerprint>,
    vault: Option<Fingerprint>,
) -> String {
    let validity = validity(copy);
    match (copy.fingerprint, copy.error.as_deref()) {
        (Some(fp), _) => format!("{}{validity}", which(fp, new, old, vault)),
        (None, Some(error)) => format!("unreadable now ({error})"),
        (None, None) => "no value".to_owned(),
    }
}

fn validity(copy: &crate::drift::Copy) -> &'static str {
    match copy.validity {
        crate::drift::Validity::Valid => ", valid",
        crate::drift::Validity::Invalid => ", REJECTED by Heroku (401)",
        crate::drift::Validity::Unknown => "",
    }
}
