//! A TUI session against a fresh simulator, without a terminal: the test plays the
//! operator by sending actions and keys, and reads the screen through ratatui's
//! `TestBackend`.

use std::time::Duration;

use keyturn::config::keymap::{Action, Key, KeyChord};
use keyturn::runbook::Registry;
use keyturn::runbook::engine::ConfirmPrompt;
use keyturn::runbook::engine::{Clipboard, MemoryClipboard};
use keyturn::sim::{Scenario, SimHandle, SimOptions};
use keyturn::tui::app::{App, Msg};
use keyturn::tui::clipboard::ClipboardHandle;
use keyturn::tui::modal::Modal;
use keyturn::tui::session::{Session, SessionOptions};
use keyturn::vendors::github::FollowOptions;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tempfile::TempDir;

use super::sim::fast_http;

pub struct Harness {
    pub session: Session,
    pub sim: SimHandle,
    pub dir: TempDir,
    pub clipboard: MemoryClipboard,
}

/// How long any wait may take before the test fails (a slow CI box is fine).
pub const PATIENCE: Duration = Duration::from_secs(30);

impl Harness {
    /// The TUI on a fresh simulator in `scenario`; `runbook` `None` picks from the diagnosis.
    pub async fn start(scenario: Scenario, runbook: Option<&str>) -> Harness {
        Harness::start_with(scenario, runbook, SimOptions::fast()).await
    }

    pub async fn start_with(
        scenario: Scenario,
        runbook: Option<&str>,
        sim_options: SimOptions,
    ) -> Harness {
        let sim = keyturn::sim::Sim::start(scenario, sim_options)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (options, clipboard, handle) = session_options(&dir, runbook);
        let session = Session::start(
            config_in(&sim, &dir),
            &sim.keyturn_credentials(),
            options,
            Some(handle),
        )
        .unwrap();
        Harness {
            session,
            sim,
            dir,
            clipboard,
        }
    }

    /// Kills this TUI (its engine stops at the confirmation it waits on) and opens a new
    /// one that takes the session up from its journal, like `keyturn tui --resume`.
    pub async fn killed_and_resumed(self) -> Harness {
        let journal = self.session.app.view.journal.clone().unwrap();
        let Harness {
            session, sim, dir, ..
        } = self;
        drop(session);
        let (options, clipboard, handle) = session_options(&dir, None);
        let session = Box::pin(Session::resume(
            config_in(&sim, &dir),
            &sim.keyturn_credentials(),
            options,
            Some(handle),
            &journal,
        ))
        .await
        .unwrap();
        Harness {
            session,
            sim,
            dir,
            clipboard,
        }
    }
}

fn config_in(sim: &SimHandle, dir: &TempDir) -> keyturn::config::Config {
    let mut config = sim.config();
    config.postmortem.dir = dir.path().join("postmortems");
    config.audit.path = dir.path().join("audit.jsonl");
    config
}

fn session_options(
    dir: &TempDir,
    runbook: Option<&str>,
) -> (SessionOptions, MemoryClipboard, ClipboardHandle) {
    let clipboard = MemoryClipboard::default();
    let (handle, _) = ClipboardHandle::memory(Duration::from_secs(30), clipboard.clone());
    let shared = handle.clone();
    let options = SessionOptions {
        runbook: runbook.map(str::to_owned),
        registry: Registry::load(None).unwrap(),
        sessions_dir: Some(dir.path().join("sessions")),
        dry_run: false,
        actor: None,
        follow: FollowOptions {
            interval: Duration::from_millis(50),
            ..FollowOptions::default()
        },
        refresh: Duration::from_secs(30),
        http: fast_http(),
        clipboard: Box::new(move || Box::new(shared.engine_side()) as Box<dyn Clipboard>),
    };
    (options, clipboard, handle)
}

impl Harness {
    pub fn app(&self) -> &App {
        &self.session.app
    }

