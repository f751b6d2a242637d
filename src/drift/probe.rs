//! The GitHub probe: proof of what the write-only Actions secret holds.
//!
//! GitHub never returns a secret's value, so without a probe keyturn can only judge the
//! GitHub copy by timestamps and the last deploy, and that guess is wrong after an inverse
//! recovery. The probe workflow (`keyturn probe print`) prints the HMAC of the value under
//! a fresh nonce and the status `GET /account` gives it; keyturn compares the HMAC with its
//! own over the vault's value. The nonce (128 random bits, new per probe) ties the line to
//! this dispatch, so an old run's line never passes for a new probe.
//!
//! For callers (the TUI's key, drift recovery's verify step, the postmortem):
//! [`probe`] does the I/O and gives a [`ProbeOutcome`]; [`super::Audit::apply_probe`] folds
//! it into an audit (the GitHub copy gets exact `matches_vault`/`validity`, evidence
//! `probe`, and the diagnosis follows); [`ProbeReading::verdict`] is the pure comparison
//! for a caller that holds the vault token itself; [`ProbeReport`] is the serializable
//! record (journal, `check --json`, postmortem).

mod error;
mod line;
mod run;

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};

pub use error::ProbeError;
pub use line::{Found, ProbeLine, find as find_line, is_nonce};
pub use run::{Progress, probe};

use super::snapshot::{Evidence, Validity};
use super::{Audit, diagnose};
use crate::config::Config;
use crate::secret::Token;
use crate::vendors::github::WatchStop;

/// How long a probe may take by default: a hosted runner usually starts within a minute.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How often the run is polled against real GitHub.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3);

/// A fresh 128-bit random nonce, as 32 lowercase hex digits (the workflow checks the form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProbeNonce(String);

impl ProbeNonce {
    /// 16 bytes from the OS generator.
    pub fn fresh() -> ProbeNonce {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let hex = bytes.iter().fold(String::with_capacity(32), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        });
        ProbeNonce(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What to probe and how long to wait.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    /// The workflow file (`keyturn-probe.yml`) or id.
    pub workflow: String,
    /// The branch dispatched on; it must hold the workflow file.
    pub git_ref: String,
    /// Where a person sees the workflow's runs, for errors without a run yet.
    pub runs_url: String,
    /// The whole probe: dispatch, queue, run, log.
    pub timeout: Duration,
    pub interval: Duration,
    /// Stops the wait from another task (the TUI's abort); the run goes on on GitHub.
    pub stop: Option<WatchStop>,
}

impl ProbeRequest {
    /// The configured probe (`[github] probe_workflow`), or why there is none.
    pub fn from_config(config: &Config, timeout: Duration) -> Result<ProbeRequest, ProbeError> {
        let gh = &config.github;
        let workflow = gh.probe_workflow.clone().ok_or(ProbeError::NotConfigured)?;
        let web = gh.web_url.as_str().trim_end_matches('/');
        Ok(ProbeRequest {
            runs_url: format!("{web}/{}/actions/workflows/{workflow}", gh.repo),
            workflow,
            git_ref: gh.probe_ref.clone(),
            timeout,
            interval: DEFAULT_INTERVAL,
            stop: None,
        })
    }
}

/// Where a probe is, for a progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeStage {
    /// GitHub accepted the dispatch.
    Dispatched { workflow: String },
    /// The run is known.
    Found {
        run_id: u64,
        html_url: Option<String>,
    },
    /// Still waiting for the run to finish (about once a second).
    Waiting {
        run_id: u64,
        elapsed: Duration,
        timeout: Duration,
    },
    /// The run finished; its log is being read.
    ReadingLog { run_id: u64 },
}

impl std::fmt::Display for ProbeStage {
    /// The stage as every face says it (after `probe: ` on the CLI, in the GitHub panel).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeStage::Dispatched { workflow } => write!(
                f,
                "dispatched {workflow} (costs one workflow run); finding its run"
            ),
            ProbeStage::Found { run_id, html_url } => match html_url {
                Some(url) => write!(f, "run {run_id} {url}"),
                None => write!(f, "run {run_id}"),
            },
            ProbeStage::Waiting {
                run_id,
                elapsed,
                timeout,
            } => write!(
                f,
                "run {run_id} running, {} s of at most {} s",
                elapsed.as_secs(),
                timeout.as_secs()
            ),
            ProbeStage::ReadingLog { run_id } => {
                write!(f, "run {run_id} finished; reading its log")
            }
        }
    }
}

/// One probe's result, with the workflow it ran.
#[derive(Debug)]
pub struct ProbeOutcome {
    pub workflow: String,
    pub result: Result<ProbeReading, ProbeError>,
}

