//! One HTTP client per vendor over one shared plumbing ([`http`]): Heroku (the runtime
//! copies and the token's own account), GitHub (the CI copy, write-only) and Infisical
//! (the vault, source of truth). Requests follow `API.md` exactly.

pub mod error;
pub mod github;
pub mod heroku;
pub mod http;
pub mod infisical;

pub use error::{Call, Vendor, VendorError};
pub use github::GithubClient;
pub use heroku::{HerokuClient, Validation};
pub use http::{HttpOptions, RateBudget};
pub use infisical::{InfisicalClient, SecretScope, VaultAuth};

use crate::config::Config;
use crate::config::credentials::{Credentials, VaultCredential};

/// The three clients built from one config and one set of credentials.
pub struct Vendors {
    pub heroku: HerokuClient,
    /// `None` when no GitHub credential was found: the CI copy is then unobservable.
    pub github: Option<GithubClient>,
    pub vault: InfisicalClient,
    /// Where the operator's Heroku credential came from, to name it when Heroku refuses it.
    pub heroku_source: crate::config::credentials::Source,
}

impl Vendors {
    /// Builds all clients with default timeouts and retries.
    pub fn connect(config: &Config, creds: &Credentials) -> Result<Vendors, VendorError> {
        Vendors::connect_with(config, creds, &HttpOptions::default())
    }

    /// Builds all clients with `options`. Heroku and the vault are required; GitHub is not.
    pub fn connect_with(
        config: &Config,
        creds: &Credentials,
        options: &HttpOptions,
    ) -> Result<Vendors, VendorError> {
        let heroku_cred = creds
            .heroku
            .as_ref()
            .ok_or_else(|| missing(Vendor::Heroku))?;
        let heroku =
            HerokuClient::new(config.heroku.api_url.as_str(), &heroku_cred.token, options)?;
        let github = creds
            .github
            .as_ref()
            .map(|c| {
                GithubClient::new(
                    config.github.api_url.as_str(),
                    config.github.repo.clone(),
                    &c.token,
                    options,
                )
            })
            .transpose()?;
        let auth = match creds
            .vault
            .as_ref()
            .ok_or_else(|| missing(Vendor::Infisical))?
        {
            VaultCredential::AccessToken(c) => VaultAuth::AccessToken(c.token.clone()),
            VaultCredential::UniversalAuth {
                client_id,
                client_secret,
            } => VaultAuth::UniversalAuth {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
            },
        };
        let scope = SecretScope {
            project_id: config.vault.project_id.clone(),
            environment: config.vault.environment.clone(),
            secret_path: config.vault.secret_path.to_string(),
        };
        let vault = InfisicalClient::new(config.vault.url.as_str(), auth, scope, options)?;
        Ok(Vendors {
            heroku,
            github,
            vault,
            heroku_source: heroku_cred.source.clone(),
        })
    }

    /// Every vendor's last-seen rate-limit budget, for display.
    pub fn rate_budgets(&self) -> Vec<(Vendor, RateBudget)> {
        let mut budgets = vec![(Vendor::Heroku, self.heroku.rate_budget())];
        if let Some(github) = &self.github {
            budgets.push((Vendor::Github, github.rate_budget()));
        }
        budgets.push((Vendor::Infisical, self.vault.rate_budget()));
        budgets
    }
}

fn missing(vendor: Vendor) -> VendorError {
    let hint = match vendor {
        Vendor::Heroku => "run `heroku login` or set KEYTURN_HEROKU_TOKEN",
        Vendor::Github => "set GH_TOKEN or run `gh auth login`",
        Vendor::Infisical => {
            "set INFISICAL_TOKEN, or INFISICAL_UNIVERSAL_AUTH_CLIENT_ID and INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET"
        }
    };
    VendorError::MissingCredential {
        vendor,
        hint: hint.to_owned(),
    }
}
