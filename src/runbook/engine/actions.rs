//! The read-only and operator actions, bound to catalogue names. Writes to token stores
//! live in `writes.rs`; authorization create/revoke in `authz.rs`.

use std::collections::BTreeMap;

use crate::drift::{self, AuditOptions};
use crate::runbook::ActionKind;
use crate::secret::Token;
use crate::session::event::EventKind;
use crate::vendors::Validation;

use super::Source;
use super::StepParams;
use super::{Done, Engine, EngineError, PlannedStep};

impl Engine {
    /// Dispatches a step to its action by catalogue name.
    pub(crate) async fn run_action(&mut self, planned: &PlannedStep) -> Result<Done, EngineError> {
        if let Err(why) = &planned.choices {
            return Err(EngineError::Step(why.clone()));
        }
        let p = self.params(planned);
        if let Some(preview) = self.unminted_preview(planned, &p) {
            return Ok(preview);
        }
        let Some(kind) = planned.kind else {
            let name = planned.step.action.get_ref();
            return Err(EngineError::Step(format!("unknown action `{name}`")));
        };
        match kind {
            ActionKind::ValidateVault => self.validate_vault().await,
            ActionKind::AuditDrift => self.audit_drift().await,
            ActionKind::ValidateToken => self.validate_token(&p).await,
            ActionKind::CopyToClipboard => self.copy_to_clipboard(&p).await,
            ActionKind::Manual => self.manual(planned, &p).await,
            ActionKind::Stop => Ok(stop(&p)),
            ActionKind::DispatchWorkflow => self.dispatch_workflow(&p).await,
            ActionKind::WatchWorkflow => self.watch_workflow(&p).await,
            ActionKind::CheckHealth => self.check_health(&p).await,
            ActionKind::WritePostmortem => self.write_postmortem(planned),
            ActionKind::WriteAuditEntry => self.write_audit_entry(&p).await,
            ActionKind::ListAuthorizations => self.list_authorizations(&p).await,
            ActionKind::CreateAuthorization => self.create_authorization(&p).await,
            ActionKind::RevokeAuthorization => self.revoke_authorization(&p).await,
            ActionKind::SetHerokuConfig => self.set_heroku_config(&p).await,
            ActionKind::WriteGithubSecret => self.write_github_secret(&p).await,
            ActionKind::WriteVault => self.write_vault(&p).await,
            ActionKind::RestoreVaultVersion => self.restore_vault_version().await,
            ActionKind::RestartDynos => self.restart_dynos(&p).await,
        }
    }

    /// In a dry run nothing is minted, so a step using the `new` token can only say what
    /// it would do.
    fn unminted_preview(&self, planned: &PlannedStep, p: &StepParams) -> Option<Done> {
        let uses_new = p.source == Some(Source::New);
        (self.deps().dry_run && uses_new && self.secrets.new.is_none()).then(|| {
            let stores: Vec<String> = self
                .preview(planned)
                .iter()
                .map(|c| format!("{} ({})", c.store, c.note))
                .collect();
            let target = if stores.is_empty() {
                String::new()
            } else {
                format!(" → {}", stores.join(", "))
            };
            done(&format!(
                "dry run: would {} with the token minted by this rotation{target}",
                planned.step.action.get_ref().replace('_', " ")
            ))
        })
    }

    /// The step's parameters: its compiled choices, and its text ones rendered (tables
    /// flattened as `name.key`).
    pub(crate) fn params(&self, planned: &PlannedStep) -> StepParams {
        let mut out = BTreeMap::new();
        if let Some(table) = &planned.step.params {
            for (name, value) in table.get_ref() {
                flatten(name, value, &mut |k, v| {
                    out.insert(k, self.render(&v));
                });
            }
        }
        let choices = planned.choices.clone().unwrap_or_default();
        StepParams::new(out, choices)
    }

