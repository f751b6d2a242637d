//! Simulated Heroku apps, config vars, releases and dynos. Apps answer by name or uuid;
//! every config change cuts a release and restarts the dynos, as on Heroku.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::heroku::{authenticate, error_for_status, timestamp};
use super::http::{Ctx, json as answer, json_body};
use super::range::{self, Key};
use super::state::{App, Release, World};

/// Heroku's limit on the total size of an app's config vars.
const CONFIG_LIMIT_BYTES: usize = 32 * 1024;

pub(crate) fn routes() -> Router<Ctx> {
    Router::new()
        .route("/apps", get(list_apps))
        .route("/users/{user}/apps", get(list_user_apps))
        .route("/apps/{app}", get(get_app))
        .route(
            "/apps/{app}/config-vars",
            get(get_config).patch(patch_config),
        )
        .route("/apps/{app}/releases", get(list_releases))
        .route("/apps/{app}/dynos", get(list_dynos).delete(restart_dynos))
}

fn render_app(a: &App, owner: (&str, &str)) -> Value {
    json!({
        "id": a.id, "name": a.name, "created_at": timestamp(a.created_at),
        "updated_at": timestamp(a.updated_at),
        "released_at": a.releases.last().map(|r| timestamp(r.created_at)),
        "web_url": format!("https://{}.herokuapp.com/", a.name),
        "git_url": format!("https://git.heroku.com/{}.git", a.name),
        "region": { "id": "59accabd-516d-4f0e-83e6-6e3757701145", "name": "us" },
        "stack": { "id": "ee582d3c-717d-4a57-ba5a-b0c0f3b3fa4e", "name": "heroku-24" },
        "build_stack": { "id": "ee582d3c-717d-4a57-ba5a-b0c0f3b3fa4e", "name": "heroku-24" },
        "owner": { "id": owner.0, "email": owner.1 },
        "organization": null, "team": null, "space": null, "internal_routing": null,
        "maintenance": false, "acm": false, "archived_at": null, "buildpack_provided_description": "Node.js",
        "repo_size": null, "slug_size": 41_234_567,
        "generation": { "id": "bde2bce5-b28b-4ac3-b3c2-3a2b0fa5d5a3", "name": "cedar" },
    })
}

/// Runs `f` on the app named (or identified) `app`, after auth; 404 if there is none.
fn with_app(
    ctx: &Ctx,
    headers: &HeaderMap,
    app: &str,
    f: impl FnOnce(&mut World, usize) -> Response,
) -> Response {
    if let Err(refusal) = authenticate(ctx, headers) {
        return refusal;
    }
    let mut w = ctx.state.lock();
    match w
        .heroku
        .apps
        .iter()
        .position(|a| a.name == app || a.id == app)
    {
        Some(index) => f(&mut w, index),
        None => error_for_status(StatusCode::NOT_FOUND, Some("Couldn't find that app.")),
    }
}

async fn list_apps(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if let Err(refusal) = authenticate(&ctx, &headers) {
        return refusal;
    }
    let w = ctx.state.lock();
    let owner = (w.heroku.account_id.as_str(), w.heroku.email.as_str());
    let key = |a: &&App, field: &str| match field {
        "id" => Some(Key::Text(a.id.clone())),
        "name" => Some(Key::Text(a.name.clone())),
        _ => None,
    };
    let apps: Vec<&App> = w.heroku.apps.iter().collect();
    range::respond(&headers, "id", &apps, key, |a| render_app(a, owner))
}

