//! Malformed runbooks are reported with file, line, column and a fix; a directory's files
//! override embedded runbooks by id and add new ones; the CLI exits 0 valid / 2 invalid.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use keyturn::runbook::loader::{self, Registry};
use keyturn::runbook::{Origin, Problems};

const ROTATION: &str = include_str!("../runbooks/heroku-token-rotation.toml");
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
    assert!(
        listed.contains("Recover from HEROKU_API_KEY drift") && !listed.contains('{'),
        "titles are rendered, never raw placeholders: {listed}"
    );
}

#[test]
fn inline_rollback_for_each_outputs_and_header_are_checked() {
    let text = ROTATION.replacen(
        "rollback = \"rollback_restore_vault\"\nbody = '''\nWrites",
        "rollback = { action = \"restore_vault\", params = { version = \"previous\" } }\nbody = '''\nWrites",
        1,
    );
    assert_reported(
        &text,
        "action = \"restore_vault\"",
        "unknown action `restore_vault`",
        "restore_vault_version",
    );
    let text = ROTATION.replacen("for_each = \"manual_consumers\"", "for_each = \"apps\"", 1);
    assert_reported(
        &text,
        "for_each = \"apps\"",
        "for_each = \"apps\"",
        "manual_consumers",
    );
    let text = ROTATION.replacen("outputs = [\"email\"]", "outputs = [\"token\"]", 1);
    assert_reported(
        &text,
        "outputs = [\"token\"]",
        "produces no output `token`",
        "it produces: email",
    );
    let text = ROTATION.replacen("title = \"Rotate {secret}", "title = \"Rotate {secrt}", 1);
    assert_reported(&text, "{secrt}", "in the runbook header", "use one of");
}

/// Found by `tests/parsers_prop.rs`: a `[step.params]` table's span is only its header, so
/// its parameters' problems were all reported on the header line.
#[test]
fn params_of_a_params_table_are_reported_on_their_own_line() {
    let text = ROTATION.replacen("event = \"secret.rotate.completed\"", "event = 42", 1);
    assert_reported(&text, "event = 42", "parameter `event`", "give a string");
    let text = ROTATION.replacen("id = \"precheck\"", "id = \"pre_check\"", 1);
    let at = format!(
        "dir/bad.toml:{}:",
        line_of(&text, "context = { secret_name")
    );
    let shown = problems(&text);
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with(&at) && l.contains("no earlier step `precheck`")),
        "expected {at} in:\n{shown}"
    );
}

/// Found by `tests/parsers_prop.rs`: the condition's column counted characters but was
/// added as bytes, so after a multi-byte character it could land inside one (reported on
/// the file's last line); an empty condition pointed at its opening quote.
#[test]
fn bad_condition_columns_count_characters() {
    let when = "when = \"capability.github_write\"";
    let line = line_of(ROTATION, when);
    let text = ROTATION.replacen(when, "when = '\"üü\"ü'", 1);
    let shown = problems(&text);
    assert!(
        shown.contains(&format!(
            "dir/bad.toml:{line}:13: bad condition: unexpected character `ü`"
        )),
        "{shown}"
    );
    let text = ROTATION.replacen(when, "when = ''", 1);
    let shown = problems(&text);
    assert!(
        shown.contains(&format!("dir/bad.toml:{line}:9: bad condition")),
        "{shown}"
    );
}

#[test]
fn back_to_must_name_an_earlier_step_of_the_forward_walk() {
    let later = ROTATION.replacen(
        "back_to = \"propagate_github_copy\"",
        "back_to = \"revoke_old\"",
        1,
    );
    assert_reported(
        &later,
        "back_to = \"revoke_old\"",
        "is not an earlier step",
        "name an earlier step",
    );
    let unknown = ROTATION.replacen(
        "back_to = \"propagate_github_copy\"",
        "back_to = \"propagate_github_cpy\"",
        1,
    );
    assert_reported(
        &unknown,
        "propagate_github_cpy",
        "back_to refers to no step",
        "name an earlier step",
    );
}