    /// The initial audit: observes every copy, journals it and fixes the diagnosis the
    /// runbook's conditions branch on for the whole session.
    pub(crate) async fn observe(&mut self) -> Result<(), EngineError> {
        let audit = self.audit().await?;
        self.diagnosis = audit.diagnosis.kind();
        self.vars.set("diagnosis", self.diagnosis.name());
        if let drift::Diagnosis::AppsStale { apps, .. } = &audit.diagnosis {
            self.vars.set("stale_apps", apps.join(", "));
        } else {
            // Read in titles ("… the stale apps: none"), never an empty gap.
            self.vars.set("stale_apps", "none");
        }
        // Which copy could not be observed, and why: a stop on `unknown` names it.
        let unobserved = match &audit.diagnosis {
            drift::Diagnosis::Unknown { store, why } => match store.as_str() {
                "vault" => format!("the vault: {why}"),
                "github" => format!("the GitHub secret: {why}"),
                other => match other.strip_prefix("heroku:") {
                    Some(app) => format!("Heroku app {app}: {why}"),
                    None => format!("{other}: {why}"),
                },
            },
            _ => "none".to_owned(),
        };
        self.vars.set("unobserved", unobserved);
        let rec = audit.diagnosis.recommendation();
        self.emit(EventKind::Diagnosed {
            diagnosis: self.diagnosis,
            path: rec.path,
            why: rec.why,
        })?;
        self.stale_apps = match audit.diagnosis {
            drift::Diagnosis::AppsStale { apps, .. } => apps,
            _ => Vec::new(),
        };
        Ok(())
    }

    /// Runs the drift audit, keeps its tokens in memory and journals each copy.
    pub(super) async fn audit(&mut self) -> Result<drift::Audit, EngineError> {
        self.audit_probing(false).await
    }

    /// [`Engine::audit`], with the GitHub probe alongside when `probe` is asked for and
    /// `[github] probe_workflow` is configured (one workflow run: the verify step only).
    async fn audit_probing(&mut self, probe: bool) -> Result<drift::Audit, EngineError> {
        // A dry run dispatches nothing, not even the probe.
        let request = (probe && !self.deps().dry_run)
            .then(|| {
                drift::probe::ProbeRequest::from_config(
                    &self.deps().config,
                    drift::probe::DEFAULT_TIMEOUT,
                )
                .ok()
            })
            .flatten()
            .map(|mut r| {
                r.interval = self.deps().follow.interval;
                // The operator's abort stops this wait as it stops a deploy's watch.
                r.stop.clone_from(&self.deps().follow.stop);
                r
            });
        let (vendors, config) = (&self.deps().vendors, &self.deps().config);
        let mut audit = match &request {
            // Boxed: the probe's wait is a large future, and every walk holds this one.
            Some(request) => {
                Box::pin(drift::audit_with_probe(
                    vendors,
                    config,
                    AuditOptions::default(),
                    request,
                    &|_| {},
                ))
                .await
            }
            None => drift::audit(vendors, config, AuditOptions::default()).await,
        };
        self.observe_deploy(&audit)?;
        if let Some(verdict) = audit.snapshot.probe.as_ref().and_then(|p| p.verdict()) {
            self.emit(EventKind::GithubProbed {
                verdict: verdict.clone(),
                vault: audit.snapshot.vault.fingerprint,
                github_written: audit.snapshot.github.updated_at,
            })?;
        }
        let github_stale = matches!(
            audit.diagnosis,
            drift::Diagnosis::GithubStale { .. }
                | drift::Diagnosis::AppsStale {
                    github_stale: true,
                    ..
                }
        );
        self.app_fingerprints = audit
            .snapshot
            .apps
            .iter()
            .filter_map(|c| match (&c.store, c.fingerprint) {
                (drift::Store::HerokuApp { app }, Some(fp)) => Some((app.clone(), fp)),
                _ => None,
            })
            .collect();
        for copy in audit.snapshot.copies() {
            // GitHub's value is unreadable: without a probe, whether it matches is what the
            // diagnosis concluded from its metadata (stale), and its validity is unknown.
            let matches_vault = if github_stale && copy.store == drift::Store::Github {
                Some(false)
            } else {
                copy.matches_vault
            };
            self.emit(EventKind::StoreObserved {
                store: copy.store.clone(),
                fingerprint: copy.fingerprint,
                validity: copy.validity,
                matches_vault,
                version: copy.version,
                error: copy.error.clone(),
                evidence: copy.evidence,
            })?;
        }
        self.secrets
            .validated
            .extend(audit.tokens.valid.iter().copied());
        self.secrets.live = audit.tokens.valid_live().map(|(_, t)| t.clone());
        self.secrets.vault = audit.tokens.vault.take();
        if self.start_fingerprint.is_none() {
            self.start_fingerprint = self.secrets.vault.as_ref().map(Token::fingerprint);
        }
        Ok(audit)
    }

