//! Postmortem and audit log as folds over session events: golden files, the `-2` rule,
//! atomic writes, append-only audit lines, and no token anywhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use keyturn::report::{audit, postmortem};
use keyturn::secret::Token;
use keyturn::session::event::{Event, EventKind, NoteKind, Outcome, RunbookKind, Store};

const CANARY: &str = "HRKU-CANARY-report-2b7d90";
const APPS: [&str; 4] = [
    "raxx-console-prod",
    "raxx-console-staging",
    "raxx-api-prod",
    "raxx-api-staging",
];

/// Builds an event stream with times 03:48:00 UTC + 7 s per event.
struct Session {
    events: Vec<Event>,
    t0: DateTime<Utc>,
}

impl Session {
    /// keyturn wrote the vault's value to `store` (proven).
    fn written(&mut self, store: Store) -> &mut Session {
        self.push(EventKind::SecretWritten {
            store,
            fingerprint: Token::new(CANARY).fingerprint(),
            version: None,
            proof: None,
            source: Some(keyturn::session::event::Source::Vault),
            by_operator: false,
        })
    }

    fn new(runbook: &str, kind: RunbookKind) -> Session {
        let mut s = Session {
            events: Vec::new(),
            t0: Utc.with_ymd_and_hms(2026, 5, 3, 3, 48, 0).unwrap(),
        };
        s.push(EventKind::SessionStarted {
            session: "20260503T034800Z-a1b2c3".into(),
            runbook: runbook.into(),
            title: runbook.into(),
            secret: "HEROKU_API_KEY".into(),
            kind,
            dry_run: false,
            keyturn_version: "0.1.0".into(),
            simulated: false,
        });
        s
    }

    fn push(&mut self, kind: EventKind) -> &mut Session {
        let seq = self.events.len() as u64;
        let at = self.t0 + Duration::seconds(7 * i64::try_from(seq).unwrap());
        self.events.push(Event { seq, at, kind });
        self
    }

    fn observe(&mut self, store: Store, validity: &str, matches: bool) -> &mut Session {
        self.push(EventKind::StoreObserved {
            store,
            fingerprint: Some(Token::new(CANARY).fingerprint()),
            validity: serde_json::from_value(serde_json::json!(validity)).unwrap(),
            matches_vault: Some(matches),
            version: None,
            error: None,
            evidence: None,
        })
    }

    fn observe_all(&mut self, github: &str, stale_apps: &[&str], vault: &str) -> &mut Session {
        self.observe(Store::Vault, vault, true);
        // GitHub's value is unreadable: without a probe, a stale copy's validity is unknown.
        let validity = if github == "valid" {
            "valid"
        } else {
            "unknown"
        };
        self.observe(Store::Github, validity, github == "valid");
        for app in APPS {
            let stale = stale_apps.contains(&app);
            self.observe(
                Store::HerokuApp { app: app.into() },
                if stale { "invalid" } else { "valid" },
                !stale,
            );
        }
        self
    }

    fn diagnose(&mut self, diagnosis: &str, path: Option<&str>, why: &str) -> &mut Session {
        self.push(EventKind::Diagnosed {
            diagnosis: serde_json::from_value(serde_json::json!(diagnosis)).unwrap(),
            path: path.map(|p| serde_json::from_value(serde_json::json!(p)).unwrap()),
            why: why.into(),
        })
    }

    fn step(&mut self, id: &str, title: &str, summary: &str) -> &mut Session {
        self.push(EventKind::StepStarted {
            step: id.into(),
            title: title.into(),
            index: 0,
            total: 0,
        });
        self.push(EventKind::StepSucceeded {
            step: id.into(),
            summary: summary.into(),
            duration_ms: 1234,
            outputs: std::collections::BTreeMap::new(),
        })
    }

    fn skip(&mut self, id: &str, title: &str, reason: &str) -> &mut Session {
        self.push(EventKind::StepSkipped {
            step: id.into(),
            title: title.into(),
            reason: reason.into(),
            by_operator: false,
            stores: Vec::new(),
        })
    }

    fn finish(&mut self, outcome: Outcome, message: &str) -> &mut Session {
        self.push(EventKind::SessionFinished {
            outcome,
            message: message.into(),
        })
    }
}

