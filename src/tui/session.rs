//! A TUI session without a terminal: the app state, the engine worker, the pollers and
//! the channels between them. The event loop feeds it keys; the headless tests feed it
//! actions. Effects (engine commands, refreshes, postmortem rewrites) are carried out here.

use crate::session::event::RunbookKind;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::app::{App, Effect, Msg};
use super::clipboard::ClipboardHandle;
use super::pollers::{self, PollEvent, Pollers};
use super::runbook_view::RunbookView;
use super::worker::{self, FromEngine, Worker};
use crate::config::Config;
use crate::config::credentials::Credentials;
use crate::runbook::engine::{Clipboard, Command, Engine, EngineDeps};
use crate::runbook::{Registry, Runbook};
use crate::session::journal::{self, Journal};
use crate::vendors::Vendors;
use crate::vendors::github::{FollowOptions, WatchStop};

/// How a session is set up.
pub struct SessionOptions {
    /// The runbook to start; `None` picks from the diagnosis.
    pub runbook: Option<String>,
    pub registry: Registry,
    pub sessions_dir: Option<PathBuf>,
    pub dry_run: bool,
    pub actor: Option<String>,
    pub follow: FollowOptions,
    /// Panel refresh period.
    pub refresh: Duration,
    /// Timeouts and retries of every vendor call (fast against the simulator in tests).
    pub http: crate::vendors::HttpOptions,
    /// Makes a fresh engine-side clipboard sharing the UI's handle (one per runbook run).
    pub clipboard: Box<dyn FnMut() -> Box<dyn Clipboard> + Send>,
}

/// The running session.
pub struct Session {
    pub app: App,
    config: Config,
    options: SessionOptions,
    /// The session's one set of vendor clients.
    vendors: Arc<Vendors>,
    pollers: Pollers,
    worker: Option<Worker>,
    poll_tx: mpsc::UnboundedSender<PollEvent>,
    poll_rx: mpsc::UnboundedReceiver<PollEvent>,
    engine_rx: mpsc::UnboundedReceiver<FromEngine>,
    engine_tx: mpsc::UnboundedSender<FromEngine>,
}

impl Session {
    /// Connects the pollers and starts the first runbook. Call inside a tokio runtime.
    pub fn start(
        config: Config,
        creds: &Credentials,
        options: SessionOptions,
        clipboard: Option<ClipboardHandle>,
    ) -> anyhow::Result<Session> {
        let mut session = Session::connect(config, creds, options, clipboard)?;
        let named = session.options.runbook.clone();
        session.app.picked_by_diagnosis = named.is_none();
        let id = match named {
            Some(id) => id,
            None => session.id_of(RunbookKind::DriftRecovery)?,
        };
        session.start_runbook(&id)?;
        Ok(session)
    }

    /// The app and the pollers, no runbook yet.
    fn connect(
        config: Config,
        creds: &Credentials,
        mut options: SessionOptions,
        clipboard: Option<ClipboardHandle>,
    ) -> anyhow::Result<Session> {
        // Every engine of this session shares one switch, so an abort can stop a watch.
        options.follow.stop.get_or_insert_with(WatchStop::default);
        // One set of clients for the whole session: the pollers, every engine and the
        // probe share them (one vault login, one rate budget on the footer, warm
        // connections). Each engine runs on its own thread and runtime; a connection it
        // opened dies with that runtime and the pool then opens a new one.
        let vendors = Arc::new(Vendors::connect_with(&config, creds, &options.http)?);
        let (poll_tx, poll_rx) = mpsc::unbounded_channel();
        let (engine_tx, engine_rx) = mpsc::unbounded_channel();
        let mut app = App::new(&config, vendors.github.is_some());
        app.clipboard = clipboard;
        let pollers = pollers::spawn(vendors.clone(), &config, options.refresh, poll_tx.clone());
        Ok(Session {
            app,
            config,
            options,
            vendors,
            pollers,
            worker: None,
            poll_tx,
            poll_rx,
            engine_rx,
            engine_tx,
        })
    }

