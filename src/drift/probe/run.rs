//! One probe, end to end: dispatch with a fresh nonce, find the run (the dispatch's run
//! details, else the newest run created since that carries the nonce in its title), follow
//! it to completion with the shared follow code, read its job log, find this nonce's line.
//! One deadline covers it all, so a probe never waits longer than it was allowed to.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::line::{self, Found};
use super::{ProbeError, ProbeNonce, ProbeOutcome, ProbeReading, ProbeRequest, ProbeStage};
use crate::vendors::GithubClient;
use crate::vendors::VendorError;
use crate::vendors::github::FollowOptions;

/// How far GitHub's clock may be behind ours when listing runs created since the dispatch.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// Progress callback; the TUI wraps a channel sender in one.
pub type Progress<'a> = &'a (dyn Fn(ProbeStage) + Sync);

/// Runs one probe of the GitHub copy. Costs one workflow run.
pub async fn probe(
    github: Option<&GithubClient>,
    request: &ProbeRequest,
    progress: Progress<'_>,
) -> ProbeOutcome {
    let result = match github {
        Some(github) => Probe::new(github, request, progress).run().await,
        None => Err(ProbeError::NoGithub),
    };
    ProbeOutcome {
        workflow: request.workflow.clone(),
        result,
    }
}

/// One probe under way.
struct Probe<'a> {
    github: &'a GithubClient,
    request: &'a ProbeRequest,
    progress: Progress<'a>,
    nonce: ProbeNonce,
    started: Instant,
}

impl<'a> Probe<'a> {
    fn new(github: &'a GithubClient, request: &'a ProbeRequest, progress: Progress<'a>) -> Self {
        Probe {
            github,
            request,
            progress,
            nonce: ProbeNonce::fresh(),
            started: Instant::now(),
        }
    }

    async fn run(self) -> Result<ProbeReading, ProbeError> {
        let (run_id, url) = self.dispatch().await?;
        (self.progress)(ProbeStage::Found {
            run_id,
            html_url: url.clone(),
        });
        let run = self.follow(run_id, url.clone()).await?;
        let url = run.html_url.clone().or(url);
        let conclusion = run.conclusion.unwrap_or_default();
        if conclusion != "success" {
            return Err(ProbeError::RunFailed {
                run_id,
                url,
                conclusion,
            });
        }
        (self.progress)(ProbeStage::ReadingLog { run_id });
        let log = self.log(run_id, url.as_ref()).await?;
        let line = match line::find(&log, self.nonce.as_str()) {
            Found::Line(line) => line,
            Found::Malformed => return Err(ProbeError::MalformedLine { run_id, url }),
            Found::Missing { others } => {
                return Err(ProbeError::NonceNotFound {
                    run_id,
                    url,
                    others,
                });
            }
        };
        Ok(ProbeReading {
            workflow: self.request.workflow.clone(),
            nonce: self.nonce,
            run_id,
            html_url: url,
            line,
            at: Utc::now(),
        })
    }

    fn left(&self) -> Duration {
        self.request.timeout.saturating_sub(self.started.elapsed())
    }

    /// Dispatches and returns the run's id and URL (found in the list if need be).
    async fn dispatch(&self) -> Result<(u64, Option<String>), ProbeError> {
        let request = self.request;
        let inputs = BTreeMap::from([("nonce".to_owned(), self.nonce.as_str().to_owned())]);
        let since = Utc::now() - CLOCK_SKEW;
        let details = self
            .github
            .dispatch_for_run(&request.workflow, &request.git_ref, &inputs)
            .await
            .map_err(|e| self.dispatch_error(e))?;
        (self.progress)(ProbeStage::Dispatched {
            workflow: request.workflow.clone(),
        });
        match details {
            Some(run) => Ok((run.workflow_run_id, run.html_url)),
            None => self.find(since).await,
        }
    }

