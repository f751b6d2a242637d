//! The one sentence each event reads as. `keyturn run`'s lines, the TUI's activity log
//! and the postmortem's timeline all take their words from [`describe`]; a face only
//! chooses which [`Topic`]s it shows (the TUI's step list and the postmortem's step rows
//! already show the steps, so they leave [`Topic::Step`] out).

use super::event::{EventKind, NoteKind, Outcome};

/// What a sentence is about, so a face can leave out what it shows in another form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// A step's result (succeeded, failed, skipped by the operator, undone).
    Step,
    /// The drift audit's verdict.
    Diagnosis,
    /// What the session found besides: the token in use already dead.
    Finding,
    /// Something done to a store or an authorization: a write, a mint, a revoke, a
    /// workflow run, the clipboard.
    Change,
    /// The session's course: a rollback, a resume.
    Session,
    /// An operator's note (root cause, follow-up).
    Note,
    /// How the session ended.
    End,
}

/// An event as one line of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub topic: Topic,
    pub text: String,
}

/// The sentence an event reads as, or `None` for events no face tells on their own
/// (observations, step starts, confirmations, a write about to be sent, a skip by the
/// step's own condition).
pub fn describe(kind: &EventKind) -> Option<Sentence> {
    step(kind)
        .map(|text| (Topic::Step, text))
        .or_else(|| diagnosis(kind).map(|text| (Topic::Diagnosis, text)))
        .or_else(|| finding(kind).map(|text| (Topic::Finding, text)))
        .or_else(|| change(kind).map(|text| (Topic::Change, text)))
        .or_else(|| session(kind))
        .map(|(topic, text)| Sentence { topic, text })
}

fn step(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::StepSucceeded {
            step,
            summary,
            duration_ms,
            ..
        } => format!("ok      {step:<28} {duration_ms:>6} ms  {summary}"),
        EventKind::StepFailed {
            step,
            error,
            duration_ms,
        } => format!("FAILED  {step:<28} {duration_ms:>6} ms  {error}"),
        EventKind::StepSkipped {
            step,
            reason,
            by_operator: true,
            ..
        } => format!("skipped {step:<28}  by the operator: {reason}"),
        EventKind::StepRolledBack { step, summary } => format!("undone  {step:<28}  {summary}"),
        _ => return None,
    })
}

fn diagnosis(kind: &EventKind) -> Option<String> {
    match kind {
        EventKind::Diagnosed { diagnosis, why, .. } => {
            Some(format!("diagnosis {diagnosis}: {why}"))
        }
        _ => None,
    }
}

fn finding(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::GithubProbed { verdict, .. } => {
            let held = match verdict.matches_vault {
                _ if verdict.empty => "is empty",
                Some(true) => "equals the vault's value",
                Some(false) => "differs from the vault's value",
                None => "could not be compared (the vault was unreadable)",
            };
            let account = verdict.account_status.map_or(String::new(), |s| {
                format!("; its GET /account answered {s}")
            });
            format!("{}: GitHub's copy {held}{account}", verdict.run_label())
        }
        EventKind::OldTokenAlreadyInvalid => {
            "the token in use already gets 401: nothing to capture or revoke".to_owned()
        }
        _ => return None,
    })
}

fn change(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::AuthorizationCreated {
            id, description, ..
        } => format!("authorization {id} created ({description})"),
        EventKind::RevokeRequested { id } => format!("revoke of authorization {id} sent"),
        EventKind::AuthorizationRevoked {
            id,
            old_token_rejected,
            ..
        } => {
            let proof = if *old_token_rejected {
                "; old token now gets 401"
            } else {
                ""
            };
            format!("authorization {id} revoked{proof}")
        }
        EventKind::SecretWritten {
            store,
            version,
            source,
            by_operator,
            ..
        } => {
            let version = version.map_or(String::new(), |v| format!(" as version {v}"));
            let hand = if *by_operator {
                ", put there by the operator"
            } else {
                ""
            };
            match source {
                Some(source) => format!("{store} now holds {}{version}{hand}", source.describe()),
                None => format!("{store} written{version}{hand}"),
            }
        }
        EventKind::CopyVerified { store, source, .. } => {
            format!("{store} found holding {}", source.describe())
        }
        EventKind::DynosRestarted { app } => format!("dynos of {app} restarted"),
        _ => return workflow_or_clipboard(kind),
    })
}

