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

/// `value` sealed to GitHub's base64 `public_key` with dryoc, an independent libsodium, as
/// a GitHub client would seal it; base64, ready to send as `encrypted_value`.
pub fn dryoc_seal(public_key: &str, value: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    let public: [u8; 32] = STANDARD.decode(public_key).unwrap().try_into().unwrap();
    let mut sealed = vec![0u8; value.len() + 48];
    dryoc::classic::crypto_box::crypto_box_seal(&mut sealed, value.as_bytes(), &public).unwrap();
    STANDARD.encode(sealed)
}
