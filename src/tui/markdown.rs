//! Step bodies are markdown; this turns them into styled ratatui text.
//!
//! Runbooks are data an operator may write (DESIGN.md "runbooks are data"), so the body is
//! real `CommonMark` parsed by pulldown-cmark, not a handful of regexes: whatever an author
//! writes renders as text, never as raw `**` or fences. The output is a pure function of
//! the input, so the step pane can re-render it on every draw and tests can compare lines.
//!
//! Block layout: blocks are separated by one blank line; each line starts with the prefix
//! of the containers it sits in (`│ ` per block quote, the list marker on an item's first
//! line and as many spaces on its later lines), so nesting indents naturally.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};

mod table;

/// Indentation of code block lines, after the container prefix.
const CODE_INDENT: &str = "    ";

/// Renders a step body. With `color == false` (`NO_COLOR`) only modifiers are used.
pub fn to_text(markdown: &str, color: bool) -> Text<'static> {
    let options =
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES;
    let mut writer = Writer::new(Palette::new(color));
    for event in Parser::new_ext(markdown, options) {
        writer.event(event);
    }
    writer.finish()
}

/// The styles of each element; one place decides what `NO_COLOR` means.
#[derive(Debug, Clone, Copy)]
struct Palette {
    heading: Style,
    top_heading: Style,
    strong: Style,
    emphasis: Style,
    strike: Style,
    code: Style,
    code_block: Style,
    link: Style,
    url: Style,
    marker: Style,
    quote: Style,
}

impl Palette {
    fn new(color: bool) -> Self {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let plain = Palette {
            heading: bold,
            top_heading: bold.add_modifier(Modifier::UNDERLINED),
            strong: bold,
            emphasis: Style::new().add_modifier(Modifier::ITALIC),
            strike: Style::new().add_modifier(Modifier::CROSSED_OUT),
            code: Style::new().add_modifier(Modifier::REVERSED),
            code_block: bold,
            link: Style::new().add_modifier(Modifier::UNDERLINED),
            url: Style::new().add_modifier(Modifier::DIM),
            marker: bold,
            quote: Style::new().add_modifier(Modifier::DIM),
        };
        if color { plain.colored() } else { plain }
    }

    /// Adds colours; code loses its reverse video because the colour sets it apart.
    fn colored(self) -> Self {
        Palette {
            heading: self.heading.fg(Color::Cyan),
            top_heading: self.top_heading.fg(Color::Cyan),
            code: Style::new().fg(Color::Yellow),
            code_block: Style::new().fg(Color::Yellow),
            link: self.link.fg(Color::Blue),
            url: Style::new().fg(Color::DarkGray),
            marker: Style::new().fg(Color::Cyan),
            quote: Style::new().fg(Color::DarkGray),
            ..self
        }
    }
}

/// A block that puts a prefix in front of each of its lines.
#[derive(Debug)]
enum Container {
    Quote,
    /// A list item: `marker` starts its first line, later lines indent by its width.
    Item {
        marker: String,
        shown: bool,
    },
}

/// An open link: its target and the text seen so far (to drop `(url)` when they match).
#[derive(Debug)]
struct OpenLink {
    url: String,
    text: String,
}

/// Walks the event stream once, building lines.
struct Writer {
    palette: Palette,
    lines: Vec<Line<'static>>,
    /// The line being built, if one is open.
    current: Option<Vec<Span<'static>>>,
    styles: Vec<Style>,
    containers: Vec<Container>,
    /// Next number of each open list (`None` for bullets).
    lists: Vec<Option<u64>>,
    /// Text of the open code block, split into lines at its end.
    code: Option<String>,
    link: Option<OpenLink>,
    /// A block ended: the next block starts after a blank line.
    gap: bool,
    /// An open table collects its cells until it ends.
    table: Option<table::Table>,
}

