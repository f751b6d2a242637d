//! Dispatching a run and finding it again. `POST …/dispatches` with
//! `return_run_details: true` answers the new run's id; a server that ignores it answers
//! 204, and then the run is found in the workflow's list: created after the dispatch, its
//! `display_title` carrying a text only this dispatch used (the probe's nonce).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;

use super::{GithubClient, Runs, WorkflowRun};
use crate::vendors::error::VendorError;
use crate::vendors::http::Request;

/// The run a dispatch started, as `return_run_details` reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct DispatchedRun {
    pub workflow_run_id: u64,
    pub html_url: Option<String>,
}

impl GithubClient {
    /// `POST …/workflows/{workflow}/dispatches` asking for the run's details: `Some` with
    /// the run when GitHub gives them (200), `None` when it answers a bare 204.
    pub async fn dispatch_for_run(
        &self,
        workflow: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<Option<DispatchedRun>, VendorError> {
        let path = self.path(&format!("/actions/workflows/{workflow}/dispatches"));
        let template = "/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches";
        let body = serde_json::json!({
            "ref": git_ref, "inputs": inputs, "return_run_details": true,
        });
        let req = Request::new(Method::POST, template, path).json(&body);
        let answer = self.http.send(&req, Some(&self.auth)).await?;
        if answer.status == 204 || answer.body.is_empty() {
            return Ok(None);
        }
        answer.json().map(Some)
    }

    /// The newest `workflow_dispatch` run of `workflow` created at or after `since` whose
    /// `display_title` contains `marker`, if GitHub lists one yet.
    pub async fn find_dispatched_run(
        &self,
        workflow: &str,
        since: DateTime<Utc>,
        marker: &str,
    ) -> Result<Option<WorkflowRun>, VendorError> {
        let path = self.path(&format!("/actions/workflows/{workflow}/runs"));
        let template = "/repos/{owner}/{repo}/actions/workflows/{workflow}/runs";
        let created = format!(">={}", since.format("%Y-%m-%dT%H:%M:%SZ"));
        let req = Request::new(Method::GET, template, path)
            .query("event", "workflow_dispatch")
            .query("created", created)
            .query("per_page", "20");
        let runs = self.get::<Runs>(req).await?.workflow_runs;
        Ok(runs.into_iter().find(|run| {
            run.created_at.is_none_or(|at| at >= since)
                && run
                    .display_title
                    .as_deref()
                    .is_some_and(|t| t.contains(marker))
        }))
    }
}
