#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every Heroku and GitHub answer the simulator gives, requested over loopback and validated
//! against the vendor's own machine-readable schema (`tests/fixtures/schemas`): Heroku's
//! JSON hyper-schema and GitHub's `OpenAPI` description. Clients generated from those schemas
//! are pointed at the simulator, so a field they require must be there. Each `expect` line
//! is one endpoint; a failure names it, the JSON pointer and the schema's complaint.
//!
//! Where API.md and the schema disagree, API.md wins; each such place says so and is as
//! narrow as it can be.

mod common;
mod vendor_schema;

use std::time::Duration;

use keyturn::sim::{Scenario, Sim, SimOptions};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vendor_schema::probe::{Probe, delete, get, patch, post, put};
use vendor_schema::{complaints, github_component, heroku};

/// The fixtures are the published files, unedited (their hashes are in their README).
#[test]
fn schema_fixtures_are_the_published_files() {
    let readme = include_str!("fixtures/schemas/README.md");
    for (name, text) in vendor_schema::fixture_texts() {
        let digest = format!("{:x}", Sha256::digest(text.as_bytes()));
        let line = format!("{digest}  {name}");
        assert!(
            readme.contains(&line),
            "{name} differs from the hash its README records"
        );
    }
}

#[tokio::test]
async fn heroku_account_and_rate_limits() {
    let sim = common::start(Scenario::InSync).await;
    let mut p = Probe::heroku(&sim);
    p.expect(get("/account"), 200).await;
    p.expect(get("/account/rate-limits"), 200).await;
    p.report.finish();
}

#[tokio::test]
async fn heroku_oauth_authorizations() {
    let sim = common::start(Scenario::InSync).await;
    let mut p = Probe::heroku(&sim);
    let (list, one) = ("/oauth/authorizations", "/oauth/authorizations/{id}");
    // `expires_in` as a string is API.md's quirk; without it the token never expires (null).
    let expiring = json!({"scope": ["global"], "expires_in": "2592000",
        "description": "raxx-platform-token-2026-11-24"});
    let created = p
        .expect(post(list).body(expiring).note("expires"), 201)
        .await;
    let lasting = json!({"scope": ["read-protected", "write-protected"]});
    p.expect(post(list).body(lasting).note("never expires"), 201)
        .await;
    p.expect(get(list), 200).await;
    let page = get(list).header("Range", "id ..; max=1").note("a page");
    p.expect(page, 206).await;
    p.fill("id", created["id"].as_str().unwrap_or("missing"));
    p.expect(get(one), 200).await;
    let regenerate = "/oauth/authorizations/{id}/actions/regenerate-tokens";
    p.expect(post(regenerate), 200).await;
    p.expect(delete(one), 200).await;
    p.report.finish();
}

#[tokio::test]
async fn heroku_apps_by_name_and_by_id() {
    let sim = common::start(Scenario::InSync).await;
    let mut p = Probe::heroku(&sim);
    let apps = p.expect(get("/apps"), 200).await;
    for user in ["~", "kris@moosequest.net"] {
        let owned = get("/users/{user}/apps").with("user", user);
        p.expect(owned.note(user), 200).await;
    }
    for app in apps.as_array().unwrap() {
        for key in ["name", "id"] {
            let call = get("/apps/{app}").with("app", app[key].as_str().unwrap());
            p.expect(call.note(&format!("by {key}")), 200).await;
        }
    }
    p.report.finish();
}

#[tokio::test]
async fn heroku_config_vars_releases_and_dynos() {
    let sim = common::start(Scenario::InSync).await;
    let mut p = Probe::heroku(&sim);
    p.fill("app", "raxx-console-prod");
    p.expect(get("/apps/{app}/config-vars"), 200).await;
    let token = "HRKU-00000000-0000-0000-0000-000000000001";
    let change = json!({"HEROKU_API_KEY": token, "UNUSED": null});
    p.expect(patch("/apps/{app}/config-vars").body(change), 200)
        .await;
    p.expect(get("/apps/{app}/releases"), 200).await;
    // What Heroku's CLI asks right after a config change (API.md's quirk): a partial page.
    let newest = get("/apps/{app}/releases").note("newest only");
    p.expect(newest.header("Range", "version ..; order=desc,max=1"), 206)
        .await;
    p.expect(get("/apps/{app}/dynos").note("restarting"), 200)
        .await;
    p.expect(delete("/apps/{app}/dynos"), 202).await;
    p.report.finish();
}

#[tokio::test]
async fn github_user_rate_limit_and_refusals() {
    let sim = common::start(Scenario::InSync).await;
    let mut p = Probe::github(&sim, &sim.credentials().github_token);
    p.expect(get("/user"), 200).await;
    p.expect(get("/rate_limit"), 200).await;
    let mut stranger = Probe::github(&sim, "ghp_not-a-token");
    stranger.expect(get("/user").note("bad token"), 401).await;
    stranger.report.finish();
    // A client without a User-Agent (reqwest's default) is refused as GitHub does.
    let anonymous = reqwest::Client::new().get(format!("{}/user", sim.github_url()));
    let (status, _, body) = common::parts(anonymous.send().await.unwrap()).await;
    let answer = vendor_schema::probe::Answer { status, body };
    let schema = vendor_schema::github("GET", "/user", 403);
    p.report
        .check("GET /user (no User-Agent)", &answer, 403, schema.as_ref());
    p.report.finish();
}

