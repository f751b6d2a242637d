//! The TUI's state and its one update function. `update` is pure: it folds a message
//! (a key, a poller reading, an engine message, a heartbeat) into the state and returns the
//! effects the session must carry out (send a command to the engine, re-read a store…).
//! No I/O happens here, which is what lets the headless tests drive the whole app.

mod engine;
mod keys;

use chrono::{DateTime, Utc};

use crate::config::keymap::{Action, KeyChord, Keymap};
use crate::runbook::engine::Command;

use super::clipboard::ClipboardHandle;
use super::modal::Modal;
use super::panels::{Panels, StoreId};
use super::pollers::PollEvent;
use super::runbook_view::RunbookView;
use super::worker::FromEngine;

/// Something that happened, for [`App::update`].
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyChord),
    /// An action without a key (tests, mouse).
    Action(Action),
    Paste(String),
    /// Mouse wheel: lines, negative is up.
    Scroll(i32),
    /// The heartbeat: clocks and countdowns move.
    Tick(DateTime<Utc>),
    Poll(PollEvent),
    Engine(FromEngine),
}

/// What the session must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Engine(Command),
    /// Re-read one store, or all of them.
    Refresh(Option<StoreId>),
    /// Forget cached `GET /account` verdicts, then re-read everything.
    ForgetVerdicts,
    /// Start the rotation runbook (offered when everything is in sync).
    StartRotation,
    /// Render the postmortem of this session again (notes were added after it was written).
    RewritePostmortem,
    /// Read the postmortem file the session wrote, for the preview.
    LoadPostmortem(std::path::PathBuf),
    /// Show the copied token for 10 s.
    Reveal,
    /// Probe GitHub's copy (one workflow run).
    Probe,
    Quit,
}

/// What a demo session's resume hint needs: the demo's simulator runs on without this
/// process, until its idle timeout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoResume {
    /// ` --dir DIR` when the demo's folder is not the default one, else empty.
    pub dir_flag: String,
    /// The simulator's idle timeout, in words ("30 min").
    pub idle_timeout: String,
}

/// Everything the screen shows.
// Four independent flags (colour, help, quit, picked): a state enum would not be clearer.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone)]
pub struct App {
    pub keymap: Keymap,
    /// False under `NO_COLOR`: modifiers only.
    pub color: bool,
    /// Shown on top in the demo: "SIMULATION — nothing here is real".
    pub banner: Option<String>,
    pub secret: String,
    /// The deploy workflow whose runs tell about GitHub's copy.
    pub workflow: String,
    pub panels: Panels,
    pub view: RunbookView,
    pub modal: Option<Modal>,
    pub help: bool,
    /// Lines scrolled in the step pane.
    pub scroll: u16,
    /// A transient line above the footer (a refusal, "nothing to retry").
    pub status: Option<String>,
    /// The step a confirmation was sent for, until the engine answers: enter pressed
    /// again meanwhile does not reopen that step's dialog (nor queue a second "yes").
    pub confirm_sent: Option<String>,
    pub now: DateTime<Utc>,
    /// The monotonic clock at the last update, for countdowns (render reads no clock).
    pub clock: std::time::Instant,
    pub clipboard: Option<ClipboardHandle>,
    /// True when keyturn picked the drift runbook itself (so an in-sync result offers rotation).
    pub picked_by_diagnosis: bool,
    pub quit: bool,
    /// Where this face's journals are when not the default folder (the demo's, `--sessions-dir`).
    pub sessions_dir: Option<std::path::PathBuf>,
    /// The stores are a simulator's (the demo's).
    pub simulated: bool,
    /// The demo's simulator outlives this process, so a demo session left under way can
    /// be continued (`None` for a simulator that ends with the process).
    pub demo_resume: Option<DemoResume>,
    /// `[github] probe_workflow` is set: the probe key can prove GitHub's copy.
    pub probe_configured: bool,
}

impl App {
    /// An app with empty panels for `apps`.
    pub fn new(config: &crate::config::Config, github_configured: bool) -> App {
        App {
            keymap: config.tui.keymap.clone(),
            color: true,
            banner: None,
            secret: config.secret.name.to_string(),
            workflow: config.github.deploy_workflow.clone(),
            panels: Panels::new(config.heroku.apps.names(), github_configured),
            view: RunbookView::default(),
            modal: None,
            help: false,
            scroll: 0,
            status: None,
            confirm_sent: None,
            now: Utc::now(),
            clock: std::time::Instant::now(),
            clipboard: None,
            picked_by_diagnosis: false,
            quit: false,
            sessions_dir: None,
            simulated: false,
            demo_resume: None,
            probe_configured: config.github.probe_workflow.is_some(),
        }
    }

