//! The runbook pane's state, folded from the engine's messages: the step list with
//! statuses, what the engine waits for, the last attempt of each step, and the session's
//! outcome. Pure data; the engine itself lives on the worker thread.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::runbook::engine::{Change, ConfirmPrompt, Pending};
use crate::runbook::{Runbook, StepStatus};
use crate::session::event::{Event, EventKind, NoteKind, Outcome};

use super::worker::{FromEngine, StepLine};

/// What the runbook pane shows.
#[derive(Debug, Clone, Default)]
pub struct RunbookView {
    /// `None` until a runbook starts.
    pub runbook: Option<Runbook>,
    pub steps: Vec<StepLine>,
    /// The step under way (between `StepStarted` and its result).
    pub running: Option<String>,
    pub pending: Option<Pending>,
    /// The last result line of each step (`✔ summary`, `✖ error`, `skipped: reason`).
    pub results: BTreeMap<String, String>,
    pub journal: Option<PathBuf>,
    pub outcome: Option<Outcome>,
    /// The engine refused the last command (shown once in the modal or status line).
    pub refused: Option<String>,
    /// The engine cannot go on.
    pub broken: Option<String>,
    /// The postmortem this session wrote, with its text for the preview.
    pub postmortem: Option<(PathBuf, String)>,
    /// Where the runbook's `write_postmortem` step wrote (its journaled `path` output).
    pub postmortem_written: Option<PathBuf>,
    /// Recent one-line facts, newest last (the activity log under the step).
    pub log: Vec<String>,
    /// Steps that succeeded in finding something wrong (the vault copy rejected): shown
    /// as a finding, not as a plain ✔.
    pub findings: std::collections::BTreeSet<String>,
    /// The session, folded from the same events by the same fold as the engine's (its
    /// ledger: what this session did to each store).
    pub fold: crate::session::State,
}

/// What an event means for the panels: which stores to re-read now.
#[derive(Debug, Clone, PartialEq)]
pub enum Touched {
    Nothing,
    Vault,
    Github,
    App(String),
    /// An authorization was minted or revoked: every verdict may have changed.
    Verdicts,
    /// The engine's audit probed GitHub's copy: the GitHub panel shows the verdict.
    Probed(Box<super::panels::ProbeShown>),
}

impl RunbookView {
    /// A view for `runbook`, about to start.
    pub fn start(runbook: Runbook, journal: PathBuf) -> RunbookView {
        RunbookView {
            runbook: Some(runbook),
            journal: Some(journal),
            ..RunbookView::default()
        }
    }

    /// The session's id, once it started.
    pub fn session(&self) -> Option<String> {
        let id = &self.fold.summary.session;
        (!id.is_empty()).then(|| id.clone())
    }

    /// The first audit's diagnosis: what the session's conditions branch on.
    pub fn first_diagnosis(&self) -> Option<crate::drift::DiagnosisKind> {
        self.fold.journaled.diagnosis
    }

    /// The recovery path this drift recovery has taken so far, from what it wrote (a
    /// rotation takes no recovery path).
    pub fn path_taken(&self) -> Option<crate::drift::RecoveryPath> {
        let drift =
            self.fold.summary.kind == Some(crate::session::event::RunbookKind::DriftRecovery);
        drift.then(|| self.fold.summary.path_taken()).flatten()
    }

    /// True once the operator gave a note of this kind.
    pub fn has_note(&self, kind: NoteKind) -> bool {
        self.fold.summary.notes.iter().any(|(k, _)| *k == kind)
    }

    /// True while the engine may still change a store.
    pub fn under_way(&self) -> bool {
        self.runbook.is_some() && self.outcome.is_none() && self.broken.is_none()
    }

    /// Folds one worker message; returns which stores the UI should re-read.
    pub fn apply(&mut self, message: FromEngine) -> Touched {
        match message {
            FromEngine::Event(event) => return self.event(&event),
            FromEngine::Pending { pending, steps } => {
                self.steps = steps;
                self.running = None;
                if let Pending::Finished(outcome) = pending {
                    self.outcome = Some(outcome);
                }
                self.pending = Some(pending);
            }
            FromEngine::Refused(why) => self.refused = Some(why),
            FromEngine::Broken(why) => self.broken = Some(why),
        }
        Touched::Nothing
    }

