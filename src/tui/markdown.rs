//! Step bodies are markdown; this turns them into styled ratatui text.
