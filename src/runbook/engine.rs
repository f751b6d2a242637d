//! The runbook engine: a state machine that walks a [`Runbook`] and knows nothing of
//! terminals. A face (the TUI, `keyturn run`, a test) calls [`Engine::advance`] to run
//! until the operator is needed, then answers with a [`Command`]. Every fact goes into the
//! journal as an [`EventKind`] and to the optional observer, so the journal, the audit
//! log, the postmortem and a live screen all read the same stream.
//!
//! Safety rules live here, not in the runbook files (see the `safety` module): a runbook
//! author cannot forget them. A session interrupted by a crash or a kill is rebuilt from
//! its journal by [`Engine::resume`] and walked on like any other.
//!
//! Drive it from the face's own event loop (`tokio::select!` over `advance()` and the
//! keyboard): `Engine` is `Send`, but its futures are not yet (higher-ranked lifetimes in
//! closures, the drift audit's included), so it cannot be handed to `tokio::spawn`.

mod actions;
mod authz;
pub mod continuation;
mod ending;
pub mod params;
mod paste;
mod plan;
mod preview;
mod proofs;
mod reports;
mod resume;
mod rollback;
mod safety;
pub mod secrets;
mod steps;
mod workflow;
mod writes;

use std::collections::BTreeMap;

use crate::config::Config;
use crate::runbook::{Runbook, StepStatus, TemplateVars};
use crate::session::event::{Event, EventKind, NoteKind, Outcome};
use crate::session::journal::{Journal, JournalError};
use crate::vendors::Vendors;

pub use crate::session::{Journaled, Ledger};
pub use continuation::Continuation;
pub use params::{Apps, Choices, StepParams};
pub use plan::{PlannedStep, expand};
pub use secrets::{Clipboard, MemoryClipboard, NoClipboard, Secrets, Source};

/// Follows the event stream live (a TUI's channel sender, a line printer).
pub type Observer = Box<dyn FnMut(&Event) + Send + Sync>;

/// Everything the engine needs from outside.
pub struct EngineDeps {
    pub config: Config,
    /// Shared (the TUI's pollers read with the same clients: one login, one rate budget).
    pub vendors: std::sync::Arc<Vendors>,
    pub clipboard: Box<dyn Clipboard>,
    pub journal: Journal,
    /// Walk against live reads, preview every write, write nothing.
    pub dry_run: bool,
    /// The audit entry's actor; `None` means the Heroku account's email.
    pub actor: Option<String>,
    /// `capability.github_write`; `None` means "a GitHub client is configured".
    pub github_write: Option<bool>,
    /// Called with every event after it is journaled (a TUI's channel sender, a printer).
    pub observer: Option<Observer>,
    /// How a watched workflow run is polled (fast against the simulator).
    pub follow: crate::vendors::github::FollowOptions,
}

/// What the operator must answer next.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// The step at the cursor writes or needs the operator: show it, then confirm or skip.
    Confirm {
        step: String,
        title: String,
        body: String,
        preview: Vec<Change>,
        confirm: ConfirmPrompt,
    },
    /// The step failed: retry, skip (with a reason), roll back or abort, or go back to
    /// an earlier step when `back` says so.
    Failed {
        step: String,
        error: String,
        back: Option<BackTo>,
    },
    /// The session is over.
    Finished(Outcome),
}

/// An earlier step a failure may go back to (the step's `back_to`, once it ran).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackTo {
    pub step: String,
    pub title: String,
}

/// How a step must be confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmPrompt {
    YesNo,
    /// The operator must type exactly this word (irreversible steps).
    Typed(String),
}

/// One change a write would make: which store, old fingerprint → new one, what restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub store: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from.is_none() && self.to.is_none() {
            return write!(f, "{}: {}", self.store, self.note);
        }
        let from = self.from.as_deref().unwrap_or("-");
        let to = self.to.as_deref().unwrap_or("-");
        write!(f, "{}: {from} → {to}", self.store)?;
        if !self.note.is_empty() {
            write!(f, " ({})", self.note)?;
        }
        Ok(())
    }
}

