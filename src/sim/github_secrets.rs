//! Simulated GitHub Actions secrets — repository, environment and organization — with real
//! sealed-box decryption: a value that does not open with the key GitHub handed out is
//! refused with 422, exactly as GitHub does. All three share one key pair and one set of
//! handlers; only the map they read and write differs.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use chrono::Utc;
use serde_json::{Value, json};

use super::github::{authenticate, authorize_repo, error_for_status, validation_failed};
use super::heroku::timestamp;
use super::http::{Ctx, json as answer, json_body};
use super::state::{Github, GithubSecret};

/// GitHub's limit on a secret's size.
const SECRET_LIMIT_BYTES: usize = 48 * 1024;

type Params = Path<HashMap<String, String>>;

pub(crate) fn routes() -> Router<Ctx> {
    let mut router = Router::new();
    for base in [
        "/repos/{owner}/{repo}/actions/secrets",
        "/repos/{owner}/{repo}/environments/{env}/secrets",
        "/orgs/{org}/actions/secrets",
    ] {
        router = router
            .route(&format!("{base}/public-key"), get(public_key))
            .route(base, get(list))
            .route(
                &format!("{base}/{{name}}"),
                get(read).put(write).delete(delete),
            );
    }
    router
}

/// Which secret map a request addresses.
enum Store {
    Repo,
    Environment(String),
    Org,
}

impl Store {
    /// Auth and ownership checks, then the store the path names.
    fn of(ctx: &Ctx, headers: &HeaderMap, p: &HashMap<String, String>) -> Result<Store, Response> {
        let param = |k: &str| p.get(k).map_or("", String::as_str);
        if let Some(org) = p.get("org") {
            authenticate(ctx, headers)?;
            let owns = ctx.state.lock().github.owner.eq_ignore_ascii_case(org);
            return if owns {
                Ok(Store::Org)
            } else {
                Err(error_for_status(StatusCode::NOT_FOUND, None))
            };
        }
        authorize_repo(ctx, headers, param("owner"), param("repo"))?;
        Ok(p.get("env")
            .map_or(Store::Repo, |env| Store::Environment(env.clone())))
    }

    fn secrets<'g>(&self, g: &'g mut Github) -> &'g mut BTreeMap<String, GithubSecret> {
        match self {
            Store::Repo => &mut g.secrets,
            Store::Environment(env) => g.env_secrets.entry(env.clone()).or_default(),
            Store::Org => &mut g.org_secrets,
        }
    }

    fn render(&self, name: &str, s: &GithubSecret) -> Value {
        let mut v = json!({ "name": name, "created_at": timestamp(s.created_at), "updated_at": timestamp(s.updated_at) });
        if matches!(self, Store::Org) {
            v["visibility"] = json!("private");
        }
        v
    }
}

/// Runs `f` on the addressed store after the checks; the checks' refusal otherwise.
fn with_store(
    ctx: &Ctx,
    headers: &HeaderMap,
    p: &HashMap<String, String>,
    f: impl FnOnce(&Store, &mut Github) -> Response,
) -> Response {
    match Store::of(ctx, headers, p) {
        Ok(store) => f(&store, &mut ctx.state.lock().github),
        Err(refusal) => refusal,
    }
}

fn secret_name(p: &HashMap<String, String>) -> String {
    p.get("name")
        .map(|n| n.to_ascii_uppercase())
        .unwrap_or_default()
}

async fn public_key(State(ctx): State<Ctx>, headers: HeaderMap, Path(p): Params) -> Response {
    with_store(&ctx, &headers, &p, |_, g| {
        let public = crypto_box::SecretKey::from_bytes(g.secret_key).public_key();
        let key = base64::engine::general_purpose::STANDARD.encode(public.as_bytes());
        answer(StatusCode::OK, &json!({ "key_id": g.key_id, "key": key }))
    })
}

