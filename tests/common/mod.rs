//! Helpers shared by the integration tests: a started simulator and an HTTP client that
//! behaves like a well-mannered vendor client (sends a User-Agent); keyturn's clients
//! against the simulator (`sim`); a scripted loopback server (`mock`); routed fakes (`world`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod crash;
pub mod demo;
pub mod echo;
pub mod engine;
pub mod matrix;
pub mod mock;
pub mod sim;
pub mod tui;
pub mod world;

use keyturn::sim::{Scenario, Sim, SimHandle, SimOptions};
use reqwest::header::HeaderMap;
use serde_json::Value;

/// A simulator with test pacing.
pub async fn start(scenario: Scenario) -> SimHandle {
    Sim::start(scenario, SimOptions::fast()).await.unwrap()
}

/// A client with a User-Agent (GitHub refuses requests without one).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent("keyturn-tests")
        .build()
        .unwrap()
}

/// Status, headers and JSON body (Null when the body is empty or not JSON).
pub async fn parts(response: reqwest::Response) -> (u16, HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// A header as text ("" when absent).
pub fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
