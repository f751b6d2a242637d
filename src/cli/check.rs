//! `keyturn check`: the non-interactive drift audit for a weekly scheduler.
//!
//! A table by default, `--json` for machines (schema in `docs/check-json.md`). Exit 0 in
//! sync, 1 drift, 2 could not tell or bad config. Only fingerprints are printed, and they
//! are keyed per run, so two runs' fingerprints never compare.
//!
//! `--probe` also dispatches the probe workflow once to prove what the write-only GitHub
//! secret holds; it costs one workflow run, so it runs only when asked.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::config::credentials::{self, CredentialEnv, Credentials};
use crate::drift::probe::{DEFAULT_INTERVAL, DEFAULT_TIMEOUT};
use crate::drift::{
    self, Audit, AuditOptions, Copy, Diagnosis, Evidence, ProbeReport, ProbeRequest,
    Recommendation, RotationAge, Snapshot,
};
use crate::sim::{Scenario, Sim, SimOptions};
use crate::vendors::{RateBudget, Vendor, Vendors};

use super::exit;
use super::probe::{ProgressLine, summary};

/// What `keyturn check` was asked for.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Print the JSON document instead of the table.
    pub json: bool,
    /// `--probe`: prove the GitHub copy with the probe workflow, waiting at most this long.
    pub probe: Option<Duration>,
    /// How often the probe's run is polled.
    pub probe_interval: Duration,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            json: false,
            probe: None,
            probe_interval: DEFAULT_INTERVAL,
        }
    }
}

impl CheckOptions {
    /// `--probe` with the default timeout.
    pub fn probing(json: bool) -> CheckOptions {
        CheckOptions {
            json,
            probe: Some(DEFAULT_TIMEOUT),
            ..CheckOptions::default()
        }
    }
}

/// The `--json` document's schema id; bump on any incompatible change.
pub const SCHEMA: &str = "keyturn.check/v1";

/// The `--json` document.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub schema: &'static str,
    pub exit_code: u8,
    pub diagnosis: &'a Diagnosis,
    pub recommendation: Recommendation,
    /// Age of the vault value against the 90-day cadence (added in v1).
    pub rotation: RotationAge,
    pub snapshot: &'a Snapshot,
    pub rate_limits: Vec<Budget>,
}

/// One vendor's remaining request budget.
#[derive(Debug, Serialize)]
pub struct Budget {
    pub vendor: Vendor,
    #[serde(flatten)]
    pub budget: RateBudget,
}

/// Runs the check against the configured stores, or against a fresh simulator.
pub fn check(explicit: Option<&Path>, options: &CheckOptions, sim: Option<Scenario>) -> u8 {
    if let Some(scenario) = sim {
        return match runtime() {
            Ok(rt) => rt.block_on(run_sim_with(scenario, options)),
            Err(err) => bad_input(&err),
        };
    }
    let env = CredentialEnv::from_process();
    let mut config = match Config::discover(explicit) {
        Ok(config) => config,
        Err(err) => return bad_input(&err),
    };
    if let Err(err) =
        config.apply_env_overrides(env.vars.get("INFISICAL_API_URL").map(String::as_str))
    {
        return bad_input(&err);
    }
    let creds = credentials::resolve(&env);
    match runtime() {
        Ok(rt) => rt.block_on(run_with(&config, &creds, options)),
        Err(err) => bad_input(&err),
    }
}

/// Starts the embedded simulator in `scenario` and audits it.
pub async fn run_sim(scenario: Scenario, json: bool) -> u8 {
    let options = CheckOptions {
        json,
        ..CheckOptions::default()
    };
    run_sim_with(scenario, &options).await
}

/// [`run_sim`] with every option; the simulator's runs finish in moments, so a probe
/// polls it quickly.
pub async fn run_sim_with(scenario: Scenario, options: &CheckOptions) -> u8 {
    let handle = match Sim::start(scenario, SimOptions::fast()).await {
        Ok(handle) => handle,
        Err(err) => return bad_input(&err),
    };
    let options = CheckOptions {
        probe_interval: Duration::from_millis(100),
        ..options.clone()
    };
    let code = run_with(&handle.config(), &handle.keyturn_credentials(), &options).await;
    handle.shutdown().await;
    code
}

/// A multi-threaded runtime for the audit's fan-out.
pub(crate) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn bad_input(err: &dyn std::fmt::Display) -> u8 {
    errln!("keyturn: {err}");
    exit::BAD_INPUT
}

/// Audits, prints the table or the JSON document, and returns the exit code.
pub async fn run(config: &Config, creds: &Credentials, json: bool) -> u8 {
    let options = CheckOptions {
        json,
        ..CheckOptions::default()
    };
    run_with(config, creds, &options).await
}

/// [`run`] with every option (`--probe`).
pub async fn run_with(config: &Config, creds: &Credentials, options: &CheckOptions) -> u8 {
    let vendors = match Vendors::connect(config, creds) {
        Ok(vendors) => vendors,
        Err(err) => return bad_input(&err),
    };
    let audit = match options.probe {
        None => drift::audit(&vendors, config, AuditOptions::default()).await,
        Some(timeout) => match probed_audit(&vendors, config, timeout, options).await {
            Ok(audit) => audit,
            Err(code) => return code,
        },
    };
    let code = audit.diagnosis.exit_code();
    if options.json {
        outln!("{}", render_json(&audit, &vendors));
    } else {
        out!("{}", render_table(&audit));
        outln!("{}", render_budgets(&vendors));
    }
    code
}

