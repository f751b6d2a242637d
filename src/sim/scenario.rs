//! The named starting worlds (`keyturn sim --scenario NAME`), built from a seed so the same
//! seed always gives the same tokens, ids and key pair.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use base64::Engine as _;
use chrono::{DateTime, Duration as Days, Utc};

use super::generate::Gen;
use super::state::{App, Github, GithubSecret, Heroku, Release, SimAuthorization, Vault, World};
use super::{SimCredentials, SimOptions, github_actions, infisical};

/// A starting world. Names are kebab-case (`github-stale`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Every copy holds the current, valid token.
    InSync,
    /// GitHub's secret holds a revoked token; the last deploy failed because of it.
    GithubStale,
    /// Two apps hold a revoked token.
    AppStale,
    /// The vault's current version is revoked; apps and GitHub are valid.
    VaultStale,
    /// Every copy holds a revoked token.
    AllInvalid,
    /// In sync, but the current authorization is 91 days old.
    RotationDue,
}

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::InSync,
        Scenario::GithubStale,
        Scenario::AppStale,
        Scenario::VaultStale,
        Scenario::AllInvalid,
        Scenario::RotationDue,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::InSync => "in-sync",
            Scenario::GithubStale => "github-stale",
            Scenario::AppStale => "app-stale",
            Scenario::VaultStale => "vault-stale",
            Scenario::AllInvalid => "all-invalid",
            Scenario::RotationDue => "rotation-due",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scenario name that is not one of [`Scenario::ALL`].
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown scenario `{0}` (known: in-sync, github-stale, app-stale, vault-stale, all-invalid, rotation-due)"
)]
pub struct UnknownScenario(pub String);

impl FromStr for Scenario {
    type Err = UnknownScenario;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|s| s.name() == text.trim())
            .ok_or_else(|| UnknownScenario(text.to_owned()))
    }
}

/// The default app names of the SOPs.
const DEFAULT_APPS: [&str; 4] = [
    "raxx-console-prod",
    "raxx-console-staging",
    "raxx-api-prod",
    "raxx-api-staging",
];
const SECRET_NAME: &str = "HEROKU_API_KEY";

pub(crate) struct Built {
    pub world: World,
    pub credentials: SimCredentials,
}

/// Which token each store holds in a scenario.
struct Plan {
    current_age_days: i64,
    vault_holds_old: bool,
    github_holds_old: bool,
    stale_apps: Vec<usize>,
    /// Revoke the current authorization too (nothing valid anywhere).
    current_revoked: bool,
}

fn plan(scenario: Scenario, app_count: usize) -> Plan {
    let mut p = Plan {
        current_age_days: 30,
        vault_holds_old: false,
        github_holds_old: false,
        stale_apps: Vec::new(),
        current_revoked: false,
    };
    match scenario {
        Scenario::InSync => {}
        Scenario::GithubStale => p.github_holds_old = true,
        Scenario::AppStale => {
            p.stale_apps = if app_count >= 4 {
                vec![1, 3]
            } else {
                (0..app_count.min(2)).collect()
            };
        }
        Scenario::VaultStale => p.vault_holds_old = true,
        Scenario::AllInvalid => p.current_revoked = true,
        Scenario::RotationDue => p.current_age_days = 91,
    }
    p
}

/// Builds the world and credentials of `scenario`.
pub(crate) fn build(scenario: Scenario, options: &SimOptions) -> Built {
    let mut g = Gen::new(options.seed);
    let now = Utc::now();
    let names = app_names(options.apps);
    let p = plan(scenario, names.len());
    let old = authorization(&mut g, now - Days::days(p.current_age_days + 91), true);
    let current = authorization(
        &mut g,
        now - Days::days(p.current_age_days),
        p.current_revoked,
    );
    let pick = |is_old: bool| {
        if is_old {
            old.token.clone()
        } else {
            current.token.clone()
        }
    };
    let heroku = heroku(&mut g, &names, &p, &[old.clone(), current.clone()], options);
    let github = github(
        &mut g,
        &pick(p.github_holds_old),
        &current,
        scenario,
        options,
    );
    let vault = vault(&mut g, &old, &current, p.vault_holds_old);
    let credentials = SimCredentials {
        heroku_operator_token: heroku.operator_token.clone(),
        github_token: github.token.clone(),
        github_repo: format!("{}/{}", github.owner, github.repo),
        github_private_key_b64: base64::engine::general_purpose::STANDARD.encode(github.secret_key),
        infisical_client_id: vault.client_id.clone(),
        infisical_client_secret: vault.client_secret.clone(),
        infisical_project_id: vault.project_id.clone(),
        infisical_environment: vault.environment.clone(),
        secret_path: vault.path.clone(),
        secret_name: SECRET_NAME.to_owned(),
    };
    let world = World {
        heroku,
        github,
        vault,
        requests: Vec::new(),
    };
    Built { world, credentials }
}

fn app_names(count: Option<usize>) -> Vec<String> {
    let count = count.unwrap_or(DEFAULT_APPS.len()).max(1);
    (0..count)
        .map(|i| {
            DEFAULT_APPS
                .get(i)
                .map_or_else(|| format!("raxx-svc-{i:03}"), |n| (*n).to_owned())
        })
        .collect()
}

