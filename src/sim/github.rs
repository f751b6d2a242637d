//! Simulated GitHub REST API: user, repository, and Actions secrets with real sealed-box
//! decryption (a value that does not open with the repository key is refused, exactly as
//! GitHub does). Workflows and runs live in `github_actions`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use chrono::Utc;
use serde_json::{Value, json};

use super::github_actions;
use super::heroku::timestamp;
use super::http::{Ctx, auth_value, json as answer, json_body};
use super::state::{GithubSecret, SimState};

const DOCS: &str = "https://docs.github.com/rest";
/// GitHub's limit on a secret's size.
const SECRET_LIMIT_BYTES: usize = 48 * 1024;

pub(crate) fn routes() -> Router<Ctx> {
    Router::new()
        .route("/user", get(user))
        .route("/repos/{owner}/{repo}", get(repository))
        .route(
            "/repos/{owner}/{repo}/actions/secrets/public-key",
            get(public_key),
        )
        .route("/repos/{owner}/{repo}/actions/secrets", get(list_secrets))
        .route(
            "/repos/{owner}/{repo}/actions/secrets/{name}",
            get(get_secret).put(put_secret).delete(delete_secret),
        )
        .merge(github_actions::routes())
}

/// GitHub's error body `{message, documentation_url, status}`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({ "message": message, "documentation_url": DOCS, "status": status.as_u16().to_string() });
    answer(status, &body)
}

/// 422 "Validation Failed" with one entry in `errors`.
pub(crate) fn validation_failed(field: &str, detail: &str) -> Response {
    let body = json!({
        "message": "Validation Failed", "documentation_url": DOCS, "status": "422",
        "errors": [{ "resource": "Secret", "field": field, "code": "invalid", "message": detail }],
    });
    answer(StatusCode::UNPROCESSABLE_ENTITY, &body)
}

pub(crate) fn error_for_status(status: StatusCode, message: Option<&str>) -> Response {
    let default = match status.as_u16() {
        401 => "Bad credentials",
        403 => "Resource not accessible by integration",
        404 => "Not Found",
        422 => "Validation Failed",
        429 => {
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        }
        _ => "Server Error",
    };
    error(status, message.unwrap_or(default))
}

/// GitHub's front door: no `User-Agent` → 403; primary rate limit exhausted → 403.
pub(crate) fn precheck(state: &SimState, headers: &HeaderMap) -> Option<Response> {
    if !headers.contains_key(header::USER_AGENT) {
        return Some(error(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).",
        ));
    }
    let mut w = state.lock();
    if w.github.rate_remaining == 0 {
        return Some(error(
            StatusCode::FORBIDDEN,
            "API rate limit exceeded for user ID 1. (But here's the good news: Authenticated requests get a higher rate limit.)",
        ));
    }
    w.github.rate_remaining -= 1;
    None
}

/// `x-ratelimit-*` and `x-github-request-id` on every answer.
pub(crate) fn stamp_headers(state: &SimState, headers: &mut HeaderMap) {
    let remaining = state.lock().github.rate_remaining;
    let reset = Utc::now().timestamp() + 3600;
    headers.insert("x-ratelimit-limit", HeaderValue::from(5000u32));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
    headers.insert(
        "x-ratelimit-used",
        HeaderValue::from(5000u32.saturating_sub(remaining)),
    );
    headers.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
    let id = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert("x-github-request-id", value);
    }
    headers.insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
}

/// The base URL the client used (`http://HOST`), for every `url`/`html_url`/`Link`.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Checks `Authorization: Bearer|token T`; 401 "Bad credentials" otherwise.
pub(crate) fn authenticate(ctx: &Ctx, headers: &HeaderMap) -> Result<(), Response> {
    let token = auth_value(headers, &["Bearer", "token"]).unwrap_or_default();
    if ctx.state.lock().github.token == token && !token.is_empty() {
        Ok(())
    } else {
        Err(error_for_status(StatusCode::UNAUTHORIZED, None))
    }
}

/// Auth, then the repository must be the simulated one (case-insensitive) or 404.
pub(crate) fn authorize_repo(
    ctx: &Ctx,
    headers: &HeaderMap,
    owner: &str,
    repo: &str,
) -> Result<(), Response> {
    authenticate(ctx, headers)?;
    let w = ctx.state.lock();
    if w.github.owner.eq_ignore_ascii_case(owner) && w.github.repo.eq_ignore_ascii_case(repo) {
        Ok(())
    } else {
        Err(error_for_status(StatusCode::NOT_FOUND, None))
    }
}

async fn user(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if let Err(refusal) = authenticate(&ctx, &headers) {
        return refusal;
    }
    let w = ctx.state.lock();
    let (login, id, base) = (&w.github.login, w.github.user_id, base_url(&headers));
    answer(
        StatusCode::OK,
        &json!({
            "login": login, "id": id, "type": "User", "site_admin": false, "name": "Kris",
            "email": "kris@moosequest.net", "url": format!("{base}/users/{login}"),
            "html_url": format!("{base}/{login}"),
        }),
    )
}

