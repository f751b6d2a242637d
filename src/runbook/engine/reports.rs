//! The steps that write reports, not stores: the postmortem and the audit entry. A failure
//! here is said at the end of the session and never undoes a store (see `steps.rs`).

use crate::report::audit::{self, AuditEntry};
use crate::report::postmortem;
use crate::session::event::Outcome;

use super::StepParams;
use super::actions::{done, done_with};
use super::{Done, Engine, EngineError, PlannedStep};

impl Engine {
    /// Writes the postmortem as the session stands (this step under way): a process that
    /// dies before the session ends leaves a file that says so. When the session ends,
    /// [`Engine::rewrite_postmortem`] rewrites it from the whole journal.
    pub(crate) fn write_postmortem(&mut self, _planned: &PlannedStep) -> Result<Done, EngineError> {
        let pm = postmortem::of(&self.fold.summary);
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
    pub(crate) async fn write_audit_entry(&mut self, p: &StepParams) -> Result<Done, EngineError> {
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
    /// The postmortem this session's `write_postmortem` step wrote (in this process or
    /// before a resume), rewritten from the session's fold once its end is journaled, so
    /// the file tells the session as it ended. A failure is returned for the faces; the
    /// file then still holds the step's version, and `keyturn postmortem` rewrites it.
    pub(crate) fn rewrite_postmortem(&mut self) -> Option<String> {
        let path = self.postmortem_path()?;
        let pm = postmortem::of(&self.fold.summary);
        let err = postmortem::rewrite(&path, &pm).err()?;
        self.report_failed = true;
        Some(format!(
            "the postmortem {} could not be brought up to the session's end: {err} — run `keyturn postmortem {}`",
            path.display(),
            self.session_id()
        ))
    }

    /// Where this session's `write_postmortem` step wrote, from its journaled output.
    fn postmortem_path(&self) -> Option<std::path::PathBuf> {
        if self.deps().dry_run {
            return None;
        }
        let step = self.steps().iter().find(|s| {
            s.is(crate::runbook::ActionKind::WritePostmortem)
                && self.step_status(&s.id) == Some(crate::runbook::StepStatus::Succeeded)
        })?;
        let outputs = self.fold.journaled.outputs.get(&step.id)?;
        outputs.get("path").map(std::path::PathBuf::from)
    }

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
            s.is(crate::runbook::ActionKind::WriteAuditEntry)
                && self.step_status(&s.id) == Some(crate::runbook::StepStatus::Succeeded)
        });
        if self.deps().dry_run || step_wrote_it || !self.wrote_anything() {
            return None;
        }
        let path = self.deps().config.audit.path.clone();
        let result: Result<(), String> = async {
            let summary = &self.fold.summary;
            let actor = match self.audit_actor().await {
                Ok(actor) => actor,
                Err(err) => format!("unknown (the Heroku account could not be read: {err})"),
            };
            let ending = audit::Ending {
                outcome,
                at: chrono::Utc::now(),
                message,
            };
            let Some(entry) = audit::entry(summary, &ending, &actor) else {
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
