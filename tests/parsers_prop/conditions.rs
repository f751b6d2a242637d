//! The `when` language: no panic on any text, the documented grammar (precedence and
//! associativity) by printing generated conditions and reading them back, unknown names
//! refused while parsing, and names the engine cannot answer never read as `false`.

use std::collections::BTreeMap;

use keyturn::runbook::condition::{
    CAPABILITIES, CONFIG_FLAGS, Condition, ConditionContext, DIAGNOSES, StepState, StepStatus,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Text made of the language's words and symbols, near misses and stray characters.
pub fn condition_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => select(vec![
            "diagnosis", "==", "!=", "in", "[", "]", ",", "(", ")", "and", "or", "not", "true",
            "false", "capability.github_write", "config.health_url", "step.first.ran",
            "step.a.succeeded", "\"github-stale\"", "\"in-sync\"", "\"", "=", "ü", "🦀", ".",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z_][a-z_.]{0,12}",
        1 => any::<char>().prop_map(String::from),
    ];
    vec((piece, any::<bool>()), 0..12).prop_map(|pieces| {
        pieces
            .into_iter()
            .map(|(p, space)| if space { p + " " } else { p })
            .collect()
    })
}

fn names(all: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(all).prop_map(str::to_owned)
}

/// Conditions the parser can produce (a `!=` compares with one name only).
fn condition() -> impl Strategy<Value = Condition> {
    let states = vec![
        StepState::Succeeded,
        StepState::Failed,
        StepState::Skipped,
        StepState::Ran,
    ];
    let leaf = prop_oneof![
        any::<bool>().prop_map(Condition::Literal),
        vec(names(DIAGNOSES), 1..4).prop_map(|names| Condition::DiagnosisIn {
            names,
            negate: false
        }),
        names(DIAGNOSES).prop_map(|n| Condition::DiagnosisIn {
            names: vec![n],
            negate: true
        }),
        names(CAPABILITIES).prop_map(Condition::Capability),
        names(CONFIG_FLAGS).prop_map(Condition::ConfigFlag),
        ("[a-z_][a-z0-9_]{0,8}", select(states))
            .prop_map(|(id, state)| Condition::Step { id, state }),
    ];
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Condition::Not(Box::new(c))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Condition::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Condition::Or(Box::new(a), Box::new(b))),
        ]
    })
}

/// How tightly the context around a condition binds: the grammar's levels.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Level {
    Or,
    And,
    Unary,
}

/// `c` written with only the parentheses the grammar needs (`or` < `and` < `not`, both
/// binary operators left-associative).
fn print(c: &Condition, level: Level) -> String {
    let wrap = |text: String, own: Level| {
        if level > own {
            format!("({text})")
        } else {
            text
        }
    };
    match c {
        Condition::Or(a, b) => {
            let text = format!("{} or {}", print(a, Level::Or), print(b, Level::And));
            wrap(text, Level::Or)
        }
        Condition::And(a, b) => {
            let text = format!("{} and {}", print(a, Level::And), print(b, Level::Unary));
            wrap(text, Level::And)
        }
        Condition::Not(inner) => format!("not {}", print(inner, Level::Unary)),
        atom => print_atom(atom),
    }
}

fn print_atom(c: &Condition) -> String {
    let quoted = |names: &[String]| names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>();
    match c {
        Condition::Literal(value) => value.to_string(),
        Condition::DiagnosisIn {
            names,
            negate: true,
        } => format!("diagnosis != {}", quoted(names)[0]),
        Condition::DiagnosisIn { names, .. } if names.len() == 1 => {
            format!("diagnosis == {}", quoted(names)[0])
        }
        Condition::DiagnosisIn { names, .. } => {
            format!("diagnosis in [{}]", quoted(names).join(", "))
        }
        Condition::Capability(name) => format!("capability.{name}"),
        Condition::ConfigFlag(name) => format!("config.{name}"),
        Condition::Step { id, state } => {
            format!("step.{id}.{}", format!("{state:?}").to_lowercase())
        }
        other => print(other, Level::Or),
    }
}