fn github_stale_path_b() -> Session {
    let mut s = Session::new("heroku-key-drift-recovery", RunbookKind::DriftRecovery);
    s.push(EventKind::DeployObserved {
        workflow: "deploy-console.yml".into(),
        run_id: 9_001,
        status: "completed".into(),
        conclusion: Some("failure".into()),
        url: Some("https://github.com/raxx-app/TradeMasterAPI/actions/runs/9001".into()),
        invalid_token: true,
    });
    s.observe_all("invalid", &[], "valid")
        .diagnose(
            "github-stale",
            Some("path-b"),
            "the last deploy failed with the invalid-token error while the vault copy validates",
        )
        .step(
            "confirm-source",
            "Confirm the source of truth",
            "vault copy validates (200, kris@moosequest.net)",
        )
        .skip(
            "path-a",
            "Path A — paste into GitHub",
            "condition not met: Path B is available",
        )
        .step(
            "path-b",
            "Path B — write the GitHub secret",
            "GitHub secret HEROKU_API_KEY written (204)",
        )
        .push(EventKind::SecretWritten {
            store: Store::Github,
            fingerprint: Token::new(CANARY).fingerprint(),
            version: None,
            proof: None,
            source: None,
            by_operator: false,
        })
        .push(EventKind::WorkflowCompleted {
            workflow: "deploy-console.yml".into(),
            run_id: 9_002,
            conclusion: "success".into(),
            url: None,
        })
        .observe_all("valid", &[], "valid")
        .diagnose(
            "in-sync",
            None,
            "every copy matches the vault and validates",
        )
        .push(EventKind::OperatorNote {
            kind: NoteKind::RootCause,
            text: "manual rotation on 2026-05-02 skipped the GitHub secret".into(),
        })
        .finish(Outcome::Completed, "every copy in sync");
    s
}

#[test]
fn postmortem_github_stale_path_b() {
    let pm = postmortem::render(&github_stale_path_b().events);
    assert!(pm.resolved);
    insta::assert_snapshot!(pm.markdown);
}

#[test]
fn postmortem_apps_stale() {
    let mut s = Session::new("heroku-key-drift-recovery", RunbookKind::DriftRecovery);
    s.observe_all("valid", &["raxx-api-prod", "raxx-api-staging"], "valid")
        .diagnose(
            "apps-stale",
            Some("apps-stale"),
            "2 apps hold a token that Heroku rejects",
        )
        .step(
            "confirm-source",
            "Confirm the source of truth",
            "vault copy validates",
        )
        .step(
            "sync-apps",
            "Set the config var on the stale apps",
            "raxx-api-prod, raxx-api-staging updated (one PATCH each)",
        )
        .written(Store::HerokuApp {
            app: "raxx-api-prod".into(),
        })
        .written(Store::HerokuApp {
            app: "raxx-api-staging".into(),
        })
        .observe_all("valid", &[], "valid")
        .diagnose("in-sync", None, "every copy matches")
        .finish(Outcome::Completed, "every copy in sync");
    insta::assert_snapshot!(postmortem::render(&s.events).markdown);
}

#[test]
fn postmortem_vault_stale_inverse() {
    let mut s = Session::new("heroku-key-drift-recovery", RunbookKind::DriftRecovery);
    s.observe_all("valid", &[], "invalid")
        .diagnose(
            "vault-stale",
            Some("inverse"),
            "the vault copy is rejected while raxx-console-prod validates",
        )
        .step(
            "inverse",
            "Inverse — write the live copy back to the vault",
            "vault v15 written from raxx-console-prod",
        )
        .push(EventKind::SecretWritten {
            store: Store::Vault,
            fingerprint: Token::new(CANARY).fingerprint(),
            version: Some(15),
            proof: None,
            source: Some(keyturn::session::event::Source::Live),
            by_operator: false,
        })
        .observe_all("valid", &[], "valid")
        .diagnose("in-sync", None, "every copy matches")
        .push(EventKind::OperatorNote {
            kind: NoteKind::Followup,
            text: "#951".into(),
        })
        .finish(Outcome::Completed, "every copy in sync");
    insta::assert_snapshot!(postmortem::render(&s.events).markdown);
}

#[test]
fn postmortem_of_an_interrupted_session_is_marked_unresolved() {
    let mut s = Session::new("heroku-key-drift-recovery", RunbookKind::DriftRecovery);
    s.observe_all("invalid", &[], "valid")
        .diagnose(
            "github-stale",
            Some("path-a"),
            "GitHub's secret is older than the vault's current version",
        )
        .step(
            "confirm-source",
            "Confirm the source of truth",
            "vault copy validates",
        )
        .push(EventKind::StepStarted {
            step: "path-a".into(),
            title: "Path A — paste into GitHub".into(),
            index: 2,
            total: 7,
        });
    let pm = postmortem::render(&s.events);
    assert!(!pm.resolved);
    insta::assert_snapshot!(pm.markdown);
}

