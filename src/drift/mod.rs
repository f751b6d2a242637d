//! The drift audit: observe every copy concurrently, validate each distinct value once,
//! and diagnose.
//!
//! Latency is bounded by the dependent round trips (read → validate, and run → jobs →
//! logs for a failed deploy), not by the number of apps: app reads and validations fan out
//! with bounded concurrency (`buffer_unordered`) so a 200-app account stays well inside
//! Heroku's 4500-request budget while finishing in a few round trips.

pub mod diagnosis;
pub mod github_copy;
pub mod probe;
pub mod snapshot;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use futures::{StreamExt, stream};

pub use diagnosis::{Diagnosis, DiagnosisKind, Recommendation, RecoveryPath, diagnose};
pub use probe::{
    ProbeError, ProbeFailure, ProbeOutcome, ProbeReading, ProbeReport, ProbeRequest, ProbeStage,
    ProbeVerdict,
};
pub use snapshot::{
    Copy, DeployRun, Evidence, ROTATION_CADENCE_DAYS, RotationAge, Snapshot, Store, Validity,
};

use crate::config::Config;
use crate::secret::{Fingerprint, Token};
use crate::vendors::infisical::VaultSecret;
use crate::vendors::{Validation, VendorError, Vendors};

/// How wide the fan-out may go.
#[derive(Debug, Clone, Copy)]
pub struct AuditOptions {
    /// Concurrent requests per fan-out (app reads, validations). 64 keeps a 200-app audit
    /// near 5 round trips (measured: ~270 ms at 50 ms latency, vs ~750 ms at 16) while the
    /// request *count* (apps + distinct values) is what Heroku's 4500-token pool charges.
    pub concurrency: usize,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions { concurrency: 64 }
    }
}

/// One audit's result. `tokens` is deliberately outside the serializable snapshot.
#[derive(Debug)]
pub struct Audit {
    pub snapshot: Snapshot,
    pub diagnosis: Diagnosis,
    pub tokens: AuditTokens,
}

/// The values seen, for the runbook engine (never serialized).
#[derive(Debug, Default)]
pub struct AuditTokens {
    pub vault: Option<Token>,
    /// Each app's value, when readable and present.
    pub apps: BTreeMap<String, Token>,
    /// Fingerprints that validated.
    pub valid: Vec<Fingerprint>,
}

impl AuditTokens {
    /// A live (app) value that validated, for the inverse path.
    pub fn valid_live(&self) -> Option<(&str, &Token)> {
        self.apps
            .iter()
            .find(|(_, t)| self.valid.contains(&t.fingerprint()))
            .map(|(app, t)| (app.as_str(), t))
    }
}

type Read = Result<Option<Token>, VendorError>;

/// Runs the audit against the configured stores.
pub async fn audit(vendors: &Vendors, config: &Config, options: AuditOptions) -> Audit {
    let started = Instant::now();
    let name = config.secret.name.as_str();
    let width = options.concurrency.max(1);
    let values = async {
        let (vault, apps) = tokio::join!(
            read_vault(vendors, name),
            read_apps(vendors, config.heroku.apps.names(), name, width)
        );
        let checked = validate_all(vendors, vault_token(&vault), &apps, width).await;
        (vault, apps, checked)
    };
    let ((vault, apps, checked), github, deploy) = tokio::join!(
        values,
        observe_github(vendors, name),
        observe_deploy(vendors, &config.github.deploy_workflow, name)
    );
    let vault_copy = vault_copy(&vault, &checked);
    let vault_fp = vault_copy.fingerprint;
    let (deploy, deploy_error) = match deploy {
        Ok(run) => (run, None),
        Err(err) => (None, Some(err)),
    };
    let snapshot = Snapshot {
        secret: name.to_owned(),
        taken_at: chrono::Utc::now(),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        vault: vault_copy,
        github,
        apps: apps
            .iter()
            .map(|(app, read)| app_copy(app, read, vault_fp, &checked))
            .collect(),
        deploy,
        deploy_error,
        probe: None,
    };
    let diagnosis = diagnose(&snapshot);
    Audit {
        tokens: tokens(vault, apps, &checked),
        snapshot,
        diagnosis,
    }
}

/// [`audit`] with a probe of the GitHub copy run alongside (`keyturn check --probe`): the
/// reads take moments, the probe a workflow run, so they overlap. The probe's verdict then
/// replaces the metadata guess about GitHub ([`Audit::apply_probe`]). One call costs one
/// workflow run: only on request, never on a timer.
pub async fn audit_with_probe(
    vendors: &Vendors,
    config: &Config,
    options: AuditOptions,
    request: &ProbeRequest,
    progress: &(dyn Fn(ProbeStage) + Sync),
) -> Audit {
    let (mut audit, outcome) = tokio::join!(
        audit(vendors, config, options),
        probe::probe(vendors.github.as_ref(), request, progress)
    );
    audit.apply_probe(&outcome);
    audit
}

