//! Runbooks as data: the file format ([`model`]), the `when` language ([`condition`]),
//! `{placeholder}` templates ([`template`]), the built-in actions ([`catalogue`]), loading
//! with located errors ([`loader`]) and validation ([`validate`]), the engine's typed
//! [`event`] stream and the fsynced session [`journal`].
//!
//! The engine that walks a runbook lives beside this and binds action names to code; this
//! half only says what a valid runbook is, so `keyturn runbooks validate` can reject a
//! broken file before anyone starts a rotation with it.

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