/// What a face tells the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the pending step; `typed` is the word for a typed confirmation. `step` is the
    /// step the operator saw: a confirmation meant for another one (a stale dialog, a key
    /// queued while a step ran) is refused and runs nothing. `None` confirms whatever
    /// waits, for a driver that answers the pending step it was just handed.
    Confirm {
        step: Option<String>,
        typed: Option<String>,
    },
    /// Skip the pending or failed step; the reason goes to the journal.
    Skip { reason: String },
    /// Run the failed step again.
    Retry,
    /// Go back from the failed step to the earlier step its `Pending::Failed` offers.
    Back,
    /// Undo what succeeded so far (refused after the point of no return).
    RollBack,
    /// Stop here, leaving the stores as they are.
    Abort,
    /// End the session as failed, leaving the stores as they are and the session
    /// resumable: what a face without an operator does when it may not roll back.
    Stop { reason: String },
    /// Record a note (root cause, follow-up) for the postmortem.
    Note { kind: NoteKind, text: String },
}

/// Why the engine refused or failed. Token-free by construction: built from ids,
/// fingerprints and vendor errors, which are token-free themselves.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "Heroku rejected the rolling token before mint: the copy you used has drifted — re-sync it from the vault"
    )]
    OldTokenInvalid,
    #[error("refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Vendor(#[from] crate::vendors::VendorError),
    #[error("step failed: {0}")]
    Step(String),
    /// A write was sent but could not be proven (documented status, then a read-back).
    #[error("write to {store} not proven: {why}")]
    Unproven { store: String, why: String },
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error("no step is waiting for `{0}`")]
    NotNow(&'static str),
    #[error("the typed confirmation does not match: type `{0}`")]
    WrongWord(String),
}

/// Where the walk stands.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Walking,
    Waiting,
    Failed(String),
    Finished(Outcome),
}

/// What a finished action reports: a one-line summary and its outputs.
#[derive(Debug, Default)]
pub(crate) struct Done {
    pub summary: String,
    pub outputs: BTreeMap<String, String>,
    /// Set by `stop`: the runbook ends here.
    pub stop: Option<String>,
}

/// The runbook engine.
// Four independent flags of the walk (started, a resumed rollback, the deploy journaled,
// rolling back now); an enum would couple what does not belong together.
#[allow(clippy::struct_excessive_bools)]
pub struct Engine {
    runbook: Runbook,
    steps: Vec<PlannedStep>,
    cursor: usize,
    phase: Phase,
    deps: EngineDeps,
    pub(crate) secrets: Secrets,
    pub(crate) vars: TemplateVars,
    pub(crate) diagnosis: crate::drift::DiagnosisKind,
    pub(crate) stale_apps: Vec<String>,
    /// Each Heroku app's fingerprint as the last audit saw it (the "from" of a preview).
    pub(crate) app_fingerprints: BTreeMap<String, crate::secret::Fingerprint>,
    /// The deploy run the first audit saw is journaled once (the drift symptom).
    pub(crate) deploy_observed: bool,
    /// Orphan authorizations a resume proved the vault cannot hold: minted after the vault
    /// version recorded here was written. The proof lasts while the vault stays at it.
    pub(crate) orphan_proofs: BTreeMap<String, u64>,
    /// A resumed session that was rolling back finishes the rollback on the first advance.
    resume_rollback: bool,
    started: bool,
    /// The session so far, folded from every event it emits (its ledger: what it did to
    /// each store).
    pub(crate) fold: Box<crate::session::State>,
    /// True while the rollback path runs: writes then undo only what this session changed.
    pub(crate) rolling_back: bool,
    /// GitHub's `updated_at` for the secret when the value was last copied for a paste.
    pub(crate) github_baseline: Option<chrono::DateTime<chrono::Utc>>,
    /// Report steps (postmortem, audit entry) that failed: said at the end, never undone.
    pub(crate) report_failures: Vec<String>,
    /// True once a report step failed in this session (the faces exit non-zero for it).
    pub(crate) report_failed: bool,
    /// The vault's value when the session began (the "old" token of the end message).
    pub(crate) start_fingerprint: Option<crate::secret::Fingerprint>,
    /// The OLD authorization's description (the word its revoke asks for).
    pub(crate) old_description: Option<String>,
    /// The clean description of the authorization this session minted (without its mark).
    pub(crate) new_description: Option<String>,
}

