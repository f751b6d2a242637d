//! Typed vendor errors. Every variant names the vendor and the call (method + path
//! *template*, never a URL that could carry a name or query worth hiding), the status and
//! the vendor's own error id/message when there is one, and a hint saying what to do next.
//!
//! No variant holds a [`crate::secret::Token`] or any response body, and the vendor's own
//! words (its message, a run status) are [`VendorText`]: shown only redacted and cut to a
//! readable length, so a vendor or gateway that echoes the request's credentials cannot
//! put them on any screen or into any file. A test formats every variant produced by
//! requests made with a canary token and checks the canary is absent.

use std::fmt;

use crate::redact::VendorText;

/// Which vendor answered (or failed to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    Heroku,
    Github,
    Infisical,
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Vendor::Heroku => "Heroku",
            Vendor::Github => "GitHub",
            Vendor::Infisical => "Infisical",
        })
    }
}

/// A call as shown to people: `GET /apps/{app}/config-vars`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    pub method: &'static str,
    pub template: &'static str,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

/// What went wrong talking to a vendor.
#[derive(Debug, thiserror::Error)]
pub enum VendorError {
    /// The vendor answered with an error status.
    #[error("{vendor} {call}: HTTP {status}{}: {message} — {hint}", id.as_deref().map(|i| format!(" `{i}`")).unwrap_or_default())]
    Status {
        vendor: Vendor,
        call: Call,
        status: u16,
        /// The vendor's error id (`unauthorized`, `TokenError`, …) when it sent one.
        id: Option<String>,
        message: VendorText,
        hint: String,
    },
    /// Still rate limited after the allowed retries.
    #[error(
        "{vendor} {call}: rate limited (HTTP {status}{}) — wait and try again; `keyturn check` shows the remaining budget",
        retry_after_secs.map(|s| format!(", the vendor asks to wait {s} s")).unwrap_or_default()
    )]
    RateLimited {
        vendor: Vendor,
        call: Call,
        status: u16,
        retry_after_secs: Option<u64>,
    },
    /// No answer within the request timeout.
    #[error(
        "{vendor} {call}: no answer within {timeout_secs} s — the vendor may be slow or down; try again, or check its status page"
    )]
    Timeout {
        vendor: Vendor,
        call: Call,
        timeout_secs: u64,
    },
    /// The connection could not be made or was dropped.
    #[error("{vendor} {call}: connection failed ({detail}) — check the base URL and the network")]
    Connection {
        vendor: Vendor,
        call: Call,
        detail: String,
    },
    /// The answer's body passed keyturn's ceiling (see `MAX_BODY_BYTES`); it was not read on.
    #[error(
        "{vendor} {call}: the answer is larger than keyturn's limit of {}{} — no real answer is this big, so the vendor or a proxy in front of it misbehaves; keyturn stopped reading. Try again, and report it if it persists", super::http::human_bytes(*limit_bytes), .declared.map(|n| format!(" (Content-Length {n})")).unwrap_or_default()
    )]
    BodyTooLarge {
        vendor: Vendor,
        call: Call,
        status: u16,
        limit_bytes: u64,
        /// The answer's `Content-Length`, when it sent one.
        declared: Option<u64>,
    },
    /// The answer was not the JSON we expected.
    #[error(
        "{vendor} {call}: unexpected answer (HTTP {status}): {detail} — the API may have changed; report this with the request id"
    )]
    Decode {
        vendor: Vendor,
        call: Call,
        status: u16,
        detail: String,
    },
    /// `POST /oauth/authorizations` failed ambiguously and listing showed it *was* created.
    /// Its token was only in the lost answer and cannot be read back.
    #[error(
        "Heroku POST /oauth/authorizations: the authorization `{description}` was created (id {id}) but its token was lost with the answer; it cannot be recovered — revoke that orphan (DELETE /oauth/authorizations/{id}) and mint again"
    )]
    OrphanAuthorization { id: String, description: String },
    /// The create failed ambiguously and we could not tell whether it happened.
    #[error(
        "Heroku POST /oauth/authorizations: may or may not have been created ({cause}); list authorizations and look for `{description}` before minting again"
    )]
    CreateUncertain { description: String, cause: String },
    /// The repository public key could not be used to seal a value.
    #[error("GitHub {call}: {detail} — fetch the repository public key again")]
    Seal { call: Call, detail: String },
    /// A credential needed for this vendor was not found.
    #[error("{vendor}: no credential found — {hint}")]
    MissingCredential { vendor: Vendor, hint: String },
    /// Following a workflow run took longer than allowed.
    #[error(
        "GitHub run {run_id}: still `{status}` after {waited_secs} s — open the run in GitHub, or follow it again"
    )]
    FollowTimeout {
        run_id: u64,
        status: VendorText,
        waited_secs: u64,
    },
    #[error(
        "GitHub run {run_id}: watch stopped by the operator; the run goes on on GitHub{} — retry to watch it again", .url.as_ref().map(|u| format!(" ({u})")).unwrap_or_default()
    )]
    FollowStopped { run_id: u64, url: Option<String> },
}