#[tokio::test]
async fn github_repository_and_its_refusals() {
    let sim = common::start(Scenario::InSync).await;
    let mut p = Probe::github(&sim, &sim.credentials().github_token);
    p.expect(get("/repos/{owner}/{repo}"), 200).await;
    let unknown = get("/repos/{owner}/{repo}").at("/repos/raxx-app/no-such-repo");
    p.expect(unknown.note("unknown"), 404).await;
    sim.state().set_github_rate_remaining(0);
    p.expect(get("/repos/{owner}/{repo}").note("rate limit spent"), 403)
        .await;
    p.report.finish();
}

/// Seals `value` to the key at `{base}/public-key` with an independent libsodium (dryoc).
async fn sealed(p: &Probe, key_path: String, value: &str) -> Value {
    let key = p.send(&get("/public-key").at(key_path)).await.body;
    let sealed = common::sim::dryoc_seal(key["key"].as_str().unwrap(), value);
    json!({"encrypted_value": sealed, "key_id": key["key_id"]})
}

/// The secret calls on the served path `base`, checked against the schema's templates for
/// the list, the public key and one secret.
async fn check_secrets(p: &mut Probe, base: &str, [list, key, one]: [&'static str; 3]) {
    let at = |suffix: &str| format!("{base}{suffix}");
    p.expect(get(key).at(at("/public-key")), 200).await;
    let body = sealed(
        p,
        at("/public-key"),
        "HRKU-00000000-0000-0000-0000-000000000002",
    )
    .await;
    let secret = at("/SCHEMA_PROBE");
    p.expect(put(one).at(&secret).body(body.clone()).note("new"), 201)
        .await;
    p.expect(put(one).at(&secret).body(body.clone()).note("update"), 204)
        .await;
    p.expect(get(one).at(&secret), 200).await;
    p.expect(get(list).at(base), 200).await;
    // API.md: a wrong key_id is refused with 422. The 2022 description lists no 422 here,
    // so the body is held to GitHub's `validation-error` component.
    let wrong = json!({"encrypted_value": body["encrypted_value"], "key_id": "1"});
    let call = put(one).at(&secret).body(wrong).note("wrong key_id");
    p.expect_shape(call, 422, Some(&github_component("validation-error")))
        .await;
    p.expect(delete(one).at(&secret), 204).await;
    // Not listed either: GitHub's 404 body is `basic-error` everywhere.
    let call = get(one).at(&secret).note("deleted");
    p.expect_shape(call, 404, Some(&github_component("basic-error")))
        .await;
}

#[tokio::test]
async fn github_repository_secrets() {
    let sim = common::start(Scenario::InSync).await;
    let mut p = Probe::github(&sim, &sim.credentials().github_token);
    let list = "/repos/{owner}/{repo}/actions/secrets";
    let base = format!("/repos/{}/actions/secrets", sim.credentials().github_repo);
    let templates = [
        list,
        "/repos/{owner}/{repo}/actions/secrets/public-key",
        "/repos/{owner}/{repo}/actions/secrets/{secret_name}",
    ];
    check_secrets(&mut p, &base, templates).await;
    p.report.finish();
}

/// The 2022 description still files environment secrets under `/repositories/{id}/…`;
/// the simulator serves them where GitHub does now (`/repos/{owner}/{repo}/environments/…`,
/// API.md). Same shapes, so those entries apply.
#[tokio::test]
async fn github_environment_secrets() {
    let sim = common::start(Scenario::InSync).await;
    let mut p = Probe::github(&sim, &sim.credentials().github_token);
    let list = "/repositories/{repository_id}/environments/{environment_name}/secrets";
    let base = format!(
        "/repos/{}/environments/production/secrets",
        sim.credentials().github_repo
    );
    let templates = [
        list,
        "/repositories/{repository_id}/environments/{environment_name}/secrets/public-key",
        "/repositories/{repository_id}/environments/{environment_name}/secrets/{secret_name}",
    ];
    check_secrets(&mut p, &base, templates).await;
    p.report.finish();
}

#[tokio::test]
async fn github_workflows_and_dispatch() {
    let sim = common::start(Scenario::InSync).await;
    let mut p = Probe::github(&sim, &sim.credentials().github_token);
    let one = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}";
    p.expect(get("/repos/{owner}/{repo}/actions/workflows"), 200)
        .await;
    p.expect(get(one).with("workflow_id", &161_335).note("by id"), 200)
        .await;
    let by_file = get(one)
        .with("workflow_id", "deploy-console.yml")
        .note("by file name");
    p.expect(by_file, 200).await;
    let unknown = get(one).with("workflow_id", "no-such.yml").note("unknown");
    p.expect_shape(unknown, 404, Some(&github_component("basic-error")))
        .await;
    let dispatch = || {
        post("/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches")
            .with("workflow_id", "deploy-console.yml")
    };
    let inputs = json!({"ref": "main", "inputs": {"environment": "production"}});
    p.expect(dispatch().body(inputs), 204).await;
    // API.md: `return_run_details: true` answers 200 with the run's id and URLs, which the
    // 2022 description predates (it lists only 204); API.md's shape is checked instead.
    let details = dispatch().body(json!({"ref": "main", "return_run_details": true}));
    let uri = json!({"type": "string", "format": "uri"});
    let shape = json!({"type": "object", "required": ["workflow_run_id", "run_url", "html_url"],
        "properties": {"workflow_run_id": {"type": "integer"}, "run_url": uri, "html_url": uri}});
    p.expect_shape(details.note("return_run_details"), 200, Some(&shape))
        .await;
    let undeclared = dispatch().body(json!({"ref": "main", "inputs": {"nonsense": "1"}}));
    let schema = github_component("validation-error");
    p.expect_shape(undeclared.note("undeclared input"), 422, Some(&schema))
        .await;
    p.report.finish();
}

