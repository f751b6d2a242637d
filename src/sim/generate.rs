//! Seeded generation of simulated ids, tokens and keys (same seed, same world), and the
//! `keyturn.toml` text for a running simulator.

use std::fmt::Write as _;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::SimCredentials;

/// Seeded generator of simulated ids and secrets.
pub(crate) struct Gen(StdRng);

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(StdRng::seed_from_u64(seed))
    }

    pub fn uuid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.0.r#gen())
            .into_uuid()
            .to_string()
    }

    pub fn heroku_token(&mut self) -> String {
        format!("HRKU-{}", self.uuid())
    }

    pub fn hex(&mut self, bytes: usize) -> String {
        let mut text = String::with_capacity(bytes * 2);
        for _ in 0..bytes {
            let _ = write!(text, "{:02x}", self.0.r#gen::<u8>());
        }
        text
    }

    pub fn number(&mut self, low: u64, high: u64) -> u64 {
        self.0.gen_range(low..high)
    }

    pub fn key(&mut self) -> [u8; 32] {
        self.0.r#gen()
    }
}

/// The `keyturn.toml` for a running simulator; `urls` are Heroku, GitHub, Infisical.
pub(crate) fn config_toml(c: &SimCredentials, apps: &[String], urls: [String; 3]) -> String {
    let [heroku, github, infisical] = urls;
    let apps = apps
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# keyturn.toml for the embedded simulator (all credentials are simulated).
[secret]
name = "{name}"

[vault]
url = "{infisical}"
project_id = "{project}"
environment = "{env}"
secret_path = "{path}"

[github]
api_url = "{github}"
# The simulated GitHub also serves the secret's settings page, for Path A's paste.
web_url = "{github}"
repo = "{repo}"
deploy_workflow = "deploy-console.yml"
deploy_ref = "main"
deploy_inputs = {{ environment = "production", ref = "main" }}
verify_workflow = "deploy-staging.yml"
verify_ref = "main"
verify_inputs = {{ sanity = "true" }}
# The simulated repository has keyturn's probe workflow installed (`keyturn check --probe`).
probe_workflow = "keyturn-probe.yml"

[heroku]
api_url = "{heroku}"
apps = [{apps}]
scope = ["global"]
authorization_description = "raxx-platform-token-{{date}}"
"#,
        name = c.secret_name,
        project = c.infisical_project_id,
        env = c.infisical_environment,
        path = c.secret_path,
        repo = c.github_repo,
    )
}
