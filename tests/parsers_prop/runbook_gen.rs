//! Generated runbook files: valid TOML whose steps mix good and bad ids, actions, params,
//! conditions, rollbacks, confirmations and placeholders, so the validator (not only the
//! TOML parser) sees odd input.

use keyturn::runbook::catalogue::ACTIONS;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use crate::conditions::condition_soup;
use crate::edits::{basic_string, literal_string};

/// Step ids, good and bad; `undo` and `undo_more` can form a rollback path.
const IDS: &[&str] = &["first", "a", "b", "undo", "undo_more", "Bad-Id", "", "ü"];

/// Template text: known, unknown, step-output and consumer placeholders, escapes, text.
fn template() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => select(vec![
            "{secret}", "{date}", "{steps.first.email}", "{steps.a.old_description}",
            "{steps.nope.x}", "{consumer.name}", "{bogus}", "{{", "}}", "{", "ü", "text ",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    vec(piece, 0..4).prop_map(|pieces| pieces.concat())
}

/// `text` as a TOML string: literal when asked and possible, else basic (escaped).
fn spelled(text: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (text, any::<bool>()).prop_map(|(text, literal)| {
        literal_string(&text)
            .filter(|_| literal)
            .unwrap_or_else(|| basic_string(&text))
    })
}

fn name(names: Vec<&'static str>) -> impl Strategy<Value = String> {
    spelled(select(names).prop_map(str::to_owned))
}

fn action() -> impl Strategy<Value = String> {
    let mut names: Vec<&str> = ACTIONS.iter().map(|a| a.name).collect();
    names.extend(["manual", "nope", "revoke_authorisation"]);
    prop_oneof![49 => name(names), 1 => Just("42".to_owned())]
}

/// An inline table of parameters, some unknown, some of the wrong kind.
fn params() -> impl Strategy<Value = String> {
    let mut keys: Vec<&str> = ACTIONS
        .iter()
        .flat_map(|a| a.params.iter().map(|p| p.name))
        .collect();
    keys.extend(["bogus", "id"]);
    let value = prop_oneof![
        spelled(template()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        select(vec![
            "{ sanity = \"true\" }",
            "{ x = 1 }",
            "\"previous\"",
            "\"vault\""
        ])
        .prop_map(str::to_owned),
    ];
    proptest::collection::btree_map(select(keys), value, 0..4).prop_map(|table| {
        let pairs: Vec<String> = table.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        format!("{{ {} }}", pairs.join(", "))
    })
}

/// Mostly confirmations that parse, so the validator runs; sometimes one that does not.
fn confirm() -> impl Strategy<Value = String> {
    let bad = vec![
        "\"maybe\"",
        "{ typed = \"\" }",
        "{ typed = \"X\", extra = 1 }",
        "5",
    ];
    prop_oneof![
        3 => select(vec!["\"none\"", "\"yes-no\""]).prop_map(str::to_owned),
        3 => spelled(template().prop_map(|t| format!("type {t}")))
            .prop_map(|word| format!("{{ typed = {word} }}")),
        1 => select(bad).prop_map(str::to_owned),
    ]
}

/// Mostly rollbacks that parse (a step id or an inline action), sometimes one that does not.
fn rollback() -> impl Strategy<Value = String> {
    let bad = vec!["{ params = {} }", "{ action = \"manual\", bogus = 1 }", "7"];
    prop_oneof![
        3 => name(IDS.to_vec()),
        3 => (action(), option::of(params())).prop_map(|(action, params)| match params {
            Some(params) => format!("{{ action = {action}, params = {params} }}"),
            None => format!("{{ action = {action} }}"),
        }),
        1 => select(bad).prop_map(str::to_owned),
    ]
}

fn outputs() -> impl Strategy<Value = String> {
    let mut names: Vec<&str> = ACTIONS
        .iter()
        .flat_map(|a| a.outputs.iter().copied())
        .collect();
    names.push("bogus");
    vec(name(names), 0..3).prop_map(|names| format!("[{}]", names.join(", ")))
}

/// The optional keys of a step, each present or not.
fn optional_keys() -> impl Strategy<Value = Vec<String>> {
    let keys = (
        option::of(params().prop_map(|v| format!("params = {v}"))),
        option::of(confirm().prop_map(|v| format!("confirm = {v}"))),
        option::of(spelled(condition_soup()).prop_map(|v| format!("when = {v}"))),
        option::of(rollback().prop_map(|v| format!("rollback = {v}"))),
        option::of(outputs().prop_map(|v| format!("outputs = {v}"))),
        option::of(name(vec!["manual_consumers", "apps"]).prop_map(|v| format!("for_each = {v}"))),
        option::of(any::<bool>().prop_map(|v| format!("point_of_no_return = {v}"))),
        option::of(any::<bool>().prop_map(|v| format!("rollback_only = {v}"))),
        option::of(template().prop_map(|v| format!("body = '''\n{}\n'''", multi_line(&v)))),
    );
    keys.prop_map(|(a, b, c, d, e, f, g, h, i)| {
        [a, b, c, d, e, f, g, h, i].into_iter().flatten().collect()
    })
}

/// `text` as the content of a multi-line literal string (no `'`, no control characters
/// other than newline and tab).
fn multi_line(text: &str) -> String {
    text.chars()
        .filter(|&c| c != '\'' && (c == '\n' || c == '\t' || !c.is_control()))
        .collect()
}

fn step() -> impl Strategy<Value = String> {
    let required = (
        option::weighted(0.99, name(IDS.to_vec()).prop_map(|v| format!("id = {v}"))),
        option::weighted(
            0.95,
            spelled(template()).prop_map(|v| format!("title = {v}")),
        ),
        option::weighted(0.99, action().prop_map(|v| format!("action = {v}"))),
    );
    (required, optional_keys()).prop_map(|((id, title, action), optional)| {
        let mut lines = vec!["[[step]]".to_owned()];
        lines.extend([id, title, action].into_iter().flatten());
        lines.extend(optional);
        lines.join("\n")
    })
}

/// A whole runbook: a header (sometimes with placeholders) and up to five steps.
pub fn runbook_text() -> impl Strategy<Value = String> {
    (spelled(template()), spelled(template()), vec(step(), 0..6)).prop_map(
        |(title, secret, steps)| {
            let header = format!("id = \"generated\"\ntitle = {title}\nsecret = {secret}\n");
            format!("{header}\n{}\n", steps.join("\n\n"))
        },
    )
}
