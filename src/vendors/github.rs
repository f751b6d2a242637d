//! GitHub REST (pinned to API version 2022-11-28): the repository's Actions secret (its
//! public key, its metadata, sealed-box writes) and the deploy workflow's runs.
//!
//! The secret's value is write-only on GitHub: its `updated_at` is all we can observe.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use super::error::{Call, Vendor, VendorError};
use super::http::{Http, HttpOptions, RateBudget, Request, bearer};
use crate::config::RepoSlug;
use crate::secret::Token;

mod dispatch;
mod follow;

pub use dispatch::DispatchedRun;
pub use follow::{FollowOptions, WatchStop};

/// The ceiling of one job's log: 16 MiB (other answers get 4 MiB).
pub const JOB_LOG_MAX_BYTES: usize = 16 * 1024 * 1024;

/// The repository's sealed-box public key.
#[derive(Debug, Clone, Deserialize)]
pub struct RepoPublicKey {
    pub key_id: String,
    /// Standard base64 of the 32-byte X25519 key.
    pub key: String,
}

/// What GitHub shows of a secret: never its value.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct SecretMeta {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Whether a secret write created or replaced the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Updated,
}

/// One workflow run.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct WorkflowRun {
    pub id: u64,
    pub name: Option<String>,
    /// The run's title: the workflow's `run-name` when it has one (the probe's carries its nonce).
    #[serde(default)]
    pub display_title: Option<String>,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub head_branch: Option<String>,
    pub run_number: Option<u64>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub html_url: Option<String>,
}

impl WorkflowRun {
    /// True once the run has finished (whatever its conclusion).
    pub fn is_completed(&self) -> bool {
        self.status.as_deref() == Some("completed")
    }

    /// True when it finished with `failure`.
    pub fn failed(&self) -> bool {
        self.conclusion.as_deref() == Some("failure")
    }
}

#[derive(Deserialize)]
struct Runs {
    workflow_runs: Vec<WorkflowRun>,
}

/// One job of a run, with its steps' outcome.
#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    pub id: u64,
    pub name: String,
    pub status: Option<String>,
    pub conclusion: Option<String>,
}

#[derive(Deserialize)]
struct Jobs {
    jobs: Vec<Job>,
}

/// The GitHub client for one repository.
#[derive(Clone)]
pub struct GithubClient {
    http: Http,
    auth: HeaderValue,
    repo: RepoSlug,
}

