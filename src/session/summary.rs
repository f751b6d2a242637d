//! A session's facts, extracted once from its events, for the postmortem and the audit log.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::drift::{DiagnosisKind, RecoveryPath};
use crate::session::describe::{Topic, describe};
use crate::session::event::{Event, EventKind, NoteKind, Outcome, RunbookKind, Source, Store};
use crate::store::Validity;

/// What one store looked like at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub validity: Validity,
    pub matches_vault: Option<bool>,
    pub version: Option<u64>,
    pub error: Option<String>,
    /// How it is known (GitHub: metadata, or exactly by a probe).
    pub evidence: Option<crate::store::Evidence>,
}

/// One step's fate, for the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    pub id: String,
    pub title: String,
    pub started: Option<DateTime<Utc>>,
    pub result: StepResult,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StepResult {
    Succeeded { summary: String, duration_ms: u64 },
    Failed { error: String, duration_ms: u64 },
    Skipped { reason: String, by_operator: bool },
    RolledBack { summary: String },
    Unfinished,
}

/// One proven write of the forward walk.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub store: Store,
    pub source: Option<Source>,
    pub by_operator: bool,
}

/// The facts of a session.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub session: String,
    pub runbook: String,
    pub secret: String,
    pub kind: Option<RunbookKind>,
    pub started: Option<DateTime<Utc>>,
    pub detected: Option<DateTime<Utc>>,
    pub diagnosis: Option<(DiagnosisKind, Option<RecoveryPath>, String)>,
    pub deploy: Option<EventKind>,
    pub before: BTreeMap<Store, Observation>,
    pub after: BTreeMap<Store, Observation>,
    pub steps: Vec<StepRecord>,
    pub notes: Vec<(NoteKind, String)>,
    pub old_authorization: Option<String>,
    pub new_authorization: Option<String>,
    pub revoked: Vec<String>,
    pub verified_at: Option<DateTime<Utc>>,
    /// The last deploy/verify run that succeeded: proof for the write-only GitHub copy.
    pub successful_run: Option<u64>,
    /// Writes, mints, revocations and workflow runs, for the timeline.
    pub facts: Vec<(DateTime<Utc>, String)>,
    /// Every proven write outside a rollback: the store, which token, by the operator's
    /// hand. What the session did, as opposed to what the diagnosis recommended.
    pub writes: Vec<Written>,
    /// The last probe of GitHub's copy in this session, unless a later write to GitHub
    /// outdated it.
    pub github_probe: Option<crate::drift::ProbeVerdict>,
    /// A rollback ran in this session.
    pub rolled_back: bool,
    /// Against the simulator: nothing real was touched.
    pub simulated: bool,
    /// A dry run: the session read everything and wrote nothing.
    pub dry_run: bool,
    pub finished: Option<(DateTime<Utc>, Outcome, String)>,
}

impl Summary {
    /// True when the session may be taken up again (`keyturn resume --continue`): it was
    /// interrupted, or ended failed or aborted; a completed, rolled-back or stopped one not.
    pub fn resumable(&self) -> bool {
        match &self.finished {
            None => true,
            Some((_, outcome, _)) => outcome.resumable(),
        }
    }

    /// True when the session ended with every step done.
    pub fn resolved(&self) -> bool {
        matches!(self.finished, Some((_, Outcome::Completed, _)))
    }

    /// The recovery path the session took, from what it wrote: a GitHub copy pasted by
    /// hand is Path A, one keyturn wrote is Path B, a live copy written to the vault is the
    /// inverse path, app writes alone re-synced stale apps. `None` when nothing was written.
    pub fn path_taken(&self) -> Option<RecoveryPath> {
        let github = self.writes.iter().find(|w| w.store == Store::Github);
        if let Some(w) = github {
            return Some(if w.by_operator {
                RecoveryPath::PathA
            } else {
                RecoveryPath::PathB
            });
        }
        let live_to_vault = self
            .writes
            .iter()
            .any(|w| w.store == Store::Vault && w.source == Some(Source::Live));
        if live_to_vault {
            return Some(RecoveryPath::Inverse);
        }
        self.writes
            .iter()
            .any(|w| matches!(w.store, Store::HerokuApp { .. }))
            .then_some(RecoveryPath::AppsStale)
    }

    /// The last note of a kind.
    pub fn note(&self, kind: NoteKind) -> Option<&str> {
        self.notes
            .iter()
            .rev()
            .find(|(k, _)| *k == kind)
            .map(|(_, t)| t.as_str())
    }

