//! A step's parameters as its action reads them. The choices are parsed once, when the
//! step is compiled ([`Choices`]: which of the session's tokens, `source`; which apps,
//! `apps`); the text parameters are templates (`{steps.precheck.old_authorization_id}`)
//! rendered when the step runs, since their values come from earlier steps.

use std::collections::BTreeMap;

use super::Source;

/// `apps = "stale" | "all"`: the apps a Heroku write targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apps {
    /// The apps the session's first audit found stale.
    Stale,
    /// Every configured app.
    All,
}

/// The choice parameters of a step, parsed once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Choices {
    pub source: Option<Source>,
    pub apps: Option<Apps>,
}

impl Choices {
    /// Parses the step's `source` and `apps` (a validated runbook cannot get them wrong;
    /// an unchecked one fails the step that carries the fault, naming the value).
    pub fn compile(params: Option<&toml::Table>) -> Result<Choices, String> {
        let text = |name: &str| {
            params
                .and_then(|t| t.get(name))
                .and_then(toml::Value::as_str)
        };
        let source = match text("source") {
            None => None,
            Some(s) => Some(Source::parse(s).ok_or_else(|| format!("unknown source `{s}`"))?),
        };
        let apps = match text("apps") {
            None => None,
            Some("stale") => Some(Apps::Stale),
            Some("all") => Some(Apps::All),
            Some(other) => return Err(format!("unknown apps `{other}` (stale or all)")),
        };
        Ok(Choices { source, apps })
    }
}

/// What an action reads: the compiled choices and the rendered text parameters (tables
/// flattened as `name.key`, e.g. `inputs.environment`).
#[derive(Debug, Clone, Default)]
pub struct StepParams {
    text: BTreeMap<String, String>,
    pub source: Option<Source>,
    pub apps: Option<Apps>,
}

impl StepParams {
    pub(super) fn new(text: BTreeMap<String, String>, choices: Choices) -> StepParams {
        StepParams {
            text,
            source: choices.source,
            apps: choices.apps,
        }
    }

    /// A rendered text parameter.
    pub fn get(&self, name: &str) -> Option<&String> {
        self.text.get(name)
    }

    /// Every rendered parameter, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.text.iter()
    }

    /// The token the step names; the vault's when it names none.
    pub fn source_or_vault(&self) -> Source {
        self.source.unwrap_or(Source::Vault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_parsed_once_and_a_wrong_one_is_named() {
        let table: toml::Table = toml::from_str("source = \"new\"\napps = \"stale\"").unwrap();
        let choices = Choices::compile(Some(&table)).unwrap();
        assert_eq!(choices.source, Some(Source::New));
        assert_eq!(choices.apps, Some(Apps::Stale));
        let bad: toml::Table = toml::from_str("source = \"nwe\"").unwrap();
        assert_eq!(
            Choices::compile(Some(&bad)).unwrap_err(),
            "unknown source `nwe`"
        );
        assert_eq!(Choices::compile(None), Ok(Choices::default()));
    }
}
