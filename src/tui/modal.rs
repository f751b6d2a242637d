//! Dialogs: a confirmation (yes/no or a typed word), a reason for skipping, an operator
//! note, and "really quit?". Each owns its text input; answering one yields an [`Answer`]
//! that the app turns into an engine command, so confirmations travel the same queue as
//! every other action.

use crate::runbook::engine::{Change, Command, ConfirmPrompt};
use crate::session::event::NoteKind;

/// The root causes the drift SOP names, offered as one-key choices.
pub const ROOT_CAUSES: [&str; 3] = [
    "manual rotation (one copy updated by hand)",
    "failed rotation handler",
    "dashboard rotation (token regenerated in the Heroku dashboard)",
];

/// An open dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modal {
    /// Run the waiting step? `typed` holds what the operator typed for a typed prompt.
    Confirm {
        step: String,
        title: String,
        preview: Vec<Change>,
        prompt: ConfirmPrompt,
        typed: String,
        error: Option<String>,
    },
    /// Why is this step skipped? (goes into the journal and the postmortem) `title` is the
    /// step's rendered title; `error` says why the last enter did nothing.
    SkipReason {
        step: String,
        title: String,
        reason: String,
        error: Option<String>,
    },
    /// A yes/no question about a session-wide command (roll back, abort).
    Ask { question: String, command: Command },
    /// A note for the postmortem.
    Note { kind: NoteKind, text: String },
    /// Leave while a runbook is under way?
    Quit {
        session: Option<String>,
        /// The step in flight, if any: leaving interrupts it.
        running: Option<String>,
    },
    /// Everything is in sync: start the rotation runbook?
    OfferRotation { why: String },
}

/// What a dialog decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Keep the dialog open (typing, or an empty answer refused).
    Open,
    /// Closed without doing anything.
    Closed,
    /// Send this command to the engine.
    Engine(Command),
    Quit,
    StartRotation,
}

impl Modal {
    /// True when the dialog takes free text, so letter keys type instead of acting.
    pub fn takes_text(&self) -> bool {
        match self {
            Modal::Confirm { prompt, .. } => matches!(prompt, ConfirmPrompt::Typed(_)),
            Modal::SkipReason { .. } | Modal::Note { .. } => true,
            Modal::Ask { .. } | Modal::Quit { .. } | Modal::OfferRotation { .. } => false,
        }
    }

    /// A typed character (for text dialogs) or a choice key.
    pub fn type_char(&mut self, c: char) {
        match self {
            Modal::Confirm { typed, error, .. } => {
                typed.push(c);
                *error = None;
            }
            Modal::SkipReason { reason, error, .. } => {
                reason.push(c);
                *error = None;
            }
            Modal::Note { kind, text } => {
                let choice = c.to_digit(10).and_then(|d| d.checked_sub(1));
                match choice.and_then(|d| ROOT_CAUSES.get(d as usize)) {
                    Some(cause) if *kind == NoteKind::RootCause && text.is_empty() => {
                        (*cause).clone_into(text);
                    }
                    _ => text.push(c),
                }
            }
            _ => {}
        }
    }

    /// Deletes the last typed character.
    pub fn backspace(&mut self) {
        match self {
            Modal::Confirm { typed: t, .. }
            | Modal::SkipReason { reason: t, .. }
            | Modal::Note { text: t, .. } => {
                t.pop();
            }
            _ => {}
        }
    }

    /// Pasted text goes into the input, newlines flattened.
    pub fn paste(&mut self, text: &str) {
        for c in text.chars() {
            self.type_char(if c == '\n' || c == '\r' { ' ' } else { c });
        }
    }

    /// Tab: in the note dialog, cycles root cause → follow-up → other.
    pub fn next_field(&mut self) {
        if let Modal::Note { kind, .. } = self {
            *kind = match kind {
                NoteKind::RootCause => NoteKind::Followup,
                NoteKind::Followup => NoteKind::Other,
                NoteKind::Other => NoteKind::RootCause,
            };
        }
    }

    /// Enter / yes.
    pub fn accept(&mut self) -> Answer {
        match self {
            Modal::Confirm {
                step,
                prompt,
                typed,
                error,
                ..
            } => match prompt {
                ConfirmPrompt::YesNo => Answer::Engine(Command::Confirm {
                    step: Some(step.clone()),
                    typed: None,
                }),
                ConfirmPrompt::Typed(word) if typed.trim() == word.as_str() => {
                    Answer::Engine(Command::Confirm {
                        step: Some(step.clone()),
                        typed: Some(typed.trim().to_owned()),
                    })
                }
                ConfirmPrompt::Typed(word) => {
                    *error = Some(format!("type `{word}` exactly to go on, or Esc"));
                    Answer::Open
                }
            },
            Modal::SkipReason { reason, error, .. } => match reason.trim() {
                "" => {
                    *error = Some(
                        "a reason is needed: the postmortem says why this step was skipped (esc: don't skip)"
                            .to_owned(),
                    );
                    Answer::Open
                }
                r => Answer::Engine(Command::Skip {
                    reason: r.to_owned(),
                }),
            },
            Modal::Note { kind, text } => match text.trim() {
                "" => Answer::Open,
                t => Answer::Engine(Command::Note {
                    kind: *kind,
                    text: t.to_owned(),
                }),
            },
            Modal::Ask { command, .. } => Answer::Engine(command.clone()),
            Modal::Quit { .. } => Answer::Quit,
            Modal::OfferRotation { .. } => Answer::StartRotation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(word: &str) -> Modal {
        Modal::Confirm {
            step: "revoke".into(),
            title: "Revoke".into(),
            preview: Vec::new(),
            prompt: ConfirmPrompt::Typed(word.into()),
            typed: String::new(),
            error: None,
        }
    }

    #[test]
    fn a_typed_confirmation_needs_the_exact_word() {
        let mut modal = typed("raxx-platform-token-2026-08-01");
        modal.paste("raxx-platform-token");
        assert_eq!(modal.accept(), Answer::Open);
        assert!(matches!(&modal, Modal::Confirm { error: Some(e), .. } if e.contains("exactly")));
        modal.paste("-2026-08-01");
        assert_eq!(
            modal.accept(),
            Answer::Engine(Command::Confirm {
                step: Some("revoke".into()),
                typed: Some("raxx-platform-token-2026-08-01".into())
            })
        );
    }

    #[test]
    fn root_cause_digits_pick_the_sop_choices_and_empty_notes_stay_open() {
        let mut note = Modal::Note {
            kind: NoteKind::RootCause,
            text: String::new(),
        };
        assert_eq!(note.accept(), Answer::Open);
        note.type_char('3');
        let Answer::Engine(Command::Note { text, .. }) = note.accept() else {
            panic!("a note");
        };
        assert!(text.starts_with("dashboard rotation"));
        let mut skip = Modal::SkipReason {
            step: "x".into(),
            title: "X".into(),
            reason: "  ".into(),
            error: None,
        };
        assert_eq!(skip.accept(), Answer::Open);
        assert!(
            matches!(&skip, Modal::SkipReason { error: Some(e), .. } if e.contains("reason is needed")),
            "an empty reason is refused out loud"
        );
        skip.type_char('w');
        assert!(matches!(&skip, Modal::SkipReason { error: None, .. }));
    }
}
