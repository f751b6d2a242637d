//! Config loading, validation errors with `file:line:col`, search order and credential sources.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use keyturn::config::credentials::{self, CredentialEnv, Source, VaultCredential};
use keyturn::config::{Config, ConfigError, Location, locate};
use keyturn::secret::Token;

const EXAMPLE: &str = include_str!("../examples/keyturn.toml");

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("ops/keyturn.toml"))
}

/// Asserts `text` fails with a message at `line:col` that contains `needle`.
fn assert_error_at(text: &str, line: usize, col: usize, needle: &str) {
    let err = parse(text).expect_err("config should be rejected");
    let shown = err.to_string();
    let at = format!("ops/keyturn.toml:{line}:{col}:");
    assert!(shown.starts_with(&at), "expected {at} in: {shown}");
    assert!(shown.contains(needle), "expected `{needle}` in: {shown}");
}

#[test]
fn example_config_is_valid_and_matches_the_sops() {
    let config = parse(EXAMPLE).unwrap();
    assert_eq!(config.secret.name.as_str(), "HEROKU_API_KEY");
    assert_eq!(config.github.repo.to_string(), "raxx-app/TradeMasterAPI");
    assert_eq!(
        config.heroku.apps.names(),
        [
            "raxx-console-prod",
            "raxx-console-staging",
            "raxx-api-prod",
            "raxx-api-staging"
        ]
    );
    assert_eq!(config.vault.secret_path.as_str(), "/MooseQuest/heroku");
    assert_eq!(config.github.deploy_workflow, "deploy-console.yml");
    assert_eq!(config.github.verify_workflow, "deploy-staging.yml");
    assert_eq!(config.github.verify_inputs["sanity"], "true");
    assert_eq!(config.heroku.scope, ["global"]);
    assert_eq!(config.manual_consumers.len(), 2);
    assert_eq!(config.heroku.api_url.as_str(), "https://api.heroku.com");
}

#[test]
fn minimal_config_gets_defaults() {
    let text = r#"
[secret]
name = "HEROKU_API_KEY"
[vault]
project_id = "p"
environment = "prod"
secret_path = "/MooseQuest/heroku/"
[github]
repo = "raxx-app/TradeMasterAPI"
deploy_workflow = "deploy-console.yml"
verify_workflow = "deploy-staging.yml"
[heroku]
apps = ["raxx-console-prod"]
"#;
    let config = parse(text).unwrap();
    assert_eq!(config.vault.url.as_str(), "https://app.infisical.com");
    assert_eq!(config.github.api_url.as_str(), "https://api.github.com");
    assert_eq!(config.vault.secret_path.as_str(), "/MooseQuest/heroku");
    assert_eq!(config.postmortem.dir, PathBuf::from("docs/ops/postmortems"));
    assert_eq!(config.clipboard.clear_after_secs, 30);
    assert_eq!(
        config.heroku.authorization_description,
        "raxx-platform-token-{date}"
    );
}

#[test]
fn unknown_key_is_reported_at_its_line() {
    let text = EXAMPLE.replace(
        "environment = \"prod\"",
        "environment = \"prod\"\nenviroment = \"prod\"",
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("enviroment"))
        .unwrap()
        + 1;
    assert_error_at(&text, line, 1, "unknown field `enviroment`");
}

#[test]
fn missing_field_is_reported_at_its_table() {
    let text = EXAMPLE.replace("repo = \"raxx-app/TradeMasterAPI\"\n", "");
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("missing field `repo`"), "{err}");
    assert!(err.starts_with("ops/keyturn.toml:"), "{err}");
}

#[test]
fn bad_url_is_reported_at_its_value() {
    let text = EXAMPLE.replace("url = \"https://app.infisical.com\"", "url = \"not a url\"");
    let line = text.lines().position(|l| l.contains("not a url")).unwrap() + 1;
    assert_error_at(&text, line, 7, "is not a valid URL");
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let text = EXAMPLE.replace("https://api.heroku.com", "http://api.heroku.com");
    let line = text
        .lines()
        .position(|l| l.contains("http://api.heroku.com"))
        .unwrap()
        + 1;
    assert_error_at(&text, line, 11, "plain http://");
}

#[test]
fn plain_http_is_allowed_on_loopback() {
    for host in ["127.0.0.1:4010", "localhost:4010", "[::1]:4010"] {
        let text = EXAMPLE.replace("https://api.heroku.com", &format!("http://{host}"));
        let config = parse(&text).unwrap();
        assert!(config.heroku.api_url.is_loopback(), "{host}");
    }
}

