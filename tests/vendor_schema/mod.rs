//! The vendors' own schemas (`tests/fixtures/schemas`), looked up the way a client
//! generator reads them, and a validator that names the JSON pointer and the complaint.
//!
//! - Heroku: `definitions/<resource>/links[]` matched by method and `href` (identity
//!   placeholders `{(…)}` compared as `{}`); the answer is the link's `targetSchema`, else
//!   the resource, or an array of it for `rel: instances`.
//! - GitHub: `paths/<path>/<method>/responses/<status>`, following a `$ref` into
//!   `components/responses`, then `content/application/json/schema`.

pub mod probe;
pub mod translate;

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, ValidationError};
use serde_json::{Value, json};

const HEROKU: &str = include_str!("../fixtures/schemas/heroku-platform-api.schema.json");
const GITHUB: &str = include_str!("../fixtures/schemas/github-rest-actions-subset.openapi.json");

/// Heroku's schema, translated once per test binary.
fn heroku_doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| translate::heroku(serde_json::from_str(HEROKU).unwrap()))
}

/// GitHub's description; only schemas are translated, and only when used.
fn github_doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(GITHUB).unwrap())
}

/// The raw fixture texts, for the provenance check.
pub fn fixture_texts() -> [(&'static str, &'static str); 2] {
    [
        ("heroku-platform-api.schema.json", HEROKU),
        ("github-rest-actions-subset.openapi.json", GITHUB),
    ]
}

/// `/apps/{(%23%2F…)}/dynos` and `/apps/{app}/dynos` both read `/apps/{}/dynos`.
fn href_shape(href: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in href.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push_str("{}");
                }
            }
            '}' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The schema of Heroku's answer to `method href` (`href` with `{name}` placeholders).
pub fn heroku(method: &str, href: &str) -> Value {
    let doc = heroku_doc();
    let wanted = href_shape(href);
    let definitions = doc["definitions"].as_object().unwrap();
    for (resource, definition) in definitions {
        let links = definition["links"].as_array().into_iter().flatten();
        for link in links {
            let same = link["method"] == method
                && href_shape(link["href"].as_str().unwrap_or("")) == wanted;
            if !same {
                continue;
            }
            let own = json!({ "$ref": format!("#/definitions/{resource}") });
            let target = match (link.get("targetSchema"), link["rel"].as_str()) {
                (Some(target), _) => target.clone(),
                (None, Some("instances")) => json!({ "type": ["array"], "items": own }),
                (None, _) => own,
            };
            return json!({ "allOf": [target], "definitions": doc["definitions"] });
        }
    }
    panic!("Heroku's schema has no link {method} {href}");
}

/// The schema of GitHub's `status` answer to `method path`; `None` when that answer has no
/// JSON body (e.g. 204). Panics when the schema does not list the status at all.
pub fn github(method: &str, path: &str, status: u16) -> Option<Value> {
    let doc = github_doc();
    let operation = &doc["paths"][path][method.to_ascii_lowercase()];
    assert!(
        operation.is_object(),
        "GitHub's schema has no {method} {path}"
    );
    let mut response = &operation["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "GitHub's schema lists no {status} for {method} {path}"
    );
    if let Some(pointer) = response["$ref"].as_str() {
        response = doc.pointer(pointer.trim_start_matches('#')).unwrap();
    }
    let schema = response.pointer("/content/application~1json/schema")?;
    Some(github_rooted(schema.clone()))
}

/// A GitHub component schema (`basic-error`, `validation-error`, …) on its own.
pub fn github_component(name: &str) -> Value {
    assert!(
        github_doc()["components"]["schemas"][name].is_object(),
        "GitHub's schema has no component {name}"
    );
    github_rooted(json!({ "$ref": format!("#/components/schemas/{name}") }))
}

/// `schema` with the component schemas beside it, so `#/components/schemas/…` resolves.
fn github_rooted(schema: Value) -> Value {
    static SCHEMAS: OnceLock<Value> = OnceLock::new();
    let schemas =
        SCHEMAS.get_or_init(|| translate::openapi(github_doc()["components"]["schemas"].clone()));
    json!({ "allOf": [translate::openapi(schema)], "components": { "schemas": schemas } })
}

/// One way an answer breaks its schema.
#[derive(Debug)]
pub struct Complaint {
    /// JSON pointer into the answer body.
    pub pointer: String,
    pub message: String,
    /// Where in the (translated) schema the rule lives.
    pub rule: String,
}

impl std::fmt::Display for Complaint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        write!(f, "at {pointer}: {} [schema {}]", self.message, self.rule)
    }
}

/// Every complaint `schema` has about `body` (draft-04, formats checked, `uuid` included:
/// Heroku's schema declares it, draft-04 does not know it).
pub fn complaints(schema: &Value, body: &Value) -> Vec<Complaint> {
    let validator = jsonschema::options()
        .with_draft(Draft::Draft4)
        .should_validate_formats(true)
        .with_format("uuid", |s: &str| {
            s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
        })
        .build(schema)
        .unwrap_or_else(|why| panic!("the schema does not compile: {why}"));
    validator
        .iter_errors(body)
        .flat_map(|e| explain(&e, ""))
        .collect()
}

/// One validation error as complaints. A failed `oneOf`/`anyOf` says only "matches none",
/// so each alternative's own complaints are listed instead, prefixed with its index.
fn explain(error: &ValidationError<'_>, prefix: &str) -> Vec<Complaint> {
    let plain = || {
        vec![Complaint {
            pointer: error.instance_path().to_string(),
            message: format!("{prefix}{error}"),
            rule: error.schema_path().to_string(),
        }]
    };
    let (ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context }) =
        error.kind()
    else {
        return plain();
    };
    let keyword = error.kind().keyword();
    let listed: Vec<Complaint> = context
        .iter()
        .enumerate()
        .flat_map(|(i, errors)| {
            let prefix = format!("{prefix}{keyword} alternative {i}: ");
            errors
                .iter()
                .flat_map(move |e| explain(e, &prefix))
                .collect::<Vec<_>>()
        })
        .collect();
    // No detail to show: the error itself, rather than nothing.
    if listed.is_empty() { plain() } else { listed }
}
