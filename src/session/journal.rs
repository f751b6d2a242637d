//! The session journal: every event as one JSON line, flushed and fsynced before the engine
//! moves on, so a crash or a kill at any step leaves a record `keyturn resume` can trust.
//!
//! Files live at `$XDG_STATE_HOME/keyturn/sessions/<session-id>.jsonl` (usually
//! `~/.local/state/keyturn/sessions/`), 0600 in a 0700 folder, opened without following a
//! symbolic link. They hold ids, fingerprints, timestamps and statuses; never a token
//! (events cannot carry one, and their free text is redacted).

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::event::{Event, EventKind};
use super::lock::SessionLock;
use crate::config::Config;
use crate::private_files;

/// Why the journal could not be written or read. Names the file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: cannot write the journal: {source} — the session cannot be resumed safely; free disk space or fix permissions, then retry", path = .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot read the journal: {source}", path = .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a journal event ({why}); the lines before it are intact", path = .path.display())]
    Corrupt {
        path: PathBuf,
        line: usize,
        why: String,
    },
    #[error("no state directory: set XDG_STATE_HOME or HOME")]
    NoStateDir,
    #[error("{secret} is being worked on by another keyturn session ({holder}) — finish or quit that one first; once it has quit, `keyturn resume` takes it up. The lock {path} is released when that process ends, also if it crashed", path = .path.display())]
    Busy {
        secret: String,
        holder: String,
        path: PathBuf,
    },
    #[error("{path}: cannot take the session lock: {source} — fix the state directory's permissions, then retry", path = .path.display())]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// An open, append-only session journal.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    next_seq: u64,
    /// The secret's session lock, held while the journal is open (see [`SessionLock`]).
    lock: Option<SessionLock>,
}

/// The default directory of session journals.
pub fn sessions_dir() -> Result<PathBuf, JournalError> {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .map(|d| d.join("keyturn").join("sessions"))
        .ok_or(JournalError::NoStateDir)
}

/// The session id of the journal at `path` (its file name without `.jsonl`).
pub fn session_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A new session id: UTC time (sortable) plus a short random suffix.
pub fn new_session_id() -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", Utc::now().format("%Y%m%dT%H%M%SZ"), &suffix[..6])
}

impl Journal {
    /// Starts a new session on `config`'s secret: takes the secret's session lock (so no
    /// other session works on it meanwhile), then creates the journal.
    pub fn start_session(dir: &Path, config: &Config) -> Result<Journal, JournalError> {
        let session = new_session_id();
        let lock = SessionLock::acquire(dir, config, &session)?;
        let mut journal = Journal::create(dir, &session)?;
        journal.lock = Some(lock);
        Ok(journal)
    }

    /// Continues the session journaled at `path` (resume), holding the secret's lock.
    pub fn continue_session(path: &Path, config: &Config) -> Result<Journal, JournalError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let lock = SessionLock::acquire(dir, config, &session_of(path))?;
        let mut journal = Journal::reopen(path)?;
        journal.lock = Some(lock);
        Ok(journal)
    }

    /// Creates `<dir>/<session>.jsonl` (and `dir`, private to the user).
    pub fn create(dir: &Path, session: &str) -> Result<Journal, JournalError> {
        let path = dir.join(format!("{session}.jsonl"));
        let write_err = |source| JournalError::Write {
            path: path.clone(),
            source,
        };
        create_private_dir(dir).map_err(write_err)?;
        let mut options = private_files::options();
        options.create_new(true).append(true);
        let file = private_files::open(&options, &path).map_err(write_err)?;
        write_fingerprint_key(&path).map_err(write_err)?;
        Ok(Journal {
            path,
            file,
            next_seq: 0,
            lock: None,
        })
    }

    /// Reopens an existing journal to continue it (resume); numbering carries on.
    pub fn reopen(path: &Path) -> Result<Journal, JournalError> {
        let events = read(path)?;
        let mut options = private_files::options();
        options.append(true);
        let file = private_files::open(&options, path).map_err(|source| JournalError::Write {
            path: path.to_owned(),
            source,
        })?;
        Ok(Journal {
            path: path.to_owned(),
            file,
            next_seq: events.last().map_or(0, |e| e.seq + 1),
            lock: None,
        })
    }

    /// Appends one event, then flushes and fsyncs; returns the event as written. Its free
    /// text (a step's error, a store's read failure: vendor words) is redacted first, so
    /// the journal and every observer of the event get the same clean text.
    pub fn append(&mut self, kind: EventKind) -> Result<Event, JournalError> {
        let event = Event {
            seq: self.next_seq,
            at: Utc::now(),
            kind: crate::redact::redact_serde(kind),
        };
        let mut line = serde_json::to_string(&event).map_err(|e| JournalError::Write {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .and_then(|()| self.file.sync_data())
            .map_err(|source| JournalError::Write {
                path: self.path.clone(),
                source,
            })?;
        self.next_seq += 1;
        Ok(event)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads every event of a journal. A torn last line (the process died mid-write) is
/// dropped; a bad line anywhere else is an error naming its line.
pub fn read(path: &Path) -> Result<Vec<Event>, JournalError> {
    let file = File::open(path).map_err(|source| JournalError::Read {
        path: path.to_owned(),
        source,
    })?;
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|source| JournalError::Read {
            path: path.to_owned(),
            source,
        })?;
    let mut events = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(event) => events.push(event),
            Err(_) if i + 1 == lines.len() => break,
            Err(e) => {
                return Err(JournalError::Corrupt {
                    path: path.to_owned(),
                    line: i + 1,
                    why: e.to_string(),
                });
            }
        }
    }
    Ok(events)
}

