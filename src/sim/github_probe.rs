//! Simulated runs of keyturn's probe workflow (`keyturn-probe.yml`). Like a real runner,
//! a run reads the secret the repository really holds (the simulator unseals every write)
//! and asks the simulated Heroku about it, then prints the one line the shipped script
//! prints — the HMAC under the run's nonce, never the value — in a job log shaped like
//! GitHub's (the step's script echoed, the secret masked as `***`).
//!
//! [`ProbeMode`] makes a run misbehave the ways keyturn must report clearly: it fails, it
//! prints no line, it prints an *old* run's line, or it never leaves the queue.

use std::fmt::Write as _;

use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::heroku::timestamp;
use super::state::{Github, SimState, SimWorkflowRun, World};
use crate::probe_workflow::{self, EMPTY_FP, NO_ACCOUNT};

/// How the probe workflow's runs behave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProbeMode {
    /// Print the line for the value the secret holds (what the shipped script does).
    #[default]
    Honest,
    /// The job fails before printing anything (a broken runner, an edited script).
    Fail,
    /// The job succeeds but prints no probe line.
    NoLine,
    /// The job prints the line of the previous probe run: an old nonce.
    ReplayOld,
    /// The run never leaves `queued` (no runner picks it up).
    Stuck,
}

/// The probe's settings and memory in the simulated GitHub.
#[derive(Clone, Debug)]
pub(crate) struct ProbeSim {
    pub mode: ProbeMode,
    /// Whether a dispatch honours `return_run_details` (GitHub does; older servers answer 204).
    pub run_details: bool,
    /// Whether the installed file keeps its `run-name` (the nonce in the run's title).
    pub run_name: bool,
    /// The last line an honest probe run printed, for [`ProbeMode::ReplayOld`].
    pub last_line: Option<String>,
}

impl Default for ProbeSim {
    fn default() -> Self {
        ProbeSim {
            mode: ProbeMode::Honest,
            run_details: true,
            run_name: true,
            last_line: None,
        }
    }
}

impl SimState {
    /// Makes the probe workflow's next runs behave as `mode`.
    pub fn set_probe_mode(&self, mode: ProbeMode) {
        self.lock().github.probe.mode = mode;
    }

    /// `false`: dispatches answer 204 even when asked for run details (as older GitHub
    /// servers do), so a client must find its run in the list.
    pub fn set_dispatch_run_details(&self, on: bool) {
        self.lock().github.probe.run_details = on;
    }

    /// `false`: the installed probe file lost its `run-name`, so its runs are titled by the
    /// workflow's name and carry no nonce a client could find them by.
    pub fn set_probe_run_name(&self, on: bool) {
        self.lock().github.probe.run_name = on;
    }

    /// Deletes a workflow file from the repository (`false` if there was none).
    pub fn remove_workflow(&self, file: &str) -> bool {
        let mut w = self.lock();
        let before = w.github.workflows.len();
        w.github.workflows.retain(|wf| wf.file != file);
        w.github.workflows.len() != before
    }
}

/// The line the shipped script prints for `value` under `nonce`, `account` being the
/// status of `GET /account` with it (not asked for an empty value).
pub fn probe_line(nonce: &str, value: &str, account: Option<u16>) -> String {
    if value.is_empty() {
        return probe_workflow::line(nonce, EMPTY_FP, NO_ACCOUNT);
    }
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(nonce.as_bytes()) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    let fp = digest.iter().take(8).fold(String::new(), |mut fp, b| {
        let _ = write!(fp, "{b:02x}");
        fp
    });
    let account = account.map_or_else(|| "000".to_owned(), |s| s.to_string());
    probe_workflow::line(nonce, &fp, &account)
}

/// True when `run` is a run of the probe workflow.
pub(crate) fn is_probe(g: &Github, run: &SimWorkflowRun) -> bool {
    g.workflows
        .iter()
        .any(|wf| wf.id == run.workflow_id && wf.file == probe_workflow::FILE_NAME)
}

/// True while run `run_id` must stay where it is ([`ProbeMode::Stuck`]).
pub(crate) fn holds_back(w: &World, run_id: u64) -> bool {
    w.github.probe.mode == ProbeMode::Stuck
        && w.github
            .runs
            .iter()
            .any(|r| r.id == run_id && is_probe(&w.github, r))
}

/// Finishes probe run `run_id`: its log and conclusion, per the probe mode.
pub(crate) fn finish(w: &mut World, run_id: u64) {
    let value = w
        .github
        .secrets
        .get(&w.github.deploy_secret)
        .map(|s| s.value.clone())
        .unwrap_or_default();
    let account = (!value.is_empty()).then(|| {
        if w.heroku.token_is_valid(&value) {
            200
        } else {
            401
        }
    });
    let mode = w.github.probe.mode;
    let replay = w.github.probe.last_line.clone();
    let Some(run) = w.github.runs.iter_mut().find(|r| r.id == run_id) else {
        return;
    };
    let nonce = run.inputs.get("nonce").cloned().unwrap_or_default();
    let line = probe_line(&nonce, &value, account);
    run.updated_at = Utc::now();
    let stamp = timestamp(run.updated_at);
    let (printed, ok) = match mode {
        ProbeMode::Honest | ProbeMode::Stuck => (Some(line.clone()), true),
        ProbeMode::Fail => (None, false),
        ProbeMode::NoLine => (None, true),
        ProbeMode::ReplayOld => (
            Some(replay.unwrap_or_else(|| probe_line(&"0".repeat(32), &value, account))),
            true,
        ),
    };
    let mut log = script_echo(&stamp, &nonce);
    match (&printed, ok) {
        (Some(text), _) => {
            let _ = writeln!(log, "{stamp} {text}");
        }
        (None, false) => {
            let _ = writeln!(log, "{stamp} ##[error]Process completed with exit code 1.");
        }
        (None, true) => {}
    }
    run.log = log;
    "completed".clone_into(&mut run.status);
    run.conclusion = Some(if ok { "success" } else { "failure" }.to_owned());
    if mode == ProbeMode::Honest {
        w.github.probe.last_line = Some(line);
    }
}

/// The step's header as GitHub logs it: the script, the shell, the env (secrets masked).
fn script_echo(stamp: &str, nonce: &str) -> String {
    let script = probe_workflow::run_script(probe_workflow::WORKFLOW).unwrap_or_default();
    let mut lines = script.lines();
    let first = lines.next().unwrap_or_default();
    let mut log = format!("{stamp} ##[group]Run {first}\n");
    for line in lines {
        let _ = writeln!(log, "{stamp} {line}");
    }
    let _ = write!(
        log,
        "{stamp} shell: /usr/bin/bash --noprofile --norc -e -o pipefail {{0}}\n{stamp} env:\n{stamp}   NONCE: {nonce}\n{stamp}   VALUE: ***\n{stamp} ##[endgroup]\n"
    );
    log
}