/// The audit with a probe of the GitHub copy, its progress on stderr; a probe that is not
/// configured is a config error (exit 2, no document).
async fn probed_audit(
    vendors: &Vendors,
    config: &Config,
    timeout: Duration,
    options: &CheckOptions,
) -> Result<Audit, u8> {
    let mut request = ProbeRequest::from_config(config, timeout).map_err(|e| bad_input(&e))?;
    request.interval = options.probe_interval;
    let progress = ProgressLine::new();
    let show = |stage: drift::ProbeStage| progress.show(&stage);
    let audit =
        drift::audit_with_probe(vendors, config, AuditOptions::default(), &request, &show).await;
    progress.finish();
    if let Some(ProbeReport::Failed(failure)) = &audit.snapshot.probe {
        errln!("keyturn: probe failed: {}", failure.message);
    }
    Ok(audit)
}

/// The `--json` document as text.
pub fn render_json(audit: &Audit, vendors: &Vendors) -> String {
    let report = Report {
        schema: SCHEMA,
        exit_code: audit.diagnosis.exit_code(),
        diagnosis: &audit.diagnosis,
        recommendation: audit.diagnosis.recommendation(),
        rotation: audit.snapshot.rotation_age(),
        snapshot: &audit.snapshot,
        rate_limits: vendors
            .rate_budgets()
            .into_iter()
            .map(|(vendor, budget)| Budget { vendor, budget })
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The human table: one line per copy, then the diagnosis and what to do.
pub fn render_table(audit: &Audit) -> String {
    let snap = &audit.snapshot;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:<9} {:<8} {:<8} {:<28} NOTE",
        "COPY", "FP", "MATCHES", "VALID", "VERSION / UPDATED"
    );
    for copy in snap.copies() {
        let _ = writeln!(out, "{}", row(copy, github_note(audit, copy).as_deref()));
    }
    if let Some(report) = &snap.probe {
        let _ = writeln!(out, "{}", summary(report));
    }
    if let Some(run) = &snap.deploy {
        let _ = writeln!(
            out,
            "deploy {} run {}: {} {}{}",
            run.workflow,
            run.run_id,
            run.status.as_deref().unwrap_or("?"),
            run.conclusion.as_deref().unwrap_or(""),
            if run.failed_with_invalid_token {
                " (invalid-token message)"
            } else {
                ""
            }
        );
    }
    let rec = audit.diagnosis.recommendation();
    let _ = writeln!(out, "\ndiagnosis: {}", audit.diagnosis.name());
    if let Some(runbook) = rec.runbook {
        let path = rec
            .path
            .map(|p| format!(" → {}", p.id()))
            .unwrap_or_default();
        let _ = writeln!(out, "runbook:   {runbook}{path}");
    }
    let _ = writeln!(out, "why:       {}", rec.why);
    let age = snap.rotation_age();
    if let (true, Some(days)) = (age.due, age.vault_age_days) {
        let _ = writeln!(
            out,
            "rotation:  DUE — the vault value is {days} days old (cadence {} days): run heroku-token-rotation",
            age.cadence_days
        );
    }
    let _ = writeln!(
        out,
        "audit took {} ms; fingerprints are valid for this run only",
        snap.elapsed_ms
    );
    out
}

/// One line with each vendor's remaining request budget, as last reported.
pub fn render_budgets(vendors: &Vendors) -> String {
    let parts: Vec<String> = vendors
        .rate_budgets()
        .into_iter()
        .map(|(vendor, b)| match (b.remaining, b.limit) {
            (Some(r), Some(l)) => format!("{vendor} {r}/{l}"),
            (Some(r), None) => format!("{vendor} {r} left"),
            _ => format!("{vendor} n/a"),
        })
        .collect();
    format!("rate budget: {}", parts.join(" · "))
}

/// The GitHub value is unreadable, so its row says what the diagnosis concluded about it
/// and on what evidence.
fn github_note(audit: &Audit, copy: &Copy) -> Option<String> {
    if copy.store != drift::Store::Github {
        return None;
    }
    let stale = match &audit.diagnosis {
        Diagnosis::GithubStale { .. } => true,
        Diagnosis::AppsStale { github_stale, .. } => *github_stale,
        _ => false,
    };
    let by_probe = copy.evidence == Some(Evidence::Probe);
    match (stale, by_probe, &audit.diagnosis) {
        (true, true, _) => Some("STALE (proven by probe)".to_owned()),
        (true, false, _) => Some("STALE (see diagnosis)".to_owned()),
        (false, true, _) => Some("proven by probe".to_owned()),
        (false, false, Diagnosis::InSync { .. }) => Some("unknown (no probe)".to_owned()),
        _ => None,
    }
}

fn row(copy: &Copy, extra: Option<&str>) -> String {
    let fp = copy
        .fingerprint
        .map_or_else(|| "-".to_owned(), |f| f.to_string());
    let matches = match copy.matches_vault {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "-",
    };
    let validity = format!("{:?}", copy.validity).to_lowercase();
    let when = match (copy.version, copy.updated_at) {
        (Some(v), Some(t)) => format!("v{v} · {}", t.format("%Y-%m-%d %H:%M")),
        (Some(v), None) => format!("v{v}"),
        (None, Some(t)) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        (None, None) => "-".to_owned(),
    };
    let note = extra.or(copy.error.as_deref()).unwrap_or("");
    format!(
        "{:<28} {fp:<9} {matches:<8} {validity:<8} {when:<28} {note}",
        copy.store.short()
    )
}
