//! The simulated world (one lock over all three vendors, because a deploy run's outcome
//! depends on Heroku's view of GitHub's secret) and [`SimState`], the inspection handle.
//!
//! All `SimState` methods are synchronous and cheap: the lock is never held across an
//! `.await`, so tests may call them from async code freely.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::Vendor;

/// A Heroku OAuth authorization as the simulator keeps it (revoked ones stay, flagged).
#[derive(Clone, Debug)]
pub struct SimAuthorization {
    pub id: String,
    pub description: String,
    pub token: String,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub scope: Vec<String>,
    /// Seconds; `None` = never expires.
    pub expires_in: Option<i64>,
    pub access_token_id: String,
}

impl SimAuthorization {
    /// Not revoked, and not past `expires_in` (counted from the last token change).
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        let expired = self
            .expires_in
            .is_some_and(|secs| now >= self.updated_at + chrono::Duration::seconds(secs));
        !self.revoked && !expired
    }
}

/// One version of the vault secret.
#[derive(Clone, Debug)]
pub struct SimVaultVersion {
    pub id: String,
    pub version: u64,
    pub value: String,
    pub created_at: DateTime<Utc>,
}

/// A GitHub Actions workflow run.
#[derive(Clone, Debug)]
pub struct SimWorkflowRun {
    pub id: u64,
    pub workflow_id: u64,
    pub name: String,
    /// GitHub's `display_title`: the workflow's `run-name` (the probe's carries its nonce).
    pub display_title: String,
    pub event: String,
    /// `queued`, `in_progress` or `completed`.
    pub status: String,
    /// `success`/`failure` once completed.
    pub conclusion: Option<String>,
    pub head_branch: String,
    pub head_sha: String,
    pub run_number: u64,
    pub actor: String,
    pub inputs: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The job's log (plain text), complete once the run is.
    pub log: String,
}

/// One answered request (faults included; a hung request is logged with status 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    pub vendor: Vendor,
    pub method: String,
    pub path: String,
    pub status: u16,
}

#[derive(Clone, Debug)]
pub(crate) struct Release {
    pub id: String,
    pub version: u64,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub(crate) struct App {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub config: BTreeMap<String, String>,
    pub releases: Vec<Release>,
    /// `(id, name)` of each dyno; their state derives from `restarted_at`.
    pub dynos: Vec<(String, String)>,
    pub restarted_at: Option<Instant>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) struct Heroku {
    pub account_id: String,
    pub email: String,
    pub operator_token: String,
    pub authorizations: Vec<SimAuthorization>,
    pub apps: Vec<App>,
    /// Request tokens left in the pool, refilled at `REFILL_PER_MINUTE`.
    pub pool: f64,
    pub pool_at: Instant,
    pub dyno_restart: Duration,
}

#[derive(Clone, Debug)]
pub(crate) struct GithubSecret {
    pub value: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub(crate) struct Workflow {
    pub id: u64,
    pub name: String,
    pub file: String,
    pub inputs: Vec<String>,
    pub created_at: DateTime<Utc>,
}

pub(crate) struct Github {
    pub login: String,
    pub user_id: u64,
    pub token: String,
    pub owner: String,
    pub repo: String,
    pub repo_id: u64,
    pub key_id: String,
    pub secret_key: [u8; 32],
    /// Repository secrets by upper-case name.
    pub secrets: BTreeMap<String, GithubSecret>,
    /// Environment secrets: environment → name → secret.
    pub env_secrets: BTreeMap<String, BTreeMap<String, GithubSecret>>,
    /// Organization secrets of the repository's owner.
    pub org_secrets: BTreeMap<String, GithubSecret>,
    pub workflows: Vec<Workflow>,
    pub runs: Vec<SimWorkflowRun>,
    pub rate_remaining: u32,
    pub step: Duration,
    /// The secret whose validity decides a deploy run's conclusion (and that the probe reads).
    pub deploy_secret: String,
    /// How the probe workflow's runs behave.
    pub probe: super::github_probe::ProbeSim,
}

pub(crate) struct VaultSecret {
    pub id: String,
    pub environment: String,
    pub path: String,
    pub key: String,
    pub comment: String,
    pub versions: Vec<SimVaultVersion>,
}

pub(crate) struct Vault {
    pub client_id: String,
    pub client_secret: String,
    pub project_id: String,
    pub environment: String,
    pub path: String,
    pub key: String,
    /// Access token → expiry.
    pub access_tokens: HashMap<String, Instant>,
    pub secrets: Vec<VaultSecret>,
}

pub(crate) struct World {
    pub heroku: Heroku,
    pub github: Github,
    pub vault: Vault,
    pub requests: Vec<LoggedRequest>,
}

/// Heroku's pool refill rate.
const REFILL_PER_MINUTE: f64 = 75.0;
/// Heroku's pool size.
pub(crate) const POOL_SIZE: f64 = 4500.0;

impl Heroku {
    /// True when `token` is the operator's or a live, unexpired authorization's token.
    pub fn token_is_valid(&self, token: &str) -> bool {
        !token.is_empty()
            && (token == self.operator_token
                || self
                    .authorizations
                    .iter()
                    .any(|a| a.token == token && a.is_live(Utc::now())))
    }

    /// Takes one request token from the pool; `false` when it is empty.
    pub fn take_from_pool(&mut self) -> bool {
        let elapsed = self.pool_at.elapsed().as_secs_f64();
        self.pool = (self.pool + elapsed * REFILL_PER_MINUTE / 60.0).min(POOL_SIZE);
        self.pool_at = Instant::now();
        if self.pool < 1.0 {
            return false;
        }
        self.pool -= 1.0;
        true
    }

