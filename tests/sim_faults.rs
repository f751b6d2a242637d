#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Fault injection, latency, the request log, and the generated config.

mod common;

use std::time::{Duration, Instant};

use common::{client, header, parts, start};
use keyturn::sim::{
    FaultAction, FaultRule, Latency, LoggedRequest, Scenario, Sim, SimOptions, Vendor,
};

fn rule(
    vendor: Vendor,
    method: Option<&str>,
    path: &str,
    action: FaultAction,
    times: usize,
) -> FaultRule {
    FaultRule::new(vendor, method, path, action, times).unwrap()
}

#[tokio::test]
async fn status_fault_uses_the_vendor_error_body_for_k_requests() {
    let sim = start(Scenario::InSync).await;
    sim.faults().add(rule(
        Vendor::Heroku,
        Some("GET"),
        "^/account$",
        FaultAction::Status(503),
        2,
    ));
    let url = format!("{}/account", sim.heroku_url());
    let token = sim.credentials().heroku_operator_token.clone();
    for _ in 0..2 {
        let (status, headers, body) =
            parts(client().get(&url).bearer_auth(&token).send().await.unwrap()).await;
        assert_eq!(status, 503);
        assert!(body["id"].is_string() && body["message"].is_string());
        assert_eq!(header(&headers, "content-type"), "application/json");
    }
    assert_eq!(
        client()
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    sim.faults().add(rule(
        Vendor::Infisical,
        None,
        "login",
        FaultAction::Status(500),
        1,
    ));
    let r = client()
        .post(format!(
            "{}/api/v1/auth/universal-auth/login",
            sim.infisical_url()
        ))
        .body("{}");
    let (status, _, body) = parts(r.send().await.unwrap()).await;
    assert_eq!((status, body["statusCode"].as_u64()), (500, Some(500)));
}

#[tokio::test]
async fn rate_limited_fault_sends_retry_after() {
    let sim = start(Scenario::InSync).await;
    sim.faults().add(rule(
        Vendor::Github,
        None,
        "^/user$",
        FaultAction::RateLimited {
            retry_after_secs: 7,
        },
        1,
    ));
    let r = client()
        .get(format!("{}/user", sim.github_url()))
        .bearer_auth(&sim.credentials().github_token);
    let (status, headers, body) = parts(r.send().await.unwrap()).await;
    assert_eq!(
        (status, header(&headers, "retry-after").as_str()),
        (429, "7")
    );
    assert!(body["message"].is_string());
    assert_eq!(sim.faults().pending(), 0);
}

#[tokio::test]
async fn hang_never_answers_and_drop_closes_the_connection() {
    let sim = start(Scenario::InSync).await;
    sim.faults()
        .add(rule(Vendor::Heroku, None, "/account", FaultAction::Hang, 1));
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = quick
        .get(format!("{}/account", sim.heroku_url()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    sim.faults()
        .add(rule(Vendor::Heroku, None, "/account", FaultAction::Drop, 1));
    let result = client()
        .get(format!("{}/account", sim.heroku_url()))
        .send()
        .await;
    assert!(
        result.is_err(),
        "a dropped connection must not yield a response: {result:?}"
    );
}

#[tokio::test]
async fn malformed_json_fault_is_json_typed_but_unparseable() {
    let sim = start(Scenario::InSync).await;
    sim.faults().add(rule(
        Vendor::Infisical,
        Some("post"),
        ".",
        FaultAction::MalformedJson,
        1,
    ));
    let r = client()
        .post(format!(
            "{}/api/v1/auth/universal-auth/login",
            sim.infisical_url()
        ))
        .body("{}");
    let response = r.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
}

#[tokio::test]
async fn latency_delays_only_its_vendor_and_clear_removes_it() {
    let sim = start(Scenario::InSync).await;
    sim.faults()
        .set_latency(Vendor::Github, Latency::Fixed(Duration::from_millis(150)));
    let started = Instant::now();
    client()
        .get(format!("{}/user", sim.github_url()))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    let started = Instant::now();
    client()
        .get(format!("{}/account", sim.heroku_url()))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(150));
    sim.faults().set_latency(
        Vendor::Github,
        Latency::Jitter {
            min: Duration::from_millis(20),
            max: Duration::from_millis(40),
        },
    );
    let started = Instant::now();
    client()
        .get(format!("{}/user", sim.github_url()))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(20));
    sim.faults().clear();
    let started = Instant::now();
    client()
        .get(format!("{}/user", sim.github_url()))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(100));
}

