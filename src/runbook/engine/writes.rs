//! Actions that write a token store. Each one reads the store first and skips when it
//! already holds the target value (safe to retry, safe to resume), refuses a token that did
//! not validate this session, and in a dry run only describes the change.
//!
//! Every write is proven before the walk goes on (see `proofs.rs`): the status the vendor
//! documents, then a read-back. An unproven write fails the step. During a rollback a write
//! touches only the stores this session changed.

use crate::secret::Token;
use crate::session::event::{EventKind, Store};

use super::StepParams;
use super::actions::{done, done_with};
use super::{Done, Engine, EngineError, Source};

impl Engine {
    /// The in-memory token a step's `source` names.
    pub(crate) fn token(&self, p: &StepParams) -> Result<&Token, EngineError> {
        let source = p.source_or_vault();
        self.secrets.get(source).ok_or_else(|| {
            EngineError::Step(format!("this session holds no {} yet", source.describe()))
        })
    }

    /// The token to write, refused unless Heroku accepted it during this session.
    async fn writable(&mut self, p: &StepParams) -> Result<(Token, Source), EngineError> {
        if p.source == Some(Source::Previous) {
            self.load_previous().await?;
        }
        let token = self.token(p)?.clone();
        if !self.secrets.is_validated(&token) {
            return Err(EngineError::Refused(format!(
                "{} did not validate in this session: a token that failed validation is never written to any store",
                token.fingerprint()
            )));
        }
        Ok((token, p.source_or_vault()))
    }

    /// The token in use when the session began (the vault version its first audit saw),
    /// validated: the old token a rotation's rollback restores.
    pub(crate) async fn load_previous(&mut self) -> Result<(), EngineError> {
        if self.secrets.previous.is_some() {
            return Ok(());
        }
        let name = self.deps().config.secret.name.to_string();
        let vault = &self.deps().vendors.vault;
        let version = match self.fold.ledger.vault_start {
            Some(v) => v,
            None => vault
                .read_secret(&name)
                .await?
                .version
                .saturating_sub(1)
                .max(1),
        };
        let token = vault
            .read_secret_version(&name, version)
            .await?
            .secret_value;
        if matches!(
            self.deps().vendors.heroku.validate(&token).await,
            crate::vendors::Validation::Valid { .. }
        ) {
            self.secrets.validated.insert(token.fingerprint());
        }
        self.secrets.previous = Some(token);
        Ok(())
    }

    /// The apps a step targets: `stale` (from the audit) or `all`.
    pub(crate) fn target_apps(&self, p: &StepParams) -> Vec<String> {
        if p.apps == Some(super::Apps::Stale) {
            self.stale_apps.clone()
        } else {
            self.deps().config.heroku.apps.names().to_vec()
        }
    }

    /// The apps a write may touch now: during a rollback only those this session changed.
    fn apps_to_write(&self, p: &StepParams) -> Vec<String> {
        self.target_apps(p)
            .into_iter()
            .filter(|app| {
                !self.rolling_back
                    || self
                        .fold
                        .ledger
                        .changed(&Store::HerokuApp { app: app.clone() })
            })
            .collect()
    }

    pub(super) async fn set_heroku_config(&mut self, p: &StepParams) -> Result<Done, EngineError> {
        let (token, source) = self.writable(p).await?;
        let (mut written, mut changes) = (Vec::new(), Vec::new());
        for app in self.apps_to_write(p) {
            if let Some(change) = self.set_one_app(&app, &token, source).await? {
                changes.push(change);
                written.push(app);
            }
        }
        if self.deps().dry_run {
            written.clear();
        }
        Ok(self.write_summary("apps", &changes, &[("apps_written", &written.join(","))]))
    }

    /// Writes `token` to one app and proves it; `None` when the app already held it.
    async fn set_one_app(
        &mut self,
        app: &str,
        token: &Token,
        source: Source,
    ) -> Result<Option<String>, EngineError> {
        let key = self.deps().config.secret.name.to_string();
        let store = Store::HerokuApp {
            app: app.to_owned(),
        };
        let current = self.deps().vendors.heroku.config_vars(app).await?;
        let from = current.get(&key).map(Token::fingerprint);
        if from == Some(token.fingerprint()) {
            self.verified(&store, token, source, "read: it already holds this value")?;
            return Ok(None);
        }
        let change = format!("{app}: {} → {}", fp(from), token.fingerprint());
        if self.deps().dry_run {
            return Ok(Some(change));
        }
        self.emit(EventKind::WriteSent {
            store: store.clone(),
            fingerprint: token.fingerprint(),
            source,
        })?;
        let merged = self
            .deps()
            .vendors
            .heroku
            .set_config_vars(app, &[(&key, Some(token))])
            .await?;
        let proof = self.prove_app(app, &key, token, &merged).await?;
        self.emit(EventKind::SecretWritten {
            store,
            fingerprint: token.fingerprint(),
            version: None,
            proof: Some(proof),
            source: Some(source),
            by_operator: false,
        })?;
        Ok(Some(change))
    }