    pub fn app_mut(&mut self, id_or_name: &str) -> Option<&mut App> {
        self.apps
            .iter_mut()
            .find(|a| a.name == id_or_name || a.id == id_or_name)
    }
}

impl Vault {
    /// The configured secret (project/env/path/key of the scenario).
    pub fn main_secret(&self) -> Option<&VaultSecret> {
        self.secrets
            .iter()
            .find(|s| s.key == self.key && s.path == self.path && s.environment == self.environment)
    }
}

/// Cheap, cloneable handle on the simulated world, for assertions and test set-up.
#[derive(Clone)]
pub struct SimState {
    world: Arc<Mutex<World>>,
}

impl SimState {
    pub(crate) fn new(world: World) -> SimState {
        SimState {
            world: Arc::new(Mutex::new(world)),
        }
    }

    /// Locks the world. A panicked handler cannot leave it half-written in a way that
    /// matters for a simulator, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The vault's current value of the configured secret.
    pub fn vault_value(&self) -> Option<String> {
        let w = self.lock();
        w.vault
            .main_secret()
            .and_then(|s| s.versions.last())
            .map(|v| v.value.clone())
    }

    /// Every version of the configured vault secret, oldest first.
    pub fn vault_versions(&self) -> Vec<SimVaultVersion> {
        let w = self.lock();
        w.vault
            .main_secret()
            .map(|s| s.versions.clone())
            .unwrap_or_default()
    }

    /// Writes a new version of the configured vault secret (created if absent).
    pub fn set_vault_value(&self, value: &str) {
        let mut w = self.lock();
        let (env, path, key) = (
            w.vault.environment.clone(),
            w.vault.path.clone(),
            w.vault.key.clone(),
        );
        super::infisical::write_version(&mut w.vault, &env, &path, &key, value);
    }

    /// The plaintext of a GitHub secret, as decrypted at its last PUT.
    pub fn github_secret_value(&self, name: &str) -> Option<String> {
        let w = self.lock();
        w.github
            .secrets
            .get(&name.to_ascii_uppercase())
            .map(|s| s.value.clone())
    }

    pub fn github_secret_updated_at(&self, name: &str) -> Option<DateTime<Utc>> {
        let w = self.lock();
        w.github
            .secrets
            .get(&name.to_ascii_uppercase())
            .map(|s| s.updated_at)
    }

    /// Sets a GitHub secret's plaintext as if it had been PUT now.
    pub fn set_github_secret(&self, name: &str, value: &str) {
        let mut w = self.lock();
        let now = Utc::now();
        let entry = w
            .github
            .secrets
            .entry(name.to_ascii_uppercase())
            .or_insert_with(|| GithubSecret {
                value: String::new(),
                created_at: now,
                updated_at: now,
            });
        value.clone_into(&mut entry.value);
        entry.updated_at = now;
    }

    /// A config var of an app (by name or id).
    pub fn app_config_var(&self, app: &str, key: &str) -> Option<String> {
        let mut w = self.lock();
        w.heroku
            .app_mut(app)
            .and_then(|a| a.config.get(key).cloned())
    }

    /// Sets a config var directly (no release, no restart).
    pub fn set_app_config_var(&self, app: &str, key: &str, value: &str) {
        let mut w = self.lock();
        if let Some(a) = w.heroku.app_mut(app) {
            a.config.insert(key.to_owned(), value.to_owned());
        }
    }

    /// The app names, in scenario order.
    pub fn app_names(&self) -> Vec<String> {
        self.lock()
            .heroku
            .apps
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    /// Release versions and descriptions of an app, oldest first.
    pub fn app_releases(&self, app: &str) -> Vec<(u64, String)> {
        let mut w = self.lock();
        w.heroku
            .app_mut(app)
            .map(|a| {
                a.releases
                    .iter()
                    .map(|r| (r.version, r.description.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every authorization ever made, revoked ones included.
    pub fn authorizations(&self) -> Vec<SimAuthorization> {
        self.lock().heroku.authorizations.clone()
    }

    /// Revokes the authorization holding `token`; `false` if none does.
    pub fn revoke_token(&self, token: &str) -> bool {
        let mut w = self.lock();
        let found = w
            .heroku
            .authorizations
            .iter_mut()
            .find(|a| a.token == token && !a.revoked);
        found.map(|a| a.revoked = true).is_some()
    }

    /// Would simulated Heroku accept this token right now?
    pub fn token_is_valid(&self, token: &str) -> bool {
        self.lock().heroku.token_is_valid(token)
    }

    /// Every workflow run, oldest first.
    pub fn workflow_runs(&self) -> Vec<SimWorkflowRun> {
        self.lock().github.runs.clone()
    }

    /// Every answered request, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().requests.clone()
    }

    /// Empties (or refills) Heroku's rate-limit pool.
    pub fn set_heroku_rate_remaining(&self, remaining: u32) {
        let mut w = self.lock();
        w.heroku.pool = f64::from(remaining);
        w.heroku.pool_at = Instant::now();
    }

    /// Sets GitHub's `x-ratelimit-remaining`; 0 makes every call answer 403.
    pub fn set_github_rate_remaining(&self, remaining: u32) {
        self.lock().github.rate_remaining = remaining;
    }

    /// Expires every issued vault access token (the next call gets 403 `TokenError`).
    pub fn expire_vault_access_tokens(&self) {
        let now = Instant::now();
        for expiry in self.lock().vault.access_tokens.values_mut() {
            *expiry = now;
        }
    }

    /// Every vault access token issued so far (expired ones too): tests look for leaks.
    pub fn vault_access_tokens(&self) -> Vec<String> {
        self.lock().vault.access_tokens.keys().cloned().collect()
    }

    pub(crate) fn log(&self, entry: LoggedRequest) {
        self.lock().requests.push(entry);
    }
}
