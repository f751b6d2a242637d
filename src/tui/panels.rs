//! What the status panels show: one reading per store, each with the time it was taken so
//! the screen can always say how fresh it is. Token-free: fingerprints, never values.

use chrono::{DateTime, Utc};

use crate::drift::Validity;
use crate::secret::Fingerprint;
use crate::vendors::RateBudget;

/// A store the panels watch; each has its own poller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoreId {
    Vault,
    Github,
    /// The Heroku app at this index of `heroku.apps`.
    App(usize),
}

/// One panel's data: the explicit states of a background read.
#[derive(Debug, Clone, PartialEq)]
pub enum Panel<T> {
    /// Never asked yet.
    Idle,
    /// The first read is under way.
    Loading,
    /// The last read succeeded at `at`.
    Loaded { value: T, at: DateTime<Utc> },
    /// The last read failed at `at`; `last` is the previous good reading, kept visible.
    Failed {
        error: String,
        at: DateTime<Utc>,
        last: Option<Box<T>>,
    },
}

impl<T> Panel<T> {
    /// The freshest good reading, even if a later read failed.
    pub fn value(&self) -> Option<&T> {
        match self {
            Panel::Loaded { value, .. } => Some(value),
            Panel::Failed { last, .. } => last.as_deref(),
            Panel::Idle | Panel::Loading => None,
        }
    }

    /// A read began: `Idle` becomes `Loading`; a shown reading stays shown.
    pub fn start(&mut self) {
        if matches!(self, Panel::Idle) {
            *self = Panel::Loading;
        }
    }

    /// Applies a poll result: latest wins; a failure keeps the last good value visible. The
    /// error (vendor words, already redacted where it was made) is redacted again here,
    /// where every panel's text enters the screen.
    pub fn update(&mut self, result: Result<T, String>, at: DateTime<Utc>) {
        let next = match result {
            Ok(value) => Panel::Loaded { value, at },
            Err(error) => {
                let error = crate::redact::redact(&error).into_owned();
                let last = match std::mem::replace(self, Panel::Idle) {
                    Panel::Loaded { value, .. } => Some(Box::new(value)),
                    Panel::Failed { last, .. } => last,
                    Panel::Idle | Panel::Loading => None,
                };
                Panel::Failed { error, at, last }
            }
        };
        *self = next;
    }
}

/// What `GET /account` said of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    Valid { email: String },
    Invalid,
    Unknown(String),
}

impl Account {
    /// The drift audit's three-way verdict.
    pub fn validity(&self) -> Validity {
        match self {
            Account::Valid { .. } => Validity::Valid,
            Account::Invalid => Validity::Invalid,
            Account::Unknown(_) => Validity::Unknown,
        }
    }
}

/// The vault's copy (source of truth).
#[derive(Debug, Clone, PartialEq)]
pub struct VaultReading {
    /// `None` when the key is not in the vault.
    pub fingerprint: Option<Fingerprint>,
    pub version: Option<u64>,
    pub updated_at: Option<DateTime<Utc>>,
    pub account: Option<Account>,
}

/// GitHub's copy: write-only, so metadata and the last deploy run.
#[derive(Debug, Clone, PartialEq)]
pub struct GithubReading {
    /// `None` when the secret does not exist.
    pub updated_at: Option<DateTime<Utc>>,
    pub deploy: Option<DeployReading>,
}

/// The latest run of the deploy workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployReading {
    pub run_id: u64,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// True when a failed job's log says the token is invalid (read once per failed run).
    pub failed_with_invalid_token: bool,
}

/// One Heroku app's config var.
#[derive(Debug, Clone, PartialEq)]
pub struct AppReading {
    /// `None` when the config var is not set.
    pub fingerprint: Option<Fingerprint>,
    pub account: Option<Account>,
}

