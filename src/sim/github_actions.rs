//! Simulated GitHub Actions workflows and runs. A dispatched run goes queued →
//! `in_progress` → completed, and its conclusion is computed, not scripted: success only if
//! the token in the repository's `HEROKU_API_KEY` secret is valid on the simulated Heroku
//! at that moment — so fixing the secret really makes the re-run pass.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration as Days, Utc};
use serde_json::{Value, json};

use super::github::{authorize_repo, base_url, error, error_for_status};
use super::heroku::timestamp;
use super::http::{Ctx, json as answer, json_body};
use super::scenario::Gen;
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
        .route(
            &format!("{base}/workflows/{{workflow}}/runs"),
            get(workflow_runs),
        )
        .route(&format!("{base}/runs"), get(repo_runs))
        .route(&format!("{base}/runs/{{run}}"), get(get_run))
        .route(&format!("{base}/runs/{{run}}/jobs"), get(run_jobs))
        .route(&format!("{base}/jobs/{{job}}/logs"), get(job_logs))
}

/// The two workflows of the SOPs.
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
    ]
}

/// One finished run per workflow; the deploy's conclusion per `deploy_ok`.
pub(crate) fn initial_runs(
    g: &mut Gen,
    workflows: &[Workflow],
    deploy_ok: bool,
) -> Vec<SimWorkflowRun> {
    workflows
        .iter()
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
        if let Some(run) = state.lock().github.runs.iter_mut().find(|r| r.id == run_id) {
            "in_progress".clone_into(&mut run.status);
            run.updated_at = Utc::now();
        }
        tokio::time::sleep(step).await;
        let mut w = state.lock();
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

fn find_workflow<'w>(workflows: &'w [Workflow], key: &str) -> Option<&'w Workflow> {
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
fn links(ctx: &Ctx, headers: &HeaderMap) -> (String, String) {
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
        git_ref
            .trim_start_matches("refs/heads/")
            .clone_into(&mut run.head_branch);
        w.github.runs.push(run);
        id
    };
    progress(ctx.state.clone(), run_id);
    if body.get("return_run_details").and_then(Value::as_bool) == Some(true) {
        let body = json!({
            "workflow_run_id": run_id, "run_url": format!("{base}/repos/{full}/actions/runs/{run_id}"),
            "html_url": format!("{base}/{full}/actions/runs/{run_id}"),
        });
        return answer(StatusCode::OK, &body);
    }
    StatusCode::NO_CONTENT.into_response()
}

fn render_run(run: &SimWorkflowRun, base: &str, full: &str) -> Value {
    let api = format!("{base}/repos/{full}/actions/runs/{}", run.id);
    json!({
        "id": run.id, "name": run.name, "workflow_id": run.workflow_id, "event": run.event,
        "status": run.status, "conclusion": run.conclusion, "head_branch": run.head_branch,
        "head_sha": run.head_sha, "run_number": run.run_number, "run_attempt": 1,
        "display_title": run.name, "actor": { "login": run.actor }, "triggering_actor": { "login": run.actor },
        "created_at": timestamp(run.created_at), "updated_at": timestamp(run.updated_at),
        "run_started_at": timestamp(run.created_at), "url": api,
        "html_url": format!("{base}/{full}/actions/runs/{}", run.id),
        "jobs_url": format!("{api}/jobs"), "logs_url": format!("{api}/logs"),
        "workflow_url": format!("{base}/repos/{full}/actions/workflows/{}", run.workflow_id),
    })
}

fn run_matches(run: &SimWorkflowRun, q: &HashMap<String, String>) -> bool {
    let is = |key: &str, actual: &str| q.get(key).is_none_or(|want| want == actual);
    let status_ok = q
        .get("status")
        .is_none_or(|s| *s == run.status || run.conclusion.as_deref() == Some(s.as_str()));
    status_ok
        && is("event", &run.event)
        && is("branch", &run.head_branch)
        && is("actor", &run.actor)
        && is("head_sha", &run.head_sha)
}

async fn repo_runs(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    uri: Uri,
    Path((o, r)): RepoPath,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list_runs(&ctx, &headers, &uri, (&o, &r), None, &q)
}

