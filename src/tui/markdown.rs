//! Step bodies are markdown; this turns them into styled ratatui text.
//! (Placeholder until the real module lands.)

/// Plain lines for now.
pub fn to_text(markdown: &str, _color: bool) -> ratatui::text::Text<'static> {
    ratatui::text::Text::raw(markdown.to_owned())
}
