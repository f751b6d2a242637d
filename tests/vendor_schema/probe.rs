//! Real requests against a running simulator, each checked against the vendor's schema
//! entry for its method, path template and status; a report gathers every broken answer
//! of a test before failing it, each named by endpoint, JSON pointer and complaint.

use keyturn::sim::SimHandle;
use reqwest::Method;
use serde_json::Value;

use super::complaints;

/// Which vendor's schema, and so how an entry is looked up.
#[derive(Clone, Copy)]
enum Dialect {
    Heroku,
    Github,
}

/// One request: its schema path template, and what fills it in.
pub struct Call {
    method: Method,
    template: &'static str,
    params: Vec<(&'static str, String)>,
    path: Option<String>,
    body: Option<Value>,
    headers: Vec<(&'static str, &'static str)>,
    note: String,
}

macro_rules! verbs {
    ($($name:ident => $method:ident),*) => {$(
        /// A call to the schema's path `template`.
        pub fn $name(template: &'static str) -> Call {
            Call {
                method: Method::$method,
                template,
                params: Vec::new(),
                path: None,
                body: None,
                headers: Vec::new(),
                note: String::new(),
            }
        }
    )*};
}

verbs!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE);

impl Call {
    /// Fills `{name}` in the template.
    pub fn with(mut self, name: &'static str, value: &(impl ToString + ?Sized)) -> Call {
        self.params.push((name, value.to_string()));
        self
    }

    /// Requests `path` instead of the filled-in template (a path the schema files elsewhere).
    pub fn at(mut self, path: impl Into<String>) -> Call {
        self.path = Some(path.into());
        self
    }

    pub fn body(mut self, body: Value) -> Call {
        self.body = Some(body);
        self
    }

    pub fn header(mut self, name: &'static str, value: &'static str) -> Call {
        self.headers.push((name, value));
        self
    }

    /// What tells this call apart from others to the same endpoint, in failures.
    pub fn note(mut self, note: &str) -> Call {
        self.note = format!(" ({note})");
        self
    }

    /// The path to request: the template filled in (the probe's `defaults` for what the
    /// call leaves open), or the path given with [`Call::at`].
    fn path(&self, defaults: &[(&'static str, String)]) -> String {
        let mut path = self
            .path
            .clone()
            .unwrap_or_else(|| self.template.to_owned());
        for (name, value) in self.params.iter().chain(defaults) {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        assert!(!path.contains('{'), "unfilled parameter in {path}");
        path
    }

    /// `GET /apps/{app} (by id)`.
    pub fn label(&self) -> String {
        format!("{} {}{}", self.method, self.template, self.note)
    }
}

/// What came back: status and JSON body (`Null` when empty or not JSON).
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// One vendor of a running simulator, the credential its clients send, and a report.
pub struct Probe {
    dialect: Dialect,
    base: String,
    headers: Vec<(&'static str, String)>,
    /// What fills a template's parameters when a call does not (GitHub's `{owner}/{repo}`).
    defaults: Vec<(&'static str, String)>,
    pub report: Report,
}

impl Probe {
    /// Heroku's Platform API as its CLI speaks it.
    pub fn heroku(sim: &SimHandle) -> Probe {
        let token = &sim.credentials().heroku_operator_token;
        let accept = "application/vnd.heroku+json; version=3".to_owned();
        let headers = vec![
            ("Authorization", format!("Bearer {token}")),
            ("Accept", accept),
        ];
        Probe::new(Dialect::Heroku, sim.heroku_url(), headers, sim)
    }

    /// GitHub's REST API with `token`, the scheme older clients send.
    pub fn github(sim: &SimHandle, token: &str) -> Probe {
        let accept = "application/vnd.github+json".to_owned();
        let headers = vec![
            ("Authorization", format!("token {token}")),
            ("Accept", accept),
        ];
        Probe::new(Dialect::Github, sim.github_url(), headers, sim)
    }

    fn new(
        dialect: Dialect,
        base: String,
        headers: Vec<(&'static str, String)>,
        sim: &SimHandle,
    ) -> Probe {
        let (owner, repo) = sim.credentials().github_repo.split_once('/').unwrap();
        let defaults = vec![("owner", owner.to_owned()), ("repo", repo.to_owned())];
        let report = Report::default();
        Probe {
            dialect,
            base,
            headers,
            defaults,
            report,
        }
    }

    /// Fills `{name}` with `value` in every later call that leaves it open.
    pub fn fill(&mut self, name: &'static str, value: &str) {
        self.defaults.push((name, value.to_owned()));
    }

    /// Makes `call`, checks it answered `status` as the schema describes, returns the body.
    pub async fn expect(&mut self, call: Call, status: u16) -> Value {
        let schema = match self.dialect {
            Dialect::Heroku => Some(super::heroku(call.method.as_str(), call.template)),
            Dialect::Github => super::github(call.method.as_str(), call.template, status),
        };
        self.expect_shape(call, status, schema.as_ref()).await
    }

    /// [`Probe::expect`] against a schema of the test's choosing (`None`: no body).
    pub async fn expect_shape(&mut self, call: Call, status: u16, schema: Option<&Value>) -> Value {
        let answer = self.send(&call).await;
        self.report.check(&call.label(), &answer, status, schema);
        answer.body
    }

    /// Makes `call` and returns what came back, unchecked.
    pub async fn send(&self, call: &Call) -> Answer {
        let path = call.path(&self.defaults);
        let mut request =
            crate::common::client().request(call.method.clone(), format!("{}{path}", self.base));
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        for (name, value) in &call.headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let (status, _, body) = crate::common::parts(request.send().await.unwrap()).await;
        Answer { status, body }
    }
}

/// Every failure of one test, so one run shows all of them.
#[derive(Default)]
pub struct Report {
    failures: Vec<String>,
}

impl Report {
    /// `endpoint` must have answered `want` with a body `schema` accepts (`None`: no body).
    pub fn check(&mut self, endpoint: &str, answer: &Answer, want: u16, schema: Option<&Value>) {
        if answer.status != want {
            let got = answer.status;
            let failure = format!(
                "{endpoint}: status {got} instead of {want}; body {}",
                answer.body
            );
            self.failures.push(failure);
            return;
        }
        match schema {
            Some(schema) => {
                for complaint in complaints(schema, &answer.body) {
                    self.failures
                        .push(format!("{endpoint} -> {want}: {complaint}"));
                }
            }
            None if !answer.body.is_null() => {
                let failure = format!(
                    "{endpoint} -> {want}: the schema describes no body, got {}",
                    answer.body
                );
                self.failures.push(failure);
            }
            None => {}
        }
    }

    /// Panics with every failure, one per line.
    pub fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} answer(s) break the vendor's schema:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}
