//! From a [`Snapshot`] to one [`Diagnosis`] and the runbook path that fixes it.
//!
//! Order matters: an unreadable vault means we cannot tell anything; a dead vault with a
//! live copy means the inverse path; otherwise stale apps and a stale GitHub copy are
//! reported against the (valid) vault. What counts as evidence about the write-only GitHub
//! copy is in [`super::github_copy`].

use serde::Serialize;

use super::github_copy;
use super::snapshot::{Copy, Snapshot, Store, Validity};

/// The drift-recovery runbook's name.
pub const RECOVERY: &str = "heroku-key-drift-recovery";
/// The rotation runbook's name.
pub const ROTATION: &str = "heroku-token-rotation";

/// What is wrong, if anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Diagnosis {
    /// Every readable copy matches the valid vault, and nothing says GitHub's does not.
    InSync {
        /// Set when GitHub's copy was not proven by a probe: on what it is taken as
        /// current, and how to prove it. `None`: a probe proved it.
        github_unproven: Option<String>,
    },
    /// The vault validates; a probe saw another value in GitHub's copy, or (without a
    /// probe) the last deploy failed with the invalid-token message, the secret is missing,
    /// or it is older than the vault and no deploy has succeeded with it since.
    GithubStale { reason: String },
    /// The vault validates; these apps hold another value (or none).
    AppsStale {
        apps: Vec<String>,
        github_stale: bool,
    },
    /// The vault's value is rejected (401) while a live app's value is valid.
    VaultStale { valid_app: String },
    /// No copy validates: mint a new token.
    NothingValid,
    /// A store could not be read or the validation failed: we cannot tell.
    Unknown { store: String, why: String },
}

/// Which diagnosis, without its details: what events, conditions and faces compare.
/// Serialized as the names runbook conditions use (`diagnosis == "github-stale"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosisKind {
    InSync,
    GithubStale,
    AppsStale,
    VaultStale,
    NothingValid,
    Unknown,
}

impl DiagnosisKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [DiagnosisKind; 6] = [
        DiagnosisKind::InSync,
        DiagnosisKind::GithubStale,
        DiagnosisKind::AppsStale,
        DiagnosisKind::VaultStale,
        DiagnosisKind::NothingValid,
        DiagnosisKind::Unknown,
    ];

    /// The name conditions and `check --json` use.
    pub fn name(self) -> &'static str {
        match self {
            DiagnosisKind::InSync => "in-sync",
            DiagnosisKind::GithubStale => "github-stale",
            DiagnosisKind::AppsStale => "apps-stale",
            DiagnosisKind::VaultStale => "vault-stale",
            DiagnosisKind::NothingValid => "nothing-valid",
            DiagnosisKind::Unknown => "unknown",
        }
    }

    /// True when a copy drifted (not in sync, and not "could not tell").
    pub fn is_drift(self) -> bool {
        !matches!(self, DiagnosisKind::InSync | DiagnosisKind::Unknown)
    }

    /// What was found, in a sentence without advice (the postmortem's "Detected").
    pub fn finding(self) -> &'static str {
        match self {
            DiagnosisKind::InSync => "every copy agrees with the vault",
            DiagnosisKind::GithubStale => "the GitHub Actions secret differs from the vault",
            DiagnosisKind::AppsStale => "Heroku app config differs from the vault",
            DiagnosisKind::VaultStale => {
                "the vault's copy is rejected (401) while a live Heroku copy is valid"
            }
            DiagnosisKind::NothingValid => "no copy is accepted by Heroku",
            DiagnosisKind::Unknown => "a copy could not be checked",
        }
    }
}

/// The recovery path a drift session took, judged from what it wrote (not from what the
/// diagnosis recommended): the audit line's `path` and the postmortem's "Recovery".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecoveryPath {
    /// The operator pasted the vault value into GitHub by hand.
    PathA,
    /// keyturn wrote the GitHub secret itself (sealed box).
    PathB,
    /// The stale Heroku apps were set from the vault.
    AppsStale,
    /// A valid live copy was written back to the vault.
    Inverse,
}

impl RecoveryPath {
    /// The id the audit line and the diagnosis use (`path-a`, `path-b`, …).
    pub fn id(self) -> &'static str {
        match self {
            RecoveryPath::PathA => "path-a",
            RecoveryPath::PathB => "path-b",
            RecoveryPath::AppsStale => "apps-stale",
            RecoveryPath::Inverse => "inverse",
        }
    }

    /// How a postmortem names it.
    pub fn describe(self) -> &'static str {
        match self {
            RecoveryPath::PathA => "Path A (the vault value pasted into GitHub by hand)",
            RecoveryPath::PathB => "Path B (keyturn wrote the GitHub secret, sealed box)",
            RecoveryPath::AppsStale => "stale Heroku apps re-synced from the vault",
            RecoveryPath::Inverse => "inverse (a valid live copy written back to the vault)",
        }
    }
}

