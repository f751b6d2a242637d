//! `{placeholder}` templates: no panic, doubled braces are the escape, values are inserted
//! verbatim (never expanded again), and a placeholder without a value is an error.

use keyturn::runbook::TemplateVars;
use keyturn::runbook::template::{MissingValue, VARIABLES, placeholders, render};
use proptest::prelude::*;
use proptest::sample::select;

/// `text` with every brace doubled: the documented way to write a literal brace.
fn escape(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

/// Placeholder names: the runbook variables and any other well-formed name.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        select(VARIABLES).prop_map(str::to_owned),
        "[a-zA-Z][a-zA-Z0-9_.]{0,16}",
    ]
}

/// Text dense in braces and placeholder-like runs.
fn braces() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        select(vec![
            "{", "}", "{{", "}}", "{date}", "{ date}", "{1x}", "{a.b_c}", "é", " "
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text: every placeholder found is `{name}` at its offset, and rendering without
    /// values fails on the first one, or succeeds when there is none.
    #[test]
    fn placeholders_are_found_where_they_are(text in braces()) {
        let found = placeholders(&text);
        for p in &found {
            let at = text.get(p.offset..).unwrap_or_default();
            prop_assert!(at.starts_with(&format!("{{{}}}", p.name)), "{p:?} in {text:?}");
        }
        let rendered = render(&text, &TemplateVars::default());
        match found.first() {
            Some(first) => prop_assert_eq!(rendered, Err(MissingValue(first.name.clone()))),
            None => prop_assert!(rendered.is_ok()),
        }
    }

    #[test]
    fn text_without_braces_renders_unchanged(text in "[^{}]*") {
        prop_assert!(placeholders(&text).is_empty());
        prop_assert_eq!(render(&text, &TemplateVars::default()), Ok(text));
    }

    #[test]
    fn doubled_braces_are_literal(text in braces()) {
        let escaped = escape(&text);
        prop_assert!(placeholders(&escaped).is_empty());
        prop_assert_eq!(render(&escaped, &TemplateVars::default()), Ok(text));
    }

    /// A value lands as it is, even when it looks like a placeholder itself.
    #[test]
    fn values_are_inserted_verbatim(
        before in braces(),
        name in name(),
        value in braces(),
        after in braces(),
    ) {
        let mut vars = TemplateVars::default();
        vars.set(&name, value.clone());
        let text = format!("{}{{{name}}}{}", escape(&before), escape(&after));
        prop_assert_eq!(render(&text, &vars), Ok(format!("{before}{value}{after}")));
    }

    /// A name without a value is an error naming it, never an empty string.
    #[test]
    fn a_missing_value_is_an_error(name in name(), other in name(), value in braces()) {
        prop_assume!(name != other);
        let mut vars = TemplateVars::default();
        vars.set(&other, value);
        let text = format!("a {{{other}}} {{{name}}} b");
        prop_assert_eq!(render(&text, &vars), Err(MissingValue(name)));
    }
}
