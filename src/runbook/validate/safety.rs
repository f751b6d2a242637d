//! The engine's safety rules, checked in the file too, so a runbook the engine would
//! refuse mid-rotation is an error at `keyturn runbooks validate` time instead: a revoke
//! needs a typed word, is the point of no return, and comes after steps that write every
//! kind of copy; a step that writes a store must be confirmed.

use super::Checker;
use crate::runbook::catalogue::{ActionKind, Writes};
use crate::runbook::model::{Confirm, Step};

/// The kinds of copy a revoke must come after, each with the step that writes it.
const COPIES: &[(&str, &str)] = &[
    ("the vault", "`action = \"write_vault\"`"),
    (
        "every Heroku app",
        "`action = \"set_heroku_config\"` with `apps = \"all\"`",
    ),
    (
        "the GitHub secret",
        "`action = \"write_github_secret\"`, or a `manual` step with `store = \"github\"`",
    ),
    (
        "the manual consumers",
        "a `manual` step with `for_each = \"manual_consumers\"`",
    ),
];

impl Checker<'_> {
    pub(super) fn safety(&mut self, index: usize, step: &Step) {
        if step.rollback_only {
            return;
        }
        if step.is(ActionKind::RevokeAuthorization) {
            self.revocation(index, step);
        } else if writes_store(step) && matches!(step.confirm(), Confirm::None) {
            let at = step
                .confirm
                .as_ref()
                .map_or(step.id.span().start, |c| c.span().start);
            let msg = format!("step `{}` writes a store without a confirmation", step.id());
            self.push(
                at,
                msg,
                "remove `confirm = \"none\"`: every write is confirmed (keyturn asks anyway)",
            );
        }
    }

    fn revocation(&mut self, index: usize, step: &Step) {
        let confirm_at = step
            .confirm
            .as_ref()
            .map_or(step.id.span().start, |c| c.span().start);
        // A point of no return without a typed word is reported by `confirm` already.
        if !step.point_of_no_return && !matches!(step.confirm(), Confirm::Typed(_)) {
            let msg = format!(
                "step `{}` revokes an authorization without a typed confirmation",
                step.id()
            );
            let fix = "add `confirm = { typed = \"{steps.ID.old_description}\" }`: the revoke is the point of no return (keyturn asks for the word anyway)";
            self.push(confirm_at, msg, fix);
        }
        if !step.point_of_no_return {
            let msg = format!(
                "step `{}` revokes an authorization but is not marked as the point of no return",
                step.id()
            );
            self.push(
                step.id.span().start,
                msg,
                "add `point_of_no_return = true` (after it, nothing can be rolled back)",
            );
        }
        let earlier = &self.runbook.steps[..index];
        let present = [
            earlier.iter().any(|s| s.is(ActionKind::WriteVault)),
            earlier
                .iter()
                .any(|s| s.is(ActionKind::SetHerokuConfig) && param(s, "apps") == Some("all")),
            earlier.iter().any(|s| {
                s.is(ActionKind::WriteGithubSecret)
                    || (s.is(ActionKind::Manual) && param(s, "store") == Some("github"))
            }),
            earlier.iter().any(|s| {
                s.is(ActionKind::Manual)
                    && s.for_each.as_ref().map(|f| f.get_ref().as_str()) == Some("manual_consumers")
            }),
        ];
        for ((what, how), _) in COPIES.iter().zip(present).filter(|(_, p)| !p) {
            let msg = format!(
                "step `{}` revokes the OLD authorization, but no earlier step writes {what}: keyturn refuses to revoke until every copy holds the new token",
                step.id()
            );
            self.push(
                step.action.span().start,
                msg,
                format!("add a step before it with {how}"),
            );
        }
    }
}

fn writes_store(step: &Step) -> bool {
    matches!(
        step.kind().and_then(ActionKind::writes),
        Some(Writes::Vault | Writes::Github | Writes::Heroku | Writes::Authorizations)
    )
}

fn param<'s>(step: &'s Step, name: &str) -> Option<&'s str> {
    step.params.as_ref()?.get_ref().get(name)?.as_str()
}