/// An engine's answers; `forgetful` knows no capability and no config flag.
#[derive(Debug)]
struct Engine {
    diagnosis: String,
    capabilities: BTreeMap<String, bool>,
    flags: BTreeMap<String, bool>,
    forgetful: bool,
}

impl ConditionContext for Engine {
    fn diagnosis(&self) -> &str {
        &self.diagnosis
    }
    fn capability(&self, name: &str) -> Option<bool> {
        self.capabilities
            .get(name)
            .copied()
            .filter(|_| !self.forgetful)
    }
    fn config_flag(&self, name: &str) -> Option<bool> {
        self.flags.get(name).copied().filter(|_| !self.forgetful)
    }
    fn step_status(&self, step_id: &str) -> Option<StepStatus> {
        step_id.contains('s').then_some(StepStatus::Succeeded)
    }
}

fn engine() -> impl Strategy<Value = Engine> {
    let known = |all: &'static [&'static str]| {
        vec(any::<bool>(), all.len()).prop_map(move |values| {
            all.iter()
                .map(|n| (*n).to_owned())
                .zip(values)
                .collect::<BTreeMap<_, _>>()
        })
    };
    (names(DIAGNOSES), known(CAPABILITIES), known(CONFIG_FLAGS)).prop_map(
        |(diagnosis, capabilities, flags)| Engine {
            diagnosis,
            capabilities,
            flags,
            forgetful: false,
        },
    )
}

/// A word no list of the language holds.
fn unknown_word(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,10}".prop_filter("a known name", move |w| !known.contains(&w.as_str()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_parses_or_points_inside_it(text in prop_oneof![any::<String>(), condition_soup()]) {
        if let Err(e) = Condition::parse(&text) {
            prop_assert!((1..=text.chars().count() + 1).contains(&e.column), "{e} in {text:?}");
            prop_assert!(!e.message.is_empty() && !e.fix.is_empty(), "{e:?}");
        }
    }

    /// However deep `not` and parentheses nest, the parser answers (no stack overflow).
    #[test]
    fn any_nesting_parses_or_is_refused(levels in vec(any::<bool>(), 0..200)) {
        let mut text = "true".to_owned();
        for &paren in &levels {
            text = if paren { format!("({text})") } else { format!("not {text}") };
        }
        match Condition::parse(&text) {
            Ok(_) => prop_assert!(levels.len() < 32),
            Err(e) => prop_assert!(levels.len() >= 32 && e.message.contains("nests deeper"), "{e}"),
        }
    }

    #[test]
    fn printed_conditions_read_back_the_same(c in condition()) {
        let text = print(&c, Level::Or);
        prop_assert_eq!(Condition::parse(&text), Ok(c), "{}", text);
    }

    #[test]
    fn unknown_names_are_refused_while_parsing(
        capability in unknown_word(CAPABILITIES),
        flag in unknown_word(CONFIG_FLAGS),
        state in unknown_word(&["succeeded", "failed", "skipped", "ran"]),
        diagnosis in "[^\"]{0,12}".prop_filter("a diagnosis", |d| !DIAGNOSES.contains(&d.as_str())),
        bare in unknown_word(&["true", "false", "diagnosis", "and", "or", "not", "in"]),
    ) {
        for (text, name) in [
            (format!("capability.{capability}"), capability),
            (format!("config.{flag}"), flag),
            (format!("step.first.{state}"), state),
            (format!("diagnosis == \"{diagnosis}\""), diagnosis),
            (format!("true and {bare}"), bare),
        ] {
            let e = Condition::parse(&text).expect_err(&text);
            prop_assert!(e.message.contains(&format!("`{name}`")), "{e} for {text:?}");
        }
    }

    /// An engine that cannot answer a name makes evaluation fail; it never changes the
    /// answer (e.g. to `false`) without saying so.
    #[test]
    fn names_the_engine_cannot_answer_are_errors(c in condition(), mut engine in engine()) {
        let answer = c.evaluate(&engine);
        prop_assert!(answer.is_ok());
        engine.forgetful = true;
        match c.evaluate(&engine) {
            Ok(forgot) => prop_assert_eq!(Ok(forgot), answer),
            Err(e) => prop_assert!(e.0.starts_with("capability.") || e.0.starts_with("config."), "{e}"),
        }
    }
}