    fn event(&mut self, event: &Event) -> Touched {
        self.log_line(event);
        self.fold.take(event);
        match &event.kind {
            EventKind::StepStarted { step, .. } => {
                self.running = Some(step.clone());
                self.pending = None;
            }
            _ => return self.result(&event.kind),
        }
        Touched::Nothing
    }

    fn result(&mut self, kind: &EventKind) -> Touched {
        match kind {
            EventKind::StepSucceeded {
                step,
                summary,
                outputs,
                ..
            } => {
                if self.writes_postmortem(step) {
                    self.postmortem_written = outputs.get("path").map(PathBuf::from);
                }
                if outputs.get("status").map(String::as_str) == Some("stale") {
                    self.findings.insert(step.clone());
                    self.set_status(step, StepStatus::Succeeded, format!("! {summary}"));
                } else {
                    self.set_status(step, StepStatus::Succeeded, format!("✔ {summary}"));
                }
            }
            EventKind::StepFailed { step, error, .. } => {
                self.set_status(step, StepStatus::Failed, format!("✖ {error}"));
            }
            EventKind::StepSkipped { step, reason, .. } => {
                self.set_status(step, StepStatus::Skipped, format!("skipped: {reason}"));
            }
            EventKind::WalkedBack { reopened, .. } => {
                for step in reopened {
                    self.results.remove(step);
                    self.findings.remove(step);
                }
            }
            EventKind::StepRolledBack { step, summary } => {
                self.results.insert(step.clone(), format!("↶ {summary}"));
            }
            _ => return touched(kind),
        }
        Touched::Nothing
    }

    /// The stores this session sent a write to, as the operator reads them.
    pub fn changed_stores(&self) -> Vec<String> {
        self.fold
            .ledger
            .attempted
            .keys()
            .map(ToString::to_string)
            .collect()
    }

    /// Authorizations this session minted and has not revoked.
    pub fn live_minted(&self) -> Vec<String> {
        (self
            .fold
            .ledger
            .minted
            .difference(&self.fold.ledger.revoked))
        .cloned()
        .collect()
    }

    /// One sentence on what leaving or aborting here leaves behind: nothing, or the
    /// stores written (kept as they are: nothing is undone) and a live new authorization.
    pub fn left_behind(&self) -> String {
        let changed = self.changed_stores();
        let minted = self.live_minted();
        let mut text = if changed.is_empty() {
            "No store has been changed: every copy is as it was".to_owned()
        } else {
            format!(
                "This session changed {}; nothing is undone, so they keep what it wrote while the other copies keep theirs",
                list(&changed)
            )
        };
        if !minted.is_empty() {
            text = format!("{text}; the new authorization {} stays live", list(&minted));
        }
        text.push('.');
        text
    }

    /// The question a roll back asks, or why it cannot be asked.
    pub fn rollback_question(&self) -> Result<String, String> {
        if let Some(id) = &self.fold.ledger.revoke_sent {
            return Err(format!(
                "roll back refused: the revoke of authorization {id} was sent, so the old token may be dead; finish the runbook forward (retry or skip)"
            ));
        }
        let changed = self.changed_stores();
        let minted = self.live_minted();
        let mut parts = Vec::new();
        if !changed.is_empty() {
            parts.push(format!(
                "put {} back on the value each held before",
                list(&changed)
            ));
        }
        if !minted.is_empty() {
            parts.push(format!(
                "revoke the new authorization {} (nothing uses it then)",
                list(&minted)
            ));
        }
        Ok(if parts.is_empty() {
            "Roll back? Nothing has been changed yet: the session just ends, every copy as it was."
                .to_owned()
        } else {
            format!("Roll back: {}?", parts.join(", and "))
        })
    }

    /// The session was cut short (failed, aborted, rolled back) before its runbook's
    /// postmortem step wrote anything. A runbook that stopped on purpose owes none.
    pub fn postmortem_owed(&self) -> bool {
        let cut_short = matches!(
            self.outcome,
            Some(Outcome::Failed | Outcome::Aborted | Outcome::RolledBack)
        );
        let has_step = (self.runbook.as_ref()).is_some_and(|r| r.steps.iter().any(is_postmortem));
        cut_short && has_step && self.postmortem_written.is_none()
    }

