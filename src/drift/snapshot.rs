//! What one audit saw of every copy. Serializable: it holds fingerprints, never values;
//! the values themselves travel separately in [`super::AuditTokens`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::probe::ProbeReport;
use crate::secret::Fingerprint;

pub use crate::store::{Evidence, Store, Validity};

/// One copy as observed.
#[derive(Debug, Clone, Serialize)]
pub struct Copy {
    pub store: Store,
    /// `None` when the value is unreadable (GitHub) or absent or the read failed.
    pub fingerprint: Option<Fingerprint>,
    /// `None` when either side is unknown.
    pub matches_vault: Option<bool>,
    pub validity: Validity,
    /// The vault's version number (vault only).
    pub version: Option<u64>,
    /// When the copy last changed, where the store says (vault, GitHub).
    pub updated_at: Option<DateTime<Utc>>,
    /// Why the copy could not be read or validated; `None` when all went well.
    pub error: Option<String>,
    /// True when the read succeeded but the key is not there.
    pub absent: bool,
    /// How `matches_vault` and `validity` are known; `None` when the store was not read.
    pub evidence: Option<Evidence>,
}

impl Copy {
    /// A copy whose read failed with `error`.
    pub fn unreadable(store: Store, error: String) -> Copy {
        Copy {
            store,
            fingerprint: None,
            matches_vault: None,
            validity: Validity::Unknown,
            version: None,
            updated_at: None,
            error: Some(error),
            absent: false,
            evidence: None,
        }
    }

    /// The vault's copy, read: the source of truth, so it matches itself.
    pub fn vault_read(
        fingerprint: Fingerprint,
        version: Option<u64>,
        updated_at: Option<DateTime<Utc>>,
        (validity, error): (Validity, Option<String>),
    ) -> Copy {
        Copy {
            store: Store::Vault,
            fingerprint: Some(fingerprint),
            matches_vault: Some(true),
            validity,
            version,
            updated_at,
            error,
            absent: false,
            evidence: Some(Evidence::Read),
        }
    }

    /// A Heroku app's config var, read: compared with the vault's fingerprint (`None`
    /// when the vault's is unknown) and judged by what validation said.
    pub fn app_read(
        app: &str,
        fingerprint: Fingerprint,
        vault: Option<Fingerprint>,
        (validity, error): (Validity, Option<String>),
    ) -> Copy {
        Copy {
            store: Store::HerokuApp {
                app: app.to_owned(),
            },
            fingerprint: Some(fingerprint),
            matches_vault: vault.map(|v| v == fingerprint),
            validity,
            version: None,
            updated_at: None,
            error,
            absent: false,
            evidence: Some(Evidence::Read),
        }
    }

    /// True when the store could not be read at all.
    pub fn is_unreadable(&self) -> bool {
        self.error.is_some() && self.fingerprint.is_none() && !self.absent
    }
}

/// The latest run of the deploy workflow.
#[derive(Debug, Clone, Serialize)]
pub struct DeployRun {
    pub workflow: String,
    pub run_id: u64,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub html_url: Option<String>,
    /// True when a failed job's log carries the "token … is invalid" message.
    pub failed_with_invalid_token: bool,
}

/// Everything one audit observed.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub secret: String,
    pub taken_at: DateTime<Utc>,
    pub elapsed_ms: u64,
    pub vault: Copy,
    pub github: Copy,
    pub apps: Vec<Copy>,
    /// `None` when there is no run yet or GitHub could not be asked.
    pub deploy: Option<DeployRun>,
    /// Why the deploy run could not be read, if it could not.
    pub deploy_error: Option<String>,
    /// What a probe of the GitHub copy found; `None` when none was asked for.
    pub probe: Option<ProbeReport>,
}

impl Snapshot {
    /// Every copy: vault, GitHub, then the apps in config order.
    pub fn copies(&self) -> impl Iterator<Item = &Copy> {
        [&self.vault, &self.github].into_iter().chain(&self.apps)
    }
}

/// The SOP's scheduled cadence: rotate every 90 days.
pub const ROTATION_CADENCE_DAYS: i64 = 90;

/// How old the vault's current value is, against the rotation cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RotationAge {
    /// Whole days since the vault's current version was written; null when unknown.
    pub vault_age_days: Option<i64>,
    pub cadence_days: i64,
    /// True when the value is older than the cadence: run the rotation runbook.
    pub due: bool,
}

impl Snapshot {
    /// Age of the vault's current value at the time of the snapshot.
    pub fn rotation_age(&self) -> RotationAge {
        let age = self
            .vault
            .updated_at
            .map(|at| (self.taken_at - at).num_days());
        RotationAge {
            vault_age_days: age,
            cadence_days: ROTATION_CADENCE_DAYS,
            due: age.is_some_and(|days| days > ROTATION_CADENCE_DAYS),
        }
    }
}