    /// Handles messages until `done` holds for the app; panics after [`PATIENCE`].
    pub async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done(&self.session.app) {
            let msg = tokio::time::timeout_at(deadline, self.session.next_message())
                .await
                .unwrap_or_else(|_| {
                    panic!("timed out waiting for: {what}\n{}", self.screen(120, 40))
                });
            let Some(msg) = msg else {
                panic!("the session ended while waiting for: {what}");
            };
            self.session.handle(msg);
        }
    }

    /// Sends an action as the operator would with a key.
    pub fn act(&mut self, action: Action) {
        self.session.handle(Msg::Action(action));
    }

    /// Types text into the open dialog, key by key.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.session.handle(Msg::Key(KeyChord::plain(Key::Char(c))));
        }
    }

    pub fn key(&mut self, key: Key) {
        self.session.handle(Msg::Key(KeyChord::plain(key)));
    }

    /// Plays the operator through the runbook: answers every confirmation (a typed one with
    /// its word; with `wrong_word_first`, after checking a wrong word is refused) until
    /// `stop` holds at a confirmation, which is left open, or the runbook ends.
    pub async fn confirm_until(&mut self, stop: impl Fn(&Harness) -> bool, wrong_word_first: bool) {
        loop {
            self.until("a confirmation or the end", |app| {
                app.view.outcome.is_some() || matches!(app.modal, Some(Modal::Confirm { .. }))
            })
            .await;
            if self.app().view.outcome.is_some() || stop(self) {
                return;
            }
            let Some(Modal::Confirm { prompt, .. }) = self.app().modal.clone() else {
                unreachable!("a confirmation is open")
            };
            match prompt {
                ConfirmPrompt::Typed(word) => {
                    if wrong_word_first {
                        self.refuses_a_wrong_word();
                    }
                    self.type_text(&word);
                    self.key(Key::Enter);
                }
                ConfirmPrompt::YesNo => self.act(Action::Confirm),
            }
            self.until("the dialog closed", |app| app.modal.is_none())
                .await;
        }
    }

    fn refuses_a_wrong_word(&mut self) {
        self.type_text("wrong");
        self.key(Key::Enter);
        assert!(
            matches!(
                &self.app().modal,
                Some(Modal::Confirm { error: Some(_), .. })
            ),
            "a wrong word keeps the dialog open with an error"
        );
        for _ in 0.."wrong".len() {
            self.key(Key::Backspace);
        }
    }

    /// Waits for the session's end and asserts it completed with every copy on the vault's
    /// value, read from the simulated stores (not from keyturn's own report).
    pub async fn until_completed_in_sync(&mut self) {
        self.until("finished", |app| app.view.outcome.is_some())
            .await;
        assert_eq!(
            self.app().view.outcome,
            Some(keyturn::session::event::Outcome::Completed)
        );
        let vault = self.sim.state().vault_value().unwrap();
        super::engine::assert_every_copy_is(&self.sim.state(), &vault);
    }

    /// Every panel has a reading (or an error) and the engine waits for the operator.
    pub async fn until_settled(&mut self) {
        self.until("every panel read and the engine waiting", settled)
            .await;
    }

    /// The screen as text, `width`×`height`. Panics if any token the simulator knows (every
    /// vault version, app value, GitHub value, authorization) is on it: only the explicit
    /// reveal may show one (see [`Harness::screen_revealed`]).
    pub fn screen(&self, width: u16, height: u16) -> String {
        let screen = render(&self.session.app, width, height);
        for token in super::sim::every_token(&self.sim) {
            assert!(
                !screen.contains(&token),
                "a token is on the screen:\n{screen}"
            );
        }
        screen
    }

    /// The screen while the operator asked to reveal the copied token.
    pub fn screen_revealed(&self, width: u16, height: u16) -> String {
        render(&self.session.app, width, height)
    }

    /// The screen with the random session id and journal path replaced before drawing
    /// (wrapping can cut them anywhere, where no mask after the fact would find them).
    pub fn stable_screen(&self, width: u16, height: u16) -> String {
        let mut app = self.session.app.clone();
        // Every reading "just taken", so a slow machine cannot turn "1s ago" into "12s ago"
        // and shift the layout.
        let now = app.now;
        fresh(&mut app.panels.vault, now);
        fresh(&mut app.panels.github, now);
        for (_, panel) in &mut app.panels.apps {
            fresh(panel, now);
        }
        app.view.fold.summary.session = "20261124T120000Z-abcdef".into();
        app.view.journal = Some("/state/sessions/20261124T120000Z-abcdef.jsonl".into());
        // The postmortem's file name carries today's date, and a narrow screen may wrap it
        // where the date filter cannot see it whole: pin it.
        let today = regex::Regex::new(r"\d{4}-\d{2}-\d{2}").unwrap();
        for path in [
            app.view.postmortem.as_mut().map(|(path, _)| path),
            app.view.postmortem_written.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            let pinned = today
                .replace_all(&path.to_string_lossy(), "2026-11-24")
                .into_owned();
            *path = pinned.into();
        }
        stable(&render(&app, width, height))
    }
}

fn fresh<T>(panel: &mut keyturn::tui::panels::Panel<T>, now: chrono::DateTime<chrono::Utc>) {
    use keyturn::tui::panels::Panel;
    if let Panel::Loaded { at, .. } | Panel::Failed { at, .. } = panel {
        *at = now;
    }
}

/// True when no panel is still loading and the engine waits for the operator.
pub fn settled(app: &App) -> bool {
    use keyturn::tui::panels::Panel;
    let vault = !matches!(app.panels.vault, Panel::Idle | Panel::Loading);
    let github =
        !app.panels.github_configured || !matches!(app.panels.github, Panel::Idle | Panel::Loading);
    let apps = app
        .panels
        .apps
        .iter()
        .all(|(_, p)| !matches!(p, Panel::Idle | Panel::Loading));
    vault && github && apps && app.view.pending.is_some()
}

/// Renders `app` on a `TestBackend` and returns the buffer as lines of text.
pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| keyturn::tui::render::render(app, frame))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The screen with everything that changes between runs masked, keeping each piece's
/// width so columns stay aligned: fingerprints, ages, clock times, dates, ports, session
/// ids, temp paths and rate budgets.
pub fn stable(screen: &str) -> String {
    let rules = [
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
        r"\b[0-9a-f]{8}\b",
        r"(?:fp |\s)([0-9a-f]{6})\s",
        r"(\d+)[smhd] ago",
        r"\b(\d{2}:\d{2}:\d{2})\b",
        r"\b(\d{2}:\d{2}) UTC",
        r"\b(\d{4}-\d{2}-\d{2})\b",
        r"127\.0\.0\.1:(\d+)",
        r"\b(\d{8}T\d{6}Z-[0-9a-f]{6})\b",
        r"(/tmp/\.tmp[A-Za-z0-9]+)",
        r"([0-9a-fTZ-]+)\.jsonl",
        r"(?:heroku|github) (\d+)/",
    ];
    let mut text = screen.to_owned();
    for pattern in rules {
        let re = regex::Regex::new(pattern).unwrap();
        text = re
            .replace_all(&text, |caps: &regex::Captures| {
                let whole = caps.get(0).unwrap();
                let part = caps.get(1).unwrap_or(whole);
                let (start, end) = (part.start() - whole.start(), part.end() - whole.start());
                let w = whole.as_str();
                format!("{}{}{}", &w[..start], "#".repeat(end - start), &w[end..])
            })
            .into_owned();
    }
    text
}
