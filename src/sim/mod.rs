//! The embedded vendor simulator: Heroku, GitHub and Infisical on three loopback listeners.
//!
//! Each vendor gets its own port so every client sees a root base URL like the real one
//! (`http://127.0.0.1:PORT`, no prefix). The simulator follows `API.md` to the letter —
//! paths, status codes, error bodies, rate-limit headers and the quirks real clients rely
//! on — because the demo, the tests and third-party tools are all pointed at it.
//!
//! Nothing here depends on keyturn's client side: tokens inside the simulator are plain
//! `String`s (they are fake), and the state is inspected through [`SimState`].

// Handlers bail out early with a ready vendor error `Response`; boxing it would only add
// noise to every route, and none of this is a hot path.
#![allow(clippy::result_large_err)]

mod control;
mod echo;
mod faults;
mod generate;
mod github;
mod github_actions;
mod github_probe;
mod github_runs;
mod github_secrets;
mod github_shapes;
mod github_web;
mod heroku;
mod heroku_apps;
mod http;
mod infisical;
mod infisical_store;
mod range;
mod scenario;
mod state;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use control::{Control, NONCE_HEADER, SESSION_PATH, SHUTDOWN_PATH, SessionAnswer};
pub use faults::{FaultAction, FaultRule, Faults, Latency};
pub use github_actions::INVALID_TOKEN_LINE;
pub use github_probe::{ProbeMode, probe_line};
pub use github_secrets::open_sealed;
pub use scenario::{Scenario, UnknownScenario};
pub use state::{LoggedRequest, SimAuthorization, SimState, SimVaultVersion, SimWorkflowRun};

use crate::config::Config;
use crate::config::credentials::{Credential, Credentials, Source, VaultCredential};
use crate::secret::Token;

/// The three simulated vendors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vendor {
    Heroku,
    Github,
    Infisical,
}

impl Vendor {
    /// All vendors, in listener order.
    pub const ALL: [Vendor; 3] = [Vendor::Heroku, Vendor::Github, Vendor::Infisical];
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Vendor::Heroku => "heroku",
            Vendor::Github => "github",
            Vendor::Infisical => "infisical",
        })
    }
}

/// How a simulator is started. `0` ports mean "any free port".
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Scale the scenario to this many Heroku apps (default: the four of the SOPs).
    pub apps: Option<usize>,
    /// Seed of every generated token, id and key pair: same seed, same world.
    pub seed: u64,
    pub heroku_port: u16,
    pub github_port: u16,
    pub infisical_port: u16,
    /// Duration of each phase of a dispatched workflow run (queued, then in progress).
    pub workflow_step: Duration,
    /// How long dynos show `starting` after a restart or config change.
    pub dyno_restart: Duration,
    /// Latency added to every vendor's answers (fault rules can override per vendor).
    pub latency: Latency,
    /// Remote control for a simulator that outlives its starter (`keyturn demo`): hidden
    /// routes answering only to its nonce, and an activity clock for an idle timeout.
    pub control: Option<Control>,
}

impl Default for SimOptions {
    /// Demo pace: runs take a few seconds, restarts are visible for a moment.
    fn default() -> Self {
        SimOptions {
            apps: None,
            seed: 1,
            heroku_port: 0,
            github_port: 0,
            infisical_port: 0,
            workflow_step: Duration::from_millis(1500),
            dyno_restart: Duration::from_secs(3),
            latency: Latency::None,
            control: None,
        }
    }
}

impl SimOptions {
    /// Test pace: every simulated delay is about 50 ms.
    pub fn fast() -> Self {
        SimOptions {
            workflow_step: Duration::from_millis(50),
            dyno_restart: Duration::from_millis(50),
            ..SimOptions::default()
        }
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on 127.0.0.1:{port} for the {vendor} simulator: {source}")]
    Bind {
        vendor: Vendor,
        port: u16,
        source: std::io::Error,
    },
    #[error("the generated simulator config is invalid (a keyturn bug): {0}")]
    Config(String),
}

/// The credentials of the simulated world. All values are simulated, so plain strings.
/// Serializable for the remote control's hand-over on loopback, never for a file.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SimCredentials {
    /// The operator's user-level Heroku token (what `heroku login` would store).
    pub heroku_operator_token: String,
    /// A GitHub token with admin rights on the repository.
    pub github_token: String,
    /// `owner/repo`.
    pub github_repo: String,
    /// Base64 of the repository's X25519 secret key, so tests can open what was written.
    pub github_private_key_b64: String,
    pub infisical_client_id: String,
    pub infisical_client_secret: String,
    pub infisical_project_id: String,
    pub infisical_environment: String,
    pub secret_path: String,
    pub secret_name: String,
}