/// `GET /users/{~|id|email}/apps`: what `heroku apps` asks for (the account's own apps).
async fn list_user_apps(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Response {
    let known = {
        let w = ctx.state.lock();
        user == "~" || user == w.heroku.account_id || user.eq_ignore_ascii_case(&w.heroku.email)
    };
    if !known {
        if let Err(refusal) = authenticate(&ctx, &headers) {
            return refusal;
        }
        return error_for_status(StatusCode::NOT_FOUND, None);
    }
    list_apps(State(ctx), headers).await
}

async fn get_app(State(ctx): State<Ctx>, headers: HeaderMap, Path(app): Path<String>) -> Response {
    with_app(&ctx, &headers, &app, |w, i| {
        let owner = (w.heroku.account_id.as_str(), w.heroku.email.as_str());
        answer(StatusCode::OK, &render_app(&w.heroku.apps[i], owner))
    })
}

fn config_object(a: &App) -> Value {
    Value::Object(
        a.config
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

async fn get_config(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Response {
    with_app(&ctx, &headers, &app, |w, i| {
        answer(StatusCode::OK, &config_object(&w.heroku.apps[i]))
    })
}

/// Validates a PATCH body: an object whose values are strings or null.
fn config_changes(body: &Bytes) -> Result<Map<String, Value>, Response> {
    let invalid = |m| error_for_status(StatusCode::UNPROCESSABLE_ENTITY, Some(m));
    let Some(Value::Object(changes)) = json_body(body) else {
        return Err(invalid(
            "Request body must be a JSON object of config vars.",
        ));
    };
    if changes.values().any(|v| !(v.is_string() || v.is_null())) {
        return Err(invalid("Config var values must be strings or null."));
    }
    Ok(changes)
}

async fn patch_config(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(app): Path<String>,
    body: Bytes,
) -> Response {
    let changes = match config_changes(&body) {
        Ok(c) => c,
        Err(refusal) => return refusal,
    };
    with_app(&ctx, &headers, &app, |w, i| {
        let a = &mut w.heroku.apps[i];
        let mut merged = a.config.clone();
        for (key, value) in &changes {
            match value.as_str() {
                Some(v) => merged.insert(key.clone(), v.to_owned()),
                None => merged.remove(key),
            };
        }
        let size: usize = merged.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > CONFIG_LIMIT_BYTES {
            return error_for_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("Config vars exceed the 32 KB limit."),
            );
        }
        if merged != a.config {
            a.config = merged;
            cut_release(a, &changes);
        }
        answer(StatusCode::OK, &config_object(a))
    })
}

/// A new release `Set K1, K2 config vars` (or `Remove …`) and a dyno restart.
fn cut_release(a: &mut App, changes: &Map<String, Value>) {
    let set: Vec<&str> = changes
        .iter()
        .filter(|(_, v)| v.is_string())
        .map(|(k, _)| k.as_str())
        .collect();
    let removed: Vec<&str> = changes
        .iter()
        .filter(|(_, v)| v.is_null())
        .map(|(k, _)| k.as_str())
        .collect();
    let description = if set.is_empty() {
        format!("Remove {} config vars", removed.join(", "))
    } else {
        format!("Set {} config vars", set.join(", "))
    };
    let now = Utc::now();
    let version = a.releases.last().map_or(1, |r| r.version + 1);
    a.releases.push(Release {
        id: uuid::Uuid::new_v4().to_string(),
        version,
        description,
        created_at: now,
    });
    a.updated_at = now;
    a.restarted_at = Some(Instant::now());
}

async fn list_releases(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Response {
    with_app(&ctx, &headers, &app, |w, i| {
        let user = (w.heroku.account_id.clone(), w.heroku.email.clone());
        let a = &w.heroku.apps[i];
        let current = a.releases.last().map(|r| r.version);
        let key = |r: &Release, field: &str| match field {
            "version" => Some(Key::Num(r.version)),
            "id" => Some(Key::Text(r.id.clone())),
            _ => None,
        };
        let render = |r: &Release| {
            json!({
                "id": r.id, "version": r.version, "description": r.description, "status": "succeeded",
                "current": Some(r.version) == current, "created_at": timestamp(r.created_at),
                "updated_at": timestamp(r.created_at), "user": { "id": user.0, "email": user.1 },
                "app": { "id": a.id, "name": a.name }, "addon_plan_names": [], "artifacts": [],
                "slug": null, "output_stream_url": null, "eligible_for_rollback": true,
            })
        };
        range::respond(&headers, "version", &a.releases, key, render)
    })
}

async fn list_dynos(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Response {
    with_app(&ctx, &headers, &app, |w, i| {
        let restart = w.heroku.dyno_restart;
        let a = &w.heroku.apps[i];
        let starting = a.restarted_at.is_some_and(|t| t.elapsed() < restart);
        let release = a
            .releases
            .last()
            .map(|r| json!({ "id": r.id, "version": r.version }));
        let dynos: Vec<Value> = a
            .dynos
            .iter()
            .map(|(id, name)| {
                let kind = name.split('.').next().unwrap_or("web");
                json!({
                    "id": id, "name": name, "type": kind, "state": if starting { "starting" } else { "up" },
                    "size": "Standard-1X", "command": format!("npm run {kind}"), "attach_url": null,
                    "created_at": timestamp(a.updated_at), "updated_at": timestamp(a.updated_at),
                    "release": release, "app": { "id": a.id, "name": a.name },
                })
            })
            .collect();
        answer(StatusCode::OK, &Value::Array(dynos))
    })
}

async fn restart_dynos(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Response {
    with_app(&ctx, &headers, &app, |w, i| {
        let a = &mut w.heroku.apps[i];
        a.restarted_at = Some(Instant::now());
        answer(StatusCode::ACCEPTED, &json!({}))
    })
}
