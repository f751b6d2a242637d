#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulated GitHub's secrets page, where Path A's paste happens in `keyturn demo`.

mod common;

use common::sim::paste_on_secrets_page;
use keyturn::sim::Scenario;

fn page(sim: &keyturn::sim::SimHandle) -> String {
    let repo = &sim.credentials().github_repo;
    format!("{}/{repo}/settings/secrets/actions", sim.github_url())
}

#[tokio::test]
async fn a_value_pasted_on_the_page_is_the_secret_and_bumps_updated_at() {
    let sim = common::start(Scenario::GithubStale).await;
    let state = sim.state();
    let before = state.github_secret_updated_at("HEROKU_API_KEY").unwrap();
    let vault = state.vault_value().unwrap();
    let (status, html) = paste_on_secrets_page(&page(&sim), "HEROKU_API_KEY", &vault).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Secret <b>HEROKU_API_KEY</b> updated"),
        "{html}"
    );
    assert!(
        !html.contains(&vault),
        "write-only: the page never shows the value"
    );
    assert_eq!(
        state.github_secret_value("HEROKU_API_KEY"),
        Some(vault),
        "the paste's line break trimmed"
    );
    assert!(state.github_secret_updated_at("HEROKU_API_KEY").unwrap() > before);
}

#[tokio::test]
async fn other_repos_bad_names_and_empty_pastes_are_refused() {
    let sim = common::start(Scenario::GithubStale).await;
    let browser = reqwest::Client::new();
    let other = format!("{}/someone/else/settings/secrets/actions", sim.github_url());
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(browser.get(&other).send().await.unwrap()), 404);
    let bad = format!("{}/GITHUB_TOKEN", page(&sim));
    assert_eq!(status(browser.get(&bad).send().await.unwrap()), 404);
    let empty = browser
        .post(format!("{}/HEROKU_API_KEY", page(&sim)))
        .body("value=%20")
        .send()
        .await
        .unwrap();
    assert_eq!(status(empty), 422);
    let before = sim.state().github_secret_value("HEROKU_API_KEY");
    assert!(before.is_some(), "still the stale value");
}

#[tokio::test]
async fn the_page_is_not_the_rest_api_no_user_agent_needed_and_no_budget_spent() {
    let sim = common::start(Scenario::GithubStale).await;
    // GET /rate_limit itself spends nothing, as on GitHub.
    let remaining = async || {
        let token = &sim.credentials().github_token;
        let url = format!("{}/rate_limit", sim.github_url());
        let r = common::client()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        body["resources"]["core"]["remaining"].as_u64().unwrap()
    };
    let start = remaining().await;
    let bare = reqwest::Client::new();
    let r = bare.get(page(&sim)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(remaining().await, start);
}
