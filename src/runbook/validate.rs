//! Checks a parsed runbook against the catalogue and itself. Every problem names the file,
//! the line and column of the offending value, and a fix, because the person reading it is
//! an operator editing a TOML file, not someone who will read the engine's source.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::catalogue::{self, ActionSpec, ParamKind};
use super::condition::Condition;
use super::model::{Confirm, Rollback, Runbook, Step};
use super::template::{self, CONSUMER_VARIABLES, VARIABLES};
use super::{Problem, source};
use crate::config::Location;

mod safety;

/// All problems of `runbook`, parsed from `text` (the file at `file`). Empty when valid.
pub fn validate(runbook: &Runbook, text: &str, file: &Path) -> Vec<Problem> {
    let mut checker = Checker {
        runbook,
        text,
        file,
        problems: Vec::new(),
    };
    checker.runbook();
    let mut problems = checker.problems;
    problems.sort_by_key(|p| (p.location.line, p.location.column));
    problems
}

struct Checker<'a> {
    runbook: &'a Runbook,
    text: &'a str,
    file: &'a Path,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn push(&mut self, offset: usize, message: String, fix: impl Into<String>) {
        self.problems.push(Problem {
            location: Location::at(self.file, self.text, offset),
            message,
            fix: fix.into(),
        });
    }

    /// Offset of `needle` inside the source of `span`, else the span's start.
    fn find_in(&self, span: Range<usize>, needle: &str) -> usize {
        source::find_in(self.text, span, needle)
    }

    fn runbook(&mut self) {
        if self.runbook.steps.is_empty() {
            let at = self.runbook.id.span().start;
            self.push(at, "the runbook has no steps".into(), "add [[step]] tables");
        }
        self.header_templates();
        for (index, step) in self.runbook.steps.iter().enumerate() {
            self.step(index, step);
        }
        self.rollback_paths_are_used();
    }

    /// The runbook's own title and secret may use only the config-derived names.
    fn header_templates(&mut self) {
        let fields = [&self.runbook.title, &self.runbook.secret];
        for placeholder in fields.iter().flat_map(|f| template::placeholders(f)) {
            if !VARIABLES.contains(&placeholder.name.as_str()) {
                let at = self.find_in(0..self.text.len(), &format!("{{{}}}", placeholder.name));
                let msg = format!(
                    "unknown placeholder `{{{}}}` in the runbook header",
                    placeholder.name
                );
                self.push(at, msg, format!("use one of: {}", VARIABLES.join(", ")));
            }
        }
    }

    fn step(&mut self, index: usize, step: &Step) {
        self.step_id(index, step);
        if let Some(spec) = self.action(&step.action) {
            self.params(spec, step.params.as_ref(), step.action.span(), index, step);
            self.outputs(spec, step);
        }
        self.templates(&step.title, index, step);
        if let Some(body) = &step.body {
            self.templates(body, index, step);
        }
        self.confirm(index, step);
        self.condition(index, step);
        self.rollback(index, step);
        self.back_to(index, step);
        self.for_each(step);
        self.safety(index, step);
    }

    fn step_id(&mut self, index: usize, step: &Step) {
        let id = step.id();
        let snake = id.starts_with(|c: char| c.is_ascii_lowercase())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake {
            let msg = format!("step id `{id}` is not snake_case");
            self.push(
                step.id.span().start,
                msg,
                "use lowercase letters, digits and `_`, starting with a letter",
            );
        }
        if self.runbook.steps[..index].iter().any(|s| s.id() == id) {
            let msg = format!("duplicate step id `{id}`");
            self.push(step.id.span().start, msg, "give every step a unique id");
        }
    }

    fn action(&mut self, action: &Spanned<String>) -> Option<&'static ActionSpec> {
        let name = action.get_ref();
        let spec = catalogue::find(name);
        if spec.is_none() {
            let fix = catalogue::closest(name).map_or_else(
                || format!("use one of: {}", names().join(", ")),
                |n| {
                    format!(
                        "did you mean `{n}`? (built-in actions: {})",
                        names().join(", ")
                    )
                },
            );
            self.push(action.span().start, format!("unknown action `{name}`"), fix);
        }
        spec
    }

    fn params(
        &mut self,
        spec: &ActionSpec,
        params: Option<&Spanned<toml::Table>>,
        fallback: Range<usize>,
        index: usize,
        step: &Step,
    ) {
        let span = params.map_or(fallback, |p| source::table(self.text, p.span()));
        let empty = toml::Table::new();
        let table = params.map_or(&empty, Spanned::get_ref);
        for (key, value) in table {
            let at = source::find_key(self.text, span.clone(), key);
            let Some(param) = spec.param(key) else {
                let known: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
                let msg = format!("`{}` has no parameter `{key}`", spec.name);
                self.push(
                    at,
                    msg,
                    format!("remove it; known parameters: {}", known.join(", ")),
                );
                continue;
            };
            if let Err(fix) = check_kind(param.kind, value) {
                self.push(
                    at,
                    format!("parameter `{key}` of `{}` has the wrong value", spec.name),
                    fix,
                );
            }
            for text in strings(value) {
                self.template_text(text, span.clone(), index, step);
            }
        }
        for missing in spec
            .params
            .iter()
            .filter(|p| p.required && !table.contains_key(p.name))
        {
            let msg = format!("`{}` needs parameter `{}`", spec.name, missing.name);
            self.push(
                span.start,
                msg,
                format!("add `{} = …` ({})", missing.name, missing.doc),
            );
        }
    }

    fn outputs(&mut self, spec: &ActionSpec, step: &Step) {
        for output in &step.outputs {
            if !spec.outputs.contains(&output.get_ref().as_str()) {
                let msg = format!("`{}` produces no output `{}`", spec.name, output.get_ref());
                let fix = format!("it produces: {}", spec.outputs.join(", "));
                self.push(output.span().start, msg, fix);
            }
        }
    }

    fn templates(&mut self, field: &Spanned<String>, index: usize, step: &Step) {
        self.template_text(field.get_ref(), field.span(), index, step);
    }

    fn template_text(&mut self, text: &str, span: Range<usize>, index: usize, step: &Step) {
        for placeholder in template::placeholders(text) {
            if let Err((message, fix)) = self.placeholder(&placeholder.name, index, step) {
                let at = self.find_in(span.clone(), &format!("{{{}}}", placeholder.name));
                self.push(at, message, fix);
            }
        }
    }

    fn placeholder(&self, name: &str, index: usize, step: &Step) -> Result<(), (String, String)> {
        if VARIABLES.contains(&name)
            || (step.for_each.is_some() && CONSUMER_VARIABLES.contains(&name))
        {
            return Ok(());
        }
        let Some(rest) = name.strip_prefix("steps.") else {
            let fix = format!(
                "use one of: {}, or {{steps.ID.OUTPUT}}",
                VARIABLES.join(", ")
            );
            return Err((format!("unknown placeholder `{{{name}}}`"), fix));
        };
        let (id, output) = rest.split_once('.').unwrap_or((rest, ""));
        let earlier = &self.runbook.steps[..index];
        let Some(source) = earlier.iter().find(|s| s.id() == id) else {
            let fix = "refer to a step that comes earlier in the runbook".to_owned();
            return Err((
                format!("`{{{name}}}` refers to no earlier step `{id}`"),
                fix,
            ));
        };
        if source.outputs.iter().any(|o| o.get_ref() == output) {
            return Ok(());
        }
        let fix =
            format!("add `outputs = [\"{output}\"]` to step `{id}` (if its action produces it)");
        Err((
            format!("step `{id}` does not publish output `{output}`"),
            fix,
        ))
    }

    fn confirm(&mut self, index: usize, step: &Step) {
        let confirm = step.confirm();
        if let (Confirm::Typed(word), Some(spanned)) = (&confirm, &step.confirm) {
            self.template_text(word, spanned.span(), index, step);
        }
        if step.point_of_no_return && !matches!(confirm, Confirm::Typed(_)) {
            let at = step
                .confirm
                .as_ref()
                .map_or(step.id.span().start, |c| c.span().start);
            let msg = format!(
                "step `{}` is a point of no return without a typed confirmation",
                step.id()
            );
            let fix = "add `confirm = { typed = \"{steps.ID.old_description}\" }` (a word the operator must type)";
            self.push(at, msg, fix);
        }
    }

    fn condition(&mut self, index: usize, step: &Step) {
        let Some(when) = &step.when else { return };
        let span = when.span();
        match Condition::parse(when.get_ref()) {
            Err(e) => {
                let at = source::char_in_string(self.text, span, when.get_ref(), e.column);
                self.push(at, format!("bad condition: {}", e.message), e.fix);
            }
            Ok(condition) => {
                for id in condition.step_refs() {
                    if !self.runbook.steps[..index].iter().any(|s| s.id() == id) {
                        let at = self.find_in(span.clone(), id);
                        let msg = format!("condition refers to no earlier step `{id}`");
                        self.push(at, msg, "use the id of a step that comes before this one");
                    }
                }
            }
        }
    }

    fn rollback(&mut self, index: usize, step: &Step) {
        let Some(rollback) = &step.rollback else {
            return;
        };
        match rollback.get_ref() {
            Rollback::Step(id) => match self.runbook.step(id) {
                None => {
                    let msg = format!("rollback refers to no step `{id}`");
                    let fix = "name an existing `rollback_only = true` step, or give an inline { action, params }";
                    self.push(rollback.span().start, msg, fix);
                }
                Some(target) if !target.rollback_only => {
                    let msg = format!("rollback step `{id}` is not marked rollback_only");
                    let fix = format!(
                        "add `rollback_only = true` to step `{id}` so the forward walk skips it"
                    );
                    self.push(rollback.span().start, msg, fix);
                }
                Some(_) => {}
            },
            Rollback::Inline { action, params } => {
                let spanned = Spanned::new(rollback.span(), action.clone());
                if let Some(spec) = self.action(&spanned) {
                    let table = Spanned::new(rollback.span(), params.clone());
                    self.params(spec, Some(&table), rollback.span(), index, step);
                }
            }
        }
    }

    /// `back_to` names an earlier step of the forward walk.
    fn back_to(&mut self, index: usize, step: &Step) {
        let Some(target) = &step.back_to else {
            return;
        };
        let id = target.get_ref();
        let steps = &self.runbook.steps;
        let found = steps.iter().position(|s| s.id() == id);
        let problem = match found {
            None => Some(format!("back_to refers to no step `{id}`")),
            Some(i) if i >= index => Some(format!(
                "back_to `{id}` is not an earlier step: the way back goes to a step before this one"
            )),
            Some(i) if steps[i].rollback_only => Some(format!(
                "back_to `{id}` is a rollback_only step, which the forward walk never runs"
            )),
            Some(_) => None,
        };
        if let Some(msg) = problem {
            let fix = "name an earlier step of the forward walk (e.g. the copy step before a manual paste)";
            self.push(target.span().start, msg, fix);
        }
    }

    fn for_each(&mut self, step: &Step) {
        let Some(for_each) = &step.for_each else {
            return;
        };
        if for_each.get_ref() != "manual_consumers"
            || !step.is(super::catalogue::ActionKind::Manual)
        {
            let msg = format!(
                "`for_each = \"{}\"` is not supported here",
                for_each.get_ref()
            );
            let fix = "use `for_each = \"manual_consumers\"` on an `action = \"manual\"` step";
            self.push(for_each.span().start, msg, fix);
        }
    }

    /// The first step of every block of `rollback_only` steps must be named by a rollback,
    /// or the block is dead text the operator will never see.
    fn rollback_paths_are_used(&mut self) {
        let steps = &self.runbook.steps;
        for (i, step) in steps.iter().enumerate() {
            let starts_block = step.rollback_only && (i == 0 || !steps[i - 1].rollback_only);
            let named = steps.iter().any(|s| {
                matches!(s.rollback.as_ref().map(Spanned::get_ref), Some(Rollback::Step(id)) if id == step.id())
            });
            if starts_block && !named {
                let msg = format!("rollback path `{}` is never used", step.id());
                let fix = format!(
                    "name it in a step's `rollback = \"{}\"`, or drop `rollback_only`",
                    step.id()
                );
                self.push(step.id.span().start, msg, fix);
            }
        }
    }
}