/// The GitHub copy's probe, asked for with the probe key: never on a timer (one workflow
/// run each).
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeShown {
    /// Under way: where it is.
    Running { stage: String },
    /// Done at `at`, compared with the vault value whose fingerprint is `vault`, while
    /// GitHub's secret was last written at `github_written`.
    Done {
        report: crate::drift::ProbeReport,
        vault: Option<Fingerprint>,
        github_written: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    },
}

/// Every panel plus the rate-limit budgets the last responses reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Panels {
    pub vault: Panel<VaultReading>,
    pub github: Panel<GithubReading>,
    /// In config order.
    pub apps: Vec<(String, Panel<AppReading>)>,
    pub heroku_rate: RateBudget,
    pub github_rate: Option<RateBudget>,
    /// False when no GitHub credential is configured.
    pub github_configured: bool,
    /// The last probe of GitHub's copy, if one was asked for.
    pub probe: Option<ProbeShown>,
}

impl Panels {
    /// Every panel idle, for `apps`.
    pub fn new(apps: &[String], github_configured: bool) -> Panels {
        Panels {
            vault: Panel::Idle,
            github: Panel::Idle,
            apps: apps.iter().map(|a| (a.clone(), Panel::Idle)).collect(),
            heroku_rate: RateBudget::default(),
            github_rate: None,
            github_configured,
            probe: None,
        }
    }

    /// Marks a store as loading if it has nothing to show yet.
    pub fn loading(&mut self, store: StoreId) {
        match store {
            StoreId::Vault => self.vault.start(),
            StoreId::Github => self.github.start(),
            StoreId::App(i) => {
                if let Some((_, panel)) = self.apps.get_mut(i) {
                    panel.start();
                }
            }
        }
    }

    /// The vault's fingerprint as last read.
    pub fn vault_fingerprint(&self) -> Option<Fingerprint> {
        self.vault.value().and_then(|v| v.fingerprint)
    }

    /// True when every app matches the vault and the vault validates (GitHub cannot be read).
    pub fn apps_in_sync(&self) -> Option<bool> {
        let vault = self.vault_fingerprint()?;
        let mut all = true;
        for (_, panel) in &self.apps {
            all &= panel.value()?.fingerprint == Some(vault);
        }
        Some(all)
    }
}

/// One poller's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    Vault(Result<VaultReading, String>),
    Github(Result<GithubReading, String>),
    App(usize, Result<AppReading, String>),
}

impl Panels {
    /// The probe's verdict while it still speaks of the copies on screen: the vault holds
    /// the value it was compared with and GitHub's secret was not written after it ran.
    pub fn probe_verdict(&self) -> Option<&crate::drift::ProbeVerdict> {
        let Some(ProbeShown::Done {
            report,
            vault,
            github_written,
            ..
        }) = &self.probe
        else {
            return None;
        };
        let verdict = report.verdict()?;
        // GitHub's `updated_at` has whole seconds: only "the same write" is safe to compare.
        let written = self.github.value().and_then(|g| g.updated_at);
        let current = *vault == self.vault_fingerprint() && written == *github_written;
        current.then_some(verdict)
    }

    /// Applies a reading taken at `at`.
    pub fn apply(&mut self, reading: Reading, at: DateTime<Utc>) {
        match reading {
            Reading::Vault(r) => self.vault.update(r, at),
            Reading::Github(r) => self.github.update(r, at),
            Reading::App(i, r) => {
                if let Some((_, panel)) = self.apps.get_mut(i) {
                    panel.update(r, at);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_keeps_the_last_good_reading_visible() {
        let mut panel: Panel<u32> = Panel::Loading;
        let now = Utc::now();
        panel.update(Ok(7), now);
        panel.update(Err("HTTP 503".into()), now);
        assert_eq!(panel.value(), Some(&7));
        panel.update(Err("again".into()), now);
        assert_eq!(panel.value(), Some(&7));
        panel.update(Ok(8), now);
        assert_eq!(panel, Panel::Loaded { value: 8, at: now });
    }
}
