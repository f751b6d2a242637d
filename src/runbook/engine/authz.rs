//! Heroku authorizations: capture the OLD one, create (or adopt) the new one, revoke the
//! OLD one, and the audit entry that closes a rotation.
//!
//! Which authorization is OLD: the API lists authorizations with their access tokens, so
//! the OLD one is the authorization whose token equals the vault's current value (compared
//! in memory, by value). If no listed token matches (a listing without tokens), the rule
//! falls back to the newest authorization whose description starts like the configured
//! description (the part before `{date}`) and that this session did not create.

use crate::session::event::EventKind;
use crate::vendors::VendorError;
use crate::vendors::heroku::{Authorization, NewAuthorization, marked_session, unmarked};

use super::StepParams;
use super::actions::{done, done_with};
use super::{Done, Engine, EngineError};

impl Engine {
    pub(crate) async fn list_authorizations(
        &mut self,
        p: &StepParams,
    ) -> Result<Done, EngineError> {
        let call = "GET /oauth/authorizations";
        let list = self
            .deps()
            .vendors
            .heroku
            .list_authorizations()
            .await
            .map_err(|e| self.operator_error(e, call))?;
        self.refuse_rotation_in_flight(&list)?;
        if self.old_token_dead().await? {
            self.emit(EventKind::OldTokenAlreadyInvalid)?;
            return Ok(done_with(
                &format!(
                    "Heroku already rejects the vault's token (401): nothing to capture or revoke; the rotation mints, stores and spreads a new one ({} authorizations listed)",
                    list.len()
                ),
                &[("old_authorization_id", ""), ("old_description", "")],
            ));
        }
        let found = self
            .old_by_token(&list)
            .or_else(|| self.old_by_description(&list, p))
            .cloned();
        let Some(old) = found else {
            return Err(EngineError::Step("no authorization matches the vault's token or the configured description: capture the OLD id by hand (`heroku authorizations`)".into()));
        };
        self.secrets.old_token = old.access_token.as_ref().and_then(|a| a.token.clone());
        self.secrets.old_authorization = Some(old.id.clone());
        self.emit(EventKind::OldAuthorizationFound {
            id: old.id.clone(),
            description: old.description.clone(),
        })?;
        let description = old.description.clone().unwrap_or_else(|| old.id.clone());
        self.old_description = Some(description.clone());
        Ok(done_with(
            &format!(
                "OLD authorization {} ({description}) among {}",
                old.id,
                list.len()
            ),
            &[
                ("old_authorization_id", &old.id),
                ("old_description", &description),
            ],
        ))
    }

    /// True when Heroku answers the vault's current token with 401 (the nothing-valid
    /// case): there is no OLD authorization to capture. An unknown answer fails the step.
    async fn old_token_dead(&mut self) -> Result<bool, EngineError> {
        if self.fold.ledger.old_dead {
            return Ok(true);
        }
        let Some(vault) = self.secrets.vault.clone() else {
            return Ok(false);
        };
        if self.secrets.is_validated(&vault) {
            return Ok(false);
        }
        match self.deps().vendors.heroku.validate(&vault).await {
            crate::vendors::Validation::Valid { .. } => {
                self.secrets.validated.insert(vault.fingerprint());
                Ok(false)
            }
            crate::vendors::Validation::Invalid => Ok(true),
            crate::vendors::Validation::Unknown(err) => Err(err.into()),
        }
    }

    /// Refuses when another keyturn session's rotation of this secret is in flight: a live
    /// authorization carries its pending mark (see [`pending_mark`]). Every operator's
    /// listing shows it, so this holds across machines, not only on this one.
    ///
    /// [`pending_mark`]: crate::vendors::heroku::pending_mark
    fn refuse_rotation_in_flight(&self, list: &[Authorization]) -> Result<(), EngineError> {
        let own = self.session_id();
        let other = list.iter().find_map(|a| {
            let description = a.description.as_deref()?;
            let session = marked_session(description)?;
            (session != own).then(|| (a, session.to_owned()))
        });
        let Some((a, session)) = other else {
            return Ok(());
        };
        let clean = a.description.as_deref().map(unmarked).unwrap_or_default();
        let since = a
            .created_at
            .map(|t| format!(" since {}", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        Err(EngineError::Refused(format!(
            "a rotation of {} is in flight: authorization {} (`{clean}`) was minted by keyturn session {session}{since} and is still marked pending. Finish or roll it back on the machine that runs it (`keyturn resume {session}`); if that session is gone, revoke {} (`heroku authorizations:revoke {}`) when no store holds its token, or clear its mark (`heroku authorizations:update {} --description \"{clean}\"`) when it is in use",
            self.deps().config.secret.name,
            a.id,
            a.id,
            a.id,
            a.id
        )))
    }

    fn old_by_token<'a>(&self, list: &'a [Authorization]) -> Option<&'a Authorization> {
        let vault = self.secrets.vault.as_ref()?;
        list.iter().find(|a| {
            a.access_token
                .as_ref()
                .and_then(|t| t.token.as_ref())
                .is_some_and(|t| t.same_value(vault))
        })
    }