#[tokio::test]
async fn request_log_records_vendor_method_path_status() {
    let sim = start(Scenario::InSync).await;
    client()
        .get(format!("{}/apps", sim.heroku_url()))
        .send()
        .await
        .unwrap();
    let log = sim.state().requests();
    let expected = LoggedRequest {
        vendor: Vendor::Heroku,
        method: "GET".into(),
        path: "/apps".into(),
        status: 401,
    };
    assert_eq!(log, vec![expected]);
}

#[tokio::test]
async fn generated_config_and_credentials_point_at_the_sim() {
    let options = SimOptions {
        apps: Some(6),
        seed: 42,
        ..SimOptions::fast()
    };
    let sim = Sim::start(Scenario::AppStale, options).await.unwrap();
    let config = sim.config();
    assert_eq!(config.heroku.apps.names().len(), 6);
    assert_eq!(config.heroku.api_url.as_str(), sim.heroku_url());
    assert_eq!(config.github.api_url.as_str(), sim.github_url());
    assert_eq!(config.vault.url.as_str(), sim.infisical_url());
    assert_eq!(config.secret.name.as_str(), "HEROKU_API_KEY");
    let creds = sim.keyturn_credentials();
    assert!(creds.heroku.is_some() && creds.github.is_some() && creds.vault.is_some());
    let again = Sim::start(
        Scenario::AppStale,
        SimOptions {
            apps: Some(6),
            seed: 42,
            ..SimOptions::fast()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        again.credentials().heroku_operator_token,
        sim.credentials().heroku_operator_token
    );
    sim.shutdown().await;
    again.shutdown().await;
}

#[test]
fn fault_specs_parse_like_the_cli_takes_them() {
    let r = FaultRule::parse_spec("heroku:GET:^/account$=503x2").unwrap();
    assert_eq!(
        (r.vendor, r.method.as_deref(), r.times),
        (Vendor::Heroku, Some("GET"), 2)
    );
    assert_eq!(r.action, FaultAction::Status(503));
    let r = FaultRule::parse_spec("github:/actions/.*=429:30").unwrap();
    assert_eq!(
        (r.method, r.action),
        (
            None,
            FaultAction::RateLimited {
                retry_after_secs: 30
            }
        )
    );
    for (spec, action) in [
        ("infisical:login=hang", FaultAction::Hang),
        ("heroku:.=drop", FaultAction::Drop),
        ("heroku:.=malformed", FaultAction::MalformedJson),
    ] {
        assert_eq!(FaultRule::parse_spec(spec).unwrap().action, action);
    }
    for bad in [
        "nope:.=503",
        "heroku:.",
        "heroku:.=teapot",
        "heroku:(=503",
        "heroku:.=503x0",
    ] {
        assert!(FaultRule::parse_spec(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn cli_env_lines_export_every_url_and_credential() {
    let sim = start(Scenario::InSync).await;
    let text = keyturn::cli::sim::env_lines(&sim);
    for name in [
        "HEROKU_URL",
        "GITHUB_URL",
        "INFISICAL_URL",
        "HEROKU_TOKEN",
        "GITHUB_TOKEN",
        "GITHUB_REPO",
        "GITHUB_PRIVATE_KEY",
        "INFISICAL_CLIENT_ID",
        "INFISICAL_CLIENT_SECRET",
        "INFISICAL_PROJECT_ID",
        "INFISICAL_ENVIRONMENT",
    ] {
        assert!(
            text.contains(&format!("export KEYTURN_SIM_{name}='")),
            "{name}"
        );
    }
    assert!(text.contains(&sim.heroku_url()));
}
