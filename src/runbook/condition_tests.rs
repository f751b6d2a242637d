use std::collections::HashMap;

use super::*;

struct Ctx {
    diagnosis: &'static str,
    github_write: bool,
    steps: HashMap<&'static str, StepStatus>,
}

impl ConditionContext for Ctx {
    fn diagnosis(&self) -> &str {
        self.diagnosis
    }
    fn capability(&self, name: &str) -> Option<bool> {
        (name == "github_write").then_some(self.github_write)
    }
    fn config_flag(&self, name: &str) -> Option<bool> {
        (name == "health_url").then_some(true)
    }
    fn step_status(&self, step_id: &str) -> Option<StepStatus> {
        self.steps.get(step_id).copied()
    }
}

fn ctx(diagnosis: &'static str) -> Ctx {
    Ctx {
        diagnosis,
        github_write: false,
        steps: HashMap::new(),
    }
}

fn eval(text: &str, ctx: &Ctx) -> bool {
    Condition::parse(text).unwrap().evaluate(ctx).unwrap()
}

#[test]
fn diagnosis_comparisons() {
    let c = ctx("github-stale");
    assert!(eval("diagnosis == \"github-stale\"", &c));
    assert!(!eval("diagnosis != \"github-stale\"", &c));
    assert!(eval("diagnosis in [\"apps-stale\", \"github-stale\"]", &c));
    assert!(!eval("diagnosis in [\"apps-stale\"]", &c));
}

#[test]
fn precedence_not_binds_tighter_than_and_than_or() {
    let c = ctx("apps-stale");
    assert!(eval("true or false and false", &c));
    assert!(!eval("(true or false) and false", &c));
    assert!(eval("not false and true", &c));
    assert!(eval(
        "not (diagnosis == \"in-sync\") and config.health_url",
        &c
    ));
}

#[test]
fn capability_and_step_states() {
    let mut c = ctx("github-stale");
    c.github_write = true;
    c.steps.insert("path_b", StepStatus::Failed);
    assert!(eval("capability.github_write", &c));
    assert!(eval("step.path_b.failed and step.path_b.ran", &c));
    assert!(!eval("step.path_b.succeeded", &c));
    assert!(!eval("step.never_ran.ran", &c));
    let cond = Condition::parse("step.a.ran or not step.b.skipped").unwrap();
    assert_eq!(cond.step_refs(), ["a", "b"]);
}

#[test]
fn errors_carry_columns_and_fixes() {
    let cases = [
        ("diagnosis == \"gh-stale\"", 14, "unknown diagnosis"),
        ("capability.github_writ", 1, "unknown capability"),
        ("diagnosis = \"x\"", 11, "unexpected character"),
        ("(true", 6, "expected `)`"),
        ("true false", 6, "unexpected `false`"),
        ("step.x.done", 1, "unknown step state"),
        ("diagnosis in [\"in-sync\"", 24, "expected `]`"),
        ("\"open", 1, "not closed"),
        ("vault.valid", 1, "unknown name"),
    ];
    for (text, column, needle) in cases {
        let e = Condition::parse(text).unwrap_err();
        assert_eq!(e.column, column, "{text}: {e}");
        assert!(e.message.contains(needle), "{text}: {e}");
        assert!(!e.fix.is_empty());
    }
}

#[test]
fn unknown_runtime_name_is_an_error_not_false() {
    let cond = Condition::parse("capability.clipboard").unwrap();
    assert!(cond.evaluate(&ctx("in-sync")).is_err());
}

/// Cheap fuzzing without a property-test dependency: token soup from a fixed-seed LCG must
/// never panic the lexer, parser or template scanner, and error columns stay in range.
#[test]
fn random_inputs_never_panic() {
    const PIECES: &[&str] = &[
        "diagnosis",
        "==",
        "!=",
        "in",
        "[",
        "]",
        ",",
        "(",
        ")",
        "and",
        "or",
        "not",
        "\"",
        "\"in-sync\"",
        "capability.",
        "github_write",
        "step.a.ran",
        "config.x",
        "=",
        "é",
        " ",
        "{",
        "}",
        "{date}",
        "{{",
        "steps.",
        ".",
        "_",
    ];
    let mut seed: u64 = 0x5eed;
    for _ in 0..3000 {
        let mut text = String::new();
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        for _ in 0..(seed >> 60) {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            text.push_str(PIECES[usize::try_from(seed >> 33).unwrap() % PIECES.len()]);
        }
        if let Err(e) = Condition::parse(&text) {
            assert!(
                e.column >= 1 && e.column <= text.chars().count() + 1,
                "{text}: {e}"
            );
        }
        let _ = crate::runbook::template::placeholders(&text);
    }
}

/// Found while writing `tests/parsers_prop.rs`: the parser recursed once per `(` or `not`,
/// so a thousand of them overflowed the stack and aborted the process.
#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let parens = |n: usize| format!("{}true{}", "(".repeat(n), ")".repeat(n));
    for text in [parens(10_000), format!("{}true", "not ".repeat(10_000))] {
        let e = Condition::parse(&text).unwrap_err();
        assert!(e.message.contains("nests deeper than 32"), "{e}");
    }
    assert_eq!(
        Condition::parse(&parens(MAX_DEPTH - 1)),
        Ok(Condition::Literal(true))
    );
    assert_eq!(Condition::parse(&parens(MAX_DEPTH)).unwrap_err().column, 33);
}
