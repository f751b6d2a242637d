#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Step bodies rendered to ratatui text: the lines an operator reads, and no raw markdown.

use keyturn::tui::markdown::to_text;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Text;

/// The plain text of each line.
fn lines(text: &Text<'_>) -> Vec<String> {
    text.lines
        .iter()
        .map(|line| line.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

fn render(markdown: &str) -> Vec<String> {
    lines(&to_text(markdown, true))
}

/// The style of the first span whose text contains `needle`.
fn style_of(text: &Text<'_>, needle: &str) -> Style {
    text.lines
        .iter()
        .flat_map(|l| l.spans.iter())
        .find(|s| s.content.contains(needle))
        .map_or_else(|| panic!("no span contains {needle:?}"), |s| s.style)
}

fn all_styles(text: &Text<'_>) -> Vec<Style> {
    text.lines
        .iter()
        .flat_map(|l| l.spans.iter().map(|s| s.style).chain([l.style]))
        .chain([text.style])
        .collect()
}

#[test]
fn paragraphs_are_separated_by_one_blank_line_and_soft_breaks_join() {
    let out = render("first line\nsame paragraph\n\n\n\nsecond");
    assert_eq!(out, ["first line same paragraph", "", "second"]);
}

#[test]
fn hard_breaks_start_a_new_line() {
    assert_eq!(render("one  \ntwo\\\nthree"), ["one", "two", "three"]);
}

#[test]
fn headings_are_bold_and_coloured_without_hashes() {
    let text = to_text("# Title\n\n## Sub `code`\n\nbody", true);
    assert_eq!(lines(&text), ["Title", "", "Sub code", "", "body"]);
    let style = style_of(&text, "Title");
    assert!(style.add_modifier.contains(Modifier::BOLD));
    assert_eq!(style.fg, Some(Color::Cyan));
    assert!(style_of(&text, "Sub").add_modifier.contains(Modifier::BOLD));
}

#[test]
fn bullet_and_numbered_lists_nest_with_indentation() {
    let md =
        "- a\n- b\n  - inner\n    continued  \n    broken\n- c\n\n3. three\n4. four\n   1. nested";
    assert_eq!(
        render(md),
        [
            "• a",
            "• b",
            "  • inner continued",
            "    broken",
            "• c",
            "",
            "3. three",
            "4. four",
            "   1. nested",
        ]
    );
}

#[test]
fn loose_list_items_keep_their_paragraph_gaps() {
    assert_eq!(
        render("- one\n\n- two\n\n  more"),
        ["• one", "", "• two", "", "  more"]
    );
}

#[test]
fn code_blocks_keep_lines_verbatim_and_indented() {
    let md = "run:\n\n```sh\nheroku **not bold**\n\n  keep  spaces\n```\n\nafter";
    let text = to_text(md, true);
    assert_eq!(
        lines(&text),
        [
            "run:",
            "",
            "    heroku **not bold**",
            "",
            "      keep  spaces",
            "",
            "after"
        ]
    );
    assert_eq!(style_of(&text, "heroku").fg, Some(Color::Yellow));
}

#[test]
fn inline_code_emphasis_and_strong_are_styled_not_marked() {
    let text = to_text("a `GET /account` *emph* **strong** ~~gone~~", true);
    assert_eq!(lines(&text), ["a GET /account emph strong gone"]);
    assert_eq!(style_of(&text, "GET").fg, Some(Color::Yellow));
    let modifiers = |needle| style_of(&text, needle).add_modifier;
    assert!(modifiers("emph").contains(Modifier::ITALIC));
    assert!(modifiers("strong").contains(Modifier::BOLD));
    assert!(modifiers("gone").contains(Modifier::CROSSED_OUT));
    assert!(!modifiers("a ").contains(Modifier::BOLD));
}

#[test]
fn nested_emphasis_combines() {
    let text = to_text("**bold *both***", true);
    let both = style_of(&text, "both").add_modifier;
    assert!(both.contains(Modifier::BOLD | Modifier::ITALIC));
}

#[test]
fn block_quotes_get_a_bar_on_every_line() {
    assert_eq!(
        render("> quoted\n> text\n>\n> second\n\nout"),
        ["│ quoted text", "│", "│ second", "", "out"]
    );
}

#[test]
fn links_show_their_target_unless_it_is_the_text() {
    assert_eq!(
        render("[the SOP](https://x.test/sop) and <https://x.test/a>"),
        ["the SOP (https://x.test/sop) and https://x.test/a"]
    );
}

#[test]
fn rules_and_task_lists_render_as_text() {
    assert_eq!(
        render("- [ ] todo\n- [x] done\n\n---\n\nend"),
        [
            "• ☐ todo",
            "• ☑ done",
            "",
            "────────────────────────",
            "",
            "end"
        ]
    );
}

#[test]
fn empty_and_whitespace_bodies_render_nothing() {
    assert!(render("").is_empty());
    assert!(render("  \n\n ").is_empty());
}

#[test]
fn no_color_uses_modifiers_only() {
    let md = "# H\n\n`inline` [l](u) > q\n\n```\nblock\n```\n\n> quote\n\n- item";
    let text = to_text(md, false);
    for style in all_styles(&text) {
        assert_eq!(style.fg, None, "{style:?}");
        assert_eq!(style.bg, None, "{style:?}");
        assert_eq!(style.underline_color, None, "{style:?}");
    }
    assert!(
        style_of(&text, "inline")
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    assert!(
        style_of(&text, "block")
            .add_modifier
            .contains(Modifier::BOLD)
    );
}

/// Every shipped body renders, with none of the markers a reader would see as noise.
#[test]
fn every_shipped_runbook_body_renders_without_raw_markdown() {
    let runbooks = keyturn::runbook::loader::embedded().unwrap();
    let mut bodies = 0;
    for runbook in &runbooks {
        for step in &runbook.steps {
            let Some(body) = step.body.as_ref() else {
                continue;
            };
            bodies += 1;
            for color in [true, false] {
                check_rendered(step.id.get_ref(), body.get_ref(), color);
            }
        }
    }
    assert!(bodies > 20, "only {bodies} bodies found");
}

fn check_rendered(id: &str, body: &str, color: bool) {
    let out = lines(&to_text(body, color));
    assert!(!out.is_empty(), "{id}: rendered nothing");
    let joined = out.join("\n");
    for marker in ["**", "```", "`", "__"] {
        assert!(
            !joined.contains(marker),
            "{id}: {marker:?} leaked:\n{joined}"
        );
    }
    for line in &out {
        assert!(!line.starts_with("- "), "{id}: raw bullet: {line}");
        assert!(!line.starts_with('#'), "{id}: raw heading: {line}");
        assert!(!line.ends_with(' '), "{id}: trailing space: {line:?}");
    }
    assert!(!joined.contains("\n\n\n"), "{id}: double blank line");
}

#[test]
fn shipped_path_a_paste_steps_render_as_a_numbered_list() {
    let runbooks = keyturn::runbook::loader::embedded().unwrap();
    let step = runbooks
        .iter()
        .flat_map(|r| r.steps.iter())
        .find(|s| s.id.get_ref() == "path_a_paste")
        .unwrap();
    let out = lines(&to_text(step.body.as_ref().unwrap().get_ref(), false));
    assert_eq!(
        out[0],
        "1. Open {github_web}/{repo}/settings/secrets/actions"
    );
    assert_eq!(out[1], "2. Click {secret} → \"Update secret\"");
    assert_eq!(out[4], "");
    assert!(out[5].starts_with("GitHub never shows the value back"));
}

#[test]
fn html_blocks_keep_their_lines() {
    assert_eq!(
        render("<details>\n<summary>more</summary>\n</details>\n\nafter"),
        [
            "<details>",
            "<summary>more</summary>",
            "</details>",
            "",
            "after"
        ]
    );
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let out = render("evil \u{1b}]52;c;AAAA\u{7} text\n\n```\n\tindented\n```");
    assert_eq!(
        out,
        [
            "evil \u{fffd}]52;c;AAAA\u{fffd} text",
            "",
            "        indented"
        ]
    );
}

/// The postmortem's timeline is a table: each row is a line of aligned columns under a
/// bold header and a rule, never one run-on paragraph of pipes.
#[test]
fn a_table_renders_as_aligned_rows() {
    let md = "#### Timeline (UTC)\n\n| time | step | result |\n|---|---|---|\n| 03:48:56 | drift detected | github-stale |\n| 03:49:03 | Confirm the `source` | ✔ valid |\n\nafter";
    let text = to_text(md, true);
    let out = lines(&text);
    assert_eq!(
        out,
        [
            "Timeline (UTC)",
            "",
            "time      step                result",
            "──────────────────────────────────────────",
            "03:48:56  drift detected      github-stale",
            "03:49:03  Confirm the source  ✔ valid",
            "",
            "after",
        ]
    );
    assert!(
        style_of(&text, "time")
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert!(!out.iter().any(|l| l.contains('|')), "{out:#?}");
}
