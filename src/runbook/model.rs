//! The runbook file format. Fields the validator must point at are `Spanned`, so an error
//! names the line of the offending value rather than the whole file.
//!
//! ```toml
//! id = "heroku-token-rotation"
//! title = "Rotate the Heroku Platform API token"
//! secret = "{secret}"
//!
//! [[step]]
//! id = "revoke_old"
//! title = "Revoke the OLD authorization"
//! body = "Markdown: why, what to expect, warnings."
//! action = "revoke_authorization"
//! params = { authorization_id = "{steps.precheck.old_authorization_id}" }
//! confirm = { typed = "{steps.precheck.old_description}" }
//! point_of_no_return = true
//! when = "step.verify_workflow.succeeded"
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Deserializer, de::Error as _};
use toml::Spanned;

/// One runbook.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// Unique id; a file in the runbook directory with the same id overrides the embedded one.
    pub id: Spanned<String>,
    pub title: String,
    /// The secret the runbook serves: a name or `{secret}` (the configured one).
    pub secret: String,
    #[serde(default)]
    pub description: Option<String>,
    /// What the runbook is for (`rotation`, `drift_recovery`, `other`): which audit action
    /// a session produces, which runbook the TUI starts on drift and offers when in sync.
    #[serde(default = "other_kind")]
    pub kind: crate::session::event::RunbookKind,
    /// The steps, in order.
    #[serde(rename = "step", default)]
    pub steps: Vec<Step>,
    /// Where the runbook came from (set by the loader).
    #[serde(skip)]
    pub origin: Origin,
}

fn other_kind() -> crate::session::event::RunbookKind {
    crate::session::event::RunbookKind::Other
}

/// Where a runbook was loaded from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Origin {
    #[default]
    Embedded,
    File(PathBuf),
}

/// One step of a runbook.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `snake_case`, unique in the runbook; used by `when`, `rollback` and `{steps.ID.…}`.
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    /// Markdown shown to the operator: the SOP's explanation, warnings and gotchas.
    #[serde(default)]
    pub body: Option<Spanned<String>>,
    /// A built-in action name (see [`super::catalogue`]) or `manual`.
    pub action: Spanned<String>,
    #[serde(default)]
    pub params: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub confirm: Option<Spanned<Confirm>>,
    /// Condition (see [`super::condition`]); the step is skipped when it is false.
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    /// What undoes this step.
    #[serde(default)]
    pub rollback: Option<Spanned<Rollback>>,
    /// After this step there is no way back (revocation); requires a typed confirmation.
    #[serde(default)]
    pub point_of_no_return: bool,
    /// Skipped in the forward walk; runs only as part of a rollback path named by another
    /// step's `rollback` (the path is that step and the contiguous `rollback_only` steps
    /// after it).
    #[serde(default)]
    pub rollback_only: bool,
    /// Action outputs this step publishes as `{steps.ID.NAME}` for later steps.
    #[serde(default)]
    pub outputs: Vec<Spanned<String>>,
    /// `manual_consumers`: the step is repeated once per configured manual consumer.
    #[serde(default)]
    pub for_each: Option<Spanned<String>>,
    /// When this step fails, offer to go back to this earlier step and walk on from there
    /// (a deploy that fails after a manual paste goes back to the copy step: the paste
    /// may have been the wrong value). Offered only when that step ran in this session.
    #[serde(default)]
    pub back_to: Option<Spanned<String>>,
}

/// How the operator approves a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    None,
    YesNo,
    /// The operator must type this (a template, e.g. the old authorization's description).
    Typed(String),
}

/// What undoes a step.
#[derive(Debug, Clone, PartialEq)]
pub enum Rollback {
    /// Run the rollback path starting at this step id.
    Step(String),
    /// Run this action.
    Inline { action: String, params: toml::Table },
}

impl Step {
    /// The confirmation, defaulting to yes-no for actions that write, none otherwise.
    pub fn confirm(&self) -> Confirm {
        self.confirm.as_ref().map_or_else(
            || {
                let kind = self.kind();
                let writes = kind
                    .and_then(super::catalogue::ActionKind::writes)
                    .is_some();
                if writes || kind == Some(super::catalogue::ActionKind::Manual) {
                    Confirm::YesNo
                } else {
                    Confirm::None
                }
            },
            |c| c.get_ref().clone(),
        )
    }

    pub fn id(&self) -> &str {
        self.id.get_ref()
    }

    /// The catalogue action this step names (`None` for an unknown name, which
    /// `runbooks validate` reports with the closest one).
    pub fn kind(&self) -> Option<super::catalogue::ActionKind> {
        super::catalogue::ActionKind::parse(self.action.get_ref())
    }

    /// True when the step's action is `kind`.
    pub fn is(&self, kind: super::catalogue::ActionKind) -> bool {
        self.kind() == Some(kind)
    }
}

impl Runbook {
    pub fn id(&self) -> &str {
        self.id.get_ref()
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id() == id)
    }

    /// The steps of the forward walk, in order (`rollback_only` steps left out).
    pub fn forward_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| !s.rollback_only)
    }

    /// The rollback path that starts at step `id`: that step and the contiguous
    /// `rollback_only` steps after it. Empty if `id` is not a `rollback_only` step.
    pub fn rollback_path(&self, id: &str) -> Vec<&Step> {
        let start = self.steps.iter().position(|s| s.id() == id);
        start.map_or_else(Vec::new, |i| {
            self.steps[i..]
                .iter()
                .take_while(|s| s.rollback_only)
                .collect()
        })
    }
}

const CONFIRM_FIX: &str = "use \"none\", \"yes-no\" or { typed = \"WORD\" }";

impl<'de> Deserialize<'de> for Confirm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(s) if s == "none" => Ok(Confirm::None),
            toml::Value::String(s) if s == "yes-no" => Ok(Confirm::YesNo),
            toml::Value::Table(t) if t.len() == 1 => match t.get("typed") {
                Some(toml::Value::String(word)) if !word.trim().is_empty() => {
                    Ok(Confirm::Typed(word.clone()))
                }
                _ => Err(D::Error::custom(format!(
                    "a typed confirmation needs a non-empty word — {CONFIRM_FIX}"
                ))),
            },
            other => Err(D::Error::custom(format!(
                "`confirm = {other}` is not a confirmation — {CONFIRM_FIX}"
            ))),
        }
    }
}

const ROLLBACK_FIX: &str = "use a step id (rollback = \"restore_vault\") or an inline action (rollback = { action = \"restore_vault_version\", params = { version = \"previous\" } })";

impl<'de> Deserialize<'de> for Rollback {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(id) => Ok(Rollback::Step(id)),
            toml::Value::Table(mut t) => inline_rollback(&mut t).map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "`rollback = {other}` is not a rollback — {ROLLBACK_FIX}"
            ))),
        }
    }
}

fn inline_rollback(table: &mut toml::Table) -> Result<Rollback, String> {
    let Some(toml::Value::String(action)) = table.remove("action") else {
        return Err(format!(
            "an inline rollback needs `action` — {ROLLBACK_FIX}"
        ));
    };
    let params = match table.remove("params") {
        None => toml::Table::new(),
        Some(toml::Value::Table(params)) => params,
        Some(_) => return Err(format!("`params` must be a table — {ROLLBACK_FIX}")),
    };
    if let Some(key) = table.keys().next() {
        return Err(format!("unknown key `{key}` in rollback — {ROLLBACK_FIX}"));
    }
    Ok(Rollback::Inline { action, params })
}