#[test]
fn bad_repo_slug_and_app_names_are_located() {
    let text = EXAMPLE.replace("raxx-app/TradeMasterAPI", "TradeMasterAPI");
    let line = text.lines().position(|l| l.starts_with("repo =")).unwrap() + 1;
    assert_error_at(&text, line, 8, "is not `owner/repo`");

    let text = EXAMPLE.replace("\"raxx-api-staging\"]", "\"raxx-api-prod\"]");
    let line = text.lines().position(|l| l.starts_with("apps =")).unwrap() + 1;
    assert_error_at(&text, line, 8, "listed twice");

    let text = EXAMPLE.replace("\"raxx-console-prod\",", "\"Raxx_Console\",");
    assert!(
        parse(&text)
            .unwrap_err()
            .to_string()
            .contains("not a Heroku app name")
    );
}

#[test]
fn toml_syntax_error_names_line_and_column() {
    let text = "[secret]\nname = \"HEROKU_API_KEY\"\n[vault\n";
    assert_error_at(text, 3, 7, "");
}

/// Found by `tests/parsers_prop.rs`: an offset inside a character was reported at the end
/// of the text (its last line) instead of at that character.
#[test]
fn an_offset_inside_a_character_is_that_characters_location() {
    let at = Location::at(Path::new("f.toml"), "ü€a\nb", 1);
    assert_eq!((at.line, at.column), (1, 1));
    let at = Location::at(Path::new("f.toml"), "a\n€b\nc", 4);
    assert_eq!((at.line, at.column), (2, 1));
}

/// Found by `tests/parsers_prop.rs`: a bad key name in `[tui.keymap]` was reported at the
/// table's header instead of its own line. A clash involves two entries: it stays there.
#[test]
fn keymap_errors_are_located() {
    let text = EXAMPLE.replace("quit = [\"q\", \"ctrl-c\"]", "quit = [\"q\", \"hyper-x\"]");
    let line = text.lines().position(|l| l.contains("hyper-x")).unwrap() + 1;
    let err = parse(&text).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("ops/keyturn.toml:{line}:")),
        "{err}"
    );
    assert!(err.contains("unknown key `hyper-x`"), "{err}");
    let text = EXAMPLE.replace("quit = [\"q\", \"ctrl-c\"]", "quit = [\"j\"]");
    let header = text.lines().position(|l| l == "[tui.keymap]").unwrap() + 1;
    assert_error_at(&text, header, 1, "bound to both `quit` and `scroll_down`");
}

#[test]
fn bad_secret_name_is_refused() {
    let text = EXAMPLE.replace("name = \"HEROKU_API_KEY\"", "name = \"GITHUB_TOKEN\"");
    let line = text
        .lines()
        .position(|l| l.contains("GITHUB_TOKEN"))
        .unwrap()
        + 1;
    assert_error_at(&text, line, 8, "GITHUB_");
}

#[test]
fn infisical_api_url_overrides_the_vault_url() {
    let mut config = parse(EXAMPLE).unwrap();
    config
        .apply_env_overrides(Some("https://eu.infisical.com/"))
        .unwrap();
    assert_eq!(config.vault.url.as_str(), "https://eu.infisical.com");
    assert!(
        config
            .apply_env_overrides(Some("http://vault.example.com"))
            .is_err()
    );
}

#[test]
fn search_order_prefers_explicit_then_local_then_xdg() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("keyturn.toml");
    let xdg = dir.path().join("xdg/keyturn/config.toml");
    std::fs::create_dir_all(xdg.parent().unwrap()).unwrap();
    std::fs::write(&xdg, EXAMPLE).unwrap();
    let candidates = vec![local.clone(), xdg.clone()];
    assert_eq!(locate(None, &candidates).unwrap(), xdg);
    std::fs::write(&local, EXAMPLE).unwrap();
    assert_eq!(locate(None, &candidates).unwrap(), local);
    let explicit = dir.path().join("other.toml");
    std::fs::write(&explicit, EXAMPLE).unwrap();
    assert_eq!(locate(Some(&explicit), &candidates).unwrap(), explicit);
    let missing = dir.path().join("missing.toml");
    let err = locate(Some(&missing), &candidates).unwrap_err().to_string();
    assert!(err.contains("missing.toml"), "{err}");
    let err = locate(None, &[dir.path().join("nope.toml")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no config file found") && err.contains("nope.toml"),
        "{err}"
    );
}

fn env(vars: &[(&str, &str)], home: Option<&Path>) -> CredentialEnv {
    CredentialEnv {
        vars: vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<HashMap<_, _>>(),
        home: home.map(Path::to_owned),
        gh_program: None,
    }
}

