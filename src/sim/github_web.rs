//! The one page of GitHub's web UI keyturn sends an operator to: a repository's Actions
//! secrets, where Path A's paste happens (`{github_web}/{owner}/{repo}/settings/secrets/
//! actions`, then the secret, then "Update secret"). Served on the simulated GitHub's port
//! so `keyturn demo` can be walked through Path A for real: open the link in a browser,
//! paste, save. Not part of the REST API (API.md); paths the REST API does not use. No
//! sign-in: it is a simulator on loopback.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::github_secrets::check_name;
use super::http::Ctx;

const LIST: &str = "/{owner}/{repo}/settings/secrets/actions";

pub(crate) fn routes() -> Router<Ctx> {
    Router::new()
        .route(LIST, get(list))
        .route(&format!("{LIST}/{{name}}"), get(form).post(save))
}

type Params = Path<HashMap<String, String>>;

/// True for the paths of this page (they skip the REST API's front door).
pub(crate) fn serves(path: &str) -> bool {
    path.contains("/settings/secrets/actions")
}

/// The repository's secrets, each a link to its update form.
async fn list(State(ctx): State<Ctx>, Path(p): Params) -> Response {
    let Some(repo) = our_repo(&ctx, &p) else {
        return page(
            StatusCode::NOT_FOUND,
            "Not found",
            "<p>No such repository.</p>",
        );
    };
    let names: Vec<String> = ctx.state.lock().github.secrets.keys().cloned().collect();
    // Names were checked on the way in (letters, digits, `_`): safe in the page as they are.
    let items = names.iter().fold(String::new(), |mut html, n| {
        let _ = write!(html, "<li><a href=\"actions/{n}\">{n}</a></li>");
        html
    });
    let body = format!("<h1>{repo}: Actions secrets</h1><ul>{items}</ul>");
    page(StatusCode::OK, "Actions secrets", &body)
}

/// "Update secret": a text area for the new value.
async fn form(State(ctx): State<Ctx>, Path(p): Params) -> Response {
    let (Some(repo), Some(name)) = (our_repo(&ctx, &p), secret(&p)) else {
        return page(StatusCode::NOT_FOUND, "Not found", "<p>No such secret.</p>");
    };
    let body = format!(
        "<h1>{repo}: update {name}</h1>\
         <form method=\"post\"><textarea name=\"value\" rows=\"4\" cols=\"72\" autofocus></textarea>\
         <p><button type=\"submit\">Update secret</button></p></form>\
         <p>Write-only, as on GitHub: the value is never shown back.</p>"
    );
    page(StatusCode::OK, &format!("Update {name}"), &body)
}

/// The form's POST (`value=…`, form-encoded): the secret now holds the pasted value, with
/// the line break a paste may carry trimmed off.
async fn save(State(ctx): State<Ctx>, Path(p): Params, body: Bytes) -> Response {
    let (Some(_), Some(name)) = (our_repo(&ctx, &p), secret(&p)) else {
        return page(StatusCode::NOT_FOUND, "Not found", "<p>No such secret.</p>");
    };
    let value = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "value")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    if value.is_empty() {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Empty",
            "<p>Paste a value.</p>",
        );
    }
    ctx.state.set_github_secret(&name, &value);
    let body = format!("<p>Secret <b>{name}</b> updated. Go back to keyturn and confirm.</p>");
    page(StatusCode::OK, "Secret updated", &body)
}

/// `owner/repo` when the path names the simulated repository.
fn our_repo(ctx: &Ctx, p: &HashMap<String, String>) -> Option<String> {
    let slug = format!("{}/{}", p.get("owner")?, p.get("repo")?);
    let g = &ctx.state.lock().github;
    let ours = format!("{}/{}", g.owner, g.repo);
    slug.eq_ignore_ascii_case(&ours).then_some(ours)
}

/// The secret's name from the path, upper-cased, when GitHub would accept it (so it is
/// also safe to put in the page as it is).
fn secret(p: &HashMap<String, String>) -> Option<String> {
    let name = p.get("name")?.to_ascii_uppercase();
    check_name(&name).ok().map(|()| name)
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title} · simulated GitHub</title></head>\
         <body><p><i>Simulated GitHub (keyturn sim)</i></p>{body}</body></html>"
    );
    let content_type = [(header::CONTENT_TYPE, "text/html; charset=utf-8")];
    (status, content_type, html).into_response()
}
