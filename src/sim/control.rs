//! The remote control of a simulator that outlives the process that started it (the demo's:
//! `keyturn demo` runs it as a detached child so an interrupted demo can be resumed).
//!
//! Two hidden routes on the simulated Heroku listener, both answering Heroku's own 404
//! unless the request carries the simulator's nonce in [`NONCE_HEADER`]:
//! `GET /__keyturn/session` hands over the operator credentials and the app names (so no
//! token is ever written to disk for another process to find), `POST /__keyturn/shutdown`
//! stops the simulator. Every request to any of the three listeners counts as activity, so
//! the simulator can stop itself once nobody has asked anything for a while.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Notify;

use super::{SimCredentials, SimState};

/// The header that carries the nonce.
pub const NONCE_HEADER: &str = "keyturn-sim-nonce";
/// Where the credentials are handed over.
pub const SESSION_PATH: &str = "/__keyturn/session";
/// Where a shutdown is asked for.
pub const SHUTDOWN_PATH: &str = "/__keyturn/shutdown";

/// What `GET /__keyturn/session` answers: all a client needs to build the simulator's
/// config, besides the three URLs it already knows.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SessionAnswer {
    pub credentials: SimCredentials,
    pub apps: Vec<String>,
}

/// The nonce, the activity clock and the stop signal of one simulator; cheap to clone.
#[derive(Clone)]
pub struct Control {
    nonce: Arc<str>,
    last_request: Arc<Mutex<Instant>>,
    stop: Arc<Notify>,
}

/// Never prints the nonce: it unlocks the credentials.
impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Control(..)")
    }
}

impl Control {
    /// A control answering only to `nonce`.
    pub fn new(nonce: &str) -> Control {
        Control {
            nonce: Arc::from(nonce),
            last_request: Arc::new(Mutex::new(Instant::now())),
            stop: Arc::new(Notify::new()),
        }
    }

    /// How long since the last request to any listener (or since the start).
    pub fn idle_for(&self) -> Duration {
        self.last_request
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .elapsed()
    }

    /// Resolves once a shutdown was asked for with the nonce.
    pub async fn stopped(&self) {
        self.stop.notified().await;
    }

    fn touch(&self) {
        *self
            .last_request
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// Compares in constant time, so the answer's timing tells nothing about the nonce.
    fn admits(&self, headers: &HeaderMap) -> bool {
        let given = headers
            .get(NONCE_HEADER)
            .map(axum::http::HeaderValue::as_bytes)
            .unwrap_or_default();
        let want = self.nonce.as_bytes();
        given.len() == want.len()
            && given
                .iter()
                .zip(want)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// What the routes need.
#[derive(Clone)]
struct Remote {
    control: Control,
    credentials: SimCredentials,
    state: SimState,
}

/// The two routes, for the Heroku listener.
pub(crate) fn routes(control: &Control, credentials: &SimCredentials, state: &SimState) -> Router {
    let remote = Remote {
        control: control.clone(),
        credentials: credentials.clone(),
        state: state.clone(),
    };
    Router::new()
        .route(SESSION_PATH, get(session))
        .route(SHUTDOWN_PATH, post(shutdown))
        .with_state(remote)
}

/// Middleware on every listener: the request is activity.
pub(crate) async fn touch(
    State(control): State<Control>,
    request: Request,
    next: Next,
) -> Response {
    control.touch();
    next.run(request).await
}

async fn session(State(remote): State<Remote>, headers: HeaderMap) -> Response {
    if !remote.control.admits(&headers) {
        return not_found();
    }
    let answer = SessionAnswer {
        credentials: remote.credentials.clone(),
        apps: remote.state.app_names(),
    };
    axum::Json(answer).into_response()
}

async fn shutdown(State(remote): State<Remote>, headers: HeaderMap) -> Response {
    if !remote.control.admits(&headers) {
        return not_found();
    }
    remote.control.stop.notify_one();
    StatusCode::ACCEPTED.into_response()
}

/// Heroku's own 404: without the nonce the routes do not exist.
fn not_found() -> Response {
    super::heroku::error_for_status(StatusCode::NOT_FOUND, None)
}