    /// Takes up the interrupted session journaled at `journal` (see `keyturn resume`): its
    /// history fills the runbook pane, then the engine continues from the first unfinished
    /// step, appending to the same journal.
    pub async fn resume(
        config: Config,
        creds: &Credentials,
        options: SessionOptions,
        clipboard: Option<ClipboardHandle>,
        journal_path: &std::path::Path,
    ) -> anyhow::Result<Session> {
        // Before any fingerprint is taken (the pollers): the history's and the panels'
        // fingerprints of one token are then the same.
        let same_key = journal::adopt_fingerprint_key(journal_path);
        let events = journal::read(journal_path)?;
        let id = crate::session::State::of(&events).summary.runbook;
        let runbook = options.registry.get(&id).cloned().ok_or_else(|| {
            anyhow::anyhow!("the session ran runbook `{id}`, which is not known here")
        })?;
        let mut session = Session::connect(config, creds, options, clipboard)?;
        let journal = Journal::continue_session(journal_path, &session.config)?;
        let mut deps = session.deps(journal);
        deps.dry_run = false;
        let engine = crate::runbook::engine::Engine::resume(runbook.clone(), deps, &events).await?;
        session.app.view = RunbookView::start(runbook, journal_path.to_owned());
        for event in events {
            session.app.view.apply(FromEngine::Event(event));
        }
        if same_key != Some(true) {
            session.app.view.log.push(
                "fingerprints before this resume were taken under another key: compare the panels, not the history"
                    .to_owned(),
            );
        }
        session.worker = Some(Worker::start(engine, session.engine_tx.clone())?);
        Ok(session)
    }

    /// Starts `id` on a fresh engine and journal (the previous run, if any, is over).
    /// The id of the runbook of `kind` (the drift recovery picked when none is named, the
    /// rotation offered when every copy is in sync): runbook files say what they are for.
    fn id_of(&self, kind: RunbookKind) -> anyhow::Result<String> {
        self.options
            .registry
            .of_kind(kind)
            .map(|r| r.id().to_owned())
            .ok_or_else(|| {
                anyhow::anyhow!("no runbook of kind {kind:?} (see `keyturn runbooks list`)")
            })
    }

    pub fn start_runbook(&mut self, id: &str) -> anyhow::Result<()> {
        let runbook =
            self.options.registry.get(id).cloned().ok_or_else(|| {
                anyhow::anyhow!("no runbook `{id}` (see `keyturn runbooks list`)")
            })?;
        if let Some(previous) = self.worker.take() {
            previous.stop();
        }
        let engine = self.engine(runbook.clone())?;
        tracing::info!(runbook = id, journal = %engine.journal_path().display(), "runbook started");
        self.app.view = RunbookView::start(runbook, engine.journal_path().to_owned());
        self.worker = Some(Worker::start(engine, self.engine_tx.clone())?);
        Ok(())
    }

    fn engine(&mut self, runbook: Runbook) -> anyhow::Result<Engine> {
        let dir = match &self.options.sessions_dir {
            Some(dir) => dir.clone(),
            None => journal::sessions_dir()?,
        };
        let deps = self.deps(Journal::start_session(&dir, &self.config)?);
        Ok(Engine::new(runbook, deps))
    }

    fn deps(&mut self, journal: Journal) -> EngineDeps {
        EngineDeps {
            config: self.config.clone(),
            vendors: self.vendors.clone(),
            clipboard: (self.options.clipboard)(),
            journal,
            dry_run: self.options.dry_run,
            actor: self.options.actor.clone(),
            github_write: None,
            observer: Some(worker::observer(self.engine_tx.clone())),
            follow: self.options.follow.clone(),
        }
    }

    /// The next message from a poller or the engine (`None` once both are gone).
    pub async fn next_message(&mut self) -> Option<Msg> {
        tokio::select! {
            Some(event) = self.poll_rx.recv() => Some(Msg::Poll(event)),
            Some(message) = self.engine_rx.recv() => Some(Msg::Engine(message)),
            else => None,
        }
    }