impl Engine {
    /// An engine at the first step; nothing runs until [`Engine::advance`].
    pub fn new(runbook: Runbook, deps: EngineDeps) -> Engine {
        let today = chrono::Utc::now().date_naive();
        let vars = TemplateVars::from_config(&deps.config, today);
        let steps = plan::expand(&runbook, &deps.config.manual_consumers);
        Engine {
            runbook,
            steps,
            cursor: 0,
            phase: Phase::Walking,
            deps,
            secrets: Secrets::default(),
            vars,
            diagnosis: crate::drift::DiagnosisKind::Unknown,
            stale_apps: Vec::new(),
            app_fingerprints: BTreeMap::new(),
            deploy_observed: false,
            orphan_proofs: BTreeMap::new(),
            resume_rollback: false,
            started: false,
            fold: Box::default(),
            rolling_back: false,
            github_baseline: None,
            report_failures: Vec::new(),
            report_failed: false,
            start_fingerprint: None,
            old_description: None,
            new_description: None,
        }
    }

    /// The steps of the forward walk, expanded (`for_each`), for a face to list.
    pub fn steps(&self) -> &[PlannedStep] {
        &self.steps
    }

    /// The status of a step, once it ran or was skipped.
    pub fn step_status(&self, id: &str) -> Option<StepStatus> {
        self.fold.journaled.status.get(id).copied()
    }

    /// The journal file of this session.
    pub fn journal_path(&self) -> &std::path::Path {
        self.deps.journal.path()
    }

    /// The runbook being walked.
    pub fn runbook(&self) -> &Runbook {
        &self.runbook
    }

    /// True when a report step (postmortem, audit entry) failed: the stores are as the
    /// session left them, but a report is missing.
    pub fn report_failed(&self) -> bool {
        self.report_failed
    }

    /// Why each report of this session (postmortem, audit line) is missing, as the end
    /// message says it.
    pub fn report_failures(&self) -> &[String] {
        &self.report_failures
    }

    /// The first audit's diagnosis, which the runbook's conditions branch on.
    pub fn diagnosis_kind(&self) -> crate::drift::DiagnosisKind {
        self.diagnosis
    }

    /// True when this engine writes nothing.
    pub fn dry_run(&self) -> bool {
        self.deps.dry_run
    }

    /// The session's config.
    pub fn config(&self) -> &Config {
        &self.deps.config
    }

    /// Runs steps until the operator is needed or the session ends.
    pub async fn advance(&mut self) -> Result<Pending, EngineError> {
        if !self.started {
            self.start().await?;
        }
        if std::mem::take(&mut self.resume_rollback) {
            self.roll_back().await?;
        }
        loop {
            match &self.phase {
                Phase::Finished(outcome) => return Ok(Pending::Finished(*outcome)),
                Phase::Failed(error) => return Ok(self.failed_pending(error.clone())),
                Phase::Waiting => return self.confirm_pending(),
                // The operator queued an abort while a step ran: park here so it is read
                // before the next step starts.
                Phase::Walking if self.hold_requested() => {
                    self.phase = Phase::Waiting;
                }
                Phase::Walking => self.walk_one().await?,
            }
        }
    }

    fn hold_requested(&self) -> bool {
        if self.cursor >= self.steps.len() {
            return false;
        }
        let stop = self.deps.follow.stop.as_ref();
        stop.is_some_and(crate::vendors::github::WatchStop::take_hold)
    }

    /// Applies the operator's answer; call [`Engine::advance`] afterwards.
    pub async fn command(&mut self, command: Command) -> Result<(), EngineError> {
        match command {
            Command::Confirm { step, typed } => {
                self.confirm(step.as_deref(), typed.as_deref()).await
            }
            Command::Skip { reason } => self.skip_current(&reason),
            Command::Retry => self.retry(),
            Command::Back => self.back(),
            Command::RollBack => self.roll_back().await,
            Command::Abort => self.end(Outcome::Aborted, "aborted by the operator").await,
            Command::Stop { reason } => self.end(Outcome::Failed, &reason).await,
            Command::Note { kind, text } => self.emit(EventKind::OperatorNote { kind, text }),
        }
    }

