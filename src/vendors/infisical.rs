//! Infisical (the vault, source of truth) over its v3 "raw" secret routes, the ones the
//! official SDKs send. Universal Auth access tokens are renewed a minute before they
//! expire, and a 403 `TokenError` (Infisical's "expired" answer, not a 401) triggers one
//! fresh login and one retry.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::error::{Vendor, VendorError};
use super::http::{Http, HttpOptions, RateBudget, Request, bearer};
use crate::secret::Token;

/// Renew this long before the access token expires.
const RENEW_MARGIN: Duration = Duration::from_secs(60);

/// Where the secret lives: project, environment slug, folder.
#[derive(Debug, Clone)]
pub struct SecretScope {
    pub project_id: String,
    pub environment: String,
    pub secret_path: String,
}

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum VaultAuth {
    /// A ready access token or service token, used as is.
    AccessToken(Token),
    /// A machine identity that logs in (and again when its token expires).
    UniversalAuth {
        client_id: String,
        client_secret: Token,
    },
}

/// The current value of a secret, or an older version of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultSecret {
    pub id: String,
    pub version: u64,
    pub secret_key: String,
    pub secret_value: Token,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct SecretEnvelope {
    secret: VaultSecret,
}

/// One entry of a secret's version history (what a rollback reads).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretVersion {
    pub id: String,
    pub version: u64,
    pub secret_value: Token,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Versions {
    secret_versions: Vec<SecretVersion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Login {
    access_token: Token,
    expires_in: u64,
}

/// Request bodies borrow the secret so it is copied only into the zeroizing request buffer
/// (a `serde_json::Value` would hold an unwiped copy).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginBody<'a> {
    client_id: &'a str,
    client_secret: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct WriteBody<'a> {
    workspace_id: &'a str,
    environment: &'a str,
    secret_path: &'a str,
    secret_value: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// A logged-in access token and when to renew it.
struct Session {
    header: HeaderValue,
    renew_at: Option<Instant>,
}

/// The vault client.
pub struct InfisicalClient {
    http: Http,
    auth: VaultAuth,
    scope: SecretScope,
    session: Mutex<Option<Session>>,
}

impl InfisicalClient {
    /// A client at `base` (e.g. `https://app.infisical.com`) for secrets in `scope`.
    pub fn new(
        base: &str,
        auth: VaultAuth,
        scope: SecretScope,
        options: &HttpOptions,
    ) -> Result<Self, VendorError> {
        let http = Http::new(Vendor::Infisical, base, options, HeaderMap::new())?;
        Ok(InfisicalClient {
            http,
            auth,
            scope,
            session: Mutex::new(None),
        })
    }

    /// The last rate-limit budget seen (Infisical Cloud sends none by default).
    pub fn rate_budget(&self) -> RateBudget {
        self.http.budget()
    }

    /// `POST /api/v1/auth/universal-auth/login`; a no-op for a ready access token.
    pub async fn login(&self) -> Result<(), VendorError> {
        let session = self.new_session().await?;
        *self.session.lock().await = Some(session);
        Ok(())
    }

    async fn new_session(&self) -> Result<Session, VendorError> {
        let (client_id, client_secret) = match &self.auth {
            VaultAuth::AccessToken(token) => {
                return Ok(Session {
                    header: bearer(Vendor::Infisical, token)?,
                    renew_at: None,
                });
            }
            VaultAuth::UniversalAuth {
                client_id,
                client_secret,
            } => (client_id, client_secret),
        };
        let body = LoginBody {
            client_id,
            client_secret: client_secret.expose_for_store_write(),
        };
        let template = "/api/v1/auth/universal-auth/login";
        let req = Request::new(Method::POST, template, template.into()).json(&body);
        let login: Login = self.http.send(&req, None).await?.json()?;
        let ttl = Duration::from_secs(login.expires_in).saturating_sub(RENEW_MARGIN);
        Ok(Session {
            header: bearer(Vendor::Infisical, &login.access_token)?,
            renew_at: Some(Instant::now() + ttl),
        })
    }

    /// The current access header, logging in first when there is none or it is due.
    async fn header(&self) -> Result<HeaderValue, VendorError> {
        let mut guard = self.session.lock().await;
        let due = guard
            .as_ref()
            .is_none_or(|s| s.renew_at.is_some_and(|at| Instant::now() >= at));
        if due {
            *guard = Some(self.new_session().await?);
        }
        guard
            .as_ref()
            .map(|s| s.header.clone())
            .ok_or_else(|| VendorError::MissingCredential {
                vendor: Vendor::Infisical,
                hint: "no vault session".to_owned(),
            })
    }

    /// Sends with the session; on a 403 `TokenError` logs in once more and retries once.
    async fn send(&self, req: &Request) -> Result<super::http::Answer, VendorError> {
        let header = self.header().await?;
        match self.http.send(req, Some(&header)).await {
            Err(err) if is_token_error(&err) && self.can_login() => {
                self.login().await?;
                let header = self.header().await?;
                self.http.send(req, Some(&header)).await
            }
            other => other,
        }
    }

    fn can_login(&self) -> bool {
        matches!(self.auth, VaultAuth::UniversalAuth { .. })
    }

    fn secret_request(method: Method, name: &str) -> Request {
        let path = format!("/api/v3/secrets/raw/{name}");
        Request::new(method, "/api/v3/secrets/raw/{name}", path)
    }

    fn scoped_query(&self, req: Request) -> Request {
        req.query("workspaceId", self.scope.project_id.clone())
            .query("environment", self.scope.environment.clone())
            .query("secretPath", self.scope.secret_path.clone())
            .query("type", "shared")
    }

    /// `GET /api/v3/secrets/raw/{name}`: the current value, version and id.
    pub async fn read_secret(&self, name: &str) -> Result<VaultSecret, VendorError> {
        let req = self
            .scoped_query(Self::secret_request(Method::GET, name))
            .query("viewSecretValue", "true");
        Ok(self.send(&req).await?.json::<SecretEnvelope>()?.secret)
    }

    /// `GET /api/v3/secrets/raw/{name}?version=N`: an older version.
    pub async fn read_secret_version(
        &self,
        name: &str,
        version: u64,
    ) -> Result<VaultSecret, VendorError> {
        let req = self
            .scoped_query(Self::secret_request(Method::GET, name))
            .query("version", version.to_string());
        Ok(self.send(&req).await?.json::<SecretEnvelope>()?.secret)
    }

    /// Writes `value` as a new version (`PATCH`), creating the secret (`POST`) if absent.
    pub async fn write_secret(
        &self,
        name: &str,
        value: &Token,
    ) -> Result<VaultSecret, VendorError> {
        let body = WriteBody {
            workspace_id: &self.scope.project_id,
            environment: &self.scope.environment,
            secret_path: &self.scope.secret_path,
            secret_value: value.expose_for_store_write(),
            kind: "shared",
        };
        let patch = Self::secret_request(Method::PATCH, name).json(&body);
        let answer = match self.send(&patch).await {
            Err(err) if err.is_not_found() => {
                let post = Self::secret_request(Method::POST, name).json(&body);
                self.send(&post).await?
            }
            other => other?,
        };
        Ok(answer.json::<SecretEnvelope>()?.secret)
    }

    /// `GET /api/v1/secret/{secret_id}/secret-versions`, newest first, at most `limit`.
    pub async fn secret_versions(
        &self,
        secret_id: &str,
        limit: u32,
    ) -> Result<Vec<SecretVersion>, VendorError> {
        let path = format!("/api/v1/secret/{secret_id}/secret-versions");
        let req = Request::new(Method::GET, "/api/v1/secret/{id}/secret-versions", path)
            .query("offset", "0")
            .query("limit", limit.to_string());
        Ok(self.send(&req).await?.json::<Versions>()?.secret_versions)
    }
}

fn is_token_error(err: &VendorError) -> bool {
    err.status() == Some(403) && err.vendor_id() == Some("TokenError")
}
