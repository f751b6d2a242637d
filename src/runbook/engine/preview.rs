//! What confirming a step would change, for the confirmation screen: built from what the
//! session already read, so showing it costs no request.

use super::StepParams;
use super::{Change, Engine, PlannedStep};
use crate::runbook::ActionKind;

impl Engine {
    /// What confirming the step would change, for the confirmation screen (best effort,
    /// from what this session already read: no request is made to build it).
    pub(crate) fn preview(&self, planned: &PlannedStep) -> Vec<Change> {
        let p = self.params(planned);
        let to = self.token(&p).ok().map(|t| t.fingerprint().to_string());
        let store = |store: String, note: &str| Change {
            store,
            from: None,
            to: to.clone(),
            note: note.to_owned(),
        };
        let Some(kind) = planned.kind else {
            return Vec::new();
        };
        match kind {
            ActionKind::SetHerokuConfig => self
                .target_apps(&p)
                .into_iter()
                .map(|a| Change {
                    from: self.app_fingerprints.get(&a).map(ToString::to_string),
                    ..store(format!("heroku:{a}"), "dynos restart")
                })
                .collect(),
            ActionKind::WriteGithubSecret => vec![Change {
                from: Some("its value (never shown by GitHub)".into()),
                ..store("github".into(), "write-only")
            }],
            ActionKind::RevokeAuthorization => self.revoke_preview(&p),
            ActionKind::CreateAuthorization => vec![Change {
                store: "heroku authorizations".into(),
                from: None,
                to: None,
                note: format!(
                    "a new one, `{}`, scope {}",
                    p.get("description").map_or("?", String::as_str),
                    p.get("scope").map_or("?", String::as_str)
                ),
            }],
            ActionKind::WriteVault | ActionKind::RestoreVaultVersion => vec![Change {
                from: self
                    .secrets
                    .vault
                    .as_ref()
                    .map(|t| t.fingerprint().to_string()),
                ..store("vault".into(), "new version")
            }],
            ActionKind::RestartDynos => self
                .target_apps(&p)
                .into_iter()
                .map(|a| Change {
                    to: None,
                    ..store(format!("heroku:{a}"), "dynos restart")
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The revoke's preview: the authorization, and every copy the operator chose to leave
    /// on the old token (it stops working at the revoke).
    fn revoke_preview(&self, p: &StepParams) -> Vec<Change> {
        let mut changes = vec![Change {
            store: format!(
                "heroku authorization {}",
                p.get("authorization_id").map_or("?", String::as_str)
            ),
            from: None,
            to: None,
            note: "revoked for good; the old token then gets 401".into(),
        }];
        for (store, reason) in &self.fold.ledger.skipped {
            changes.push(Change {
                store: store.to_string(),
                from: None,
                to: None,
                note: format!(
                    "skipped by the operator ({reason}): still on the old token, it stops working at the revoke"
                ),
            });
        }
        changes
    }
}