impl VendorError {
    /// The HTTP status, when the vendor answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            VendorError::Status { status, .. }
            | VendorError::RateLimited { status, .. }
            | VendorError::Decode { status, .. }
            | VendorError::BodyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The vendor's error id (`unauthorized`, `TokenError`, …).
    pub fn vendor_id(&self) -> Option<&str> {
        match self {
            VendorError::Status { id, .. } => id.as_deref(),
            _ => None,
        }
    }

    /// True when the answer means "this credential is not valid" (401).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// True for 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// What to do next after `status` from `vendor`.
pub(crate) fn hint(vendor: Vendor, status: u16, id: Option<&str>) -> String {
    let text = match (vendor, status, id) {
        (Vendor::Infisical, 403, Some("TokenError")) => {
            "the vault access token expired or is malformed; log in again (Universal Auth) or refresh INFISICAL_TOKEN"
        }
        (Vendor::Heroku, 401, _) => {
            "the Heroku token was rejected; run `heroku login` or set KEYTURN_HEROKU_TOKEN"
        }
        (Vendor::Github, 401, _) => {
            "the GitHub token was rejected; run `gh auth login` or set GH_TOKEN"
        }
        (Vendor::Infisical, 401, _) => {
            "the vault credential was rejected; check INFISICAL_TOKEN or the Universal Auth client id/secret"
        }
        (_, 403, _) => {
            "the credential lacks permission for this call; use one with the needed scope"
        }
        (_, 404, _) => {
            "not found: check the names in keyturn.toml (app, repo, workflow, project, path)"
        }
        (_, 422 | 400, _) => {
            "the vendor refused the request body; check the names and values in keyturn.toml"
        }
        (_, 500..=599, _) => "the vendor failed; try again later or check its status page",
        _ => "unexpected answer; try again, and report it if it persists",
    };
    text.to_owned()
}

/// The vendor's error id when it is one (`unauthorized`, `TokenError`): a short name.
/// Anything else in that field (an echoed header, a sentence) is dropped, not shown.
pub(crate) fn error_id(raw: Option<String>) -> Option<String> {
    raw.filter(|id| {
        id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && matches!(crate::redact::redact(id), std::borrow::Cow::Borrowed(_))
    })
}

/// The vendors' error bodies: Heroku `{id, message}`, GitHub `{message}`, Infisical
/// `{error, message}`.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ErrorBody {
    pub id: Option<String>,
    pub error: Option<String>,
    pub message: Option<String>,
}

pub(crate) fn status_text(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("error")
        .to_owned()
}

/// The causes of a transport error, without the URL, redacted (they are not the vendor's
/// words, but a proxy's reset message could be).
pub(crate) fn error_chain(err: &reqwest::Error) -> String {
    crate::redact::redact(&raw_error_chain(err)).into_owned()
}

fn raw_error_chain(err: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    if parts.is_empty() {
        parts.push(if err.is_connect() {
            "could not connect".to_owned()
        } else {
            "the connection broke".to_owned()
        });
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_error_names_call_id_and_hint() {
        let err = VendorError::Status {
            vendor: Vendor::Heroku,
            call: Call {
                method: "GET",
                template: "/account",
            },
            status: 401,
            id: Some("unauthorized".into()),
            message: "Invalid credentials provided.".into(),
            hint: hint(Vendor::Heroku, 401, Some("unauthorized")),
        };
        let text = err.to_string();
        assert!(text.contains("GET /account"), "{text}");
        assert!(text.contains("`unauthorized`"), "{text}");
        assert!(text.contains("heroku login"), "{text}");
        assert!(err.is_unauthorized());
    }
}