    fn dispatch_error(&self, source: VendorError) -> ProbeError {
        let (workflow, git_ref) = (self.request.workflow.clone(), self.request.git_ref.clone());
        match source.status() {
            Some(404) => ProbeError::WorkflowMissing {
                workflow,
                repo: self.github.repo().to_string(),
                git_ref,
            },
            Some(422) => ProbeError::NotDispatchable {
                workflow,
                git_ref,
                source: Box::new(source),
            },
            _ => ProbeError::Dispatch {
                workflow,
                source: Box::new(source),
            },
        }
    }

    /// Polls the workflow's runs for the one whose title carries this nonce.
    async fn find(
        &self,
        since: chrono::DateTime<Utc>,
    ) -> Result<(u64, Option<String>), ProbeError> {
        let workflow = &self.request.workflow;
        loop {
            let found = self
                .github
                .find_dispatched_run(workflow, since, self.nonce.as_str())
                .await
                .map_err(|source| ProbeError::Dispatch {
                    workflow: workflow.clone(),
                    source: Box::new(source),
                })?;
            if let Some(run) = found {
                return Ok((run.id, run.html_url));
            }
            if self.left().is_zero() {
                return Err(ProbeError::RunNotFound {
                    workflow: workflow.clone(),
                    runs_url: self.request.runs_url.clone(),
                    waited_secs: self.started.elapsed().as_secs(),
                });
            }
            tokio::time::sleep(self.request.interval.min(self.left())).await;
        }
    }

    /// Follows the run to completion, reporting the wait about once a second.
    async fn follow(
        &self,
        run_id: u64,
        url: Option<String>,
    ) -> Result<crate::vendors::github::WorkflowRun, ProbeError> {
        let options = FollowOptions {
            interval: self.request.interval,
            timeout: self.left(),
            stop: self.request.stop.clone(),
        };
        let follow = self.github.follow_run(run_id, options);
        tokio::pin!(follow);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let result = loop {
            tokio::select! {
                result = &mut follow => break result,
                _ = tick.tick() => (self.progress)(ProbeStage::Waiting {
                    run_id,
                    elapsed: self.started.elapsed(),
                    timeout: self.request.timeout,
                }),
            }
        };
        result.map_err(|e| self.follow_error(e, run_id, url))
    }

    fn follow_error(&self, err: VendorError, run_id: u64, url: Option<String>) -> ProbeError {
        match err {
            VendorError::FollowTimeout { status, .. } => ProbeError::Timeout {
                run_id,
                url,
                status: status.to_string(),
                waited_secs: self.started.elapsed().as_secs(),
            },
            VendorError::FollowStopped { url: seen, .. } => ProbeError::Stopped {
                run_id,
                url: seen.or(url),
            },
            source => ProbeError::Follow {
                run_id,
                url,
                source: Box::new(source),
            },
        }
    }

    /// Every job's log of the run, one after the other. GitHub may answer 404 for a log
    /// in the moments after a run completes, so that is retried until the deadline.
    async fn log(&self, run_id: u64, url: Option<&String>) -> Result<String, ProbeError> {
        let unreadable = |detail: String| ProbeError::LogUnreadable {
            run_id,
            url: url.cloned(),
            detail,
        };
        let jobs = self
            .github
            .run_jobs(run_id)
            .await
            .map_err(|e| unreadable(e.to_string()))?;
        if jobs.is_empty() {
            return Err(unreadable("the run has no jobs".to_owned()));
        }
        let mut log = String::new();
        for job in jobs {
            log.push_str(
                &self
                    .job_log(job.id)
                    .await
                    .map_err(|e| unreadable(e.to_string()))?,
            );
        }
        Ok(log)
    }

    async fn job_log(&self, job_id: u64) -> Result<String, VendorError> {
        loop {
            match self.github.job_logs(job_id).await {
                Err(err) if err.is_not_found() && !self.left().is_zero() => {
                    tokio::time::sleep(self.request.interval.min(self.left())).await;
                }
                other => return other,
            }
        }
    }
}