    /// Folds one event in (through [`State::take`](super::State::take)).
    pub(super) fn take(&mut self, event: &Event) {
        match &event.kind {
            EventKind::SessionStarted {
                session,
                runbook,
                secret,
                kind,
                simulated,
                dry_run,
                ..
            } => {
                self.simulated = *simulated;
                self.dry_run = *dry_run;
                self.session.clone_from(session);
                self.runbook.clone_from(runbook);
                self.secret.clone_from(secret);
                self.kind = Some(*kind);
                self.started = Some(event.at);
            }
            EventKind::StoreObserved { .. } => self.observe(event),
            EventKind::Diagnosed {
                diagnosis,
                path,
                why,
            } => self.diagnosed(event.at, *diagnosis, *path, why),
            EventKind::DeployObserved { .. } if self.deploy.is_none() => {
                self.deploy = Some(event.kind.clone());
            }
            EventKind::OldAuthorizationFound { id, .. } => {
                self.old_authorization = Some(id.clone());
            }
            EventKind::AuthorizationCreated { id, .. } => self.new_authorization = Some(id.clone()),
            EventKind::AuthorizationRevoked { id, .. } => self.revoked.push(id.clone()),
            EventKind::WorkflowCompleted {
                conclusion, run_id, ..
            } if conclusion == "success" => {
                self.verified_at = Some(event.at);
                self.successful_run = Some(*run_id);
            }
            EventKind::SecretWritten {
                store,
                source,
                by_operator,
                ..
            } => self.written(store, *source, *by_operator),
            EventKind::RollbackStarted => self.rolled_back = true,
            EventKind::GithubProbed { verdict, .. } => self.github_probe = Some(verdict.clone()),
            EventKind::OperatorNote { kind, text } => self.notes.push((*kind, text.clone())),
            EventKind::SessionFinished { outcome, message } => {
                self.finished = Some((event.at, *outcome, message.clone()));
            }
            // A resumed session (also one the operator had aborted) is open again.
            EventKind::SessionResumed { .. } => self.finished = None,
            _ => self.step_event(event),
        }
        if let Some(fact) = fact(&event.kind) {
            self.facts.push((event.at, fact));
        }
    }

    /// A proven write: what the forward walk did (a rollback's writes undo, they are not
    /// the path taken); a write to GitHub outdates any probe of it.
    fn written(&mut self, store: &Store, source: Option<Source>, by_operator: bool) {
        if *store == Store::Github {
            self.github_probe = None;
        }
        if !self.rolled_back {
            self.writes.push(Written {
                store: store.clone(),
                source,
                by_operator,
            });
        }
    }

    fn observe(&mut self, event: &Event) {
        let EventKind::StoreObserved {
            store,
            validity,
            matches_vault,
            version,
            error,
            evidence,
            ..
        } = &event.kind
        else {
            return;
        };
        let observation = Observation {
            validity: *validity,
            matches_vault: *matches_vault,
            version: *version,
            error: error.clone(),
            evidence: *evidence,
        };
        let phase = if self.steps.is_empty() {
            &mut self.before
        } else {
            &mut self.after
        };
        phase.insert(store.clone(), observation);
    }

    fn diagnosed(
        &mut self,
        at: DateTime<Utc>,
        diagnosis: DiagnosisKind,
        path: Option<RecoveryPath>,
        why: &str,
    ) {
        if self.diagnosis.is_none() {
            self.detected = Some(at);
            self.diagnosis = Some((diagnosis, path, why.to_owned()));
        } else if diagnosis == DiagnosisKind::InSync && !self.steps.is_empty() {
            self.verified_at = Some(self.verified_at.map_or(at, |v| v.max(at)));
        }
    }

    fn step_event(&mut self, event: &Event) {
        match &event.kind {
            EventKind::StepStarted { step, title, .. } => self.steps.push(StepRecord {
                id: step.clone(),
                title: title.clone(),
                started: Some(event.at),
                result: StepResult::Unfinished,
            }),
            EventKind::StepSucceeded {
                step,
                summary,
                duration_ms,
                ..
            } => self.finish_step(
                step,
                StepResult::Succeeded {
                    summary: summary.clone(),
                    duration_ms: *duration_ms,
                },
            ),
            EventKind::StepFailed {
                step,
                error,
                duration_ms,
            } => self.finish_step(
                step,
                StepResult::Failed {
                    error: error.clone(),
                    duration_ms: *duration_ms,
                },
            ),
            EventKind::StepSkipped {
                step,
                title,
                reason,
                by_operator,
                ..
            } => self.skip_step(step, title, reason, *by_operator, event.at),
            EventKind::StepRolledBack { step, summary } => self.finish_step(
                step,
                StepResult::RolledBack {
                    summary: summary.clone(),
                },
            ),
            _ => {}
        }
    }

    fn finish_step(&mut self, id: &str, result: StepResult) {
        match self.steps.iter_mut().rev().find(|s| s.id == id) {
            Some(record) => record.result = result,
            None => self.steps.push(StepRecord {
                id: id.to_owned(),
                title: id.to_owned(),
                started: None,
                result,
            }),
        }
    }

    fn skip_step(
        &mut self,
        id: &str,
        title: &str,
        reason: &str,
        by_operator: bool,
        at: DateTime<Utc>,
    ) {
        let result = StepResult::Skipped {
            reason: reason.to_owned(),
            by_operator,
        };
        let open = self
            .steps
            .iter_mut()
            .rev()
            .find(|s| s.id == id && s.result == StepResult::Unfinished);
        match open {
            Some(record) => record.result = result,
            None => self.steps.push(StepRecord {
                id: id.to_owned(),
                title: title.to_owned(),
                started: Some(at),
                result,
            }),
        }
    }
}

/// An event worth a timeline row of its own, in the words every face uses. The steps,
/// the diagnosis, the notes and the end have rows and fields of their own in the
/// postmortem.
fn fact(kind: &EventKind) -> Option<String> {
    describe(kind)
        .filter(|s| matches!(s.topic, Topic::Finding | Topic::Change | Topic::Session))
        .map(|s| s.text)
}
