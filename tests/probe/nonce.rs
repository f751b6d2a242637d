//! The nonce ties a line to one dispatch: an old run's line is never taken for a new probe,
//! and a run found without run details is the one whose title carries this nonce.

use std::collections::HashSet;

use keyturn::drift::ProbeError;
use keyturn::drift::probe::{ProbeNonce, is_nonce};
use keyturn::sim::{ProbeMode, Scenario};

use super::support::{error, probe, reading, world};

#[test]
fn nonces_are_fresh_128_bit_hex() {
    let nonces: HashSet<String> = (0..1000)
        .map(|_| ProbeNonce::fresh().as_str().to_owned())
        .collect();
    assert_eq!(nonces.len(), 1000);
    assert!(nonces.iter().all(|n| is_nonce(n)));
}

#[tokio::test]
async fn an_old_runs_line_is_never_taken() {
    let (sim, vendors) = world(Scenario::InSync).await;
    let first = reading(probe(&sim, &vendors).await);
    sim.state().set_probe_mode(ProbeMode::ReplayOld);
    let err = error(probe(&sim, &vendors).await);
    let ProbeError::NonceNotFound { run_id, others, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(others, 1, "the replayed line is seen and refused");
    assert_ne!(run_id, first.run_id);
    let replayed = sim
        .state()
        .workflow_runs()
        .into_iter()
        .find(|r| r.id == run_id)
        .unwrap();
    assert!(
        replayed.log.contains(first.nonce.as_str()),
        "the new run printed the old line"
    );
}

/// Without run details, the run is looked up in the list: each probe takes the run whose
/// title carries its own nonce, never an earlier probe run.
#[tokio::test]
async fn each_probe_finds_its_own_run_in_the_list() {
    let (sim, vendors) = world(Scenario::InSync).await;
    sim.state().set_dispatch_run_details(false);
    let first = reading(probe(&sim, &vendors).await);
    let second = reading(probe(&sim, &vendors).await);
    assert_ne!(first.run_id, second.run_id);
    assert_ne!(first.nonce, second.nonce);
    for read in [&first, &second] {
        let run = sim
            .state()
            .workflow_runs()
            .into_iter()
            .find(|r| r.id == read.run_id)
            .unwrap();
        assert_eq!(
            run.display_title,
            format!("keyturn-probe {}", read.nonce.as_str())
        );
        assert_eq!(
            run.inputs.get("nonce").map(String::as_str),
            Some(read.nonce.as_str())
        );
    }
}
