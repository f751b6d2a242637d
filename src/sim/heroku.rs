//! Simulated Heroku Platform API v3: account, rate limits, OAuth authorizations, and the
//! shared plumbing (auth, errors, headers). Apps, config vars, releases and dynos live in
//! `heroku_apps`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;
use chrono::Utc;
use serde_json::{Value, json};

use super::heroku_apps;
use super::http::{Ctx, auth_value, json as answer, json_body};
use super::range::{self, Key};
use super::state::{SimAuthorization, SimState};

pub(crate) fn routes() -> Router<Ctx> {
    Router::new()
        .route("/account", get(account))
        .route("/account/rate-limits", get(rate_limits))
        .route(
            "/oauth/authorizations",
            get(list_authorizations).post(create_authorization),
        )
        .route(
            "/oauth/authorizations/{id}",
            get(get_authorization)
                .patch(update_authorization)
                .delete(delete_authorization),
        )
        .route(
            "/oauth/authorizations/{id}/actions/regenerate-tokens",
            post(regenerate),
        )
        .merge(heroku_apps::routes())
}

/// Heroku's error body `{id, message}` with `status`.
pub(crate) fn error(status: StatusCode, id: &str, message: &str) -> Response {
    answer(status, &json!({ "id": id, "message": message }))
}

/// The usual id and message for `status`.
pub(crate) fn error_for_status(status: StatusCode, message: Option<&str>) -> Response {
    let (id, default) = match status.as_u16() {
        400 => ("bad_request", "Invalid request."),
        401 => ("unauthorized", "Invalid credentials provided."),
        403 => ("forbidden", "You do not have access to this resource."),
        404 => ("not_found", "Couldn't find that resource."),
        422 => ("invalid_params", "Invalid parameters."),
        429 => ("rate_limit", RATE_LIMIT_MESSAGE),
        503 => (
            "service_unavailable",
            "Heroku API is temporarily unavailable.",
        ),
        _ => ("internal_server_error", "Internal server error."),
    };
    error(status, id, message.unwrap_or(default))
}

const RATE_LIMIT_MESSAGE: &str =
    "Your account reached the API rate limit. Please wait a few minutes before making new requests";

/// Takes one request token from the account pool; 429 `rate_limit` when empty.
pub(crate) fn precheck(state: &SimState) -> Option<Response> {
    let allowed = state.lock().heroku.take_from_pool();
    (!allowed).then(|| error_for_status(StatusCode::TOO_MANY_REQUESTS, None))
}

/// `Content-Type` (quirk: Heroku's CLI parses only JSON-typed bodies), `Request-Id`,
/// `RateLimit-Remaining`, on every answer. An incoming `Request-Id` (possibly a list) is
/// appended after ours, as Heroku does.
pub(crate) fn stamp_headers(
    state: &SimState,
    headers: &mut HeaderMap,
    incoming: Option<&HeaderValue>,
) {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let mut id = uuid::Uuid::new_v4().to_string();
    if let Some(theirs) = incoming.and_then(|v| v.to_str().ok()) {
        id = format!("{id},{theirs}");
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert("request-id", value);
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0..=4500
    let remaining = state.lock().heroku.pool.max(0.0).floor() as u64;
    headers.insert("ratelimit-remaining", HeaderValue::from(remaining));
}

/// Who is calling.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The operator's user-level token (a `heroku login` session).
    Operator,
    /// A token minted from an authorization.
    Authorization,
}

/// The token of `Authorization: Bearer T` or Basic with the token as password.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    if let Some(token) = auth_value(headers, &["Bearer"]) {
        return Some(token);
    }
    let encoded = auth_value(headers, &["Basic"])?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_owned())
}

/// Checks the caller's token; 401 `unauthorized` if missing, unknown or revoked.
pub(crate) fn authenticate(ctx: &Ctx, headers: &HeaderMap) -> Result<Caller, Response> {
    let token = presented_token(headers).unwrap_or_default();
    let w = ctx.state.lock();
    if !w.heroku.token_is_valid(&token) {
        return Err(error_for_status(StatusCode::UNAUTHORIZED, None));
    }
    Ok(if token == w.heroku.operator_token {
        Caller::Operator
    } else {
        Caller::Authorization
    })
}

async fn account(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if let Err(refusal) = authenticate(&ctx, &headers) {
        return refusal;
    }
    let w = ctx.state.lock();
    let h = &w.heroku;
    let since = "2019-03-14T09:12:44Z";
    answer(
        StatusCode::OK,
        &json!({
            "id": h.account_id, "email": h.email, "name": "Kris",
            "created_at": since, "updated_at": since, "last_login": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "verified": true, "two_factor_authentication": true, "beta": false,
            "allow_tracking": true, "federated": false, "default_team": null,
            "default_organization": null, "sms_number": null, "suspended_at": null,
            "delinquent_at": null, "identity_provider": null, "country_of_residence": null,
        }),
    )
}

