//! The TUI's state and its one update function. `update` is pure: it folds a message
//! (a key, a poller reading, an engine message, a heartbeat) into the state and returns the
//! effects the session must carry out (send a command to the engine, re-read a store…).
//! No I/O happens here, which is what lets the headless tests drive the whole app.

use chrono::{DateTime, Utc};

use crate::config::keymap::{Action, Key, KeyChord, Keymap};
use crate::runbook::engine::{Command, Pending};
use crate::runbook::event::{NoteKind, Outcome};

use super::clipboard::ClipboardHandle;
use super::modal::{Answer, Modal};
use super::panels::{Panels, StoreId};
use super::pollers::PollEvent;
use super::runbook_view::{RunbookView, Touched};
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
    Quit,
}

/// Everything the screen shows.
// Four independent flags (colour, help, quit, picked): a state enum would not be clearer.
#[allow(clippy::struct_excessive_bools)]
pub struct App {
    pub keymap: Keymap,
    /// False under `NO_COLOR`: modifiers only.
    pub color: bool,
    /// Shown on top in the demo: "SIMULATION — nothing here is real".
    pub banner: Option<String>,
    pub secret: String,
    pub panels: Panels,
    pub view: RunbookView,
    pub modal: Option<Modal>,
    pub help: bool,
    /// Lines scrolled in the step pane.
    pub scroll: u16,
    /// A transient line above the footer (a refusal, "nothing to retry").
    pub status: Option<String>,
    pub now: DateTime<Utc>,
    /// The monotonic clock at the last update, for countdowns (render reads no clock).
    pub clock: std::time::Instant,
    pub clipboard: Option<ClipboardHandle>,
    /// True when keyturn picked the drift runbook itself (so an in-sync result offers rotation).
    pub picked_by_diagnosis: bool,
    pub quit: bool,
}

impl App {
    /// An app with empty panels for `apps`.
    pub fn new(config: &crate::config::Config, github_configured: bool) -> App {
        App {
            keymap: config.tui.keymap.clone(),
            color: true,
            banner: None,
            secret: config.secret.name.to_string(),
            panels: Panels::new(config.heroku.apps.names(), github_configured),
            view: RunbookView::default(),
            modal: None,
            help: false,
            scroll: 0,
            status: None,
            now: Utc::now(),
            clock: std::time::Instant::now(),
            clipboard: None,
            picked_by_diagnosis: false,
            quit: false,
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

    fn key(&mut self, chord: KeyChord) -> Vec<Effect> {
        if self.help {
            self.help = false;
            return Vec::new();
        }
        if let Some(modal) = self.modal.as_mut().filter(|m| m.takes_text()) {
            if let Some(effects) = text_key(modal, chord) {
                return self.answered(effects);
            }
        }
        match self.keymap.action(chord) {
            Some(action) => self.action(action),
            None => Vec::new(),
        }
    }

    fn action(&mut self, action: Action) -> Vec<Effect> {
        self.status = None;
        if let Some(modal) = &mut self.modal {
            return match action {
                Action::Confirm => {
                    let answer = modal.accept();
                    self.answered(answer)
                }
                Action::Cancel => self.answered(Answer::Closed),
                Action::Quit => self.ask_quit(),
                Action::Reveal => vec![Effect::Reveal],
                Action::Help => {
                    self.help = true;
                    Vec::new()
                }
                // Reading and scrolling stay available under a dialog.
                Action::Refresh => vec![Effect::Refresh(None)],
                Action::ScrollUp => self.scrolled(-1),
                Action::ScrollDown => self.scrolled(1),
                Action::PageUp => self.scrolled(-10),
                Action::PageDown => self.scrolled(10),
                _ => Vec::new(),
            };
        }
        self.action_on_screen(action)
    }

    fn action_on_screen(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => return self.ask_quit(),
            Action::Help => self.help = !self.help,
            Action::Refresh => return vec![Effect::Refresh(None)],
            Action::Confirm => self.open_confirm(),
            Action::Cancel => {}
            Action::Skip => self.open_skip(),
            Action::Retry => return self.retry(),
            Action::RollBack => self.ask(
                "Roll back what this session changed? (refused after the point of no return)",
                Command::RollBack,
            ),
            Action::Abort => self.ask(
                "Abort the runbook here, leaving every store as it is now?",
                Command::Abort,
            ),
            Action::Note => self.open_note(),
            Action::Reveal => return vec![Effect::Reveal],
            Action::ScrollUp => self.scroll_by(-1),
            Action::ScrollDown => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-10),
            Action::PageDown => self.scroll_by(10),
        }
        Vec::new()
    }

