//! What the panels' newest readings say, judged by the drift audit's own rules: the
//! readings become a [`Snapshot`] and [`crate::drift::diagnose`] decides, so the footer's
//! diagnosis, the GitHub panel's STALE and `keyturn check` never disagree about the same
//! facts. The engine's first audit is only the session's starting point.

use chrono::{DateTime, Utc};

use super::panels::{Account, AppReading, GithubReading, Panel, Panels, VaultReading};
use crate::drift::absent;
use crate::drift::{Copy, DeployRun, Diagnosis, Snapshot, Store};
use crate::store::{Evidence, Validity};

/// The drift audit's view of the panels, once every panel has a reading to show (a failed
/// re-read keeps its last good one, as on screen); `None` while any is still unread.
pub fn snapshot(
    panels: &Panels,
    secret: &str,
    workflow: &str,
    now: DateTime<Utc>,
) -> Option<Snapshot> {
    let vault = panels.vault.value()?;
    let vault_fp = vault.fingerprint;
    let github = if panels.github_configured {
        Some(panels.github.value()?)
    } else {
        None
    };
    let mut apps = Vec::with_capacity(panels.apps.len());
    for (name, panel) in &panels.apps {
        apps.push(app_copy(name, panel.value()?, vault_fp));
    }
    let (mut github_copy, deploy) = match github {
        Some(reading) => (github_copy(reading), deploy(reading, workflow)),
        None => (
            Copy::unreadable(
                Store::Github,
                "no GitHub credential (set GH_TOKEN)".to_owned(),
            ),
            None,
        ),
    };
    // A probe that still speaks of these copies decides about GitHub's, exactly.
    let probe = panels.probe_verdict().map(|verdict| {
        github_copy.matches_vault = verdict.matches_vault;
        github_copy.validity = verdict.validity;
        github_copy.evidence = Some(Evidence::Probe);
        github_copy.fingerprint = vault_fp.filter(|_| verdict.matches_vault == Some(true));
        crate::drift::ProbeReport::Proved(verdict.clone())
    });
    Some(Snapshot {
        secret: secret.to_owned(),
        taken_at: now,
        elapsed_ms: 0,
        vault: vault_copy(vault),
        github: github_copy,
        apps,
        deploy,
        deploy_error: None,
        probe,
    })
}

/// The diagnosis of the panels' newest readings.
pub fn diagnosis(
    panels: &Panels,
    secret: &str,
    workflow: &str,
    now: DateTime<Utc>,
) -> Option<Diagnosis> {
    snapshot(panels, secret, workflow, now).map(|s| crate::drift::diagnose(&s))
}

/// Why the GitHub copy is stale by the audit's rules, if it is.
pub fn github_stale(
    panels: &Panels,
    secret: &str,
    workflow: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    crate::drift::github_copy::stale(&snapshot(panels, secret, workflow, now)?)
}

/// The verdict and, where it is not "valid", why (as the drift audit words it).
fn validity(account: Option<&Account>) -> (Validity, Option<String>) {
    let validity = account.map_or(Validity::Unknown, Account::validity);
    let why = match account {
        Some(Account::Invalid) => Some("rejected by GET /account (401)".to_owned()),
        Some(Account::Unknown(why)) => Some(why.clone()),
        _ => None,
    };
    (validity, why)
}

fn vault_copy(reading: &VaultReading) -> Copy {
    let Some(fp) = reading.fingerprint else {
        return absent(Store::Vault, Evidence::Read);
    };
    let verdict = validity(reading.account.as_ref());
    Copy::vault_read(fp, reading.version, reading.updated_at, verdict)
}

fn app_copy(name: &str, reading: &AppReading, vault: Option<crate::secret::Fingerprint>) -> Copy {
    let store = Store::HerokuApp {
        app: name.to_owned(),
    };
    let Some(fp) = reading.fingerprint else {
        return Copy {
            matches_vault: vault.map(|_| false),
            ..absent(store, Evidence::Read)
        };
    };
    Copy::app_read(name, fp, vault, validity(reading.account.as_ref()))
}

fn github_copy(reading: &GithubReading) -> Copy {
    match reading.updated_at {
        None => absent(Store::Github, Evidence::Metadata),
        Some(at) => Copy {
            updated_at: Some(at),
            error: None,
            evidence: Some(Evidence::Metadata),
            ..Copy::unreadable(Store::Github, String::new())
        },
    }
}

fn deploy(reading: &GithubReading, workflow: &str) -> Option<DeployRun> {
    let run = reading.deploy.as_ref()?;
    Some(DeployRun {
        workflow: workflow.to_owned(),
        run_id: run.run_id,
        status: run.status.clone(),
        conclusion: run.conclusion.clone(),
        created_at: run.created_at,
        html_url: None,
        failed_with_invalid_token: run.failed_with_invalid_token,
    })
}

/// Whether a panel has something to judge (used by the footer's "reading…").
pub fn all_read(panels: &Panels) -> bool {
    fn read<T>(p: &Panel<T>) -> bool {
        p.value().is_some()
    }
    read(&panels.vault)
        && (!panels.github_configured || read(&panels.github))
        && panels.apps.iter().all(|(_, p)| read(p))
}
