//! Why a probe proved nothing. Every variant past the dispatch names the run and its URL,
//! and says what to do; none holds a log or a value (the log is never quoted: it is the
//! one text a value could reach if someone edited the workflow).

use crate::vendors::VendorError;

/// `(run id, url)` as shown in messages.
fn at(run_id: u64, url: Option<&String>) -> String {
    match url {
        Some(url) => format!("probe run {run_id} ({url})"),
        None => format!("probe run {run_id}"),
    }
}

/// Why a probe has no verdict.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(
        "no GitHub credential (set GH_TOKEN): the probe needs one that may dispatch workflows (actions: write)"
    )]
    NoGithub,
    #[error(
        "no probe workflow configured: install it with `keyturn probe print > .github/workflows/keyturn-probe.yml` (commit it on the default branch) and set probe_workflow = \"keyturn-probe.yml\" under [github]"
    )]
    NotConfigured,
    #[error(
        "the probe workflow `{workflow}` is not in {repo} (GitHub answered 404 to the dispatch): install it with `keyturn probe print > .github/workflows/{workflow}`, commit it on `{git_ref}`, and probe again"
    )]
    WorkflowMissing {
        workflow: String,
        repo: String,
        git_ref: String,
    },
    #[error(
        "GitHub refused to dispatch `{workflow}` on `{git_ref}` ({source}): it must be keyturn's probe (workflow_dispatch with a `nonce` input) on that branch; reinstall it with `keyturn probe print`"
    )]
    NotDispatchable {
        workflow: String,
        git_ref: String,
        source: Box<VendorError>,
    },
    #[error("could not dispatch the probe workflow `{workflow}`: {source}")]
    Dispatch {
        workflow: String,
        source: Box<VendorError>,
    },
    #[error(
        "no run of `{workflow}` carrying this probe's nonce appeared within {waited_secs} s of the dispatch; look at {runs_url}"
    )]
    RunNotFound {
        workflow: String,
        runs_url: String,
        waited_secs: u64,
    },
    #[error(
        "{}: still `{status}` after {waited_secs} s (no runner took it, or GitHub is slow): open the run, and probe again with a longer --probe-timeout", at(*run_id, url.as_ref())
    )]
    Timeout {
        run_id: u64,
        url: Option<String>,
        status: String,
        waited_secs: u64,
    },
    #[error(
        "{}: ended `{conclusion}`; open its log: the script stops on a malformed nonce and needs bash, openssl and curl on the runner", at(*run_id, url.as_ref())
    )]
    RunFailed {
        run_id: u64,
        url: Option<String>,
        conclusion: String,
    },
    #[error("{}: could not follow it: {source}", at(*run_id, url.as_ref()))]
    Follow {
        run_id: u64,
        url: Option<String>,
        source: Box<VendorError>,
    },
    #[error("{}: its job log could not be read: {detail}", at(*run_id, url.as_ref()))]
    LogUnreadable {
        run_id: u64,
        url: Option<String>,
        detail: String,
    },
    #[error(
        "{}: its log has no line for this probe's nonce ({others} line(s) for other nonces, never taken for this one); is the workflow keyturn's probe? (`keyturn probe print`)", at(*run_id, url.as_ref())
    )]
    NonceNotFound {
        run_id: u64,
        url: Option<String>,
        others: usize,
    },
    #[error(
        "{}: its line for this nonce is malformed (expected `keyturn-probe nonce=… fp=<16 hex> account=<status>`); reinstall the workflow with `keyturn probe print`", at(*run_id, url.as_ref())
    )]
    MalformedLine { run_id: u64, url: Option<String> },
    #[error("{}: watch stopped by the operator; the run goes on on GitHub", at(*run_id, url.as_ref()))]
    Stopped { run_id: u64, url: Option<String> },
}

impl ProbeError {
    /// A stable kebab-case name for `check --json` (`probe.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            ProbeError::NoGithub => "no-github",
            ProbeError::NotConfigured => "not-configured",
            ProbeError::WorkflowMissing { .. } => "workflow-missing",
            ProbeError::NotDispatchable { .. } => "not-dispatchable",
            ProbeError::Dispatch { .. } => "dispatch-failed",
            ProbeError::RunNotFound { .. } => "run-not-found",
            ProbeError::Timeout { .. } => "timeout",
            ProbeError::RunFailed { .. } => "run-failed",
            ProbeError::Follow { .. } => "follow-failed",
            ProbeError::LogUnreadable { .. } => "log-unreadable",
            ProbeError::NonceNotFound { .. } => "nonce-not-found",
            ProbeError::MalformedLine { .. } => "malformed-line",
            ProbeError::Stopped { .. } => "stopped",
        }
    }

    /// The run this error is about, and its URL, once there is one.
    pub fn run(&self) -> Option<(u64, Option<&str>)> {
        match self {
            ProbeError::Timeout { run_id, url, .. }
            | ProbeError::RunFailed { run_id, url, .. }
            | ProbeError::Follow { run_id, url, .. }
            | ProbeError::LogUnreadable { run_id, url, .. }
            | ProbeError::NonceNotFound { run_id, url, .. }
            | ProbeError::MalformedLine { run_id, url }
            | ProbeError::Stopped { run_id, url } => Some((*run_id, url.as_deref())),
            _ => None,
        }
    }
}
