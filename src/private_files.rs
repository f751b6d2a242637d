//! How keyturn puts files on disk: private to the user and never through a symbolic link.
//!
//! Journals, locks, the log, the audit log and postmortems hold no token, but they do map
//! an incident (which stores, which authorizations, when): files are created 0600 and the
//! folders keyturn creates 0700, whatever the umask. A file is opened with `O_NOFOLLOW`, so
//! a symbolic link planted at the audit log's or a journal's path is refused instead of
//! followed (appending to whatever it points at).

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

/// Mode of every file keyturn creates.
pub const FILE_MODE: u32 = 0o600;

/// Mode of every folder keyturn creates.
pub const DIR_MODE: u32 = 0o700;

/// Open options that create files 0600 and refuse a symbolic link as the last component;
/// the caller adds read/append/create flags. Open with [`open`].
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    let nofollow = rustix::fs::OFlags::NOFOLLOW.bits();
    options
        .mode(FILE_MODE)
        .custom_flags(i32::try_from(nofollow).unwrap_or(i32::MAX));
    options
}

/// Opens `path` with `options` (from [`options`]); a file that was more open than 0600 (an
/// older keyturn's log) is tightened. A symbolic link gets an error that says so.
pub fn open(options: &OpenOptions, path: &Path) -> io::Result<File> {
    let file = options.open(path).map_err(|e| refused_link(path, e))?;
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        match file.set_permissions(Permissions::from_mode(FILE_MODE)) {
            // Someone else's file (a shared audit log): theirs to keep as it is.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {}
            other => other?,
        }
    }
    Ok(file)
}

/// Creates `dir` and its missing parents, each new folder 0700; folders that exist are
/// left as they are (a repository's `docs/ops/postmortems`).
pub fn create_dirs(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
        .collect();
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    // The umask applies to `mode`; set it plainly so no umask widens or narrows it.
    for created in missing {
        std::fs::set_permissions(created, Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

/// [`create_dirs`], then `dir` itself made 0700 even if it existed: for the folders that
/// are keyturn's own (its state folder, the sessions folder).
pub fn own_dir(dir: &Path) -> io::Result<()> {
    create_dirs(dir)?;
    std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
}

/// `O_NOFOLLOW` on a symbolic link fails with `ELOOP` (`EMLINK` on some BSDs): say why.
fn refused_link(path: &Path, err: io::Error) -> io::Error {
    let is_link = [rustix::io::Errno::LOOP, rustix::io::Errno::MLINK]
        .iter()
        .any(|e| err.raw_os_error() == Some(e.raw_os_error()));
    if !is_link || !path.is_symlink() {
        return err;
    }
    io::Error::other(
        "it is a symbolic link, and keyturn never writes through one (it could point anywhere); replace it with the real file or point the config at it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_0600_and_new_folders_0700() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dirs(&dir).unwrap();
        for d in [root.path().join("a"), dir.clone()] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, DIR_MODE, "{}", d.display());
        }
        let path = dir.join("f");
        std::fs::write(&path, "x").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        let mut opts = options();
        opts.append(true);
        open(&opts, &path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, FILE_MODE);
    }

    #[test]
    fn a_symbolic_link_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("target");
        std::fs::write(&target, "").unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut opts = options();
        opts.create(true).append(true);
        let err = open(&opts, &link).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
    }
}
