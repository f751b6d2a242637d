//! The rules the engine enforces whatever the runbook says. Revocation is the one step
//! with no way back, so it gets two: never revoke the authorization whose token the vault
//! holds now (that would kill the source of truth), and never revoke while a consumer
//! still holds the old token (a step that failed or never ran).

use crate::runbook::StepStatus;
use crate::runbook::catalogue::{self, Writes};

use super::{Engine, EngineError};

impl Engine {
    /// Refuses a revocation that would break a consumer or the vault.
    pub(crate) async fn check_revocable(&mut self, id: &str) -> Result<(), EngineError> {
        if id.is_empty() {
            return Err(EngineError::Refused(
                "no OLD authorization id was captured".into(),
            ));
        }
        if let Some(step) = self.unfinished_consumer() {
            return Err(EngineError::Refused(format!(
                "consumer step `{step}` neither succeeded nor was skipped by the operator: revoking now would break it"
            )));
        }
        // In a dry run the vault still holds the old token (nothing was written), so this
        // check would always refuse; the consumer check above still applies.
        if !self.deps().dry_run && self.vault_holds(id).await? {
            return Err(EngineError::Refused(format!(
                "authorization {id} issued the token the vault holds now: revoking it would invalidate the source of truth"
            )));
        }
        Ok(())
    }

    /// The first consumer step before the cursor that failed or never ran.
    fn unfinished_consumer(&self) -> Option<String> {
        self.steps()[..self.cursor]
            .iter()
            .filter(|s| is_consumer(s.step.action.get_ref()))
            .find(|s| {
                !matches!(
                    self.step_status(&s.id),
                    Some(StepStatus::Succeeded | StepStatus::Skipped)
                )
            })
            .map(|s| s.id.clone())
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
pub(super) fn is_consumer(action: &str) -> bool {
    action == "manual"
        || catalogue::find(action).is_some_and(|a| {
            matches!(
                a.writes,
                Some(Writes::Heroku | Writes::Github | Writes::Vault)
            )
        })
}
