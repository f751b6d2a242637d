#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property tests of the parsers of operator-edited input: runbooks, `keyturn.toml`, the
//! `when` language, `{placeholder}` templates, key names and the simulator's fault specs.
//!
//! The rules under test: nothing panics on bad input, and a malformed runbook or config
//! names the file, a line and column that exist and, for a one-line edit, the edited line.
//! Case counts stay small so the file runs in seconds on a 2-core CI machine in debug.

// In a subdirectory so cargo does not build each as a test target of its own.
#[path = "parsers_prop/conditions.rs"]
mod conditions;
#[path = "parsers_prop/config.rs"]
mod config;
#[path = "parsers_prop/edits.rs"]
mod edits;
#[path = "parsers_prop/keys_faults.rs"]
mod keys_faults;
#[path = "parsers_prop/runbook.rs"]
mod runbook;
#[path = "parsers_prop/runbook_gen.rs"]
mod runbook_gen;
#[path = "parsers_prop/templates.rs"]
mod templates;
