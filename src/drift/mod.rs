//! The drift audit: observe every copy concurrently, validate each distinct value once,
//! and diagnose.
//!
//! Latency is bounded by the dependent round trips (read → validate, and run → jobs →
//! logs for a failed deploy), not by the number of apps: app reads and validations fan out
//! with bounded concurrency (`buffer_unordered`) so a 200-app account stays well inside
//! Heroku's 4500-request budget while finishing in a few round trips.

pub mod diagnosis;
pub mod github_copy;
pub mod observe;
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
            observe::vault(vendors, name),
            read_apps(vendors, config.heroku.apps.names(), name, width)
        );
        let checked = validate_all(vendors, vault_token(&vault), &apps, width).await;
        (vault, apps, checked)
    };
    let logs = observe::DeployLogs::default();
    let ((vault, apps, checked), github, deploy) = tokio::join!(
        values,
        observe::github(vendors, name),
        observe::deploy(vendors, &config.github.deploy_workflow, name, &logs)
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

/// Reads every app's config var, `width` at a time, back in config order.
async fn read_apps(
    vendors: &Vendors,
    apps: &[String],
    name: &str,
    width: usize,
) -> Vec<(String, Read)> {
    let mut reads: Vec<(usize, String, Read)> = stream::iter(apps.iter().enumerate())
        .map(|(i, app)| async move { (i, app.clone(), observe::app(vendors, app, name).await) })
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

pub(crate) use observe::absent;

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

pub use observe::failed_with_invalid_token;

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
