#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulated Heroku Platform API over real loopback HTTP.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{client, header, parts, start};
use keyturn::sim::{Scenario, Sim, SimHandle, SimOptions};
use serde_json::{Value, json};

/// A simulator whose dynos stay `starting` long enough to observe under a loaded CI box.
async fn start_slow_restarts(scenario: Scenario) -> SimHandle {
    let options = SimOptions {
        dyno_restart: Duration::from_millis(400),
        ..SimOptions::fast()
    };
    Sim::start(scenario, options).await.unwrap()
}

const ACCEPT: &str = "application/vnd.heroku+json; version=3.cedar-acm";

async fn get(url: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = client()
        .get(url)
        .bearer_auth(token)
        .header("Accept", ACCEPT);
    parts(r.send().await.unwrap()).await
}

#[tokio::test]
async fn account_answers_bearer_and_basic_and_refuses_bad_tokens() {
    let sim = start(Scenario::InSync).await;
    let token = sim.credentials().heroku_operator_token.clone();
    let url = format!("{}/account", sim.heroku_url());
    let (status, headers, body) = get(&url, &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["email"], "kris@moosequest.net");
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert!(!header(&headers, "request-id").is_empty());
    assert!(
        header(&headers, "ratelimit-remaining")
            .parse::<u32>()
            .unwrap()
            > 4000
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(":{token}"));
    let r = client()
        .get(&url)
        .header("Authorization", format!("Basic {basic}"));
    assert_eq!(r.send().await.unwrap().status(), 200);
    let (status, headers, body) = get(&url, "HRKU-not-a-token").await;
    assert_eq!(status, 401);
    assert_eq!(body["id"], "unauthorized");
    assert_eq!(body["message"], "Invalid credentials provided.");
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert!(!header(&headers, "request-id").is_empty());
    let (_, _, body) = get(&format!("{}/account/rate-limits", sim.heroku_url()), &token).await;
    assert!(body["remaining"].as_u64().unwrap() > 4000);
}

