//! Proving a write (DESIGN.md's invariant 4): the answer the vendor documents, then a
//! read-back. A vendor that answers 200 to a write it never made (a proxy, a fault, an
//! echo) would otherwise make keyturn spread, verify and revoke on a guess.
//!
//! - Heroku: `PATCH …/config-vars` answers 200 with the full merged config, which must
//!   carry the new value; then `GET …/config-vars` must too.
//! - Infisical: the write answers the secret with a version above the one read before and
//!   the value written; then a read shows that version and value.
//! - GitHub: only 201 or 204 count (the client checks); the value is write-only, so the
//!   read-back is the secret's `updated_at`, which must be later than before the write.
//!   GitHub's timestamps have whole seconds: when the secret changed within the second
//!   before (GitHub's own clock, its `Date` header), the write waits for the next second.

use chrono::{DateTime, Utc};

use crate::secret::Token;
use crate::session::event::Store;
use crate::vendors::GithubClient;
use crate::vendors::heroku::ConfigVars;
use crate::vendors::infisical::VaultSecret;

use super::{Engine, EngineError};

/// GitHub's `updated_at` before a write (`None`: the secret did not exist).
pub(crate) type Before = Option<DateTime<Utc>>;

impl Engine {
    pub(crate) fn github(&self) -> Result<&GithubClient, EngineError> {
        self.deps()
            .vendors
            .github
            .as_ref()
            .ok_or_else(super::actions::no_github)
    }

    /// The merged config the PATCH answered, then a read, both hold `token` under `key`.
    pub(crate) async fn prove_app(
        &self,
        app: &str,
        key: &str,
        token: &Token,
        merged: &ConfigVars,
    ) -> Result<String, EngineError> {
        let unproven = |why: String| EngineError::Unproven {
            store: format!("Heroku app {app}"),
            why,
        };
        let answered = merged.get(key).map(Token::fingerprint);
        if answered != Some(token.fingerprint()) {
            return Err(unproven(format!(
                "Heroku answered the PATCH with {key} = {} in the merged config, not {} — check `heroku config:get {key} -a {app}` and retry",
                show(answered),
                token.fingerprint()
            )));
        }
        let back = self.deps().vendors.heroku.config_vars(app).await?;
        let read = back.get(key).map(Token::fingerprint);
        if read != Some(token.fingerprint()) {
            return Err(unproven(format!(
                "read back {key} = {} after the PATCH, not {} — retry",
                show(read),
                token.fingerprint()
            )));
        }
        Ok("PATCH 200 with the merged config; read back".to_owned())
    }

    /// The vault answered a higher version holding `token`, and a read shows it.
    pub(crate) async fn prove_vault(
        &self,
        name: &str,
        token: &Token,
        before: &VaultSecret,
        written: &VaultSecret,
    ) -> Result<(u64, String), EngineError> {
        let unproven = |why: String| EngineError::Unproven {
            store: "vault".into(),
            why,
        };
        if written.version <= before.version || !written.secret_value.same_value(token) {
            return Err(unproven(format!(
                "Infisical answered version {} holding {} (before: version {}); expected a newer version holding {} — retry",
                written.version,
                written.secret_value.fingerprint(),
                before.version,
                token.fingerprint()
            )));
        }
        let back = self.deps().vendors.vault.read_secret(name).await?;
        if back.version < written.version || !back.secret_value.same_value(token) {
            return Err(unproven(format!(
                "read back version {} holding {} after writing version {} — retry",
                back.version,
                back.secret_value.fingerprint(),
                written.version
            )));
        }
        Ok((
            back.version,
            format!("answered version {}; read back", written.version),
        ))
    }

    /// Refuses a vault write when the vault moved since this session last saw it, unless
    /// what it holds is exactly what this session sent (a write whose answer was lost).
    pub(crate) fn check_vault_is_ours(&self, current: &VaultSecret) -> Result<(), EngineError> {
        let Some(known) = self.fold.ledger.vault_known else {
            return Ok(());
        };
        let ours = self
            .fold
            .ledger
            .attempted
            .get(&Store::Vault)
            .and_then(|source| self.secrets.get(*source))
            .is_some_and(|sent| sent.same_value(&current.secret_value));
        if current.version == known || ours {
            return Ok(());
        }
        Err(EngineError::Refused(format!(
            "the vault moved from version {known} to {} outside this session (another operator or pipeline wrote it): check every copy (`keyturn check`) before writing anything",
            current.version
        )))
    }

    /// GitHub's `updated_at` before a write; waits out the second when the secret changed
    /// within it, so the write's own `updated_at` is provably later.
    pub(crate) async fn github_before_write(&self, name: &str) -> Result<Before, EngineError> {
        let (meta, now) = self.github()?.secret_seen(name).await?;
        let Some(meta) = meta else {
            return Ok(None);
        };
        let recent = now.is_none_or(|now| now - meta.updated_at < chrono::TimeDelta::seconds(2));
        if recent {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        Ok(Some(meta.updated_at))
    }

    /// After a PUT GitHub accepted: `updated_at` is later than `before`.
    pub(crate) async fn prove_github(
        &self,
        name: &str,
        before: Before,
    ) -> Result<(String, String), EngineError> {
        let (meta, _) = self.github()?.secret_seen(name).await?;
        let after = meta.map(|m| m.updated_at);
        match (before, after) {
            (_, None) => Err(EngineError::Unproven {
                store: "GitHub secret".into(),
                why: format!("GitHub lists no secret {name} after the write — retry"),
            }),
            (Some(before), Some(after)) if after <= before => Err(EngineError::Unproven {
                store: "GitHub secret".into(),
                why: format!(
                    "its updated_at is still {} after the PUT: GitHub did not take the write — retry",
                    stamp(before)
                ),
            }),
            (before, Some(after)) => Ok((
                after.to_rfc3339(),
                format!(
                    "PUT 201/204; updated_at {} (was {})",
                    stamp(after),
                    before.map_or_else(|| "absent".to_owned(), stamp)
                ),
            )),
        }
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn show(fp: Option<crate::secret::Fingerprint>) -> String {
    fp.map_or_else(|| "(absent)".to_owned(), |f| f.to_string())
}