async fn list(State(ctx): State<Ctx>, headers: HeaderMap, Path(p): Params) -> Response {
    with_store(&ctx, &headers, &p, |store, g| {
        let secrets: Vec<Value> = store
            .secrets(g)
            .iter()
            .map(|(n, s)| store.render(n, s))
            .collect();
        answer(
            StatusCode::OK,
            &json!({ "total_count": secrets.len(), "secrets": secrets }),
        )
    })
}

async fn read(State(ctx): State<Ctx>, headers: HeaderMap, Path(p): Params) -> Response {
    let name = secret_name(&p);
    with_store(&ctx, &headers, &p, |store, g| {
        match store.secrets(g).get(&name) {
            Some(s) => answer(StatusCode::OK, &store.render(&name, s)),
            None => error_for_status(StatusCode::NOT_FOUND, None),
        }
    })
}

async fn delete(State(ctx): State<Ctx>, headers: HeaderMap, Path(p): Params) -> Response {
    let name = secret_name(&p);
    with_store(&ctx, &headers, &p, |store, g| {
        match store.secrets(g).remove(&name) {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => error_for_status(StatusCode::NOT_FOUND, None),
        }
    })
}

/// PUT: 201 `{}` when created, 204 when updated; 422 for a bad name, key id or value.
async fn write(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(p): Params,
    body: Bytes,
) -> Response {
    let raw_name = p.get("name").cloned().unwrap_or_default();
    let body = json_body(&body).unwrap_or(Value::Null);
    with_store(&ctx, &headers, &p, |store, g| {
        if let Err(detail) = check_name(&raw_name) {
            return validation_failed("name", detail);
        }
        let value = match open_value(&body, &g.key_id, g.secret_key) {
            Ok(v) => v,
            Err(refusal) => return refusal,
        };
        let now = Utc::now();
        let secrets = store.secrets(g);
        if let Some(existing) = secrets.get_mut(&raw_name.to_ascii_uppercase()) {
            existing.value = value;
            existing.updated_at = now;
            return StatusCode::NO_CONTENT.into_response();
        }
        secrets.insert(
            raw_name.to_ascii_uppercase(),
            GithubSecret {
                value,
                created_at: now,
                updated_at: now,
            },
        );
        answer(StatusCode::CREATED, &json!({}))
    })
}

/// GitHub's secret-name rule; the error detail when broken.
pub(crate) fn check_name(name: &str) -> Result<(), &'static str> {
    let chars_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !chars_ok {
        return Err(
            "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_).",
        );
    }
    if name.starts_with(|c: char| c.is_ascii_digit())
        || name.to_ascii_uppercase().starts_with("GITHUB_")
    {
        return Err("Secret names must not start with a number or the GITHUB_ prefix.");
    }
    Ok(())
}

/// Opens a libsodium sealed box (`crypto_box_seal`) with an X25519 secret key: the exact
/// check GitHub makes on every secret write. `None` if it does not open.
pub fn open_sealed(secret_key: [u8; 32], sealed: &[u8]) -> Option<Vec<u8>> {
    crypto_box::SecretKey::from_bytes(secret_key)
        .unseal(sealed)
        .ok()
}

/// Opens `encrypted_value` with the repository key after checking `key_id`.
fn open_value(body: &Value, key_id: &str, secret_key: [u8; 32]) -> Result<String, Response> {
    let field = |f: &str| {
        body.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if field("key_id") != key_id {
        return Err(validation_failed(
            "key_id",
            "key_id does not match the repository's current public key.",
        ));
    }
    let undecryptable = || {
        validation_failed(
            "encrypted_value",
            "encrypted_value could not be decrypted with the repository's public key.",
        )
    };
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(field("encrypted_value"))
        .map_err(|_| undecryptable())?;
    if sealed.len() > SECRET_LIMIT_BYTES + 48 {
        return Err(validation_failed(
            "encrypted_value",
            "Secret values are limited to 48 KB.",
        ));
    }
    let plain = open_sealed(secret_key, &sealed).ok_or_else(undecryptable)?;
    String::from_utf8(plain).map_err(|_| undecryptable())
}
