//! `keyturn config check`: is the config usable, and which credential sources are present?

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::config::credentials::{self, CredentialEnv, Credentials};

use super::exit;

/// Loads the config, resolves credentials and prints a table with no secret in it.
pub fn check(explicit: Option<&Path>) -> u8 {
    let env = CredentialEnv::from_process();
    let mut config = match Config::discover(explicit) {
        Ok(config) => config,
        Err(err) => {
            errln!("keyturn: {err}");
            return exit::BAD_INPUT;
        }
    };
    if let Err(err) =
        config.apply_env_overrides(env.vars.get("INFISICAL_API_URL").map(String::as_str))
    {
        errln!("keyturn: {err}");
        return exit::BAD_INPUT;
    }
    let creds = credentials::resolve(&env);
    out!("{}", render(&config, &creds));
    if creds.heroku.is_none() || creds.vault.is_none() {
        errln!(
            "keyturn: a required credential is missing (Heroku and Infisical are required; see `keyturn --help`)"
        );
        return exit::BAD_INPUT;
    }
    exit::OK
}

/// The `config check` table: config summary, then one line per credential source.
pub fn render(config: &Config, creds: &Credentials) -> String {
    let mut out = String::new();
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "{k:<12} {v}");
    };
    row("config", format!("{} (valid)", config.source.display()));
    row("secret", config.secret.name.to_string());
    row(
        "vault",
        format!(
            "{} · project {} · env {} · path {}",
            config.vault.url,
            config.vault.project_id,
            config.vault.environment,
            config.vault.secret_path
        ),
    );
    row(
        "github",
        format!(
            "{} · {} · deploy {} · verify {}",
            config.github.api_url,
            config.github.repo,
            config.github.deploy_workflow,
            config.github.verify_workflow
        ),
    );
    row(
        "heroku",
        format!(
            "{} · {} apps: {}",
            config.heroku.api_url,
            config.heroku.apps.names().len(),
            config.heroku.apps.names().join(", ")
        ),
    );
    for consumer in &config.manual_consumers {
        row("manual", format!("{} — {}", consumer.name, consumer.how));
    }
    row("postmortems", config.postmortem.dir.display().to_string());
    row("audit log", config.audit.path.display().to_string());
    out.push('\n');
    out.push_str(&credential_rows(creds));
    let _ = writeln!(
        out,
        "{:<12} {}",
        "process",
        if crate::secret::is_hardened() {
            "non-dumpable (no core files, no ptrace)"
        } else {
            "dumpable (hardening unavailable)"
        }
    );
    out
}

fn credential_rows(creds: &Credentials) -> String {
    let mut out = String::new();
    let mut line =
        |vendor: &str, found: Option<(String, Option<String>)>, required: &str| match found {
            Some((source, warning)) => {
                let _ = writeln!(out, "{vendor:<12} found: {source}");
                if let Some(w) = warning {
                    let _ = writeln!(out, "{:<12} warning: {w}", "");
                }
            }
            None => {
                let _ = writeln!(out, "{vendor:<12} MISSING ({required})");
            }
        };
    line(
        "heroku",
        creds
            .heroku
            .as_ref()
            .map(|c| (c.source.to_string(), c.warning.clone())),
        "required: run `heroku login` or set KEYTURN_HEROKU_TOKEN",
    );
    line(
        "github",
        creds
            .github
            .as_ref()
            .map(|c| (c.source.to_string(), c.warning.clone())),
        "optional: without it only Path A (manual paste) is possible",
    );
    line(
        "infisical",
        creds.vault.as_ref().map(|c| (c.source().to_string(), None)),
        "required: set INFISICAL_TOKEN or the Universal Auth client id + secret",
    );
    out
}