/// Runs stay queued for the whole test (a long workflow step), so the lists hold a
/// queued run (no conclusion, no runner yet) beside the scenario's completed ones.
#[tokio::test]
async fn github_runs_jobs_and_logs() {
    let options = SimOptions {
        workflow_step: Duration::from_secs(600),
        ..SimOptions::fast()
    };
    let sim = Sim::start(Scenario::GithubStale, options).await.unwrap();
    let mut p = Probe::github(&sim, &sim.credentials().github_token);
    let dispatch = post("/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches");
    let dispatch = dispatch.with("workflow_id", "deploy-console.yml");
    p.expect(dispatch.body(json!({"ref": "main"})), 204).await;
    p.expect(get("/repos/{owner}/{repo}/actions/runs"), 200)
        .await;
    for key in ["161335", "deploy-console.yml"] {
        let runs = get("/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs");
        let paged = runs.with("workflow_id", key).note(&format!("{key}, paged"));
        let path = format!(
            "/repos/{}/actions/workflows/{key}/runs?per_page=1",
            sim.credentials().github_repo
        );
        p.expect(paged.at(path), 200).await;
    }
    for run in sim.state().workflow_runs() {
        let one = get("/repos/{owner}/{repo}/actions/runs/{run_id}").with("run_id", &run.id);
        p.expect(one.note(&run.status), 200).await;
        let jobs = get("/repos/{owner}/{repo}/actions/runs/{run_id}/jobs").with("run_id", &run.id);
        let jobs = p.expect(jobs.note(&run.status), 200).await;
        // The schema's answer is a 302 to a signed URL; API.md lets the simulator answer
        // the plain text itself, so there is no JSON to validate, only the status.
        let logs = get("/repos/{owner}/{repo}/actions/jobs/{job_id}/logs");
        let logs = logs
            .with("job_id", &jobs["jobs"][0]["id"])
            .note(&run.status);
        p.expect_shape(logs, 200, None).await;
    }
    let unknown = get("/repos/{owner}/{repo}/actions/runs/{run_id}").with("run_id", &1);
    p.expect_shape(
        unknown.note("unknown"),
        404,
        Some(&github_component("basic-error")),
    )
    .await;
    p.report.finish();
}

/// The checker bites: a missing field, a stray one and a wrong type are each named with
/// their pointer, and `nullable` lets `null` through only where it is declared.
#[test]
fn the_checker_names_what_is_wrong() {
    let app =
        json!({"id": "not-a-uuid", "name": "raxx-api-prod", "maintenance": "no", "stack_id": null});
    let found: Vec<String> = complaints(&heroku("GET", "/apps/{app}"), &app)
        .iter()
        .map(ToString::to_string)
        .collect();
    let expected = [
        "at /id:",
        "at /maintenance:",
        "'stack_id' was unexpected",
        "\"generation\" is a required",
    ];
    for part in expected {
        assert!(
            found.iter().any(|c| c.contains(part)),
            "no {part:?} in {found:#?}"
        );
    }
    let job = |conclusion: Value, status: Value| {
        json!({"id": 1, "node_id": "CR_1", "run_id": 1, "run_url": "u", "head_sha": "s",
            "name": "deploy", "url": "u", "html_url": null, "status": status,
            "conclusion": conclusion, "started_at": "2026-11-24T10:00:00Z", "completed_at": null,
            "check_run_url": "u", "labels": [], "runner_id": null, "runner_name": null,
            "runner_group_id": null, "runner_group_name": null})
    };
    let schema = github_component("job");
    assert!(complaints(&schema, &job(Value::Null, json!("queued"))).is_empty());
    let wrong = complaints(&schema, &job(json!(5), Value::Null));
    let mut pointers: Vec<&str> = wrong.iter().map(|c| c.pointer.as_str()).collect();
    pointers.dedup();
    assert_eq!(pointers, ["/conclusion", "/status"], "{wrong:#?}");
}
