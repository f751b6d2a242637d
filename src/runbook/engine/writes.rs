//! Actions that write a token store. Each one reads the store first and skips when it
//! already holds the target fingerprint (safe to retry, safe to resume), refuses a token
//! that did not validate this session, and in a dry run only describes the change.

use std::collections::BTreeMap;

use crate::runbook::event::{EventKind, StoreRef};
use crate::secret::Token;

use super::actions::{done, done_with, no_github};
use super::{Change, Done, Engine, EngineError, PlannedStep, Source};

impl Engine {
    /// Dispatches the store-writing actions.
    pub(crate) async fn run_write(
        &mut self,
        action: &str,
        p: &BTreeMap<String, String>,
    ) -> Result<Done, EngineError> {
        match action {
            "set_heroku_config" => self.set_heroku_config(p).await,
            "write_github_secret" => self.write_github_secret(p).await,
            "write_vault" => self.write_vault(p).await,
            "restore_vault_version" => self.restore_vault_version().await,
            "restart_dynos" => self.restart_dynos(p).await,
            other => Err(EngineError::Step(format!("unknown action `{other}`"))),
        }
    }

    /// The in-memory token a step's `source` names.
    pub(crate) fn token(&self, p: &BTreeMap<String, String>) -> Result<&Token, EngineError> {
        let name = p.get("source").map_or("vault", String::as_str);
        let source = Source::parse(name)
            .ok_or_else(|| EngineError::Step(format!("unknown source `{name}`")))?;
        self.secrets
            .get(source)
            .ok_or_else(|| EngineError::Step(format!("this session holds no `{name}` token yet")))
    }

    /// The token to write, refused unless Heroku accepted it during this session.
    async fn writable(&mut self, p: &BTreeMap<String, String>) -> Result<Token, EngineError> {
        if p.get("source").is_some_and(|s| s == "previous") {
            self.load_previous().await?;
        }
        let token = self.token(p)?.clone();
        if !self.secrets.is_validated(&token) {
            return Err(EngineError::Refused(format!(
                "{} did not validate in this session: a token that failed validation is never written to any store",
                token.fingerprint()
            )));
        }
        Ok(token)
    }

