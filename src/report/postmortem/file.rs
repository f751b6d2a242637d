//! Putting a postmortem on disk: atomically (temp file, fsync, then link or rename), and
//! never over an existing one (a second incident the same day gets `-2`).
//!
//! No write goes through a symbolic link: the temp file is created new (`O_EXCL`, which
//! never follows one) and 0600; `link` refuses any existing name, a link included; a
//! rewrite renames over the session's own file, which replaces a link rather than writing
//! where it points. Folders keyturn creates are 0700; an existing folder (a repository's
//! `docs/ops/postmortems`) is left as it is, and followed if it is itself a link: that is
//! the operator's choice of where postmortems go.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::Postmortem;
use crate::report::ReportError;

/// Writes the postmortem into `dir` without overwriting anything; returns the path.
pub fn write(dir: &Path, postmortem: &Postmortem) -> Result<PathBuf, ReportError> {
    crate::private_files::create_dirs(dir).map_err(write_error(dir))?;
    let stem = format!(
        "heroku-key-drift-{}",
        postmortem.detected_at.format("%Y-%m-%d")
    );
    let temp = write_temp(dir, &stem, &postmortem.markdown)?;
    let placed = place_without_overwrite(&temp, dir, &stem);
    let _ = std::fs::remove_file(&temp);
    placed
}

/// Replaces this session's own postmortem at `path` (the operator added notes after it was
/// written): temp file in the same folder, fsync, rename — a reader never sees half a file.
pub fn rewrite(path: &Path, postmortem: &Postmortem) -> Result<(), ReportError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let temp = write_temp(dir, "rewrite", &postmortem.markdown)?;
    std::fs::rename(&temp, path).map_err(|source| {
        let _ = std::fs::remove_file(&temp);
        write_error(path)(source)
    })
}

/// `text` in a new hidden, fsynced file `.{stem}.<random>.tmp` in `dir`.
fn write_temp(dir: &Path, stem: &str, text: &str) -> Result<PathBuf, ReportError> {
    let temp = dir.join(format!(".{stem}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut options = crate::private_files::options();
    options.write(true).create_new(true);
    let mut file = crate::private_files::open(&options, &temp).map_err(write_error(&temp))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_error(&temp))?;
    Ok(temp)
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError {
    let path = path.to_owned();
    move |source| ReportError::Write { path, source }
}

fn place_without_overwrite(temp: &Path, dir: &Path, stem: &str) -> Result<PathBuf, ReportError> {
    for n in 1.. {
        let name = if n == 1 {
            format!("{stem}.md")
        } else {
            format!("{stem}-{n}.md")
        };
        let target = dir.join(name);
        match std::fs::hard_link(temp, &target) {
            Ok(()) => return Ok(target),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(ReportError::Write {
                    path: target,
                    source,
                });
            }
        }
    }
    unreachable!("the suffix loop only ends by returning")
}
