//! One session at a time per secret. Two sessions writing the same three stores would mint
//! two authorizations, and one could revoke the token the other just propagated; so a
//! session holds an exclusive lock for its secret in the sessions directory while its
//! journal is open.
//!
//! The lock is an OS file lock (`flock`), not the file's existence: it is released when the
//! holder ends, also by a crash or `kill -9`, so a dead session never blocks the operator
//! who comes to resume it. The file keeps a line naming the holder for the error message.
//!
//! The lock is keyed by the secret's name and the vault it lives in (URL, project,
//! environment, path): two simulations on different ports do not block each other, two
//! sessions on the same vault secret do.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::journal::JournalError;
use crate::config::Config;

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct SessionLock {
    // Held for its OS lock, which lives as long as the open file.
    _file: File,
}

impl SessionLock {
    /// Takes the lock of `config`'s secret in `dir` for `session`, or says who holds it.
    pub fn acquire(
        dir: &Path,
        config: &Config,
        session: &str,
    ) -> Result<SessionLock, JournalError> {
        let path = dir.join(file_name(config));
        let io_err = |source| JournalError::Lock {
            path: path.clone(),
            source,
        };
        super::journal::create_private_dir(dir).map_err(io_err)?;
        let mut options = crate::private_files::options();
        options.read(true).write(true).create(true).truncate(false);
        let mut file = crate::private_files::open(&options, &path).map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(busy(config, &path, &mut file)),
            Err(std::fs::TryLockError::Error(source)) => return Err(io_err(source)),
        }
        name_holder(&mut file, session).map_err(io_err)?;
        Ok(SessionLock { _file: file })
    }
}

/// Who runs `session` now, when a live process holds a lock in `dir` naming it: a session
/// that only looks interrupted in its journal may be running in another terminal.
pub fn live_holder(dir: &Path, session: &str) -> Option<String> {
    let needle = format!("session {session},");
    live_holders(dir)
        .into_iter()
        .find(|h| h.starts_with(&needle))
}

/// The lines of every lock in `dir` a live process holds ("session ID, pid N, since …"):
/// `keyturn demo` will not stop a simulator a session in its folder still works on.
///
/// It probes with a shared lock, released at once; a session starting in that instant is
/// refused as busy and can simply be started again.
pub fn live_holders(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let locks = entries.filter_map(Result::ok).map(|e| e.path());
    locks
        .filter(|p| p.extension().is_some_and(|x| x == "lock"))
        .filter_map(|path| {
            let mut file = File::open(path).ok()?;
            let Err(std::fs::TryLockError::WouldBlock) = file.try_lock_shared() else {
                return None;
            };
            let mut holder = String::new();
            file.read_to_string(&mut holder).ok()?;
            Some(holder.trim().to_owned())
        })
        .collect()
}

/// `HEROKU_API_KEY-1a2b3c4d.lock`: readable, and distinct per vault.
fn file_name(config: &Config) -> String {
    let vault = &config.vault;
    let key = format!(
        "{}\n{}\n{}\n{}",
        vault.url, vault.project_id, vault.environment, vault.secret_path
    );
    let digest = Sha256::digest(key.as_bytes());
    let short = digest[..4].iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    format!("{}-{short}.lock", config.secret.name)
}

fn name_holder(file: &mut File, session: &str) -> std::io::Result<()> {
    let line = format!(
        "session {session}, pid {}, since {}",
        std::process::id(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(line.as_bytes())?;
    file.sync_data()
}

fn busy(config: &Config, path: &Path, file: &mut File) -> JournalError {
    let mut holder = String::new();
    // The holder writes its line right after locking; an empty read is a race, not an error.
    let _ = file.read_to_string(&mut holder);
    let holder = holder.trim();
    JournalError::Busy {
        secret: config.secret.name.to_string(),
        holder: if holder.is_empty() {
            "starting up".to_owned()
        } else {
            holder.to_owned()
        },
        path: PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(path: &str) -> Config {
        let text = format!(
            r#"
[secret]
name = "HEROKU_API_KEY"
[vault]
url = "http://127.0.0.1:1"
project_id = "p"
environment = "prod"
secret_path = "{path}"
[github]
repo = "o/r"
deploy_workflow = "deploy.yml"
verify_workflow = "staging.yml"
[heroku]
api_url = "http://127.0.0.1:2"
apps = ["raxx-api-prod"]
"#
        );
        Config::parse(&text, Path::new("keyturn.toml")).unwrap()
    }

    #[test]
    fn a_second_session_on_the_same_secret_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let held =
            SessionLock::acquire(dir.path(), &config("/a"), "20261125T010000Z-aaaaaa").unwrap();
        let err = SessionLock::acquire(dir.path(), &config("/a"), "second").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, JournalError::Busy { .. }), "{text}");
        assert!(text.contains("HEROKU_API_KEY is being worked on"), "{text}");
        assert!(text.contains("session 20261125T010000Z-aaaaaa"), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        let live = live_holder(dir.path(), "20261125T010000Z-aaaaaa").unwrap();
        assert!(
            live.starts_with("session 20261125T010000Z-aaaaaa, pid"),
            "{live}"
        );
        assert_eq!(live_holder(dir.path(), "20261125T010000Z-aaaaa"), None);
        drop(held);
        assert_eq!(live_holder(dir.path(), "20261125T010000Z-aaaaaa"), None);
        SessionLock::acquire(dir.path(), &config("/a"), "third").unwrap();
    }

    #[test]
    fn the_same_name_in_another_vault_is_another_lock() {
        let dir = tempfile::tempdir().unwrap();
        let _a = SessionLock::acquire(dir.path(), &config("/a"), "one").unwrap();
        let _b = SessionLock::acquire(dir.path(), &config("/b"), "two").unwrap();
    }
}
