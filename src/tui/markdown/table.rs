//! GitHub-style tables (the postmortem's timeline is one): cells are collected as plain
//! text while the table is open, then laid out as aligned columns under a bold header and
//! a rule. Styling inside a cell is dropped: a column's width is counted in characters,
//! and a table is read for its rows, not for emphasis.

use pulldown_cmark::Alignment;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Between two columns.
const GAP: &str = "  ";

/// An open table: its rows so far, the header first.
#[derive(Debug, Default)]
pub(super) struct Table {
    alignments: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    header_rows: usize,
}

impl Table {
    pub(super) fn new(alignments: Vec<Alignment>) -> Table {
        Table {
            alignments,
            ..Table::default()
        }
    }

    /// A row begins (the header's own row too).
    pub(super) fn row(&mut self, header: bool) {
        self.rows.push(Vec::new());
        if header {
            self.header_rows += 1;
        }
    }

    /// A cell begins in the current row.
    pub(super) fn cell(&mut self) {
        if self.rows.is_empty() {
            self.rows.push(Vec::new());
        }
        if let Some(row) = self.rows.last_mut() {
            row.push(String::new());
        }
    }

    /// Text inside the current cell.
    pub(super) fn text(&mut self, text: &str) {
        if let Some(cell) = self.rows.last_mut().and_then(|r| r.last_mut()) {
            cell.push_str(text);
        }
    }

    /// The table as lines: each row on one line, columns aligned, the header bold and
    /// underlined by a rule. The last column is not padded (no trailing spaces).
    pub(super) fn lines(self, header: Style, rule: Style) -> Vec<Line<'static>> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                (self.rows.iter())
                    .filter_map(|r| r.get(c))
                    .map(|t| t.trim().chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut lines = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let text = self.row_text(row, &widths);
            if i < self.header_rows {
                lines.push(Line::from(Span::styled(text, header)));
                if i + 1 == self.header_rows {
                    let total = widths.iter().sum::<usize>() + GAP.len() * (columns.max(1) - 1);
                    lines.push(Line::from(Span::styled("─".repeat(total), rule)));
                }
            } else {
                lines.push(Line::from(text));
            }
        }
        lines
    }

    fn row_text(&self, row: &[String], widths: &[usize]) -> String {
        let last = widths.len().saturating_sub(1);
        let cells = widths.iter().enumerate().map(|(c, &width)| {
            let cell = row.get(c).map_or("", |t| t.trim());
            let pad = width.saturating_sub(cell.chars().count());
            match self.alignments.get(c) {
                Some(Alignment::Right) => format!("{}{cell}", " ".repeat(pad)),
                Some(Alignment::Center) => {
                    let left = pad / 2;
                    format!("{}{cell}{}", " ".repeat(left), " ".repeat(pad - left))
                }
                _ if c == last => cell.to_owned(),
                _ => format!("{cell}{}", " ".repeat(pad)),
            }
        });
        cells.collect::<Vec<_>>().join(GAP).trim_end().to_owned()
    }
}