    /// Journals the deploy run the audit saw (the drift symptom), once per session.
    fn observe_deploy(&mut self, audit: &drift::Audit) -> Result<(), EngineError> {
        let Some(run) = audit
            .snapshot
            .deploy
            .as_ref()
            .filter(|_| !self.deploy_observed)
        else {
            return Ok(());
        };
        self.deploy_observed = true;
        self.emit(EventKind::DeployObserved {
            workflow: run.workflow.clone(),
            run_id: run.run_id,
            status: run.status.clone().unwrap_or_default(),
            conclusion: run.conclusion.clone(),
            url: run.html_url.clone(),
            invalid_token: run.failed_with_invalid_token,
        })?;
        Ok(())
    }

    /// The post-fix audit (with the probe when one is configured). GitHub's copy judged
    /// stale on its timestamps alone is not a finding: it is said to be unproven, and the
    /// deploy step after this one is the proof. Any other disagreement fails the step.
    async fn audit_drift(&mut self) -> Result<Done, EngineError> {
        let audit = self.audit_probing(true).await?;
        let name = audit.diagnosis.name();
        let github_guess = matches!(audit.diagnosis, drift::Diagnosis::GithubStale { .. })
            && drift::github_copy::stale_on_timestamps_only(&audit.snapshot);
        if github_guess {
            return Ok(done_with(
                "diagnosis: every readable copy agrees with the vault; GitHub's copy is unproven (its timestamps only, no probe): the deploy proves it",
                &[("diagnosis", "github-unproven")],
            ));
        }
        // The probe was asked for and failed: GitHub's copy stays unproven, not a failure
        // of the recovery (the deploy after this step proves it).
        if let (
            drift::Diagnosis::Unknown { store, .. },
            Some(drift::probe::ProbeReport::Failed(failure)),
        ) = (&audit.diagnosis, &audit.snapshot.probe)
            && store == "github"
        {
            return Ok(done_with(
                &format!(
                    "diagnosis: every readable copy agrees with the vault; GitHub's copy is unproven (the probe failed: {}): the deploy proves it",
                    failure.message
                ),
                &[("diagnosis", "github-unproven")],
            ));
        }
        if audit.diagnosis.kind() != drift::DiagnosisKind::InSync && !self.deps().dry_run {
            return Err(EngineError::Step(format!(
                "the copies still disagree after recovery: {name} — {}",
                audit.diagnosis.recommendation().why
            )));
        }
        Ok(done_with(
            &format!("diagnosis: {name}"),
            &[("diagnosis", name)],
        ))
    }

    async fn validate_vault(&mut self) -> Result<Done, EngineError> {
        let name = self.deps().config.secret.name.to_string();
        let secret = self.deps().vendors.vault.read_secret(&name).await?;
        let token = secret.secret_value;
        let result = self.deps().vendors.heroku.validate(&token).await;
        self.secrets.vault = Some(token);
        match result {
            Validation::Valid { email } => {
                self.mark_validated_vault();
                Ok(done_with(
                    &format!("vault copy valid ({email})"),
                    &[("status", "valid"), ("email", &email)],
                ))
            }
            Validation::Invalid => Ok(done_with(
                "vault copy rejected (401): stale",
                &[("status", "stale"), ("email", "")],
            )),
            Validation::Unknown(err) => Err(err.into()),
        }
    }