async fn workflow_runs(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    uri: Uri,
    Path((o, r, key)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list_runs(&ctx, &headers, &uri, (&o, &r), Some(&key), &q)
}

fn list_runs(
    ctx: &Ctx,
    headers: &HeaderMap,
    uri: &Uri,
    repo: (&str, &str),
    workflow: Option<&str>,
    q: &HashMap<String, String>,
) -> Response {
    if let Err(refusal) = authorize_repo(ctx, headers, repo.0, repo.1) {
        return refusal;
    }
    let (base, full) = links(ctx, headers);
    let w = ctx.state.lock();
    let wf_id = match workflow.map(|k| find_workflow(&w.github.workflows, k)) {
        Some(None) => return error_for_status(StatusCode::NOT_FOUND, None),
        Some(Some(wf)) => Some(wf.id),
        None => None,
    };
    let mut runs: Vec<&SimWorkflowRun> = w
        .github
        .runs
        .iter()
        .filter(|r| wf_id.is_none_or(|id| r.workflow_id == id) && run_matches(r, q))
        .collect();
    runs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let per_page = q
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30usize)
        .clamp(1, 100);
    let page = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1usize)
        .max(1);
    let total = runs.len();
    let shown: Vec<Value> = runs
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|r| render_run(r, &base, &full))
        .collect();
    let mut response = answer(
        StatusCode::OK,
        &json!({ "total_count": total, "workflow_runs": shown }),
    );
    if let Some(link) = link_header(
        &format!("{base}{}", uri.path()),
        q,
        page,
        total.div_ceil(per_page),
    ) {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// `Link: <…page=N+1>; rel="next", <…page=LAST>; rel="last"` (plus prev/first past page 1).
fn link_header(
    url: &str,
    q: &HashMap<String, String>,
    page: usize,
    last: usize,
) -> Option<HeaderValue> {
    let at = |n: usize| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let mut keys: Vec<_> = q.iter().filter(|(k, _)| *k != "page").collect();
        keys.sort();
        for (k, v) in keys {
            query.append_pair(k, v);
        }
        query.append_pair("page", &n.to_string());
        format!("<{url}?{}>", query.finish())
    };
    let mut parts = Vec::new();
    if page > 1 {
        parts.push(format!("{}; rel=\"prev\"", at(page - 1)));
        parts.push(format!("{}; rel=\"first\"", at(1)));
    }
    if page < last {
        parts.push(format!("{}; rel=\"next\"", at(page + 1)));
        parts.push(format!("{}; rel=\"last\"", at(last)));
    }
    (!parts.is_empty())
        .then(|| HeaderValue::from_str(&parts.join(", ")).ok())
        .flatten()
}

async fn get_run(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((o, r, id)): Path<(String, String, String)>,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &o, &r) {
        return refusal;
    }
    let (base, full) = links(&ctx, &headers);
    let w = ctx.state.lock();
    match w.github.runs.iter().find(|run| run.id.to_string() == id) {
        Some(run) => answer(StatusCode::OK, &render_run(run, &base, &full)),
        None => error_for_status(StatusCode::NOT_FOUND, None),
    }
}

/// The single job of a run (`id = run id * 10 + 1`) with its steps.
fn render_job(run: &SimWorkflowRun, base: &str, full: &str) -> Value {
    let done = run.status == "completed";
    let names = ["Set up job", "Checkout", "Deploy to Heroku", "Complete job"];
    let steps: Vec<Value> = names.iter().zip(1u32..).map(|(name, number)| {
        let conclusion = if !done { None } else if number == 3 { run.conclusion.clone() } else { Some("success".to_owned()) };
        json!({ "number": number, "name": name, "status": if done { "completed" } else { run.status.as_str() }, "conclusion": conclusion })
    }).collect();
    let id = run.id * 10 + 1;
    json!({
        "id": id, "run_id": run.id, "name": "deploy", "status": run.status, "conclusion": run.conclusion,
        "started_at": timestamp(run.created_at), "completed_at": done.then(|| timestamp(run.updated_at)),
        "url": format!("{base}/repos/{full}/actions/jobs/{id}"), "html_url": format!("{base}/{full}/actions/runs/{}/job/{id}", run.id),
        "steps": steps,
    })
}

async fn run_jobs(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((o, r, id)): Path<(String, String, String)>,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &o, &r) {
        return refusal;
    }
    let (base, full) = links(&ctx, &headers);
    let w = ctx.state.lock();
    match w.github.runs.iter().find(|run| run.id.to_string() == id) {
        Some(run) => answer(
            StatusCode::OK,
            &json!({ "total_count": 1, "jobs": [render_job(run, &base, &full)] }),
        ),
        None => error_for_status(StatusCode::NOT_FOUND, None),
    }
}

async fn job_logs(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((o, r, id)): Path<(String, String, String)>,
) -> Response {
    if let Err(refusal) = authorize_repo(&ctx, &headers, &o, &r) {
        return refusal;
    }
    let w = ctx.state.lock();
    match w
        .github
        .runs
        .iter()
        .find(|run| (run.id * 10 + 1).to_string() == id)
    {
        Some(run) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            run.log.clone(),
        )
            .into_response(),
        None => error_for_status(StatusCode::NOT_FOUND, None),
    }
}
