//! Simulated Infisical: Universal Auth login and the v3 raw secrets API with a version
//! history (what a rollback reads). Expired or unknown access tokens get 403 `TokenError`,
//! not 401, as on Infisical.

use std::collections::HashMap;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::heroku::timestamp;
use super::http::{Ctx, auth_value, json as answer, json_body};
use super::infisical_store::{Scope, not_found, position, render};
use super::state::{VaultSecret, World};

pub(crate) use super::infisical_store::{write_version, write_version_at};

/// Lifetime of an access token.
const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(7200);

pub(crate) fn routes() -> Router<Ctx> {
    Router::new()
        .route("/api/v1/auth/universal-auth/login", post(login))
        .route("/api/v3/secrets/raw", get(list))
        .route(
            "/api/v3/secrets/raw/{name}",
            get(read).post(create).patch(update).delete(delete),
        )
        .route("/api/v1/secret/{id}/secret-versions", get(versions))
}

/// Infisical's error body `{reqId, statusCode, message, error}`.
pub(crate) fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({
        "reqId": format!("req-{}", uuid::Uuid::new_v4().simple()),
        "statusCode": status.as_u16(), "message": message, "error": kind,
    });
    answer(status, &body)
}

pub(crate) fn error_for_status(status: StatusCode, message: Option<&str>) -> Response {
    let (kind, default) = match status.as_u16() {
        400 => ("BadRequest", "Bad request"),
        401 => ("UnauthorizedError", "Invalid credentials"),
        403 => (
            "PermissionDenied",
            "You are not allowed to access this resource",
        ),
        404 => ("NotFound", "Route not found"),
        422 => ("ValidationFailure", "Validation failed"),
        429 => (
            "RateLimitExceeded",
            "Rate limit exceeded. Please try again in 1 minute",
        ),
        _ => ("InternalServerError", "Something went wrong"),
    };
    error(status, kind, message.unwrap_or(default))
}

async fn login(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let body = json_body(&body).unwrap_or(Value::Null);
    let field = |f: &str| {
        body.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut w = ctx.state.lock();
    if field("clientId") != w.vault.client_id || field("clientSecret") != w.vault.client_secret {
        return error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedError",
            "Invalid credentials",
        );
    }
    let token = format!("eyJhbGciOiJIUzI1NiJ9.{}.sim", uuid::Uuid::new_v4().simple());
    w.vault
        .access_tokens
        .insert(token.clone(), Instant::now() + ACCESS_TOKEN_TTL);
    let ttl = ACCESS_TOKEN_TTL.as_secs();
    answer(
        StatusCode::OK,
        &json!({ "accessToken": token, "expiresIn": ttl, "accessTokenMaxTTL": ttl * 12, "tokenType": "Bearer" }),
    )
}

/// A live access token, or 403 `TokenError`.
fn authenticate(ctx: &Ctx, headers: &HeaderMap) -> Result<(), Response> {
    let token = auth_value(headers, &["Bearer"]).unwrap_or_default();
    let live = ctx
        .state
        .lock()
        .vault
        .access_tokens
        .get(&token)
        .is_some_and(|e| *e > Instant::now());
    if live {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "TokenError",
            "Your token has expired. Please re-authenticate.",
        ))
    }
}

async fn read(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let scope = match read_prelude(&ctx, &headers, &q) {
        Ok(scope) => scope,
        Err(refusal) => return refusal,
    };
    let w = ctx.state.lock();
    let Some(secret) = position(&w.vault, &scope, &name).map(|i| &w.vault.secrets[i]) else {
        return not_found(&name);
    };
    let wanted = q.get("version").and_then(|v| v.parse::<u64>().ok());
    let version = match wanted {
        Some(n) => secret.versions.iter().find(|v| v.version == n),
        None => secret.versions.last(),
    };
    match version {
        Some(v) => answer(
            StatusCode::OK,
            &json!({ "secret": render(secret, v, &scope.workspace) }),
        ),
        None => not_found(&name),
    }
}

