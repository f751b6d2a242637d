//! What every vendor's listener shares: the router assembly and one middleware that adds
//! latency, applies fault rules and rate limits, stamps the vendor's response headers and
//! logs the request — so no route can forget any of it.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};

use super::echo::{self, Reflection};
use super::faults::{FaultAction, Faults, Fired};
use super::state::{LoggedRequest, SimState};
use super::{Vendor, github, heroku, infisical};

/// What each handler gets: its vendor, the world and the fault table.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub vendor: Vendor,
    pub state: SimState,
    pub faults: Faults,
}

/// The full router of one vendor's listener.
pub(crate) fn router(vendor: Vendor, state: SimState, faults: Faults) -> Router {
    let ctx = Ctx {
        vendor,
        state,
        faults,
    };
    let routes = match vendor {
        Vendor::Heroku => heroku::routes(),
        Vendor::Github => github::routes(),
        Vendor::Infisical => infisical::routes(),
    };
    routes
        .fallback(not_found)
        .layer(from_fn_with_state(ctx.clone(), vendor_layer))
        .with_state(ctx)
}

async fn not_found(State(ctx): State<Ctx>) -> Response {
    error(ctx.vendor, StatusCode::NOT_FOUND, None)
}

/// The vendor's error answer for `status`, with its usual message unless one is given.
pub(crate) fn error(vendor: Vendor, status: StatusCode, message: Option<&str>) -> Response {
    match vendor {
        Vendor::Heroku => heroku::error_for_status(status, message),
        Vendor::Github => github::error_for_status(status, message),
        Vendor::Infisical => infisical::error_for_status(status, message),
    }
}

async fn vendor_layer(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let delay = ctx.faults.delay(ctx.vendor);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let incoming_id = request.headers().get("request-id").cloned();
    let fault = ctx.faults.take(ctx.vendor, &method, &path);
    let mut response = match fault {
        None => handle(&ctx, request, next, &path).await,
        Some(Fired {
            action: FaultAction::Echo,
            ..
        }) => {
            let (request, reflection) = Reflection::of(request).await;
            let answer = handle(&ctx, request, next, &path).await;
            reflection.into_error(answer).await
        }
        Some(Fired {
            action: FaultAction::Reflect(status),
            ..
        }) => {
            let (_, reflection) = Reflection::of(request).await;
            reflection.answer(ctx.vendor, status)
        }
        Some(Fired { action, after }) => {
            if after {
                // The vendor does its work (the store changes); only the answer is broken.
                drop(handle(&ctx, request, next, &path).await);
            }
            if action == FaultAction::Hang {
                log(&ctx, &method, &path, 0);
                std::future::pending::<()>().await;
            }
            fault_response(ctx.vendor, &action)
        }
    };
    stamp_headers(&ctx, response.headers_mut(), incoming_id.as_ref());
    log(&ctx, &method, &path, response.status().as_u16());
    response
}

/// The vendor's own answer: its vendor-wide refusals first, then the route.
async fn handle(ctx: &Ctx, request: Request, next: Next, path: &str) -> Response {
    match precheck(ctx, request.headers(), path) {
        Some(refusal) => refusal,
        None => next.run(request).await,
    }
}

fn log(ctx: &Ctx, method: &str, path: &str, status: u16) {
    ctx.state.log(LoggedRequest {
        vendor: ctx.vendor,
        method: method.to_owned(),
        path: path.to_owned(),
        status,
    });
}

/// Vendor-wide refusals that come before any route: rate limits, GitHub's User-Agent rule.
fn precheck(ctx: &Ctx, headers: &HeaderMap, path: &str) -> Option<Response> {
    match ctx.vendor {
        Vendor::Heroku => heroku::precheck(&ctx.state),
        Vendor::Github => github::precheck(&ctx.state, headers, path),
        Vendor::Infisical => None,
    }
}

fn fault_response(vendor: Vendor, action: &FaultAction) -> Response {
    match action {
        FaultAction::Status(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            error(vendor, status, None)
        }
        FaultAction::RateLimited { retry_after_secs } => {
            let mut response = error(vendor, StatusCode::TOO_MANY_REQUESTS, None);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            response
        }
        FaultAction::MalformedJson => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"id\": \"truncated",
        )
            .into_response(),
        FaultAction::Drop => dropped_connection(),
        FaultAction::Huge { bytes } => echo::huge(*bytes),
        FaultAction::Endless => echo::endless(),
        // Both read the request first: answered in `vendor_layer`.
        FaultAction::Reflect(_) | FaultAction::Echo | FaultAction::Hang => {
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}

/// A response whose body fails before a byte is written: hyper then closes the connection
/// without sending the head, which the client sees as a dropped connection.
fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated dropped connection",
        ))
    });
    Response::new(Body::from_stream(failing))
}

fn stamp_headers(ctx: &Ctx, headers: &mut HeaderMap, incoming_id: Option<&HeaderValue>) {
    match ctx.vendor {
        Vendor::Heroku => heroku::stamp_headers(&ctx.state, headers, incoming_id),
        Vendor::Github => github::stamp_headers(&ctx.state, headers),
        Vendor::Infisical => {}
    }
}

/// Parses a JSON request body; `None` for an empty or invalid one.
pub(crate) fn json_body(body: &Bytes) -> Option<serde_json::Value> {
    serde_json::from_slice(body).ok()
}

/// A JSON answer with an explicit status.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

/// The bearer-ish credential of `Authorization: <scheme> <value>` for one of `schemes`.
pub(crate) fn auth_value(headers: &HeaderMap, schemes: &[&str]) -> Option<String> {
    let text = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, value) = text.split_once(' ')?;
    schemes
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
        .then(|| value.trim().to_owned())
}
