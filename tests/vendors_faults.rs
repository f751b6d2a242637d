#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Each fault kind against a scripted loopback server: the right typed error or retry, and
//! no error (Display or Debug) ever contains the token the request carried.

mod common;

use std::time::Duration;

use common::mock::{Mock, Reply, json};
use keyturn::secret::Token;
use keyturn::vendors::heroku::NewAuthorization;
use keyturn::vendors::{
    GithubClient, HerokuClient, HttpOptions, InfisicalClient, SecretScope, Validation, VaultAuth,
    VendorError,
};

const CANARY: &str = "HRKU-CANARY-0c4f2d9e-must-never-appear";

fn options() -> HttpOptions {
    HttpOptions {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(400),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(5),
    }
}

async fn heroku(script: Vec<Reply>) -> (Mock, HerokuClient) {
    let mock = Mock::start(script).await;
    let client = HerokuClient::new(&mock.url, &Token::new(CANARY), &options()).unwrap();
    (mock, client)
}

fn assert_clean(err: &VendorError) {
    let shown = format!("{err} {err:?} {err:#?}");
    assert!(!shown.contains(CANARY), "canary leaked: {shown}");
    assert!(!shown.contains("CANARY"), "canary leaked: {shown}");
}

const UNAUTHORIZED: &str = r#"{"id":"unauthorized","message":"Invalid credentials provided."}"#;

#[tokio::test]
async fn unauthorized_is_typed_with_id_and_hint() {
    let (mock, client) = heroku(vec![json(401, UNAUTHORIZED)]).await;
    let err = client.account().await.unwrap_err();
    assert_clean(&err);
    assert!(err.is_unauthorized());
    assert_eq!(err.vendor_id(), Some("unauthorized"));
    assert!(err.to_string().contains("GET /account"));
    assert_eq!(mock.count(), 1, "401 is not retried");
    assert!(mock.all()[0].contains(&format!("Bearer {CANARY}")));
    assert!(mock.all()[0].contains("application/vnd.heroku+json; version=3"));
}