fn workflow_or_clipboard(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::WorkflowDispatched {
            workflow, run_id, ..
        } => match run_id {
            Some(run) => format!("{workflow} dispatched (run {run})"),
            None => format!("{workflow} dispatched"),
        },
        EventKind::WorkflowCompleted {
            workflow,
            run_id,
            conclusion,
            ..
        } => format!("{workflow} run {run_id} concluded {conclusion}"),
        EventKind::ClipboardCopied {
            clear_after_secs, ..
        } => format!("token copied to the clipboard (clears in {clear_after_secs} s)"),
        EventKind::ClipboardCleared => "clipboard cleared".to_owned(),
        _ => return None,
    })
}

fn session(kind: &EventKind) -> Option<(Topic, String)> {
    Some(match kind {
        EventKind::RollbackStarted => (
            Topic::Session,
            "rolling back this session's changes".to_owned(),
        ),
        EventKind::WalkedBack {
            to, why: Some(why), ..
        } => (Topic::Session, format!("back to {to}: {why}")),
        EventKind::WalkedBack {
            from, to, stores, ..
        } => {
            let again = if stores.is_empty() {
                String::new()
            } else {
                let names: Vec<String> = stores.iter().map(ToString::to_string).collect();
                format!("; {} to be written and proven again", names.join(", "))
            };
            (
                Topic::Session,
                format!("back to {to} after {from} failed{again}"),
            )
        }
        EventKind::SessionResumed {
            from_step,
            recovered,
            ..
        } => {
            let from = from_step.as_deref().unwrap_or("its end");
            let text = if recovered.is_empty() {
                format!("session resumed from {from}")
            } else {
                format!("session resumed from {from} ({})", recovered.join("; "))
            };
            (Topic::Session, text)
        }
        EventKind::OperatorNote { kind, text } => {
            (Topic::Note, format!("note ({}): {text}", note_name(*kind)))
        }
        EventKind::SessionFinished { outcome, message } => (Topic::End, ending(*outcome, message)),
        EventKind::ReportFailed { message } => (Topic::End, message.clone()),
        _ => return None,
    })
}

/// How the end of a session reads, on every face (the finished screen quotes it too).
pub fn ending(outcome: Outcome, message: &str) -> String {
    format!("finished ({}): {message}", outcome_name(outcome))
}

/// How an outcome reads, on every face.
pub fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Completed => "completed",
        Outcome::Failed => "failed",
        Outcome::Aborted => "aborted",
        Outcome::RolledBack => "rolled back",
        Outcome::Stopped => "stopped",
    }
}

/// How a note kind reads, on every face.
pub fn note_name(kind: NoteKind) -> &'static str {
    match kind {
        NoteKind::RootCause => "root cause",
        NoteKind::Followup => "follow-up",
        NoteKind::Other => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_skip_and_an_observation_have_no_sentence() {
        let skip = EventKind::StepSkipped {
            step: "a".into(),
            title: "A".into(),
            reason: "condition false".into(),
            by_operator: false,
            stores: Vec::new(),
        };
        assert_eq!(describe(&skip), None);
        assert_eq!(
            describe(&EventKind::ClipboardCleared).unwrap().topic,
            Topic::Change
        );
    }

    #[test]
    fn a_resume_names_where_it_goes_on_and_what_it_recovered() {
        let resumed = EventKind::SessionResumed {
            from_step: Some("propagate_heroku".into()),
            recovered: vec!["vault v15 holds the new token".into()],
            keyturn_version: "0".into(),
        };
        let s = describe(&resumed).unwrap();
        assert_eq!(s.topic, Topic::Session);
        assert_eq!(
            s.text,
            "session resumed from propagate_heroku (vault v15 holds the new token)"
        );
    }
}
