//! `{placeholder}` templates in titles, bodies, string parameters and typed confirmations.
//!
//! A placeholder is `{` + a name made of letters, digits, `_` and `.` + `}`; `{{` and `}}`
//! are literal braces. Any other `{` is literal, so a JSON example in a body needs no
//! escaping. Values are plain strings from a [`TemplateVars`] map: the token type cannot be
//! turned into a string, so a token can never reach a rendered title, log or postmortem.

use std::collections::BTreeMap;

use crate::config::Config;

/// Names every runbook may use. `{steps.ID.OUTPUT}` and, inside a `for_each` step,
/// `{consumer.name}` / `{consumer.how}` come on top.
pub const VARIABLES: &[&str] = &[
    "date",
    "secret",
    "apps",
    "stale_apps",
    "unobserved",
    "repo",
    "github_web",
    "diagnosis",
    "deploy_workflow",
    "deploy_ref",
    "verify_workflow",
    "verify_ref",
    "health_url",
    "authorization_description",
    "scope",
    "vault_path",
    "vault_environment",
    "postmortem_dir",
    "audit_path",
];

/// Placeholders available in each expansion of a `for_each = "manual_consumers"` step.
pub const CONSUMER_VARIABLES: &[&str] = &["consumer.name", "consumer.how"];

/// One placeholder found in a template: its name and byte offset of the `{`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub name: String,
    pub offset: usize,
}

/// Rendering failed because a placeholder has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template uses `{{{0}}}`, which has no value yet")]
pub struct MissingValue(pub String);

/// The values templates are rendered with; the engine adds step outputs as they appear.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateVars(BTreeMap<String, String>);

impl TemplateVars {
    /// The config-derived values plus `{date}` (`today` is the UTC date, `YYYY-MM-DD`).
    pub fn from_config(config: &Config, today: chrono::NaiveDate) -> TemplateVars {
        let mut vars = TemplateVars::default();
        let date = today.format("%Y-%m-%d").to_string();
        let description = config
            .heroku
            .authorization_description
            .replace("{date}", &date);
        let pairs = [
            ("date", date),
            ("secret", config.secret.name.to_string()),
            ("apps", config.heroku.apps.names().join(", ")),
            ("repo", config.github.repo.to_string()),
            ("github_web", config.github.web_url.as_str().to_owned()),
            ("deploy_workflow", config.github.deploy_workflow.clone()),
            ("deploy_ref", config.github.deploy_ref.clone()),
            ("verify_workflow", config.github.verify_workflow.clone()),
            ("verify_ref", config.github.verify_ref.clone()),
            ("authorization_description", description),
            ("scope", config.heroku.scope.join(",")),
            ("vault_path", config.vault.secret_path.to_string()),
            ("vault_environment", config.vault.environment.clone()),
            (
                "postmortem_dir",
                config.postmortem.dir.display().to_string(),
            ),
            ("audit_path", config.audit.path.display().to_string()),
        ];
        for (name, value) in pairs {
            vars.set(name, value);
        }
        if let Some(url) = &config.heroku.health_url {
            vars.set("health_url", url.as_str());
        }
        vars
    }