    fn answered(&mut self, answer: Answer) -> Vec<Effect> {
        match answer {
            Answer::Open => Vec::new(),
            Answer::Closed => {
                self.modal = None;
                Vec::new()
            }
            Answer::Engine(command) => {
                // A typed confirmation stays open until the engine accepts the word.
                if !matches!(command, Command::Confirm { typed: Some(_) }) {
                    self.modal = None;
                }
                vec![Effect::Engine(command)]
            }
            Answer::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
            Answer::StartRotation => {
                self.modal = None;
                vec![Effect::StartRotation]
            }
        }
    }

    fn ask_quit(&mut self) -> Vec<Effect> {
        if self.view.under_way() && !matches!(self.modal, Some(Modal::Quit { .. })) {
            self.modal = Some(Modal::Quit {
                session: self.view.session.clone(),
            });
            return Vec::new();
        }
        self.quit = true;
        vec![Effect::Quit]
    }

    fn ask(&mut self, question: &str, command: Command) {
        if !self.view.under_way() {
            self.status = Some("no runbook is under way".to_owned());
            return;
        }
        self.modal = Some(Modal::Ask {
            question: question.to_owned(),
            command,
        });
    }

    fn open_confirm(&mut self) {
        match &self.view.pending {
            Some(Pending::Confirm {
                step,
                title,
                preview,
                confirm,
                ..
            }) => {
                self.modal = Some(Modal::Confirm {
                    step: step.clone(),
                    title: title.clone(),
                    preview: preview.clone(),
                    prompt: confirm.clone(),
                    typed: String::new(),
                    error: None,
                });
            }
            Some(Pending::Failed { .. }) => {
                self.status = Some(format!(
                    "the step failed: {} retry · {} skip · {} roll back · {} abort",
                    self.keymap.first_key(Action::Retry),
                    self.keymap.first_key(Action::Skip),
                    self.keymap.first_key(Action::RollBack),
                    self.keymap.first_key(Action::Abort)
                ));
            }
            _ if self.view.under_way() => self.status = Some("a step is running…".to_owned()),
            _ => {}
        }
    }

    fn open_skip(&mut self) {
        match &self.view.pending {
            Some(Pending::Confirm { step, .. } | Pending::Failed { step, .. }) => {
                self.modal = Some(Modal::SkipReason {
                    step: step.clone(),
                    reason: String::new(),
                });
            }
            _ => self.status = Some("nothing to skip right now".to_owned()),
        }
    }

    fn retry(&mut self) -> Vec<Effect> {
        if matches!(self.view.pending, Some(Pending::Failed { .. })) {
            return vec![Effect::Engine(Command::Retry)];
        }
        self.status = Some("nothing to retry: no step has failed".to_owned());
        Vec::new()
    }

    fn open_note(&mut self) {
        if self.view.runbook.is_none() {
            self.status = Some("notes belong to a runbook session; none has started".to_owned());
            return;
        }
        let has_root_cause = self
            .view
            .log
            .iter()
            .any(|l| l.contains("note (root cause)"));
        let kind = if has_root_cause {
            NoteKind::Followup
        } else {
            NoteKind::RootCause
        };
        self.modal = Some(Modal::Note {
            kind,
            text: String::new(),
        });
    }

    fn scrolled(&mut self, lines: i32) -> Vec<Effect> {
        self.scroll_by(lines);
        Vec::new()
    }

