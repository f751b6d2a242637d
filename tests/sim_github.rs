#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulated GitHub REST API over real loopback HTTP, with sealed boxes made by an
//! independent implementation (dryoc) and a `PyNaCl` fixture.

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{client, header, parts, start};
use keyturn::sim::{INVALID_TOKEN_LINE, Scenario, Sim, SimHandle, SimOptions};
use serde_json::{Value, json};

fn repo_url(sim: &SimHandle) -> String {
    format!(
        "{}/repos/{}",
        sim.github_url(),
        sim.credentials().github_repo
    )
}

async fn get(sim: &SimHandle, url: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let token = &sim.credentials().github_token;
    let r = client()
        .get(url)
        .header("Authorization", format!("token {token}"));
    parts(r.send().await.unwrap()).await
}

/// Seals `value` to the repository key with dryoc, as a GitHub client would.
async fn seal_for_repo(sim: &SimHandle, value: &str) -> (String, String) {
    let (_, _, key) = get(
        sim,
        &format!("{}/actions/secrets/public-key", repo_url(sim)),
    )
    .await;
    (
        common::sim::dryoc_seal(key["key"].as_str().unwrap(), value),
        key["key_id"].as_str().unwrap().to_owned(),
    )
}

async fn put_secret(sim: &SimHandle, name: &str, body: &Value) -> u16 {
    let url = format!("{}/actions/secrets/{name}", repo_url(sim));
    let r = client()
        .put(url)
        .bearer_auth(&sim.credentials().github_token)
        .json(body);
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn user_repo_and_headers() {
    let sim = start(Scenario::InSync).await;
    let (status, headers, user) = get(&sim, &format!("{}/user", sim.github_url())).await;
    assert_eq!(status, 200);
    assert!(user["login"].is_string());
    assert_eq!(header(&headers, "x-ratelimit-limit"), "5000");
    assert_eq!(header(&headers, "x-ratelimit-resource"), "core");
    assert!(!header(&headers, "x-github-request-id").is_empty());
    let (status, _, repo) = get(&sim, &repo_url(&sim)).await;
    assert_eq!(
        (status, repo["full_name"].as_str()),
        (200, Some("raxx-app/TradeMasterAPI"))
    );
    assert_eq!(repo["url"], repo_url(&sim));
    let (status, _, _) = get(&sim, &format!("{}/repos/raxx-app/Other", sim.github_url())).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_token_and_missing_user_agent_are_refused() {
    let sim = start(Scenario::InSync).await;
    let r = client()
        .get(format!("{}/user", sim.github_url()))
        .bearer_auth("ghp_nope");
    let (status, _, body) = parts(r.send().await.unwrap()).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("Bad credentials"))
    );
    let bare = reqwest::Client::new().get(format!("{}/user", sim.github_url()));
    let r = bare
        .bearer_auth(&sim.credentials().github_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn dryoc_sealed_put_creates_then_updates_and_is_decrypted() {
    let sim = start(Scenario::InSync).await;
    let (sealed, key_id) = seal_for_repo(&sim, "HRKU-fresh-value").await;
    let body = json!({"encrypted_value": sealed, "key_id": key_id});
    assert_eq!(put_secret(&sim, "new_secret", &body).await, 201);
    assert_eq!(
        sim.state().github_secret_value("NEW_SECRET").as_deref(),
        Some("HRKU-fresh-value")
    );
    assert_eq!(put_secret(&sim, "HEROKU_API_KEY", &body).await, 204);
    assert_eq!(
        sim.state().github_secret_value("HEROKU_API_KEY").as_deref(),
        Some("HRKU-fresh-value")
    );
    let (status, _, one) = get(
        &sim,
        &format!("{}/actions/secrets/NEW_SECRET", repo_url(&sim)),
    )
    .await;
    assert_eq!((status, one["name"].as_str()), (200, Some("NEW_SECRET")));
    assert!(one["updated_at"].as_str().unwrap().ends_with('Z'));
    let (_, _, list) = get(&sim, &format!("{}/actions/secrets", repo_url(&sim))).await;
    assert_eq!(list["total_count"], 3);
    let url = format!("{}/actions/secrets/NEW_SECRET", repo_url(&sim));
    let r = client()
        .delete(&url)
        .bearer_auth(&sim.credentials().github_token);
    assert_eq!(r.send().await.unwrap().status(), 204);
    let (status, _, _) = get(&sim, &url).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn undecryptable_value_wrong_key_id_and_bad_names_get_422() {
    let sim = start(Scenario::InSync).await;
    let (sealed, key_id) = seal_for_repo(&sim, "value").await;
    let garbage = json!({"encrypted_value": STANDARD.encode([7u8; 60]), "key_id": key_id});
    assert_eq!(put_secret(&sim, "HEROKU_API_KEY", &garbage).await, 422);
    let wrong_key = json!({"encrypted_value": sealed, "key_id": "1"});
    assert_eq!(put_secret(&sim, "HEROKU_API_KEY", &wrong_key).await, 422);
    let good = json!({"encrypted_value": sealed, "key_id": key_id});
    for bad in ["GITHUB_TOKEN", "1ABC", "A-B"] {
        assert_eq!(put_secret(&sim, bad, &good).await, 422, "{bad}");
    }
    let url = format!("{}/actions/secrets/HEROKU_API_KEY", repo_url(&sim));
    let r = client()
        .put(url)
        .bearer_auth(&sim.credentials().github_token)
        .json(&garbage);
    let (_, _, body) = parts(r.send().await.unwrap()).await;
    assert_eq!(body["message"], "Validation Failed");
    assert!(body["errors"].is_array());
}

#[test]
fn opener_opens_a_pynacl_sealed_box() {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/pynacl_sealed.json")).unwrap();
    let text = |k: &str| fixture[k].as_str().unwrap().to_owned();
    let secret: [u8; 32] = STANDARD
        .decode(text("private_key_b64"))
        .unwrap()
        .try_into()
        .unwrap();
    let sealed = STANDARD.decode(text("sealed_b64")).unwrap();
    let opened = keyturn::sim::open_sealed(secret, &sealed).unwrap();
    assert_eq!(String::from_utf8(opened).unwrap(), text("plaintext"));
    let mut tampered = sealed.clone();
    tampered[50] ^= 1;
    assert!(keyturn::sim::open_sealed(secret, &tampered).is_none());
}

#[tokio::test]
async fn workflows_by_id_and_file_name() {
    let sim = start(Scenario::InSync).await;
    let (_, _, all) = get(&sim, &format!("{}/actions/workflows", repo_url(&sim))).await;
    assert_eq!(all["total_count"], 3, "the two deploys and keyturn's probe");
    let id = all["workflows"][0]["id"].as_u64().unwrap();
    let (s1, _, by_file) = get(
        &sim,
        &format!("{}/actions/workflows/deploy-console.yml", repo_url(&sim)),
    )
    .await;
    let (s2, _, by_id) = get(&sim, &format!("{}/actions/workflows/{id}", repo_url(&sim))).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(by_file, by_id);
    assert_eq!(by_file["path"], ".github/workflows/deploy-console.yml");
    assert!(
        by_file["url"]
            .as_str()
            .unwrap()
            .starts_with(&sim.github_url())
    );
    let (status, _, _) = get(
        &sim,
        &format!("{}/actions/workflows/nope.yml", repo_url(&sim)),
    )
    .await;
    assert_eq!(status, 404);
}

async fn dispatch(sim: &SimHandle, workflow: &str) -> u64 {
    let url = format!("{}/actions/workflows/{workflow}/dispatches", repo_url(sim));
    let body = json!({"ref": "main", "inputs": {"environment": "production", "ref": "main"}, "return_run_details": true});
    let r = client()
        .post(url)
        .bearer_auth(&sim.credentials().github_token)
        .json(&body);
    let (status, _, details) = parts(r.send().await.unwrap()).await;
    assert_eq!(status, 200);
    details["workflow_run_id"].as_u64().unwrap()
}

async fn wait_completed(sim: &SimHandle, run_id: u64) -> Value {
    for _ in 0..50 {
        let (_, _, run) = get(sim, &format!("{}/actions/runs/{run_id}", repo_url(sim))).await;
        if run["status"] == "completed" {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("run {run_id} did not complete");
}

#[tokio::test]
async fn stale_deploy_fails_with_the_invalid_token_log_then_succeeds_after_the_fix() {
    let options = SimOptions {
        workflow_step: Duration::from_millis(150),
        ..SimOptions::fast()
    };
    let sim = Sim::start(Scenario::GithubStale, options).await.unwrap();
    let (_, _, runs) = get(
        &sim,
        &format!(
            "{}/actions/workflows/deploy-console.yml/runs?per_page=1",
            repo_url(&sim)
        ),
    )
    .await;
    assert_eq!(runs["workflow_runs"][0]["conclusion"], "failure");
    let run_id = dispatch(&sim, "deploy-console.yml").await;
    let (_, _, queued) = get(&sim, &format!("{}/actions/runs/{run_id}", repo_url(&sim))).await;
    assert_eq!(queued["status"], "queued");
    let run = wait_completed(&sim, run_id).await;
    assert_eq!(run["conclusion"], "failure");
    let (_, _, jobs) = get(&sim, run["jobs_url"].as_str().unwrap()).await;
    let job_id = jobs["jobs"][0]["id"].as_u64().unwrap();
    let r = client()
        .get(format!("{}/actions/jobs/{job_id}/logs", repo_url(&sim)))
        .bearer_auth(&sim.credentials().github_token);
    assert!(
        r.send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains(INVALID_TOKEN_LINE)
    );
    let good = sim.state().vault_value().unwrap();
    let (sealed, key_id) = seal_for_repo(&sim, &good).await;
    assert_eq!(
        put_secret(
            &sim,
            "HEROKU_API_KEY",
            &json!({"encrypted_value": sealed, "key_id": key_id})
        )
        .await,
        204
    );
    let run = wait_completed(&sim, dispatch(&sim, "deploy-console.yml").await).await;
    assert_eq!(run["conclusion"], "success");
}

#[tokio::test]
async fn runs_filter_and_paginate_with_link_headers() {
    let sim = start(Scenario::InSync).await;
    for _ in 0..3 {
        dispatch(&sim, "deploy-console.yml").await;
    }
    let url = format!(
        "{}/actions/runs?per_page=2&event=workflow_dispatch",
        repo_url(&sim)
    );
    let (status, headers, page1) = get(&sim, &url).await;
    assert_eq!((status, page1["total_count"].as_u64()), (200, Some(5)));
    assert_eq!(page1["workflow_runs"].as_array().unwrap().len(), 2);
    let link = header(&headers, "link");
    assert!(
        link.contains("rel=\"next\"") && link.contains("page=3"),
        "{link}"
    );
    assert!(
        link.starts_with(&format!("<{}", sim.github_url())),
        "{link}"
    );
    let (_, _, none) = get(
        &sim,
        &format!("{}/actions/runs?branch=nope", repo_url(&sim)),
    )
    .await;
    assert_eq!(none["total_count"], 0);
    let r = client()
        .post(format!(
            "{}/actions/workflows/deploy-staging.yml/dispatches",
            repo_url(&sim)
        ))
        .bearer_auth(&sim.credentials().github_token)
        .json(&json!({"ref": "main", "inputs": {"sanity": "true"}}));
    assert_eq!(r.send().await.unwrap().status(), 204);
    let r = client()
        .post(format!(
            "{}/actions/workflows/deploy-staging.yml/dispatches",
            repo_url(&sim)
        ))
        .bearer_auth(&sim.credentials().github_token)
        .json(&json!({"ref": "main", "inputs": {"bogus": "1"}}));
    assert_eq!(r.send().await.unwrap().status(), 422);
}

#[tokio::test]
async fn exhausted_primary_rate_limit_answers_403_with_zero_remaining() {
    let sim = start(Scenario::InSync).await;
    sim.state().set_github_rate_remaining(0);
    let (status, headers, body) = get(&sim, &format!("{}/user", sim.github_url())).await;
    assert_eq!(status, 403);
    assert_eq!(header(&headers, "x-ratelimit-remaining"), "0");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("API rate limit exceeded")
    );
}

#[tokio::test]
async fn github_stale_secret_is_91_days_old_and_older_than_the_vault() {
    let sim = start(Scenario::GithubStale).await;
    let state = sim.state();
    let updated = state.github_secret_updated_at("HEROKU_API_KEY").unwrap();
    let age = chrono::Utc::now() - updated;
    assert!((90..=92).contains(&age.num_days()), "{age}");
    assert!(updated < state.vault_versions().last().unwrap().created_at);
    let last = state
        .workflow_runs()
        .into_iter()
        .find(|r| r.name == "Deploy Console")
        .unwrap();
    assert_eq!(last.conclusion.as_deref(), Some("failure"));
    assert!(last.log.contains(INVALID_TOKEN_LINE));
}

#[test]
fn dryoc_opens_a_box_sealed_by_crypto_box() {
    let (public, secret) = dryoc::classic::crypto_box::crypto_box_keypair();
    let message = b"HRKU-sealed-by-crypto-box";
    let sealed = crypto_box::PublicKey::from_bytes(public)
        .seal(&mut rand::rngs::OsRng, message)
        .unwrap();
    assert_eq!(sealed.len(), message.len() + 48);
    let mut opened = vec![0u8; message.len()];
    dryoc::classic::crypto_box::crypto_box_seal_open(&mut opened, &sealed, &public, &secret)
        .unwrap();
    assert_eq!(opened, message);
}

#[tokio::test]
async fn environment_and_organization_secrets_share_the_shapes() {
    let sim = start(Scenario::InSync).await;
    let (sealed, key_id) = seal_for_repo(&sim, "env-value").await;
    let body = json!({"encrypted_value": sealed, "key_id": key_id});
    let token = sim.credentials().github_token.clone();
    let env_base = format!("{}/environments/production/secrets", repo_url(&sim));
    let org_base = format!("{}/orgs/raxx-app/actions/secrets", sim.github_url());
    for base in [&env_base, &org_base] {
        let (status, _, key) = get(&sim, &format!("{base}/public-key")).await;
        assert_eq!(
            (status, key["key_id"].as_str()),
            (200, Some(key_id.as_str()))
        );
        let r = client()
            .put(format!("{base}/DEPLOY_KEY"))
            .bearer_auth(&token)
            .json(&body);
        assert_eq!(r.send().await.unwrap().status(), 201, "{base}");
        let (status, _, list) = get(&sim, base).await;
        assert_eq!((status, list["total_count"].as_u64()), (200, Some(1)));
        let r = client()
            .delete(format!("{base}/DEPLOY_KEY"))
            .bearer_auth(&token);
        assert_eq!(r.send().await.unwrap().status(), 204);
    }
    let (_, _, org_list) = get(&sim, &org_base).await;
    assert_eq!(org_list["total_count"], 0);
    let (status, _, _) = get(
        &sim,
        &format!("{}/orgs/someone-else/actions/secrets", sim.github_url()),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(sim.state().github_secret_value("DEPLOY_KEY"), None);
}