async fn repository(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &owner, &repo) {
        return refusal;
    }
    let w = ctx.state.lock();
    let g = &w.github;
    let (base, full) = (base_url(&headers), format!("{}/{}", g.owner, g.repo));
    answer(
        StatusCode::OK,
        &json!({
            "id": g.repo_id, "name": g.repo, "full_name": full, "private": true, "default_branch": "main",
            "owner": { "login": g.owner, "id": g.user_id + 1, "type": "Organization" },
            "url": format!("{base}/repos/{full}"), "html_url": format!("{base}/{full}"),
            "permissions": { "admin": true, "push": true, "pull": true },
        }),
    )
}

async fn public_key(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &owner, &repo) {
        return refusal;
    }
    let w = ctx.state.lock();
    let public = crypto_box::SecretKey::from_bytes(w.github.secret_key).public_key();
    let key = base64::engine::general_purpose::STANDARD.encode(public.as_bytes());
    answer(
        StatusCode::OK,
        &json!({ "key_id": w.github.key_id, "key": key }),
    )
}

fn render_secret(name: &str, s: &GithubSecret) -> Value {
    json!({ "name": name, "created_at": timestamp(s.created_at), "updated_at": timestamp(s.updated_at) })
}

async fn list_secrets(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &owner, &repo) {
        return refusal;
    }
    let w = ctx.state.lock();
    let secrets: Vec<Value> = w
        .github
        .secrets
        .iter()
        .map(|(n, s)| render_secret(n, s))
        .collect();
    answer(
        StatusCode::OK,
        &json!({ "total_count": secrets.len(), "secrets": secrets }),
    )
}

async fn get_secret(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &owner, &repo) {
        return refusal;
    }
    let w = ctx.state.lock();
    let name = name.to_ascii_uppercase();
    match w.github.secrets.get(&name) {
        Some(s) => answer(StatusCode::OK, &render_secret(&name, s)),
        None => error_for_status(StatusCode::NOT_FOUND, None),
    }
}

/// GitHub's secret-name rule; the error detail when broken.
fn check_name(name: &str) -> Result<(), &'static str> {
    let chars_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !chars_ok {
        return Err(
            "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_).",
        );
    }
    if name.starts_with(|c: char| c.is_ascii_digit())
        || name.to_ascii_uppercase().starts_with("GITHUB_")
    {
        return Err("Secret names must not start with a number or the GITHUB_ prefix.");
    }
    Ok(())
}

/// Opens `encrypted_value` with the repository key after checking `key_id`.
fn open_value(body: &Value, key_id: &str, secret_key: [u8; 32]) -> Result<String, Response> {
    let field = |f: &str| {
        body.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if field("key_id") != key_id {
        return Err(validation_failed(
            "key_id",
            "key_id does not match the repository's current public key.",
        ));
    }
    let undecryptable = || {
        validation_failed(
            "encrypted_value",
            "encrypted_value could not be decrypted with the repository's public key.",
        )
    };
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(field("encrypted_value"))
        .map_err(|_| undecryptable())?;
    if sealed.len() > SECRET_LIMIT_BYTES + 48 {
        return Err(validation_failed(
            "encrypted_value",
            "Secret values are limited to 48 KB.",
        ));
    }
    let plain = crypto_box::SecretKey::from_bytes(secret_key)
        .unseal(&sealed)
        .map_err(|_| undecryptable())?;
    String::from_utf8(plain).map_err(|_| undecryptable())
}

async fn put_secret(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((owner, repo, name)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &owner, &repo) {
        return refusal;
    }
    if let Err(detail) = check_name(&name) {
        return validation_failed("name", detail);
    }
    let body = json_body(&body).unwrap_or(Value::Null);
    let mut w = ctx.state.lock();
    let value = match open_value(&body, &w.github.key_id, w.github.secret_key) {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    let now = Utc::now();
    if let Some(existing) = w.github.secrets.get_mut(&name.to_ascii_uppercase()) {
        existing.value = value;
        existing.updated_at = now;
        return StatusCode::NO_CONTENT.into_response();
    }
    let secret = GithubSecret {
        value,
        created_at: now,
        updated_at: now,
    };
    w.github.secrets.insert(name.to_ascii_uppercase(), secret);
    answer(StatusCode::CREATED, &json!({}))
}

async fn delete_secret(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &owner, &repo) {
        return refusal;
    }
    match ctx
        .state
        .lock()
        .github
        .secrets
        .remove(&name.to_ascii_uppercase())
    {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error_for_status(StatusCode::NOT_FOUND, None),
    }
}
