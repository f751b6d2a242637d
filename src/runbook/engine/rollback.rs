//! Rolling back: undo, newest first, every step that succeeded and names a rollback.
//!
//! Refused once a revoke request was sent (the old token may be dead, whatever Heroku
//! answered), once a point-of-no-return step succeeded, and when the old token was dead
//! before the session (rolling back would spread a dead token). A rollback undoes only
//! what this session changed, goes on past a step that fails (and says which), and ends by
//! saying what each store holds.

use std::fmt::Write as _;

use crate::runbook::{Rollback, StepStatus};
use crate::session::event::{EventKind, Outcome};

use super::{Engine, EngineError, PlannedStep};

impl Engine {
    /// The point-of-no-return step that already succeeded, if any.
    pub(crate) fn point_of_no_return_passed(&self) -> Option<String> {
        self.steps()[..self.cursor.min(self.steps().len())]
            .iter()
            .filter(|s| self.step_status(&s.id) == Some(StepStatus::Succeeded))
            .find(|s| s.step.point_of_no_return)
            .map(|s| s.id.clone())
    }

    pub(crate) async fn roll_back(&mut self) -> Result<(), EngineError> {
        if let Some(why) = self.rollback_forbidden() {
            return Err(EngineError::Refused(why));
        }
        if let Some(id) = self.point_of_no_return_passed() {
            return Err(EngineError::Refused(format!(
                "`{id}` succeeded: past the point of no return, rollback is impossible"
            )));
        }
        let done: Vec<PlannedStep> = self.steps()[..self.cursor.min(self.steps().len())]
            .iter()
            .filter(|s| self.step_status(&s.id) == Some(StepStatus::Succeeded))
            .cloned()
            .collect();
        self.emit(EventKind::RollbackStarted)?;
        self.rolling_back = true;
        let undone = self.undo_all(&done).await;
        self.rolling_back = false;
        let (by_hand, failed) = undone?;
        let mut message = if failed.is_empty() {
            "rolled back before the point of no return".to_owned()
        } else {
            format!(
                "rolled back only in part — could not undo: {}",
                failed.join("; ")
            )
        };
        if !by_hand.is_empty() {
            let _ = write!(
                message,
                "; by hand, put the previous token back in: {}",
                by_hand.join(", ")
            );
        }
        self.end(Outcome::RolledBack, &message).await
    }

    /// Undoes `done` newest first; returns the consumers to restore by hand and the
    /// rollbacks that failed. Only a journal failure stops it.
    async fn undo_all(
        &mut self,
        done: &[PlannedStep],
    ) -> Result<(Vec<String>, Vec<String>), EngineError> {
        let (mut ran_paths, mut by_hand, mut failed) = (Vec::new(), Vec::new(), Vec::new());
        for planned in done.iter().rev() {
            if let Some(name) = self.by_hand(planned) {
                self.emit(EventKind::StepRolledBack {
                    step: planned.id.clone(),
                    summary: format!(
                        "by hand: put the previous token back in {name} — the vault's previous version"
                    ),
                })?;
                by_hand.push(name);
                continue;
            }
            let Some(rollback) = planned.step.rollback.as_ref().map(|r| r.get_ref().clone()) else {
                continue;
            };
            let result = match rollback {
                Rollback::Step(id) if ran_paths.contains(&id) => {
                    Ok("undone by the rollback path above".to_owned())
                }
                Rollback::Step(id) => {
                    ran_paths.push(id.clone());
                    self.run_path(&id).await
                }
                Rollback::Inline { action, params } => {
                    self.run_inline(&planned.id, action, params).await
                }
            };
            let summary = match result {
                Ok(summary) => summary,
                Err(EngineError::Journal(e)) => return Err(EngineError::Journal(e)),
                Err(err) => {
                    failed.push(format!("{}: {err}", planned.id));
                    format!("FAILED: {err}")
                }
            };
            self.emit(EventKind::StepRolledBack {
                step: planned.id.clone(),
                summary,
            })?;
        }
        Ok((by_hand, failed))
    }

    /// A copy keyturn cannot unwrite: a manual consumer, or the GitHub secret pasted by
    /// hand when this session may not write it.
    fn by_hand(&self, planned: &PlannedStep) -> Option<String> {
        if let Some(consumer) = planned
            .consumer
            .as_ref()
            .filter(|_| planned.step.rollback.is_none())
        {
            return Some(format!("{} ({})", consumer.name, consumer.how));
        }
        let pasted_github = planned.is(crate::runbook::ActionKind::Manual)
            && self.covers(planned) == [crate::session::event::Store::Github];
        (pasted_github && !self.github_write()).then(|| {
            format!(
                "the GitHub secret {} ({}/{}/settings/secrets/actions)",
                self.deps().config.secret.name,
                self.deps()
                    .config
                    .github
                    .web_url
                    .as_str()
                    .trim_end_matches('/'),
                self.deps().config.github.repo
            )
        })
    }

    /// Runs a rollback path (a `rollback_only` step and the ones after it); goes on past a
    /// failed step and reports it in the summary.
    async fn run_path(&mut self, id: &str) -> Result<String, EngineError> {
        let path: Vec<PlannedStep> = self
            .runbook_rollback_path(id)
            .into_iter()
            .map(|step| PlannedStep::compile(step.id().to_owned(), &step, None))
            .collect();
        let (mut lines, mut failures) = (Vec::new(), Vec::new());
        for planned in path {
            if !self.applies(&planned)? {
                continue;
            }
            match self.run_action(&planned).await {
                Ok(done) => lines.push(done.summary),
                Err(EngineError::Journal(e)) => return Err(EngineError::Journal(e)),
                Err(err) => failures.push(format!("{}: {err}", planned.id)),
            }
        }
        if failures.is_empty() {
            Ok(lines.join("; "))
        } else {
            Err(EngineError::Step(failures.join("; ")))
        }
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
        // An inline rollback runs unconditionally, whatever the forward step's `when`.
        step.when = None;
        let planned = PlannedStep::compile(format!("{id}.rollback"), &step, None);
        Ok(self.run_action(&planned).await?.summary)
    }
}
