//! Simulated GitHub Actions runs: lists with filters and `Link` pagination, one run, its
//! job and the job's plain-text log. Every URL is built from the request's `Host`.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::github::{authorize_repo, base_url, error_for_status};
use super::github_actions::find_workflow;
use super::github_shapes;
use super::heroku::timestamp;
use super::http::{Ctx, json as answer};
use super::state::{Github, SimWorkflowRun};

type RepoPath = Path<(String, String)>;

pub(crate) fn routes() -> Router<Ctx> {
    let base = "/repos/{owner}/{repo}/actions";
    Router::new()
        .route(
            &format!("{base}/workflows/{{workflow}}/runs"),
            get(workflow_runs),
        )
        .route(&format!("{base}/runs"), get(repo_runs))
        .route(&format!("{base}/runs/{{run}}"), get(get_run))
        .route(&format!("{base}/runs/{{run}}/jobs"), get(run_jobs))
        .route(&format!("{base}/jobs/{{job}}/logs"), get(job_logs))
}

/// One run as GitHub's `workflow-run`.
fn render_run(run: &SimWorkflowRun, g: &Github, base: &str) -> Value {
    let full = github_shapes::full_name(g);
    let api = format!("{base}/repos/{full}/actions/runs/{}", run.id);
    let file = g
        .workflows
        .iter()
        .find(|w| w.id == run.workflow_id)
        .map_or("", |w| w.file.as_str());
    let actor = github_shapes::simple_user(base, &run.actor, g.user_id, "User");
    let suite = check_suite_id(run);
    json!({
        "id": run.id, "node_id": format!("WFR_{}", run.id), "name": run.name,
        "workflow_id": run.workflow_id,
        "path": format!(".github/workflows/{file}"), "event": run.event, "status": run.status,
        "conclusion": run.conclusion, "head_branch": run.head_branch, "head_sha": run.head_sha,
        "run_number": run.run_number, "run_attempt": 1, "display_title": run.display_title,
        "check_suite_id": suite, "check_suite_node_id": format!("CS_{suite}"),
        "actor": actor, "triggering_actor": actor, "pull_requests": [], "referenced_workflows": [],
        "created_at": timestamp(run.created_at), "updated_at": timestamp(run.updated_at),
        "run_started_at": timestamp(run.created_at), "url": api,
        "html_url": format!("{base}/{full}/actions/runs/{}", run.id),
        "jobs_url": format!("{api}/jobs"), "logs_url": format!("{api}/logs"),
        "check_suite_url": format!("{base}/repos/{full}/check-suites/{suite}"),
        "artifacts_url": format!("{api}/artifacts"), "cancel_url": format!("{api}/cancel"),
        "rerun_url": format!("{api}/rerun"), "previous_attempt_url": null,
        "workflow_url": format!("{base}/repos/{full}/actions/workflows/{}", run.workflow_id),
        "head_commit": github_shapes::head_commit(run),
        "repository": github_shapes::minimal_repository(base, g),
        "head_repository": github_shapes::minimal_repository(base, g),
        "head_repository_id": g.repo_id,
    })
}

/// A run's check suite id (one suite per run).
fn check_suite_id(run: &SimWorkflowRun) -> u64 {
    run.id * 10 + 2
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
    let base = base_url(headers);
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
        .map(|r| render_run(r, &w.github, &base))
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

/// Auth, then answers with `f(run, github, base url)` for the run `pick` selects, or 404.
fn with_run(
    ctx: &Ctx,
    headers: &HeaderMap,
    repo: (&str, &str),
    pick: impl Fn(&SimWorkflowRun) -> bool,
    f: impl FnOnce(&SimWorkflowRun, &Github, &str) -> Response,
) -> Response {
    if let Err(refusal) = authorize_repo(ctx, headers, repo.0, repo.1) {
        return refusal;
    }
    let base = base_url(headers);
    let w = ctx.state.lock();
    match w.github.runs.iter().find(|run| pick(run)) {
        Some(run) => f(run, &w.github, &base),
        None => error_for_status(StatusCode::NOT_FOUND, None),
    }
}

/// A run's single job id.
fn job_id(run: &SimWorkflowRun) -> u64 {
    run.id * 10 + 1
}

async fn get_run(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((o, r, id)): Path<(String, String, String)>,
) -> Response {
    with_run(
        &ctx,
        &headers,
        (&o, &r),
        |run| run.id.to_string() == id,
        |run, g, base| answer(StatusCode::OK, &render_run(run, g, base)),
    )
}

/// The single job of a run (id from [`job_id`]) with its steps, as GitHub's `job`. A
/// queued job has no runner yet.
fn render_job(run: &SimWorkflowRun, g: &Github, base: &str) -> Value {
    let full = github_shapes::full_name(g);
    let done = run.status == "completed";
    let probe = super::github_probe::is_probe(g, run);
    let names = if probe {
        ["Set up job", "keyturn probe", "Complete job"].as_slice()
    } else {
        ["Set up job", "Checkout", "Deploy to Heroku", "Complete job"].as_slice()
    };
    let failing = names.len() - 1;
    let steps: Vec<Value> = names.iter().zip(1u32..).map(|(name, number)| {
        let conclusion = if !done { None } else if usize::try_from(number).is_ok_and(|n| n == failing) { run.conclusion.clone() } else { Some("success".to_owned()) };
        json!({ "number": number, "name": name, "status": if done { "completed" } else { run.status.as_str() }, "conclusion": conclusion })
    }).collect();
    let id = job_id(run);
    let runner = (run.status != "queued").then_some(2u64);
    json!({
        "id": id, "node_id": format!("CR_{id}"), "run_id": run.id, "run_attempt": 1,
        "name": if probe { "probe" } else { "deploy" },
        "head_sha": run.head_sha, "status": run.status, "conclusion": run.conclusion,
        "started_at": timestamp(run.created_at), "completed_at": done.then(|| timestamp(run.updated_at)),
        "url": format!("{base}/repos/{full}/actions/jobs/{id}"), "html_url": format!("{base}/{full}/actions/runs/{}/job/{id}", run.id),
        "run_url": format!("{base}/repos/{full}/actions/runs/{}", run.id),
        "check_run_url": format!("{base}/repos/{full}/check-runs/{id}"),
        "labels": ["ubuntu-latest"],
        "runner_id": runner, "runner_name": runner.map(|n| format!("GitHub Actions {n}")),
        "runner_group_id": runner, "runner_group_name": runner.map(|_| "GitHub Actions"),
        "steps": steps,
    })
}

async fn run_jobs(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((o, r, id)): Path<(String, String, String)>,
) -> Response {
    with_run(
        &ctx,
        &headers,
        (&o, &r),
        |run| run.id.to_string() == id,
        |run, g, base| {
            answer(
                StatusCode::OK,
                &json!({ "total_count": 1, "jobs": [render_job(run, g, base)] }),
            )
        },
    )
}

/// The job's log as plain text (GitHub redirects to it; answering directly is allowed).
async fn job_logs(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Path((o, r, id)): Path<(String, String, String)>,
) -> Response {
    with_run(
        &ctx,
        &headers,
        (&o, &r),
        |run| job_id(run).to_string() == id,
        |run, _, _| {
            (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                run.log.clone(),
            )
                .into_response()
        },
    )
}