#[tokio::test]
async fn authorization_lifecycle_create_list_get_revoke() {
    let sim = start(Scenario::InSync).await;
    let op = sim.credentials().heroku_operator_token.clone();
    let base = sim.heroku_url();
    let body = json!({"scope": ["global"], "description": "raxx-platform-token-2026-11-24", "expires_in": "2592000"});
    let r = client()
        .post(format!("{base}/oauth/authorizations"))
        .bearer_auth(&op)
        .json(&body);
    let (status, _, created) = parts(r.send().await.unwrap()).await;
    assert_eq!(status, 201);
    let new_token = created["access_token"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(new_token.starts_with("HRKU-"));
    assert_eq!(created["access_token"]["expires_in"], 2_592_000);
    assert!(sim.state().token_is_valid(&new_token));
    // A token minted from an authorization may not mint more.
    let r = client()
        .post(format!("{base}/oauth/authorizations"))
        .bearer_auth(&new_token)
        .json(&body);
    let (status, _, refused) = parts(r.send().await.unwrap()).await;
    assert_eq!((status, refused["id"].as_str()), (403, Some("forbidden")));
    let (status, _, one) = get(&format!("{base}/oauth/authorizations/{id}"), &op).await;
    assert_eq!(
        (status, one["description"].as_str()),
        (200, Some("raxx-platform-token-2026-11-24"))
    );
    let r = client()
        .delete(format!("{base}/oauth/authorizations/{id}"))
        .bearer_auth(&op);
    assert_eq!(r.send().await.unwrap().status(), 200);
    let (status, _, _) = get(&format!("{base}/account"), &new_token).await;
    assert_eq!(status, 401);
    assert!(
        sim.state()
            .authorizations()
            .iter()
            .any(|a| a.id == id && a.revoked)
    );
    let r = client()
        .delete(format!("{base}/oauth/authorizations/{id}"))
        .bearer_auth(&op);
    let (status, _, gone) = parts(r.send().await.unwrap()).await;
    assert_eq!((status, gone["id"].as_str()), (404, Some("not_found")));
}

/// `heroku authorizations:create --description "For use with Anvil"` (the example of the
/// CLI's own docs) sends exactly this body, with no `scope`; Heroku answers a global
/// authorization (`Scope: global`), so the simulator does too. An empty scope is refused.
#[tokio::test]
async fn create_without_scope_is_global_and_regenerate_kills_the_old_token() {
    let sim = start(Scenario::InSync).await;
    let op = sim.credentials().heroku_operator_token.clone();
    let base = sim.heroku_url();
    let cli_body = r#"{"description":"For use with Anvil"}"#;
    let r = client()
        .post(format!("{base}/oauth/authorizations"))
        .bearer_auth(&op)
        .header("accept", "application/vnd.heroku+json; version=3")
        .header("content-type", "application/json")
        .body(cli_body);
    let (status, _, created) = parts(r.send().await.unwrap()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["scope"], json!(["global"]));
    assert_eq!(created["description"], "For use with Anvil");
    let token = created["access_token"]["token"].as_str().unwrap();
    assert!(sim.state().token_is_valid(token));
    let r = client()
        .post(format!("{base}/oauth/authorizations"))
        .bearer_auth(&op)
        .json(&json!({"scope": []}));
    assert_eq!(r.send().await.unwrap().status(), 422);
    let live = sim
        .state()
        .authorizations()
        .into_iter()
        .find(|a| !a.revoked)
        .unwrap();
    let url = format!(
        "{base}/oauth/authorizations/{}/actions/regenerate-tokens",
        live.id
    );
    let (status, _, body) = parts(client().post(url).bearer_auth(&op).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_ne!(body["access_token"]["token"].as_str().unwrap(), live.token);
    assert!(!sim.state().token_is_valid(&live.token));
}

#[tokio::test]
async fn authorization_list_pages_with_range() {
    let sim = start(Scenario::InSync).await;
    let op = sim.credentials().heroku_operator_token.clone();
    let base = sim.heroku_url();
    for i in 0..3 {
        let body = json!({"scope": ["global"], "description": format!("extra-{i}")});
        let r = client()
            .post(format!("{base}/oauth/authorizations"))
            .bearer_auth(&op)
            .json(&body);
        assert_eq!(r.send().await.unwrap().status(), 201);
    }
    let list = |range: &'static str| {
        client()
            .get(format!("{base}/oauth/authorizations"))
            .bearer_auth(&op)
            .header("Range", range)
            .send()
    };
    let (status, headers, first) = parts(list("id ..; max=2").await.unwrap()).await;
    assert_eq!((status, first.as_array().unwrap().len()), (206, 2));
    let next = header(&headers, "next-range");
    assert!(next.starts_with("id ]"), "{next}");
    let r = client()
        .get(format!("{base}/oauth/authorizations"))
        .bearer_auth(&op)
        .header("Range", next);
    let (status, _, rest) = parts(r.send().await.unwrap()).await;
    assert_eq!((status, rest.as_array().unwrap().len()), (200, 2));
    let (status, _, all) = parts(list("id ..; ;").await.unwrap()).await;
    assert_eq!((status, all.as_array().unwrap().len()), (200, 4));
}

#[tokio::test]
async fn apps_answer_by_name_and_uuid_and_404_otherwise() {
    let sim = start(Scenario::InSync).await;
    let op = sim.credentials().heroku_operator_token.clone();
    let base = sim.heroku_url();
    let (status, _, apps) = get(&format!("{base}/apps"), &op).await;
    assert_eq!((status, apps.as_array().unwrap().len()), (200, 4));
    let (_, _, app) = get(&format!("{base}/apps/raxx-console-prod"), &op).await;
    let id = app["id"].as_str().unwrap();
    let (status, _, by_id) = get(&format!("{base}/apps/{id}"), &op).await;
    assert_eq!(
        (status, by_id["name"].as_str()),
        (200, Some("raxx-console-prod"))
    );
    let (status, _, missing) = get(&format!("{base}/apps/nope-app"), &op).await;
    assert_eq!((status, missing["id"].as_str()), (404, Some("not_found")));
    let (status, _, _) = get(&format!("{base}/apps"), "bad").await;
    assert_eq!(status, 401);
}

/// `heroku apps` (the real CLI) lists `GET /users/~/apps`.
#[tokio::test]
async fn user_apps_answer_for_self_and_404_for_strangers() {
    let sim = start(Scenario::InSync).await;
    let op = sim.credentials().heroku_operator_token.clone();
    let base = sim.heroku_url();
    for user in ["~", "kris@moosequest.net"] {
        let (status, _, apps) = get(&format!("{base}/users/{user}/apps"), &op).await;
        assert_eq!((status, apps.as_array().unwrap().len()), (200, 4), "{user}");
    }
    let (status, _, body) = get(&format!("{base}/users/someone@else.com/apps"), &op).await;
    assert_eq!((status, body["id"].as_str()), (404, Some("not_found")));
    let (status, _, _) = get(&format!("{base}/users/~/apps"), "bad").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn config_patch_merges_deletes_releases_and_restarts() {
    let sim = start_slow_restarts(Scenario::InSync).await;
    let op = sim.credentials().heroku_operator_token.clone();
    let url = format!("{}/apps/raxx-api-prod/config-vars", sim.heroku_url());
    let patch = json!({"HEROKU_API_KEY": "HRKU-new", "LOG_LEVEL": null, "EXTRA": "1"});
    let r = client().patch(&url).bearer_auth(&op).json(&patch);
    let (status, _, merged) = parts(r.send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        merged,
        json!({"HEROKU_API_KEY": "HRKU-new", "NODE_ENV": "production", "EXTRA": "1"})
    );
    assert_eq!(
        sim.state()
            .app_config_var("raxx-api-prod", "HEROKU_API_KEY")
            .as_deref(),
        Some("HRKU-new")
    );
    let releases_url = format!("{}/apps/raxx-api-prod/releases", sim.heroku_url());
    let r = client()
        .get(&releases_url)
        .bearer_auth(&op)
        .header("Range", "version ..; order=desc,max=1");
    let (status, headers, latest) = parts(r.send().await.unwrap()).await;
    assert_eq!(status, 206);
    assert!(!header(&headers, "next-range").is_empty());
    assert_eq!(latest[0]["version"], 4);
    assert_eq!(
        latest[0]["description"],
        "Set EXTRA, HEROKU_API_KEY config vars"
    );
    let (_, _, dynos) = get(
        &format!("{}/apps/raxx-api-prod/dynos", sim.heroku_url()),
        &op,
    )
    .await;
    assert_eq!(dynos[0]["state"], "starting");
    tokio::time::sleep(Duration::from_millis(450)).await;
    let (_, _, dynos) = get(
        &format!("{}/apps/raxx-api-prod/dynos", sim.heroku_url()),
        &op,
    )
    .await;
    assert_eq!(dynos[0]["state"], "up");
    let (status, _, all) = get(&releases_url, &op).await;
    assert_eq!((status, all.as_array().unwrap().len()), (200, 4));
}

#[tokio::test]
async fn dyno_restart_answers_202_and_bad_patch_422() {
    let sim = start_slow_restarts(Scenario::InSync).await;
    let op = sim.credentials().heroku_operator_token.clone();
    let base = sim.heroku_url();
    let r = client()
        .delete(format!("{base}/apps/raxx-api-staging/dynos"))
        .bearer_auth(&op);
    let (status, _, body) = parts(r.send().await.unwrap()).await;
    assert_eq!((status, body), (202, json!({})));
    let (_, _, dynos) = get(&format!("{base}/apps/raxx-api-staging/dynos"), &op).await;
    assert_eq!(dynos[0]["state"], "starting");
    assert_eq!(dynos[0]["name"], "web.1");
    let r = client()
        .patch(format!("{base}/apps/raxx-api-staging/config-vars"))
        .bearer_auth(&op)
        .json(&json!({"A": 1}));
    assert_eq!(r.send().await.unwrap().status(), 422);
}

#[tokio::test]
async fn empty_pool_answers_429_rate_limit() {
    let sim = start(Scenario::InSync).await;
    sim.state().set_heroku_rate_remaining(0);
    let (status, headers, body) = get(&format!("{}/account", sim.heroku_url()), "x").await;
    assert_eq!((status, body["id"].as_str()), (429, Some("rate_limit")));
    assert_eq!(header(&headers, "ratelimit-remaining"), "0");
}

#[tokio::test]
async fn scenarios_set_up_the_expected_copies() {
    for scenario in Scenario::ALL {
        let sim = start(scenario).await;
        let state = sim.state();
        let valid = |v: Option<String>| state.token_is_valid(&v.unwrap_or_default());
        let apps: Vec<bool> = state
            .app_names()
            .iter()
            .map(|a| valid(state.app_config_var(a, "HEROKU_API_KEY")))
            .collect();
        let vault = valid(state.vault_value());
        let github = valid(state.github_secret_value("HEROKU_API_KEY"));
        let expected = match scenario {
            Scenario::InSync | Scenario::RotationDue => (true, true, vec![true; 4]),
            Scenario::GithubStale => (true, false, vec![true; 4]),
            Scenario::AppStale => (true, true, vec![true, false, true, false]),
            Scenario::VaultStale => (false, true, vec![true; 4]),
            Scenario::AllInvalid => (false, false, vec![false; 4]),
        };
        assert_eq!((vault, github, apps), expected, "{scenario}");
        assert_eq!(scenario.to_string().parse::<Scenario>().unwrap(), scenario);
        let versions = state.vault_versions();
        assert_eq!(versions.last().unwrap().version, 14, "{scenario}");
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn rotation_due_authorization_is_91_days_old_and_request_ids_are_echoed() {
    let sim = start(Scenario::RotationDue).await;
    let live = sim
        .state()
        .authorizations()
        .into_iter()
        .find(|a| !a.revoked)
        .unwrap();
    assert_eq!((chrono::Utc::now() - live.created_at).num_days(), 91);
    assert!(live.description.starts_with("raxx-platform-token-"));
    let r = client()
        .get(format!("{}/account", sim.heroku_url()))
        .header("Request-Id", "abc,def");
    let (_, headers, _) = parts(r.send().await.unwrap()).await;
    assert!(header(&headers, "request-id").ends_with(",abc,def"));
}

#[tokio::test]
async fn an_authorization_with_expires_in_stops_working_after_it() {
    let sim = start(Scenario::InSync).await;
    let op = sim.credentials().heroku_operator_token.clone();
    let body = json!({"scope": ["global"], "expires_in": 1});
    let r = client()
        .post(format!("{}/oauth/authorizations", sim.heroku_url()))
        .bearer_auth(&op)
        .json(&body);
    let (_, _, created) = parts(r.send().await.unwrap()).await;
    let token = created["access_token"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(sim.state().token_is_valid(&token));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(!sim.state().token_is_valid(&token));
}
