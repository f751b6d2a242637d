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
