#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every GitHub client call against the simulator over loopback.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::sim::{connect, connect_with};
use keyturn::secret::Token;
use keyturn::sim::Scenario;
use keyturn::vendors::github::{FollowOptions, WatchStop, WriteOutcome};

#[tokio::test]
async fn secret_metadata_and_sealed_write() {
    let (sim, v) = connect(Scenario::GithubStale).await;
    let gh = v.github.as_ref().unwrap();
    let key = gh.public_key().await.unwrap();
    assert!(!key.key_id.is_empty());
    let before = gh.secret("HEROKU_API_KEY").await.unwrap();
    let value = Token::new(sim.state().vault_value().unwrap());
    let outcome = gh.write_secret("HEROKU_API_KEY", &value).await.unwrap();
    assert_eq!(outcome, WriteOutcome::Updated);
    assert_eq!(
        sim.state().github_secret_value("HEROKU_API_KEY").unwrap(),
        *value.reveal()
    );
    let after = gh.secret("HEROKU_API_KEY").await.unwrap();
    assert!(after.updated_at > before.updated_at);
    let created = gh.write_secret("NEW_SECRET", &value).await.unwrap();
    assert_eq!(created, WriteOutcome::Created);
    assert!(gh.secret("MISSING_ONE").await.unwrap_err().is_not_found());
    let budget = gh.rate_budget();
    assert_eq!(budget.limit, Some(5000));
    assert!(budget.reset_epoch.is_some());
}

#[tokio::test]
async fn dispatch_list_follow_and_logs() {
    let (_sim, v) = connect(Scenario::GithubStale).await;
    let gh = v.github.as_ref().unwrap();
    let last = gh.latest_run("deploy-console.yml").await.unwrap().unwrap();
    assert!(last.failed());
    let jobs = gh.run_jobs(last.id).await.unwrap();
    let log = gh.job_logs(jobs[0].id).await.unwrap();
    assert!(log.contains("is invalid"), "{log}");
    let inputs = BTreeMap::from([("sanity".to_owned(), "true".to_owned())]);
    gh.dispatch_workflow("deploy-staging.yml", "main", &inputs)
        .await
        .unwrap();
    let runs = gh.workflow_runs("deploy-staging.yml", 5).await.unwrap();
    let newest = runs.first().unwrap();
    let options = FollowOptions {
        interval: Duration::from_millis(20),
        timeout: Duration::from_secs(10),
        stop: None,
    };
    let done = gh.follow_run(newest.id, options).await.unwrap();
    assert!(done.is_completed());
    assert_eq!(gh.run(newest.id).await.unwrap().id, newest.id);
}

#[tokio::test]
async fn follow_times_out_with_a_typed_error() {
    let (_sim, v) = connect(Scenario::InSync).await;
    let gh = v.github.as_ref().unwrap();
    gh.dispatch_workflow("deploy-staging.yml", "main", &BTreeMap::new())
        .await
        .unwrap();
    let run = gh.latest_run("deploy-staging.yml").await.unwrap().unwrap();
    let options = FollowOptions {
        interval: Duration::from_millis(5),
        timeout: Duration::from_millis(1),
        stop: None,
    };
    let err = gh.follow_run(run.id, options).await;
    if let Err(err) = err {
        assert!(err.to_string().contains("still"), "{err}");
    }
}

#[tokio::test]
async fn a_watch_is_stopped_from_another_task() {
    let slow = keyturn::sim::SimOptions {
        workflow_step: Duration::from_secs(600),
        ..keyturn::sim::SimOptions::fast()
    };
    let (_sim, v) = connect_with(Scenario::InSync, slow).await;
    let gh = v.github.as_ref().unwrap();
    gh.dispatch_workflow("deploy-staging.yml", "main", &BTreeMap::new())
        .await
        .unwrap();
    let run = gh.latest_run("deploy-staging.yml").await.unwrap().unwrap();
    let stop = WatchStop::default();
    assert!(!stop.stop(), "nothing is watched yet: a no-op");
    let options = FollowOptions {
        interval: Duration::from_millis(20),
        timeout: Duration::from_secs(600),
        stop: Some(stop.clone()),
    };
    let stopper = tokio::spawn(async move {
        // After the first poll, which learns the run's URL for the message.
        tokio::time::sleep(Duration::from_millis(200)).await;
        while !stop.stop() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let err = gh.follow_run(run.id, options).await.unwrap_err();
    stopper.await.unwrap();
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "GitHub run {}: watch stopped by the operator",
            run.id
        )),
        "{text}"
    );
    assert!(text.contains("the run goes on on GitHub (http"), "{text}");
}
