//! Moving the cursor: confirming, skipping, retrying, running one step and recording how
//! it ended. A failure that a later step handles (`when = "step.ID.failed"`) does not stop
//! the walk; any other failure parks the engine until the operator decides.

use std::time::Instant;

use crate::runbook::StepStatus;
use crate::session::event::{EventKind, Outcome};

use super::{ConfirmPrompt, Done, Engine, EngineError, Phase, PlannedStep};

impl Engine {
    pub(crate) async fn confirm(
        &mut self,
        meant: Option<&str>,
        typed: Option<&str>,
    ) -> Result<(), EngineError> {
        if self.phase != Phase::Waiting {
            return Err(EngineError::NotNow("confirm"));
        }
        let planned = self.current()?;
        if let Some(meant) = meant.filter(|m| *m != planned.id) {
            return Err(EngineError::Refused(format!(
                "that confirmation was for step {meant}, but step {} is waiting: read it, then confirm it",
                planned.id
            )));
        }
        if let Some(ConfirmPrompt::Typed(word)) = self.prompt(&planned)
            && typed.map(str::trim) != Some(word.as_str())
        {
            return Err(EngineError::WrongWord(word));
        }
        self.emit(EventKind::ConfirmationGiven {
            step: planned.id.clone(),
            typed: typed.is_some(),
        })?;
        self.phase = Phase::Walking;
        self.run_step(&planned).await
    }

    pub(crate) fn skip_current(&mut self, reason: &str) -> Result<(), EngineError> {
        if !matches!(self.phase, Phase::Waiting | Phase::Failed(_)) {
            return Err(EngineError::NotNow("skip"));
        }
        let planned = self.current()?;
        self.phase = Phase::Walking;
        self.skip(&planned, reason, true)
    }

    pub(crate) fn retry(&mut self) -> Result<(), EngineError> {
        if !matches!(self.phase, Phase::Failed(_)) {
            return Err(EngineError::NotNow("retry"));
        }
        self.phase = Phase::Walking;
        Ok(())
    }

    pub(crate) fn skip(
        &mut self,
        planned: &PlannedStep,
        reason: &str,
        by_operator: bool,
    ) -> Result<(), EngineError> {
        let title = self.render_text(planned.step.title.get_ref());
        let stores = if by_operator {
            self.covers(planned)
        } else {
            Vec::new()
        };
        self.emit(EventKind::StepSkipped {
            step: planned.id.clone(),
            title,
            reason: reason.to_owned(),
            by_operator,
            stores,
        })?;
        self.cursor += 1;
        Ok(())
    }

    /// Goes back from the failed step to its `back_to` step: the steps from there on are
    /// open again and the stores they wrote unproven, so the walk writes and proves them
    /// anew (the revoke's rule then waits for the new proof).
    pub(crate) fn back(&mut self) -> Result<(), EngineError> {
        let Some(back) = self.way_back() else {
            return Err(EngineError::NotNow("back"));
        };
        let from = self.current()?.id;
        let target = (self.steps.iter())
            .position(|s| s.id == back.step)
            .ok_or(EngineError::NotNow("back"))?;
        let span = self.steps[target..=self.cursor].to_vec();
        let reopened: Vec<String> = (span.iter())
            .filter(|s| self.step_status(&s.id).is_some())
            .map(|s| s.id.clone())
            .collect();
        let mut stores: Vec<_> = span.iter().flat_map(|s| self.covers(s)).collect();
        stores.sort();
        stores.dedup();
        self.emit(EventKind::WalkedBack {
            from,
            to: back.step,
            reopened,
            stores,
            why: None,
        })?;
        self.cursor = target;
        self.phase = Phase::Walking;
        Ok(())
    }

    /// The step a failure of the step at the cursor may go back to: its `back_to`, when
    /// that step ran in this session.
    pub(crate) fn way_back(&self) -> Option<super::BackTo> {
        if !matches!(self.phase, Phase::Failed(_)) || self.rolling_back {
            return None;
        }
        let planned = self.steps.get(self.cursor)?;
        let to = planned.step.back_to.as_ref()?.get_ref();
        let target = self.steps[..self.cursor].iter().find(|s| s.id == *to)?;
        (self.step_status(to) == Some(StepStatus::Succeeded)).then(|| super::BackTo {
            step: to.clone(),
            title: self.render_text(target.step.title.get_ref()),
        })
    }

    /// Runs one step's action and records the result.
    pub(crate) async fn run_step(&mut self, planned: &PlannedStep) -> Result<(), EngineError> {
        let title = self.render_text(planned.step.title.get_ref());
        self.emit(EventKind::StepStarted {
            step: planned.id.clone(),
            title,
            index: self.cursor + 1,
            total: self.steps.len(),
        })?;
        let started = Instant::now();
        let result = self.run_action(planned).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok(done) => {
                let stop = self.succeeded(planned, done, duration_ms)?;
                match stop {
                    Some(message) => self.end(Outcome::Stopped, &message).await,
                    None => Ok(()),
                }
            }
            Err(EngineError::Journal(e)) => Err(EngineError::Journal(e)),
            Err(error) => self.failed(planned, &error, duration_ms),
        }
    }

    /// Records a success; returns the message when the step ends the runbook (`stop`).
    pub(crate) fn succeeded(
        &mut self,
        planned: &PlannedStep,
        done: Done,
        duration_ms: u64,
    ) -> Result<Option<String>, EngineError> {
        for (name, value) in &done.outputs {
            self.vars.set_output(&planned.id, name, value.clone());
        }
        self.emit(EventKind::StepSucceeded {
            step: planned.id.clone(),
            summary: done.summary,
            duration_ms,
            outputs: done.outputs,
        })?;
        if self.deps().dry_run {
            let covered = self.covers(planned);
            self.fold.ledger.dry_covered.extend(covered);
        }
        self.cursor += 1;
        Ok(done.stop)
    }

    pub(crate) fn failed(
        &mut self,
        planned: &PlannedStep,
        error: &EngineError,
        duration_ms: u64,
    ) -> Result<(), EngineError> {
        self.emit(EventKind::StepFailed {
            step: planned.id.clone(),
            error: error.to_string(),
            duration_ms,
        })?;
        if is_report(planned) {
            self.report_failed = true;
            // A report that cannot be written is said at the end; the stores stay as they are.
            self.report_failures.push(format!(
                "but step {} failed: {error} — `keyturn postmortem {}` writes the postmortem from the journal, and the audit entry can be added by hand",
                planned.id,
                self.session_id()
            ));
            self.cursor += 1;
        } else if self.continues_after_failure() {
            self.cursor += 1;
        } else {
            self.phase = Phase::Failed(error.to_string());
        }
        Ok(())
    }

    /// A failure of the step at the cursor that a later step handles
    /// (`when = "step.ID.failed"`) does not stop the walk.
    pub(crate) fn continues_after_failure(&self) -> bool {
        super::continuation::failure_handled(&self.steps, self.cursor)
    }
}

/// A step that writes a report (postmortem, audit entry), not a token store.
fn is_report(planned: &PlannedStep) -> bool {
    planned.kind.and_then(crate::runbook::ActionKind::writes)
        == Some(crate::runbook::catalogue::Writes::Files)
}
