//! The plumbing all three clients share: timeouts, retries with jittered backoff for
//! idempotent calls only, `Retry-After`, the rate-limit budget read from response headers,
//! error bodies turned into [`VendorError`]s, and response bodies held in zeroizing buffers
//! (a body may carry a token: a config var, a vault value, a new authorization) and read
//! no further than a ceiling ([`MAX_BODY_BYTES`], see [`body`]).
//!
//! Limits of the zeroizing: hyper's own read buffers are not ours to wipe; what we copy the
//! body into is wiped on drop, and request bodies are built in zeroizing buffers too.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use zeroize::Zeroizing;

use super::error::{
    Call, ErrorBody, Vendor, VendorError, error_chain, error_id, hint, status_text,
};
use crate::redact::VendorText;

mod answer;
mod body;

pub(crate) use answer::Answer;

pub use body::{MAX_BODY_BYTES, human_bytes};

/// Timeouts and retry policy, shared by every client of one [`super::Vendors`].
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    /// Whole-request timeout (answer and body).
    pub request_timeout: Duration,
    /// Retries after the first attempt, for idempotent calls only.
    pub max_retries: u32,
    /// First backoff step; doubled per retry, then jittered ×0.5–1.5.
    pub backoff_base: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails as rate limited.
    pub max_retry_after: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            max_retries: 3,
            backoff_base: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// The vendor's rate-limit budget as last reported in response headers, for display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RateBudget {
    pub remaining: Option<u64>,
    pub limit: Option<u64>,
    /// When the budget refills (epoch seconds; GitHub only).
    pub reset_epoch: Option<i64>,
}

/// One request, rebuildable for each retry.
pub(crate) struct Request {
    pub method: Method,
    pub call: Call,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<Zeroizing<Vec<u8>>>,
    pub idempotent: bool,
    /// The largest answer body read ([`MAX_BODY_BYTES`] unless the call knows better).
    pub max_body: usize,
}

impl Request {
    /// A request; idempotent unless it is a POST.
    pub fn new(method: Method, template: &'static str, path: String) -> Request {
        let idempotent = method != Method::POST;
        let call = Call {
            method: method_name(&method),
            template,
        };
        Request {
            method,
            call,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            idempotent,
            max_body: MAX_BODY_BYTES,
        }
    }

    /// Answers of this call are at most `bytes` long.
    pub fn max_body(mut self, bytes: usize) -> Request {
        self.max_body = bytes;
        self
    }

    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Request {
        self.query.push((key, value.into()));
        self
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Request {
        self.headers.push((name, value));
        self
    }

    /// Serializes `body` into a zeroizing buffer (it may hold a token being stored).
    pub fn json<T: serde::Serialize>(mut self, body: &T) -> Request {
        let mut buf = Zeroizing::new(Vec::with_capacity(256));
        // Serializing our own plain structs into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *buf, body);
        self.body = Some(buf);
        self
    }
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

/// The shared HTTP client of one vendor.
#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    base: String,
    vendor: Vendor,
    options: HttpOptions,
    budget: Arc<Mutex<RateBudget>>,
}

/// Why one attempt did not produce an answer.
enum Failure {
    Answer(Answer),
    Transport(VendorError, bool),
}

impl Http {
    /// A client for `vendor` at `base` sending `headers` on every request.
    pub fn new(
        vendor: Vendor,
        base: &str,
        options: &HttpOptions,
        headers: HeaderMap,
    ) -> Result<Http, VendorError> {
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .default_headers(headers)
            .user_agent(concat!("keyturn/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| VendorError::Connection {
                vendor,
                call: Call {
                    method: "INIT",
                    template: "(client)",
                },
                detail: format!("could not build the HTTP client: {}", e.without_url()),
            })?;
        Ok(Http {
            client,
            base: base.trim_end_matches('/').to_owned(),
            vendor,
            options: options.clone(),
            budget: Arc::new(Mutex::new(RateBudget::default())),
        })
    }

    /// The last rate-limit budget seen.
    pub fn budget(&self) -> RateBudget {
        self.budget.lock().map(|b| *b).unwrap_or_default()
    }

    /// Sends `req` with `auth`, retrying idempotent calls on 429/5xx/connection errors.
    pub async fn send(
        &self,
        req: &Request,
        auth: Option<&HeaderValue>,
    ) -> Result<Answer, VendorError> {
        let mut attempt = 0;
        loop {
            let failure = match self.attempt(req, auth).await {
                Ok(answer) if answer.status < 300 => return Ok(answer),
                Ok(answer) => Failure::Answer(answer),
                Err((err, retryable)) => Failure::Transport(err, retryable),
            };
            let wait = self.retry_wait(req, &failure, attempt);
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(self.failure_error(req, failure)),
            }
            attempt += 1;
        }
    }

