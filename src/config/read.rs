//! Reading a config or runbook file as text, with an accurate message for each way it can
//! fail: missing, a directory, empty (a device such as `/dev/null`), not UTF-8 (located
//! at the first bad byte), or unreadable.

use std::io::ErrorKind;
use std::path::Path;

use super::{ConfigError, Location};

/// The text of `path`, or why it cannot be had.
pub fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::IsADirectory || path.is_dir() => {
            return Err(ConfigError::Directory {
                path: path.to_owned(),
            });
        }
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(not_found(path, "")),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    String::from_utf8(bytes).map_err(|e| not_utf8(path, e.as_bytes(), e.utf8_error()))
}

/// `path` does not exist; `how` says where it came from (`given with --config`).
pub(super) fn not_found(path: &Path, how: &str) -> ConfigError {
    let why = if how.is_empty() {
        "no such file".to_owned()
    } else {
        format!("no such file ({how})")
    };
    ConfigError::Read {
        path: path.to_owned(),
        source: std::io::Error::new(ErrorKind::NotFound, why),
    }
}

/// The config at `path` is empty: say what kind of file it is and what a config needs.
pub(super) fn empty(path: &Path) -> ConfigError {
    use std::os::unix::fs::FileTypeExt as _;
    let kind = std::fs::metadata(path).map(|m| m.file_type()).ok();
    let what = match kind {
        Some(k) if k.is_char_device() || k.is_block_device() => {
            "is a device with nothing to read (such as /dev/null), not a config file"
        }
        Some(k) if k.is_fifo() => "is a pipe that gave nothing to read",
        _ => "is empty",
    };
    ConfigError::Empty {
        path: path.to_owned(),
        what,
    }
}

/// Invalid UTF-8: located at the first byte that is not text.
fn not_utf8(path: &Path, bytes: &[u8], err: std::str::Utf8Error) -> ConfigError {
    let good = err.valid_up_to();
    let before = std::str::from_utf8(&bytes[..good]).unwrap_or_default();
    let location = Location::at(path, before, good);
    let byte = bytes.get(good).copied().unwrap_or_default();
    ConfigError::Invalid {
        location,
        message: format!(
            "not UTF-8 text: byte 0x{byte:02X} here is not part of any character; save the file as UTF-8"
        ),
    }
}