#[tokio::test]
async fn validate_maps_200_401_and_other() {
    let (_m, client) = heroku(vec![json(200, r#"{"id":"u1","email":"ops@raxx.app"}"#)]).await;
    let ok = client.validate(&Token::new(CANARY)).await;
    assert!(matches!(ok, Validation::Valid { ref email } if email == "ops@raxx.app"));
    let (_m, client) = heroku(vec![json(401, UNAUTHORIZED)]).await;
    assert!(matches!(
        client.validate(&Token::new(CANARY)).await,
        Validation::Invalid
    ));
    let (_m, client) = heroku(vec![json(403, r#"{"id":"forbidden","message":"no"}"#)]).await;
    let Validation::Unknown(err) = client.validate(&Token::new(CANARY)).await else {
        panic!("403 must be unknown")
    };
    assert_clean(&err);
}

#[tokio::test]
async fn forbidden_and_not_found_are_typed() {
    let (_m, client) = heroku(vec![json(403, r#"{"id":"forbidden","message":"nope"}"#)]).await;
    let err = client.config_vars("raxx-api-prod").await.unwrap_err();
    assert_clean(&err);
    assert_eq!(err.status(), Some(403));
    assert!(err.to_string().contains("GET /apps/{app}/config-vars"));
    let (_m, client) = heroku(vec![json(
        404,
        r#"{"id":"not_found","message":"Couldn't find that app."}"#,
    )])
    .await;
    let err = client.config_vars("nope-app").await.unwrap_err();
    assert_clean(&err);
    assert!(err.is_not_found());
}

#[tokio::test]
async fn rate_limit_with_retry_after_is_waited_out() {
    let limited = Reply::Http(
        429,
        vec![("retry-after", "1".into())],
        r#"{"id":"rate_limit","message":"Your account reached the API rate limit."}"#.into(),
    );
    let ok = Reply::Http(
        200,
        vec![("ratelimit-remaining", "4321".into())],
        r#"{"id":"u1","email":"ops@raxx.app"}"#.into(),
    );
    let (mock, client) = heroku(vec![limited, ok]).await;
    let started = std::time::Instant::now();
    let account = client.account().await.unwrap();
    assert_eq!(account.email, "ops@raxx.app");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );
    assert_eq!(mock.count(), 2);
    assert_eq!(client.rate_budget().remaining, Some(4321));
}

/// A 429 that names its `Retry-After` means Heroku did not act on the request: even a
/// mint (never retried blindly) is sent again after the wait the vendor asks for.
#[tokio::test]
async fn rate_limit_with_retry_after_on_a_post_is_retried_after_the_wait() {
    let limited = Reply::Http(
        429,
        vec![("retry-after", "1".into())],
        r#"{"id":"rate_limit","message":"slow down"}"#.into(),
    );
    let created = json(
        201,
        r#"{"id":"a-1","description":"raxx-platform-token-2026-11-24","scope":["global"],"created_at":"2026-11-24T10:00:00Z","access_token":{"id":"t-1","token":"HRKU-0000aaaa-new","expires_in":null}}"#,
    );
    let (mock, client) = heroku(vec![limited, created]).await;
    let new = NewAuthorization {
        scope: vec!["global".into()],
        description: "raxx-platform-token-2026-11-24".into(),
        expires_in: None,
    };
    let started = std::time::Instant::now();
    let made = client.create_authorization(&new).await.unwrap();
    assert_eq!(made.id, "a-1");
    assert_eq!(mock.count(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited Retry-After"
    );
}

/// Without a `Retry-After` a refused mint is not sent again, and the message reads well.
#[tokio::test]
async fn rate_limit_without_retry_after_on_a_post_is_not_retried() {
    let limited = json(429, r#"{"id":"rate_limit","message":"slow down"}"#);
    let (mock, client) = heroku(vec![limited]).await;
    let new = NewAuthorization {
        scope: vec!["global".into()],
        description: "raxx-platform-token-2026-11-24".into(),
        expires_in: None,
    };
    let err = client.create_authorization(&new).await.unwrap_err();
    assert_clean(&err);
    assert!(matches!(err, VendorError::RateLimited { .. }), "{err:?}");
    assert!(!err.to_string().contains("Some("), "{err}");
    assert_eq!(mock.count(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let (mock, client) = heroku(vec![json(500, r#"{"id":"internal","message":"boom"}"#)]).await;
    let err = client.dynos("raxx-api-prod").await.unwrap_err();
    assert_clean(&err);
    assert_eq!(err.status(), Some(500));
    assert_eq!(mock.count(), 3, "one attempt + two retries");
}

#[tokio::test]
async fn a_hang_is_a_timeout() {
    let (_m, client) = heroku(vec![Reply::Hang]).await;
    let err = client.account().await.unwrap_err();
    assert_clean(&err);
    assert!(matches!(err, VendorError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn a_dropped_connection_is_retried_then_typed() {
    let (mock, client) = heroku(vec![Reply::Drop]).await;
    let err = client.releases("raxx-api-prod", 1).await.unwrap_err();
    assert_clean(&err);
    assert!(matches!(err, VendorError::Connection { .. }), "{err:?}");
    assert_eq!(mock.count(), 3);
    let (mock, client) = heroku(vec![Reply::Drop, json(200, "[]")]).await;
    assert!(
        client
            .releases("raxx-api-prod", 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(mock.count(), 2);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_without_values() {
    let body = format!(r#"{{"HEROKU_API_KEY": "{CANARY}", "BROKEN": 42"#);
    let (_m, client) = heroku(vec![json(200, &body)]).await;
    let err = client.config_vars("raxx-api-prod").await.unwrap_err();
    assert_clean(&err);
    assert!(matches!(err, VendorError::Decode { .. }), "{err:?}");
    let typed = format!(r#"{{"HEROKU_API_KEY": 7, "X": "{CANARY}"}}"#);
    let (_m, client) = heroku(vec![json(200, &typed)]).await;
    assert_clean(&client.config_vars("raxx-api-prod").await.unwrap_err());
}

#[tokio::test]
async fn ambiguous_create_adopts_the_orphan() {
    let list = r#"[{"id":"a-1","description":"raxx-platform-token-2026-11-24","scope":["global"],"access_token":null}]"#;
    let (mock, client) = heroku(vec![Reply::Hang, json(200, list)]).await;
    let new = NewAuthorization {
        scope: vec!["global".into()],
        description: "raxx-platform-token-2026-11-24".into(),
        expires_in: None,
    };
    let err = client.create_authorization(&new).await.unwrap_err();
    assert_clean(&err);
    assert!(
        matches!(err, VendorError::OrphanAuthorization { ref id, .. } if id == "a-1"),
        "{err:?}"
    );
    assert!(err.to_string().contains("revoke"));
    assert_eq!(mock.count(), 2, "one POST, one list, no second POST");
    let (_m, client) = heroku(vec![
        json(500, r#"{"id":"x","message":"y"}"#),
        json(200, "[]"),
    ])
    .await;
    let err = client.create_authorization(&new).await.unwrap_err();
    assert_eq!(err.status(), Some(500), "not created: the original error");
}

#[tokio::test]
async fn created_authorization_captures_id_and_token() {
    let body = format!(
        r#"{{"id":"a-2","description":"d","scope":["global"],"access_token":{{"id":"t","token":"{CANARY}","expires_in":null}}}}"#
    );
    let (mock, client) = heroku(vec![json(201, &body)]).await;
    let new = NewAuthorization {
        scope: vec!["global".into()],
        description: "d".into(),
        expires_in: None,
    };
    let created = client.create_authorization(&new).await.unwrap();
    assert_eq!(created.id, "a-2");
    assert_eq!(created.token, Token::new(CANARY));
    assert!(!format!("{created:?}").contains(CANARY));
    assert!(mock.all()[0].contains(r#""scope":["global"]"#));
}

#[tokio::test]
async fn github_errors_are_clean_and_headers_sent() {
    let mock = Mock::start(vec![json(
        401,
        r#"{"message":"Bad credentials","status":"401"}"#,
    )])
    .await;
    let repo = keyturn::config::RepoSlug::parse("raxx-app/TradeMasterAPI").unwrap();
    let client = GithubClient::new(&mock.url, repo, &Token::new(CANARY), &options()).unwrap();
    let err = client.secret("HEROKU_API_KEY").await.unwrap_err();
    assert_clean(&err);
    assert!(err.is_unauthorized());
    let sent = mock.all()[0].to_ascii_lowercase();
    assert!(sent.contains("user-agent: keyturn/"));
    assert!(sent.contains("x-github-api-version: 2022-11-28"));
    assert!(sent.contains("accept: application/vnd.github+json"));
    let exhausted = Reply::Http(
        403,
        vec![
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-limit", "5000".into()),
        ],
        r#"{"message":"API rate limit exceeded"}"#.into(),
    );
    let mock = Mock::start(vec![exhausted]).await;
    let repo = keyturn::config::RepoSlug::parse("raxx-app/TradeMasterAPI").unwrap();
    let client = GithubClient::new(&mock.url, repo, &Token::new(CANARY), &options()).unwrap();
    let err = client.latest_run("deploy-console.yml").await.unwrap_err();
    assert_clean(&err);
    assert!(matches!(err, VendorError::RateLimited { .. }), "{err:?}");
    assert_eq!(client.rate_budget().limit, Some(5000));
}

#[tokio::test]
async fn infisical_token_error_triggers_one_relogin() {
    let login =
        r#"{"accessToken":"at-1","expiresIn":7200,"accessTokenMaxTTL":7200,"tokenType":"Bearer"}"#;
    let expired = r#"{"reqId":"r","statusCode":403,"message":"Your token has expired. Please re-authenticate.","error":"TokenError"}"#;
    let secret = format!(
        r#"{{"secret":{{"id":"s1","_id":"s1","workspace":"w","environment":"prod","version":3,"type":"shared","secretKey":"HEROKU_API_KEY","secretValue":"{CANARY}","secretComment":"","createdAt":"2026-11-01T00:00:00Z","updatedAt":"2026-11-20T00:00:00Z"}}}}"#
    );
    let mock = Mock::start(vec![
        json(200, login),
        json(403, expired),
        json(200, login),
        json(200, &secret),
    ])
    .await;
    let client = InfisicalClient::new(
        &mock.url,
        VaultAuth::UniversalAuth {
            client_id: "cid".into(),
            client_secret: Token::new(CANARY),
        },
        scope(),
        &options(),
    )
    .unwrap();
    let read = client.read_secret("HEROKU_API_KEY").await.unwrap();
    assert_eq!(read.version, 3);
    assert_eq!(read.secret_value, Token::new(CANARY));
    assert_eq!(mock.count(), 4);
    let mock = Mock::start(vec![json(403, expired)]).await;
    let client = InfisicalClient::new(
        &mock.url,
        VaultAuth::AccessToken(Token::new(CANARY)),
        scope(),
        &options(),
    )
    .unwrap();
    let err = client.read_secret("HEROKU_API_KEY").await.unwrap_err();
    assert_clean(&err);
    assert_eq!(err.vendor_id(), Some("TokenError"));
    let mock = Mock::start(vec![json(
        401,
        r#"{"statusCode":401,"message":"Invalid credentials","error":"UnauthorizedError"}"#,
    )])
    .await;
    let client = InfisicalClient::new(
        &mock.url,
        VaultAuth::UniversalAuth {
            client_id: "cid".into(),
            client_secret: Token::new(CANARY),
        },
        scope(),
        &options(),
    )
    .unwrap();
    let err = client.login().await.unwrap_err();
    assert_clean(&err);
    assert!(err.is_unauthorized());
}

fn scope() -> SecretScope {
    SecretScope {
        project_id: "p".into(),
        environment: "prod".into(),
        secret_path: "/MooseQuest/heroku".into(),
    }
}

#[tokio::test]
async fn the_remaining_variants_are_clean_too() {
    let (_m, client) = heroku(vec![
        Reply::Hang,
        json(500, r#"{"id":"x","message":"down"}"#),
    ])
    .await;
    let new = NewAuthorization {
        scope: vec!["global".into()],
        description: "d".into(),
        expires_in: None,
    };
    let err = client.create_authorization(&new).await.unwrap_err();
    assert!(
        matches!(err, VendorError::CreateUncertain { .. }),
        "{err:?}"
    );
    assert_clean(&err);
    let repo = || keyturn::config::RepoSlug::parse("raxx-app/TradeMasterAPI").unwrap();
    let mock = Mock::start(vec![json(200, r#"{"key_id":"1","key":"not base64!"}"#)]).await;
    let gh = GithubClient::new(&mock.url, repo(), &Token::new(CANARY), &options()).unwrap();
    let err = gh
        .write_secret("HEROKU_API_KEY", &Token::new(CANARY))
        .await
        .unwrap_err();
    assert!(matches!(err, VendorError::Seal { .. }), "{err:?}");
    assert_clean(&err);
    let running = r#"{"id":9,"status":"in_progress","conclusion":null}"#;
    let mock = Mock::start(vec![json(200, running)]).await;
    let gh = GithubClient::new(&mock.url, repo(), &Token::new(CANARY), &options()).unwrap();
    let follow = keyturn::vendors::github::FollowOptions {
        interval: Duration::from_millis(5),
        timeout: Duration::from_millis(30),
        stop: None,
    };
    let err = gh.follow_run(9, follow).await.unwrap_err();
    assert!(
        matches!(err, VendorError::FollowTimeout { run_id: 9, .. }),
        "{err:?}"
    );
    assert_clean(&err);
    let broken = Token::new(format!("{CANARY}\ninjected"));
    let Err(err) = HerokuClient::new("http://127.0.0.1:9", &broken, &options()) else {
        panic!("a newline cannot be a header")
    };
    assert!(
        matches!(err, VendorError::MissingCredential { .. }),
        "{err:?}"
    );
    assert_clean(&err);
}
