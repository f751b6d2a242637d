//! `keyturn.toml`: arbitrary text, edits of the example config, any value on any line, and
//! `Location::at` for any offset.

use std::path::Path;

use keyturn::config::{BaseUrl, Config, ConfigError, Location, RepoSlug, SecretName};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};

use crate::edits::{
    basic_string, check_location, delete_line, edit, key_lines, line_at, line_edit, replace_value,
    table_header,
};

const FILE: &str = "ops/keyturn.toml";

pub const EXAMPLE: &str = include_str!("../../examples/keyturn.toml");

/// Where `text` is refused (`None` when it is a valid config), after checking the error
/// names the file and a line and column of `text`, and renders as `file:line:col: what`.
pub fn refused_at(text: &str) -> Result<Option<(Location, String)>, TestCaseError> {
    let Err(err) = Config::parse(text, Path::new(FILE)) else {
        return Ok(None);
    };
    let rendered = err.to_string();
    let ConfigError::Invalid { location, message } = err else {
        return Err(TestCaseError::fail(format!(
            "not a located error: {rendered}"
        )));
    };
    check_location(text, Path::new(FILE), &location)?;
    prop_assert!(!message.is_empty(), "{rendered}");
    prop_assert_eq!(rendered, format!("{location}: {message}"));
    Ok(Some((location, message)))
}

/// TOML values of every kind, with strings near what the config's fields accept.
fn toml_value() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        select(vec![
            "https://x.example/",
            "http://127.0.0.1:1",
            "http://x.example",
            "ftp://x",
            "/a/b/",
            "a/b",
            "owner/repo",
            "HEROKU_API_KEY",
            "GITHUB_X",
            "raxx-api",
            "ctrl-c",
            "q",
            "j",
        ])
        .prop_map(str::to_owned),
        "[a-z/:._-]{0,20}",
        any::<String>(),
    ]
    .prop_map(|s| basic_string(&s));
    prop_oneof![
        3 => text.clone(),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<bool>().prop_map(|b| b.to_string()),
        2 => vec(text.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
        1 => btree_map("[a-z_]{1,8}", text, 0..3).prop_map(|table| {
            let pairs: Vec<String> = table.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            format!("{{ {} }}", pairs.join(", "))
        }),
    ]
}

/// Text with several lines and characters of one to four bytes.
fn lines_of_text() -> impl Strategy<Value = String> {
    "(a|ü|€|🦀|\n|\r| ){0,40}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_is_refused_with_a_location(text in any::<String>()) {
        refused_at(&text)?;
    }

    #[test]
    fn arbitrary_bytes_are_refused_with_a_location(bytes in vec(any::<u8>(), 0..400)) {
        refused_at(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn edits_of_the_example_are_located(edit in edit()) {
        refused_at(&edit.apply(EXAMPLE))?;
    }

    #[test]
    fn one_line_edits_are_reported_on_that_line(edit in line_edit()) {
        let (text, line) = edit.apply(EXAMPLE);
        let at = refused_at(&text)?;
        prop_assert_eq!(at.map(|(l, _)| l.line), Some(line), "{:?}", line_at(&text, line));
    }

    /// A new value on one line is accepted or refused on that line, but for a key bound
    /// twice in `[tui.keymap]`: that involves two entries, and is reported at the table.
    #[test]
    fn any_value_is_accepted_or_refused_on_its_line(line in any::<Index>(), value in toml_value()) {
        let lines = key_lines(EXAMPLE);
        let at = lines[line.index(lines.len())];
        let text = replace_value(EXAMPLE, at, &value);
        if let Some((location, message)) = refused_at(&text)? {
            let expected = if message.contains("is bound to both") {
                text.lines().position(|l| l == "[tui.keymap]").map_or(0, |i| i + 1)
            } else {
                at + 1
            };
            prop_assert_eq!(location.line, expected, "{}: {:?}", message, line_at(&text, at + 1));
        }
    }

    /// Without one of its keys the config is still valid (the key has a default) or the
    /// key is reported missing at the header of its table.
    #[test]
    fn a_deleted_key_is_reported_at_its_table(line in any::<Index>()) {
        let lines = key_lines(EXAMPLE);
        let at = lines[line.index(lines.len())];
        let text = delete_line(EXAMPLE, at);
        if let Some((location, message)) = refused_at(&text)? {
            prop_assert!(message.starts_with("missing field"), "{}", message);
            prop_assert_eq!(location.line, table_header(EXAMPLE, at), "{}", message);
        }
    }

    /// What the field types accept is what they promise (https, or http on loopback only),
    /// and what they print reads back the same.
    #[test]
    fn field_values_read_back_as_printed(
        text in prop_oneof![
            any::<String>(),
            "(https?|HTTP|ftp)://(localhost|127\\.0\\.0\\.1|\\[::1\\]|x\\.example)(:[0-9]{1,5})?(/[a-z]{0,3}){0,3}/?",
            "[a-zA-Z0-9_.-]{0,8}/[a-zA-Z0-9_./-]{0,8}",
            "[A-Za-z0-9_]{0,12}",
        ],
    ) {
        if let Ok(url) = BaseUrl::parse(&text) {
            let shown = url.as_str();
            prop_assert!(shown.starts_with("https://") || (shown.starts_with("http://") && url.is_loopback()), "{shown}");
            prop_assert!(!shown.ends_with('/'), "{shown}");
            prop_assert_eq!(BaseUrl::parse(shown).map(|u| u.to_string()), Ok(shown.to_owned()));
        }
        if let Ok(slug) = RepoSlug::parse(&text) {
            prop_assert_eq!(RepoSlug::parse(&slug.to_string()), Ok(slug));
        }
        if let Ok(name) = SecretName::parse(&text) {
            prop_assert_eq!(SecretName::parse(name.as_str()), Ok(name));
        }
    }

    /// A byte offset, even one inside a character or past the end, is reported on the
    /// line that holds it, at the column of the character it falls in.
    #[test]
    fn a_location_is_the_line_and_column_of_its_offset(text in lines_of_text(), offset in any::<Index>()) {
        let offset = offset.index(text.len() + 2);
        let location = Location::at(Path::new(FILE), &text, offset);
        let mut byte = offset.min(text.len());
        while !text.is_char_boundary(byte) {
            byte -= 1;
        }
        let before = &text[..byte];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        prop_assert_eq!(location.line, before.matches('\n').count() + 1);
        prop_assert_eq!(location.column, before[line_start..].chars().count() + 1);
        check_location(&text, Path::new(FILE), &location)?;
    }
}

#[test]
fn the_example_config_has_lines_to_edit() {
    assert_eq!(refused_at(EXAMPLE).unwrap(), None);
    assert!(key_lines(EXAMPLE).len() > 25);
}
