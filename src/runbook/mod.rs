//! Runbooks as data: the file format ([`model`]), the `when` language ([`condition`]),
//! `{placeholder}` templates ([`template`]), the built-in actions ([`catalogue`]), loading
//! with located errors ([`loader`]) and validation ([`validate`]), and the [`engine`] that
//! walks one. What a walk did is a session's (see [`crate::session`]: events, journal,
//! the one fold).
//!
//! A runbook is validated once when loaded, and each step compiled once when the walk is
//! planned ([`engine::PlannedStep`]: its [`catalogue::ActionKind`] and parsed `when`), so
//! `keyturn runbooks validate` rejects a broken file before anyone starts a rotation with
//! it and the engine never re-reads a step's text.

pub mod catalogue;
pub mod condition;
pub mod engine;
mod lexer;
pub mod loader;
pub mod model;
mod source;
pub mod template;
pub mod validate;

use std::fmt;

use crate::config::Location;

pub use catalogue::ActionKind;
pub use condition::{Condition, ConditionContext, StepStatus};
pub use loader::{Registry, RegistryEntry};
pub use model::{Confirm, Origin, Rollback, Runbook, Step};
pub use template::TemplateVars;

/// One thing wrong with a runbook file: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub location: Location,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} — {}", self.location, self.message, self.fix)
    }
}

/// Every problem found in one or more runbook files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct Problems(pub Vec<Problem>);