fn names() -> Vec<&'static str> {
    catalogue::ACTIONS.iter().map(|a| a.name).collect()
}

fn check_kind(kind: ParamKind, value: &toml::Value) -> Result<(), String> {
    let ok = match (kind, value) {
        (ParamKind::Text, toml::Value::String(_))
        | (ParamKind::Bool, toml::Value::Boolean(_))
        | (ParamKind::Integer, toml::Value::Integer(_)) => true,
        (ParamKind::Choice(choices), toml::Value::String(s)) => choices.contains(&s.as_str()),
        (ParamKind::Map, toml::Value::Table(t)) => t.values().all(toml::Value::is_str),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        ParamKind::Text => "give a string".to_owned(),
        ParamKind::Choice(choices) => format!("use one of: {}", choices.join(", ")),
        ParamKind::Bool => "use true or false".to_owned(),
        ParamKind::Integer => "give a whole number".to_owned(),
        ParamKind::Map => "give a table of strings, e.g. { sanity = \"true\" }".to_owned(),
    })
}

/// String values inside a parameter value (templates live there).
fn strings(value: &toml::Value) -> Vec<&str> {
    match value {
        toml::Value::String(s) => vec![s.as_str()],
        toml::Value::Table(t) => t.values().filter_map(toml::Value::as_str).collect(),
        _ => Vec::new(),
    }
}
