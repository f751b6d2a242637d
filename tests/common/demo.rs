//! The demo's detached simulator as the tests meet it: started as `keyturn demo` starts it
//! (the hidden `keyturn demo-simulator`), asked over loopback HTTP, and always killed when
//! a test ends, also on failure ([`PidGuard`]).

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keyturn::cli::demo::handoff::Handoff;
use keyturn::sim::{NONCE_HEADER, SESSION_PATH, SessionAnswer};

/// Kills the process on drop when it is still a demo simulator: a failing test leaves none
/// behind (a detached simulator would otherwise wait out its idle timeout).
pub struct PidGuard(pub u32);

impl Drop for PidGuard {
    fn drop(&mut self) {
        kill_demo_simulator(self.0);
    }
}

// One file, loaded by each harness that a test binary may include alone or together.
#[allow(clippy::duplicate_mod)]
#[path = "../tui_tmux/procs.rs"]
mod procs;
pub use procs::{kill_demo_simulator, running};

/// Waits up to `deadline` for `pid` to end; true when it did.
pub fn ends_within(pid: u32, deadline: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < deadline {
        if !running(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    !running(pid)
}

/// A demo simulator started by the test, in `dir`.
pub struct DemoSim {
    pub child: Child,
    pub handoff: Handoff,
    _guard: PidGuard,
}

/// `keyturn demo-simulator` in `dir` as `keyturn demo` starts it (under `umask 000` when
/// asked), once it said it serves.
pub fn start(dir: &Path, scenario: &str, idle_secs: u64, umask_000: bool) -> DemoSim {
    std::fs::create_dir_all(dir).unwrap();
    let program = assert_cmd::cargo::cargo_bin("keyturn");
    let umask = if umask_000 { "000" } else { "077" };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(program)
        .args(["demo-simulator", "--dir", dir.to_str().unwrap()])
        .args([
            "--scenario",
            scenario,
            "--idle-timeout",
            &idle_secs.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = PidGuard(child.id());
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), keyturn::cli::demo::child::READY, "{line:?}");
    let handoff = Handoff::read(dir).unwrap().expect("a handoff file");
    assert_eq!(handoff.pid, child.id(), "the handoff names the simulator");
    DemoSim {
        child,
        handoff,
        _guard: guard,
    }
}

/// `GET /__keyturn/session` with `nonce`: the status, and the answer when it is 200.
pub async fn session(handoff: &Handoff, nonce: Option<&str>) -> (u16, Option<SessionAnswer>) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = client.get(format!("{}{SESSION_PATH}", handoff.heroku_url));
    if let Some(nonce) = nonce {
        request = request.header(NONCE_HEADER, nonce);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let answer = if status == 200 {
        Some(response.json().await.unwrap())
    } else {
        None
    };
    (status, answer)
}

/// The simulated credentials' secret values (long enough to mean something).
pub fn credential_values(answer: &SessionAnswer) -> Vec<String> {
    let c = &answer.credentials;
    vec![
        c.heroku_operator_token.clone(),
        c.github_token.clone(),
        c.infisical_client_secret.clone(),
        c.github_private_key_b64.clone(),
    ]
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            files.push(path);
        }
    }
    files
}

/// Fails naming the file and the value's first characters when any file under `dir`
/// holds any of `secrets`.
pub fn assert_no_secret_in_files(dir: &Path, secrets: &[String]) {
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for secret in secrets.iter().filter(|s| s.len() >= 8) {
            assert!(
                !text.contains(secret.as_str()),
                "{} holds a secret ({}…)",
                file.display(),
                &secret[..4]
            );
        }
    }
}

/// The simulated stores of a detached simulator, read through the vendors' own HTTP APIs
/// with the credentials it hands over: what a test asserts, not what keyturn reported.
pub struct Stores {
    http: reqwest::Client,
    handoff: Handoff,
    pub answer: SessionAnswer,
}

