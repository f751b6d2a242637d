//! What keyturn may say about the write-only GitHub copy, and on what evidence.
//!
//! A probe verdict is exact and decides alone. Without one there is only metadata: a
//! deploy that failed with the invalid-token message, a missing secret, or `updated_at`
//! older than the vault's current version. The last is a guess that goes wrong after an
//! inverse recovery (the vault gets a new version of the value GitHub held all along), so
//! timestamps never make the copy stale once a deploy that used it succeeded after that
//! version was written: the copy is then unknown (no probe), and keyturn says how to prove it.

use chrono::{DateTime, Utc};

use super::probe::{ProbeFailure, ProbeReport, ProbeVerdict};
use super::snapshot::{DeployRun, Snapshot, Validity};

/// How to turn a guess into proof.
const HOW_TO_PROVE: &str = "`keyturn check --probe` proves what it holds (one run of the probe workflow; `keyturn probe print` installs it)";

/// The probe's verdict, if a probe gave one.
pub(crate) fn proved(snapshot: &Snapshot) -> Option<&ProbeVerdict> {
    snapshot.probe.as_ref().and_then(ProbeReport::verdict)
}

/// The probe's failure, if a probe was asked for and failed.
pub(super) fn probe_failed(snapshot: &Snapshot) -> Option<&ProbeFailure> {
    match snapshot.probe.as_ref()? {
        ProbeReport::Failed(failure) => Some(failure),
        ProbeReport::Proved(_) => None,
    }
}

/// Why GitHub's copy is stale, if the evidence says it is.
pub fn stale(snapshot: &Snapshot) -> Option<String> {
    if let Some(verdict) = proved(snapshot) {
        return (verdict.matches_vault == Some(false)).then(|| probe_reason(verdict));
    }
    if failed_deploy_used_this_value(snapshot) {
        return Some(
            "the last deploy failed with the invalid-token message while the vault value validates"
                .to_owned(),
        );
    }
    if snapshot.github.absent {
        return Some("the GitHub secret does not exist".to_owned());
    }
    let (github, vault) = (snapshot.github.updated_at?, snapshot.vault.updated_at?);
    let deployed = deployed_since(snapshot, vault).and_then(|d| d.created_at);
    if !stale_on_timestamps(github, vault, deployed) {
        return None;
    }
    Some(format!(
        "the GitHub secret was last written {}, before the vault's current version ({}), and no deploy has succeeded with it since (timestamps only: {HOW_TO_PROVE})",
        github.to_rfc3339(),
        vault.to_rfc3339()
    ))
}

/// The timestamp rule on its own, for a caller without a [`Snapshot`] (the TUI's GitHub
/// panel), so every face says the same: the secret was written before the vault's current
/// version and no deploy has succeeded with it since (`deployed_ok_at`: when the latest
/// deploy was created, if it succeeded).
pub fn stale_on_timestamps(
    github_updated_at: DateTime<Utc>,
    vault_updated_at: DateTime<Utc>,
    deployed_ok_at: Option<DateTime<Utc>>,
) -> bool {
    github_updated_at < vault_updated_at && deployed_ok_at.is_none_or(|at| at < vault_updated_at)
}

fn probe_reason(verdict: &ProbeVerdict) -> String {
    let held = if verdict.empty {
        "the GitHub secret is empty where the workflow reads it".to_owned()
    } else {
        let account = verdict
            .account_status
            .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
        format!(
            "the GitHub secret holds another value than the vault (its GET /account: {account})"
        )
    };
    format!("{}: {held}", verdict.run_label())
}

/// The last deploy failed with the invalid-token message, and the secret has not been
/// written since it started: that failure was this value's (one from before the write
/// says nothing about the value written after it).
fn failed_deploy_used_this_value(snapshot: &Snapshot) -> bool {
    snapshot.deploy.as_ref().is_some_and(|d| {
        d.failed_with_invalid_token
            && match (d.created_at, snapshot.github.updated_at) {
                (Some(ran), Some(written)) => ran >= written,
                _ => true,
            }
    })
}

/// True when the copy is called stale on its timestamps alone (no probe verdict, no
/// failed deploy with this value, the secret exists): a guess, not a finding.
pub fn stale_on_timestamps_only(snapshot: &Snapshot) -> bool {
    proved(snapshot).is_none()
        && !failed_deploy_used_this_value(snapshot)
        && !snapshot.github.absent
        && stale(snapshot).is_some()
}

/// The latest deploy, when it succeeded and was created at or after `since`.
fn deployed_since(snapshot: &Snapshot, since: DateTime<Utc>) -> Option<&DeployRun> {
    snapshot.deploy.as_ref().filter(|d| {
        d.conclusion.as_deref() == Some("success") && d.created_at.is_some_and(|at| at >= since)
    })
}

/// When the copy is taken as current without proof: why, and how to prove it. `None`
/// when a probe proved it.
pub(super) fn unproven(snapshot: &Snapshot) -> Option<String> {
    if proved(snapshot).is_some() {
        return None;
    }
    let failed = probe_failed(snapshot)
        .map(|f| format!(" (the probe failed: {})", f.message))
        .unwrap_or_default();
    let github = snapshot.github.updated_at;
    let vault = snapshot.vault.updated_at;
    let why = match (github, vault) {
        (Some(g), Some(v)) if g < v => match deployed_since(snapshot, v) {
            Some(run) => format!(
                "the secret was last written {}, before the vault's current version ({}), but {} run {} succeeded with it after that version was written",
                g.to_rfc3339(),
                v.to_rfc3339(),
                run.workflow,
                run.run_id
            ),
            None => "its metadata disagrees with the vault".to_owned(),
        },
        (Some(g), _) => format!(
            "GitHub never shows the value; the secret was last written {}, not before the vault's current version",
            g.to_rfc3339()
        ),
        _ => "GitHub never shows the value".to_owned(),
    };
    Some(format!(
        "GitHub's copy is unknown (no probe){failed}: {why}; {HOW_TO_PROVE}"
    ))
}