impl std::fmt::Display for DiagnosisKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The runbook path to take and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    pub runbook: Option<&'static str>,
    pub path: Option<RecoveryPath>,
    pub why: String,
}

impl Diagnosis {
    /// `keyturn check`'s exit code: 0 in sync, 1 drift, 2 could not tell.
    pub fn exit_code(&self) -> u8 {
        match self {
            Diagnosis::InSync { .. } => 0,
            Diagnosis::Unknown { .. } => 2,
            _ => 1,
        }
    }

    /// The name runbook conditions use (`diagnosis == "github-stale"`): kebab-case, as in
    /// the runbook engine's list of diagnoses.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Which diagnosis this is, without its details.
    pub fn kind(&self) -> DiagnosisKind {
        match self {
            Diagnosis::InSync { .. } => DiagnosisKind::InSync,
            Diagnosis::GithubStale { .. } => DiagnosisKind::GithubStale,
            Diagnosis::AppsStale { .. } => DiagnosisKind::AppsStale,
            Diagnosis::VaultStale { .. } => DiagnosisKind::VaultStale,
            Diagnosis::NothingValid => DiagnosisKind::NothingValid,
            Diagnosis::Unknown { .. } => DiagnosisKind::Unknown,
        }
    }

    /// The runbook path that fixes this, and why.
    pub fn recommendation(&self) -> Recommendation {
        let (runbook, path, why) = match self {
            Diagnosis::InSync { github_unproven } => (
                None,
                None,
                match github_unproven {
                    None => {
                        "all copies agree with the valid vault value (GitHub's proven by a probe)"
                            .to_owned()
                    }
                    Some(unproven) => {
                        format!("every readable copy agrees with the valid vault value; {unproven}")
                    }
                },
            ),
            Diagnosis::GithubStale { reason } => (
                Some(RECOVERY),
                Some(RecoveryPath::PathB),
                format!(
                    "{reason}; Path B writes the vault value to GitHub (needs a token that may write secrets), Path A is the manual paste"
                ),
            ),
            Diagnosis::AppsStale { apps, github_stale } => (
                Some(RECOVERY),
                Some(RecoveryPath::AppsStale),
                format!(
                    "{} app(s) differ from the valid vault value: {}{}",
                    apps.len(),
                    apps.join(", "),
                    if *github_stale {
                        "; GitHub is stale too"
                    } else {
                        ""
                    }
                ),
            ),
            Diagnosis::VaultStale { valid_app } => (
                Some(RECOVERY),
                Some(RecoveryPath::Inverse),
                format!(
                    "the vault value is rejected (401) but {valid_app}'s value is valid: write it back to the vault as a new version"
                ),
            ),
            Diagnosis::NothingValid => (
                Some(ROTATION),
                None,
                "no copy validates against GET /account: mint a new token".to_owned(),
            ),
            Diagnosis::Unknown { store, why } => (
                None,
                None,
                format!("{store} could not be checked ({why}); fix that and run the check again"),
            ),
        };
        Recommendation { runbook, path, why }
    }
}

/// Diagnoses `snapshot`.
pub fn diagnose(snapshot: &Snapshot) -> Diagnosis {
    let vault = &snapshot.vault;
    if vault.is_unreadable() {
        return unknown(vault);
    }
    match vault.validity {
        Validity::Valid => diagnose_valid_vault(snapshot),
        Validity::Invalid => diagnose_dead_vault(snapshot),
        Validity::Unknown if vault.absent => diagnose_dead_vault(snapshot),
        Validity::Unknown => unknown(vault),
    }
}

fn unknown(copy: &Copy) -> Diagnosis {
    Diagnosis::Unknown {
        store: copy.store.short(),
        why: copy
            .error
            .clone()
            .unwrap_or_else(|| "could not validate".to_owned()),
    }
}

fn diagnose_dead_vault(snapshot: &Snapshot) -> Diagnosis {
    let valid = snapshot.apps.iter().find(|c| c.validity == Validity::Valid);
    match valid.map(|c| &c.store) {
        Some(Store::HerokuApp { app }) => Diagnosis::VaultStale {
            valid_app: app.clone(),
        },
        _ => match snapshot.apps.iter().find(|c| c.is_unreadable()) {
            Some(copy) => unknown(copy),
            None => Diagnosis::NothingValid,
        },
    }
}

