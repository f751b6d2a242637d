//! Simulated GitHub Actions workflows and runs. A dispatched run goes queued →
//! `in_progress` → completed, and its conclusion is computed, not scripted: success only if
//! the token in the repository's `HEROKU_API_KEY` secret is valid on the simulated Heroku
//! at that moment — so fixing the secret really makes the re-run pass. Runs of keyturn's
//! probe workflow are finished by [`github_probe`] instead.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration as Days, Utc};
use serde_json::{Value, json};

use super::generate::Gen;
use super::github::{authorize_repo, base_url, error, error_for_status};
use super::github_probe;
use super::github_runs;
use super::heroku::timestamp;
use super::http::{Ctx, json as answer, json_body};
use super::state::{SimState, SimWorkflowRun, Workflow};

/// The log line a deploy prints when Heroku refuses the token (from the SOPs).
pub const INVALID_TOKEN_LINE: &str = "Error: The token provided to HEROKU_API_KEY is invalid. Please double-check that you have the correct token, or run 'heroku login' without HEROKU_API_KEY set.";

type RepoPath = Path<(String, String)>;

pub(crate) fn routes() -> Router<Ctx> {
    let base = "/repos/{owner}/{repo}/actions";
    Router::new()
        .route(&format!("{base}/workflows"), get(list_workflows))
        .route(&format!("{base}/workflows/{{workflow}}"), get(get_workflow))
        .route(
            &format!("{base}/workflows/{{workflow}}/dispatches"),
            post(dispatch),
        )
        .merge(github_runs::routes())
}

/// The two workflows of the SOPs, and keyturn's probe workflow (installed).
pub(crate) fn default_workflows(created_at: DateTime<Utc>) -> Vec<Workflow> {
    let make = |id, name: &str, file: &str, inputs: &[&str]| Workflow {
        id,
        name: name.to_owned(),
        file: file.to_owned(),
        inputs: inputs.iter().map(|i| (*i).to_owned()).collect(),
        created_at,
    };
    vec![
        make(
            161_335,
            "Deploy Console",
            "deploy-console.yml",
            &["environment", "ref"],
        ),
        make(161_336, "Deploy Staging", "deploy-staging.yml", &["sanity"]),
        make(
            161_337,
            "keyturn probe",
            crate::probe_workflow::FILE_NAME,
            &["nonce"],
        ),
    ]
}

/// One finished run per deploy workflow (the probe has never run); the deploy's conclusion
/// per `deploy_ok`.
pub(crate) fn initial_runs(
    g: &mut Gen,
    workflows: &[Workflow],
    deploy_ok: bool,
) -> Vec<SimWorkflowRun> {
    workflows
        .iter()
        .filter(|wf| wf.file != crate::probe_workflow::FILE_NAME)
        .enumerate()
        .map(|(i, wf)| {
            let ok = deploy_ok || i > 0;
            let at = Utc::now() - Days::hours(i64::try_from(i).unwrap_or(0) + 2);
            let id = g.number(9_000_000_000, 9_999_999_999);
            let mut run = new_run(
                id,
                wf,
                g.hex(20),
                BTreeMap::new(),
                at,
                41 - u64::try_from(i).unwrap_or(0),
            );
            finish(&mut run, ok);
            run
        })
        .collect()
}

fn new_run(
    id: u64,
    wf: &Workflow,
    sha: String,
    inputs: BTreeMap<String, String>,
    at: DateTime<Utc>,
    number: u64,
) -> SimWorkflowRun {
    SimWorkflowRun {
        id,
        workflow_id: wf.id,
        name: wf.name.clone(),
        display_title: display_title(wf, &inputs),
        event: "workflow_dispatch".to_owned(),
        status: "queued".to_owned(),
        conclusion: None,
        head_branch: "main".to_owned(),
        head_sha: sha,
        run_number: number,
        actor: "kris-moosequest".to_owned(),
        inputs,
        created_at: at,
        updated_at: at,
        log: String::new(),
    }
}

/// The run's `display_title`: the probe's `run-name` carries its nonce, as in the shipped file.
fn display_title(wf: &Workflow, inputs: &BTreeMap<String, String>) -> String {
    match inputs.get("nonce") {
        Some(nonce) if wf.file == crate::probe_workflow::FILE_NAME => {
            format!("{} {nonce}", crate::probe_workflow::LINE_PREFIX)
        }
        _ => wf.name.clone(),
    }
}

/// Marks a run completed with its log.
fn finish(run: &mut SimWorkflowRun, ok: bool) {
    let stamp = timestamp(run.updated_at);
    let (head, tail) = if ok {
        ("Successfully logged into Heroku", "Deployed successfully")
    } else {
        (
            INVALID_TOKEN_LINE,
            "##[error]Process completed with exit code 1.",
        )
    };
    let log = format!(
        "{stamp} Run akhileshns/heroku-deploy@v3.13.15\n{stamp} Deploying to Heroku as kris@moosequest.net\n{stamp} {head}\n{stamp} {tail}\n"
    );
    run.log = log;
    "completed".clone_into(&mut run.status);
    run.conclusion = Some(if ok { "success" } else { "failure" }.to_owned());
}

