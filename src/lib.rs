//! keyturn: a terminal runbook assistant for the operator who owns a long-lived vendor API
//! token kept in three places (vault, GitHub Actions secret, Heroku config vars).
//!
//! Data flows one way: config → vendors → drift snapshot → diagnosis → runbook engine
//! (events) → {TUI, journal, audit log, postmortem}. See `DESIGN.md` in the shared docs.

pub mod cli;
pub mod config;
pub mod drift;
pub mod private_files;
pub mod probe_workflow;
pub mod redact;
pub mod report;
pub mod runbook;
pub mod secret;
pub mod session;
pub mod sim;
pub mod store;
pub mod tui;
pub mod vendors;
