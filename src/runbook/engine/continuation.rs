//! Where a resumed walk goes on, from the session's fold and the planned steps: the
//! journal says what is done, the step list says what comes next.

use std::collections::BTreeMap;

use crate::session::event::Outcome;
use crate::session::{Journaled, StepStatus};

use super::PlannedStep;

/// Where a resumed session goes on, from the journal alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Continuation {
    /// The session ended this way; nothing to continue.
    Finished(Outcome),
    /// A rollback was under way: it is finished first.
    RollBack,
    /// Revoke the orphan authorizations (minted, their tokens never stored), then run from
    /// `step`; `None` when every step is done.
    From {
        orphans: Vec<String>,
        step: Option<String>,
    },
}

/// Where a resumed walk of `steps` goes on, judging by the journal alone: a minted
/// token the journal never saw reach the vault counts as lost, so the walk goes back to
/// the mint (the engine refines this by reading the vault).
pub fn continuation(j: &Journaled, steps: &[PlannedStep]) -> Continuation {
    if let Some(outcome) = j.finished.filter(|o| !o.resumable()) {
        return Continuation::Finished(outcome);
    }
    if j.rollback_started {
        return Continuation::RollBack;
    }
    let mut at = first_unfinished(steps, &j.status);
    let lost = j.live_minted().filter(|m| !j.vault_written_after(m.seq));
    if lost.is_some() || j.live_minted().is_none() {
        at = minted_before(steps, &j.status, at).unwrap_or(at);
    }
    Continuation::From {
        orphans: lost.map(|m| m.id.clone()).into_iter().collect(),
        step: steps.get(at).map(|s| s.id.clone()),
    }
}

/// The minting step, when it succeeded before `at` (its token is needed again).
pub fn minted_before(
    steps: &[PlannedStep],
    status: &BTreeMap<String, StepStatus>,
    at: usize,
) -> Option<usize> {
    minting_step(steps)
        .filter(|&m| m < at && status.get(&steps[m].id) == Some(&StepStatus::Succeeded))
}

/// The index of the first step that mints an authorization.
pub fn minting_step(steps: &[PlannedStep]) -> Option<usize> {
    steps
        .iter()
        .position(|s| s.is(crate::runbook::ActionKind::CreateAuthorization))
}

/// The first step that neither succeeded, nor was skipped, nor failed in a way a later
/// step handles; `steps.len()` when every step is done.
pub fn first_unfinished(steps: &[PlannedStep], status: &BTreeMap<String, StepStatus>) -> usize {
    (0..steps.len())
        .find(|&i| match status.get(&steps[i].id) {
            Some(StepStatus::Succeeded | StepStatus::Skipped) => false,
            Some(StepStatus::Failed) => !failure_handled(steps, i),
            None => true,
        })
        .unwrap_or(steps.len())
}

/// A failure a later step handles (`when = "step.ID.failed"`) does not stop the walk.
pub fn failure_handled(steps: &[PlannedStep], index: usize) -> bool {
    let needle = format!("step.{}.failed", steps[index].id);
    steps[index + 1..].iter().any(|s| {
        s.step
            .when
            .as_ref()
            .is_some_and(|w| w.get_ref().contains(&needle))
    })
}
