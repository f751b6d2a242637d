//! The domain's one vocabulary for where a copy of the secret lives and what is known of
//! it: [`Store`], [`Validity`] and [`Evidence`]. The drift audit, the engine's events, the
//! journal, the reports and the TUI all speak these types, so "which store" and "is it
//! valid" mean one thing everywhere (and serialize one way: `check --json` and the journal
//! share the shapes).

use serde::{Deserialize, Serialize};

/// Where a copy lives. Ordered for display: the vault, GitHub, the apps, manual consumers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Store {
    /// The Infisical secret (source of truth).
    Vault,
    /// The GitHub Actions repository secret (write-only: metadata only).
    Github,
    /// A Heroku app's config var.
    HerokuApp { app: String },
    /// A consumer the operator updates by hand.
    Manual { name: String },
}

impl Store {
    /// The short form of tables and `check --json`: `vault`, `github`, `heroku:APP`.
    pub fn short(&self) -> String {
        match self {
            Store::Vault => "vault".to_owned(),
            Store::Github => "github".to_owned(),
            Store::HerokuApp { app } => format!("heroku:{app}"),
            Store::Manual { name } => format!("manual:{name}"),
        }
    }
}

/// The form of sentences: "the vault", "GitHub secret", "Heroku app x".
impl std::fmt::Display for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Vault => f.write_str("vault"),
            Store::Github => f.write_str("GitHub secret"),
            Store::HerokuApp { app } => write!(f, "Heroku app {app}"),
            Store::Manual { name } => write!(f, "manual consumer {name}"),
        }
    }
}

/// What `GET /account` said about a copy's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    Valid,
    Invalid,
    /// Not readable (GitHub without a probe), absent, or the validation itself failed.
    // Journals written before the typed vocabulary said "stale" for a GitHub copy judged
    // stale from its metadata: its validity was never known.
    #[serde(alias = "stale")]
    Unknown,
}

/// How a copy's `matches_vault` and `validity` are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// The value itself was read (the vault, a Heroku app).
    Read,
    /// A probe workflow run printed the GitHub copy's HMAC under a fresh nonce and the
    /// status `GET /account` gave it: exact.
    Probe,
    /// GitHub's metadata only (`updated_at`, the last deploy): the value was not seen.
    Metadata,
}

/// A version number that journals before the typed vocabulary wrote as text (`"v15"`).
pub mod version {
    use serde::{Deserialize, Deserializer};

    /// Reads `15`, `"15"` or `"v15"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Number(u64),
            Text(String),
        }
        Ok(match Option::<Either>::deserialize(d)? {
            None => None,
            Some(Either::Number(n)) => Some(n),
            Some(Either::Text(t)) => t.trim_start_matches('v').parse().ok(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_journal_words_still_read() {
        #[derive(Deserialize)]
        struct V {
            #[serde(default, deserialize_with = "version::deserialize")]
            version: Option<u64>,
        }
        let v: Validity = serde_json::from_str("\"stale\"").unwrap();
        assert_eq!(v, Validity::Unknown);
        for text in [
            r#"{"version":"v15"}"#,
            r#"{"version":15}"#,
            r#"{"version":"15"}"#,
        ] {
            let v: V = serde_json::from_str(text).unwrap();
            assert_eq!(v.version, Some(15), "{text}");
        }
        let none: V = serde_json::from_str("{}").unwrap();
        assert_eq!(none.version, None);
        let order = [
            Store::Manual { name: "a".into() },
            Store::Github,
            Store::Vault,
        ];
        let mut sorted = order.to_vec();
        sorted.sort();
        assert_eq!(sorted[0], Store::Vault);
        assert_eq!(Store::HerokuApp { app: "x".into() }.short(), "heroku:x");
    }
}