/// Shared start of the read routes: auth, scope from the query, project check.
fn read_prelude(
    ctx: &Ctx,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Scope, Response> {
    authenticate(ctx, headers)?;
    let scope = Scope::of_query(query)?;
    scope.check(&ctx.state.lock().vault)?;
    Ok(scope)
}

/// Shared start of the write routes: auth, JSON body, scope, project check.
fn write_prelude(ctx: &Ctx, headers: &HeaderMap, body: &Bytes) -> Result<(Value, Scope), Response> {
    authenticate(ctx, headers)?;
    let body = json_body(body)
        .ok_or_else(|| error_for_status(StatusCode::BAD_REQUEST, Some("Body must be JSON")))?;
    let scope = Scope::of_body(&body)?;
    scope.check(&ctx.state.lock().vault)?;
    Ok((body, scope))
}

async fn create(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let (body, scope) = match write_prelude(&ctx, &headers, &body) {
        Ok(p) => p,
        Err(refusal) => return refusal,
    };
    let Some(value) = body.get("secretValue").and_then(Value::as_str) else {
        return error_for_status(StatusCode::BAD_REQUEST, Some("secretValue is required"));
    };
    let mut w = ctx.state.lock();
    if position(&w.vault, &scope, &name).is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Secret already exist",
        );
    }
    write_version(&mut w.vault, &scope.environment, &scope.path, &name, value);
    let i = position(&w.vault, &scope, &name).unwrap_or_default();
    let secret = &mut w.vault.secrets[i];
    body.get("secretComment")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .clone_into(&mut secret.comment);
    respond_current(secret, &scope.workspace)
}

fn respond_current(secret: &VaultSecret, workspace: &str) -> Response {
    match secret.versions.last() {
        Some(v) => answer(
            StatusCode::OK,
            &json!({ "secret": render(secret, v, workspace) }),
        ),
        None => not_found(&secret.key),
    }
}

/// Shared start of update and delete: the write prelude, then the existing secret (its
/// index, under the held lock) or 404.
fn existing<'c>(
    ctx: &'c Ctx,
    headers: &HeaderMap,
    body: &Bytes,
    name: &str,
) -> Result<(Value, Scope, MutexGuard<'c, World>, usize), Response> {
    let (body, scope) = write_prelude(ctx, headers, body)?;
    let w = ctx.state.lock();
    match position(&w.vault, &scope, name) {
        Some(i) => Ok((body, scope, w, i)),
        None => Err(not_found(name)),
    }
}

async fn update(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let (body, scope, mut w, i) = match existing(&ctx, &headers, &body, &name) {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let current = w.vault.secrets[i]
        .versions
        .last()
        .map(|v| v.value.clone())
        .unwrap_or_default();
    let value = body
        .get("secretValue")
        .and_then(Value::as_str)
        .map_or(current, str::to_owned);
    write_version(&mut w.vault, &scope.environment, &scope.path, &name, &value);
    let secret = &mut w.vault.secrets[i];
    if let Some(comment) = body.get("secretComment").and_then(Value::as_str) {
        comment.clone_into(&mut secret.comment);
    }
    if let Some(new_name) = body
        .get("newSecretName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        new_name.clone_into(&mut secret.key);
    }
    respond_current(secret, &scope.workspace)
}

async fn delete(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let (_, scope, mut w, i) = match existing(&ctx, &headers, &body, &name) {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let secret = w.vault.secrets.remove(i);
    respond_current(&secret, &scope.workspace)
}

async fn list(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let scope = match read_prelude(&ctx, &headers, &q) {
        Ok(scope) => scope,
        Err(refusal) => return refusal,
    };
    let w = ctx.state.lock();
    let recursive = q.get("recursive").is_some_and(|r| r == "true");
    let secrets: Vec<Value> = w
        .vault
        .secrets
        .iter()
        .filter(|s| {
            s.environment == scope.environment
                && (s.path == scope.path || (recursive && s.path.starts_with(&scope.path)))
        })
        .filter_map(|s| s.versions.last().map(|v| render(s, v, &scope.workspace)))
        .collect();
    answer(
        StatusCode::OK,
        &json!({ "secrets": secrets, "imports": [] }),
    )
}

async fn versions(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(refusal) = authenticate(&ctx, &headers) {
        return refusal;
    }
    let offset = q
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0usize);
    let limit = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20usize);
    let w = ctx.state.lock();
    let Some(secret) = w.vault.secrets.iter().find(|s| s.id == id) else {
        return error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("Secret with ID '{id}' not found"),
        );
    };
    let list: Vec<Value> = secret.versions.iter().rev().skip(offset).take(limit).map(|v| json!({
        "id": v.id, "_id": v.id, "secretId": secret.id, "version": v.version, "secretKey": secret.key,
        "secretValue": v.value, "secretComment": secret.comment, "type": "shared",
        "environment": secret.environment, "workspace": w.vault.project_id,
        "createdAt": timestamp(v.created_at), "updatedAt": timestamp(v.created_at),
    })).collect();
    answer(StatusCode::OK, &json!({ "secretVersions": list }))
}