fn vault_token(vault: &Result<Option<VaultSecret>, VendorError>) -> Option<&Token> {
    vault.as_ref().ok()?.as_ref().map(|s| &s.secret_value)
}

async fn read_vault(vendors: &Vendors, name: &str) -> Result<Option<VaultSecret>, VendorError> {
    match vendors.vault.read_secret(name).await {
        Ok(secret) => Ok(Some(secret)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

/// Reads every app's config var, `width` at a time, back in config order.
async fn read_apps(
    vendors: &Vendors,
    apps: &[String],
    name: &str,
    width: usize,
) -> Vec<(String, Read)> {
    let mut reads: Vec<(usize, String, Read)> = stream::iter(apps.iter().enumerate())
        .map(|(i, app)| async move {
            let read = vendors
                .heroku
                .config_vars(app)
                .await
                .map(|vars| vars.get(name).cloned().filter(|t| !t.is_empty()));
            (i, app.clone(), read)
        })
        .buffer_unordered(width)
        .collect()
        .await;
    reads.sort_by_key(|(i, ..)| *i);
    reads
        .into_iter()
        .map(|(_, app, read)| (app, read))
        .collect()
}

/// What validation said of one distinct value.
type Checked = HashMap<Fingerprint, (Validity, Option<String>)>;

/// Validates each distinct value once (deduplicated by fingerprint).
async fn validate_all(
    vendors: &Vendors,
    vault: Option<&Token>,
    apps: &[(String, Read)],
    width: usize,
) -> Checked {
    let mut distinct: HashMap<Fingerprint, &Token> = HashMap::new();
    let app_tokens = apps.iter().filter_map(|(_, r)| r.as_ref().ok()?.as_ref());
    for token in vault.into_iter().chain(app_tokens) {
        distinct.entry(token.fingerprint()).or_insert(token);
    }
    stream::iter(distinct)
        .map(|(fp, token)| async move {
            let outcome = match vendors.heroku.validate(token).await {
                Validation::Valid { .. } => (Validity::Valid, None),
                Validation::Invalid => (
                    Validity::Invalid,
                    Some("rejected by GET /account (401)".to_owned()),
                ),
                Validation::Unknown(err) => (Validity::Unknown, Some(err.to_string())),
            };
            (fp, outcome)
        })
        .buffer_unordered(width)
        .collect()
        .await
}

fn vault_copy(vault: &Result<Option<VaultSecret>, VendorError>, checked: &Checked) -> Copy {
    match vault {
        Err(err) => Copy::unreadable(Store::Vault, err.to_string()),
        Ok(None) => absent(Store::Vault, Evidence::Read),
        Ok(Some(secret)) => {
            let fp = secret.secret_value.fingerprint();
            let verdict = checked
                .get(&fp)
                .cloned()
                .unwrap_or((Validity::Unknown, None));
            let updated_at = secret.updated_at.or(secret.created_at);
            Copy::vault_read(fp, Some(secret.version), updated_at, verdict)
        }
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

fn app_copy(app: &str, read: &Read, vault: Option<Fingerprint>, checked: &Checked) -> Copy {
    let store = Store::HerokuApp {
        app: app.to_owned(),
    };
    match read {
        Err(err) => Copy::unreadable(store, err.to_string()),
        Ok(None) => Copy {
            matches_vault: vault.map(|_| false),
            ..absent(store, Evidence::Read)
        },
        Ok(Some(token)) => {
            let fp = token.fingerprint();
            let verdict = checked
                .get(&fp)
                .cloned()
                .unwrap_or((Validity::Unknown, None));
            Copy::app_read(app, fp, vault, verdict)
        }
    }
}

/// GitHub's copy: metadata only.
async fn observe_github(vendors: &Vendors, name: &str) -> Copy {
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

/// The latest deploy run and, if it failed, whether a failed job's log names the token.
async fn observe_deploy(
    vendors: &Vendors,
    workflow: &str,
    name: &str,
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
    let invalid = run.failed() && failed_with_invalid_token(github, run.id, name).await;
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

/// True when a failed job of deploy run `run_id` logged that the token `name` is invalid
/// (the TUI's GitHub poller asks it once per failed run).
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

fn tokens(
    vault: Result<Option<VaultSecret>, VendorError>,
    apps: Vec<(String, Read)>,
    checked: &Checked,
) -> AuditTokens {
    AuditTokens {
        vault: vault.ok().flatten().map(|s| s.secret_value),
        apps: apps
            .into_iter()
            .filter_map(|(app, read)| Some((app, read.ok()??)))
            .collect(),
        valid: checked
            .iter()
            .filter(|(_, (v, _))| *v == Validity::Valid)
            .map(|(fp, _)| *fp)
            .collect(),
    }
}