/// Where the fingerprint key of the session journaled at `journal` is kept.
fn key_path(journal: &Path) -> PathBuf {
    journal.with_extension("fpkey")
}

/// Keeps this process's fingerprint key beside a new journal (0600, never through a link),
/// so the session's fingerprints mean the same when it is resumed in another process.
fn write_fingerprint_key(journal: &Path) -> std::io::Result<()> {
    let hex =
        crate::secret::fingerprint_key()
            .iter()
            .fold(String::with_capacity(64), |mut hex, b| {
                use std::fmt::Write as _;
                let _ = write!(hex, "{b:02x}");
                hex
            });
    let mut options = private_files::options();
    options.create(true).write(true).truncate(true);
    let mut file = private_files::open(&options, &key_path(journal))?;
    file.write_all(hex.as_bytes())
}

/// Adopts the fingerprint key of the session journaled at `journal`, before this process
/// takes any fingerprint: `Some(true)` when its fingerprints now match the journal's,
/// `Some(false)` when this process had already drawn its own (the journal's fingerprints
/// are then not comparable with the screen's), `None` when the session kept no key.
pub fn adopt_fingerprint_key(journal: &Path) -> Option<bool> {
    let text = std::fs::read_to_string(key_path(journal)).ok()?;
    let text = text.trim();
    let mut key = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(crate::secret::adopt_fingerprint_key(key))
}

/// Session journals in `dir`, newest first.
pub fn list_sessions(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    found.sort();
    found.reverse();
    found
}

/// The sessions folder and its parents as keyturn's own: 0700 (see [`private_files`]).
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    private_files::own_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Token;
    use crate::session::event::{Outcome, Store};

    const CANARY: &str = "HRKU-CANARY-journal-51be";

    fn sample_events(token: &Token) -> Vec<EventKind> {
        vec![
            EventKind::SessionStarted {
                session: "s1".into(),
                runbook: "heroku-token-rotation".into(),
                title: "Rotation".into(),
                secret: "HEROKU_API_KEY".into(),
                kind: crate::session::event::RunbookKind::Rotation,
                dry_run: false,
                keyturn_version: "0.1.0".into(),
                simulated: false,
            },
            EventKind::AuthorizationCreated {
                id: "auth-1".into(),
                description: "raxx-platform-token-2026-11-24".into(),
                fingerprint: token.fingerprint(),
            },
            EventKind::SecretWritten {
                store: Store::HerokuApp {
                    app: "raxx-api-prod".into(),
                },
                fingerprint: token.fingerprint(),
                version: Some(15),
                proof: Some("read back".into()),
                source: None,
                by_operator: false,
            },
            EventKind::SessionFinished {
                outcome: Outcome::Completed,
                message: "done".into(),
            },
        ]
    }

    #[test]
    fn events_round_trip_in_order_without_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let token = Token::new(CANARY);
        let mut journal = Journal::create(dir.path(), "s1").unwrap();
        for kind in sample_events(&token) {
            journal.append(kind).unwrap();
        }
        let text = std::fs::read_to_string(journal.path()).unwrap();
        assert!(!text.contains(CANARY));
        let events = read(journal.path()).unwrap();
        assert_eq!(events.len(), 4);
        assert_eq!(
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert_eq!(
            events[1].kind,
            sample_events(&token)[1],
            "fingerprints survive the round trip"
        );
    }

    #[test]
    fn torn_last_line_is_dropped_but_corruption_inside_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let token = Token::new(CANARY);
        let mut journal = Journal::create(dir.path(), "s2").unwrap();
        for kind in sample_events(&token).into_iter().take(2) {
            journal.append(kind).unwrap();
        }
        let path = journal.path().to_owned();
        let mut raw = std::fs::read_to_string(&path).unwrap();
        raw.push_str("{\"seq\":2,\"at\":\"2026-");
        std::fs::write(&path, &raw).unwrap();
        assert_eq!(read(&path).unwrap().len(), 2);

        let broken = raw.replacen("{\"seq\":1", "garbage{\"seq\":1", 1);
        std::fs::write(&path, broken).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("s2.jsonl:2:"), "{err}");
    }

    #[test]
    fn reopen_continues_numbering_and_create_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let token = Token::new(CANARY);
        let mut journal = Journal::create(dir.path(), "s3").unwrap();
        journal.append(sample_events(&token).remove(0)).unwrap();
        assert!(Journal::create(dir.path(), "s3").is_err());
        let mut again = Journal::reopen(journal.path()).unwrap();
        let event = again.append(EventKind::ClipboardCleared).unwrap();
        assert_eq!(event.seq, 1);
        assert_eq!(list_sessions(dir.path()), vec![dir.path().join("s3.jsonl")]);
    }

    #[test]
    fn session_ids_sort_by_time() {
        let id = new_session_id();
        assert_eq!(id.len(), "20261124T120000Z-abcdef".len());
        assert!(id.ends_with(|c: char| c.is_ascii_hexdigit()));
    }
}