    fn old_by_description<'a>(
        &self,
        list: &'a [Authorization],
        p: &StepParams,
    ) -> Option<&'a Authorization> {
        let configured = &self.deps().config.heroku.authorization_description;
        let prefix = p.get("description").cloned().unwrap_or_else(|| {
            configured
                .split("{date}")
                .next()
                .unwrap_or_default()
                .to_owned()
        });
        list.iter()
            .filter(|a| Some(&a.id) != self.secrets.new_authorization.as_ref())
            .filter(|a| {
                a.description
                    .as_deref()
                    .is_some_and(|d| d.starts_with(&prefix))
            })
            .max_by_key(|a| a.created_at)
    }

    /// Adopts an authorization this session already created (a retry), else mints one.
    pub(crate) async fn create_authorization(
        &mut self,
        p: &StepParams,
    ) -> Result<Done, EngineError> {
        let description = p.get("description").cloned().unwrap_or_default();
        if self.deps().dry_run {
            return Ok(done(&format!(
                "dry run: would create authorization {description}"
            )));
        }
        if let (Some(id), Some(_)) = (&self.secrets.new_authorization, &self.secrets.new) {
            let id = id.clone();
            return Ok(done_with(
                &format!("adopted {id} created earlier this session"),
                &[
                    ("new_authorization_id", &id),
                    ("new_description", &description),
                ],
            ));
        }
        if let Some(done) = self.adopt(&description).await? {
            return Ok(done);
        }
        self.check_vault_unmoved().await?;
        let scope = p.get("scope").map_or_else(
            || self.deps().config.heroku.scope.clone(),
            |s| s.split(',').map(|x| x.trim().to_owned()).collect(),
        );
        let new = NewAuthorization {
            scope,
            description: self.marked(&description),
            expires_in: None,
        };
        let created = match self.deps().vendors.heroku.create_authorization(&new).await {
            Ok(created) => created,
            Err(VendorError::OrphanAuthorization { id, .. }) => {
                return Err(self.revoke_orphan(&id).await);
            }
            Err(err) => return Err(self.operator_error(err, "POST /oauth/authorizations")),
        };
        self.record_new(&created.id, &description, created.token)
    }

    /// A mint whose answer was lost created authorization `id`: its token was never seen,
    /// so nothing can hold it. It is revoked at once (a retry mints a fresh one).
    async fn revoke_orphan(&mut self, id: &str) -> EngineError {
        let why = "Heroku POST /oauth/authorizations: the authorization was created but its answer (and its token, shown once) was lost";
        let revoked = self.deps().vendors.heroku.delete_authorization(id).await;
        match revoked {
            Ok(_) => {}
            Err(err) if err.is_not_found() => {}
            Err(err) => {
                return EngineError::Step(format!(
                    "{why}; revoking the orphan {id} failed too ({err}): revoke it with `heroku authorizations:revoke {id}`, then retry (t)"
                ));
            }
        }
        if let Err(err) = self.revoked(id, None, false) {
            return err;
        }
        EngineError::Step(format!(
            "{why}; keyturn revoked that orphan ({id}) — retry (t) mints a fresh one"
        ))
    }

    /// Before minting: the vault still holds the version this session started from (a
    /// newer one means another rotation stored its token meanwhile).
    async fn check_vault_unmoved(&self) -> Result<(), EngineError> {
        let name = self.deps().config.secret.name.to_string();
        let current = self.deps().vendors.vault.read_secret(&name).await?;
        self.check_vault_is_ours(&current)
    }

    /// An authorization this session minted earlier (it carries this session's mark),
    /// whose token the listing carries: adopted on a retry rather than minting a second.
    async fn adopt(&mut self, description: &str) -> Result<Option<Done>, EngineError> {
        let list = self
            .deps()
            .vendors
            .heroku
            .list_authorizations()
            .await
            .map_err(|e| self.operator_error(e, "GET /oauth/authorizations"))?;
        self.refuse_rotation_in_flight(&list)?;
        let marked = self.marked(description);
        let mine = list.into_iter().find(|a| {
            a.description.as_deref() == Some(marked.as_str())
                && Some(&a.id) != self.secrets.old_authorization.as_ref()
        });
        let Some(a) = mine else { return Ok(None) };
        let Some(token) = a.access_token.and_then(|t| t.token) else {
            return Ok(None);
        };
        self.record_new(&a.id, description, token).map(Some)
    }

    fn record_new(
        &mut self,
        id: &str,
        description: &str,
        token: crate::secret::Token,
    ) -> Result<Done, EngineError> {
        self.emit(EventKind::AuthorizationCreated {
            id: id.to_owned(),
            description: description.to_owned(),
            fingerprint: token.fingerprint(),
        })?;
        self.secrets.new_authorization = Some(id.to_owned());
        self.secrets.new = Some(token);
        self.new_description = Some(description.to_owned());
        Ok(done_with(
            &format!("authorization {id} ({description})"),
            &[
                ("new_authorization_id", id),
                ("new_description", description),
            ],
        ))
    }

    pub(crate) async fn revoke_authorization(
        &mut self,
        p: &StepParams,
    ) -> Result<Done, EngineError> {
        let id = p.get("authorization_id").cloned().unwrap_or_default();
        self.check_revocable(&id).await?;
        if self.deps().dry_run {
            return Ok(done(&format!(
                "dry run: would revoke authorization {id} (no way back)"
            )));
        }
        let prove = p.get("prove_401").is_none_or(|v| v != "false");
        if !self.is_own_mint(&id) {
            // From here on the old token may be dead, whatever Heroku answers.
            self.emit(EventKind::RevokeRequested { id: id.clone() })?;
        }
        let description = match self.deps().vendors.heroku.delete_authorization(&id).await {
            Ok(revoked) => revoked.description,
            Err(err) if err.is_not_found() => None,
            Err(err) => {
                return Err(EngineError::Step(format!(
                    "{err}. The revoke request was sent, so the old token may already be dead: nothing is rolled back to it; retry (t) sends it again"
                )));
            }
        };
        if !prove {
            self.revoked(&id, description, false)?;
            return Ok(done(&format!("revoked {id}")));
        }
        match self.prove_revoked(&id).await {
            Proof::Rejected => {
                self.revoked(&id, description, true)?;
                Ok(done(&format!("revoked {id}; the old token now gets 401")))
            }
            Proof::Pending(why) => {
                self.revoked(&id, description, false)?;
                Ok(done_with(
                    &format!(
                        "revoked {id}, proof pending: {why}. Every store holds the new token. Re-check with `heroku authorizations:info {id}` (expect: not found)"
                    ),
                    &[("proof", "pending")],
                ))
            }
            Proof::StillValid => Err(EngineError::Step(format!(
                "Heroku answered the revoke of {id}, but the old token still validates: check `heroku authorizations:info {id}`; nothing is rolled back to it, retry (t) revokes again"
            ))),
        }
    }

    fn revoked(
        &mut self,
        id: &str,
        description: Option<String>,
        rejected: bool,
    ) -> Result<(), EngineError> {
        self.emit(EventKind::AuthorizationRevoked {
            id: id.to_owned(),
            description,
            old_token_rejected: rejected,
        })
    }

    /// Proves the revoke: the old token gets 401 (or, without the token, the authorization
    /// is gone), retried with backoff while Heroku cannot tell.
    async fn prove_revoked(&self, id: &str) -> Proof {
        let base = self
            .deps()
            .follow
            .interval
            .min(std::time::Duration::from_secs(2));
        let mut why = String::new();
        for attempt in 0..PROOF_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(base.saturating_mul(1 << (attempt - 1))).await;
            }
            let heroku = &self.deps().vendors.heroku;
            let answer = match &self.secrets.old_token {
                Some(old) => heroku.validate(old).await,
                None => match heroku.get_authorization(id).await {
                    Err(err) if err.is_not_found() => crate::vendors::Validation::Invalid,
                    Err(err) => crate::vendors::Validation::Unknown(err),
                    Ok(_) => crate::vendors::Validation::Valid {
                        email: String::new(),
                    },
                },
            };
            match answer {
                crate::vendors::Validation::Invalid => return Proof::Rejected,
                crate::vendors::Validation::Valid { .. } if attempt + 1 == PROOF_ATTEMPTS => {
                    return Proof::StillValid;
                }
                crate::vendors::Validation::Valid { .. } => {}
                crate::vendors::Validation::Unknown(err) => why = err.to_string(),
            }
        }
        Proof::Pending(format!(
            "Heroku could not be asked whether the old token is dead ({why}, {PROOF_ATTEMPTS} tries)"
        ))
    }
}

/// How many times the revoke's 401 proof is asked before it is left pending.
const PROOF_ATTEMPTS: u32 = 5;

/// What the revoke's proof found.
enum Proof {
    /// The old token gets 401: revoked for sure.
    Rejected,
    /// Heroku still accepts the old token after every try.
    StillValid,
    /// Heroku could not be asked; why.
    Pending(String),
}

impl Engine {
    /// A 401 on the operator's own management token names that credential and its source
    /// (it is not the managed token, unless the operator took it from `$HEROKU_API_KEY`:
    /// then it is the drift SOP's typed signal).
    fn operator_error(&self, err: VendorError, call: &str) -> EngineError {
        if !err.is_unauthorized() {
            return err.into();
        }
        let source = &self.deps().vendors.heroku_source;
        if *source == crate::config::credentials::Source::EnvVar("HEROKU_API_KEY") {
            return EngineError::OldTokenInvalid;
        }
        EngineError::Step(format!(
            "Heroku {call}: HTTP 401 — Heroku rejected your management token (the operator's own credential, from {source}), not {}: log in again (`heroku login`) or set $KEYTURN_HEROKU_TOKEN to a valid token, then retry",
            self.deps().config.secret.name
        ))
    }
}
