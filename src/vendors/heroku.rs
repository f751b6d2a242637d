//! Heroku Platform API v3: the account (and validating any token), OAuth authorizations,
//! config vars, dynos and releases.
//!
//! Creating an authorization is the one call that must never be retried blindly: its token
//! is shown once. On an ambiguous failure we list authorizations and, if ours was created,
//! report the orphan ([`VendorError::OrphanAuthorization`]) so the operator revokes it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use super::error::{Vendor, VendorError};
use super::http::{Http, HttpOptions, RateBudget, Request, bearer};
use crate::secret::Token;

/// The ceiling of a config-vars answer: 1 MiB, 32 times Heroku's own 32 KB limit on an
/// app's config vars; the drift audit reads many apps at once, so this one is kept small.
pub const CONFIG_VARS_MAX_BYTES: usize = 1024 * 1024;

/// `GET /account`, the fields keyturn shows.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub id: String,
    pub email: String,
}

/// What `GET /account` says about a token.
#[derive(Debug)]
pub enum Validation {
    /// 200: the token works, for this account.
    Valid { email: String },
    /// 401: the token is dead.
    Invalid,
    /// Anything else: we could not tell.
    Unknown(VendorError),
}

/// An OAuth authorization. Listing may carry tokens; they stay inside [`Token`]s.
#[derive(Debug, Clone, Deserialize)]
pub struct Authorization {
    pub id: String,
    pub description: Option<String>,
    #[serde(default)]
    pub scope: Vec<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub access_token: Option<AccessToken>,
}

/// The access token part of an authorization.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessToken {
    pub id: Option<String>,
    pub token: Option<Token>,
    pub expires_in: Option<u64>,
}

/// A freshly created authorization: its id and its token, captured together.
#[derive(Debug, Clone)]
pub struct CreatedAuthorization {
    pub id: String,
    pub description: String,
    pub token: Token,
}

/// The mark keyturn puts on an authorization it minted while that rotation is in flight:
/// every operator's `heroku authorizations` (and every keyturn's pre-checks) sees it.
pub fn pending_mark(session: &str) -> String {
    format!("[keyturn: rotation in flight, session {session}]")
}

/// The session whose in-flight mark this description carries, if any.
pub fn marked_session(description: &str) -> Option<&str> {
    let start = description.find("[keyturn: rotation in flight, session ")?;
    let rest = &description[start + "[keyturn: rotation in flight, session ".len()..];
    rest.split_once(']').map(|(session, _)| session)
}

/// The description without an in-flight mark.
pub fn unmarked(description: &str) -> &str {
    description
        .find(" [keyturn: rotation in flight, session ")
        .map_or(description, |at| &description[..at])
}

/// What to create.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewAuthorization {
    pub scope: Vec<String>,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

/// An app's config vars. Every value is a [`Token`]: other vars are secrets too.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct ConfigVars(pub BTreeMap<String, Token>);

impl ConfigVars {
    pub fn get(&self, key: &str) -> Option<&Token> {
        self.0.get(key)
    }
}

/// One release (to show the config change landed).
#[derive(Debug, Clone, Deserialize)]
pub struct Release {
    pub id: String,
    pub version: u64,
    pub description: String,
    pub status: Option<String>,
    pub current: Option<bool>,
    pub created_at: Option<DateTime<Utc>>,
}

