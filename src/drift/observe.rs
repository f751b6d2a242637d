//! The per-store observers: one way to read each copy. The drift audit composes them (and
//! fans the apps out); the TUI's pollers call the same functions one store at a time, so a
//! panel and `keyturn check` cannot read a store differently.

use std::collections::HashMap;
use std::sync::Mutex;

use super::snapshot::{Copy, DeployRun, Evidence, Store};
use crate::secret::Token;
use crate::vendors::infisical::VaultSecret;
use crate::vendors::{VendorError, Vendors};

/// The vault's value of `name`: `None` when the key is not there.
pub async fn vault(vendors: &Vendors, name: &str) -> Result<Option<VaultSecret>, VendorError> {
    match vendors.vault.read_secret(name).await {
        Ok(secret) => Ok(Some(secret)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

/// One Heroku app's config var `name`: `None` when unset or empty.
pub async fn app(vendors: &Vendors, app: &str, name: &str) -> Result<Option<Token>, VendorError> {
    let vars = vendors.heroku.config_vars(app).await?;
    Ok(vars.get(name).cloned().filter(|t| !t.is_empty()))
}

/// GitHub's copy: metadata only (the value is write-only).
pub async fn github(vendors: &Vendors, name: &str) -> Copy {
    let Some(github) = &vendors.github else {
        return Copy::unreadable(
            Store::Github,
            "no GitHub credential (set GH_TOKEN)".to_owned(),
        );
    };
    match github.secret(name).await {
        Ok(meta) => Copy {
            updated_at: Some(meta.updated_at),
            error: None,
            evidence: Some(Evidence::Metadata),
            ..Copy::unreadable(Store::Github, String::new())
        },
        Err(err) if err.is_not_found() => absent(Store::Github, Evidence::Metadata),
        Err(err) => Copy::unreadable(Store::Github, err.to_string()),
    }
}

/// A copy whose store was read and holds no such key.
pub(crate) fn absent(store: Store, evidence: Evidence) -> Copy {
    Copy {
        absent: true,
        evidence: Some(evidence),
        ..Copy::unreadable(store, "not set".to_owned())
    }
}

/// What the logs of failed runs said, kept so a poller reads a finished run's logs once
/// (they do not change); one audit starts with an empty one.
#[derive(Debug, Default)]
pub struct DeployLogs(Mutex<HashMap<u64, bool>>);

impl DeployLogs {
    fn known(&self, run_id: u64) -> Option<bool> {
        self.0.lock().ok()?.get(&run_id).copied()
    }

    fn remember(&self, run_id: u64, invalid: bool) {
        if let Ok(mut runs) = self.0.lock() {
            runs.insert(run_id, invalid);
        }
    }
}

/// The latest run of the deploy workflow and, if it failed, whether a failed job's log
/// names the token `name` invalid (the drift symptom).
pub async fn deploy(
    vendors: &Vendors,
    workflow: &str,
    name: &str,
    logs: &DeployLogs,
) -> Result<Option<DeployRun>, String> {
    let Some(github) = &vendors.github else {
        return Ok(None);
    };
    let Some(run) = github
        .latest_run(workflow)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let invalid = run.failed() && invalid_token_logged(github, run.id, name, logs).await;
    Ok(Some(DeployRun {
        workflow: workflow.to_owned(),
        run_id: run.id,
        status: run.status,
        conclusion: run.conclusion,
        created_at: run.created_at,
        html_url: run.html_url,
        failed_with_invalid_token: invalid,
    }))
}

async fn invalid_token_logged(
    github: &crate::vendors::GithubClient,
    run_id: u64,
    name: &str,
    logs: &DeployLogs,
) -> bool {
    if let Some(invalid) = logs.known(run_id) {
        return invalid;
    }
    let invalid = failed_with_invalid_token(github, run_id, name).await;
    logs.remember(run_id, invalid);
    invalid
}

/// True when a failed job of deploy run `run_id` logged that the token `name` is invalid.
pub async fn failed_with_invalid_token(
    github: &crate::vendors::GithubClient,
    run_id: u64,
    name: &str,
) -> bool {
    let Ok(jobs) = github.run_jobs(run_id).await else {
        return false;
    };
    let failed = jobs
        .iter()
        .filter(|j| j.conclusion.as_deref() == Some("failure"));
    let logs = futures::future::join_all(failed.map(|j| github.job_logs(j.id))).await;
    logs.into_iter()
        .flatten()
        .any(|log| log.contains(&format!("token provided to {name} is invalid")))
}
