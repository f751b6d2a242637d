//! A routed fake of the three vendors (until the simulator lands): just the reads the drift
//! audit makes, with per-request latency.

use std::sync::Arc;
use std::time::Duration;

use keyturn::config::Config;
use keyturn::config::credentials::{Credential, Credentials, Source, VaultCredential};
use keyturn::secret::Token;

use super::mock::{Mock, Reply, json};

pub const OPERATOR: &str = "HRKU-operator-session";
pub const GOOD: &str = "HRKU-good-current-value";
pub const OLD: &str = "HRKU-old-revoked-value";

/// The state of the fake stores.
#[derive(Clone)]
pub struct World {
    pub vault: Option<String>,
    pub vault_updated: String,
    pub github_updated: String,
    pub apps: Vec<(String, Option<String>)>,
    pub valid: Vec<String>,
    pub deploy_failed_invalid: bool,
    /// When the latest deploy run was created (it succeeds unless `deploy_failed_invalid`).
    pub deploy_created: String,
    pub unreadable_app: Option<String>,
    pub latency: Duration,
}

impl World {
    /// Four apps, all on the good value, GitHub written after the vault.
    pub fn in_sync(apps: usize) -> World {
        World {
            vault: Some(GOOD.into()),
            vault_updated: "2026-11-20T10:00:00Z".into(),
            github_updated: "2026-11-20T10:05:00Z".into(),
            apps: (0..apps)
                .map(|i| (format!("raxx-app-{i}"), Some(GOOD.to_owned())))
                .collect(),
            valid: vec![OPERATOR.into(), GOOD.into()],
            deploy_failed_invalid: false,
            deploy_created: "2026-11-21T00:00:00Z".into(),
            unreadable_app: None,
            latency: Duration::ZERO,
        }
    }
}

/// The running fake: its config and credentials.
pub struct Running {
    pub config: Config,
    pub creds: Credentials,
    pub heroku: Mock,
}

fn bearer(request: &str) -> String {
    request
        .lines()
        .find_map(|l| l.strip_prefix("authorization: Bearer "))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn heroku_route(world: &World, request: &str) -> Reply {
    let line = request.lines().next().unwrap_or_default();
    if line.starts_with("GET /account ") {
        return if world.valid.contains(&bearer(request)) {
            json(200, r#"{"id":"u-1","email":"ops@raxx.app"}"#)
        } else {
            json(
                401,
                r#"{"id":"unauthorized","message":"Invalid credentials provided."}"#,
            )
        };
    }
    for (app, value) in &world.apps {
        if line.starts_with(&format!("GET /apps/{app}/config-vars ")) {
            if world.unreadable_app.as_ref() == Some(app) {
                return json(
                    403,
                    r#"{"id":"forbidden","message":"You do not have access to the app."}"#,
                );
            }
            let body = value.as_ref().map_or("{}".to_owned(), |v| {
                format!(r#"{{"HEROKU_API_KEY":"{v}","OTHER":"x"}}"#)
            });
            return json(200, &body);
        }
    }
    json(404, r#"{"id":"not_found","message":"Not found."}"#)
}

fn github_route(world: &World, request: &str) -> Reply {
    let line = request.lines().next().unwrap_or_default();
    let base = "GET /repos/raxx-app/TradeMasterAPI/actions";
    if line.starts_with(&format!("{base}/secrets/HEROKU_API_KEY ")) {
        let u = &world.github_updated;
        return json(
            200,
            &format!(
                r#"{{"name":"HEROKU_API_KEY","created_at":"2026-01-01T00:00:00Z","updated_at":"{u}"}}"#
            ),
        );
    }
    if line.starts_with(&format!("{base}/workflows/deploy-console.yml/runs")) {
        let conclusion = if world.deploy_failed_invalid {
            "failure"
        } else {
            "success"
        };
        let created = &world.deploy_created;
        return json(
            200,
            &format!(
                r#"{{"total_count":1,"workflow_runs":[{{"id":7,"name":"deploy","status":"completed","conclusion":"{conclusion}","created_at":"{created}"}}]}}"#
            ),
        );
    }
    if line.starts_with(&format!("{base}/runs/7/jobs")) {
        return json(
            200,
            r#"{"total_count":1,"jobs":[{"id":70,"name":"deploy","status":"completed","conclusion":"failure","steps":[]}]}"#,
        );
    }
    if line.starts_with(&format!("{base}/jobs/70/logs")) {
        return Reply::Http(200, vec![], "Error: The token provided to HEROKU_API_KEY is invalid. Please double-check that you have the correct token, or run 'heroku login' without HEROKU_API_KEY set.".into());
    }
    json(404, r#"{"message":"Not Found"}"#)
}

fn vault_route(world: &World, request: &str) -> Reply {
    let line = request.lines().next().unwrap_or_default();
    if !line.starts_with("GET /api/v3/secrets/raw/HEROKU_API_KEY?") {
        return json(
            404,
            r#"{"statusCode":404,"message":"not found","error":"NotFound"}"#,
        );
    }
    match &world.vault {
        None => json(
            404,
            r#"{"statusCode":404,"message":"Secret with name 'HEROKU_API_KEY' not found","error":"NotFound"}"#,
        ),
        Some(v) => json(
            200,
            &format!(
                r#"{{"secret":{{"id":"s1","_id":"s1","workspace":"p","environment":"prod","version":4,"type":"shared","secretKey":"HEROKU_API_KEY","secretValue":"{v}","secretComment":"","createdAt":"2026-01-01T00:00:00Z","updatedAt":"{}"}}}}"#,
                world.vault_updated
            ),
        ),
    }
}

/// Starts the three fakes and a config pointing at them.
pub async fn start(world: World) -> Running {
    let w = Arc::new(world);
    let (a, b, c) = (w.clone(), w.clone(), w.clone());
    let heroku = Mock::routed(w.latency, Arc::new(move |r: &str| heroku_route(&a, r))).await;
    let github = Mock::routed(w.latency, Arc::new(move |r: &str| github_route(&b, r))).await;
    let vault = Mock::routed(w.latency, Arc::new(move |r: &str| vault_route(&c, r))).await;
    let apps = w
        .apps
        .iter()
        .map(|(a, _)| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let toml = format!(
        r#"
[secret]
name = "HEROKU_API_KEY"
[vault]
url = "{}"
project_id = "p"
environment = "prod"
secret_path = "/MooseQuest/heroku"
[github]
api_url = "{}"
repo = "raxx-app/TradeMasterAPI"
deploy_workflow = "deploy-console.yml"
verify_workflow = "deploy-staging.yml"
[heroku]
api_url = "{}"
apps = [{apps}]
"#,
        vault.url, github.url, heroku.url
    );
    let config = Config::parse(&toml, std::path::Path::new("fake.toml")).unwrap();
    let cred = |v: &str| Credential {
        token: Token::new(v),
        source: Source::Simulator,
        warning: None,
    };
    let creds = Credentials {
        heroku: Some(cred(OPERATOR)),
        github: Some(cred("gh-token")),
        vault: Some(VaultCredential::AccessToken(cred("vault-token"))),
    };
    std::mem::forget((github, vault));
    Running {
        config,
        creds,
        heroku,
    }
}
