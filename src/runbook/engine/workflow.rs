//! GitHub Actions: dispatch a workflow (the deploy that failed, the staging smoke test)
//! and follow its run to completion; only `success` passes the step.

use std::collections::BTreeMap;

use crate::session::event::EventKind;

use super::StepParams;
use super::actions::{done, done_with, no_github};
use super::{Done, Engine, EngineError};

impl Engine {
    pub(crate) async fn dispatch_workflow(&mut self, p: &StepParams) -> Result<Done, EngineError> {
        let workflow = p.get("workflow").cloned().unwrap_or_default();
        let git_ref = p.get("ref").cloned().unwrap_or_else(|| "main".to_owned());
        if self.deps().dry_run {
            return Ok(done(&format!(
                "dry run: would dispatch {workflow} on {git_ref}"
            )));
        }
        let inputs = self.workflow_inputs(&workflow, p);
        let github = self.deps().vendors.github.as_ref().ok_or_else(no_github)?;
        let before = github.latest_run(&workflow).await?.map(|r| r.id);
        github
            .dispatch_workflow(&workflow, &git_ref, &inputs)
            .await?;
        let run = github
            .latest_run(&workflow)
            .await?
            .filter(|r| Some(r.id) != before);
        let Some(run) = run else {
            return Err(EngineError::Step(format!(
                "{workflow} was dispatched but no new run appeared"
            )));
        };
        self.emit(EventKind::WorkflowDispatched {
            workflow: workflow.clone(),
            run_id: Some(run.id),
            url: run.html_url.clone(),
        })?;
        if p.get("watch").is_some_and(|w| w == "false") {
            return Ok(done_with(
                &format!("dispatched run {}", run.id),
                &[("run_id", &run.id.to_string())],
            ));
        }
        self.follow(&workflow, run.id).await
    }

    /// Workflow inputs: the step's `inputs.*`, else the configured ones for that workflow.
    pub(crate) fn workflow_inputs(
        &self,
        workflow: &str,
        p: &StepParams,
    ) -> BTreeMap<String, String> {
        let given: BTreeMap<String, String> = p
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("inputs.").map(|k| (k.to_owned(), v.clone())))
            .collect();
        if !given.is_empty() {
            return given;
        }
        let gh = &self.deps().config.github;
        if workflow == gh.verify_workflow {
            gh.verify_inputs.clone()
        } else {
            gh.deploy_inputs.clone()
        }
    }

    pub(crate) async fn watch_workflow(&mut self, p: &StepParams) -> Result<Done, EngineError> {
        let run_id = p
            .get("run_id")
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| EngineError::Step("run_id is not a number".into()))?;
        self.follow("workflow", run_id).await
    }

    pub(crate) async fn follow(
        &mut self,
        workflow: &str,
        run_id: u64,
    ) -> Result<Done, EngineError> {
        let github = self.deps().vendors.github.as_ref().ok_or_else(no_github)?;
        let run = github
            .follow_run(run_id, self.deps().follow.clone())
            .await?;
        let conclusion = run
            .conclusion
            .clone()
            .unwrap_or_else(|| "unknown".to_owned());
        let url = run.html_url.clone();
        self.emit(EventKind::WorkflowCompleted {
            workflow: workflow.to_owned(),
            run_id,
            conclusion: conclusion.clone(),
            url: url.clone(),
        })?;
        if conclusion != "success" {
            return Err(EngineError::Step(format!(
                "{workflow} run {run_id} ended {conclusion}"
            )));
        }
        let id = run_id.to_string();
        let url = url.unwrap_or_default();
        Ok(done_with(
            &format!("{workflow} run {run_id}: success"),
            &[
                ("run_id", &id),
                ("run_url", &url),
                ("conclusion", &conclusion),
            ],
        ))
    }
}