/// A probe that saw the vault's value but a different `GET /account` answer than keyturn's
/// own: a token revoked in between, or something else odd. Nothing is concluded from it.
pub(super) fn contradiction(snapshot: &Snapshot) -> Option<String> {
    let verdict = proved(snapshot)?;
    let odd = verdict.matches_vault == Some(true)
        && verdict.validity == Validity::Invalid
        && snapshot.vault.validity == Validity::Valid;
    odd.then(|| {
        format!(
            "{} saw the vault's value in the GitHub secret, but its GET /account answered 401 while keyturn's answered 200; probe again",
            verdict.run_label()
        )
    })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::drift::probe::{ProbeNonce, ProbeVerdict};
    use crate::drift::snapshot::{Copy, Evidence, Store};
    use crate::drift::{Diagnosis, diagnose};

    #[test]
    fn timestamps_alone_need_no_deploy_since() {
        let vault = Utc::now();
        let older = vault - Duration::days(3);
        assert!(stale_on_timestamps(older, vault, None));
        assert!(stale_on_timestamps(
            older,
            vault,
            Some(vault - Duration::hours(1))
        ));
        assert!(!stale_on_timestamps(
            older,
            vault,
            Some(vault + Duration::hours(1))
        ));
        assert!(!stale_on_timestamps(vault, vault, None));
    }

    fn snapshot(probe: Option<ProbeReport>) -> Snapshot {
        let copy = |store| Copy {
            evidence: Some(Evidence::Read),
            validity: Validity::Valid,
            matches_vault: Some(true),
            error: None,
            updated_at: Some(Utc::now()),
            ..Copy::unreadable(store, String::new())
        };
        Snapshot {
            secret: "HEROKU_API_KEY".into(),
            taken_at: Utc::now(),
            elapsed_ms: 1,
            vault: copy(Store::Vault),
            github: Copy {
                updated_at: Some(Utc::now() - Duration::days(9)),
                ..copy(Store::Github)
            },
            apps: vec![],
            deploy: None,
            deploy_error: None,
            probe,
        }
    }

    fn verdict(matches: bool, account: u16) -> ProbeReport {
        ProbeReport::Proved(ProbeVerdict {
            workflow: "keyturn-probe.yml".into(),
            nonce: ProbeNonce::fresh(),
            run_id: 7,
            html_url: Some("https://github.example/r/actions/runs/7".into()),
            matches_vault: Some(matches),
            validity: if account == 200 {
                Validity::Valid
            } else {
                Validity::Invalid
            },
            account_status: Some(account),
            empty: false,
            probed_at: Utc::now(),
        })
    }

    #[test]
    fn the_probe_decides_over_timestamps() {
        assert!(matches!(
            diagnose(&snapshot(None)),
            Diagnosis::GithubStale { .. }
        ));
        let proven = diagnose(&snapshot(Some(verdict(true, 200))));
        assert_eq!(
            proven,
            Diagnosis::InSync {
                github_unproven: None
            }
        );
        let Diagnosis::GithubStale { reason } = diagnose(&snapshot(Some(verdict(false, 401))))
        else {
            panic!()
        };
        assert!(
            reason.contains("probe run 7 (https://github.example/r/actions/runs/7)"),
            "{reason}"
        );
    }

    fn failed_deploy(created_at: DateTime<Utc>) -> DeployRun {
        DeployRun {
            workflow: "deploy.yml".into(),
            run_id: 3,
            status: Some("completed".into()),
            conclusion: Some("failure".into()),
            created_at: Some(created_at),
            html_url: None,
            failed_with_invalid_token: true,
        }
    }

    #[test]
    fn a_deploy_that_failed_before_the_secret_was_written_again_proves_nothing() {
        let mut s = snapshot(None);
        s.github.updated_at = Some(Utc::now());
        s.vault.updated_at = Some(Utc::now() - Duration::days(2));
        s.deploy = Some(failed_deploy(Utc::now() - Duration::hours(1)));
        assert_eq!(stale(&s), None, "the write came after the failed deploy");
        s.deploy = Some(failed_deploy(Utc::now() + Duration::minutes(1)));
        assert!(
            stale(&s).is_some(),
            "a failure with the current value counts"
        );
        assert!(!stale_on_timestamps_only(&s));
    }

    #[test]
    fn a_copy_older_than_the_vault_is_stale_on_timestamps_only() {
        let s = snapshot(None);
        assert!(stale_on_timestamps_only(&s));
        assert!(!stale_on_timestamps_only(&snapshot(Some(verdict(
            false, 200
        )))));
    }

    #[test]
    fn a_probe_contradicting_keyturns_own_validation_concludes_nothing() {
        let diagnosis = diagnose(&snapshot(Some(verdict(true, 401))));
        assert!(
            matches!(&diagnosis, Diagnosis::Unknown { store, why } if store == "github" && why.contains("probe again")),
            "{diagnosis:?}"
        );
        assert_eq!(diagnosis.exit_code(), 2);
    }
}
