#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Sealed-box interop: a box our client sends (via `Token::seal`) opens with `dryoc`, an
//! independent pure-Rust libsodium implementation.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::mock::{Mock, json};
use dryoc::classic::crypto_box::{crypto_box_keypair, crypto_box_seal_open};
use keyturn::secret::Token;
use keyturn::vendors::github::WriteOutcome;
use keyturn::vendors::{GithubClient, HttpOptions};

const VALUE: &str = "HRKU-sealed-value-for-interop-0123456789";

fn body_of(request: &str) -> serde_json::Value {
    let body = request.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn written_secret_opens_with_dryoc() {
    let (public, secret) = crypto_box_keypair();
    let key = format!(
        r#"{{"key_id":"3380204578043523366","key":"{}"}}"#,
        STANDARD.encode(public)
    );
    let mock = Mock::start(vec![json(200, &key), json(201, "{}")]).await;
    let repo = keyturn::config::RepoSlug::parse("raxx-app/TradeMasterAPI").unwrap();
    let client = GithubClient::new(
        &mock.url,
        repo,
        &Token::new("gh-token"),
        &HttpOptions::default(),
    )
    .unwrap();
    let outcome = client
        .write_secret("HEROKU_API_KEY", &Token::new(VALUE))
        .await
        .unwrap();
    assert_eq!(outcome, WriteOutcome::Created);
    let put = &mock.all()[1];
    assert!(put.starts_with("PUT /repos/raxx-app/TradeMasterAPI/actions/secrets/HEROKU_API_KEY "));
    assert!(!put.contains(VALUE), "the value travels sealed only");
    let body = body_of(put);
    assert_eq!(body["key_id"], "3380204578043523366");
    let sealed = STANDARD
        .decode(body["encrypted_value"].as_str().unwrap())
        .unwrap();
    assert_eq!(sealed.len(), VALUE.len() + 48);
    let mut opened = vec![0u8; sealed.len() - 48];
    crypto_box_seal_open(&mut opened, &sealed, &public, &secret).unwrap();
    assert_eq!(opened, VALUE.as_bytes());
}

#[tokio::test]
async fn an_updated_secret_answers_204() {
    let (public, _) = crypto_box_keypair();
    let key = format!(r#"{{"key_id":"1","key":"{}"}}"#, STANDARD.encode(public));
    let mock = Mock::start(vec![
        json(200, &key),
        common::mock::Reply::Http(204, vec![], String::new()),
    ])
    .await;
    let repo = keyturn::config::RepoSlug::parse("raxx-app/TradeMasterAPI").unwrap();
    let client = GithubClient::new(
        &mock.url,
        repo,
        &Token::new("gh-token"),
        &HttpOptions::default(),
    )
    .unwrap();
    let outcome = client
        .write_secret("HEROKU_API_KEY", &Token::new(VALUE))
        .await
        .unwrap();
    assert_eq!(outcome, WriteOutcome::Updated);
}

/// The other direction: a box sealed by `dryoc` against the simulator's repository key is
/// accepted and opened by the simulator, and our client's box opens with the simulator's
/// private key through `dryoc` as well.
#[tokio::test]
async fn simulator_and_dryoc_interoperate() {
    use keyturn::sim::{Scenario, Sim, SimOptions};
    let sim = Sim::start(Scenario::InSync, SimOptions::fast())
        .await
        .unwrap();
    let creds = sim.credentials().clone();
    let client = reqwest::Client::new();
    let base = format!(
        "{}/repos/{}/actions/secrets",
        sim.github_url(),
        creds.github_repo
    );
    let key: serde_json::Value = client
        .get(format!("{base}/public-key"))
        .bearer_auth(&creds.github_token)
        .header("user-agent", "interop-test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sealed = common::sim::dryoc_seal(key["key"].as_str().unwrap(), VALUE);
    let body = serde_json::json!({"encrypted_value": sealed, "key_id": key["key_id"]});
    let put = client
        .put(format!("{base}/DRYOC_SEALED"))
        .bearer_auth(&creds.github_token)
        .header("user-agent", "interop-test")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 201);
    assert_eq!(
        sim.state().github_secret_value("DRYOC_SEALED").unwrap(),
        VALUE
    );
    let secret: [u8; 32] = STANDARD
        .decode(&creds.github_private_key_b64)
        .unwrap()
        .try_into()
        .unwrap();
    let repo = keyturn::config::RepoSlug::parse(&creds.github_repo).unwrap();
    let ours = GithubClient::new(
        &sim.github_url(),
        repo,
        &Token::new(creds.github_token.as_str()),
        &HttpOptions::default(),
    )
    .unwrap();
    let our_key = ours.public_key().await.unwrap();
    let sealed = Token::new(VALUE)
        .seal(
            &keyturn::vendors::github::decode_public_key(
                &our_key.key,
                keyturn::vendors::Call {
                    method: "GET",
                    template: "t",
                },
            )
            .unwrap(),
        )
        .unwrap();
    let public: [u8; 32] = STANDARD.decode(&our_key.key).unwrap().try_into().unwrap();
    let mut opened = vec![0u8; sealed.len() - 48];
    crypto_box_seal_open(&mut opened, &sealed, &public, &secret).unwrap();
    assert_eq!(opened, VALUE.as_bytes());
}