impl SimCredentials {
    /// These credentials as keyturn's resolver would have found them.
    pub fn keyturn_credentials(&self) -> Credentials {
        let credential = |value: &str| Credential {
            token: Token::new(value),
            source: Source::Simulator,
            warning: None,
        };
        Credentials {
            heroku: Some(credential(&self.heroku_operator_token)),
            github: Some(credential(&self.github_token)),
            vault: Some(VaultCredential::UniversalAuth {
                client_id: self.infisical_client_id.clone(),
                client_secret: Token::new(self.infisical_client_secret.as_str()),
            }),
        }
    }
}

/// The config of a simulator known only by its URLs, credentials and app names: one that
/// runs in another process (the demo's, taken up by `keyturn demo --resume`).
pub fn remote_config(
    credentials: &SimCredentials,
    apps: &[String],
    urls: [String; 3],
) -> Result<Config, SimError> {
    let toml = generate::config_toml(credentials, apps, urls);
    let mut config = Config::parse(&toml, std::path::Path::new("<simulator>"))
        .map_err(|e| SimError::Config(e.to_string()))?;
    config.simulated = true;
    Ok(config)
}

/// Entry point: `Sim::start(scenario, options)`.
pub struct Sim;

impl Sim {
    /// Builds the scenario's world and starts the three listeners.
    pub async fn start(scenario: Scenario, options: SimOptions) -> Result<SimHandle, SimError> {
        let built = scenario::build(scenario, &options);
        let state = SimState::new(built.world);
        let faults = Faults::new(options.latency.clone());
        let control = options.control.as_ref();
        let mut servers = Vec::new();
        for (vendor, port) in [
            (Vendor::Heroku, options.heroku_port),
            (Vendor::Github, options.github_port),
            (Vendor::Infisical, options.infisical_port),
        ] {
            let mut router = http::router(vendor, state.clone(), faults.clone());
            if let Some(control) = control {
                if vendor == Vendor::Heroku {
                    router = router.merge(control::routes(control, &built.credentials, &state));
                }
                router = router.layer(axum::middleware::from_fn_with_state(
                    control.clone(),
                    control::touch,
                ));
            }
            servers.push(serve(vendor, port, router).await?);
        }
        Ok(SimHandle {
            credentials: built.credentials,
            state,
            faults,
            servers,
        })
    }
}

/// One running listener.
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

async fn serve(vendor: Vendor, port: u16, router: axum::Router) -> Result<Server, SimError> {
    let bind_err = |source| SimError::Bind {
        vendor,
        port,
        source,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serving = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(why) = serving.await {
            tracing::warn!("{vendor} simulator stopped: {why}");
        }
    });
    Ok(Server { addr, stop, task })
}

/// A running simulator: its URLs, credentials, state and fault controls.
pub struct SimHandle {
    credentials: SimCredentials,
    state: SimState,
    faults: Faults,
    servers: Vec<Server>,
}

impl SimHandle {
    fn url(&self, index: usize) -> String {
        self.servers
            .get(index)
            .map(|s| format!("http://{}", s.addr))
            .unwrap_or_default()
    }

    /// `http://127.0.0.1:PORT` of the simulated Heroku Platform API.
    pub fn heroku_url(&self) -> String {
        self.url(0)
    }

    /// `http://127.0.0.1:PORT` of the simulated GitHub REST API.
    pub fn github_url(&self) -> String {
        self.url(1)
    }

    /// `http://127.0.0.1:PORT` of the simulated Infisical API.
    pub fn infisical_url(&self) -> String {
        self.url(2)
    }

    pub fn credentials(&self) -> &SimCredentials {
        &self.credentials
    }

    /// The simulated credentials as keyturn's resolver would have found them.
    pub fn keyturn_credentials(&self) -> Credentials {
        self.credentials.keyturn_credentials()
    }

    /// A ready `keyturn.toml` pointing at this simulator.
    pub fn config_toml(&self) -> String {
        generate::config_toml(
            &self.credentials,
            &self.state.app_names(),
            [self.heroku_url(), self.github_url(), self.infisical_url()],
        )
    }

    /// The three base URLs, in listener order (Heroku, GitHub, Infisical).
    pub fn urls(&self) -> [String; 3] {
        [self.heroku_url(), self.github_url(), self.infisical_url()]
    }

    /// [`SimHandle::config_toml`], parsed.
    pub fn config(&self) -> Config {
        self.try_config().unwrap_or_else(|why| {
            unreachable!("the simulator's generated config must parse: {why}")
        })
    }

    /// [`SimHandle::config_toml`], parsed, with the error if it does not.
    pub fn try_config(&self) -> Result<Config, SimError> {
        remote_config(&self.credentials, &self.state.app_names(), self.urls())
    }

    /// The shared state, for inspection and test set-up.
    pub fn state(&self) -> SimState {
        self.state.clone()
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Stops the listeners and waits for them to finish.
    pub async fn shutdown(self) {
        for server in self.servers {
            let _ = server.stop.send(());
            server.task.abort();
            let _ = server.task.await;
        }
    }
}