    fn mark_validated_vault(&mut self) {
        if let Some(t) = &self.secrets.vault {
            self.secrets.validated.insert(t.fingerprint());
        }
    }

    /// `GET /account` with the token, then reads one app's config vars with it.
    async fn validate_token(&mut self, p: &StepParams) -> Result<Done, EngineError> {
        let token = self.token(p)?.clone();
        let deps = self.deps();
        let email = match deps.vendors.heroku.validate(&token).await {
            Validation::Valid { email } => email,
            Validation::Invalid => {
                return Err(EngineError::Step(
                    "Heroku rejected the token (401): it is never written to any store".into(),
                ));
            }
            Validation::Unknown(err) => return Err(err.into()),
        };
        let app = p
            .get("app")
            .cloned()
            .or_else(|| deps.config.heroku.apps.names().first().cloned())
            .unwrap_or_default();
        let client = crate::vendors::heroku::HerokuClient::new(
            deps.config.heroku.api_url.as_str(),
            &token,
            &crate::vendors::HttpOptions::default(),
        )?;
        let count = client.config_vars(&app).await?.0.len();
        if count == 0 {
            return Err(EngineError::Step(format!(
                "the token reads no config vars on {app}"
            )));
        }
        self.secrets.validated.insert(token.fingerprint());
        Ok(done_with(
            &format!("valid for {email}; reads {count} config vars on {app}"),
            &[("email", &email)],
        ))
    }

    async fn check_health(&mut self, p: &StepParams) -> Result<Done, EngineError> {
        let config = &self.deps().config.heroku;
        let url = p
            .get("url")
            .cloned()
            .or_else(|| config.health_url.as_ref().map(ToString::to_string));
        let Some(url) = url else {
            return Ok(done("no health URL configured"));
        };
        let field = p
            .get("field")
            .cloned()
            .or_else(|| config.health_field.clone());
        let body: serde_json::Value = reqwest::get(&url)
            .await
            .map_err(|e| EngineError::Step(e.without_url().to_string()))?
            .json()
            .await
            .unwrap_or_default();
        let status = field.as_deref().map_or_else(
            || "reachable".to_owned(),
            |f| body[f].as_str().unwrap_or("missing").to_owned(),
        );
        Ok(done_with(
            &format!("health: {status}"),
            &[("status", &status)],
        ))
    }
}

/// Ends the runbook; names the runbook to run instead when the step gives one.
fn stop(p: &StepParams) -> Done {
    let message = p.get("message").cloned().unwrap_or_default();
    let message = match p.get("next_runbook") {
        Some(next) => format!("{message} Next: keyturn run {next}"),
        None => message,
    };
    Done {
        stop: Some(message),
        ..done("stopped")
    }
}

pub(crate) fn done(summary: &str) -> Done {
    Done {
        summary: summary.to_owned(),
        ..Done::default()
    }
}

pub(crate) fn done_with(summary: &str, outputs: &[(&str, &str)]) -> Done {
    Done {
        summary: summary.to_owned(),
        outputs: outputs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        stop: None,
    }
}

pub(crate) fn no_github() -> EngineError {
    EngineError::Step("no GitHub credentials: set $GH_TOKEN or run `gh auth login`".into())
}

fn flatten(name: &str, value: &toml::Value, out: &mut dyn FnMut(String, String)) {
    match value {
        toml::Value::String(s) => out(name.to_owned(), s.clone()),
        toml::Value::Table(t) => {
            for (k, v) in t {
                flatten(&format!("{name}.{k}"), v, out);
            }
        }
        other => out(name.to_owned(), other.to_string()),
    }
}
