//! Starting the embedded simulator and keyturn's clients against it.

use std::time::Duration;

use keyturn::sim::{Scenario, Sim, SimHandle, SimOptions};
use keyturn::vendors::{HttpOptions, Vendors};

/// Quick timeouts and backoff so fault tests stay fast.
pub fn fast_http() -> HttpOptions {
    HttpOptions {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(700),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(5),
    }
}

/// A simulator in `scenario` and the three clients pointed at it.
pub async fn connect(scenario: Scenario) -> (SimHandle, Vendors) {
    connect_with(scenario, SimOptions::fast()).await
}

pub async fn connect_with(scenario: Scenario, options: SimOptions) -> (SimHandle, Vendors) {
    let sim = Sim::start(scenario, options).await.unwrap();
    let vendors =
        Vendors::connect_with(&sim.config(), &sim.keyturn_credentials(), &fast_http()).unwrap();
    (sim, vendors)
}

/// `value` sealed to GitHub's base64 `public_key` with dryoc, an independent libsodium, as
/// a GitHub client would seal it; base64, ready to send as `encrypted_value`.
pub fn dryoc_seal(public_key: &str, value: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    let public: [u8; 32] = STANDARD.decode(public_key).unwrap().try_into().unwrap();
    let mut sealed = vec![0u8; value.len() + 48];
    dryoc::classic::crypto_box::crypto_box_seal(&mut sealed, value.as_bytes(), &public).unwrap();
    STANDARD.encode(sealed)
}

/// Does what an operator does in a browser on the secrets page at `list_url` (as a Path A
/// step names it): follow the link to `name`, paste `value`, press "Update secret". Returns
/// the status of the save and the page it answered.
pub async fn paste_on_secrets_page(list_url: &str, name: &str, value: &str) -> (u16, String) {
    let browser = reqwest::Client::new();
    let list = browser.get(list_url).send().await.unwrap();
    assert_eq!(list.status().as_u16(), 200, "{list_url}");
    let html = list.text().await.unwrap();
    let link = format!("href=\"actions/{name}\"");
    assert!(html.contains(&link), "{name} is listed: {html}");
    let form_url = format!("{list_url}/{name}");
    let form = browser
        .get(&form_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("Update secret"), "{form}");
    let pasted = browser
        .post(&form_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("value={}\r\n", urlencode(value)))
        .send()
        .await
        .unwrap();
    (pasted.status().as_u16(), pasted.text().await.unwrap())
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Every `HEROKU_API_KEY` value the simulated world holds or ever held: each vault version,
/// each authorization's token (revoked ones too), the GitHub secret and every app's copy.
/// Short values are left out (they would match by chance).
pub fn every_token(sim: &SimHandle) -> Vec<String> {
    let state = sim.state();
    let mut tokens: Vec<String> = state
        .vault_versions()
        .into_iter()
        .map(|v| v.value)
        .collect();
    tokens.extend(state.authorizations().into_iter().map(|a| a.token));
    tokens.extend(state.github_secret_value("HEROKU_API_KEY"));
    for app in state.app_names() {
        tokens.extend(state.app_config_var(&app, "HEROKU_API_KEY"));
    }
    tokens.retain(|t| t.len() >= 8);
    tokens
}

/// The typed word of a rotation's revocation: the description of the authorization whose
/// token the vault holds.
pub fn revocation_word(sim: &SimHandle) -> String {
    let state = sim.state();
    let held = state.vault_value().unwrap();
    let authorizations = state.authorizations().into_iter();
    authorizations
        .filter(|a| a.token == held)
        .map(|a| a.description)
        .next()
        .unwrap()
}

/// The real binary, run in `dir` with the simulator's credentials in its environment and
/// nothing of the host's (HOME, XDG dirs and the sessions folder all inside `dir`).
pub fn keyturn_bin(sim: &SimHandle, dir: &std::path::Path) -> std::process::Command {
    let c = sim.credentials();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("keyturn"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("KEYTURN_HEROKU_TOKEN", &c.heroku_operator_token)
        .env("GH_TOKEN", &c.github_token)
        .env("INFISICAL_UNIVERSAL_AUTH_CLIENT_ID", &c.infisical_client_id)
        .env(
            "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
            &c.infisical_client_secret,
        )
        .env("KEYTURN_SESSIONS_DIR", dir.join("sessions"));
    cmd
}
