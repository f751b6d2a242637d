//! The `when` condition language. A step runs only when its condition holds, which is how
//! Path A, Path B, stale apps, inverse drift and "nothing valid" are branches of one
//! runbook rather than five files that drift apart.
//!
//! ```text
//! expr  := and ("or" and)*
//! and   := unary ("and" unary)*
//! unary := "not" unary | atom
//! atom  := "(" expr ")" | "true" | "false"
//!        | "diagnosis" ("==" | "!=") STRING
//!        | "diagnosis" "in" "[" STRING ("," STRING)* "]"
//!        | "capability." NAME          e.g. capability.github_write
//!        | "config." NAME              e.g. config.health_url (true when configured)
//!        | "session." NAME             e.g. session.old_token_dead (a fact of this session)
//!        | "step." STEP_ID "." STATE   STATE: succeeded | failed | skipped | ran
//! ```
//!
//! Names are checked while parsing, so a typo is an error with its column, not a branch
//! that silently never runs.

use super::lexer::{Lexer, Tok};

/// Every diagnosis the drift audit can produce.
pub const DIAGNOSES: &[&str] = &[
    "in-sync",
    "github-stale",
    "apps-stale",
    "vault-stale",
    "nothing-valid",
    "unknown",
];

/// What the session can do: `github_write` (a GitHub token allowed to write Actions
/// secrets, needed by Path B) and `clipboard` (a clipboard is reachable, needed by Path A).
pub const CAPABILITIES: &[&str] = &["github_write", "clipboard"];

/// Optional parts of the config a condition may test for presence.
pub const CONFIG_FLAGS: &[&str] = &["health_url", "manual_consumers"];

/// Facts the engine learns during a session: `old_token_dead` (Heroku already rejected the
/// token in use when a rotation began, so there is nothing to revoke).
pub const SESSION_FACTS: &[&str] = &["old_token_dead"];

pub use crate::session::StepStatus;

/// Which fact about a step a condition asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Succeeded,
    Failed,
    Skipped,
    /// Succeeded or failed: the step was attempted.
    Ran,
}

const STEP_STATES: &[&str] = &["succeeded", "failed", "skipped", "ran"];

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Literal(bool),
    /// `diagnosis == "x"` or `diagnosis in [..]`; `negate` for `!=`.
    DiagnosisIn {
        names: Vec<String>,
        negate: bool,
    },
    Capability(String),
    ConfigFlag(String),
    SessionFact(String),
    Step {
        id: String,
        state: StepState,
    },
    Not(Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

/// What the engine must answer for a condition to be evaluated.
pub trait ConditionContext {
    /// The drift audit's diagnosis, one of [`DIAGNOSES`].
    fn diagnosis(&self) -> &str;
    /// Whether the session has a capability; `None` if the name is unknown to the engine.
    fn capability(&self, name: &str) -> Option<bool>;
    /// Whether an optional config part is set; `None` if the name is unknown.
    fn config_flag(&self, name: &str) -> Option<bool>;
    /// How an earlier step ended; `None` when it has not run (yet).
    fn step_status(&self, step_id: &str) -> Option<StepStatus>;
    /// A fact of this session, one of [`SESSION_FACTS`]; `None` if the name is unknown.
    fn session_fact(&self, _name: &str) -> Option<bool> {
        None
    }
}

/// A syntax or name error, with the 1-based column inside the condition text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ConditionError {
    pub column: usize,
    pub message: String,
    pub fix: String,
}

/// A name the engine could not answer at run time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("condition asks for `{0}`, which this engine does not know")]
pub struct EvalError(pub String);

impl Condition {
    /// Parses a condition; errors carry the column and a suggested fix.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let mut parser = Parser {
            lexer: Lexer::new(text)?,
            depth: 0,
        };
        let condition = parser.or()?;
        match parser.lexer.peek() {
            (Tok::End, _) => Ok(condition),
            (tok, column) => Err(err(
                column,
                format!("unexpected {tok} after a complete condition"),
                "join conditions with `and` / `or`",
            )),
        }
    }

    /// Evaluates against the engine's view of the session.
    pub fn evaluate(&self, ctx: &dyn ConditionContext) -> Result<bool, EvalError> {
        Ok(match self {
            Condition::Literal(value) => *value,
            Condition::DiagnosisIn { names, negate } => {
                names.iter().any(|n| n == ctx.diagnosis()) != *negate
            }
            Condition::Capability(name) => ctx
                .capability(name)
                .ok_or_else(|| EvalError(format!("capability.{name}")))?,
            Condition::ConfigFlag(name) => ctx
                .config_flag(name)
                .ok_or_else(|| EvalError(format!("config.{name}")))?,
            Condition::SessionFact(name) => ctx
                .session_fact(name)
                .ok_or_else(|| EvalError(format!("session.{name}")))?,
            Condition::Step { id, state } => step_matches(ctx.step_status(id), *state),
            Condition::Not(inner) => !inner.evaluate(ctx)?,
            Condition::And(a, b) => a.evaluate(ctx)? && b.evaluate(ctx)?,
            Condition::Or(a, b) => a.evaluate(ctx)? || b.evaluate(ctx)?,
        })
    }

    /// Ids of the steps this condition looks at (the validator checks they come earlier).
    pub fn step_refs(&self) -> Vec<&str> {
        match self {
            Condition::Step { id, .. } => vec![id.as_str()],
            Condition::Not(inner) => inner.step_refs(),
            Condition::And(a, b) | Condition::Or(a, b) => {
                let mut refs = a.step_refs();
                refs.extend(b.step_refs());
                refs
            }
            _ => Vec::new(),
        }
    }
}

