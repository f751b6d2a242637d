//! The audit log: one JSON line per rotation or drift recovery, appended and fsynced.
//!
//! Actions: `secret.rotate.completed` (the SOP's step 8), `secret.rotate.failed`,
//! `secret.rotate.rolled_back`, `secret.drift.recovered`, `secret.drift.failed`,
//! `secret.drift.rolled_back`. An existing log is only ever
//! appended to — never rewritten, even when a line in it is malformed.

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ReportError;
use crate::session::event::{Event, Outcome, RunbookKind};
use crate::session::summary::{StepResult, Summary};

/// One audit line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub action: String,
    /// The operator: the Heroku account email of the management token, or `--actor`.
    pub actor: String,
    pub at: DateTime<Utc>,
    pub context: serde_json::Value,
}

/// The audit entry a finished session calls for, if any.
pub fn entry_for(events: &[Event], actor: &str) -> Option<AuditEntry> {
    let s = crate::session::State::of(events).summary;
    let (at, outcome, message) = s.finished.clone()?;
    entry(
        &s,
        &Ending {
            outcome,
            at,
            message: &message,
        },
        actor,
    )
}

/// How a session ends, for the entry written as it ends (before its last event).
#[derive(Debug, Clone, Copy)]
pub struct Ending<'a> {
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
    pub message: &'a str,
}

/// The audit entry for a session that ends as `ending` says, if it calls for one. A
/// simulated session's entry carries `"simulated": true` in its context.
pub fn entry(s: &Summary, ending: &Ending<'_>, actor: &str) -> Option<AuditEntry> {
    let outcome = ending.outcome;
    let action = match (s.kind?, outcome) {
        (RunbookKind::Rotation, Outcome::Completed) => "secret.rotate.completed",
        (RunbookKind::Rotation, Outcome::RolledBack) => "secret.rotate.rolled_back",
        (RunbookKind::Rotation, Outcome::Failed | Outcome::Aborted) => "secret.rotate.failed",
        (RunbookKind::DriftRecovery, Outcome::Completed) => "secret.drift.recovered",
        (RunbookKind::DriftRecovery, Outcome::RolledBack) => "secret.drift.rolled_back",
        (RunbookKind::DriftRecovery, Outcome::Failed | Outcome::Aborted) => "secret.drift.failed",
        _ => return None,
    };
    let mut context = json!({
        "secret_name": s.secret,
        "session": s.session,
    });
    if s.kind == Some(RunbookKind::Rotation) {
        context["old_authorization_id"] = json!(s.old_authorization);
        context["new_authorization_id"] = json!(s.new_authorization);
        context["method"] = json!("operator-assisted");
    } else {
        // The path taken (from what was written), not the one the diagnosis recommended.
        context["path"] = json!(s.path_taken().map(crate::drift::RecoveryPath::id));
    }
    if outcome != Outcome::Completed {
        add_failure(&mut context, s, ending.message);
    }
    if s.simulated {
        context["simulated"] = json!(true);
    }
    Some(AuditEntry {
        action: action.to_owned(),
        actor: actor.to_owned(),
        at: ending.at,
        context,
    })
}

fn add_failure(context: &mut serde_json::Value, s: &Summary, message: &str) {
    let failed = s.steps.iter().rev().find(|st| {
        matches!(
            st.result,
            StepResult::Failed { .. } | StepResult::Unfinished | StepResult::RolledBack { .. }
        )
    });
    context["step"] = json!(failed.map(|st| st.id.clone()));
    let error = failed.and_then(|st| match &st.result {
        StepResult::Failed { error, .. } => Some(error.clone()),
        _ => None,
    });
    context["error"] = json!(error.unwrap_or_else(|| message.to_owned()));
}

/// True when the log at `path` already holds an entry with this action and context (the
/// actor and time may differ). A missing or unreadable log holds nothing; malformed lines
/// are passed over.
pub fn contains(path: &Path, entry: &AuditEntry) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<AuditEntry>(line).ok())
        .any(|e| e.action == entry.action && e.context == entry.context)
}

/// Appends one entry to the log at `path` (created 0600 if absent) and fsyncs it. A
/// symbolic link at `path` is refused, not followed; the entry's text is redacted.
pub fn append(path: &Path, entry: &AuditEntry) -> Result<(), ReportError> {
    let err = |source| ReportError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private_files::create_dirs(dir).map_err(err)?;
    }
    let mut options = crate::private_files::options();
    options.create(true).read(true).append(true);
    let mut file = crate::private_files::open(&options, path).map_err(err)?;
    let entry = crate::redact::redact_serde(entry.clone());
    let mut line = serde_json::to_string(&entry).map_err(|e| err(std::io::Error::other(e)))?;
    line.push('\n');
    if !ends_with_newline(&mut file).map_err(err)? {
        line.insert(0, '\n');
    }
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(err)
}

/// True for an empty file or one whose last byte is a newline (a torn line stays apart).
fn ends_with_newline(file: &mut std::fs::File) -> std::io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}
