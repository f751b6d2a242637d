//! The steps that write reports, not stores: the postmortem and the audit entry. A failure
//! here is said at the end of the session and never undoes a store (see `steps.rs`).

use std::collections::BTreeMap;

use crate::report::audit::{self, AuditEntry};
use crate::report::postmortem;
use crate::runbook::event::{EventKind, Outcome};

use super::actions::{done, done_with};
use super::{Done, Engine, EngineError, PlannedStep};

impl Engine {
    /// Renders the postmortem as if the session completed now (the walk reached it).
    pub(crate) fn write_postmortem(&mut self, planned: &PlannedStep) -> Result<Done, EngineError> {
        let mut events = crate::runbook::journal::read(self.journal_path())?;
        let last = events.last().map_or(0, |e| e.seq + 1);
        let now = chrono::Utc::now();
        // The file is written from inside this step: show the step and the session as the
        // journal will record them a moment later, not as "interrupted".
        let ending = [
            EventKind::StepSucceeded {
                step: planned.id.clone(),
                summary: "postmortem written (this file)".into(),
                duration_ms: 0,
                outputs: BTreeMap::new(),
            },
            EventKind::SessionFinished {
                outcome: Outcome::Completed,
                message: "recovered".into(),
            },
        ];
        for (seq, kind) in (last..).zip(ending) {
            events.push(crate::runbook::event::Event { seq, at: now, kind });
        }
        let pm = postmortem::render(&events);
        if self.deps().dry_run {
            return Ok(done("dry run: would write the postmortem"));
        }
        let path = postmortem::write(&self.deps().config.postmortem.dir, &pm)
            .map_err(|e| EngineError::Step(e.to_string()))?;
        let shown = path.display().to_string();
        Ok(done_with(
            &format!("postmortem written to {shown}"),
            &[("path", &shown)],
        ))
    }

    /// Appends the audit entry the step describes (ids only).
    pub(crate) async fn write_audit_entry(
        &mut self,
        p: &BTreeMap<String, String>,
    ) -> Result<Done, EngineError> {
        let action = p
            .get("event")
            .cloned()
            .unwrap_or_else(|| "secret.rotate.completed".into());
        let context: serde_json::Map<String, serde_json::Value> = p
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("context.")
                    .map(|k| (k.to_owned(), v.clone().into()))
            })
            .collect();
        let mut context = context;
        if self.deps().config.simulated {
            context.insert("simulated".into(), true.into());
        }
        let actor = self.audit_actor().await?;
        let entry = AuditEntry {
            action: action.clone(),
            actor,
            at: chrono::Utc::now(),
            context: context.into(),
        };
        if self.deps().dry_run {
            return Ok(done(&format!("dry run: would append {action}")));
        }
        let path = self.deps().config.audit.path.clone();
        // A resumed session may have appended it just before the process died.
        if audit::contains(&path, &entry) {
            return Ok(done(&format!("{action} already in {}", path.display())));
        }
        audit::append(&path, &entry).map_err(|e| EngineError::Step(e.to_string()))?;
        Ok(done(&format!("{action} appended to {}", path.display())))
    }
}

impl Engine {
    /// The audit line for how the session ends, appended by the engine whichever face
    /// drives it (so the TUI and `keyturn run` write the same line). None is written for a
    /// dry run, a session that changed nothing, or one whose own `write_audit_entry` step
    /// already wrote it. A failure to append is returned for the end message (and makes
    /// [`Engine::report_failed`] true); it never undoes a store.
    pub(crate) async fn audit_the_end(
        &mut self,
        outcome: Outcome,
        message: &str,
    ) -> Option<String> {
        let step_wrote_it = self.steps().iter().any(|s| {
            s.step.action.get_ref() == "write_audit_entry"
                && self.status.get(&s.id) == Some(&crate::runbook::StepStatus::Succeeded)
        });
        if self.deps().dry_run || step_wrote_it || !self.wrote_anything() {
            return None;
        }
        let path = self.deps().config.audit.path.clone();
        let result: Result<(), String> = async {
            let events =
                crate::runbook::journal::read(self.journal_path()).map_err(|e| e.to_string())?;
            let summary = crate::report::summary::Summary::of(&events);
            let actor = match self.audit_actor().await {
                Ok(actor) => actor,
                Err(err) => format!("unknown (the Heroku account could not be read: {err})"),
            };
            let ending = audit::Ending {
                outcome,
                at: chrono::Utc::now(),
                message,
            };
            let Some(entry) = audit::entry(&summary, &ending, &actor) else {
                return Ok(());
            };
            if audit::contains(&path, &entry) {
                return Ok(());
            }
            audit::append(&path, &entry).map_err(|e| e.to_string())
        }
        .await;
        let err = result.err()?;
        self.report_failed = true;
        Some(format!(
            "the audit entry could not be appended to {}: {err} — add it by hand; the stores are as this message says",
            path.display()
        ))
    }

    /// The audit actor: the one given (`--actor`), else the Heroku account's email.
    pub async fn audit_actor(&self) -> Result<String, EngineError> {
        match self.deps().actor.clone() {
            Some(actor) => Ok(actor),
            None => Ok(self.deps().vendors.heroku.account().await?.email),
        }
    }
}
