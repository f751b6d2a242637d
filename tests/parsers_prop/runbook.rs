//! Runbooks: arbitrary text, edits of the shipped SOPs, renamed steps, bad conditions, and
//! generated runbooks that reach every check of the validator.

use std::path::Path;

use keyturn::runbook::condition::Condition;
use keyturn::runbook::loader;
use keyturn::runbook::template::VARIABLES;
use keyturn::runbook::{Origin, Problem};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::conditions::condition_soup;
use crate::edits::{
    basic_string, check_location, delete_line, edit, key_lines, line_at, line_edit, literal_string,
    map_line, replace_value, table_header,
};
use crate::runbook_gen::runbook_text;

const FILE: &str = "dir/edited.toml";

const SHIPPED: [&str; 2] = [
    include_str!("../../runbooks/heroku-token-rotation.toml"),
    include_str!("../../runbooks/heroku-key-drift-recovery.toml"),
];

/// The problems of `text` (empty when it is a valid runbook), after checking each names
/// the file, a line and column that exist, and a fix, and that the rendering shows them.
fn problems(text: &str) -> Result<Vec<Problem>, TestCaseError> {
    let Err(problems) = loader::parse(text, Path::new(FILE), Origin::Embedded) else {
        return Ok(Vec::new());
    };
    prop_assert!(!problems.0.is_empty(), "an error without a problem");
    let rendered = problems.to_string();
    prop_assert!(rendered.starts_with(&format!("{FILE}:")), "{rendered}");
    for p in &problems.0 {
        check_location(text, Path::new(FILE), &p.location)?;
        prop_assert!(!p.fix.is_empty(), "no fix: {p}");
        let head = format!("{}: {}", p.location, p.message);
        prop_assert!(rendered.contains(&head), "{head} not in {rendered}");
    }
    Ok(problems.0)
}

/// What the line of a problem must hold, for the kinds whose message names it.
fn marker(p: &Problem) -> Option<String> {
    let m = &p.message;
    if m.starts_with("bad condition") {
        return Some("when = ".to_owned());
    }
    if m.starts_with("unknown action") {
        return Some("action = ".to_owned());
    }
    if m.starts_with("duplicate step id") || m.ends_with("is not snake_case") {
        return Some("id = ".to_owned());
    }
    let name = m.strip_prefix("unknown placeholder `")?.split('`').next()?;
    Some(name.to_owned())
}

