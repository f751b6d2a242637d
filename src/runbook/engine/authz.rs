//! Heroku authorizations: capture the OLD one, create (or adopt) the new one, revoke the
//! OLD one, and the audit entry that closes a rotation.
//!
//! Which authorization is OLD: the API lists authorizations with their access tokens, so
//! the OLD one is the authorization whose token equals the vault's current value (compared
//! in memory, by value). If no listed token matches (a listing without tokens), the rule
//! falls back to the newest authorization whose description starts like the configured
//! description (the part before `{date}`) and that this session did not create.

use std::collections::BTreeMap;

use crate::report::audit::{self, AuditEntry};
use crate::runbook::event::EventKind;
use crate::vendors::VendorError;
use crate::vendors::heroku::{Authorization, NewAuthorization};

use super::actions::{done, done_with};
use super::{Done, Engine, EngineError};

impl Engine {
    pub(crate) async fn list_authorizations(
        &mut self,
        p: &BTreeMap<String, String>,
    ) -> Result<Done, EngineError> {
        let list = self
            .deps()
            .vendors
            .heroku
            .list_authorizations()
            .await
            .map_err(before_mint)?;
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
        p: &BTreeMap<String, String>,
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
        p: &BTreeMap<String, String>,
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
        let scope = p.get("scope").map_or_else(
            || self.deps().config.heroku.scope.clone(),
            |s| s.split(',').map(|x| x.trim().to_owned()).collect(),
        );
        let new = NewAuthorization {
            scope,
            description: description.clone(),
            expires_in: None,
        };
        let created = self
            .deps()
            .vendors
            .heroku
            .create_authorization(&new)
            .await
            .map_err(before_mint)?;
        self.record_new(&created.id, &created.description, created.token)
    }

    /// An authorization with this description, other than the OLD one, whose token the
    /// listing carries: this session's own from before a retry.
    async fn adopt(&mut self, description: &str) -> Result<Option<Done>, EngineError> {
        let list = self
            .deps()
            .vendors
            .heroku
            .list_authorizations()
            .await
            .map_err(before_mint)?;
        let mine = list.into_iter().find(|a| {
            a.description.as_deref() == Some(description)
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
        p: &BTreeMap<String, String>,
    ) -> Result<Done, EngineError> {
        let id = p.get("authorization_id").cloned().unwrap_or_default();
        self.check_revocable(&id).await?;
        if self.deps().dry_run {
            return Ok(done(&format!(
                "dry run: would revoke authorization {id} (no way back)"
            )));
        }
        let prove = p.get("prove_401").is_none_or(|v| v != "false");
        let description = match self.deps().vendors.heroku.delete_authorization(&id).await {
            Ok(revoked) => revoked.description,
            Err(err) if err.is_not_found() => return self.already_revoked(&id, prove).await,
            Err(err) => return Err(err.into()),
        };
        let rejected = prove && self.old_token_rejected().await;
        self.emit(EventKind::AuthorizationRevoked {
            id: id.clone(),
            description,
            old_token_rejected: rejected,
        })?;
        if prove && self.secrets.old_token.is_some() && !rejected {
            return Err(EngineError::Step(format!(
                "revoked {id}, but the old token still validates: check `heroku authorizations`"
            )));
        }
        Ok(done(&if rejected {
            format!("revoked {id}; the old token now gets 401")
        } else {
            format!("revoked {id}")
        }))
    }

    /// True once Heroku answers the OLD token with 401 (false when it is not held).
    async fn old_token_rejected(&self) -> bool {
        let Some(old) = &self.secrets.old_token else {
            return false;
        };
        matches!(
            self.deps().vendors.heroku.validate(old).await,
            crate::vendors::Validation::Invalid
        )
    }

    /// The DELETE answered 404: revoked already (a resumed session whose revocation
    /// reached Heroku just before the process died) or never there. When the step proves
    /// the 401, only a rejected old token counts as done.
    async fn already_revoked(&mut self, id: &str, prove: bool) -> Result<Done, EngineError> {
        let rejected = self.old_token_rejected().await;
        if prove && !rejected {
            return Err(EngineError::Step(format!(
                "authorization {id} does not exist, and the old token is not proven to get 401: check `heroku authorizations`"
            )));
        }
        self.emit(EventKind::AuthorizationRevoked {
            id: id.to_owned(),
            description: None,
            old_token_rejected: rejected,
        })?;
        Ok(done(&format!("{id} was already revoked")))
    }

    /// Appends the audit entry the step describes (ids only).
    pub(crate) async fn write_audit_entry(
        &mut self,
        p: &BTreeMap<String, String>,
    ) -> Result<Done, EngineError> {
        let action = p
            .get("event")
            .cloned()
            .unwrap_or_else(|| "secret.rotate.completed".into());
        let context: serde_json::Map<String, serde_json::Value> = p
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("context.")
                    .map(|k| (k.to_owned(), v.clone().into()))
            })
            .collect();
        let actor = self.audit_actor().await?;
        let entry = AuditEntry {
            action: action.clone(),
            actor,
            at: chrono::Utc::now(),
            context: context.into(),
        };
        if self.deps().dry_run {
            return Ok(done(&format!("dry run: would append {action}")));
        }
        let path = self.deps().config.audit.path.clone();
        // A resumed session may have appended it just before the process died.
        if audit::contains(&path, &entry) {
            return Ok(done(&format!("{action} already in {}", path.display())));
        }
        audit::append(&path, &entry).map_err(|e| EngineError::Step(e.to_string()))?;
        Ok(done(&format!("{action} appended to {}", path.display())))
    }
}

impl Engine {
    /// The audit actor: the one given (`--actor`), else the Heroku account's email.
    pub async fn audit_actor(&self) -> Result<String, EngineError> {
        match self.deps().actor.clone() {
            Some(actor) => Ok(actor),
            None => Ok(self.deps().vendors.heroku.account().await?.email),
        }
    }
}

/// A 401 on the management token before minting is the drift SOP's typed signal.
fn before_mint(err: VendorError) -> EngineError {
    if err.is_unauthorized() {
        EngineError::OldTokenInvalid
    } else {
        err.into()
    }
}