#[test]
fn postmortems_never_overwrite_and_leave_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let pm = postmortem::render(&github_stale_path_b().events);
    let first = postmortem::write(dir.path(), &pm).unwrap();
    let second = postmortem::write(dir.path(), &pm).unwrap();
    let third = postmortem::write(dir.path(), &pm).unwrap();
    assert_eq!(first, dir.path().join("heroku-key-drift-2026-05-03.md"));
    assert_eq!(second, dir.path().join("heroku-key-drift-2026-05-03-2.md"));
    assert_eq!(third, dir.path().join("heroku-key-drift-2026-05-03-3.md"));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "no temporary file may remain: {names:?}");
    assert_eq!(std::fs::read_to_string(first).unwrap(), pm.markdown);
}

fn rotation(outcome: Outcome) -> Session {
    let mut s = Session::new("heroku-token-rotation", RunbookKind::Rotation);
    s.push(EventKind::OldAuthorizationFound {
        id: "old-auth-1".into(),
        description: Some("raxx-platform-token-2026-02-01".into()),
    })
    .push(EventKind::AuthorizationCreated {
        id: "new-auth-2".into(),
        description: "raxx-platform-token-2026-05-03".into(),
        fingerprint: Token::new(CANARY).fingerprint(),
    });
    match outcome {
        Outcome::Completed => {
            s.step(
                "revoke",
                "Revoke the OLD authorization",
                "old-auth-1 revoked; old token gets 401",
            );
        }
        Outcome::Failed => {
            s.push(EventKind::StepStarted {
                step: "verify".into(),
                title: "Verify downstream".into(),
                index: 6,
                total: 8,
            })
            .push(EventKind::StepFailed {
                step: "verify".into(),
                error: "deploy-staging.yml concluded failure".into(),
                duration_ms: 5000,
            });
        }
        _ => {
            s.push(EventKind::StepRolledBack {
                step: "propagate".into(),
                summary: "apps restored to the previous vault version".into(),
            });
        }
    }
    s.finish(outcome, "end");
    s
}

#[test]
fn audit_entries_for_completed_failed_and_rolled_back_rotations() {
    let done =
        audit::entry_for(&rotation(Outcome::Completed).events, "kris@moosequest.net").unwrap();
    assert_eq!(done.action, "secret.rotate.completed");
    assert_eq!(done.actor, "kris@moosequest.net");
    assert_eq!(done.context["secret_name"], "HEROKU_API_KEY");
    assert_eq!(done.context["old_authorization_id"], "old-auth-1");
    assert_eq!(done.context["new_authorization_id"], "new-auth-2");
    assert_eq!(done.context["method"], "operator-assisted");

    let failed = audit::entry_for(&rotation(Outcome::Failed).events, "ops").unwrap();
    assert_eq!(failed.action, "secret.rotate.failed");
    assert_eq!(failed.context["step"], "verify");
    assert_eq!(
        failed.context["error"],
        "deploy-staging.yml concluded failure"
    );

    let back = audit::entry_for(&rotation(Outcome::RolledBack).events, "ops").unwrap();
    assert_eq!(back.action, "secret.rotate.rolled_back");
    assert_eq!(back.context["step"], "propagate");

    let drift = audit::entry_for(&github_stale_path_b().events, "ops").unwrap();
    assert_eq!(drift.action, "secret.drift.recovered");
    assert_eq!(drift.context["path"], "path-b");
}

#[test]
fn audit_log_is_appended_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ops/audit-log.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "{\"action\": \"secret.rotate.completed\"}\nnot json, torn line",
    )
    .unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    let entry =
        audit::entry_for(&rotation(Outcome::Completed).events, "kris@moosequest.net").unwrap();
    audit::append(&path, &entry).unwrap();
    audit::append(&path, &entry).unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.starts_with(&before),
        "existing content must stay byte for byte"
    );
    let new_lines: Vec<&str> = after[before.len()..]
        .lines()
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(new_lines.len(), 2);
    for line in new_lines {
        let back: audit::AuditEntry = serde_json::from_str(line).unwrap();
        assert_eq!(back, entry);
    }
}

#[test]
fn no_report_or_journal_line_carries_the_token() {
    for session in [
        github_stale_path_b(),
        rotation(Outcome::Completed),
        rotation(Outcome::Failed),
    ] {
        let pm = postmortem::render(&session.events);
        assert!(!pm.markdown.contains(CANARY));
        let journal = session
            .events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect::<String>();
        assert!(!journal.contains(CANARY));
        if let Some(entry) = audit::entry_for(&session.events, "ops") {
            assert!(!serde_json::to_string(&entry).unwrap().contains(CANARY));
        }
    }
}
