//! The fault answers of a misbehaving vendor: one that echoes the request's credentials in
//! its error messages (`reflect:STATUS`, `echo`), and one whose body is too big to hold
//! (`huge`) or never ends (`endless`). Real APIs and corporate gateways do the first; the
//! second is what a broken proxy or a hostile endpoint does. keyturn must survive both
//! without leaking a token or its memory.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::Vendor;

/// The largest request body the echo repeats.
const ECHOED_BODY: usize = 64 * 1024;

/// The request's credentials and body as an echoing gateway would print them.
pub(crate) struct Reflection(String);

impl Reflection {
    /// Reads the request's body (up to 64 KiB) and hands the request back intact.
    pub(crate) async fn of(request: Request) -> (Request, Reflection) {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, ECHOED_BODY)
            .await
            .unwrap_or_default();
        let auth = parts
            .headers
            .get(header::AUTHORIZATION)
            .map_or("(none)".into(), |v| String::from_utf8_lossy(v.as_bytes()));
        let text = format!(
            "upstream rejected the request (Authorization: {auth}; body: {})",
            String::from_utf8_lossy(&bytes)
        );
        (
            Request::from_parts(parts, Body::from(bytes)),
            Reflection(text),
        )
    }

    /// `status` with the vendor's error body carrying the reflection as its message.
    pub(crate) fn answer(&self, vendor: Vendor, status: u16) -> Response {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        super::http::error(vendor, status, Some(&self.0))
    }

    /// `response` as is when it succeeded; an error's message gains the reflection.
    pub(crate) async fn into_error(self, response: Response) -> Response {
        if response.status().as_u16() < 400 {
            return response;
        }
        let (mut parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        let mut value: serde_json::Value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| serde_json::json!({}));
        let original = value["message"].as_str().unwrap_or_default().to_owned();
        if let Some(fields) = value.as_object_mut() {
            let message = format!("{} — {original}", self.0);
            fields.insert("message".into(), message.into());
        }
        parts.headers.remove(header::CONTENT_LENGTH);
        Response::from_parts(parts, Body::from(value.to_string()))
    }
}

/// 200 with `bytes` bytes of `{"A":"aaaa…`, `Content-Length` announced, streamed in 64 KiB
/// chunks of one shared buffer (the simulator holds none of it).
pub(crate) fn huge(bytes: u64) -> Response {
    let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
    let head = Bytes::from_static(b"{\"A\":\"");
    let head_len = head.len() as u64;
    let body_len = bytes.saturating_sub(head_len);
    let full = body_len / chunk.len() as u64;
    let rest = usize::try_from(body_len % chunk.len() as u64).unwrap_or(0);
    let tail = chunk.slice(..rest);
    let chunks = std::iter::once(head)
        .chain(std::iter::repeat_n(
            chunk,
            usize::try_from(full).unwrap_or(usize::MAX),
        ))
        .chain(std::iter::once(tail))
        .map(Ok::<Bytes, std::io::Error>);
    let mut response = json_stream(Body::from_stream(futures::stream::iter(chunks)));
    response.headers_mut().insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(bytes.max(head_len)),
    );
    response
}

/// 200 with a chunked `{"A":"aaaa…` that never ends.
pub(crate) fn endless() -> Response {
    let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
    let chunks = std::iter::once(Bytes::from_static(b"{\"A\":\""))
        .chain(std::iter::repeat(chunk))
        .map(Ok::<Bytes, std::io::Error>);
    json_stream(Body::from_stream(futures::stream::iter(chunks)))
}

fn json_stream(body: Body) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
