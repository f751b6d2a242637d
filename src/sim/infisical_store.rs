//! The vault's data helpers: where a request points (`Scope`), finding a secret, writing
//! a version (values trimmed as Infisical does) and rendering a secret object with every
//! key clients require.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::heroku::timestamp;
use super::infisical::{error, error_for_status};
use super::state::{SimVaultVersion, Vault, VaultSecret};

/// Trims a written value, keeping one trailing newline if there was one.
pub(crate) fn normalize(value: &str) -> String {
    let trimmed = value.trim();
    if value.ends_with('\n') && !trimmed.is_empty() {
        format!("{trimmed}\n")
    } else {
        trimmed.to_owned()
    }
}

/// Appends a version to a secret (creating it) at `at`.
pub(crate) fn write_version_at(
    vault: &mut Vault,
    env: &str,
    path: &str,
    key: &str,
    value: &str,
    at: DateTime<Utc>,
) {
    let index = vault
        .secrets
        .iter()
        .position(|s| s.key == key && s.path == path && s.environment == env);
    let index = index.unwrap_or_else(|| {
        vault.secrets.push(VaultSecret {
            id: uuid::Uuid::new_v4().to_string(),
            environment: env.to_owned(),
            path: path.to_owned(),
            key: key.to_owned(),
            comment: String::new(),
            versions: Vec::new(),
        });
        vault.secrets.len() - 1
    });
    let secret = &mut vault.secrets[index];
    let version = secret.versions.last().map_or(1, |v| v.version + 1);
    let id = uuid::Uuid::new_v4().to_string();
    secret.versions.push(SimVaultVersion {
        id,
        version,
        value: normalize(value),
        created_at: at,
    });
}

/// Appends a version now.
pub(crate) fn write_version(vault: &mut Vault, env: &str, path: &str, key: &str, value: &str) {
    write_version_at(vault, env, path, key, value, Utc::now());
}

pub(crate) fn render(s: &VaultSecret, v: &SimVaultVersion, workspace: &str) -> Value {
    let created = s.versions.first().map_or(v.created_at, |f| f.created_at);
    json!({
        "id": s.id, "_id": s.id, "workspace": workspace, "environment": s.environment,
        "version": v.version, "type": "shared", "secretKey": s.key, "secretValue": v.value,
        "secretComment": s.comment, "createdAt": timestamp(created), "updatedAt": timestamp(v.created_at),
        "secretPath": s.path, "tags": [], "secretMetadata": [], "skipMultilineEncoding": false,
    })
}

/// Where a request points: project, environment and folder (from query or JSON body).
pub(crate) struct Scope {
    pub workspace: String,
    pub environment: String,
    pub path: String,
}

impl Scope {
    fn from(get: impl Fn(&str) -> Option<String>) -> Result<Scope, Response> {
        let missing =
            |f: &str| error_for_status(StatusCode::BAD_REQUEST, Some(&format!("{f} is required")));
        let workspace = get("workspaceId")
            .or_else(|| get("projectId"))
            .ok_or_else(|| missing("workspaceId"))?;
        let environment = get("environment").ok_or_else(|| missing("environment"))?;
        let path = get("secretPath").unwrap_or_else(|| "/".to_owned());
        let path = if path.len() > 1 {
            path.trim_end_matches('/').to_owned()
        } else {
            path
        };
        Ok(Scope {
            workspace,
            environment,
            path,
        })
    }

    pub fn of_query(q: &HashMap<String, String>) -> Result<Scope, Response> {
        Scope::from(|k| q.get(k).cloned())
    }

    pub fn of_body(body: &Value) -> Result<Scope, Response> {
        Scope::from(|k| body.get(k).and_then(Value::as_str).map(str::to_owned))
    }

    /// 404 unless the project is the simulated one.
    pub fn check(&self, vault: &Vault) -> Result<(), Response> {
        if self.workspace == vault.project_id {
            Ok(())
        } else {
            Err(error(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("Project with ID '{}' not found", self.workspace),
            ))
        }
    }
}

pub(crate) fn not_found(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("Secret with name '{name}' not found"),
    )
}

pub(crate) fn position(vault: &Vault, scope: &Scope, name: &str) -> Option<usize> {
    vault.secrets.iter().position(|s| {
        s.key == name
            && s.path == scope.path
            && s.environment == scope.environment
            && !s.versions.is_empty()
    })
}
