#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulated Infisical API over real loopback HTTP.

mod common;

use common::{client, parts, start};
use keyturn::sim::{Scenario, SimHandle};
use serde_json::{Value, json};

async fn login(sim: &SimHandle) -> String {
    let c = sim.credentials();
    let body =
        json!({"clientId": c.infisical_client_id, "clientSecret": c.infisical_client_secret});
    let url = format!("{}/api/v1/auth/universal-auth/login", sim.infisical_url());
    let (status, _, answer) = parts(client().post(url).json(&body).send().await.unwrap()).await;
    assert_eq!(status, 200);
    for key in ["accessToken", "expiresIn", "accessTokenMaxTTL", "tokenType"] {
        assert!(!answer[key].is_null(), "{key}");
    }
    assert_eq!(answer["tokenType"], "Bearer");
    answer["accessToken"].as_str().unwrap().to_owned()
}

/// `?workspaceId=…&environment=…&secretPath=…` of the simulated secret.
fn scope(sim: &SimHandle) -> String {
    let c = sim.credentials();
    format!(
        "workspaceId={}&environment={}&secretPath={}",
        c.infisical_project_id, c.infisical_environment, c.secret_path
    )
}

fn body(sim: &SimHandle, extra: &Value) -> Value {
    let c = sim.credentials();
    let mut b = json!({"workspaceId": c.infisical_project_id, "environment": c.infisical_environment, "secretPath": c.secret_path, "type": "shared"});
    b.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    b
}

async fn send(r: reqwest::RequestBuilder, token: &str) -> (u16, Value) {
    let (status, _, body) = parts(r.bearer_auth(token).send().await.unwrap()).await;
    (status, body)
}

#[tokio::test]
async fn login_refuses_bad_credentials_and_bad_tokens_get_token_error() {
    let sim = start(Scenario::InSync).await;
    let url = format!("{}/api/v1/auth/universal-auth/login", sim.infisical_url());
    let r = client()
        .post(url)
        .json(&json!({"clientId": "x", "clientSecret": "y"}));
    let (status, _, err) = parts(r.send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert_eq!(err["error"], "UnauthorizedError");
    assert_eq!(err["statusCode"], 401);
    assert!(err["reqId"].is_string() && err["message"].is_string());
    let token = login(&sim).await;
    let url = format!(
        "{}/api/v3/secrets/raw/HEROKU_API_KEY?{}",
        sim.infisical_url(),
        scope(&sim)
    );
    let (status, err) = send(client().get(&url), "garbage").await;
    assert_eq!((status, err["error"].as_str()), (403, Some("TokenError")));
    assert_eq!(send(client().get(&url), &token).await.0, 200);
    sim.state().expire_vault_access_tokens();
    assert_eq!(send(client().get(&url), &token).await.0, 403);
}

#[tokio::test]
async fn read_current_and_older_versions_with_extra_flags() {
    let sim = start(Scenario::InSync).await;
    let token = login(&sim).await;
    let base = format!(
        "{}/api/v3/secrets/raw/HEROKU_API_KEY?{}&type=shared&viewSecretValue=true&expandSecretReferences=true&include_imports=true",
        sim.infisical_url(),
        scope(&sim)
    );
    let (status, current) = send(client().get(&base), &token).await;
    assert_eq!(status, 200);
    let secret = &current["secret"];
    for key in [
        "id",
        "_id",
        "workspace",
        "environment",
        "version",
        "type",
        "secretKey",
        "secretValue",
        "secretComment",
        "createdAt",
        "updatedAt",
    ] {
        assert!(secret.get(key).is_some(), "{key}");
    }
    assert_eq!(secret["version"], 14);
    assert_eq!(
        secret["secretValue"].as_str(),
        sim.state().vault_value().as_deref()
    );
    let (status, older) = send(client().get(format!("{base}&version=13")), &token).await;
    assert_eq!(
        (status, older["secret"]["version"].as_u64()),
        (200, Some(13))
    );
    let id = secret["id"].as_str().unwrap();
    let url = format!(
        "{}/api/v1/secret/{id}/secret-versions?offset=0&limit=3",
        sim.infisical_url()
    );
    let (status, history) = send(client().get(url), &token).await;
    let versions: Vec<u64> = history["secretVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!((status, versions), (200, vec![14, 13, 12]));
    let missing = format!(
        "{}/api/v3/secrets/raw/NOPE?{}",
        sim.infisical_url(),
        scope(&sim)
    );
    let (status, err) = send(client().get(missing), &token).await;
    assert_eq!((status, err["error"].as_str()), (404, Some("NotFound")));
    assert_eq!(err["message"], "Secret with name 'NOPE' not found");
}

#[tokio::test]
async fn create_update_delete_and_list() {
    let sim = start(Scenario::InSync).await;
    let token = login(&sim).await;
    let url = format!("{}/api/v3/secrets/raw/NEW_KEY", sim.infisical_url());
    let (status, created) = send(
        client()
            .post(&url)
            .json(&body(&sim, &json!({"secretValue": "  one\n\n"}))),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            created["secret"]["version"].as_u64(),
            created["secret"]["secretValue"].as_str()
        ),
        (Some(1), Some("one\n"))
    );
    let (status, err) = send(
        client()
            .post(&url)
            .json(&body(&sim, &json!({"secretValue": "again"}))),
        &token,
    )
    .await;
    assert_eq!((status, err["error"].as_str()), (400, Some("BadRequest")));
    let (status, updated) = send(
        client()
            .patch(&url)
            .json(&body(&sim, &json!({"secretValue": " two "}))),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            updated["secret"]["version"].as_u64(),
            updated["secret"]["secretValue"].as_str()
        ),
        (Some(2), Some("two"))
    );
    let list_url = format!(
        "{}/api/v3/secrets/raw?{}&recursive=false",
        sim.infisical_url(),
        scope(&sim)
    );
    let (status, list) = send(client().get(&list_url), &token).await;
    assert_eq!(
        (status, list["secrets"].as_array().unwrap().len()),
        (200, 3)
    );
    assert!(list["imports"].is_array());
    let (status, _) = send(client().delete(&url).json(&body(&sim, &json!({}))), &token).await;
    assert_eq!(status, 200);
    let (status, _) = send(client().delete(&url).json(&body(&sim, &json!({}))), &token).await;
    assert_eq!(status, 404);
    let (_, list) = send(client().get(&list_url), &token).await;
    assert_eq!(list["secrets"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn writing_the_main_secret_updates_the_inspected_value() {
    let sim = start(Scenario::VaultStale).await;
    let token = login(&sim).await;
    let url = format!("{}/api/v3/secrets/raw/HEROKU_API_KEY", sim.infisical_url());
    let good = sim
        .state()
        .app_config_var("raxx-console-prod", "HEROKU_API_KEY")
        .unwrap();
    let (status, _) = send(
        client()
            .patch(&url)
            .json(&body(&sim, &json!({"secretValue": good}))),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sim.state().vault_value(), Some(good));
    assert_eq!(sim.state().vault_versions().len(), 15);
    let wrong = format!(
        "{}/api/v3/secrets/raw/HEROKU_API_KEY?workspaceId=other&environment=prod",
        sim.infisical_url()
    );
    assert_eq!(send(client().get(wrong), &token).await.0, 404);
}