    /// How long to wait before retrying, or `None` to give up.
    ///
    /// A call that is not idempotent (a mint, a dispatch) is retried only when the vendor
    /// said it did not act on it: a rate-limit refusal (429, or GitHub's secondary limit
    /// 403) that names its `Retry-After`.
    fn retry_wait(&self, req: &Request, failure: &Failure, attempt: u32) -> Option<Duration> {
        if attempt >= self.options.max_retries {
            return None;
        }
        if !req.idempotent {
            return match failure {
                Failure::Answer(answer) if matches!(answer.status, 403 | 429) => {
                    retry_after(&answer.headers)
                        .filter(|after| *after <= self.options.max_retry_after)
                }
                _ => None,
            };
        }
        let backoff = self.backoff(attempt);
        match failure {
            Failure::Transport(_, retryable) => retryable.then_some(backoff),
            Failure::Answer(answer) => {
                let retryable = answer.status == 429
                    || answer.status >= 500
                    || (answer.status == 403 && retry_after(&answer.headers).is_some());
                if !retryable {
                    return None;
                }
                match retry_after(&answer.headers) {
                    Some(after) if after > self.options.max_retry_after => None,
                    Some(after) => Some(after),
                    None => Some(backoff),
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = rand::thread_rng().gen_range(0.5..1.5);
        self.options
            .backoff_base
            .saturating_mul(1 << attempt.min(8))
            .mul_f64(factor)
    }

    async fn attempt(
        &self,
        req: &Request,
        auth: Option<&HeaderValue>,
    ) -> Result<Answer, (VendorError, bool)> {
        let mut builder = self
            .client
            .request(req.method.clone(), format!("{}{}", self.base, req.path));
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(auth) = auth {
            builder = builder.header(reqwest::header::AUTHORIZATION, auth.clone());
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = builder.send().await.map_err(|e| self.transport(req, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.record_budget(&headers);
        let body = body::read(response, req.max_body)
            .await
            .map_err(|e| self.body_error(req, status, e))?;
        Ok(Answer {
            status,
            headers,
            body,
            vendor: self.vendor,
            call: req.call,
        })
    }

    /// A transport failure as a typed error, and whether it may be retried.
    fn transport(&self, req: &Request, err: &reqwest::Error) -> (VendorError, bool) {
        if err.is_timeout() {
            let timeout_secs = self.options.request_timeout.as_secs();
            let error = VendorError::Timeout {
                vendor: self.vendor,
                call: req.call,
                timeout_secs,
            };
            return (error, false);
        }
        let error = VendorError::Connection {
            vendor: self.vendor,
            call: req.call,
            detail: error_chain(err),
        };
        (error, true)
    }

    /// A body that could not be read: a transport failure, or one over the ceiling (not
    /// retried: the same answer would be read again).
    fn body_error(&self, req: &Request, status: u16, err: body::BodyError) -> (VendorError, bool) {
        match err {
            body::BodyError::Transport(e) => self.transport(req, &e),
            body::BodyError::TooLarge { declared } => {
                let error = VendorError::BodyTooLarge {
                    vendor: self.vendor,
                    call: req.call,
                    status,
                    limit_bytes: u64::try_from(req.max_body).unwrap_or(u64::MAX),
                    declared,
                };
                (error, false)
            }
        }
    }

    fn failure_error(&self, req: &Request, failure: Failure) -> VendorError {
        match failure {
            Failure::Transport(err, _) => err,
            Failure::Answer(answer) => self.status_error(req, &answer),
        }
    }

    /// Turns an error answer into a [`VendorError`] (rate limits get their own variant).
    pub fn status_error(&self, req: &Request, answer: &Answer) -> VendorError {
        let body: ErrorBody = serde_json::from_slice(&answer.body).unwrap_or_default();
        let exhausted = header_u64(&answer.headers, "x-ratelimit-remaining") == Some(0);
        if answer.status == 429 || (answer.status == 403 && exhausted) {
            return VendorError::RateLimited {
                vendor: self.vendor,
                call: req.call,
                status: answer.status,
                retry_after_secs: retry_after(&answer.headers).map(|d| d.as_secs()),
            };
        }
        let id = error_id(body.id.or(body.error));
        let message = body.message.unwrap_or_else(|| status_text(answer.status));
        VendorError::Status {
            vendor: self.vendor,
            call: req.call,
            status: answer.status,
            hint: hint(self.vendor, answer.status, id.as_deref()),
            message: VendorText::new(&message),
            id,
        }
    }

    fn record_budget(&self, headers: &HeaderMap) {
        let Ok(mut budget) = self.budget.lock() else {
            return;
        };
        if let Some(remaining) = header_u64(headers, "x-ratelimit-remaining") {
            budget.remaining = Some(remaining);
            budget.limit = header_u64(headers, "x-ratelimit-limit").or(budget.limit);
            budget.reset_epoch = header_u64(headers, "x-ratelimit-reset")
                .and_then(|r| i64::try_from(r).ok())
                .or(budget.reset_epoch);
        } else if let Some(remaining) = header_u64(headers, "ratelimit-remaining") {
            budget.remaining = Some(remaining);
            budget.limit = Some(4500);
        }
    }
}

/// A `Bearer` header for `token`; a token that cannot be a header value is unusable.
pub(crate) fn bearer(
    vendor: Vendor,
    token: &crate::secret::Token,
) -> Result<HeaderValue, VendorError> {
    token
        .bearer_header()
        .ok_or_else(|| VendorError::MissingCredential {
            vendor,
            hint: "the token holds characters not allowed in an HTTP header; paste it again"
                .to_owned(),
        })
}

pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `Retry-After` in seconds (the HTTP-date form is not used by these vendors).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header_u64(headers, "retry-after").map(Duration::from_secs)
}

#[cfg(test)]
mod tests;