/// The line this probe's run printed, before any comparison.
#[derive(Debug, Clone)]
pub struct ProbeReading {
    pub workflow: String,
    pub nonce: ProbeNonce,
    pub run_id: u64,
    pub html_url: Option<String>,
    pub line: ProbeLine,
    pub at: DateTime<Utc>,
}

impl ProbeReading {
    /// True when the GitHub secret holds exactly `token`'s value.
    pub fn holds(&self, token: &Token) -> bool {
        self.line
            .fp
            .is_some_and(|fp| token.matches_probe(self.nonce.as_str(), &fp))
    }

    /// The comparison with the vault's value (`None`: the vault could not be read).
    pub fn verdict(&self, vault: Option<&Token>) -> ProbeVerdict {
        ProbeVerdict {
            workflow: self.workflow.clone(),
            nonce: self.nonce.clone(),
            run_id: self.run_id,
            html_url: self.html_url.clone(),
            matches_vault: vault.map(|v| self.holds(v)),
            validity: match self.line.account {
                Some(200) => Validity::Valid,
                Some(401) => Validity::Invalid,
                _ => Validity::Unknown,
            },
            account_status: self.line.account,
            empty: self.line.fp.is_none(),
            probed_at: self.at,
        }
    }
}

/// What a probe proved about the GitHub copy. Serializable (and journaled): it holds no
/// value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeVerdict {
    pub workflow: String,
    pub nonce: ProbeNonce,
    pub run_id: u64,
    pub html_url: Option<String>,
    /// Exact: the HMAC under the nonce equals the vault value's. `None`: vault unreadable.
    pub matches_vault: Option<bool>,
    /// From the probe's `GET /account`: 200 valid, 401 invalid, anything else unknown.
    pub validity: Validity,
    /// That status (`0`: the runner got no answer); `None` when not asked (empty secret).
    pub account_status: Option<u16>,
    /// The secret is not set (or empty) where the workflow reads it.
    pub empty: bool,
    pub probed_at: DateTime<Utc>,
}

impl ProbeVerdict {
    /// `probe run N (url)`, for reasons and notes.
    pub fn run_label(&self) -> String {
        match &self.html_url {
            Some(url) => format!("probe run {} ({url})", self.run_id),
            None => format!("probe run {}", self.run_id),
        }
    }
}

/// Why a probe proved nothing, as recorded. Serializable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeFailure {
    pub workflow: String,
    /// [`ProbeError::kind`]: `workflow-missing`, `timeout`, `nonce-not-found`, …
    pub kind: &'static str,
    pub message: String,
    pub run_id: Option<u64>,
    pub html_url: Option<String>,
}

impl ProbeFailure {
    pub fn new(workflow: &str, err: &ProbeError) -> ProbeFailure {
        let run = err.run();
        ProbeFailure {
            workflow: workflow.to_owned(),
            kind: err.kind(),
            message: err.to_string(),
            run_id: run.map(|(id, _)| id),
            html_url: run.and_then(|(_, url)| url.map(str::to_owned)),
        }
    }
}

/// A probe as recorded in a snapshot (`snapshot.probe` in `check --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum ProbeReport {
    /// The run printed this nonce's line.
    Proved(ProbeVerdict),
    /// No verdict; the GitHub copy is judged by its metadata.
    Failed(ProbeFailure),
}

impl ProbeReport {
    /// The verdict, when the probe gave one.
    pub fn verdict(&self) -> Option<&ProbeVerdict> {
        match self {
            ProbeReport::Proved(v) => Some(v),
            ProbeReport::Failed(_) => None,
        }
    }
}

impl Audit {
    /// Folds a probe into this audit: with a verdict the GitHub copy gets exact
    /// `matches_vault` and `validity` (evidence `probe`, the fingerprint of the copy it
    /// equals, if keyturn holds that value); either way `snapshot.probe` records it and
    /// the diagnosis is made again.
    pub fn apply_probe(&mut self, outcome: &ProbeOutcome) {
        let report = match &outcome.result {
            Ok(reading) => {
                let verdict = reading.verdict(self.tokens.vault.as_ref());
                self.prove_github(reading, &verdict);
                ProbeReport::Proved(verdict)
            }
            Err(err) => ProbeReport::Failed(ProbeFailure::new(&outcome.workflow, err)),
        };
        self.snapshot.probe = Some(report);
        self.diagnosis = diagnose(&self.snapshot);
    }

    fn prove_github(&mut self, reading: &ProbeReading, verdict: &ProbeVerdict) {
        let known = self.tokens.vault.iter().chain(self.tokens.apps.values());
        let same = known.into_iter().find(|t| reading.holds(t));
        let github = &mut self.snapshot.github;
        github.fingerprint = same.map(Token::fingerprint);
        github.matches_vault = verdict.matches_vault;
        github.validity = verdict.validity;
        github.evidence = Some(Evidence::Probe);
        github.error = None;
    }
}
