//! The shipped runbooks load, validate and cover every SOP step in order, their `when`
//! conditions pick the right branch for each diagnosis, and their templates render from
//! the example config. Malformed files: see `runbook_errors.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;

use keyturn::config::Config;
use keyturn::runbook::condition::{Condition, ConditionContext, DIAGNOSES, StepStatus};
use keyturn::runbook::loader;
use keyturn::runbook::template::render;
use keyturn::runbook::{Origin, Runbook, TemplateVars};

fn runbook(id: &str) -> Runbook {
    loader::embedded()
        .unwrap()
        .into_iter()
        .find(|r| r.id() == id)
        .unwrap()
}

fn ids(runbook: &Runbook) -> Vec<&str> {
    runbook
        .steps
        .iter()
        .map(keyturn::runbook::Step::id)
        .collect()
}

/// Asserts `needles` appear in `haystack` in this order.
fn assert_in_order(haystack: &[&str], needles: &[&str]) {
    let mut at = 0;
    for needle in needles {
        let found = haystack[at..].iter().position(|s| s == needle);
        at += found.unwrap_or_else(|| panic!("`{needle}` missing or out of order in {haystack:?}"))
            + 1;
    }
}

#[test]
fn both_shipped_runbooks_load_and_validate() {
    let all = loader::embedded().unwrap();
    let mut names: Vec<&str> = all.iter().map(Runbook::id).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["heroku-key-drift-recovery", "heroku-token-rotation"]
    );
    assert!(all.iter().all(|r| r.origin == Origin::Embedded));
}

#[test]
fn rotation_has_the_eight_sop_steps_then_the_rollback_path() {
    let rotation = runbook("heroku-token-rotation");
    let forward: Vec<&str> = rotation
        .steps
        .iter()
        .filter(|s| !s.rollback_only)
        .map(keyturn::runbook::Step::id)
        .collect();
    assert_in_order(
        &forward,
        &[
            "precheck",
            "create_authorization",
            "validate_new",
            "store_vault",
            "propagate_heroku",
            "propagate_github",
            "propagate_manual",
            "verify_workflow",
            "verify_health",
            "revoke_old",
            "audit_entry",
        ],
    );
    for n in 1..=8 {
        let prefix = format!("{n}. ");
        assert!(
            rotation
                .steps
                .iter()
                .any(|s| s.title.get_ref().starts_with(&prefix)),
            "SOP step {n}"
        );
    }
    let rollback: Vec<&str> = rotation
        .steps
        .iter()
        .filter(|s| s.rollback_only)
        .map(keyturn::runbook::Step::id)
        .collect();
    assert_eq!(
        rollback,
        [
            "rollback_restore_vault",
            "rollback_revert_apps",
            "rollback_revert_github",
            "rollback_restart_dynos",
            "rollback_skip_revoke"
        ]
    );
    let path: Vec<&str> = rotation
        .rollback_path("rollback_restore_vault")
        .into_iter()
        .map(keyturn::runbook::Step::id)
        .collect();
    assert_eq!(path, rollback);
    assert_eq!(
        rotation.forward_steps().count() + rollback.len(),
        rotation.steps.len()
    );
    let revoke = rotation.step("revoke_old").unwrap();
    assert!(revoke.point_of_no_return);
    assert!(
        matches!(revoke.confirm(), keyturn::runbook::Confirm::Typed(w) if w.contains("old_description"))
    );
    assert_eq!(
        rotation
            .step("propagate_manual")
            .unwrap()
            .for_each
            .as_ref()
            .unwrap()
            .get_ref(),
        "manual_consumers"
    );
}

#[test]
fn drift_recovery_has_every_branch_in_sop_order() {
    let drift = runbook("heroku-key-drift-recovery");
    assert_in_order(
        &ids(&drift),
        &[
            "confirm_source_of_truth",
            // The SOP tells Path A first; the walk tries Path B first and Path A is what
            // follows when B cannot be done (no write access, the write failed or was
            // skipped), under Path A's own titles.
            "path_b_write_secret",
            "path_a_copy",
            "path_a_paste",
            "path_a_rerun_deploy",
            "apps_stale_set_config",
            "inverse_validate_live",
            "inverse_write_vault",
            "nothing_valid_stop",
            "verify_audit",
            "verify_deploy",
            "postmortem",
        ],
    );
    let body = drift.step("path_a_paste").unwrap().body.as_ref().unwrap();
    assert!(
        body.get_ref()
            .contains("{github_web}/{repo}/settings/secrets/actions")
    );
    // With the SOP's set-up, that is github.com's page of the repository's secrets.
    let config =
        keyturn::config::Config::load(std::path::Path::new("examples/keyturn.toml")).unwrap();
    let today = chrono::Utc::now().date_naive();
    let vars = keyturn::runbook::TemplateVars::from_config(&config, today);
    let shown = keyturn::runbook::template::render(body.get_ref(), &vars).unwrap();
    assert!(
        shown.contains("https://github.com/raxx-app/TradeMasterAPI/settings/secrets/actions"),
        "{shown}"
    );
}

struct Session {
    diagnosis: &'static str,
    github_write: bool,
    steps: HashMap<String, StepStatus>,
}