impl Stores {
    pub async fn of(handoff: &Handoff) -> Stores {
        let (status, answer) = session(handoff, Some(&handoff.nonce)).await;
        assert_eq!(status, 200, "the simulator answers its nonce");
        Stores {
            http: reqwest::Client::builder()
                .no_proxy()
                .user_agent("keyturn-tests")
                .build()
                .unwrap(),
            handoff: handoff.clone(),
            answer: answer.unwrap(),
        }
    }

    fn heroku(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.handoff.heroku_url))
            .bearer_auth(token)
            .header("accept", "application/vnd.heroku+json; version=3")
    }

    /// The vault's current value (Universal Auth login, then the raw secret).
    pub async fn vault(&self) -> String {
        let c = &self.answer.credentials;
        let base = &self.handoff.infisical_url;
        let login: serde_json::Value = self
            .http
            .post(format!("{base}/api/v1/auth/universal-auth/login"))
            .json(&serde_json::json!({ "clientId": c.infisical_client_id, "clientSecret": c.infisical_client_secret }))
            .send_json().await;
        let access = login["accessToken"].as_str().unwrap();
        let secret: serde_json::Value = self
            .http
            .get(format!("{base}/api/v3/secrets/raw/{}", c.secret_name))
            .query(&[
                ("workspaceId", c.infisical_project_id.as_str()),
                ("environment", &c.infisical_environment),
                ("secretPath", &c.secret_path),
                ("viewSecretValue", "true"),
            ])
            .bearer_auth(access)
            .send_json()
            .await;
        secret["secret"]["secretValue"].as_str().unwrap().to_owned()
    }

    /// Each app's copy, by app name.
    pub async fn apps(&self) -> Vec<(String, String)> {
        let c = &self.answer.credentials;
        let mut copies = Vec::new();
        for app in &self.answer.apps {
            let path = format!("/apps/{app}/config-vars");
            let vars: serde_json::Value = self
                .heroku(&path, &c.heroku_operator_token)
                .send_json()
                .await;
            let value = vars[&c.secret_name].as_str().unwrap_or_default().to_owned();
            copies.push((app.clone(), value));
        }
        copies
    }

    /// `GET /account` with `token` answers 200.
    pub async fn valid(&self, token: &str) -> bool {
        self.heroku("/account", token)
            .send()
            .await
            .unwrap()
            .status()
            == 200
    }

    /// Every authorization's token Heroku lists.
    pub async fn authorization_tokens(&self) -> Vec<String> {
        let c = &self.answer.credentials;
        let list: serde_json::Value = self
            .heroku("/oauth/authorizations", &c.heroku_operator_token)
            .send_json()
            .await;
        list.as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["access_token"]["token"].as_str().map(str::to_owned))
            .collect()
    }

    /// True when the write-only GitHub secret holds exactly `value`: one run of the probe
    /// workflow the simulated repository has installed, its HMAC line compared.
    pub async fn github_holds(&self, value: &str) -> bool {
        let c = &self.answer.credentials;
        let config =
            keyturn::sim::remote_config(&c.clone(), &self.answer.apps, self.handoff.urls())
                .unwrap();
        let vendors =
            keyturn::vendors::Vendors::connect(&config, &c.keyturn_credentials()).unwrap();
        let mut request =
            keyturn::drift::ProbeRequest::from_config(&config, Duration::from_secs(30)).unwrap();
        request.interval = Duration::from_millis(50);
        let outcome =
            keyturn::drift::probe::probe(vendors.github.as_ref(), &request, &|_| {}).await;
        outcome
            .result
            .unwrap()
            .holds(&keyturn::secret::Token::new(value))
    }
}

/// A test request's JSON answer (the demo's simulator answers every one of these).
trait SendJson {
    async fn send_json(self) -> serde_json::Value;
}

impl SendJson for reqwest::RequestBuilder {
    async fn send_json(self) -> serde_json::Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}
