//! Hanging indents for list items and quotes: a wrapped `• item` continues under its text,
//! not at the left edge. Paragraph wrapping knows nothing of list markers, so such lines
//! are wrapped here first (word by word, keeping each character's style).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar as _;

/// `lines` with every list item or quote longer than `width` wrapped under its marker.
pub fn hang(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        match marker_width(&line) {
            Some(indent) if line.width() > width && indent + 10 < width => {
                out.extend(wrap(&line, width, indent));
            }
            _ => out.push(line),
        }
    }
    out
}

/// The width of `  • `, `  12. ` or `│ ` at the start of the line, if it has one.
fn marker_width(line: &Line) -> Option<usize> {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let trimmed = text.trim_start_matches(' ');
    let lead = text.len() - trimmed.len();
    let marker = if trimmed.starts_with("• ") || trimmed.starts_with("│ ") {
        Some(2)
    } else {
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        (digits > 0 && trimmed[digits..].starts_with(". ")).then_some(digits + 2)
    }?;
    Some(lead + marker)
}

/// Word-wraps `line` at `width`, continuation rows indented by `indent` spaces.
pub fn wrap(line: &Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let mut rows = Vec::new();
    let mut start = 0;
    let mut first = true;
    while start < cells.len() {
        let room = if first { width } else { width - indent };
        let end = break_at(&cells[start..], room) + start;
        let mut row: Vec<(char, Style)> = Vec::new();
        if !first {
            row.extend(std::iter::repeat_n((' ', Style::new()), indent));
        }
        row.extend_from_slice(&cells[start..end]);
        rows.push(to_line(&row));
        start = end;
        while cells.get(start).is_some_and(|(c, _)| *c == ' ') {
            start += 1;
        }
        first = false;
    }
    rows
}

/// How many cells fit in `room` columns, breaking after the last space when there is one.
fn break_at(cells: &[(char, Style)], room: usize) -> usize {
    let mut used = 0;
    let mut last_space = None;
    for (i, (c, _)) in cells.iter().enumerate() {
        used += c.width().unwrap_or(0);
        if used > room {
            return last_space.filter(|&s| s > 0).unwrap_or(i.max(1));
        }
        if *c == ' ' {
            last_space = Some(i);
        }
    }
    cells.len()
}

fn to_line(cells: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = cells.first().map_or_else(Style::new, |(_, s)| *s);
    for (c, s) in cells {
        if *s != style {
            spans.push(Span::styled(std::mem::take(&mut text), style));
            style = *s;
        }
        text.push(*c);
    }
    spans.push(Span::styled(text, style));
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn list_items_continue_under_their_text() {
        let lines = vec![Line::from(
            "  • alpha beta gamma delta epsilon zeta eta theta",
        )];
        let out = texts(&hang(lines, 24));
        assert_eq!(
            out,
            [
                "  • alpha beta gamma",
                "    delta epsilon zeta",
                "    eta theta"
            ]
        );
        let numbered = texts(&hang(
            vec![Line::from("12. one two three four five six")],
            18,
        ));
        assert_eq!(numbered, ["12. one two three", "    four five six"]);
    }

    #[test]
    fn plain_lines_and_short_items_are_left_to_the_paragraph() {
        let lines = vec![
            Line::from("a plain line that is much longer than the width"),
            Line::from("• short"),
        ];
        assert_eq!(texts(&hang(lines.clone(), 20)), texts(&lines));
    }
}
