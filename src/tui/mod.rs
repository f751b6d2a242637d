//! The terminal UI: a view over the runbook engine and the per-store pollers. It holds no
//! logic the non-interactive runner lacks (DESIGN.md "one engine, three faces").

pub mod clipboard;
pub mod markdown;
