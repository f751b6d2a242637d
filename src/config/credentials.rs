//! Where the operator's credentials come from: the same places the vendors' own CLIs look,
//! never the config file. Only the *source* is ever reported, never the value.
//!
//! | vendor | order |
//! |---|---|
//! | Heroku | `KEYTURN_HEROKU_TOKEN`, the `api.heroku.com` entry of `~/.netrc` (what `heroku login` writes), `HEROKU_API_KEY` (with a warning: usually the very token being rotated) |
//! | GitHub | `GH_TOKEN`, `GITHUB_TOKEN`, the output of `gh auth token` |
//! | Infisical | `INFISICAL_TOKEN`, a Universal Auth login with `INFISICAL_UNIVERSAL_AUTH_CLIENT_ID` + `INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET` |

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::secret::Token;

/// What the resolver may look at: environment variables, the home directory (for
/// `.netrc`) and the `gh` program. Captured once so tests can supply their own.
#[derive(Debug, Clone, Default)]
pub struct CredentialEnv {
    pub vars: HashMap<String, String>,
    pub home: Option<PathBuf>,
    /// The `gh` executable to ask for `gh auth token`, if installed.
    pub gh_program: Option<PathBuf>,
}

impl CredentialEnv {
    /// The real process environment.
    pub fn from_process() -> CredentialEnv {
        let vars = std::env::vars().collect::<HashMap<_, _>>();
        let gh_program = vars.get("PATH").and_then(|path| {
            std::env::split_paths(path)
                .map(|dir| dir.join("gh"))
                .find(|p| p.is_file())
        });
        CredentialEnv {
            vars,
            home: dirs::home_dir(),
            gh_program,
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// Where a credential was found. Printable; holds no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    EnvVar(&'static str),
    Netrc(PathBuf),
    GhCli,
    UniversalAuth,
    /// Handed over by the embedded simulator (`--sim`, `keyturn demo`).
    Simulator,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::EnvVar(name) => write!(f, "${name}"),
            Source::Netrc(path) => write!(f, "{} (machine api.heroku.com)", path.display()),
            Source::GhCli => f.write_str("`gh auth token`"),
            Source::UniversalAuth => f.write_str(
                "Universal Auth login ($INFISICAL_UNIVERSAL_AUTH_CLIENT_ID + $INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET)",
            ),
            Source::Simulator => f.write_str("embedded simulator"),
        }
    }
}

/// A resolved bearer credential and where it came from.
#[derive(Debug, Clone)]
pub struct Credential {
    pub token: Token,
    pub source: Source,
    /// Something the operator should know about this source.
    pub warning: Option<String>,
}

/// How keyturn authenticates to the vault.
#[derive(Debug, Clone)]
pub enum VaultCredential {
    /// A ready access token or service token (`INFISICAL_TOKEN`).
    AccessToken(Credential),
    /// A machine identity that logs in and renews its access token.
    UniversalAuth {
        client_id: String,
        client_secret: Token,
    },
}

impl VaultCredential {
    pub fn source(&self) -> Source {
        match self {
            VaultCredential::AccessToken(c) => c.source.clone(),
            VaultCredential::UniversalAuth { .. } => Source::UniversalAuth,
        }
    }
}

/// Everything the resolver found; a `None` means no source had it.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub heroku: Option<Credential>,
    pub github: Option<Credential>,
    pub vault: Option<VaultCredential>,
}

/// Resolves all three vendors' credentials from `env`.
pub fn resolve(env: &CredentialEnv) -> Credentials {
    Credentials {
        heroku: resolve_heroku(env),
        github: resolve_github(env),
        vault: resolve_vault(env),
    }
}

fn from_var(env: &CredentialEnv, name: &'static str) -> Option<Credential> {
    env.var(name).map(|value| Credential {
        token: Token::new(value),
        source: Source::EnvVar(name),
        warning: None,
    })
}

/// Heroku: `KEYTURN_HEROKU_TOKEN`, `~/.netrc`, then `HEROKU_API_KEY` with a warning.
pub fn resolve_heroku(env: &CredentialEnv) -> Option<Credential> {
    from_var(env, "KEYTURN_HEROKU_TOKEN")
        .or_else(|| netrc_heroku(env))
        .or_else(|| {
            from_var(env, "HEROKU_API_KEY").map(|mut c| {
                c.warning = Some(
                    "HEROKU_API_KEY is usually the very token being rotated or recovered; prefer `heroku login` (~/.netrc) or KEYTURN_HEROKU_TOKEN"
                        .to_owned(),
                );
                c
            })
        })
}

fn netrc_heroku(env: &CredentialEnv) -> Option<Credential> {
    let path = env
        .var("NETRC")
        .map(PathBuf::from)
        .or_else(|| env.home.as_ref().map(|h| h.join(".netrc")))?;
    let text = Zeroizing::new(std::fs::read_to_string(&path).ok()?);
    let password = netrc_password(&text, "api.heroku.com")?;
    Some(Credential {
        token: Token::new(password.as_str()),
        source: Source::Netrc(path),
        warning: None,
    })
}

/// The `password` of `machine HOST` in a netrc text (the format `heroku login` writes:
/// whitespace-separated `machine`/`login`/`password` tokens; `macdef` bodies skipped).
pub fn netrc_password(text: &str, host: &str) -> Option<Zeroizing<String>> {
    let mut words = text.split_whitespace();
    let mut in_host = false;
    while let Some(word) = words.next() {
        match word {
            "machine" => in_host = words.next() == Some(host),
            "default" => in_host = false,
            "password" if in_host => return words.next().map(|p| Zeroizing::new(p.to_owned())),
            "login" | "account" | "password" | "macdef" => {
                words.next();
            }
            _ => {}
        }
    }
    None
}

/// GitHub: `GH_TOKEN`, `GITHUB_TOKEN`, then `gh auth token`.
pub fn resolve_github(env: &CredentialEnv) -> Option<Credential> {
    from_var(env, "GH_TOKEN")
        .or_else(|| from_var(env, "GITHUB_TOKEN"))
        .or_else(|| gh_auth_token(env))
}

fn gh_auth_token(env: &CredentialEnv) -> Option<Credential> {
    let program = env.gh_program.as_ref()?;
    let output = std::process::Command::new(program)
        .args(["auth", "token"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = Zeroizing::new(String::from_utf8(output.stdout).ok()?);
    (output.status.success() && !text.trim().is_empty()).then(|| Credential {
        token: Token::new(text.as_str()),
        source: Source::GhCli,
        warning: None,
    })
}

/// Infisical: `INFISICAL_TOKEN`, then Universal Auth client id + secret.
pub fn resolve_vault(env: &CredentialEnv) -> Option<VaultCredential> {
    if let Some(credential) = from_var(env, "INFISICAL_TOKEN") {
        return Some(VaultCredential::AccessToken(credential));
    }
    let id = env.var("INFISICAL_UNIVERSAL_AUTH_CLIENT_ID")?;
    let secret = env.var("INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET")?;
    Some(VaultCredential::UniversalAuth {
        client_id: id.to_owned(),
        client_secret: Token::new(secret),
    })
}
