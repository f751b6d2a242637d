//! Edits of a valid TOML file, TOML spellings of generated values, and the check every
//! reported location must pass.

use std::fmt::Write as _;
use std::path::Path;

use keyturn::config::Location;
use proptest::prelude::*;
use proptest::sample::Index;

/// The lines a location may name: a file ending in `\n` has an empty last line, where an
/// error at the end of the file (an unclosed bracket) is reported.
pub fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

/// Fails unless `location` names `file`, a line of `text` and a column of that line.
pub fn check_location(text: &str, file: &Path, location: &Location) -> Result<(), TestCaseError> {
    prop_assert_eq!(&location.file, file);
    let line = text.split('\n').nth(location.line.wrapping_sub(1));
    prop_assert!(
        line.is_some(),
        "line {} of a {}-line text",
        location.line,
        line_count(text)
    );
    let width = line.unwrap_or_default().chars().count() + 1;
    prop_assert!(
        (1..=width).contains(&location.column),
        "column {} on line {} of {} chars",
        location.column,
        location.line,
        width - 1
    );
    Ok(())
}

/// The 1-based line `line` of `text`.
pub fn line_at(text: &str, line: usize) -> &str {
    text.split('\n').nth(line - 1).unwrap_or_default()
}

/// Indices of the `key = value` lines that are outside multi-line strings and whose value
/// fits on the line: the lines a one-line edit can change without touching their neighbours.
pub fn key_lines(text: &str) -> Vec<usize> {
    let mut inside = false;
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let delimiters = line.matches("'''").count() + line.matches("\"\"\"").count();
        if !inside && delimiters == 0 && is_key_line(line) {
            found.push(i);
        }
        inside ^= delimiters % 2 == 1;
    }
    found
}

fn is_key_line(line: &str) -> bool {
    line.split_once(" = ").is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

/// The 1-based line of the header of the table holding line index `line` (1 for the
/// top-level table): where a missing key is reported.
pub fn table_header(text: &str, line: usize) -> usize {
    let before = text.lines().take(line).collect::<Vec<_>>();
    before
        .iter()
        .rposition(|l| l.starts_with('['))
        .map_or(1, |i| i + 1)
}

/// `text` without the line at index `line`.
pub fn delete_line(text: &str, line: usize) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    lines.remove(line);
    lines.join("\n")
}

/// `text` with the value of the `key = value` line at index `line` replaced by `value`.
pub fn replace_value(text: &str, line: usize, value: &str) -> String {
    map_line(text, line, |old| {
        let key = old.split_once(" = ").map_or(old, |(key, _)| key);
        format!("{key} = {value}")
    })
}

/// `text` with the line at index `line` replaced by `change(line)`.
pub fn map_line(text: &str, line: usize, change: impl FnOnce(&str) -> String) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    lines[line] = change(&lines[line]);
    lines.join("\n")
}

/// `s` as a TOML basic string: quotes, backslashes and control characters escaped.
pub fn basic_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as a TOML literal string (written verbatim), if it can be one.
pub fn literal_string(s: &str) -> Option<String> {
    let verbatim = !s.contains('\'') && !s.chars().any(|c| c.is_control() && c != '\t');
    verbatim.then(|| format!("'{s}'"))
}

/// A value of another TOML type than `value` (the text after ` = `).
pub fn wrong_type(value: &str) -> &'static str {
    match value.trim_start().chars().next() {
        Some('"' | '\'' | '[' | '{') => "42",
        _ => "\"not a number or boolean\"",
    }
}

/// A structural edit anywhere in a file; positions scale to the file's size.
#[derive(Debug, Clone)]
pub enum Edit {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Cut at any byte (even inside a character: the rest is read as lossy UTF-8).
    Truncate(Index),
}

pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::DeleteLine),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

impl Edit {
    pub fn apply(&self, text: &str) -> String {
        let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
        let n = lines.len();
        match self {
            Edit::DeleteLine(i) => {
                lines.remove(i.index(n));
            }
            Edit::DuplicateLine(i) => lines.insert(i.index(n), lines[i.index(n)]),
            Edit::SwapLines(a, b) => lines.swap(a.index(n), b.index(n)),
            Edit::Truncate(at) => {
                let bytes = &text.as_bytes()[..at.index(text.len() + 1)];
                return String::from_utf8_lossy(bytes).into_owned();
            }
        }
        lines.concat()
    }
}

/// A one-line edit of a `key = value` line, which must be reported on the edited line.
#[derive(Debug, Clone)]
pub enum LineEdit {
    /// The value replaced by one of another type.
    WrongType(Index),
    /// `bogus_key = 1` inserted after the line, in the same table.
    UnknownKey(Index),
    /// The line written twice.
    DuplicateKey(Index),
}

pub fn line_edit() -> impl Strategy<Value = LineEdit> {
    prop_oneof![
        any::<Index>().prop_map(LineEdit::WrongType),
        any::<Index>().prop_map(LineEdit::UnknownKey),
        any::<Index>().prop_map(LineEdit::DuplicateKey),
    ]
}

impl LineEdit {
    /// The edited text and the 1-based line the error belongs on.
    pub fn apply(&self, text: &str) -> (String, usize) {
        let lines = key_lines(text);
        match self {
            LineEdit::WrongType(i) => {
                let at = lines[i.index(lines.len())];
                let old = text.lines().nth(at).unwrap_or_default();
                let value = old.split_once(" = ").map_or("", |(_, v)| v);
                (replace_value(text, at, wrong_type(value)), at + 1)
            }
            LineEdit::UnknownKey(i) => {
                let at = lines[i.index(lines.len())];
                let edited = map_line(text, at, |old| format!("{old}\nbogus_key = 1"));
                (edited, at + 2)
            }
            LineEdit::DuplicateKey(i) => {
                let at = lines[i.index(lines.len())];
                (map_line(text, at, |old| format!("{old}\n{old}")), at + 2)
            }
        }
    }
}
