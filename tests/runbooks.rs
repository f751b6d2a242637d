//! The shipped runbooks load, validate and cover every SOP step in order; malformed files
//! are reported with file, line and a fix; directories override and add; `when`
//! conditions pick the right branch for each diagnosis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;

use keyturn::runbook::condition::{Condition, ConditionContext, DIAGNOSES, StepStatus};
use keyturn::runbook::loader::{self, Registry};
use keyturn::runbook::{Origin, Problems, Runbook};

const ROTATION: &str = include_str!("../runbooks/heroku-token-rotation.toml");

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
            "path_a_copy",
            "path_a_paste",
            "path_a_rerun_deploy",
            "path_b_write_secret",
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
            .contains("https://github.com/{repo}/settings/secrets/actions")
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
    let fallback = drift.step("path_b_fallback_paste").unwrap();
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

/// Parses `text` as `dir/bad.toml` and returns the rendered problems.
fn problems(text: &str) -> String {
    let err: Problems =
        loader::parse(text, Path::new("dir/bad.toml"), Origin::Embedded).unwrap_err();
    err.0.iter().for_each(|p| assert!(!p.fix.is_empty(), "{p}"));
    err.to_string()
}

/// Line (1-based) of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn assert_reported(text: &str, needle_line: &str, what: &str, fix: &str) {
    let shown = problems(text);
    let at = format!("dir/bad.toml:{}:", line_of(text, needle_line));
    let line = shown
        .lines()
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no `{what}` in:\n{shown}"));
    assert!(line.starts_with(&at), "expected {at} in: {line}");
    assert!(line.contains(fix), "expected fix `{fix}` in: {line}");
}

#[test]
fn toml_error_is_located() {
    let text = ROTATION.replacen("id = \"precheck\"", "id = \"precheck", 1);
    let shown = problems(&text);
    assert!(
        shown.starts_with(&format!(
            "dir/bad.toml:{}:",
            line_of(&text, "id = \"precheck")
        )),
        "{shown}"
    );
    assert!(shown.contains("fix the TOML"), "{shown}");
}

#[test]
fn unknown_action_suggests_the_closest() {
    let text = ROTATION.replacen(
        "action = \"revoke_authorization\"",
        "action = \"revoke_authorisation\"",
        1,
    );
    assert_reported(
        &text,
        "revoke_authorisation",
        "unknown action",
        "did you mean `revoke_authorization`",
    );
}

#[test]
fn unknown_step_in_when_and_rollback() {
    let text = ROTATION.replacen(
        "when = \"step.verify_workflow.succeeded\"",
        "when = \"step.verify_workflw.succeeded\"",
        1,
    );
    assert_reported(
        &text,
        "verify_workflw",
        "no earlier step `verify_workflw`",
        "step that comes before",
    );
    let text = ROTATION.replacen(
        "rollback = \"rollback_restore_vault\"",
        "rollback = \"undo_vault\"",
        1,
    );
    assert_reported(
        &text,
        "undo_vault",
        "rollback refers to no step `undo_vault`",
        "rollback_only",
    );
}

#[test]
fn duplicate_step_id() {
    let text = ROTATION.replacen("id = \"validate_new\"", "id = \"precheck\"", 1);
    let second = text.match_indices("id = \"precheck\"").nth(1).unwrap().0;
    let line = text[..second].matches('\n').count() + 1;
    let shown = problems(&text);
    assert!(
        shown.contains(&format!(
            "dir/bad.toml:{line}:6: duplicate step id `precheck`"
        )),
        "{shown}"
    );
}

#[test]
fn point_of_no_return_needs_a_typed_confirmation() {
    let text = ROTATION.replacen(
        "confirm = { typed = \"{steps.precheck.old_description}\" }",
        "confirm = \"yes-no\" # was typed",
        1,
    );
    assert_reported(&text, "# was typed", "point of no return", "typed");
}

#[test]
fn bad_condition_points_at_the_column() {
    let text = ROTATION.replacen(
        "when = \"capability.github_write\"",
        "when = \"capability.github_write = true\"",
        1,
    );
    let line = line_of(&text, "github_write = true");
    let col = text.lines().nth(line - 1).unwrap().find(" = true").unwrap() + 2;
    let shown = problems(&text);
    assert!(
        shown.contains(&format!("dir/bad.toml:{line}:{col}: bad condition")),
        "{shown}"
    );
}

#[test]
fn unknown_params_placeholders_and_missing_params() {
    let text = ROTATION.replacen(
        "params = { identify = \"vault-token\" }",
        "params = { identfy = \"vault-token\" }",
        1,
    );
    assert_reported(
        &text,
        "identfy",
        "has no parameter `identfy`",
        "known parameters: identify",
    );
    assert!(problems(&text).contains("needs parameter `identify`"));
    let text = ROTATION.replacen("{verify_workflow} and watch", "{verify_flow} and watch", 1);
    assert_reported(
        &text,
        "{verify_flow}",
        "unknown placeholder `{verify_flow}`",
        "use one of",
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn directory_overrides_by_id_and_adds_new() {
    let dir = tempfile::tempdir().unwrap();
    let custom = ROTATION.replacen(
        "title = \"Rotate {secret} (Heroku Platform API token)\"",
        "title = \"Our rotation\"",
        1,
    );
    write(dir.path(), "rotation.toml", &custom);
    write(
        dir.path(),
        "other.toml",
        "id = \"stripe-key-check\"\ntitle = \"Check\"\nsecret = \"STRIPE_KEY\"\n[[step]]\nid = \"look\"\ntitle = \"Look\"\naction = \"audit_drift\"\n",
    );
    write(dir.path(), "notes.txt", "ignored");
    let registry = Registry::load(Some(dir.path())).unwrap();
    assert_eq!(registry.entries.len(), 3);
    let rotation = registry
        .entries
        .iter()
        .find(|e| e.runbook.id() == "heroku-token-rotation")
        .unwrap();
    assert!(rotation.overrides_embedded);
    assert_eq!(rotation.runbook.title, "Our rotation");
    assert_eq!(
        rotation.runbook.origin,
        Origin::File(dir.path().join("rotation.toml"))
    );
    assert!(registry.get("stripe-key-check").is_some());
    assert!(
        Registry::load(Some(&dir.path().join("absent")))
            .unwrap()
            .entries
            .len()
            == 2
    );
}

#[test]
fn a_broken_file_in_the_directory_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.toml",
        "id = \"x\"\ntitle = \"t\"\nsecret = \"S\"\n[[step]]\nid = \"a\"\ntitle = \"a\"\naction = \"nope\"\n",
    );
    let err = Registry::load(Some(dir.path())).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}:7:10: unknown action `nope`",
            dir.path().join("bad.toml").display()
        )),
        "{err}"
    );
}

#[test]
fn cli_validate_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.toml", "id = \"x\"\ntitle = [\n");
    let bad = dir.path().join("bad.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keyturn"))
        .args(["runbooks", "validate"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(":2:"));
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/heroku-token-rotation.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keyturn"))
        .args(["runbooks", "validate"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keyturn"))
        .args(["runbooks", "list", "--runbook-dir"])
        .arg(dir.path().join("none"))
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("heroku-token-rotation") && listed.contains("embedded"),
        "{listed}"
    );
}