    /// The probe key: one workflow run that proves what GitHub's copy holds.
    pub(super) fn probe(&mut self) -> Vec<Effect> {
        if !self.panels.github_configured {
            self.status = Some("no GitHub credential (set GH_TOKEN): nothing to probe".to_owned());
            return Vec::new();
        }
        if !self.probe_configured {
            self.status = Some(
                "no probe workflow: `keyturn probe print > .github/workflows/keyturn-probe.yml`, push it, then set [github] probe_workflow = \"keyturn-probe.yml\"".to_owned(),
            );
            return Vec::new();
        }
        if matches!(
            self.panels.probe,
            Some(super::panels::ProbeShown::Running { .. })
        ) {
            self.status = Some("a probe is running already".to_owned());
            return Vec::new();
        }
        self.status = Some("probing GitHub's copy: one run of the probe workflow".to_owned());
        self.panels.probe = Some(super::panels::ProbeShown::Running {
            stage: "dispatching…".to_owned(),
        });
        vec![Effect::Probe]
    }

    /// The command that shows (or takes up) session `id` later, true for this face: the
    /// demo's journals are in its own folder; a demo session under way is continued by
    /// `keyturn demo --resume` while the demo's simulator runs, and only read otherwise.
    pub fn resume_command(&self, id: &str) -> String {
        let command = match &self.sessions_dir {
            Some(dir) => format!("keyturn resume {id} --sessions-dir {}", dir.display()),
            None => format!("keyturn resume {id}"),
        };
        if !self.simulated {
            return format!("`{command}` shows where it stopped and how to go on");
        }
        match (&self.demo_resume, self.view.outcome) {
            (Some(demo), None) => format!(
                "`keyturn demo --resume {id}{}` continues it (the demo's simulator keeps its stores until {} without a request)",
                demo.dir_flag, demo.idle_timeout
            ),
            (_, Some(_)) => format!("`{command}` shows its journal"),
            (None, None) => format!(
                "`{command}` shows its journal (the simulated stores end with this process, so it cannot be continued)"
            ),
        }
    }

    /// Folds `msg` into the state; returns what the session must do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        self.clock = std::time::Instant::now();
        match msg {
            Msg::Key(chord) => self.key(chord),
            Msg::Action(action) => self.action(action),
            Msg::Paste(text) => {
                if let Some(modal) = self.modal.as_mut().filter(|m| m.takes_text()) {
                    modal.paste(&text);
                }
                Vec::new()
            }
            Msg::Scroll(lines) => {
                self.scroll_by(lines);
                Vec::new()
            }
            Msg::Tick(now) => {
                self.now = now;
                Vec::new()
            }
            Msg::Poll(event) => {
                self.poll(event);
                Vec::new()
            }
            Msg::Engine(message) => self.engine(message),
        }
    }

    fn scrolled(&mut self, lines: i32) -> Vec<Effect> {
        self.scroll_by(lines);
        Vec::new()
    }

    fn scroll_by(&mut self, lines: i32) {
        let next = i32::from(self.scroll).saturating_add(lines).clamp(0, 2000);
        self.scroll = u16::try_from(next).unwrap_or(0);
    }

    /// The diagnosis of the panels' newest readings (the drift audit's rules), once every
    /// panel has one.
    pub fn live_diagnosis(&self) -> Option<crate::drift::Diagnosis> {
        super::verdict::diagnosis(&self.panels, &self.secret, &self.workflow, self.now)
    }

    /// Why the GitHub copy is stale by the audit's rules, judged on the newest readings.
    pub fn github_stale(&self) -> Option<String> {
        super::verdict::github_stale(&self.panels, &self.secret, &self.workflow, self.now)
    }

    fn poll(&mut self, event: PollEvent) {
        match event {
            PollEvent::Probe(shown) => self.panels.probe = Some(shown),
            PollEvent::Started(store) => self.panels.loading(store),
            PollEvent::Done {
                reading,
                heroku_rate,
                github_rate,
            } => {
                self.panels.apply(reading, Utc::now());
                self.panels.heroku_rate = heroku_rate;
                self.panels.github_rate = github_rate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::event::Outcome;

    fn demo_app() -> App {
        let text = include_str!("../../../examples/keyturn.toml");
        let config = crate::config::Config::parse(text, std::path::Path::new("keyturn.toml"))
            .expect("the example config parses");
        let mut app = App::new(&config, true);
        app.simulated = true;
        app.sessions_dir = Some("/d/sessions".into());
        app
    }

    #[test]
    fn a_demo_session_is_continued_while_its_simulator_runs_and_only_read_otherwise() {
        let mut app = demo_app();
        app.demo_resume = Some(DemoResume {
            dir_flag: " --dir /d".into(),
            idle_timeout: "30 min".into(),
        });
        let under_way = app.resume_command("S");
        assert!(
            under_way.starts_with("`keyturn demo --resume S --dir /d` continues it")
                && under_way.contains("30 min without a request"),
            "{under_way}"
        );
        app.view.outcome = Some(Outcome::Completed);
        assert_eq!(
            app.resume_command("S"),
            "`keyturn resume S --sessions-dir /d/sessions` shows its journal"
        );
        app.demo_resume = None;
        app.view.outcome = None;
        assert!(app.resume_command("S").contains("cannot be continued"));
    }
}