impl ConditionContext for Session {
    fn diagnosis(&self) -> &str {
        self.diagnosis
    }
    fn capability(&self, name: &str) -> Option<bool> {
        match name {
            "github_write" => Some(self.github_write),
            "clipboard" => Some(true),
            _ => None,
        }
    }
    fn config_flag(&self, _name: &str) -> Option<bool> {
        Some(true)
    }
    fn step_status(&self, step_id: &str) -> Option<StepStatus> {
        self.steps.get(step_id).copied()
    }
}

/// Walks the forward steps, treating every step that runs as succeeded.
fn walk(runbook: &Runbook, diagnosis: &'static str, github_write: bool) -> Vec<String> {
    let mut session = Session {
        diagnosis,
        github_write,
        steps: HashMap::new(),
    };
    let mut ran = Vec::new();
    for step in runbook.steps.iter().filter(|s| !s.rollback_only) {
        let when = step.when.as_ref().map_or("true", |w| w.get_ref());
        let go = Condition::parse(when).unwrap().evaluate(&session).unwrap();
        let status = if go {
            StepStatus::Succeeded
        } else {
            StepStatus::Skipped
        };
        session.steps.insert(step.id().to_owned(), status);
        if go {
            ran.push(step.id().to_owned());
        }
    }
    ran
}

#[test]
fn conditions_select_the_branch_for_each_diagnosis() {
    let drift = runbook("heroku-key-drift-recovery");
    let cases: [(&'static str, bool, &[&str]); 7] = [
        (
            "in-sync",
            false,
            &["confirm_source_of_truth", "in_sync_stop"],
        ),
        (
            "unknown",
            false,
            &["confirm_source_of_truth", "unknown_stop", "postmortem"],
        ),
        (
            "github-stale",
            false,
            &[
                "confirm_source_of_truth",
                "path_a_copy",
                "path_a_paste",
                "path_a_rerun_deploy",
                "verify_audit",
                "postmortem",
            ],
        ),
        (
            "github-stale",
            true,
            &[
                "confirm_source_of_truth",
                "path_b_write_secret",
                "verify_audit",
                "verify_deploy",
                "postmortem",
            ],
        ),
        (
            "apps-stale",
            false,
            &[
                "confirm_source_of_truth",
                "apps_stale_set_config",
                "verify_audit",
                "verify_deploy",
                "postmortem",
            ],
        ),
        (
            "vault-stale",
            true,
            &[
                "confirm_source_of_truth",
                "inverse_validate_live",
                "inverse_write_vault",
                "verify_audit",
                "verify_deploy",
                "postmortem",
            ],
        ),
        (
            "nothing-valid",
            true,
            &[
                "confirm_source_of_truth",
                "nothing_valid_stop",
                "postmortem",
            ],
        ),
    ];
    for (diagnosis, github_write, expected) in cases {
        assert!(DIAGNOSES.contains(&diagnosis));
        assert_eq!(
            walk(&drift, diagnosis, github_write),
            expected,
            "{diagnosis} github_write={github_write}"
        );
    }
}

#[test]
fn path_b_failure_falls_back_to_path_a() {
    let drift = runbook("heroku-key-drift-recovery");
    let mut session = Session {
        diagnosis: "github-stale",
        github_write: true,
        steps: HashMap::new(),
    };
    session
        .steps
        .insert("path_b_write_secret".into(), StepStatus::Failed);
    let fallback = drift.step("path_a_paste").unwrap();
    assert!(
        Condition::parse(fallback.when.as_ref().unwrap().get_ref())
            .unwrap()
            .evaluate(&session)
            .unwrap()
    );
}

#[test]
fn rotation_without_github_write_pastes_by_hand_and_revokes_last() {
    let ran = walk(&runbook("heroku-token-rotation"), "in-sync", false);
    assert!(ran.contains(&"propagate_github_paste".to_owned()));
    assert!(!ran.contains(&"propagate_github".to_owned()));
    assert_eq!(ran[ran.len() - 2..], ["revoke_old", "audit_entry"]);
}

#[test]
fn every_template_renders_from_the_example_config_and_step_outputs() {
    let config = Config::parse(
        include_str!("../examples/keyturn.toml"),
        Path::new("examples/keyturn.toml"),
    )
    .unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 4, 24).unwrap();
    for runbook in loader::embedded().unwrap() {
        let mut vars = TemplateVars::from_config(&config, date);
        vars.set("stale_apps", "raxx-api-staging");
        vars.set("diagnosis", "github-stale");
        vars.set("consumer.name", "Rotation pipeline");
        vars.set("consumer.how", "by hand");
        for step in &runbook.steps {
            for output in &step.outputs {
                vars.set_output(step.id(), output.get_ref(), "value");
            }
            let body = step.body.as_ref().map_or("", |b| b.get_ref());
            for text in [step.title.get_ref().as_str(), body] {
                render(text, &vars).unwrap_or_else(|e| panic!("{}: {e}", step.id()));
            }
        }
    }
    let vars = TemplateVars::from_config(&config, date);
    assert_eq!(
        render("{authorization_description}", &vars).unwrap(),
        "raxx-platform-token-2026-04-24"
    );
}