fn step_matches(status: Option<StepStatus>, state: StepState) -> bool {
    matches!(
        (status, state),
        (
            Some(StepStatus::Succeeded),
            StepState::Succeeded | StepState::Ran
        ) | (Some(StepStatus::Failed), StepState::Failed | StepState::Ran)
            | (Some(StepStatus::Skipped), StepState::Skipped)
    )
}

fn err(column: usize, message: String, fix: &str) -> ConditionError {
    ConditionError {
        column,
        message,
        fix: fix.to_owned(),
    }
}

/// How deeply `not` and parentheses may nest. The parser recurses once per level, so a
/// runaway `((((…` must be an error, not a stack overflow (an abort, not even a panic).
const MAX_DEPTH: usize = 32;

struct Parser {
    lexer: Lexer,
    /// Levels of `not` / `(` open around the current position.
    depth: usize,
}

impl Parser {
    fn or(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.and()?;
        while self.lexer.eat(&Tok::Or) {
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.unary()?;
        while self.lexer.eat(&Tok::And) {
            left = Condition::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    /// Every level of nesting passes through here, so this is where depth is counted.
    fn unary(&mut self) -> Result<Condition, ConditionError> {
        if self.depth >= MAX_DEPTH {
            return Err(err(
                self.lexer.peek().1,
                format!("the condition nests deeper than {MAX_DEPTH} levels"),
                "split it into simpler conditions or drop redundant `not` and parentheses",
            ));
        }
        self.depth += 1;
        let condition = if self.lexer.eat(&Tok::Not) {
            self.unary().map(|inner| Condition::Not(Box::new(inner)))
        } else {
            self.atom()
        };
        self.depth -= 1;
        condition
    }

    fn atom(&mut self) -> Result<Condition, ConditionError> {
        let (tok, column) = self.lexer.next();
        match tok {
            Tok::LParen => {
                let inner = self.or()?;
                self.lexer.expect(&Tok::RParen, "close the parenthesis")?;
                Ok(inner)
            }
            Tok::Name(path) => self.path(&path, column),
            other => Err(err(
                column,
                format!("expected a condition, found {other}"),
                "start with `diagnosis`, `capability.NAME`, `config.NAME`, `step.ID.STATE`, `not` or `(`",
            )),
        }
    }

    fn path(&mut self, path: &str, column: usize) -> Result<Condition, ConditionError> {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["true"] => Ok(Condition::Literal(true)),
            ["false"] => Ok(Condition::Literal(false)),
            ["diagnosis"] => self.diagnosis(),
            ["capability", name] => known(name, CAPABILITIES, column, "capability")
                .map(|()| Condition::Capability((*name).to_owned())),
            ["config", name] => known(name, CONFIG_FLAGS, column, "config flag")
                .map(|()| Condition::ConfigFlag((*name).to_owned())),
            ["session", name] => known(name, SESSION_FACTS, column, "session fact")
                .map(|()| Condition::SessionFact((*name).to_owned())),
            ["step", id, state] => Ok(Condition::Step {
                id: (*id).to_owned(),
                state: step_state(state, column)?,
            }),
            _ => Err(err(
                column,
                format!("unknown name `{path}`"),
                "use `diagnosis`, `capability.NAME`, `config.NAME`, `session.NAME` or `step.ID.STATE`",
            )),
        }
    }

    fn diagnosis(&mut self) -> Result<Condition, ConditionError> {
        let (tok, column) = self.lexer.next();
        let (names, negate) = match tok {
            Tok::EqEq => (vec![self.diagnosis_name()?], false),
            Tok::NotEq => (vec![self.diagnosis_name()?], true),
            Tok::In => (self.diagnosis_list()?, false),
            other => {
                return Err(err(
                    column,
                    format!("expected `==`, `!=` or `in` after `diagnosis`, found {other}"),
                    "write e.g. `diagnosis == \"github-stale\"`",
                ));
            }
        };
        Ok(Condition::DiagnosisIn { names, negate })
    }

    fn diagnosis_list(&mut self) -> Result<Vec<String>, ConditionError> {
        self.lexer
            .expect(&Tok::LBracket, "write a list like [\"a\", \"b\"]")?;
        let mut names = vec![self.diagnosis_name()?];
        while self.lexer.eat(&Tok::Comma) {
            names.push(self.diagnosis_name()?);
        }
        self.lexer
            .expect(&Tok::RBracket, "close the list with `]`")?;
        Ok(names)
    }

    fn diagnosis_name(&mut self) -> Result<String, ConditionError> {
        match self.lexer.next() {
            (Tok::Str(name), column) => known(&name, DIAGNOSES, column, "diagnosis").map(|()| name),
            (other, column) => Err(err(
                column,
                format!("expected a quoted diagnosis name, found {other}"),
                "quote it, e.g. \"github-stale\"",
            )),
        }
    }
}

fn known(name: &str, names: &[&str], column: usize, what: &str) -> Result<(), ConditionError> {
    if names.contains(&name) {
        return Ok(());
    }
    Err(err(
        column,
        format!("unknown {what} `{name}`"),
        &format!("use one of: {}", names.join(", ")),
    ))
}

fn step_state(state: &str, column: usize) -> Result<StepState, ConditionError> {
    known(state, STEP_STATES, column, "step state")?;
    Ok(match state {
        "succeeded" => StepState::Succeeded,
        "failed" => StepState::Failed,
        "skipped" => StepState::Skipped,
        _ => StepState::Ran,
    })
}

#[cfg(test)]
#[path = "condition_tests.rs"]
mod tests;
