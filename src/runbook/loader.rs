//! Loading runbooks: from text (with `file:line:col` errors), from files, from the copies
//! embedded in the binary, and into a [`Registry`] where a directory's files override the
//! embedded runbooks by id and add new ones.
//!
//! Embedding (`include_str!`) is why `keyturn run heroku-token-rotation` works from any
//! directory: the shipped SOPs do not depend on where the binary is started.

use std::path::{Path, PathBuf};

use super::model::{Origin, Runbook};
use super::validate::validate;
use super::{Problem, Problems};
use crate::config::{ConfigError, parse_toml};

/// The runbooks shipped inside the binary: (file name, text).
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "heroku-key-drift-recovery.toml",
        include_str!("../../runbooks/heroku-key-drift-recovery.toml"),
    ),
    (
        "heroku-token-rotation.toml",
        include_str!("../../runbooks/heroku-token-rotation.toml"),
    ),
];

/// Parses and validates a runbook; `file` names it in errors and `origin`.
pub fn parse(text: &str, file: &Path, origin: Origin) -> Result<Runbook, Problems> {
    let mut runbook: Runbook =
        parse_toml(text, file).map_err(|e| Problems(vec![toml_problem(e)]))?;
    let problems = validate(&runbook, text, file);
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    runbook.origin = origin;
    Ok(runbook)
}

/// Parses without validating: a runbook `keyturn runbooks validate` would refuse, for the
/// tests that prove the engine refuses it too (its rules must not depend on the validator).
#[doc(hidden)]
pub fn parse_unchecked(text: &str, file: &Path, origin: Origin) -> Result<Runbook, Problems> {
    let mut runbook: Runbook =
        parse_toml(text, file).map_err(|e| Problems(vec![toml_problem(e)]))?;
    runbook.origin = origin;
    Ok(runbook)
}

/// Reads, parses and validates the runbook file at `path`.
pub fn load_file(path: &Path) -> Result<Runbook, Problems> {
    let text = crate::config::read_text(path).map_err(|e| {
        Problems(vec![match e {
            ConfigError::Invalid { location, message } => Problem {
                location,
                message,
                fix: "runbook files are UTF-8 text".to_owned(),
            },
            ConfigError::Directory { .. } => Problem {
                location: crate::config::Location::at(path, "", 0),
                message: "is a directory, not a runbook file".to_owned(),
                fix: "name a .toml file, or pass the directory with --runbook-dir".to_owned(),
            },
            ConfigError::Read { source, .. } => Problem {
                location: crate::config::Location::at(path, "", 0),
                message: format!("cannot read: {source}"),
                fix: "check the path and its permissions".to_owned(),
            },
            other => Problem {
                location: crate::config::Location::at(path, "", 0),
                message: other.to_string(),
                fix: "check the file".to_owned(),
            },
        }])
    })?;
    parse(&text, path, Origin::File(path.to_owned()))
}

/// The embedded runbooks, parsed. They are validated by the test suite, so a failure here
/// is a build defect; it is still reported, never a panic.
pub fn embedded() -> Result<Vec<Runbook>, Problems> {
    EMBEDDED
        .iter()
        .map(|(name, text)| parse(text, &Path::new("runbooks").join(name), Origin::Embedded))
        .collect()
}

/// The default runbook directory: `<config dir>/keyturn/runbooks`.
pub fn default_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("keyturn").join("runbooks"))
}

/// The `*.toml` files of a directory, sorted so the load order is stable. A missing
/// directory is simply empty: most operators never create one.
pub fn files_in(dir: &Path) -> Result<Vec<PathBuf>, Problems> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Problems(vec![Problem {
                location: crate::config::Location::at(dir, "", 0),
                message: format!("cannot list the runbook directory: {e}"),
                fix: "check the path given with --runbook-dir and its permissions".to_owned(),
            }]));
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

fn toml_problem(err: ConfigError) -> Problem {
    match err {
        ConfigError::Invalid { location, message } => {
            let fix = toml_fix(&message);
            Problem {
                location,
                message,
                fix,
            }
        }
        other => Problem {
            location: crate::config::Location::at(Path::new(""), "", 0),
            message: other.to_string(),
            fix: "check the file".to_owned(),
        },
    }
}

fn toml_fix(message: &str) -> String {
    if message.contains("unknown field") {
        "remove or rename the key; step keys are id, title, body, action, params, confirm, when, rollback, point_of_no_return, rollback_only, outputs, for_each".to_owned()
    } else if message.contains("missing field") {
        "add the missing key".to_owned()
    } else {
        "fix the TOML at this spot (quotes, brackets, `[[step]]` headers); runbooks/heroku-token-rotation.toml is a complete example".to_owned()
    }
}

/// One runbook known to the registry.
#[derive(Debug, Clone)]
pub struct RegistryEntry {
    pub runbook: Runbook,
    /// True when a directory file replaced an embedded runbook of the same id.
    pub overrides_embedded: bool,
}

/// The runbooks available to a session: embedded first, then a directory's files.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub entries: Vec<RegistryEntry>,
}

impl Registry {
    /// Embedded runbooks, then every `*.toml` in `dir` (same id overrides, new id adds).
    /// All problems of all files are collected, so one run of `validate` shows them all.
    pub fn load(dir: Option<&Path>) -> Result<Registry, Problems> {
        let mut registry = Registry::default();
        for runbook in embedded()? {
            registry.add(runbook);
        }
        let Some(dir) = dir else {
            return Ok(registry);
        };
        let mut problems = Vec::new();
        for path in files_in(dir)? {
            match load_file(&path) {
                Ok(runbook) => registry.add(runbook),
                Err(Problems(found)) => problems.extend(found),
            }
        }
        if problems.is_empty() {
            Ok(registry)
        } else {
            Err(Problems(problems))
        }
    }

    /// Adds a runbook, replacing one with the same id.
    pub fn add(&mut self, runbook: Runbook) {
        let existing = self
            .entries
            .iter_mut()
            .find(|e| e.runbook.id() == runbook.id());
        match existing {
            Some(entry) => {
                entry.overrides_embedded |= entry.runbook.origin == Origin::Embedded;
                entry.runbook = runbook;
            }
            None => self.entries.push(RegistryEntry {
                runbook,
                overrides_embedded: false,
            }),
        }
    }

    /// The runbook with this id.
    /// The first runbook of this kind (a directory's override of an embedded one counts).
    pub fn of_kind(&self, kind: crate::session::event::RunbookKind) -> Option<&Runbook> {
        self.entries
            .iter()
            .map(|e| &e.runbook)
            .find(|r| r.kind == kind)
    }

    pub fn get(&self, id: &str) -> Option<&Runbook> {
        self.entries
            .iter()
            .map(|e| &e.runbook)
            .find(|r| r.id() == id)
    }
}