/// One dyno (to show "restarting").
#[derive(Debug, Clone, Deserialize)]
pub struct Dyno {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub state: String,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The Heroku client, authenticated as the operator.
#[derive(Clone)]
pub struct HerokuClient {
    http: Http,
    auth: HeaderValue,
}

impl HerokuClient {
    /// A client at `base` (e.g. `https://api.heroku.com`) using `token`.
    pub fn new(base: &str, token: &Token, options: &HttpOptions) -> Result<Self, VendorError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.heroku+json; version=3"),
        );
        let http = Http::new(Vendor::Heroku, base, options, headers)?;
        Ok(HerokuClient {
            http,
            auth: bearer(Vendor::Heroku, token)?,
        })
    }

    /// The remaining request budget (`RateLimit-Remaining` of 4500).
    pub fn rate_budget(&self) -> RateBudget {
        self.http.budget()
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, req: Request) -> Result<T, VendorError> {
        self.http.send(&req, Some(&self.auth)).await?.json()
    }

    /// `GET /account` with the operator's token.
    pub async fn account(&self) -> Result<Account, VendorError> {
        self.get(Request::new(Method::GET, "/account", "/account".into()))
            .await
    }

    /// `GET /account` with `token`: 200 valid, 401 invalid, anything else unknown.
    pub async fn validate(&self, token: &Token) -> Validation {
        let auth = match bearer(Vendor::Heroku, token) {
            Ok(auth) => auth,
            Err(err) => return Validation::Unknown(err),
        };
        let req = Request::new(Method::GET, "/account", "/account".into());
        match self.http.send(&req, Some(&auth)).await {
            Ok(answer) => match answer.json::<Account>() {
                Ok(account) => Validation::Valid {
                    email: account.email,
                },
                Err(err) => Validation::Unknown(err),
            },
            Err(err) if err.is_unauthorized() => Validation::Invalid,
            Err(err) => Validation::Unknown(err),
        }
    }

    /// `GET /oauth/authorizations` (up to 1000).
    pub async fn list_authorizations(&self) -> Result<Vec<Authorization>, VendorError> {
        let req = Request::new(
            Method::GET,
            "/oauth/authorizations",
            "/oauth/authorizations".into(),
        )
        .header(range(), HeaderValue::from_static("id ..; max=1000"));
        self.get(req).await
    }

    /// `GET /oauth/authorizations/{id}`.
    pub async fn get_authorization(&self, id: &str) -> Result<Authorization, VendorError> {
        let path = format!("/oauth/authorizations/{id}");
        self.get(Request::new(
            Method::GET,
            "/oauth/authorizations/{id}",
            path,
        ))
        .await
    }

    /// `DELETE /oauth/authorizations/{id}`: the token answers 401 from then on.
    pub async fn delete_authorization(&self, id: &str) -> Result<Authorization, VendorError> {
        let path = format!("/oauth/authorizations/{id}");
        self.get(Request::new(
            Method::DELETE,
            "/oauth/authorizations/{id}",
            path,
        ))
        .await
    }

    /// `PATCH /oauth/authorizations/{id}` with a new description (Heroku's "Update"); the
    /// token is untouched. keyturn marks an authorization it minted as pending this way
    /// until the rotation ends, so every operator's listing shows a rotation in flight.
    pub async fn update_authorization_description(
        &self,
        id: &str,
        description: &str,
    ) -> Result<Authorization, VendorError> {
        let path = format!("/oauth/authorizations/{id}");
        let body = serde_json::json!({ "description": description });
        let req = Request::new(Method::PATCH, "/oauth/authorizations/{id}", path).json(&body);
        self.get(req).await
    }

    /// `POST /oauth/authorizations`, never retried blindly (see the module docs).
    pub async fn create_authorization(
        &self,
        new: &NewAuthorization,
    ) -> Result<CreatedAuthorization, VendorError> {
        let req = Request::new(
            Method::POST,
            "/oauth/authorizations",
            "/oauth/authorizations".into(),
        )
        .json(new);
        let started = Utc::now();
        let outcome = match self.http.send(&req, Some(&self.auth)).await {
            Ok(answer) => answer.json::<Authorization>(),
            Err(err) => Err(err),
        };
        match outcome {
            Ok(created) => captured(created, &new.description),
            Err(err) if is_ambiguous(&err) => {
                Err(self.check_orphan(&new.description, started, err).await)
            }
            Err(err) => Err(err),
        }
    }

    /// After an ambiguous create: was it created? If so it is an orphan. Only authorizations
    /// made since the attempt (with clock-skew slack) count, so an earlier same-day
    /// authorization with the same description is not mistaken for it.
    async fn check_orphan(
        &self,
        description: &str,
        started: DateTime<Utc>,
        cause: VendorError,
    ) -> VendorError {
        let since = started - chrono::Duration::minutes(5);
        match self.list_authorizations().await {
            Ok(list) => list
                .into_iter()
                .filter(|a| a.description.as_deref() == Some(description))
                .filter(|a| a.created_at.is_none_or(|t| t >= since))
                .max_by_key(|a| a.created_at)
                .map_or(cause, |orphan| VendorError::OrphanAuthorization {
                    id: orphan.id,
                    description: description.to_owned(),
                }),
            Err(list_err) => VendorError::CreateUncertain {
                description: description.to_owned(),
                cause: format!("{cause}; listing failed too: {list_err}"),
            },
        }
    }

    /// `GET /apps/{app}/config-vars` (at most [`CONFIG_VARS_MAX_BYTES`]).
    pub async fn config_vars(&self, app: &str) -> Result<ConfigVars, VendorError> {
        let path = format!("/apps/{app}/config-vars");
        let req = Request::new(Method::GET, "/apps/{app}/config-vars", path)
            .max_body(CONFIG_VARS_MAX_BYTES);
        self.get(req).await
    }

    /// `PATCH /apps/{app}/config-vars` with every change of this app in one body
    /// (`None` removes a key). One PATCH means one release and one restart.
    pub async fn set_config_vars(
        &self,
        app: &str,
        changes: &[(&str, Option<&Token>)],
    ) -> Result<ConfigVars, VendorError> {
        let body: BTreeMap<&str, Option<&str>> = changes
            .iter()
            .map(|(key, value)| (*key, value.map(Token::expose_for_store_write)))
            .collect();
        let path = format!("/apps/{app}/config-vars");
        let req = Request::new(Method::PATCH, "/apps/{app}/config-vars", path)
            .json(&body)
            .max_body(CONFIG_VARS_MAX_BYTES);
        self.get(req).await
    }

    /// `DELETE /apps/{app}/dynos`: restart every dyno.
    pub async fn restart_dynos(&self, app: &str) -> Result<(), VendorError> {
        let path = format!("/apps/{app}/dynos");
        let req = Request::new(Method::DELETE, "/apps/{app}/dynos", path);
        self.http.send(&req, Some(&self.auth)).await.map(drop)
    }

    /// `GET /apps/{app}/releases`, newest first, at most `max`.
    pub async fn releases(&self, app: &str, max: u32) -> Result<Vec<Release>, VendorError> {
        let path = format!("/apps/{app}/releases");
        let value = HeaderValue::from_str(&format!("version ..; order=desc, max={max}"))
            .unwrap_or(HeaderValue::from_static("version ..; order=desc, max=10"));
        let req = Request::new(Method::GET, "/apps/{app}/releases", path).header(range(), value);
        self.get(req).await
    }

    /// `GET /apps/{app}/dynos`.
    pub async fn dynos(&self, app: &str) -> Result<Vec<Dyno>, VendorError> {
        let path = format!("/apps/{app}/dynos");
        self.get(Request::new(Method::GET, "/apps/{app}/dynos", path))
            .await
    }
}

fn range() -> HeaderName {
    HeaderName::from_static("range")
}

/// The created authorization with its token, or an orphan error if the token is missing.
fn captured(
    created: Authorization,
    description: &str,
) -> Result<CreatedAuthorization, VendorError> {
    match created.access_token.and_then(|a| a.token) {
        Some(token) => Ok(CreatedAuthorization {
            id: created.id,
            description: description.to_owned(),
            token,
        }),
        None => Err(VendorError::OrphanAuthorization {
            id: created.id,
            description: description.to_owned(),
        }),
    }
}

/// A failure after which the authorization may exist: no answer, a 5xx, or an unreadable
/// (or oversized) 2xx.
fn is_ambiguous(err: &VendorError) -> bool {
    match err {
        VendorError::Timeout { .. }
        | VendorError::Connection { .. }
        | VendorError::Decode { .. }
        | VendorError::BodyTooLarge { .. } => true,
        VendorError::Status { status, .. } => *status >= 500,
        _ => false,
    }
}