impl Writer {
    fn new(palette: Palette) -> Self {
        Writer {
            palette,
            lines: Vec::new(),
            current: None,
            styles: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            code: None,
            link: None,
            gap: false,
            table: None,
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text),
            Event::Code(code) => self.inline_code(&code),
            Event::InlineMath(text) | Event::InlineHtml(text) => self.push(&text, None),
            Event::Html(html) | Event::DisplayMath(html) => self.raw_lines(&html),
            Event::FootnoteReference(label) => self.push(&format!("[{label}]"), None),
            Event::SoftBreak => self.push(" ", None),
            Event::HardBreak => self.end_line(),
            Event::Rule => self.rule(),
            Event::TaskListMarker(done) => self.push(if done { "☑ " } else { "☐ " }, None),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::HtmlBlock => self.block_start(),
            Tag::Heading { level, .. } => self.heading_start(level),
            Tag::BlockQuote(_) => self.quote_start(),
            Tag::CodeBlock(_) => self.code_start(),
            Tag::List(first) => self.list_start(first),
            Tag::Item => self.item_start(),
            Tag::Emphasis => self.styles.push(self.palette.emphasis),
            Tag::Strong => self.styles.push(self.palette.strong),
            Tag::Strikethrough => self.styles.push(self.palette.strike),
            Tag::Link { dest_url, .. } => self.link_start(&dest_url),
            Tag::Table(alignments) => {
                self.block_start();
                self.table = Some(table::Table::new(alignments));
            }
            Tag::TableHead => self.table.iter_mut().for_each(|t| t.row(true)),
            Tag::TableRow => self.table.iter_mut().for_each(|t| t.row(false)),
            Tag::TableCell => self.table.iter_mut().for_each(table::Table::cell),
            _ => {}
        }
    }

    /// The table is complete: lay it out, each row a line under the container prefixes.
    fn table_end(&mut self) {
        let Some(table) = self.table.take() else {
            return;
        };
        for line in table.lines(self.palette.strong, self.palette.quote) {
            self.open_line();
            if let Some(spans) = self.current.as_mut() {
                spans.extend(
                    line.spans
                        .into_iter()
                        .map(|s| Span::styled(printable(s.content.into_owned()), s.style)),
                );
            }
            self.end_line();
        }
        self.block_end();
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => self.block_end(),
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.block_end();
            }
            TagEnd::BlockQuote(_) => {
                self.block_end();
                self.containers.pop();
            }
            TagEnd::CodeBlock => self.code_end(),
            TagEnd::List(_) => self.list_end(),
            TagEnd::Item => {
                self.end_line();
                self.containers.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link => self.link_end(),
            TagEnd::Table => self.table_end(),
            _ => {}
        }
    }

    /// A block begins: close the open line and leave a blank line after the previous block.
    fn block_start(&mut self) {
        self.end_line();
        if self.gap && !self.lines.is_empty() {
            let prefix = self.blank_prefix();
            self.lines.push(Line::from(prefix));
        }
        self.gap = false;
    }

    fn block_end(&mut self) {
        self.end_line();
        self.gap = true;
    }

    fn heading_start(&mut self, level: HeadingLevel) {
        self.block_start();
        let style = if level == HeadingLevel::H1 {
            self.palette.top_heading
        } else {
            self.palette.heading
        };
        self.styles.push(style);
    }

    fn quote_start(&mut self) {
        self.block_start();
        self.containers.push(Container::Quote);
    }

    fn list_start(&mut self, first: Option<u64>) {
        if self.lists.is_empty() {
            self.block_start();
        } else {
            self.end_line();
        }
        self.lists.push(first);
    }

    fn list_end(&mut self) {
        self.lists.pop();
        if self.lists.is_empty() {
            self.block_end();
        }
    }

    fn item_start(&mut self) {
        self.end_line();
        let marker = match self.lists.last_mut() {
            Some(Some(number)) => {
                let marker = format!("{number}. ");
                *number += 1;
                marker
            }
            _ => "• ".to_owned(),
        };
        self.containers.push(Container::Item {
            marker,
            shown: false,
        });
    }

    /// The info string (the language) is not shown: the operator needs the commands only.
    fn code_start(&mut self) {
        self.block_start();
        self.code = Some(String::new());
    }

    /// Emits the code block's lines verbatim: no markdown inside, blank lines kept.
    fn code_end(&mut self) {
        let code = self.code.take().unwrap_or_default();
        for line in code.lines() {
            self.open_line();
            if !line.is_empty() {
                self.push_styled(format!("{CODE_INDENT}{line}"), self.palette.code_block);
            }
            self.end_line();
        }
        self.gap = true;
    }

    fn link_start(&mut self, url: &str) {
        self.styles.push(self.palette.link);
        self.link = Some(OpenLink {
            url: url.to_owned(),
            text: String::new(),
        });
    }

    /// Closes a link; shows the target after the text unless the text already is it.
    fn link_end(&mut self) {
        self.styles.pop();
        let Some(link) = self.link.take() else { return };
        if link.text != link.url && !link.url.is_empty() {
            self.push_styled(format!(" ({})", link.url), self.palette.url);
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(table) = self.table.as_mut() {
            table.text(text);
        } else if let Some(code) = self.code.as_mut() {
            code.push_str(text);
        } else {
            self.push(text, None);
        }
    }

    fn inline_code(&mut self, code: &str) {
        if let Some(table) = self.table.as_mut() {
            return table.text(code);
        }
        self.push(code, Some(self.palette.code));
    }

    /// Raw HTML and display math are shown as written, line by line.
    fn raw_lines(&mut self, text: &str) {
        for line in text.split_inclusive('\n') {
            self.push(line.trim_end_matches(['\r', '\n']), None);
            if line.ends_with('\n') {
                self.end_line();
            }
        }
    }

    fn rule(&mut self) {
        self.block_start();
        self.open_line();
        self.push_styled("─".repeat(24), self.palette.quote);
        self.block_end();
    }

    /// Adds inline text in the current style (patched with `extra`), opening a line if needed.
    fn push(&mut self, text: &str, extra: Option<Style>) {
        if let Some(link) = self.link.as_mut() {
            link.text.push_str(text);
        }
        let style = self
            .styles
            .iter()
            .chain(extra.iter())
            .fold(Style::new(), |acc, s| acc.patch(*s));
        self.push_styled(text.to_owned(), style);
    }

    fn push_styled(&mut self, text: String, style: Style) {
        self.open_line();
        if let Some(spans) = self.current.as_mut() {
            spans.push(Span::styled(printable(text), style));
        }
    }

    /// Opens a line with the prefixes of the containers it sits in.
    fn open_line(&mut self) {
        if self.current.is_some() {
            return;
        }
        let mut spans = Vec::new();
        for container in &mut self.containers {
            spans.push(prefix(container, self.palette));
        }
        self.current = Some(spans);
    }

    fn end_line(&mut self) {
        if let Some(spans) = self.current.take() {
            self.lines.push(Line::from(spans));
        }
    }

    /// A blank line keeps the quote bars but never shows a pending list marker.
    fn blank_prefix(&self) -> Vec<Span<'static>> {
        let quoted = self
            .containers
            .iter()
            .any(|c| matches!(c, Container::Quote));
        if quoted {
            vec![Span::styled("│", self.palette.quote)]
        } else {
            Vec::new()
        }
    }

    fn finish(mut self) -> Text<'static> {
        self.end_line();
        while self.lines.last().is_some_and(|l| l.width() == 0) {
            self.lines.pop();
        }
        Text::from(self.lines)
    }
}

/// Tabs become spaces (a cell cannot hold one) and other control characters become `�`,
/// so a runbook file cannot send escape sequences to the operator's terminal.
fn printable(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    let mut clean = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => clean.push_str("    "),
            c if c.is_control() => clean.push('\u{fffd}'),
            c => clean.push(c),
        }
    }
    clean
}

/// The span a container puts at the start of a line; an item shows its marker once.
fn prefix(container: &mut Container, palette: Palette) -> Span<'static> {
    match container {
        Container::Quote => Span::styled("│ ", palette.quote),
        Container::Item { marker, shown } if !*shown => {
            *shown = true;
            Span::styled(marker.clone(), palette.marker)
        }
        Container::Item { marker, .. } => Span::raw(" ".repeat(marker.chars().count())),
    }
}
