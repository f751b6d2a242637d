//! `keyturn.toml`: which secret, where its three copies live, and where reports go.
//!
//! Search order (first hit wins): `--config FILE`, `./keyturn.toml`, then
//! `$XDG_CONFIG_HOME/keyturn/config.toml` (usually `~/.config/keyturn/config.toml`).
//!
//! Every check runs while the file is parsed (inside the field types' `Deserialize`), so a
//! bad value is reported with the file, line and column it sits at. Credentials never live
//! here: see [`credentials`].

pub mod credentials;
mod fields;
pub mod keymap;
mod read;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use fields::{AppList, BaseUrl, RepoSlug, SecretName};
pub use read::read_text;

/// The whole configuration, validated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub secret: SecretConfig,
    pub vault: VaultConfig,
    pub github: GithubConfig,
    pub heroku: HerokuConfig,
    #[serde(default)]
    pub postmortem: PostmortemConfig,
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub clipboard: ClipboardConfig,
    #[serde(default)]
    pub tui: TuiConfig,
    /// Consumers keyturn cannot write (a laptop's shell profile, a pipeline owned by
    /// someone else): each becomes a confirm-only step.
    #[serde(default)]
    pub manual_consumers: Vec<ManualConsumer>,
    /// The file this came from; empty for configs built in memory (the simulator's).
    #[serde(skip)]
    pub source: PathBuf,
    /// The simulator's own config (`--sim`, the demo): its reports say they are simulated.
    #[serde(skip)]
    pub simulated: bool,
}

/// The secret all three stores hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretConfig {
    /// The key in the vault, the GitHub secret name and the Heroku config var name.
    pub name: SecretName,
}

/// The Infisical vault: the source of truth.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultConfig {
    #[serde(default = "fields::default_infisical_url")]
    pub url: BaseUrl,
    pub project_id: String,
    pub environment: String,
    /// Folder path of the secret, e.g. `/MooseQuest/heroku`.
    pub secret_path: fields::FolderPath,
}

/// The GitHub repository whose Actions secret holds the CI copy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    #[serde(default = "fields::default_github_url")]
    pub api_url: BaseUrl,
    /// GitHub's web UI, where Path A's paste happens (`{github_web}` in runbooks).
    #[serde(default = "fields::default_github_web_url")]
    pub web_url: BaseUrl,
    pub repo: RepoSlug,
    /// The workflow whose failure is the drift symptom and which recovery re-runs.
    pub deploy_workflow: String,
    #[serde(default = "fields::default_ref")]
    pub deploy_ref: String,
    #[serde(default)]
    pub deploy_inputs: BTreeMap<String, String>,
    /// The workflow that proves a new token works downstream (rotation step 6).
    pub verify_workflow: String,
    #[serde(default = "fields::default_ref")]
    pub verify_ref: String,
    #[serde(default)]
    pub verify_inputs: BTreeMap<String, String>,
    /// The probe workflow (`keyturn probe print`), e.g. `keyturn-probe.yml`: the only way to
    /// see what the write-only secret holds. `None`: keyturn never probes.
    #[serde(default)]
    pub probe_workflow: Option<String>,
    /// The branch the probe workflow is dispatched on (it must hold the file).
    #[serde(default = "fields::default_ref")]
    pub probe_ref: String,
}

/// The Heroku account and the apps carrying the runtime copies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HerokuConfig {
    #[serde(default = "fields::default_heroku_url")]
    pub api_url: BaseUrl,
    pub apps: AppList,
    /// Optional health endpoint that exercises the token downstream.
    pub health_url: Option<fields::HttpUrl>,
    /// JSON field of the health answer that reports the Heroku dependency.
    pub health_field: Option<String>,
    /// Scope of newly created authorizations.
    #[serde(default = "fields::default_scope")]
    pub scope: Vec<String>,
    /// Description of new authorizations; `{date}` becomes the UTC date.
    #[serde(default = "fields::default_description")]
    pub authorization_description: String,
}

/// Where postmortems are written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostmortemConfig {
    pub dir: PathBuf,
}

