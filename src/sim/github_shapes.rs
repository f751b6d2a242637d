//! GitHub's big shared objects — users, repositories, commits — with every field GitHub's
//! `OpenAPI` description marks required (`simple-user`, `private-user`,
//! `minimal-repository`, `full-repository`, `nullable-simple-commit`). Clients generated
//! from that description (Octokit's types, `octokit.rs`, openapi-generator) refuse an
//! answer missing one, so the simulator cannot keep to the few fields keyturn reads.
//! Every link is built on the request's base URL, as API.md demands.

use serde_json::{Value, json};

use super::heroku::timestamp;
use super::state::{Github, SimWorkflowRun};

/// When the simulated account and repository were made, and last pushed to.
const CREATED: &str = "2019-03-14T09:12:44Z";
const REPO_CREATED: &str = "2021-04-12T10:00:00Z";
const PUSHED: &str = "2024-01-08T16:20:00Z";

/// `(field, path after the user's API URL)` of a `simple-user`.
const USER_LINKS: [(&str, &str); 9] = [
    ("followers_url", "/followers"),
    ("following_url", "/following{/other_user}"),
    ("gists_url", "/gists{/gist_id}"),
    ("starred_url", "/starred{/owner}{/repo}"),
    ("subscriptions_url", "/subscriptions"),
    ("organizations_url", "/orgs"),
    ("repos_url", "/repos"),
    ("events_url", "/events{/privacy}"),
    ("received_events_url", "/received_events"),
];

/// `(field, path after the repository's API URL)`, the URI templates GitHub publishes.
const REPO_LINKS: [(&str, &str); 37] = [
    ("archive_url", "/{archive_format}{/ref}"),
    ("assignees_url", "/assignees{/user}"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("branches_url", "/branches{/branch}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("comments_url", "/comments{/number}"),
    ("commits_url", "/commits{/sha}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("contents_url", "/contents/{+path}"),
    ("contributors_url", "/contributors"),
    ("deployments_url", "/deployments"),
    ("downloads_url", "/downloads"),
    ("events_url", "/events"),
    ("forks_url", "/forks"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("hooks_url", "/hooks"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("issue_events_url", "/issues/events{/number}"),
    ("issues_url", "/issues{/number}"),
    ("keys_url", "/keys{/key_id}"),
    ("labels_url", "/labels{/name}"),
    ("languages_url", "/languages"),
    ("merges_url", "/merges"),
    ("milestones_url", "/milestones{/number}"),
    (
        "notifications_url",
        "/notifications{?since,all,participating}",
    ),
    ("pulls_url", "/pulls{/number}"),
    ("releases_url", "/releases{/id}"),
    ("stargazers_url", "/stargazers"),
    ("statuses_url", "/statuses/{sha}"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("tags_url", "/tags"),
    ("teams_url", "/teams"),
    ("trees_url", "/git/trees{/sha}"),
    ("url", ""),
];

/// `fields` of `object`, each `prefix` + its path.
fn add_links(object: &mut Value, prefix: &str, fields: &[(&str, &str)]) {
    if let Some(map) = object.as_object_mut() {
        for (field, path) in fields {
            map.insert(
                (*field).to_owned(),
                Value::String(format!("{prefix}{path}")),
            );
        }
    }
}

/// `simple-user` of `login` (`kind` is `User` or `Organization`).
pub(crate) fn simple_user(base: &str, login: &str, id: u64, kind: &str) -> Value {
    let api = format!("{base}/users/{login}");
    let mut user = json!({
        "login": login, "id": id, "node_id": format!("U_{id}"), "type": kind, "site_admin": false,
        "avatar_url": format!("{base}/avatars/u/{id}?v=4"), "gravatar_id": "",
        "url": api, "html_url": format!("{base}/{login}"),
    });
    add_links(&mut user, &api, &USER_LINKS);
    user
}

/// The signed-in user as `GET /user` shows it to themselves (`private-user`).
pub(crate) fn private_user(base: &str, g: &Github) -> Value {
    let mut user = simple_user(base, &g.login, g.user_id, "User");
    let private = json!({
        "name": "Kris", "email": "kris@moosequest.net", "company": "MooseQuest", "blog": "",
        "location": null, "hireable": null, "bio": null, "twitter_username": null,
        "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
        "created_at": CREATED, "updated_at": CREATED, "private_gists": 0,
        "total_private_repos": 1, "owned_private_repos": 0, "disk_usage": 2048,
        "collaborators": 0, "two_factor_authentication": true,
    });
    merge(&mut user, private);
    user
}

/// Adds `extra`'s fields to `object`.
fn merge(object: &mut Value, extra: Value) {
    if let (Some(map), Value::Object(extra)) = (object.as_object_mut(), extra) {
        map.extend(extra);
    }
}

/// `owner/repo` of the simulated repository.
pub(crate) fn full_name(g: &Github) -> String {
    format!("{}/{}", g.owner, g.repo)
}

/// The repository as it appears inside workflow runs (`minimal-repository`).
pub(crate) fn minimal_repository(base: &str, g: &Github) -> Value {
    let full = full_name(g);
    let mut repo = json!({
        "id": g.repo_id, "node_id": format!("R_{}", g.repo_id), "name": g.repo, "full_name": full,
        "owner": simple_user(base, &g.owner, g.user_id + 1, "Organization"),
        "private": true, "html_url": format!("{base}/{full}"),
        "description": "Raxx trading API and console", "fork": false,
    });
    add_links(&mut repo, &format!("{base}/repos/{full}"), &REPO_LINKS);
    repo
}

/// The repository as `GET /repos/{owner}/{repo}` shows it (`full-repository`).
pub(crate) fn full_repository(base: &str, g: &Github) -> Value {
    let mut repo = minimal_repository(base, g);
    let (full, host) = (full_name(g), base.trim_start_matches("http://"));
    let counts = json!({
        "forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers": 0, "watchers_count": 0,
        "open_issues": 0, "open_issues_count": 0, "subscribers_count": 1, "network_count": 0,
        "size": 2048,
    });
    let rest = json!({
        "clone_url": format!("{base}/{full}.git"), "git_url": format!("git://{host}/{full}.git"),
        "ssh_url": format!("git@{host}:{full}.git"), "svn_url": format!("{base}/{full}"),
        "mirror_url": null, "homepage": null, "language": "TypeScript", "license": null,
        "default_branch": "main", "visibility": "private", "is_template": false, "topics": [],
        "has_issues": true, "has_projects": false, "has_wiki": false, "has_pages": false,
        "has_downloads": true, "archived": false, "disabled": false,
        "pushed_at": PUSHED, "created_at": REPO_CREATED, "updated_at": PUSHED,
        "permissions":
            { "admin": true, "maintain": true, "push": true, "triage": true, "pull": true },
        "organization": simple_user(base, &g.owner, g.user_id + 1, "Organization"),
    });
    merge(&mut repo, counts);
    merge(&mut repo, rest);
    repo
}

/// The commit a run was made from (`nullable-simple-commit`); its tree id is derived
/// from the commit sha so it stays stable.
pub(crate) fn head_commit(run: &SimWorkflowRun) -> Value {
    let tree: String = run.head_sha.chars().rev().collect();
    json!({
        "id": run.head_sha, "tree_id": tree, "message": format!("Deploy {}", run.head_branch),
        "timestamp": timestamp(run.created_at),
        "author": { "name": "Kris", "email": "kris@moosequest.net" },
        "committer": { "name": "GitHub", "email": "noreply@github.com" },
    })
}
