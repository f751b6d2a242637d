//! The forward walk as a list: `for_each` steps expanded once per manual consumer, and the
//! questions the engine asks of each step (does its `when` hold, how is it confirmed).

use crate::config::ManualConsumer;
use crate::runbook::condition::{Condition, ConditionContext, StepStatus};
use crate::runbook::{ActionKind, Confirm, Runbook, Step};

use super::{ConfirmPrompt, Engine, EngineError};

/// One step of the walk, compiled once: its action resolved in the catalogue and its
/// `when` parsed (a validated runbook has neither wrong; an unchecked one fails the step
/// that carries the fault, not the plan). An expanded `for_each` step carries its
/// consumer.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    /// The step id, suffixed `.N` for the N-th consumer of a `for_each` step.
    pub id: String,
    pub step: Step,
    pub consumer: Option<ManualConsumer>,
    /// `None` when the runbook names an action the catalogue does not have.
    pub kind: Option<ActionKind>,
    /// The parsed `when`, or why it does not parse.
    pub when: Option<Result<Condition, String>>,
    /// The parsed choice parameters (`source`, `apps`), or why they do not parse.
    pub choices: Result<super::Choices, String>,
}

impl PlannedStep {
    /// Compiles `step` (for `consumer`, when it is a `for_each` copy) under `id`.
    pub fn compile(id: String, step: &Step, consumer: Option<ManualConsumer>) -> PlannedStep {
        let when = step.when.as_ref().map(|w| {
            Condition::parse(w.get_ref()).map_err(|e| format!("bad condition on {id}: {e}"))
        });
        let table = step.params.as_ref().map(toml::Spanned::get_ref);
        PlannedStep {
            kind: step.kind(),
            choices: super::Choices::compile(table).map_err(|e| format!("step {id}: {e}")),
            when,
            id,
            step: step.clone(),
            consumer,
        }
    }

    /// True when the step's action is `kind`.
    pub fn is(&self, kind: ActionKind) -> bool {
        self.kind == Some(kind)
    }

    /// The confirmation, `None` when the step runs without asking.
    pub fn confirm(&self) -> Option<Confirm> {
        match self.step.confirm() {
            Confirm::None => None,
            other => Some(other),
        }
    }
}

/// The forward steps, with `for_each = "manual_consumers"` expanded once per consumer.
pub fn expand(runbook: &Runbook, consumers: &[ManualConsumer]) -> Vec<PlannedStep> {
    let mut planned = Vec::new();
    for step in runbook.forward_steps() {
        if step.for_each.is_some() {
            for (i, consumer) in consumers.iter().enumerate() {
                let id = format!("{}.{}", step.id(), i + 1);
                planned.push(PlannedStep::compile(id, step, Some(consumer.clone())));
            }
        } else {
            planned.push(PlannedStep::compile(step.id().to_owned(), step, None));
        }
    }
    planned
}

impl Engine {
    /// Whether the step's `when` holds now.
    pub(crate) fn applies(&self, planned: &PlannedStep) -> Result<bool, EngineError> {
        let Some(when) = &planned.when else {
            return Ok(true);
        };
        let condition = when.as_ref().map_err(|e| EngineError::Step(e.clone()))?;
        condition
            .evaluate(self)
            .map_err(|e| EngineError::Step(e.to_string()))
    }

    /// The confirmation prompt with its typed word rendered, as the engine enforces it
    /// (see `safety.rs`: a revoke always types its word, a store write always asks).
    pub(crate) fn prompt(&self, planned: &PlannedStep) -> Option<ConfirmPrompt> {
        let given = planned.confirm().map(|confirm| match confirm {
            Confirm::Typed(word) => ConfirmPrompt::Typed(self.render(&word)),
            _ => ConfirmPrompt::YesNo,
        });
        self.enforced_prompt(planned, given)
    }

    /// `{consumer.name}` / `{consumer.how}` for an expanded `for_each` step.
    pub(crate) fn set_consumer_vars(&mut self, planned: &PlannedStep) {
        if let Some(consumer) = &planned.consumer {
            self.vars.set("consumer.name", consumer.name.clone());
            self.vars.set("consumer.how", consumer.how.clone());
        }
    }

    pub(crate) fn github_write(&self) -> bool {
        self.deps()
            .github_write
            .unwrap_or(self.deps().vendors.github.is_some())
    }
}

impl ConditionContext for Engine {
    fn diagnosis(&self) -> &str {
        self.diagnosis.name()
    }

    fn capability(&self, name: &str) -> Option<bool> {
        match name {
            "github_write" => Some(self.github_write()),
            "clipboard" => Some(self.deps().clipboard.available()),
            _ => None,
        }
    }

    fn config_flag(&self, name: &str) -> Option<bool> {
        let config = &self.deps().config;
        match name {
            "health_url" => Some(config.heroku.health_url.is_some()),
            "manual_consumers" => Some(!config.manual_consumers.is_empty()),
            _ => None,
        }
    }

    fn step_status(&self, step_id: &str) -> Option<StepStatus> {
        Engine::step_status(self, step_id)
    }

    fn session_fact(&self, name: &str) -> Option<bool> {
        match name {
            "old_token_dead" => Some(self.fold.ledger.old_dead),
            _ => None,
        }
    }
}