fn diagnose_valid_vault(snapshot: &Snapshot) -> Diagnosis {
    if let Some(copy) = snapshot.apps.iter().find(|c| c.is_unreadable()) {
        return unknown(copy);
    }
    if let Some(why) = github_copy::contradiction(snapshot) {
        return Diagnosis::Unknown {
            store: Store::Github.short(),
            why,
        };
    }
    let github = github_copy::stale(snapshot);
    let stale: Vec<String> = snapshot
        .apps
        .iter()
        .filter(|c| c.matches_vault != Some(true))
        .map(|c| match &c.store {
            Store::HerokuApp { app } => app.clone(),
            other => other.to_string(),
        })
        .collect();
    if !stale.is_empty() {
        return Diagnosis::AppsStale {
            apps: stale,
            github_stale: github.is_some(),
        };
    }
    if let Some(reason) = github {
        return Diagnosis::GithubStale { reason };
    }
    if snapshot.github.is_unreadable() {
        return unknown(&snapshot.github);
    }
    // Asked for proof and got none: "could not tell", not a guess dressed up as in sync.
    if let Some(failure) = github_copy::probe_failed(snapshot) {
        return Diagnosis::Unknown {
            store: Store::Github.short(),
            why: failure.message.clone(),
        };
    }
    Diagnosis::InSync {
        github_unproven: github_copy::unproven(snapshot),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Token;

    fn copy(store: Store, value: Option<&str>, validity: Validity) -> Copy {
        Copy {
            store,
            fingerprint: value.map(|v| Token::new(v).fingerprint()),
            matches_vault: value.map(|v| v == "good"),
            validity,
            version: None,
            updated_at: Some(chrono::Utc::now()),
            error: None,
            absent: value.is_none(),
            evidence: None,
        }
    }

    fn app(name: &str, value: &str, validity: Validity) -> Copy {
        copy(Store::HerokuApp { app: name.into() }, Some(value), validity)
    }

    fn snapshot(vault: Copy, github: Copy, apps: Vec<Copy>) -> Snapshot {
        Snapshot {
            secret: "HEROKU_API_KEY".into(),
            taken_at: chrono::Utc::now(),
            elapsed_ms: 1,
            vault,
            github,
            apps,
            deploy: None,
            deploy_error: None,
            probe: None,
        }
    }

    fn github() -> Copy {
        let mut gh = copy(Store::Github, None, Validity::Unknown);
        gh.absent = false;
        gh
    }

    #[test]
    fn missing_github_secret_is_stale() {
        let mut gh = github();
        gh.absent = true;
        let vault = copy(Store::Vault, Some("good"), Validity::Valid);
        let snap = snapshot(vault, gh, vec![app("a", "good", Validity::Valid)]);
        assert!(matches!(diagnose(&snap), Diagnosis::GithubStale { .. }));
    }

    #[test]
    fn stale_apps_and_github_together() {
        let vault = copy(Store::Vault, Some("good"), Validity::Valid);
        let mut gh = github();
        gh.updated_at = vault.updated_at.map(|t| t - chrono::Duration::days(3));
        let snap = snapshot(vault, gh, vec![app("a", "old", Validity::Invalid)]);
        let expected = Diagnosis::AppsStale {
            apps: vec!["a".into()],
            github_stale: true,
        };
        assert_eq!(diagnose(&snap), expected);
        assert_eq!(diagnose(&snap).exit_code(), 1);
    }

    #[test]
    fn absent_vault_with_a_live_app_is_inverse() {
        let vault = copy(Store::Vault, None, Validity::Unknown);
        let snap = snapshot(vault, github(), vec![app("a", "x", Validity::Valid)]);
        let diagnosis = diagnose(&snap);
        assert_eq!(
            diagnosis,
            Diagnosis::VaultStale {
                valid_app: "a".into()
            }
        );
        assert_eq!(diagnosis.recommendation().path, Some(RecoveryPath::Inverse));
    }

    #[test]
    fn unreadable_github_with_everything_else_fine_is_unknown() {
        let vault = copy(Store::Vault, Some("good"), Validity::Valid);
        let gh = Copy::unreadable(Store::Github, "HTTP 403".into());
        let snap = snapshot(vault, gh, vec![app("a", "good", Validity::Valid)]);
        let diagnosis = diagnose(&snap);
        assert!(matches!(&diagnosis, Diagnosis::Unknown { store, .. } if store == "github"));
        assert_eq!(diagnosis.exit_code(), 2);
    }

    #[test]
    fn failed_validation_of_the_vault_is_unknown() {
        let mut vault = copy(Store::Vault, Some("good"), Validity::Unknown);
        vault.error = Some("Heroku GET /account: HTTP 503".into());
        let snap = snapshot(vault, github(), vec![]);
        assert!(matches!(diagnose(&snap), Diagnosis::Unknown { store, .. } if store == "vault"));
    }
}