    pub(super) async fn write_github_secret(
        &mut self,
        p: &StepParams,
    ) -> Result<Done, EngineError> {
        if self.rolling_back && !self.fold.ledger.changed(&Store::Github) {
            return Ok(done(
                "GitHub secret not changed by this session: left as it is",
            ));
        }
        let (token, source) = self.writable(p).await?;
        let name = self.deps().config.secret.name.to_string();
        let change = format!(
            "GitHub secret {name}: (write-only) → {}",
            token.fingerprint()
        );
        if self.deps().dry_run {
            return Ok(self.write_summary("GitHub", &[change], &[]));
        }
        let before = self.github_before_write(&name).await?;
        self.emit(EventKind::WriteSent {
            store: Store::Github,
            fingerprint: token.fingerprint(),
            source,
        })?;
        let github = self.github()?;
        github.write_secret(&name, &token).await?;
        let (updated, proof) = self.prove_github(&name, before).await?;
        self.emit(EventKind::SecretWritten {
            store: Store::Github,
            fingerprint: token.fingerprint(),
            version: None,
            proof: Some(proof),
            source: Some(source),
            by_operator: false,
        })?;
        Ok(done_with(&change, &[("updated_at", &updated)]))
    }

    pub(super) async fn write_vault(&mut self, p: &StepParams) -> Result<Done, EngineError> {
        let (token, source) = self.writable(p).await?;
        self.put_vault(&token, source).await
    }

    /// Makes the version in use when the session began current again, as a new version.
    /// Refused when that token no longer validates (it would put the vault on a dead
    /// token) or when someone else wrote the vault since.
    pub(super) async fn restore_vault_version(&mut self) -> Result<Done, EngineError> {
        self.load_previous().await?;
        let token = self
            .secrets
            .previous
            .clone()
            .ok_or_else(|| EngineError::Step("no previous vault version".into()))?;
        if !self.secrets.is_validated(&token) {
            return Err(EngineError::Refused(format!(
                "the vault's version from before this session ({}) is rejected by Heroku: restoring it would put the vault on a dead token",
                token.fingerprint()
            )));
        }
        self.put_vault(&token, Source::Previous).await
    }

    async fn put_vault(&mut self, token: &Token, source: Source) -> Result<Done, EngineError> {
        let name = self.deps().config.secret.name.to_string();
        let current = self.deps().vendors.vault.read_secret(&name).await?;
        let from = current.secret_value.fingerprint();
        self.check_vault_is_ours(&current)?;
        if from == token.fingerprint() {
            self.verified(
                &Store::Vault,
                token,
                source,
                "read: it already holds this value",
            )?;
            return Ok(done_with(
                &format!("vault already holds {from}"),
                &[("version", &current.version.to_string())],
            ));
        }
        let change = format!("vault {name}: {from} → {}", token.fingerprint());
        if self.deps().dry_run {
            return Ok(self.write_summary("vault", &[change], &[]));
        }
        self.emit(EventKind::WriteSent {
            store: Store::Vault,
            fingerprint: token.fingerprint(),
            source,
        })?;
        let written = self.deps().vendors.vault.write_secret(&name, token).await?;
        let (version, proof) = self.prove_vault(&name, token, &current, &written).await?;
        self.emit(EventKind::SecretWritten {
            store: Store::Vault,
            fingerprint: token.fingerprint(),
            version: Some(version),
            proof: Some(proof),
            source: Some(source),
            by_operator: false,
        })?;
        self.secrets.vault = Some(token.clone());
        Ok(done_with(
            &format!("{change} (v{version})"),
            &[("version", &version.to_string())],
        ))
    }

    pub(super) async fn restart_dynos(&mut self, p: &StepParams) -> Result<Done, EngineError> {
        let apps = self.apps_to_write(p);
        if apps.is_empty() {
            return Ok(done("no app changed by this session: no dynos to restart"));
        }
        if self.deps().dry_run {
            return Ok(done(&format!(
                "dry run: would restart the dynos of {}",
                apps.join(", ")
            )));
        }
        for app in &apps {
            self.deps().vendors.heroku.restart_dynos(app).await?;
            self.emit(EventKind::DynosRestarted { app: app.clone() })?;
        }
        Ok(done(&format!("restarted the dynos of {}", apps.join(", "))))
    }

    /// A store seen holding `token` already: journaled as verified (the ledger counts it).
    fn verified(
        &mut self,
        store: &Store,
        token: &Token,
        source: Source,
        how: &str,
    ) -> Result<(), EngineError> {
        if self.deps().dry_run {
            return Ok(());
        }
        self.emit(EventKind::CopyVerified {
            store: store.clone(),
            fingerprint: token.fingerprint(),
            source,
            how: how.to_owned(),
        })
    }

    fn write_summary(&self, what: &str, changes: &[String], outputs: &[(&str, &str)]) -> Done {
        let prefix = if self.deps().dry_run {
            "dry run: would write "
        } else {
            ""
        };
        let text = if changes.is_empty() {
            format!("every {what} copy already holds the target value")
        } else {
            format!("{prefix}{}", changes.join("; "))
        };
        done_with(&text, outputs)
    }
}

fn fp(f: Option<crate::secret::Fingerprint>) -> String {
    f.map_or_else(|| "(none)".to_owned(), |f| f.to_string())
}