impl Default for PostmortemConfig {
    fn default() -> Self {
        PostmortemConfig {
            dir: PathBuf::from("docs/ops/postmortems"),
        }
    }
}

/// Where audit entries (`secret.rotate.completed`, …) are appended.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    pub path: PathBuf,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            path: PathBuf::from("docs/ops/audit-log.jsonl"),
        }
    }
}

/// How long a copied token may stay on the clipboard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipboardConfig {
    pub clear_after_secs: u64,
}

impl Default for ClipboardConfig {
    fn default() -> Self {
        ClipboardConfig {
            clear_after_secs: 30,
        }
    }
}

/// The terminal UI: how often the store panels poll, and the keymap.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuiConfig {
    /// Seconds between two reads of a store (each store has its own poller). Heroku's
    /// pollers stretch this on big accounts so polling stays under a quarter of the
    /// 4500/hour budget.
    #[serde(default = "default_refresh_secs")]
    pub refresh_secs: u64,
    /// Action name → keys; an entry replaces that action's default keys.
    #[serde(default)]
    pub keymap: keymap::Keymap,
}

fn default_refresh_secs() -> u64 {
    30
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig {
            refresh_secs: default_refresh_secs(),
            keymap: keymap::Keymap::default(),
        }
    }
}

/// A consumer the operator updates by hand; keyturn only asks for confirmation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualConsumer {
    pub name: String,
    pub how: String,
}

/// Why a configuration could not be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no config file found (looked in: {}); pass --config FILE or copy examples/keyturn.toml to ./keyturn.toml",
        .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound { searched: Vec<PathBuf> },
    #[error("{path}: cannot read: {source}", path = .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Invalid { location: Location, message: String },
    #[error("{path}: is a directory, not a config file — pass the file itself, e.g. --config {}", .path.join("keyturn.toml").display(), path = .path.display())]
    Directory { path: PathBuf },
    #[error("{path}: {what} — a config needs at least [secret], [vault], [github] and [heroku]; examples/keyturn.toml is a complete one", path = .path.display())]
    Empty { path: PathBuf, what: &'static str },
}

/// `file:line:column` of a problem in a text file (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// Location of byte offset `offset` in `text`. An offset inside a multi-byte character
    /// is that character's location (not the end of the text).
    pub fn at(file: &Path, text: &str, offset: usize) -> Location {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = text.get(..end).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Location {
            file: file.to_owned(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Parses TOML text into `T`, turning any error into a located one.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|err| {
        let offset = err.span().map_or(0, |span| span.start);
        ConfigError::Invalid {
            location: Location::at(file, text, offset),
            message: err.message().trim().to_owned(),
        }
    })
}

impl Config {
    /// Parses and validates a config text; `file` is used in error messages.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = parse_toml(text, file)?;
        file.clone_into(&mut config.source);
        Ok(config)
    }

    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read_text(path)?;
        if text.trim().is_empty() {
            return Err(read::empty(path));
        }
        Config::parse(&text, path)
    }

    /// Finds the config by the documented search order and loads it.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load(&locate(explicit, &search_paths())?)
    }

    /// Applies `INFISICAL_API_URL`, which overrides the vault URL as in Infisical's CLI.
    pub fn apply_env_overrides(&mut self, infisical_api_url: Option<&str>) -> Result<(), String> {
        if let Some(url) = infisical_api_url.filter(|u| !u.trim().is_empty()) {
            self.vault.url = BaseUrl::parse(url).map_err(|e| format!("INFISICAL_API_URL: {e}"))?;
        }
        Ok(())
    }
}

/// The default places a config is looked for, in order, after `--config`.
pub fn search_paths() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("keyturn.toml")];
    if let Some(dir) = dirs::config_dir() {
        paths.push(dir.join("keyturn").join("config.toml"));
    }
    paths
}

/// Picks the config file: `explicit` if given (it must exist; what it is, [`Config::load`]
/// says), else the first of `candidates`.
pub fn locate(explicit: Option<&Path>, candidates: &[PathBuf]) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        if path.exists() {
            return Ok(path.to_owned());
        }
        return Err(read::not_found(path, "given with --config"));
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| ConfigError::NotFound {
            searched: candidates.to_vec(),
        })
}
