//! Simulated GitHub REST API: user, repository and the shared plumbing (auth, errors,
//! rate-limit headers, Host-based URLs). Secrets live in `github_secrets`, workflows and
//! runs in `github_actions` and `github_runs`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use serde_json::json;

use super::http::{Ctx, auth_value, json as answer};
use super::state::SimState;
use super::{github_actions, github_secrets, github_shapes, github_web};

const DOCS: &str = "https://docs.github.com/rest";

pub(crate) fn routes() -> Router<Ctx> {
    Router::new()
        .route("/user", get(user))
        .route("/rate_limit", get(rate_limit))
        .route("/repos/{owner}/{repo}", get(repository))
        .merge(github_secrets::routes())
        .merge(github_actions::routes())
        .merge(github_web::routes())
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
/// `GET /rate_limit` neither spends from the limit nor is refused by it, as on GitHub; the
/// web page of [`github_web`] is not the REST API at all.
pub(crate) fn precheck(state: &SimState, headers: &HeaderMap, path: &str) -> Option<Response> {
    if github_web::serves(path) {
        return None;
    }
    if !headers.contains_key(header::USER_AGENT) {
        return Some(error(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).",
        ));
    }
    if path == "/rate_limit" {
        return None;
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

/// When the primary limit refills: an hour from now, as for a fresh window.
fn rate_reset() -> i64 {
    Utc::now().timestamp() + 3600
}

/// `x-ratelimit-*` and `x-github-request-id` on every answer.
pub(crate) fn stamp_headers(state: &SimState, headers: &mut HeaderMap) {
    let remaining = state.lock().github.rate_remaining;
    let reset = rate_reset();
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
    let user = github_shapes::private_user(&base_url(&headers), &w.github);
    answer(StatusCode::OK, &user)
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
    let repo = github_shapes::full_repository(&base_url(&headers), &w.github);
    answer(StatusCode::OK, &repo)
}

/// `GET /rate_limit`, which clients (`PyGithub`, Octokit's throttling) ask before a burst:
/// the core limit as the headers tell it, plus a fresh search limit.
async fn rate_limit(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if let Err(refusal) = authenticate(&ctx, &headers) {
        return refusal;
    }
    let remaining = ctx.state.lock().github.rate_remaining;
    let window = |limit: u32, remaining: u32| {
        let used = limit.saturating_sub(remaining);
        json!({ "limit": limit, "remaining": remaining, "reset": rate_reset(), "used": used })
    };
    let core = window(5000, remaining);
    let resources =
        json!({ "core": core, "search": window(30, 30), "graphql": window(5000, 5000) });
    answer(
        StatusCode::OK,
        &json!({ "resources": resources, "rate": core }),
    )
}