    fn writes_postmortem(&self, step: &str) -> bool {
        let step = self.runbook.as_ref().and_then(|r| r.step(step));
        step.is_some_and(is_postmortem)
    }

    fn set_status(&mut self, step: &str, status: StepStatus, line: String) {
        if let Some(s) = self.steps.iter_mut().find(|s| s.id == step) {
            s.status = Some(status);
        }
        self.results.insert(step.to_owned(), line);
        if self.running.as_deref() == Some(step) {
            self.running = None;
        }
    }

    fn log_line(&mut self, event: &Event) {
        const KEEP: usize = 50;
        let at = event.at.format("%H:%M:%S");
        if let Some(line) = describe(&event.kind) {
            self.log.push(format!("{at} {line}"));
        }
        if self.log.len() > KEEP {
            self.log.drain(..self.log.len() - KEEP);
        }
    }

    /// The step the pane describes: the one waiting, else the one running, else the last.
    pub fn focus(&self) -> Option<&str> {
        match &self.pending {
            Some(Pending::Confirm { step, .. } | Pending::Failed { step, .. }) => Some(step),
            _ => self.running.as_deref().or_else(|| {
                self.steps
                    .iter()
                    .rev()
                    .find(|s| s.status.is_some())
                    .map(|s| s.id.as_str())
            }),
        }
    }

    /// The 1-based position of the focused step and the total, for "Step 3/7".
    pub fn position(&self) -> Option<(usize, usize)> {
        let focus = self.focus()?;
        let index = self.steps.iter().position(|s| s.id == focus)?;
        Some((index + 1, self.steps.len()))
    }

    /// The markdown body of a step, from the runbook file (`for_each` copies share it).
    pub fn body(&self, step: &str) -> Option<String> {
        if let Some(Pending::Confirm { step: s, body, .. }) = &self.pending
            && s == step
        {
            return Some(body.clone());
        }
        if let Some(line) = self.steps.iter().find(|s| s.id == step) {
            return line.body.clone();
        }
        let base = step.split('.').next().unwrap_or(step);
        let found = self.runbook.as_ref()?.step(base)?;
        let body = found.body.as_ref()?.get_ref();
        Some(crate::runbook::template::render_for_display(
            body,
            &crate::runbook::template::TemplateVars::default(),
        ))
    }

    /// The change the waiting step will make, if it is waiting for a confirmation.
    pub fn preview(&self) -> Option<(&[Change], &ConfirmPrompt)> {
        match &self.pending {
            Some(Pending::Confirm {
                preview, confirm, ..
            }) => Some((preview, confirm)),
            _ => None,
        }
    }
}

fn touched(kind: &EventKind) -> Touched {
    use crate::session::event::Store;
    match kind {
        EventKind::SecretWritten { store, .. } => match store {
            Store::Vault => Touched::Vault,
            Store::Github => Touched::Github,
            Store::HerokuApp { app } => Touched::App(app.clone()),
            Store::Manual { .. } => Touched::Nothing,
        },
        EventKind::DynosRestarted { app } => Touched::App(app.clone()),
        EventKind::WorkflowCompleted { .. } | EventKind::WorkflowDispatched { .. } => {
            Touched::Github
        }
        EventKind::AuthorizationCreated { .. } | EventKind::AuthorizationRevoked { .. } => {
            Touched::Verdicts
        }
        EventKind::GithubProbed {
            verdict,
            vault,
            github_written,
        } => Touched::Probed(Box::new(super::panels::ProbeShown::Done {
            report: crate::drift::ProbeReport::Proved(verdict.clone()),
            vault: *vault,
            github_written: *github_written,
            at: verdict.probed_at,
        })),
        _ => Touched::Nothing,
    }
}

/// One line for the activity log, in the words every face uses; not the steps (the
/// step list shows them) nor the diagnosis (the footer shows it).
fn describe(kind: &EventKind) -> Option<String> {
    use crate::session::describe::Topic;
    crate::session::describe::describe(kind)
        .filter(|s| !matches!(s.topic, Topic::Step | Topic::Diagnosis))
        .map(|s| s.text)
}

pub use crate::session::describe::{note_name, outcome_name};

/// `a`, `a and b`, `a, b and c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn is_postmortem(step: &crate::runbook::Step) -> bool {
    step.is(crate::runbook::ActionKind::WritePostmortem)
}
