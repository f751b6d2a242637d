//! Keys and actions: what the operator pressed, turned into dialogs and engine commands.

use super::{App, Effect};
use crate::config::keymap::{Action, Key, KeyChord};
use crate::runbook::engine::{Command, Pending};
use crate::session::event::{NoteKind, Outcome};
use crate::tui::modal::{Answer, Modal};

/// Said when the operator asks for something while a step runs; cleared when the engine
/// stops again (see `engine.rs`).
pub(super) const RUNNING: &str = "a step is running…";

impl App {
    pub(super) fn key(&mut self, chord: KeyChord) -> Vec<Effect> {
        if self.help {
            self.help = false;
            return Vec::new();
        }
        if let Some(modal) = self.modal.as_mut().filter(|m| m.takes_text())
            && let Some(effects) = text_key(modal, chord)
        {
            return self.answered(effects);
        }
        match self.keymap.action(chord) {
            Some(action) => self.action(action),
            None => Vec::new(),
        }
    }

    pub(super) fn action(&mut self, action: Action) -> Vec<Effect> {
        self.status = None;
        if let Some(modal) = &mut self.modal {
            return match action {
                Action::Confirm => {
                    let answer = modal.accept();
                    self.answered(answer)
                }
                Action::Cancel => self.answered(Answer::Closed),
                // The step pane offers them beside the confirmation: one key, not esc first.
                Action::Skip | Action::Abort | Action::RollBack
                    if matches!(modal, Modal::Confirm { .. }) =>
                {
                    self.modal = None;
                    self.action_on_screen(action)
                }
                Action::Quit => self.ask_quit(),
                Action::Reveal => vec![Effect::Reveal],
                Action::Help => {
                    self.help = true;
                    Vec::new()
                }
                // Reading and scrolling stay available under a dialog.
                Action::Refresh => vec![Effect::Refresh(None)],
                Action::Probe => self.probe(),
                Action::ScrollUp => self.scrolled(-1),
                Action::ScrollDown => self.scrolled(1),
                Action::PageUp => self.scrolled(-10),
                Action::PageDown => self.scrolled(10),
                _ => Vec::new(),
            };
        }
        self.action_on_screen(action)
    }

    pub(super) fn action_on_screen(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => return self.ask_quit(),
            Action::Help => self.help = !self.help,
            Action::Refresh => return vec![Effect::Refresh(None)],
            Action::Probe => return self.probe(),
            Action::Confirm => self.open_confirm(),
            Action::Cancel => {}
            Action::Skip => self.open_skip(),
            Action::Retry => return self.retry(),
            Action::Back => return self.back(),
            Action::RollBack => match self.view.rollback_question() {
                Ok(question) => self.ask(&question, Command::RollBack),
                Err(refused) if self.view.under_way() => self.status = Some(refused),
                Err(_) => self.status = Some("no runbook is under way".to_owned()),
            },
            Action::Abort => {
                let question = format!("Abort the runbook here? {}", self.view.left_behind());
                self.ask(&question, Command::Abort);
            }
            Action::Note => self.open_note(),
            Action::Reveal => return vec![Effect::Reveal],
            Action::ScrollUp => self.scroll_by(-1),
            Action::ScrollDown => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-10),
            Action::PageDown => self.scroll_by(10),
        }
        Vec::new()
    }

    pub(super) fn answered(&mut self, answer: Answer) -> Vec<Effect> {
        match answer {
            Answer::Open => Vec::new(),
            Answer::Closed => {
                self.modal = None;
                Vec::new()
            }
            Answer::Engine(command) => {
                // A typed confirmation stays open until the engine accepts the word.
                if !matches!(command, Command::Confirm { typed: Some(_), .. }) {
                    self.modal = None;
                }
                if let Command::Confirm { step, .. } = &command {
                    self.confirm_sent.clone_from(step);
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

    pub(super) fn ask_quit(&mut self) -> Vec<Effect> {
        if self.view.under_way() && !matches!(self.modal, Some(Modal::Quit { .. })) {
            self.modal = Some(Modal::Quit {
                session: self.view.session(),
                running: self.view.running.clone(),
            });
            return Vec::new();
        }
        self.quit = true;
        vec![Effect::Quit]
    }

    pub(super) fn ask(&mut self, question: &str, command: Command) {
        if !self.view.under_way() {
            self.status = Some("no runbook is under way".to_owned());
            return;
        }
        self.modal = Some(Modal::Ask {
            question: question.to_owned(),
            command,
        });
    }

    pub(super) fn open_confirm(&mut self) {
        let sent = self.confirm_sent.clone();
        match &self.view.pending {
            Some(Pending::Confirm { step, .. }) if sent.as_ref() == Some(step) => {
                self.status = Some(RUNNING.to_owned());
            }
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
            Some(Pending::Failed { back, .. }) => {
                let back = back.as_ref().map_or(String::new(), |b| {
                    format!(
                        " · {} go back to “{}”",
                        self.keymap.first_key(Action::Back),
                        b.title
                    )
                });
                self.status = Some(format!(
                    "the step failed: {} retry{back} · {} skip · {} roll back · {} abort",
                    self.keymap.first_key(Action::Retry),
                    self.keymap.first_key(Action::Skip),
                    self.keymap.first_key(Action::RollBack),
                    self.keymap.first_key(Action::Abort)
                ));
            }
            Some(Pending::Finished(Outcome::Stopped)) if self.rotation_offerable() => {
                self.offer_rotation();
            }
            _ if self.view.under_way() => self.status = Some(RUNNING.to_owned()),
            _ => {}
        }
    }

    pub(super) fn open_skip(&mut self) {
        match &self.view.pending {
            Some(Pending::Confirm { step, .. } | Pending::Failed { step, .. }) => {
                let title = (self.view.steps.iter())
                    .find(|s| &s.id == step)
                    .map_or_else(|| step.clone(), |s| s.title.clone());
                self.modal = Some(Modal::SkipReason {
                    step: step.clone(),
                    title,
                    reason: String::new(),
                    error: None,
                });
            }
            _ => self.status = Some("nothing to skip right now".to_owned()),
        }
    }

    pub(super) fn retry(&mut self) -> Vec<Effect> {
        if matches!(self.view.pending, Some(Pending::Failed { .. })) {
            return vec![Effect::Engine(Command::Retry)];
        }
        self.status = Some("nothing to retry: no step has failed".to_owned());
        Vec::new()
    }

    pub(super) fn back(&mut self) -> Vec<Effect> {
        match &self.view.pending {
            Some(Pending::Failed { back: Some(_), .. }) => vec![Effect::Engine(Command::Back)],
            Some(Pending::Failed { .. }) => {
                self.status = Some(
                    "this step offers no way back: retry, skip, roll back or abort".to_owned(),
                );
                Vec::new()
            }
            _ => {
                self.status = Some("nothing to go back from: no step has failed".to_owned());
                Vec::new()
            }
        }
    }

    pub(super) fn open_note(&mut self) {
        if self.view.runbook.is_none() {
            self.status = Some("notes belong to a runbook session; none has started".to_owned());
            return;
        }
        let kind = if self.view.has_note(NoteKind::RootCause) {
            NoteKind::Followup
        } else {
            NoteKind::RootCause
        };
        self.modal = Some(Modal::Note {
            kind,
            text: String::new(),
        });
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
