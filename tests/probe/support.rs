//! Probing a simulator with keyturn's own client, at test pace.

use std::time::Duration;

use keyturn::drift::{self, ProbeError, ProbeOutcome, ProbeReading, ProbeRequest, ProbeStage};
use keyturn::sim::{Scenario, SimHandle};
use keyturn::vendors::Vendors;

pub use crate::common::sim::connect;

/// The simulator's configured probe, polled every 50 ms, allowed `timeout` in all.
pub fn request(sim: &SimHandle, timeout: Duration) -> ProbeRequest {
    let mut request = ProbeRequest::from_config(&sim.config(), timeout).unwrap();
    request.interval = Duration::from_millis(50);
    request
}

/// One probe, its progress stages collected.
pub async fn probe_with(
    sim: &SimHandle,
    vendors: &Vendors,
    timeout: Duration,
) -> (ProbeOutcome, Vec<ProbeStage>) {
    let stages = std::sync::Mutex::new(Vec::new());
    let record = |stage: ProbeStage| stages.lock().unwrap().push(stage);
    let outcome =
        drift::probe::probe(vendors.github.as_ref(), &request(sim, timeout), &record).await;
    (outcome, stages.into_inner().unwrap())
}

/// One probe with a 10 s budget.
pub async fn probe(sim: &SimHandle, vendors: &Vendors) -> ProbeOutcome {
    probe_with(sim, vendors, Duration::from_secs(10)).await.0
}

pub fn reading(outcome: ProbeOutcome) -> ProbeReading {
    outcome.result.unwrap()
}

pub fn error(outcome: ProbeOutcome) -> ProbeError {
    outcome.result.unwrap_err()
}

/// A simulator in `scenario` and keyturn's clients on it.
pub async fn world(scenario: Scenario) -> (SimHandle, Vendors) {
    connect(scenario).await
}