async fn rate_limits(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if let Err(refusal) = authenticate(&ctx, &headers) {
        return refusal;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let remaining = ctx.state.lock().heroku.pool.max(0.0).floor() as u64;
    answer(StatusCode::OK, &json!({ "remaining": remaining }))
}

pub(crate) fn timestamp(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn render_authorization(a: &SimAuthorization, account: (&str, &str)) -> Value {
    json!({
        "id": a.id, "description": a.description, "scope": a.scope,
        "created_at": timestamp(a.created_at), "updated_at": timestamp(a.updated_at),
        "access_token": { "id": a.access_token_id, "token": a.token, "expires_in": a.expires_in },
        "refresh_token": null, "grant": null, "client": null, "session": null,
        "user": { "id": account.0, "email": account.1, "full_name": "Kris" },
    })
}

/// Renders every live authorization matching `pick`.
fn live_authorizations(ctx: &Ctx, pick: impl Fn(&SimAuthorization) -> bool) -> Vec<Value> {
    let w = ctx.state.lock();
    let account = (w.heroku.account_id.as_str(), w.heroku.email.as_str());
    w.heroku
        .authorizations
        .iter()
        .filter(|a| !a.revoked && pick(a))
        .map(|a| render_authorization(a, account))
        .collect()
}

async fn list_authorizations(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if let Err(refusal) = authenticate(&ctx, &headers) {
        return refusal;
    }
    let items = live_authorizations(&ctx, |_| true);
    let key = |v: &Value, field: &str| {
        v.get(field)
            .and_then(Value::as_str)
            .map(|s| Key::Text(s.to_owned()))
    };
    range::respond(&headers, "id", &items, key, Clone::clone)
}

async fn get_authorization(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refusal) = authenticate(&ctx, &headers) {
        return refusal;
    }
    match live_authorizations(&ctx, |a| a.id == id).pop() {
        Some(found) => answer(StatusCode::OK, &found),
        None => error_for_status(StatusCode::NOT_FOUND, None),
    }
}

/// `expires_in` as an integer, also when it arrives as a JSON string (quirk).
fn expires_in(body: &Value) -> Result<Option<i64>, Response> {
    match body.get("expires_in") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_i64()),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| {
            error_for_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("expires_in must be an integer."),
            )
        }),
        Some(_) => Err(error_for_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("expires_in must be an integer."),
        )),
    }
}

/// The authorization a `POST /oauth/authorizations` body asks for. `scope` is listed as
/// required in Heroku's schema, but Heroku creates a `["global"]` authorization without
/// it (the CLI's own `heroku authorizations:create --description …` sends none and shows
/// `Scope: global`), so only a scope that is there and unusable is refused.
fn new_authorization(body: &Value) -> Result<SimAuthorization, Response> {
    let scope = match body.get("scope") {
        None | Some(Value::Null) => vec!["global".to_owned()],
        Some(given) => requested_scope(given)?,
    };
    let now = Utc::now();
    Ok(SimAuthorization {
        id: uuid::Uuid::new_v4().to_string(),
        description: body
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        token: format!("HRKU-{}", uuid::Uuid::new_v4()),
        revoked: false,
        created_at: now,
        updated_at: now,
        scope,
        expires_in: expires_in(body)?,
        access_token_id: uuid::Uuid::new_v4().to_string(),
    })
}

/// A given `scope`: a non-empty list of names, else 422 as Heroku answers.
fn requested_scope(given: &Value) -> Result<Vec<String>, Response> {
    given
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .filter(|s: &Vec<String>| !s.is_empty())
        .ok_or_else(|| {
            error_for_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("Missing required params: scope."),
            )
        })
}

async fn create_authorization(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    match authenticate(&ctx, &headers) {
        Err(refusal) => return refusal,
        Ok(Caller::Authorization) => {
            return error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "This token cannot create authorizations: use your user session (heroku login).",
            );
        }
        Ok(Caller::Operator) => {}
    }
    let Some(body) = json_body(&body) else {
        return error_for_status(StatusCode::BAD_REQUEST, Some("Request body must be JSON."));
    };
    let created = match new_authorization(&body) {
        Ok(a) => a,
        Err(refusal) => return refusal,
    };
    let mut w = ctx.state.lock();
    let rendered = render_authorization(&created, (&w.heroku.account_id, &w.heroku.email));
    w.heroku.authorizations.push(created);
    answer(StatusCode::CREATED, &rendered)
}

/// Auth, then applies `change` to the live authorization `id` and answers it (200), or 404.
fn change_authorization(
    ctx: &Ctx,
    headers: &HeaderMap,
    id: &str,
    change: impl FnOnce(&mut SimAuthorization),
) -> Response {
    if let Err(refusal) = authenticate(ctx, headers) {
        return refusal;
    }
    let mut w = ctx.state.lock();
    let account = (w.heroku.account_id.clone(), w.heroku.email.clone());
    let found = w
        .heroku
        .authorizations
        .iter_mut()
        .find(|a| a.id == id && !a.revoked);
    let Some(found) = found else {
        return error_for_status(StatusCode::NOT_FOUND, None);
    };
    change(found);
    answer(
        StatusCode::OK,
        &render_authorization(found, (&account.0, &account.1)),
    )
}

/// Revokes: the token answers 401 from now on, and the authorization is gone for good.
async fn delete_authorization(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    change_authorization(&ctx, &headers, &id, |a| a.revoked = true)
}

/// `PATCH /oauth/authorizations/{id}` (Heroku's schema: "Update", `description` and
/// `client`): a new description; the token is untouched.
async fn update_authorization(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(body) = json_body(&body) else {
        return error_for_status(StatusCode::BAD_REQUEST, Some("Request body must be JSON."));
    };
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    change_authorization(&ctx, &headers, &id, |a| {
        if let Some(description) = description {
            // `updated_at` stays: the simulator counts `expires_in` from the last token change.
            a.description = description;
        }
    })
}

/// Replaces the token in place: the old one dies at once (no overlap).
async fn regenerate(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    change_authorization(&ctx, &headers, &id, |a| {
        a.token = format!("HRKU-{}", uuid::Uuid::new_v4());
        a.updated_at = Utc::now();
    })
}