    async fn start(&mut self) -> Result<(), EngineError> {
        self.started = true;
        // A hold left by an abort of the previous runbook (the TUI shares one switch) is
        // not this session's.
        if let Some(stop) = &self.deps.follow.stop {
            stop.take_hold();
        }
        let kind = self.runbook.kind;
        let session = crate::session::journal::session_of(self.deps.journal.path());
        let title = crate::runbook::template::render(&self.runbook.title, &self.vars)
            .unwrap_or_else(|_| self.runbook.title.clone());
        self.emit(EventKind::SessionStarted {
            session,
            runbook: self.runbook.id().to_owned(),
            title,
            secret: self.deps.config.secret.name.to_string(),
            kind,
            dry_run: self.deps.dry_run,
            keyturn_version: env!("CARGO_PKG_VERSION").to_owned(),
            simulated: self.deps.config.simulated,
        })?;
        self.observe().await
    }

    /// Runs the step at the cursor, or parks on it when it needs a confirmation.
    async fn walk_one(&mut self) -> Result<(), EngineError> {
        let Some(planned) = self.steps.get(self.cursor).cloned() else {
            return self.end(Outcome::Completed, "every step done").await;
        };
        self.set_consumer_vars(&planned);
        if !self.applies(&planned)? {
            return self.skip(&planned, "its condition is false", false);
        }
        if let Some(reason) = self.needless_revoke(&planned) {
            return self.skip(&planned, &reason, false);
        }
        if self.deps.dry_run || self.prompt(&planned).is_none() {
            return self.run_step(&planned).await;
        }
        self.phase = Phase::Waiting;
        Ok(())
    }

    pub(crate) fn finish(&mut self, outcome: Outcome, message: &str) -> Result<(), EngineError> {
        if matches!(self.phase, Phase::Finished(_)) {
            return Ok(());
        }
        self.phase = Phase::Finished(outcome);
        self.emit(EventKind::SessionFinished {
            outcome,
            message: message.to_owned(),
        })
    }

    /// Journals the event, folds it into the session's state, then tells the observer.
    pub(crate) fn emit(&mut self, kind: EventKind) -> Result<(), EngineError> {
        let event = self.deps.journal.append(kind)?;
        self.fold.take(&event);
        if let Some(observer) = self.deps.observer.as_mut() {
            observer(&event);
        }
        Ok(())
    }

    fn current(&self) -> Result<PlannedStep, EngineError> {
        self.steps
            .get(self.cursor)
            .cloned()
            .ok_or(EngineError::NotNow("a step"))
    }

    fn failed_pending(&self, error: String) -> Pending {
        let step = self
            .steps
            .get(self.cursor)
            .map(|s| s.id.clone())
            .unwrap_or_default();
        Pending::Failed {
            step,
            error,
            back: self.way_back(),
        }
    }

    fn confirm_pending(&mut self) -> Result<Pending, EngineError> {
        let planned = self.current()?;
        let preview = self.preview(&planned);
        Ok(Pending::Confirm {
            step: planned.id.clone(),
            title: self.render_text(planned.step.title.get_ref()),
            body: planned
                .step
                .body
                .as_ref()
                .map(|b| self.render_text(b.get_ref()))
                .unwrap_or_default(),
            preview,
            confirm: self.prompt(&planned).unwrap_or(ConfirmPrompt::YesNo),
        })
    }

    /// Renders a template; a missing value is left visible rather than failing a title.
    pub(crate) fn render(&self, text: &str) -> String {
        crate::runbook::template::render(text, &self.vars).unwrap_or_else(|_| text.to_owned())
    }

    /// Renders a title or a body for the operator: a value not known (yet) reads as what
    /// it stands for, never as a raw `{placeholder}`.
    pub fn render_text(&self, text: &str) -> String {
        crate::runbook::template::render_for_display(text, &self.vars)
    }

    pub(crate) fn runbook_rollback_path(&self, id: &str) -> Vec<crate::runbook::Step> {
        self.runbook
            .rollback_path(id)
            .into_iter()
            .cloned()
            .collect()
    }

    pub(crate) fn deps(&self) -> &EngineDeps {
        &self.deps
    }

    pub(crate) fn deps_mut(&mut self) -> &mut EngineDeps {
        &mut self.deps
    }
}

// A TUI runs the engine on a background task: the engine and its futures must be `Send`.
static_assertions::assert_impl_all!(Engine: Send);
