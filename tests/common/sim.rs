//! Starting the embedded simulator and keyturn's clients against it.

use std::time::Duration;

use keyturn::sim::{Scenario, Sim, SimHandle, SimOptions};
use keyturn::vendors::{HttpOptions, Vendors};

/// Quick timeouts and backoff so fault tests stay fast.
pub fn fast_http() -> HttpOptions {
    HttpOptions {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(700),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(5),
    }
}

/// A simulator in `scenario` and the three clients pointed at it.
pub async fn connect(scenario: Scenario) -> (SimHandle, Vendors) {
    connect_with(scenario, SimOptions::fast()).await
}

pub async fn connect_with(scenario: Scenario, options: SimOptions) -> (SimHandle, Vendors) {
    let sim = Sim::start(scenario, options).await.unwrap();
    let vendors =
        Vendors::connect_with(&sim.config(), &sim.keyturn_credentials(), &fast_http()).unwrap();
    (sim, vendors)
}