    /// Sets one value (e.g. `stale_apps`, `diagnosis`).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_owned(), value.into());
    }

    /// Records a step's output as `steps.STEP.NAME`.
    pub fn set_output(&mut self, step: &str, name: &str, value: impl Into<String>) {
        self.set(&format!("steps.{step}.{name}"), value);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Every placeholder in `text`, in order.
pub fn placeholders(text: &str) -> Vec<Placeholder> {
    let mut found = Vec::new();
    scan(text, |piece| {
        if let Piece::Placeholder(name, offset) = piece {
            found.push(Placeholder {
                name: name.to_owned(),
                offset,
            });
        }
    });
    found
}

/// Renders `text`; a placeholder without a value is an error, never an empty string.
pub fn render(text: &str, vars: &TemplateVars) -> Result<String, MissingValue> {
    let mut out = String::with_capacity(text.len());
    let mut missing = None;
    scan(text, |piece| match piece {
        Piece::Literal(s) => out.push_str(s),
        Piece::Placeholder(name, _) => match vars.get(name) {
            Some(value) => out.push_str(value),
            None => {
                missing.get_or_insert_with(|| MissingValue(name.to_owned()));
            }
        },
    });
    missing.map_or(Ok(out), Err)
}

/// Renders `text` for a screen or a listing, never failing: a placeholder without a value
/// reads as what it stands for and when it will be known, never as raw `{braces}`.
pub fn render_for_display(text: &str, vars: &TemplateVars) -> String {
    let mut out = String::with_capacity(text.len());
    scan(text, |piece| match piece {
        Piece::Literal(s) => out.push_str(s),
        Piece::Placeholder(name, _) => match vars.get(name) {
            Some(value) => out.push_str(value),
            None => out.push_str(&stand_in(name)),
        },
    });
    out
}

/// What a placeholder without a value reads as.
fn stand_in(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("steps.") {
        let step = rest.split('.').next().unwrap_or(rest);
        return format!("(known after step {step})");
    }
    match name {
        "health_url" => "(no health URL configured)".to_owned(),
        "stale_apps" | "diagnosis" | "unobserved" => "(known after the audit)".to_owned(),
        "secret" => "the secret".to_owned(),
        other => format!("({} not configured)", other.replace('_', " ")),
    }
}

enum Piece<'a> {
    Literal(&'a str),
    Placeholder(&'a str, usize),
}

fn scan<'a>(text: &'a str, mut emit: impl FnMut(Piece<'a>)) {
    let mut rest = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        let pair = bytes.get(i..i + 2);
        if pair == Some(b"{{") || pair == Some(b"}}") {
            emit(Piece::Literal(&text[rest..=i]));
            i += 2;
            rest = i;
        } else if let Some(len) = (bytes[i] == b'{')
            .then(|| name_len(&text[i + 1..]))
            .flatten()
        {
            emit(Piece::Literal(&text[rest..i]));
            emit(Piece::Placeholder(&text[i + 1..i + 1 + len], i));
            i += len + 2;
            rest = i;
        } else {
            i += 1;
        }
    }
    emit(Piece::Literal(&text[rest..]));
}

/// Length of a placeholder name at the start of `after` if it is followed by `}`.
fn name_len(after: &str) -> Option<usize> {
    let len = after
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        .count();
    let starts_well = after
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic());
    (starts_well && after.as_bytes().get(len) == Some(&b'}')).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> TemplateVars {
        let mut vars = TemplateVars::default();
        vars.set("date", "2026-04-24");
        vars.set_output("precheck", "old_authorization_id", "abc");
        vars
    }

    #[test]
    fn display_rendering_never_shows_raw_placeholders() {
        let out = render_for_display(
            "check {health_url} on {stale_apps} with {steps.mint.id} for {date} {{x}}",
            &vars(),
        );
        assert_eq!(
            out,
            "check (no health URL configured) on (known after the audit) with (known after step mint) for 2026-04-24 {x}"
        );
    }

    #[test]
    fn renders_values_and_escapes() {
        let out = render(
            "tok-{date} {steps.precheck.old_authorization_id} {{x}}",
            &vars(),
        );
        assert_eq!(out.unwrap(), "tok-2026-04-24 abc {x}");
    }

    #[test]
    fn json_braces_are_literal() {
        let text = r#"context: {"secret_name": "X"} { date} {}"#;
        assert_eq!(render(text, &vars()).unwrap(), text);
        assert!(placeholders(text).is_empty());
    }

    #[test]
    fn missing_value_is_an_error() {
        assert_eq!(
            render("{repo}", &vars()),
            Err(MissingValue("repo".to_owned()))
        );
    }

    #[test]
    fn placeholders_report_offsets() {
        let found = placeholders("a {date} b {consumer.name}");
        assert_eq!(found[0].offset, 2);
        assert_eq!(found[1].name, "consumer.name");
    }
}