#[test]
fn heroku_credentials_follow_the_cli_order() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".netrc"),
        "machine git.heroku.com\n  login a@b\n  password GIT\nmachine api.heroku.com\n  login kris@moosequest.net\n  password HRKU-from-netrc\n",
    )
    .unwrap();
    let all = env(
        &[
            ("KEYTURN_HEROKU_TOKEN", "HRKU-explicit"),
            ("HEROKU_API_KEY", "HRKU-rotating"),
        ],
        Some(home.path()),
    );
    let found = credentials::resolve_heroku(&all).unwrap();
    assert_eq!(found.source, Source::EnvVar("KEYTURN_HEROKU_TOKEN"));
    assert_eq!(found.token, Token::new("HRKU-explicit"));

    let netrc = env(&[("HEROKU_API_KEY", "HRKU-rotating")], Some(home.path()));
    let found = credentials::resolve_heroku(&netrc).unwrap();
    assert_eq!(found.source, Source::Netrc(home.path().join(".netrc")));
    assert_eq!(found.token, Token::new("HRKU-from-netrc"));
    assert!(found.warning.is_none());

    let last = env(&[("HEROKU_API_KEY", "HRKU-rotating")], None);
    let found = credentials::resolve_heroku(&last).unwrap();
    assert_eq!(found.source, Source::EnvVar("HEROKU_API_KEY"));
    assert!(found.warning.unwrap().contains("very token being rotated"));

    assert!(credentials::resolve_heroku(&env(&[], None)).is_none());
}

#[cfg(unix)]
#[test]
fn github_credentials_fall_back_to_gh_auth_token() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let gh = dir.path().join("gh");
    std::fs::write(
        &gh,
        "#!/bin/sh\n[ \"$1 $2\" = \"auth token\" ] && echo gho_fromcli\n",
    )
    .unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();

    let mut e = env(&[("GH_TOKEN", "ghp_a"), ("GITHUB_TOKEN", "ghp_b")], None);
    e.gh_program = Some(gh.clone());
    assert_eq!(
        credentials::resolve_github(&e).unwrap().source,
        Source::EnvVar("GH_TOKEN")
    );
    e.vars.remove("GH_TOKEN");
    assert_eq!(
        credentials::resolve_github(&e).unwrap().source,
        Source::EnvVar("GITHUB_TOKEN")
    );
    e.vars.remove("GITHUB_TOKEN");
    let found = credentials::resolve_github(&e).unwrap();
    assert_eq!(found.source, Source::GhCli);
    assert_eq!(found.token, Token::new("gho_fromcli"));
    e.gh_program = None;
    assert!(credentials::resolve_github(&e).is_none());
}

#[test]
fn vault_credentials_prefer_a_token_then_universal_auth() {
    let both = env(
        &[
            ("INFISICAL_TOKEN", "st.abc"),
            ("INFISICAL_UNIVERSAL_AUTH_CLIENT_ID", "id-1"),
            ("INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET", "secret-1"),
        ],
        None,
    );
    assert!(matches!(
        credentials::resolve_vault(&both),
        Some(VaultCredential::AccessToken(_))
    ));
    let ua = env(
        &[
            ("INFISICAL_UNIVERSAL_AUTH_CLIENT_ID", "id-1"),
            ("INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET", "secret-1"),
        ],
        None,
    );
    match credentials::resolve_vault(&ua) {
        Some(VaultCredential::UniversalAuth { client_id, .. }) => assert_eq!(client_id, "id-1"),
        other => panic!("expected universal auth, got {other:?}"),
    }
    assert!(
        credentials::resolve_vault(&env(
            &[("INFISICAL_UNIVERSAL_AUTH_CLIENT_ID", "id-1")],
            None
        ))
        .is_none()
    );
}

#[test]
fn resolved_credentials_debug_without_values() {
    let canary = "HRKU-CANARY-credential-9d1f";
    let e = env(
        &[
            ("KEYTURN_HEROKU_TOKEN", canary),
            ("GH_TOKEN", canary),
            ("INFISICAL_UNIVERSAL_AUTH_CLIENT_ID", "id"),
            ("INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET", canary),
        ],
        None,
    );
    let creds = credentials::resolve(&e);
    let shown = format!("{creds:?} {creds:#?}");
    assert!(!shown.contains(canary), "{shown}");
}

#[test]
fn netrc_parser_handles_single_line_and_defaults() {
    let text =
        "default login x password DEFAULT\nmachine api.heroku.com login me password HRKU-one-line";
    assert_eq!(
        credentials::netrc_password(text, "api.heroku.com")
            .unwrap()
            .as_str(),
        "HRKU-one-line"
    );
    assert!(credentials::netrc_password(text, "api.github.com").is_none());
}