    /// The vault's previous version, validated (the old token during a rollback).
    pub(crate) async fn load_previous(&mut self) -> Result<(), EngineError> {
        if self.secrets.previous.is_some() {
            return Ok(());
        }
        let name = self.deps().config.secret.name.to_string();
        let vault = &self.deps().vendors.vault;
        let current = vault.read_secret(&name).await?;
        let previous = vault
            .read_secret_version(&name, current.version.saturating_sub(1).max(1))
            .await?;
        let token = previous.secret_value;
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
    fn target_apps(&self, p: &BTreeMap<String, String>) -> Vec<String> {
        if p.get("apps").is_some_and(|a| a == "stale") {
            self.stale_apps.clone()
        } else {
            self.deps().config.heroku.apps.names().to_vec()
        }
    }

    async fn set_heroku_config(
        &mut self,
        p: &BTreeMap<String, String>,
    ) -> Result<Done, EngineError> {
        let token = self.writable(p).await?;
        let key = self.deps().config.secret.name.to_string();
        let (mut written, mut changes) = (Vec::new(), Vec::new());
        for app in self.target_apps(p) {
            let current = self.deps().vendors.heroku.config_vars(&app).await?;
            let from = current.get(&key).map(Token::fingerprint);
            if from == Some(token.fingerprint()) {
                continue;
            }
            changes.push(format!("{app}: {} → {}", fp(from), token.fingerprint()));
            if !self.deps().dry_run {
                self.deps()
                    .vendors
                    .heroku
                    .set_config_vars(&app, &[(&key, Some(&token))])
                    .await?;
                self.emit(EventKind::SecretWritten {
                    store: StoreRef::HerokuApp { app: app.clone() },
                    fingerprint: token.fingerprint(),
                    version: None,
                })?;
                written.push(app);
            }
        }
        Ok(self.write_summary("apps", &changes, &[("apps_written", &written.join(","))]))
    }

    async fn write_github_secret(
        &mut self,
        p: &BTreeMap<String, String>,
    ) -> Result<Done, EngineError> {
        let token = self.writable(p).await?;
        let name = self.deps().config.secret.name.to_string();
        let change = format!(
            "GitHub secret {name}: (write-only) → {}",
            token.fingerprint()
        );
        if self.deps().dry_run {
            return Ok(self.write_summary("GitHub", &[change], &[]));
        }
        let github = self.deps().vendors.github.as_ref().ok_or_else(no_github)?;
        github.write_secret(&name, &token).await?;
        let updated = github
            .secret(&name)
            .await
            .map(|m| m.updated_at.to_rfc3339())
            .unwrap_or_default();
        self.emit(EventKind::SecretWritten {
            store: StoreRef::Github,
            fingerprint: token.fingerprint(),
            version: None,
        })?;
        Ok(done_with(&change, &[("updated_at", &updated)]))
    }

    async fn write_vault(&mut self, p: &BTreeMap<String, String>) -> Result<Done, EngineError> {
        let token = self.writable(p).await?;
        self.put_vault(&token).await
    }

    /// Makes the previous vault version current again by writing it as a new version.
    async fn restore_vault_version(&mut self) -> Result<Done, EngineError> {
        self.load_previous().await?;
        let token = self
            .secrets
            .previous
            .clone()
            .ok_or_else(|| EngineError::Step("no previous vault version".into()))?;
        self.put_vault(&token).await
    }

    async fn put_vault(&mut self, token: &Token) -> Result<Done, EngineError> {
        let name = self.deps().config.secret.name.to_string();
        let current = self.deps().vendors.vault.read_secret(&name).await?;
        let from = current.secret_value.fingerprint();
        if from == token.fingerprint() {
            return Ok(done_with(
                &format!("vault already holds {from}"),
                &[("version", &current.version.to_string())],
            ));
        }
        let change = format!("vault {name}: {from} → {}", token.fingerprint());
        if self.deps().dry_run {
            return Ok(self.write_summary("vault", &[change], &[]));
        }
        let written = self.deps().vendors.vault.write_secret(&name, token).await?;
        let version = written.version.to_string();
        self.emit(EventKind::SecretWritten {
            store: StoreRef::Vault,
            fingerprint: token.fingerprint(),
            version: Some(version.clone()),
        })?;
        self.secrets.vault = Some(token.clone());
        Ok(done_with(
            &format!("{change} (v{version})"),
            &[("version", &version)],
        ))
    }

    async fn restart_dynos(&mut self, p: &BTreeMap<String, String>) -> Result<Done, EngineError> {
        let apps = self.target_apps(p);
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

    /// What confirming the step would change, for the confirmation screen (best effort,
    /// from what this session already read: no request is made to build it).
    pub(crate) fn preview(&self, planned: &PlannedStep) -> Vec<Change> {
        let p = self.params(planned);
        let to = self.token(&p).ok().map(|t| t.fingerprint().to_string());
        let store = |store: String, note: &str| Change {
            store,
            from: None,
            to: to.clone(),
            note: note.to_owned(),
        };
        match planned.step.action.get_ref().as_str() {
            "set_heroku_config" => self
                .target_apps(&p)
                .into_iter()
                .map(|a| Change {
                    from: self.app_fingerprints.get(&a).map(ToString::to_string),
                    ..store(format!("heroku:{a}"), "dynos restart")
                })
                .collect(),
            "write_github_secret" => vec![Change {
                from: Some("unreadable".into()),
                ..store("github".into(), "write-only")
            }],
            "revoke_authorization" => vec![Change {
                store: format!(
                    "heroku authorization {}",
                    p.get("authorization_id").map_or("?", String::as_str)
                ),
                from: None,
                to: None,
                note: "revoked for good; the old token then gets 401".into(),
            }],
            "create_authorization" => vec![Change {
                store: "heroku authorizations".into(),
                from: None,
                to: None,
                note: format!(
                    "a new one, `{}`, scope {}",
                    p.get("description").map_or("?", String::as_str),
                    p.get("scope").map_or("?", String::as_str)
                ),
            }],
            "write_vault" | "restore_vault_version" => vec![Change {
                from: self
                    .secrets
                    .vault
                    .as_ref()
                    .map(|t| t.fingerprint().to_string()),
                ..store("vault".into(), "new version")
            }],
            "restart_dynos" => self
                .target_apps(&p)
                .into_iter()
                .map(|a| Change {
                    to: None,
                    ..store(format!("heroku:{a}"), "dynos restart")
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn fp(f: Option<crate::secret::Fingerprint>) -> String {
    f.map_or_else(|| "(none)".to_owned(), |f| f.to_string())
}
