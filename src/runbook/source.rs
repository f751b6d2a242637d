//! Where a parsed value sits in the runbook's text, so a problem names the line and column
//! the operator must edit. toml's spans cover a value as written (quotes and escapes
//! included) and, for a `[step.params]` table, only its header line.

use std::ops::Range;

/// Offset of `needle` inside the source of `span`, else the span's start.
pub fn find_in(text: &str, span: Range<usize>, needle: &str) -> usize {
    text.get(span.clone())
        .and_then(|raw| raw.find(needle))
        .map_or(span.start, |i| span.start + i)
}

/// Offset of `key` where it is written as a key (`key =`) inside `span`; else as
/// [`find_in`]. A plain search would stop at `id` inside `identify`, or inside a value.
pub fn find_key(text: &str, span: Range<usize>, key: &str) -> usize {
    let raw = text.get(span.clone()).unwrap_or_default();
    let is_key = |i: usize| {
        raw.get(i + key.len()..).is_some_and(|after| {
            after
                .trim_start_matches(['"', '\'', ' ', '\t'])
                .starts_with('=')
        })
    };
    let found = raw.match_indices(key).map(|(i, _)| i).find(|&i| is_key(i));
    found.map_or_else(|| find_in(text, span.clone(), key), |i| span.start + i)
}

/// The source of a table. An inline table's span is the table itself; a `[step.params]`
/// table's span is only its header, so its keys are sought up to the next header.
pub fn table(text: &str, span: Range<usize>) -> Range<usize> {
    if !text
        .get(span.clone())
        .is_some_and(|raw| raw.starts_with('['))
    {
        return span;
    }
    let rest = text.get(span.end..).unwrap_or_default();
    let next_header = rest.match_indices('\n').map(|(i, _)| i + 1).find(|&i| {
        rest.get(i..)
            .is_some_and(|l| l.trim_start().starts_with('['))
    });
    span.start..next_header.map_or(text.len(), |i| span.end + i)
}

/// Offset of character `column` (1-based, as [`super::condition::ConditionError`] counts)
/// of the string `value` written at `span`. Exact when the string is written verbatim;
/// with escapes, the string's start (still the right line for a one-line string).
pub fn char_in_string(text: &str, span: Range<usize>, value: &str, column: usize) -> usize {
    let raw = text.get(span.clone()).unwrap_or_default();
    let Some(start) = verbatim_start(raw, value) else {
        return span.start;
    };
    let within = value
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(value.len(), |(i, _)| i);
    span.start + start + within
}

/// Where `value` begins inside `raw` (its TOML spelling) if it is written without escapes.
fn verbatim_start(raw: &str, value: &str) -> Option<usize> {
    const OPENINGS: [&str; 8] = [
        "'''\r\n",
        "'''\n",
        "\"\"\"\r\n",
        "\"\"\"\n",
        "'''",
        "\"\"\"",
        "'",
        "\"",
    ];
    OPENINGS.iter().find_map(|open| {
        let close = open.trim_end_matches(['\r', '\n']);
        let inner = raw.strip_prefix(open)?.strip_suffix(close)?;
        (inner == value).then_some(open.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_where_they_are_keys() {
        let text = "params = { identify = \"x\", id = 1 }";
        assert_eq!(
            find_key(text, 9..text.len(), "id"),
            text.find("id =").unwrap()
        );
        let text = "[step.params]\nevent = \"context\"\ncontext = 1\n\n[[step]]\n";
        let span = table(text, 0..13);
        assert_eq!(span, 0..text.find("\n[[step]]").unwrap());
        assert_eq!(
            find_key(text, span, "context"),
            text.find("context =").unwrap()
        );
    }

    #[test]
    fn columns_count_characters_of_verbatim_strings_only() {
        let text = "when = '\"üü\"ü'";
        let span = 7..text.len();
        assert_eq!(char_in_string(text, span.clone(), "\"üü\"ü", 5), 14);
        let text = "when = \"\\\"üü\\\"ü\"";
        assert_eq!(char_in_string(text, 7..text.len(), "\"üü\"ü", 5), 7);
        assert_eq!(char_in_string("when = ''", 7..9, "", 1), 8);
    }
}
