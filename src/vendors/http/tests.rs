use super::*;

#[test]
fn posts_are_not_idempotent() {
    assert!(!Request::new(Method::POST, "/x", "/x".into()).idempotent);
    assert!(Request::new(Method::PATCH, "/x", "/x".into()).idempotent);
    assert!(Request::new(Method::DELETE, "/x", "/x".into()).idempotent);
}

#[test]
fn budget_reads_both_header_styles() {
    let http = Http::new(
        Vendor::Github,
        "http://127.0.0.1:1",
        &HttpOptions::default(),
        HeaderMap::new(),
    )
    .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("4990"));
    headers.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
    headers.insert("x-ratelimit-reset", HeaderValue::from_static("1700000000"));
    http.record_budget(&headers);
    assert_eq!(http.budget().remaining, Some(4990));
    assert_eq!(http.budget().reset_epoch, Some(1_700_000_000));
    let mut heroku = HeaderMap::new();
    heroku.insert("ratelimit-remaining", HeaderValue::from_static("4321"));
    http.record_budget(&heroku);
    assert_eq!(http.budget().limit, Some(4500));
}

#[test]
fn backoff_grows_and_is_jittered() {
    let http = Http::new(
        Vendor::Heroku,
        "http://127.0.0.1:1",
        &HttpOptions::default(),
        HeaderMap::new(),
    )
    .unwrap();
    let third = http.backoff(2);
    assert!(third >= Duration::from_millis(500) && third <= Duration::from_millis(1500));
}