    /// Folds `msg` into the app and carries out the effects.
    pub fn handle(&mut self, msg: Msg) {
        let effects = self.app.update(msg);
        for effect in effects {
            self.apply(effect);
        }
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::Engine(command) => match &self.worker {
                Some(worker) => {
                    if let Some(step) = &self.app.view.running {
                        // A step is never cut, except the watch of a workflow run: a deploy
                        // can take many minutes, and the run goes on on GitHub.
                        let watch = self.options.follow.stop.as_ref();
                        let abort = matches!(command, Command::Abort);
                        if abort && let Some(watch) = watch {
                            // No step after this one starts before the abort is read.
                            watch.hold();
                        }
                        let stopped = abort && watch.is_some_and(WatchStop::stop);
                        self.app.status = Some(running_status(step, stopped));
                    }
                    worker.send(command);
                }
                None => self.app.status = Some("no runbook is running".to_owned()),
            },
            Effect::Refresh(Some(store)) => self.pollers.refresh(store),
            Effect::Refresh(None) => self.pollers.refresh_all(),
            Effect::ForgetVerdicts => {
                self.pollers.forget_verdicts();
                self.pollers.refresh_all();
            }
            Effect::StartRotation => {
                let started = self
                    .id_of(RunbookKind::Rotation)
                    .and_then(|id| self.start_runbook(&id));
                if let Err(err) = started {
                    self.app.status = Some(format!("cannot start the rotation: {err:#}"));
                }
            }
            Effect::LoadPostmortem(path) => self.load_postmortem(path),
            Effect::RewritePostmortem => self.rewrite_postmortem(),
            Effect::Reveal => self.reveal(),
            Effect::Probe => self.probe(),
            Effect::Quit => {}
        }
    }

    fn load_postmortem(&mut self, path: PathBuf) {
        match std::fs::read_to_string(&path) {
            Ok(text) => self.app.view.postmortem = Some((path, text)),
            Err(err) => {
                self.app.status = Some(format!(
                    "cannot read the postmortem {}: {err}",
                    path.display()
                ));
            }
        }
    }

    /// Notes added after the postmortem was written: render it again from the journal
    /// and replace this session's own file.
    fn rewrite_postmortem(&mut self) {
        let (Some((path, _)), Some(journal)) = (&self.app.view.postmortem, &self.app.view.journal)
        else {
            return;
        };
        let path = path.clone();
        let result = journal::read(journal)
            .map_err(anyhow::Error::from)
            .and_then(|events| {
                let pm = crate::report::postmortem::render(&events);
                crate::report::postmortem::rewrite(&path, &pm)?;
                Ok(pm.markdown)
            });
        match result {
            Ok(text) => {
                self.app.view.postmortem = Some((path.clone(), text));
                self.app.status = Some(format!("postmortem updated: {}", path.display()));
            }
            Err(err) => self.app.status = Some(format!("cannot update the postmortem: {err:#}")),
        }
    }

    /// One probe of GitHub's copy beside a fresh audit (the verdict compares with the
    /// vault value read then); its stages and its end arrive as poll events.
    fn probe(&mut self) {
        use crate::drift::probe::{DEFAULT_TIMEOUT, ProbeRequest};
        let mut request = match ProbeRequest::from_config(&self.config, DEFAULT_TIMEOUT) {
            Ok(request) => request,
            Err(err) => {
                self.app.status = Some(format!("cannot probe: {err}"));
                self.app.panels.probe = None;
                return;
            }
        };
        request.interval = self.options.follow.interval;
        // The audit's futures cannot move between threads (rustc #102211), so the probe
        // runs as the engine does: on its own thread and runtime, with its own clients.
        let vendors = self.vendors.clone();
        let (config, tx) = (self.config.clone(), self.poll_tx.clone());
        let spawned = std::thread::Builder::new()
            .name("keyturn-probe".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(run_probe(vendors, config, request, tx));
                }
            });
        if let Err(err) = spawned {
            self.app.status = Some(format!("cannot probe: {err}"));
            self.app.panels.probe = None;
        }
    }

    fn reveal(&mut self) {
        let now = std::time::Instant::now();
        let shown = self.app.clipboard.as_ref().is_some_and(|c| c.reveal(now));
        if shown {
            self.app.clock = now;
        } else {
            self.app.status = Some("nothing to reveal: no token was copied".to_owned());
        }
    }
}

/// The probe task: a fresh audit beside one probe run; stages and the end as poll events.
async fn run_probe(
    vendors: Arc<Vendors>,
    config: Config,
    request: crate::drift::ProbeRequest,
    tx: mpsc::UnboundedSender<PollEvent>,
) {
    use crate::tui::panels::ProbeShown;
    let sender = tx.clone();
    let progress: &(dyn Fn(crate::drift::ProbeStage) + Sync) = &move |stage| {
        let stage = stage.to_string();
        let _ = sender.send(PollEvent::Probe(ProbeShown::Running { stage }));
    };
    let audit = Box::pin(crate::drift::audit_with_probe(
        &vendors,
        &config,
        crate::drift::AuditOptions::default(),
        &request,
        progress,
    ))
    .await;
    if let Some(report) = audit.snapshot.probe.clone() {
        let done = ProbeShown::Done {
            report,
            vault: audit.snapshot.vault.fingerprint,
            github_written: audit.snapshot.github.updated_at,
            at: chrono::Utc::now(),
        };
        let _ = tx.send(PollEvent::Probe(done));
    }
}

/// What the status line says of a command given while `step` runs.
fn running_status(step: &str, watch_stopped: bool) -> String {
    if watch_stopped {
        format!("stopped watching the run of `{step}` (it goes on on GitHub); aborting")
    } else {
        format!("queued: it runs when `{step}` finishes (a step is never cut in half)")
    }
}