/// Moves a dispatched run through its phases, deciding the conclusion at the end.
fn progress(state: SimState, run_id: u64) {
    let step = state.lock().github.step;
    tokio::spawn(async move {
        tokio::time::sleep(step).await;
        if github_probe::holds_back(&state.lock(), run_id) {
            return;
        }
        if let Some(run) = state.lock().github.runs.iter_mut().find(|r| r.id == run_id) {
            "in_progress".clone_into(&mut run.status);
            run.updated_at = Utc::now();
        }
        tokio::time::sleep(step).await;
        let mut w = state.lock();
        if w.github
            .runs
            .iter()
            .any(|r| r.id == run_id && github_probe::is_probe(&w.github, r))
        {
            github_probe::finish(&mut w, run_id);
            return;
        }
        let token = w
            .github
            .secrets
            .get(&w.github.deploy_secret)
            .map(|s| s.value.clone())
            .unwrap_or_default();
        let ok = w.heroku.token_is_valid(&token);
        if let Some(run) = w.github.runs.iter_mut().find(|r| r.id == run_id) {
            run.updated_at = Utc::now();
            finish(run, ok);
        }
    });
}

/// A fresh 40-hex-digit commit sha.
fn new_sha() -> String {
    let tail = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        tail.get(..8).unwrap_or_default()
    )
}

pub(crate) fn find_workflow<'w>(workflows: &'w [Workflow], key: &str) -> Option<&'w Workflow> {
    workflows
        .iter()
        .find(|w| w.file == key || w.id.to_string() == key)
}

fn render_workflow(wf: &Workflow, base: &str, full: &str) -> Value {
    json!({
        "id": wf.id, "node_id": format!("W_{}", wf.id), "name": wf.name,
        "path": format!(".github/workflows/{}", wf.file), "state": "active",
        "created_at": timestamp(wf.created_at), "updated_at": timestamp(wf.created_at),
        "url": format!("{base}/repos/{full}/actions/workflows/{}", wf.id),
        "html_url": format!("{base}/{full}/blob/main/.github/workflows/{}", wf.file),
        "badge_url": format!("{base}/{full}/workflows/{}/badge.svg", wf.name),
    })
}

/// `(base url, owner/repo)` for building links.
pub(crate) fn links(ctx: &Ctx, headers: &HeaderMap) -> (String, String) {
    let w = ctx.state.lock();
    (
        base_url(headers),
        format!("{}/{}", w.github.owner, w.github.repo),
    )
}

async fn list_workflows(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((o, r)): RepoPath,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &o, &r) {
        return refusal;
    }
    let (base, full) = links(&ctx, &headers);
    let w = ctx.state.lock();
    let all: Vec<Value> = w
        .github
        .workflows
        .iter()
        .map(|wf| render_workflow(wf, &base, &full))
        .collect();
    answer(
        StatusCode::OK,
        &json!({ "total_count": all.len(), "workflows": all }),
    )
}

async fn get_workflow(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((o, r, key)): Path<(String, String, String)>,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &o, &r) {
        return refusal;
    }
    let (base, full) = links(&ctx, &headers);
    let w = ctx.state.lock();
    match find_workflow(&w.github.workflows, &key) {
        Some(wf) => answer(StatusCode::OK, &render_workflow(wf, &base, &full)),
        None => error_for_status(StatusCode::NOT_FOUND, None),
    }
}

/// `inputs` as strings; 422 for inputs the workflow does not declare.
fn dispatch_inputs(body: &Value, wf: &Workflow) -> Result<BTreeMap<String, String>, Response> {
    let mut inputs = BTreeMap::new();
    for (k, v) in body
        .get("inputs")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !wf.inputs.contains(k) {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Unexpected inputs provided: [\"{k}\"]"),
            ));
        }
        inputs.insert(
            k.clone(),
            v.as_str().map_or_else(|| v.to_string(), str::to_owned),
        );
    }
    Ok(inputs)
}

async fn dispatch(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((o, r, key)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &o, &r) {
        return refusal;
    }
    let body = json_body(&body).unwrap_or(Value::Null);
    let Some(git_ref) = body.get("ref").and_then(Value::as_str) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request.\n\n\"ref\" wasn't supplied.",
        );
    };
    let (base, full) = links(&ctx, &headers);
    let run_id = {
        let mut w = ctx.state.lock();
        let Some(wf) = find_workflow(&w.github.workflows, &key).cloned() else {
            return error_for_status(StatusCode::NOT_FOUND, None);
        };
        let inputs = match dispatch_inputs(&body, &wf) {
            Ok(i) => i,
            Err(refusal) => return refusal,
        };
        let number = w
            .github
            .runs
            .iter()
            .map(|r| r.run_number)
            .max()
            .unwrap_or(0)
            + 1;
        let id = w
            .github
            .runs
            .iter()
            .map(|r| r.id)
            .max()
            .unwrap_or(9_000_000_000)
            + 1;
        let mut run = new_run(id, &wf, new_sha(), inputs, Utc::now(), number);
        if !w.github.probe.run_name {
            run.display_title.clone_from(&wf.name);
        }
        git_ref
            .trim_start_matches("refs/heads/")
            .clone_into(&mut run.head_branch);
        w.github.runs.push(run);
        id
    };
    progress(ctx.state.clone(), run_id);
    let details = ctx.state.lock().github.probe.run_details;
    if details && body.get("return_run_details").and_then(Value::as_bool) == Some(true) {
        let body = json!({
            "workflow_run_id": run_id, "run_url": format!("{base}/repos/{full}/actions/runs/{run_id}"),
            "html_url": format!("{base}/{full}/actions/runs/{run_id}"),
        });
        return answer(StatusCode::OK, &body);
    }
    StatusCode::NO_CONTENT.into_response()
}