/// Indices of the lines starting with `prefix`, after the runbook's own header.
fn step_lines(text: &str, prefix: &str) -> Vec<usize> {
    let first_step = text.lines().position(|l| l == "[[step]]").unwrap_or(0);
    let lines = text.lines().enumerate().skip(first_step);
    lines
        .filter(|(_, l)| l.starts_with(prefix))
        .map(|(i, _)| i)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_is_refused_with_a_location(text in any::<String>()) {
        problems(&text)?;
    }

    #[test]
    fn arbitrary_bytes_are_refused_with_a_location(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        problems(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn edits_of_the_shipped_runbooks_are_located(which in 0..2usize, edit in edit()) {
        problems(&edit.apply(SHIPPED[which]))?;
    }

    #[test]
    fn one_line_edits_are_reported_on_that_line(which in 0..2usize, edit in line_edit()) {
        let (text, line) = edit.apply(SHIPPED[which]);
        let found = problems(&text)?;
        prop_assert!(
            found.iter().any(|p| p.location.line == line),
            "expected line {line} ({:?}) in {found:#?}", line_at(&text, line)
        );
    }

    /// A required key deleted from a step or the header is reported at that table.
    #[test]
    fn a_missing_key_is_reported_at_its_table(which in 0..2usize, line in any::<Index>()) {
        let text = SHIPPED[which];
        let lines = key_lines(text);
        let at = lines[line.index(lines.len())];
        let edited = delete_line(text, at);
        for p in problems(&edited)?.iter().filter(|p| p.message.starts_with("missing field")) {
            prop_assert_eq!(p.location.line, table_header(text, at), "{}", p);
        }
    }

    /// A placeholder no runbook can fill is reported on the line that uses it.
    #[test]
    fn an_unknown_placeholder_is_reported_where_it_is_used(
        which in 0..2usize,
        step in any::<Index>(),
        name in "[a-z][a-z0-9_]{0,12}".prop_filter("a variable", |n| !VARIABLES.contains(&n.as_str())),
    ) {
        let text = SHIPPED[which];
        let titles = step_lines(text, "title = \"");
        let at = titles[step.index(titles.len())];
        let edited = map_line(text, at, |old| old.replacen("title = \"", &format!("title = \"{{{name}}} "), 1));
        let found = problems(&edited)?;
        let wanted = format!("unknown placeholder `{{{name}}}`");
        prop_assert!(
            found.iter().any(|p| p.location.line == at + 1 && p.message == wanted),
            "{wanted} not on line {}: {found:#?}", at + 1
        );
    }

    /// A renamed step breaks exactly the runbooks that refer to it, and every problem is
    /// on a line naming the old or the new id (the reference, or the orphaned path).
    #[test]
    fn renaming_a_step_is_caught_where_it_is_referenced(
        which in 0..2usize,
        step in any::<Index>(),
        suffix in "[a-z0-9_]{1,8}",
    ) {
        let text = SHIPPED[which];
        let ids = step_lines(text, "id = \"");
        let at = ids[step.index(ids.len())];
        let old = line_at(text, at + 1).trim_start_matches("id = ").trim_matches('"').to_owned();
        let new = format!("renamed_{suffix}");
        let edited = replace_value(text, at, &basic_string(&new));
        let referenced = [format!("step.{old}."), format!("steps.{old}."), format!("rollback = \"{old}\""), format!("back_to = \"{old}\"")]
            .iter()
            .any(|r| text.contains(r.as_str()));
        let found = problems(&edited)?;
        prop_assert_eq!(found.is_empty(), !referenced, "{:#?}", found);
        for p in &found {
            let line = line_at(&edited, p.location.line);
            prop_assert!(line.contains(&old) || line.contains(&new), "{p} on {line:?}");
        }
    }

    /// Any `when` text either parses, or is reported on its own line; written verbatim
    /// (a literal string), the column is the condition's own column.
    #[test]
    fn a_bad_condition_is_reported_at_its_column(
        which in 0..2usize,
        step in any::<Index>(),
        condition in condition_soup(),
        literal in any::<bool>(),
    ) {
        let text = SHIPPED[which];
        let whens = step_lines(text, "when = ");
        let at = whens[step.index(whens.len())];
        let spelled = literal_string(&condition).filter(|_| literal);
        let value = spelled.clone().unwrap_or_else(|| basic_string(&condition));
        let edited = map_line(text, at, |_| format!("when = {value}"));
        let found = problems(&edited)?;
        prop_assert!(found.iter().all(|p| p.location.line == at + 1), "{:#?}", found);
        if let Err(e) = Condition::parse(&condition) {
            let bad = found.iter().find(|p| p.message.starts_with("bad condition"));
            prop_assert!(bad.is_some(), "{e} not reported: {found:#?}");
            if let (Some(p), Some(_)) = (bad, spelled) {
                prop_assert_eq!(p.location.column, "when = '".len() + e.column);
            }
        }
    }

    /// Generated runbooks reach the validator's checks; each kind of problem is on a line
    /// that holds what it is about.
    #[test]
    fn generated_runbooks_are_validated_with_locations(text in runbook_text()) {
        for p in problems(&text)? {
            if let Some(marker) = marker(&p) {
                let line = line_at(&text, p.location.line);
                prop_assert!(line.contains(&marker), "{p} on {line:?}");
            }
        }
    }
}

#[test]
fn the_shipped_runbooks_have_lines_to_edit() {
    for text in SHIPPED {
        assert!(problems(text).unwrap().is_empty());
        assert!(key_lines(text).len() > 40);
        assert!(step_lines(text, "when = ").len() > 5);
        assert!(step_lines(text, "id = \"").len() > 10);
    }
}
