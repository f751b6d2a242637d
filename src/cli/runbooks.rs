//! `keyturn runbooks list|validate`: lint runbook files before anyone walks them.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::exit;
use crate::runbook::loader::{self, Registry};
use crate::runbook::{Origin, Problems};

/// `keyturn runbooks …`
#[derive(Debug, Subcommand)]
pub enum RunbooksCommand {
    /// List the available runbooks: id, title and where each comes from.
    List(DirArg),
    /// Validate runbook files (all known runbooks when none are given).
    /// Exit 0 when valid, 2 when any is invalid; errors read `file:line:col: what — fix`.
    Validate {
        /// Runbook files to check.
        files: Vec<PathBuf>,
        #[command(flatten)]
        dir: DirArg,
    },
}

/// Where runbook files are looked for besides the embedded ones.
#[derive(Debug, Args)]
pub struct DirArg {
    /// Directory of runbook files (default: <config dir>/keyturn/runbooks).
    #[arg(long, value_name = "DIR")]
    pub runbook_dir: Option<PathBuf>,
}

impl DirArg {
    fn dir(&self) -> Option<PathBuf> {
        self.runbook_dir.clone().or_else(loader::default_dir)
    }
}

/// Runs one `runbooks` subcommand and returns the exit code.
pub fn run(command: &RunbooksCommand) -> u8 {
    match command {
        RunbooksCommand::List(dir) => list(dir.dir().as_deref()),
        RunbooksCommand::Validate { files, dir } if files.is_empty() => {
            validate_all(dir.dir().as_deref())
        }
        RunbooksCommand::Validate { files, .. } => validate_files(files),
    }
}

fn list(dir: Option<&Path>) -> u8 {
    // Titles read with the configured secret's name when a config is found; a listing
    // never shows a raw `{placeholder}`.
    let vars = crate::config::Config::discover(None).map_or_else(
        |_| {
            let mut vars = crate::runbook::template::TemplateVars::default();
            vars.set("secret", "HEROKU_API_KEY");
            vars
        },
        |config| {
            crate::runbook::template::TemplateVars::from_config(
                &config,
                chrono::Utc::now().date_naive(),
            )
        },
    );
    match Registry::load(dir) {
        Ok(registry) => {
            for entry in &registry.entries {
                let source = match &entry.runbook.origin {
                    Origin::Embedded => "embedded".to_owned(),
                    Origin::File(path) if entry.overrides_embedded => {
                        format!("file {} (overrides embedded)", path.display())
                    }
                    Origin::File(path) => format!("file {}", path.display()),
                };
                let title =
                    crate::runbook::template::render_for_display(&entry.runbook.title, &vars);
                outln!("{:<28} {:<48} {source}", entry.runbook.id(), title);
            }
            exit::OK
        }
        Err(problems) => report(&problems),
    }
}

fn validate_all(dir: Option<&Path>) -> u8 {
    match Registry::load(dir) {
        Ok(registry) => {
            for entry in &registry.entries {
                outln!(
                    "ok  {} ({} steps)",
                    entry.runbook.id(),
                    entry.runbook.steps.len()
                );
            }
            exit::OK
        }
        Err(problems) => report(&problems),
    }
}

fn validate_files(files: &[PathBuf]) -> u8 {
    let mut code = exit::OK;
    for file in files {
        match loader::load_file(file) {
            Ok(runbook) => outln!(
                "ok  {} ({}, {} steps)",
                file.display(),
                runbook.id(),
                runbook.steps.len()
            ),
            Err(problems) => code = report(&problems),
        }
    }
    code
}

fn report(problems: &Problems) -> u8 {
    errln!("{problems}");
    exit::BAD_INPUT
}