fn authorization(g: &mut Gen, created_at: DateTime<Utc>, revoked: bool) -> SimAuthorization {
    SimAuthorization {
        id: g.uuid(),
        description: format!("raxx-platform-token-{}", created_at.format("%Y-%m-%d")),
        token: g.heroku_token(),
        revoked,
        created_at,
        updated_at: created_at,
        scope: vec!["global".to_owned()],
        expires_in: None,
        access_token_id: g.uuid(),
    }
}

fn heroku(
    g: &mut Gen,
    names: &[String],
    p: &Plan,
    auths: &[SimAuthorization],
    o: &SimOptions,
) -> Heroku {
    let [old, current] = auths else {
        unreachable!("two authorizations")
    };
    let apps = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let token = if p.stale_apps.contains(&i) {
                &old.token
            } else {
                &current.token
            };
            app(g, name, token, current.created_at)
        })
        .collect();
    Heroku {
        account_id: g.uuid(),
        email: "kris@moosequest.net".to_owned(),
        operator_token: g.heroku_token(),
        authorizations: auths.to_vec(),
        apps,
        pool: super::state::POOL_SIZE,
        pool_at: Instant::now(),
        dyno_restart: o.dyno_restart,
    }
}

fn app(g: &mut Gen, name: &str, token: &str, set_at: DateTime<Utc>) -> App {
    let created_at = set_at - Days::days(400);
    let mut config = BTreeMap::new();
    config.insert(SECRET_NAME.to_owned(), token.to_owned());
    config.insert("NODE_ENV".to_owned(), "production".to_owned());
    config.insert("LOG_LEVEL".to_owned(), "info".to_owned());
    let descriptions = [
        "Initial release",
        "Deploy 3f9c2ab",
        "Set HEROKU_API_KEY config vars",
    ];
    let releases = descriptions
        .iter()
        .zip(1u64..)
        .map(|(d, v)| Release {
            id: g.uuid(),
            version: v,
            description: (*d).to_owned(),
            created_at: if v == 3 {
                set_at
            } else {
                created_at + Days::days(i64::try_from(v).unwrap_or(0))
            },
        })
        .collect();
    let dynos = ["web.1", "worker.1"]
        .iter()
        .map(|n| (g.uuid(), (*n).to_owned()))
        .collect();
    App {
        id: g.uuid(),
        name: name.to_owned(),
        created_at,
        config,
        releases,
        dynos,
        restarted_at: None,
        updated_at: set_at,
    }
}

fn github(
    g: &mut Gen,
    token: &str,
    current: &SimAuthorization,
    scenario: Scenario,
    o: &SimOptions,
) -> Github {
    let stale = matches!(scenario, Scenario::GithubStale);
    let updated_at = if stale {
        Utc::now() - Days::days(91)
    } else {
        current.created_at
    };
    let mut secrets = BTreeMap::new();
    let secret = |v: &str, at| GithubSecret {
        value: v.to_owned(),
        created_at: at - Days::days(300),
        updated_at: at,
    };
    secrets.insert(SECRET_NAME.to_owned(), secret(token, updated_at));
    secrets.insert(
        "SLACK_WEBHOOK_URL".to_owned(),
        secret(
            "https://hooks.slack.example/T000/B000",
            updated_at - Days::days(5),
        ),
    );
    let workflows = github_actions::default_workflows(current.created_at - Days::days(500));
    let last_ok = !matches!(scenario, Scenario::GithubStale | Scenario::AllInvalid);
    let runs = github_actions::initial_runs(g, &workflows, last_ok);
    Github {
        login: "kris-moosequest".to_owned(),
        user_id: g.number(1_000_000, 99_999_999),
        token: format!("ghp_{}", g.hex(18)),
        owner: "raxx-app".to_owned(),
        repo: "TradeMasterAPI".to_owned(),
        repo_id: g.number(100_000_000, 999_999_999),
        key_id: g
            .number(1_000_000_000_000_000_000, 9_000_000_000_000_000_000)
            .to_string(),
        secret_key: g.key(),
        secrets,
        env_secrets: BTreeMap::new(),
        org_secrets: BTreeMap::new(),
        workflows,
        runs,
        rate_remaining: 5000,
        step: o.workflow_step,
        deploy_secret: SECRET_NAME.to_owned(),
        probe: super::github_probe::ProbeSim::default(),
    }
}

fn vault(
    g: &mut Gen,
    old: &SimAuthorization,
    current: &SimAuthorization,
    holds_old: bool,
) -> Vault {
    let mut v = Vault {
        client_id: g.uuid(),
        client_secret: g.hex(32),
        project_id: g.uuid(),
        environment: "prod".to_owned(),
        path: "/MooseQuest/heroku".to_owned(),
        key: SECRET_NAME.to_owned(),
        access_tokens: HashMap::new(),
        secrets: Vec::new(),
    };
    let (env, path) = (v.environment.clone(), v.path.clone());
    for i in (0..12).rev() {
        let value = g.heroku_token();
        infisical::write_version_at(
            &mut v,
            &env,
            &path,
            SECRET_NAME,
            &value,
            old.created_at - Days::days(91 * (i + 1)),
        );
    }
    let mut history = vec![(old, old.created_at), (current, current.created_at)];
    if holds_old {
        history = vec![
            (current, current.created_at),
            (old, Utc::now() - Days::days(1)),
        ];
    }
    for (auth, at) in history {
        infisical::write_version_at(&mut v, &env, &path, SECRET_NAME, &auth.token, at);
    }
    infisical::write_version_at(
        &mut v,
        &env,
        &path,
        "DATABASE_URL",
        "postgres://raxx@db.internal/raxx",
        current.created_at,
    );
    v
}
