//! `keyturn probe print` (the workflow file, for `> .github/workflows/keyturn-probe.yml`)
//! and what `keyturn check --probe` shows of a probe: a progress line on stderr while it
//! waits, and its result in the table.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::Duration;

use clap::Subcommand;

use super::exit;
use crate::drift::{ProbeReport, ProbeStage};
use crate::probe_workflow;

/// `keyturn probe …`
#[derive(Debug, Subcommand)]
pub enum ProbeCommand {
    /// Print the probe workflow: `keyturn probe print > .github/workflows/keyturn-probe.yml`,
    /// commit it on the default branch, set `probe_workflow = "keyturn-probe.yml"` under
    /// [github]. It prints an HMAC of the secret under a fresh nonce, never the value.
    Print {
        /// The Actions secret it reads.
        #[arg(long, value_name = "NAME", default_value = "HEROKU_API_KEY")]
        secret: String,
        /// Read an environment secret: adds `environment: ENV` to the job.
        #[arg(long, value_name = "ENV")]
        environment: Option<String>,
    },
}

/// Runs `keyturn probe …`.
pub fn run(command: &ProbeCommand) -> u8 {
    let ProbeCommand::Print {
        secret,
        environment,
    } = command;
    let text = match probe_workflow::render(secret, environment.as_deref()) {
        Ok(text) => text,
        Err(err) => {
            errln!("keyturn: {err}");
            return exit::BAD_INPUT;
        }
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        // `keyturn probe print | head` closing the pipe early is not an error.
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            errln!("keyturn: cannot write the workflow: {err}");
            exit::BAD_INPUT
        }
        _ => exit::OK,
    }
}

/// The probe's progress on stderr: rewritten in place on a terminal, else one line per
/// stage and a "still waiting" line every [`QUIET_WAIT`].
pub(crate) struct ProgressLine {
    tty: bool,
    /// Whether the cursor sits at the end of an in-place line; when the last wait was shown.
    state: Mutex<(bool, Duration)>,
}

/// How often a log (not a terminal) hears that the probe is still waiting.
const QUIET_WAIT: Duration = Duration::from_secs(15);

impl ProgressLine {
    pub(crate) fn new() -> ProgressLine {
        ProgressLine {
            tty: std::io::stderr().is_terminal(),
            state: Mutex::new((false, Duration::ZERO)),
        }
    }

    /// Shows one stage.
    pub(crate) fn show(&self, stage: &ProbeStage) {
        if let ProbeStage::Waiting { elapsed, .. } = stage
            && !self.due(*elapsed)
        {
            return;
        }
        let text = format!("probe: {stage}");
        self.print(&text, matches!(stage, ProbeStage::Waiting { .. }));
    }

    /// True when a wait at `elapsed` should be shown.
    fn due(&self, elapsed: Duration) -> bool {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.tty || elapsed >= state.1 + QUIET_WAIT {
            state.1 = elapsed;
            return true;
        }
        false
    }

    fn print(&self, text: &str, in_place: bool) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut err = std::io::stderr().lock();
        let _ = match (self.tty && in_place, state.0) {
            (true, _) => write!(err, "\r\x1b[2K{text}"),
            (false, true) => writeln!(err, "\r\x1b[2K{text}"),
            (false, false) => writeln!(err, "{text}"),
        };
        state.0 = self.tty && in_place;
    }

    /// Ends the in-place line, if one is open.
    pub(crate) fn finish(&self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.0 {
            let _ = writeln!(std::io::stderr().lock());
            state.0 = false;
        }
    }
}

/// The table's line about the probe.
pub(crate) fn summary(report: &ProbeReport) -> String {
    match report {
        ProbeReport::Proved(v) => {
            let matches = match v.matches_vault {
                Some(true) => "holds the vault's value",
                Some(false) if v.empty => "is empty",
                Some(false) => "holds ANOTHER value than the vault",
                None => "could not be compared (vault unreadable)",
            };
            let account = v
                .account_status
                .map_or_else(|| "not asked".to_owned(), |s| s.to_string());
            format!(
                "probe {} run {}: the GitHub secret {matches}; GET /account from the runner: {account}",
                v.workflow, v.run_id
            )
        }
        ProbeReport::Failed(f) => {
            format!("probe {} failed ({}): {}", f.workflow, f.kind, f.message)
        }
    }
}