impl GithubClient {
    /// A client at `base` (e.g. `https://api.github.com`) for `repo`.
    pub fn new(
        base: &str,
        repo: RepoSlug,
        token: &Token,
        options: &HttpOptions,
    ) -> Result<Self, VendorError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            HeaderName::from_static("x-github-api-version"),
            HeaderValue::from_static("2022-11-28"),
        );
        let http = Http::new(Vendor::Github, base, options, headers)?;
        let auth = bearer(Vendor::Github, token)?;
        Ok(GithubClient { http, auth, repo })
    }

    /// The last `x-ratelimit-*` budget seen.
    pub fn rate_budget(&self) -> RateBudget {
        self.http.budget()
    }

    /// The repository this client writes to.
    pub fn repo(&self) -> &RepoSlug {
        &self.repo
    }

    fn path(&self, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", self.repo.owner, self.repo.name)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, req: Request) -> Result<T, VendorError> {
        self.http.send(&req, Some(&self.auth)).await?.json()
    }

    /// `GET …/actions/secrets/public-key`.
    pub async fn public_key(&self) -> Result<RepoPublicKey, VendorError> {
        let path = self.path("/actions/secrets/public-key");
        let template = "/repos/{owner}/{repo}/actions/secrets/public-key";
        self.get(Request::new(Method::GET, template, path)).await
    }

    /// `GET …/actions/secrets/{name}`: name and timestamps only.
    pub async fn secret(&self, name: &str) -> Result<SecretMeta, VendorError> {
        let path = self.path(&format!("/actions/secrets/{name}"));
        let template = "/repos/{owner}/{repo}/actions/secrets/{name}";
        self.get(Request::new(Method::GET, template, path)).await
    }

    /// The secret's metadata (`None` when GitHub has no such secret) and GitHub's own clock
    /// at the answer (its `Date` header), so a write can be proven by a later `updated_at`
    /// without trusting this machine's clock.
    pub async fn secret_seen(
        &self,
        name: &str,
    ) -> Result<(Option<SecretMeta>, Option<DateTime<Utc>>), VendorError> {
        let path = self.path(&format!("/actions/secrets/{name}"));
        let template = "/repos/{owner}/{repo}/actions/secrets/{name}";
        let req = Request::new(Method::GET, template, path);
        match self.http.send(&req, Some(&self.auth)).await {
            Ok(answer) => {
                let date = answer
                    .headers
                    .get(reqwest::header::DATE)
                    .and_then(|d| d.to_str().ok())
                    .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                    .map(|d| d.with_timezone(&Utc));
                Ok((Some(answer.json()?), date))
            }
            Err(err) if err.is_not_found() => Ok((None, None)),
            Err(err) => Err(err),
        }
    }

    /// Seals `value` to the repository key and `PUT`s it. Only the answers GitHub documents
    /// count: 201 (created) and 204 (updated); any other success status is not a proof that
    /// the secret changed, and fails the call.
    pub async fn write_secret(
        &self,
        name: &str,
        value: &Token,
    ) -> Result<WriteOutcome, VendorError> {
        let key = self.public_key().await?;
        let template = "/repos/{owner}/{repo}/actions/secrets/{name}";
        let call = Call {
            method: "PUT",
            template,
        };
        let sealed = value
            .seal(&decode_public_key(&key.key, call)?)
            .map_err(|e| VendorError::Seal {
                call,
                detail: e.to_string(),
            })?;
        let body = serde_json::json!({
            "encrypted_value": STANDARD.encode(sealed),
            "key_id": key.key_id,
        });
        let path = self.path(&format!("/actions/secrets/{name}"));
        let req = Request::new(Method::PUT, template, path).json(&body);
        let answer = self.http.send(&req, Some(&self.auth)).await?;
        match answer.status {
            201 => Ok(WriteOutcome::Created),
            204 => Ok(WriteOutcome::Updated),
            status => Err(VendorError::Decode {
                vendor: Vendor::Github,
                call,
                status,
                detail: "GitHub documents 201 (created) or 204 (updated) for a secret write; this answer does not prove the secret changed".into(),
            }),
        }
    }

    /// `POST …/workflows/{workflow}/dispatches` with `git_ref` and `inputs` (204).
    pub async fn dispatch_workflow(
        &self,
        workflow: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<(), VendorError> {
        let path = self.path(&format!("/actions/workflows/{workflow}/dispatches"));
        let template = "/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches";
        let body = serde_json::json!({ "ref": git_ref, "inputs": inputs });
        let req = Request::new(Method::POST, template, path).json(&body);
        self.http.send(&req, Some(&self.auth)).await.map(drop)
    }

    /// `GET …/workflows/{workflow}/runs`, newest first, at most `per_page` (≤ 100).
    pub async fn workflow_runs(
        &self,
        workflow: &str,
        per_page: u32,
    ) -> Result<Vec<WorkflowRun>, VendorError> {
        let path = self.path(&format!("/actions/workflows/{workflow}/runs"));
        let template = "/repos/{owner}/{repo}/actions/workflows/{workflow}/runs";
        let req = Request::new(Method::GET, template, path)
            .query("per_page", per_page.clamp(1, 100).to_string());
        Ok(self.get::<Runs>(req).await?.workflow_runs)
    }

    /// The newest run of `workflow`, if any.
    pub async fn latest_run(&self, workflow: &str) -> Result<Option<WorkflowRun>, VendorError> {
        Ok(self.workflow_runs(workflow, 1).await?.into_iter().next())
    }

    /// `GET …/actions/runs/{run_id}`.
    pub async fn run(&self, run_id: u64) -> Result<WorkflowRun, VendorError> {
        let path = self.path(&format!("/actions/runs/{run_id}"));
        let template = "/repos/{owner}/{repo}/actions/runs/{run_id}";
        self.get(Request::new(Method::GET, template, path)).await
    }

    /// `GET …/actions/runs/{run_id}/jobs`.
    pub async fn run_jobs(&self, run_id: u64) -> Result<Vec<Job>, VendorError> {
        let path = self.path(&format!("/actions/runs/{run_id}/jobs"));
        let template = "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs";
        Ok(self
            .get::<Jobs>(Request::new(Method::GET, template, path))
            .await?
            .jobs)
    }

    /// `GET …/actions/jobs/{job_id}/logs` as text (redirects are followed), at most
    /// [`JOB_LOG_MAX_BYTES`]: a log is the one answer that may be long.
    pub async fn job_logs(&self, job_id: u64) -> Result<String, VendorError> {
        let path = self.path(&format!("/actions/jobs/{job_id}/logs"));
        let template = "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs";
        let req = Request::new(Method::GET, template, path).max_body(JOB_LOG_MAX_BYTES);
        let answer = self.http.send(&req, Some(&self.auth)).await?;
        Ok(String::from_utf8_lossy(&answer.body).into_owned())
    }
}

/// Decodes GitHub's base64 public key into an X25519 key.
pub fn decode_public_key(key: &str, call: Call) -> Result<crypto_box::PublicKey, VendorError> {
    let bytes = STANDARD.decode(key.trim()).map_err(|e| VendorError::Seal {
        call,
        detail: format!("the repository public key is not base64 ({e})"),
    })?;
    let array: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| VendorError::Seal {
        call,
        detail: format!("the repository public key has {} bytes, not 32", b.len()),
    })?;
    Ok(crypto_box::PublicKey::from(array))
}
