//! How a demo's detached simulator is found again: the handoff file `<demo dir>/sim.json`
//! and the lock `<demo dir>/sim.lock`.
//!
//! The simulator takes the lock (an OS `flock`) before anything else and holds it for its
//! whole life, writes the handoff file once it serves, and removes the file before it lets
//! the lock go. So "a simulator serves this folder" is "the lock is held": it cannot be
//! fooled by a pid the system gave to another process after a reboot, it dies with the
//! simulator even on `kill -9`, and no two simulators ever share one handoff file.
//!
//! The file holds no token: only where the simulator listens, what it simulates, and the
//! nonce its remote control answers to (the credentials are asked for on loopback, see
//! `crate::sim::Control`). It is 0600, written through a new temp file and renamed into
//! place, and read with `O_NOFOLLOW` (see `crate::private_files`).

use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

/// The handoff file's name in the demo folder.
pub const FILE: &str = "sim.json";
/// The lock's name in the demo folder.
pub const LOCK: &str = "sim.lock";
/// A handoff file is a few hundred bytes; anything bigger is not one keyturn wrote.
const MAX_LEN: u64 = 64 * 1024;

/// What a detached demo simulator tells the keyturn that comes to take its demo up.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Handoff {
    /// The simulator's process, for messages and for a signal when it does not answer.
    pub pid: u32,
    pub scenario: String,
    /// Number of simulated Heroku apps.
    pub apps: usize,
    pub heroku_url: String,
    pub github_url: String,
    pub infisical_url: String,
    pub started_at: DateTime<Utc>,
    /// It stops itself after this long without a request.
    pub idle_timeout_secs: u64,
    /// What the simulator's remote control answers to. Not a token of the simulated world.
    pub nonce: String,
}

/// Never prints the nonce.
impl std::fmt::Debug for Handoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handoff")
            .field("pid", &self.pid)
            .field("scenario", &self.scenario)
            .field("heroku_url", &self.heroku_url)
            .finish_non_exhaustive()
    }
}

impl Handoff {
    /// The base URLs in listener order (Heroku, GitHub, Infisical).
    pub fn urls(&self) -> [String; 3] {
        [
            self.heroku_url.clone(),
            self.github_url.clone(),
            self.infisical_url.clone(),
        ]
    }

    /// Puts the file in `dir` whole or not at all: a reader never sees half of it.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        let temp = dir.join(format!(".{FILE}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let mut options = crate::private_files::options();
        options.write(true).create_new(true);
        let written = crate::private_files::open(&options, &temp).and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        });
        // A rename replaces a link planted at the name instead of writing where it points.
        let placed = written.and_then(|()| std::fs::rename(&temp, dir.join(FILE)));
        if placed.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        placed
    }

    /// The handoff file in `dir`, `None` when there is none.
    pub fn read(dir: &Path) -> Result<Option<Handoff>, HandoffError> {
        let path = dir.join(FILE);
        let mut options = crate::private_files::options();
        options.read(true);
        let file = match crate::private_files::open(&options, &path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(HandoffError::Read { path, source }),
        };
        let mut text = String::new();
        file.take(MAX_LEN)
            .read_to_string(&mut text)
            .map_err(|source| HandoffError::Read {
                path: path.clone(),
                source,
            })?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| HandoffError::Invalid {
                path,
                why: e.to_string(),
            })
    }

    /// Removes the file in `dir` if it is still this one's (same nonce).
    pub fn remove_from(&self, dir: &Path) {
        if let Ok(Some(found)) = Handoff::read(dir)
            && found.nonce == self.nonce
        {
            let _ = std::fs::remove_file(dir.join(FILE));
        }
    }
}

/// Why the handoff file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{} is not a handoff file keyturn wrote ({why}); delete it and start a new demo", path.display())]
    Invalid { path: PathBuf, why: String },
}

/// The lock a live simulator holds on its demo folder.
#[derive(Debug)]
pub struct SimLock {
    // Held for its OS lock, which lives as long as the open file.
    _file: File,
}

impl SimLock {
    /// Takes the lock of `dir`, `None` when another simulator holds it.
    pub fn acquire(dir: &Path) -> io::Result<Option<SimLock>> {
        let mut options = crate::private_files::options();
        options.read(true).write(true).create(true).truncate(false);
        let file = crate::private_files::open(&options, &dir.join(LOCK))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(SimLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

/// True while a simulator holds `dir`'s lock. Probes with a shared lock, released at once.
pub fn sim_alive(dir: &Path) -> bool {
    let Ok(file) = File::open(dir.join(LOCK)) else {
        return false;
    };
    matches!(
        file.try_lock_shared(),
        Err(std::fs::TryLockError::WouldBlock)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn handoff() -> Handoff {
        Handoff {
            pid: 42,
            scenario: "in-sync".into(),
            apps: 4,
            heroku_url: "http://127.0.0.1:1".into(),
            github_url: "http://127.0.0.1:2".into(),
            infisical_url: "http://127.0.0.1:3".into(),
            started_at: Utc::now(),
            idle_timeout_secs: 1800,
            nonce: "n0nce".into(),
        }
    }

    #[test]
    fn written_0600_read_back_and_removed_only_by_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let h = handoff();
        h.write(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(Handoff::read(dir.path()).unwrap(), Some(h.clone()));
        assert!(!format!("{h:?}").contains("n0nce"));
        let other = Handoff {
            nonce: "other".into(),
            ..h.clone()
        };
        other.remove_from(dir.path());
        assert!(dir.path().join(FILE).exists(), "not its file");
        h.remove_from(dir.path());
        assert_eq!(Handoff::read(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_planted_link_is_refused_and_garbage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "{}").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(FILE)).unwrap();
        let err = Handoff::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        std::fs::remove_file(dir.path().join(FILE)).unwrap();
        std::fs::write(dir.path().join(FILE), "not json").unwrap();
        let err = Handoff::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a handoff file"), "{err}");
    }

    #[test]
    fn one_simulator_per_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!sim_alive(dir.path()));
        let lock = SimLock::acquire(dir.path()).unwrap().unwrap();
        assert!(sim_alive(dir.path()));
        assert!(SimLock::acquire(dir.path()).unwrap().is_none());
        drop(lock);
        assert!(!sim_alive(dir.path()));
    }
}
