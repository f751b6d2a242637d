//! Every way a probe can fail says what failed, names the run and its URL once there is
//! one, and says what to do.

use std::time::Duration;

use keyturn::drift::{ProbeError, ProbeStage};
use keyturn::sim::{FaultAction, FaultRule, ProbeMode, Scenario, Vendor};
use keyturn::vendors::github::WatchStop;

use super::support::{error, probe, probe_with, request, world};

/// The message names the run and its URL.
fn names_the_run(err: &ProbeError) {
    let (run_id, url) = err.run().expect("a run");
    let text = err.to_string();
    let url = url.expect("a URL");
    assert!(
        text.contains(&run_id.to_string()) && text.contains(url),
        "{text}"
    );
    assert!(url.contains(&format!("/actions/runs/{run_id}")), "{url}");
}

#[tokio::test]
async fn a_missing_workflow_says_how_to_install_it() {
    let (sim, vendors) = world(Scenario::InSync).await;
    assert!(sim.state().remove_workflow("keyturn-probe.yml"));
    let err = error(probe(&sim, &vendors).await);
    assert!(matches!(err, ProbeError::WorkflowMissing { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("keyturn probe print > .github/workflows/keyturn-probe.yml"),
        "{text}"
    );
    assert!(text.contains("raxx-app/TradeMasterAPI"), "{text}");
    assert_eq!(err.kind(), "workflow-missing");
}

#[tokio::test]
async fn a_failed_run_is_named() {
    let (sim, vendors) = world(Scenario::InSync).await;
    sim.state().set_probe_mode(ProbeMode::Fail);
    let err = error(probe(&sim, &vendors).await);
    assert!(
        matches!(&err, ProbeError::RunFailed { conclusion, .. } if conclusion == "failure"),
        "{err:?}"
    );
    names_the_run(&err);
}

#[tokio::test]
async fn a_log_without_the_line_is_nonce_not_found() {
    let (sim, vendors) = world(Scenario::InSync).await;
    sim.state().set_probe_mode(ProbeMode::NoLine);
    let err = error(probe(&sim, &vendors).await);
    assert!(
        matches!(err, ProbeError::NonceNotFound { others: 0, .. }),
        "{err:?}"
    );
    names_the_run(&err);
}

#[tokio::test]
async fn an_unreadable_log_is_named() {
    let (sim, vendors) = world(Scenario::InSync).await;
    let rule = FaultRule::new(
        Vendor::Github,
        Some("GET"),
        "/actions/jobs/[0-9]+/logs$",
        FaultAction::Status(500),
        20,
    )
    .unwrap();
    sim.faults().add(rule);
    let err = error(probe(&sim, &vendors).await);
    assert!(matches!(err, ProbeError::LogUnreadable { .. }), "{err:?}");
    names_the_run(&err);
    assert!(err.to_string().contains("500"), "{err}");
}

#[tokio::test]
async fn a_run_nobody_picks_up_times_out_with_its_url() {
    let (sim, vendors) = world(Scenario::InSync).await;
    sim.state().set_probe_mode(ProbeMode::Stuck);
    let (outcome, stages) = probe_with(&sim, &vendors, Duration::from_millis(1500)).await;
    let err = outcome.result.unwrap_err();
    assert!(
        matches!(&err, ProbeError::Timeout { status, .. } if status == "queued"),
        "{err:?}"
    );
    names_the_run(&err);
    assert!(err.to_string().contains("--probe-timeout"), "{err}");
    assert!(
        stages
            .iter()
            .any(|s| matches!(s, ProbeStage::Waiting { .. })),
        "{stages:?}"
    );
    assert!(
        matches!(stages.first(), Some(ProbeStage::Dispatched { .. })),
        "{stages:?}"
    );
}

/// Without run details and without the nonce in the run's title, keyturn cannot tell its
/// run from any other: it says so instead of taking the newest run.
#[tokio::test]
async fn a_run_without_the_nonce_in_its_title_is_not_taken() {
    let (sim, vendors) = world(Scenario::InSync).await;
    sim.state().set_dispatch_run_details(false);
    sim.state().set_probe_run_name(false);
    let (outcome, _) = probe_with(&sim, &vendors, Duration::from_millis(800)).await;
    let err = outcome.result.unwrap_err();
    assert!(matches!(err, ProbeError::RunNotFound { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("/raxx-app/TradeMasterAPI/actions/workflows/keyturn-probe.yml"),
        "{text}"
    );
}

#[tokio::test]
async fn the_operator_can_stop_the_wait() {
    let (sim, vendors) = world(Scenario::InSync).await;
    sim.state().set_probe_mode(ProbeMode::Stuck);
    let stop = WatchStop::default();
    let mut req = request(&sim, Duration::from_secs(30));
    req.stop = Some(stop.clone());
    let stopper = tokio::spawn(async move {
        while !stop.stop() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let outcome = keyturn::drift::probe::probe(vendors.github.as_ref(), &req, &|_| {}).await;
    stopper.await.unwrap();
    let err = outcome.result.unwrap_err();
    assert!(matches!(err, ProbeError::Stopped { .. }), "{err:?}");
    names_the_run(&err);
}

#[tokio::test]
async fn no_github_credential_and_no_configured_workflow() {
    let (sim, _vendors) = world(Scenario::InSync).await;
    let outcome =
        keyturn::drift::probe::probe(None, &request(&sim, Duration::from_secs(1)), &|_| {}).await;
    assert!(matches!(outcome.result, Err(ProbeError::NoGithub)));
    let mut config = sim.config();
    config.github.probe_workflow = None;
    let err =
        keyturn::drift::ProbeRequest::from_config(&config, Duration::from_secs(1)).unwrap_err();
    assert!(err.to_string().contains("keyturn probe print"), "{err}");
}
