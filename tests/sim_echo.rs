#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulator as a misbehaving vendor: `reflect:STATUS` answers with the request's
//! credentials and body in the vendor's own error shape, `echo` adds them to the errors
//! the routes give and leaves successes alone, `huge` announces and streams a body of any
//! size, `endless` never ends.

mod common;

use common::{client, parts, start};
use keyturn::sim::{FaultAction, FaultRule, Scenario};

fn fault(spec: &str) -> FaultRule {
    FaultRule::parse_spec(spec).unwrap()
}

#[test]
fn the_new_actions_parse() {
    for (spec, action) in [
        ("heroku:.=reflect:500", FaultAction::Reflect(500)),
        ("github:PUT:.=reflect:422x3", FaultAction::Reflect(422)),
        ("infisical:.=echo", FaultAction::Echo),
        ("heroku:.=huge", FaultAction::Huge { bytes: 1 << 30 }),
        ("heroku:.=huge:8", FaultAction::Huge { bytes: 8 << 20 }),
        ("heroku:.=endless", FaultAction::Endless),
    ] {
        assert_eq!(fault(spec).action, action, "{spec}");
    }
    for bad in [
        "heroku:.=reflect:42",
        "heroku:.=reflect",
        "heroku:.=huge:0",
        "heroku:.=huge:x",
    ] {
        assert!(FaultRule::parse_spec(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn reflect_answers_the_vendors_error_shape_with_the_request_in_its_message() {
    let sim = start(Scenario::InSync).await;
    sim.faults()
        .add(fault("heroku:PATCH:config-vars$=reflect:422"));
    let token = sim.credentials().heroku_operator_token.clone();
    let url = format!("{}/apps/raxx-api-prod/config-vars", sim.heroku_url());
    let r = client()
        .patch(&url)
        .bearer_auth(&token)
        .json(&serde_json::json!({"HEROKU_API_KEY": "HRKU-the-new-one"}));
    let (status, _, body) = parts(r.send().await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(body["id"], "invalid_params");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("Authorization: Bearer {token}")),
        "{message}"
    );
    assert!(message.contains("HRKU-the-new-one"), "{message}");
    assert_eq!(
        sim.state()
            .app_config_var("raxx-api-prod", "HEROKU_API_KEY"),
        sim.state().vault_value(),
        "the route never ran"
    );
}

#[tokio::test]
async fn echo_decorates_errors_and_passes_successes() {
    let sim = start(Scenario::InSync).await;
    sim.faults().add(fault("infisical:.*=echox10"));
    let url = format!("{}/api/v3/secrets/raw/HEROKU_API_KEY", sim.infisical_url());
    let r = client().get(&url).bearer_auth("eyJexpired.token.x");
    let (status, _, body) = parts(r.send().await.unwrap()).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "TokenError", "the vendor's id is kept");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("Bearer eyJexpired.token.x"), "{message}");
    assert!(message.ends_with("Your token has expired. Please re-authenticate."));
    let login = format!("{}/api/v1/auth/universal-auth/login", sim.infisical_url());
    let c = sim.credentials();
    let body = serde_json::json!({"clientId": c.infisical_client_id, "clientSecret": c.infisical_client_secret});
    let (status, _, answer) = parts(client().post(&login).json(&body).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(answer["accessToken"].is_string());
}

#[tokio::test]
async fn huge_announces_its_length_and_endless_never_ends() {
    let sim = start(Scenario::InSync).await;
    sim.faults().add(fault("heroku:GET:^/account$=huge:8"));
    let url = format!("{}/account", sim.heroku_url());
    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.content_length(), Some(8 << 20));
    assert_eq!(r.bytes().await.unwrap().len(), 8 << 20);
    sim.faults().add(fault("heroku:GET:^/account$=endless"));
    let mut endless = client().get(&url).send().await.unwrap();
    assert_eq!(endless.content_length(), None, "chunked");
    let mut read = 0;
    while read < 32 << 20 {
        read += endless.chunk().await.unwrap().unwrap().len();
    }
}
