//! Following a workflow run to its end. A deploy run can take many minutes on GitHub, so
//! the watch can be stopped from another task ([`WatchStop`]): the operator aborts or skips
//! without waiting for a run keyturn does not need to see finish. The run itself goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::{GithubClient, WorkflowRun};
use crate::vendors::error::VendorError;

/// How to follow a run to completion.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    pub interval: Duration,
    pub timeout: Duration,
    /// Stops a watch under way when triggered; `None`: the watch always runs to the end.
    pub stop: Option<WatchStop>,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(15 * 60),
            stop: None,
        }
    }
}

/// Stops the [`GithubClient::follow_run`] under way, from any task or thread. Clones share
/// one switch. A stop when nothing is watched is a no-op, so it never cuts a later watch.
#[derive(Debug, Clone, Default)]
pub struct WatchStop(Arc<Switch>);

#[derive(Debug, Default)]
struct Switch {
    watching: AtomicBool,
    stop: Notify,
    /// The operator asked to stop the walk: the engine parks before its next step, so a
    /// queued abort is read before anything else runs.
    hold: AtomicBool,
}

impl WatchStop {
    /// Stops the watch under way; `false` when no run is being watched.
    pub fn stop(&self) -> bool {
        let watching = self.0.watching.load(Ordering::SeqCst);
        if watching {
            self.0.stop.notify_waiters();
        }
        watching
    }

    /// Asks the engine to park before its next step (an abort is queued behind the step
    /// under way): whatever ran automatically next waits for the operator's command.
    pub fn hold(&self) {
        self.0.hold.store(true, Ordering::SeqCst);
    }

    /// True once after [`WatchStop::hold`]: the engine parks and clears it.
    pub fn take_hold(&self) -> bool {
        self.0.hold.swap(false, Ordering::SeqCst)
    }
}

/// Marks a watch under way for as long as it lives.
struct Watching<'a>(&'a Switch);

impl Drop for Watching<'_> {
    fn drop(&mut self) {
        self.0.watching.store(false, Ordering::SeqCst);
    }
}

impl GithubClient {
    /// Polls run `run_id` every `options.interval` until it completes, `options.timeout`
    /// passes, or `options.stop` is triggered.
    pub async fn follow_run(
        &self,
        run_id: u64,
        options: FollowOptions,
    ) -> Result<WorkflowRun, VendorError> {
        let switch = options.stop.unwrap_or_default();
        // Enabled before the watch is marked, so a stop from then on is never missed.
        let stopped = switch.0.stop.notified();
        tokio::pin!(stopped);
        stopped.as_mut().enable();
        switch.0.watching.store(true, Ordering::SeqCst);
        let _watching = Watching(&switch.0);
        let mut url = None;
        let poll = self.poll(run_id, options.interval, options.timeout, &mut url);
        tokio::select! {
            run = poll => run,
            () = stopped => Err(VendorError::FollowStopped { run_id, url }),
        }
    }

    async fn poll(
        &self,
        run_id: u64,
        interval: Duration,
        timeout: Duration,
        url: &mut Option<String>,
    ) -> Result<WorkflowRun, VendorError> {
        let started = Instant::now();
        // Poll soon after dispatch (short runs, and the queued→in_progress flip an operator
        // watches), then back off to the configured interval: a handful of extra requests.
        let mut wait = interval.min(Duration::from_millis(250));
        loop {
            let run = self.run(run_id).await?;
            url.clone_from(&run.html_url);
            if run.is_completed() {
                return Ok(run);
            }
            if started.elapsed() >= timeout {
                return Err(VendorError::FollowTimeout {
                    run_id,
                    status: run.status.as_deref().unwrap_or_default().into(),
                    waited_secs: started.elapsed().as_secs(),
                });
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(interval);
        }
    }
}