    fn scroll_by(&mut self, lines: i32) {
        let next = i32::from(self.scroll).saturating_add(lines).clamp(0, 2000);
        self.scroll = u16::try_from(next).unwrap_or(0);
    }

    fn poll(&mut self, event: PollEvent) {
        match event {
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

    fn engine(&mut self, message: FromEngine) -> Vec<Effect> {
        let refused = matches!(message, FromEngine::Refused(_));
        let arrived_pending = matches!(message, FromEngine::Pending { .. });
        let touched = self.view.apply(message);
        let mut effects = touched_effects(touched, &self.panels);
        if refused {
            self.show_refusal();
        }
        if arrived_pending {
            effects.extend(self.on_pending());
        }
        effects
    }

    fn show_refusal(&mut self) {
        let Some(why) = self.view.refused.take() else {
            return;
        };
        match &mut self.modal {
            Some(Modal::Confirm { error, .. }) => *error = Some(why),
            _ => self.status = Some(why),
        }
    }

    /// The engine stopped for the operator: open the confirmation, or handle the end.
    fn on_pending(&mut self) -> Vec<Effect> {
        self.scroll = 0;
        match self.view.pending.clone() {
            Some(Pending::Confirm { step, .. }) => {
                let same =
                    matches!(&self.modal, Some(Modal::Confirm { step: s, .. }) if *s == step);
                if !same {
                    self.modal = None;
                    self.open_confirm();
                }
                Vec::new()
            }
            Some(Pending::Failed { .. }) => {
                self.modal = None;
                Vec::new()
            }
            Some(Pending::Finished(outcome)) => self.finished(outcome),
            None => Vec::new(),
        }
    }

    fn finished(&mut self, outcome: Outcome) -> Vec<Effect> {
        if matches!(self.modal, Some(Modal::Confirm { .. } | Modal::Ask { .. })) {
            self.modal = None;
        }
        let in_sync = self.view.diagnosis.as_deref() == Some("in-sync");
        let drift = self
            .view
            .runbook
            .as_ref()
            .is_some_and(|r| r.id() == "heroku-key-drift-recovery");
        if drift && in_sync && self.picked_by_diagnosis && outcome == Outcome::Stopped {
            self.picked_by_diagnosis = false;
            self.modal = Some(Modal::OfferRotation {
                why: "Every copy is in sync and valid: nothing to recover.".to_owned(),
            });
        }
        let written = self.view.results.get("postmortem").and_then(|r| {
            r.strip_prefix("✔ postmortem written to ")
                .map(std::path::PathBuf::from)
        });
        match written {
            Some(path) if self.view.postmortem.is_none() => vec![Effect::LoadPostmortem(path)],
            Some(_) => vec![Effect::RewritePostmortem],
            None => Vec::new(),
        }
    }
}

/// Keys in a text dialog: typing, backspace, tab, enter, esc. `None` lets the keymap act.
fn text_key(modal: &mut Modal, chord: KeyChord) -> Option<Answer> {
    if chord.ctrl || chord.alt {
        return None;
    }
    match chord.key {
        Key::Char(c) => modal.type_char(c),
        Key::Backspace => modal.backspace(),
        Key::Tab | Key::BackTab => modal.next_field(),
        Key::Enter => return Some(modal.accept()),
        Key::Esc => return Some(Answer::Closed),
        _ => return None,
    }
    Some(Answer::Open)
}

fn touched_effects(touched: Touched, panels: &Panels) -> Vec<Effect> {
    match touched {
        Touched::Nothing => Vec::new(),
        Touched::Vault => vec![Effect::Refresh(Some(StoreId::Vault))],
        Touched::Github => vec![Effect::Refresh(Some(StoreId::Github))],
        Touched::App(app) => panels
            .apps
            .iter()
            .position(|(name, _)| *name == app)
            .map(|i| vec![Effect::Refresh(Some(StoreId::App(i)))])
            .unwrap_or_default(),
        Touched::Verdicts => vec![Effect::ForgetVerdicts],
    }
}
