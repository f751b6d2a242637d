//! Rolling back: undo, newest first, every step that succeeded and names a rollback. Refused
//! once a point-of-no-return step (revocation) succeeded: Heroku keeps no revoked
//! authorization, so there is nothing to go back to.

use crate::runbook::event::{EventKind, Outcome};
use crate::runbook::{Rollback, StepStatus};

use super::{Engine, EngineError, PlannedStep};

impl Engine {
    pub(crate) async fn roll_back(&mut self) -> Result<(), EngineError> {
        let done: Vec<PlannedStep> = self.steps()[..self.cursor.min(self.steps().len())]
            .iter()
            .filter(|s| self.step_status(&s.id) == Some(StepStatus::Succeeded))
            .cloned()
            .collect();
        if let Some(s) = done.iter().find(|s| s.step.point_of_no_return) {
            return Err(EngineError::Refused(format!(
                "`{}` succeeded: past the point of no return, rollback is impossible",
                s.id
            )));
        }
        self.emit(EventKind::RollbackStarted)?;
        let mut ran_paths = Vec::new();
        let mut by_hand = Vec::new();
        for planned in done.iter().rev() {
            if let Some(consumer) = planned
                .consumer
                .as_ref()
                .filter(|_| planned.step.rollback.is_none())
            {
                // keyturn never wrote this consumer, so it cannot unwrite it: say so, per consumer.
                by_hand.push(consumer.name.clone());
                self.emit(EventKind::StepRolledBack {
                    step: planned.id.clone(),
                    summary: format!(
                        "by hand: put the previous token back in {} ({}) — the vault's previous version",
                        consumer.name, consumer.how
                    ),
                })?;
                continue;
            }
            let Some(rollback) = planned.step.rollback.as_ref().map(|r| r.get_ref().clone()) else {
                continue;
            };
            let summary = match rollback {
                Rollback::Step(id) if ran_paths.contains(&id) => {
                    "undone by the rollback path above".to_owned()
                }
                Rollback::Step(id) => {
                    ran_paths.push(id.clone());
                    self.run_path(&id).await?
                }
                Rollback::Inline { action, params } => {
                    self.run_inline(&planned.id, action, params).await?
                }
            };
            self.emit(EventKind::StepRolledBack {
                step: planned.id.clone(),
                summary,
            })?;
        }
        let message = if by_hand.is_empty() {
            "rolled back before the point of no return".to_owned()
        } else {
            format!(
                "rolled back before the point of no return; by hand, put the previous token back in: {}",
                by_hand.join(", ")
            )
        };
        self.finish(Outcome::RolledBack, &message)
    }

    /// Runs a rollback path (a `rollback_only` step and the ones after it).
    async fn run_path(&mut self, id: &str) -> Result<String, EngineError> {
        let path: Vec<PlannedStep> = self
            .runbook_rollback_path(id)
            .into_iter()
            .map(|step| PlannedStep {
                id: step.id().to_owned(),
                step,
                consumer: None,
            })
            .collect();
        let mut lines = Vec::new();
        for planned in path {
            if !self.applies(&planned)? {
                continue;
            }
            let done = self.run_action(&planned).await?;
            lines.push(done.summary);
        }
        Ok(lines.join("; "))
    }

    async fn run_inline(
        &mut self,
        id: &str,
        action: String,
        params: toml::Table,
    ) -> Result<String, EngineError> {
        let mut step = self
            .steps()
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.step.clone())
            .ok_or(EngineError::NotNow("rollback"))?;
        step.action = toml::Spanned::new(0..0, action);
        step.params = Some(toml::Spanned::new(0..0, params));
        let planned = PlannedStep {
            id: format!("{id}.rollback"),
            step,
            consumer: None,
        };
        Ok(self.run_action(&planned).await?.summary)
    }
}
