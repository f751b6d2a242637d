//! The built-in actions a runbook step may name, with their parameter schema. The engine
//! binds each name to code; the validator checks runbooks against this table, so a typo in
//! a runbook is caught by `keyturn runbooks validate`, not halfway through a rotation.
//!
//! Token-carrying values never appear as parameters or outputs: an action that writes a
//! token takes `source` (`vault` | `live` | `new` | `previous`) and the engine fetches the
//! value from its in-memory session.

/// A store an action writes to (the preview and the journal name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    Vault,
    Github,
    Heroku,
    /// Heroku OAuth authorizations (create / revoke).
    Authorizations,
    Clipboard,
    /// Local files: postmortem, audit log.
    Files,
}

/// The type a parameter's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A string; `{placeholders}` allowed.
    Text,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    Bool,
    Integer,
    /// A TOML table of strings (workflow inputs); placeholders allowed in values.
    Map,
}

/// One parameter of an action.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    pub doc: &'static str,
}

/// One built-in action.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamSpec],
    /// Non-secret results a step may list in `outputs` and later steps use as
    /// `{steps.ID.NAME}`.
    pub outputs: &'static [&'static str],
    pub writes: Option<Writes>,
    /// Safe to run twice (or checks before acting, e.g. skips a store already holding the
    /// new fingerprint).
    pub idempotent: bool,
}

/// Where a token-valued action takes its token from.
pub const SOURCES: &[&str] = &["vault", "live", "new", "previous"];
const APPS: &[&str] = &["stale", "all"];

const fn req(name: &'static str, kind: ParamKind, doc: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        required: true,
        doc,
    }
}

const fn opt(name: &'static str, kind: ParamKind, doc: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        required: false,
        doc,
    }
}

const SOURCE: ParamSpec = req(
    "source",
    ParamKind::Choice(SOURCES),
    "which in-memory copy: vault | live (a validated Heroku copy) | new (minted this session) | previous (the vault's previous version)",
);
const WORKFLOW: ParamSpec = req("workflow", ParamKind::Text, "workflow file name or id");
const GIT_REF: ParamSpec = opt("ref", ParamKind::Text, "git ref to run on");
const INPUTS: ParamSpec = opt("inputs", ParamKind::Map, "workflow_dispatch inputs");

const fn action(name: &'static str, summary: &'static str) -> ActionSpec {
    ActionSpec {
        name,
        summary,
        params: &[],
        outputs: &[],
        writes: None,
        idempotent: true,
    }
}

/// The catalogue, in the order the SOPs first use each action.
pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        outputs: &["status", "email"],
        ..action(
            "validate_vault",
            "GET /account with the vault's copy: 200 valid, 401 stale",
        )
    },
    ActionSpec {
        params: &[
            SOURCE,
            opt("clear_after_secs", ParamKind::Integer, "default: config"),
        ],
        writes: Some(Writes::Clipboard),
        ..action(
            "copy_to_clipboard",
            "put a copy on the clipboard; cleared after a timeout",
        )
    },
    ActionSpec {
        params: &[SOURCE],
        outputs: &["updated_at"],
        writes: Some(Writes::Github),
        ..action(
            "write_github_secret",
            "GET the repo public key, seal the value, PUT it",
        )
    },
    ActionSpec {
        params: &[
            WORKFLOW,
            GIT_REF,
            INPUTS,
            opt("watch", ParamKind::Bool, "wait for the run to finish"),
        ],
        outputs: &["run_id", "run_url", "conclusion"],
        idempotent: false,
        ..action(
            "dispatch_workflow",
            "POST a workflow_dispatch; with watch, follow the run",
        )
    },
    ActionSpec {
        params: &[req("run_id", ParamKind::Text, "run to follow")],
        outputs: &["conclusion"],
        ..action("watch_workflow", "follow a workflow run to completion")
    },
    ActionSpec {
        params: &[req("apps", ParamKind::Choice(APPS), "stale | all"), SOURCE],
        outputs: &["apps_written"],
        writes: Some(Writes::Heroku),
        ..action(
            "set_heroku_config",
            "one batched PATCH of the config var per app",
        )
    },
    ActionSpec {
        params: &[req("apps", ParamKind::Choice(APPS), "stale | all")],
        writes: Some(Writes::Heroku),
        ..action(
            "restart_dynos",
            "DELETE /apps/{app}/dynos so dynos pick up the value",
        )
    },
    ActionSpec {
        params: &[SOURCE, opt("comment", ParamKind::Text, "secret comment")],
        outputs: &["version"],
        writes: Some(Writes::Vault),
        ..action("write_vault", "write a new version of the vault secret")
    },
    ActionSpec {
        params: &[req(
            "version",
            ParamKind::Text,
            "`previous` or a version number",
        )],
        outputs: &["version"],
        writes: Some(Writes::Vault),
        ..action(
            "restore_vault_version",
            "make an earlier vault version current again",
        )
    },
    ActionSpec {
        outputs: &["diagnosis"],
        ..action("audit_drift", "observe every copy again and diagnose")
    },
    ActionSpec {
        params: &[
            req(
                "identify",
                ParamKind::Choice(&["vault-token", "description"]),
                "how to find the OLD one",
            ),
            opt(
                "description",
                ParamKind::Text,
                "with identify = description",
            ),
        ],
        outputs: &["old_authorization_id", "old_description"],
        ..action(
            "list_authorizations",
            "list authorizations and capture the OLD one",
        )
    },
    ActionSpec {
        params: &[
            req(
                "description",
                ParamKind::Text,
                "new authorization's description",
            ),
            opt("scope", ParamKind::Text, "comma-separated; default: config"),
        ],
        outputs: &["new_authorization_id", "new_description"],
        writes: Some(Writes::Authorizations),
        ..action(
            "create_authorization",
            "POST /oauth/authorizations; adopts this session's own if present",
        )
    },
    ActionSpec {
        params: &[
            SOURCE,
            opt(
                "app",
                ParamKind::Text,
                "app whose config vars to read; default: first",
            ),
        ],
        outputs: &["email"],
        ..action(
            "validate_token",
            "GET /account and read one app's config vars",
        )
    },
    ActionSpec {
        params: &[
            opt("url", ParamKind::Text, "default: config"),
            opt("field", ParamKind::Text, "JSON field"),
        ],
        outputs: &["status"],
        ..action(
            "check_health",
            "GET the health URL and check the Heroku field",
        )
    },
    ActionSpec {
        params: &[
            req("authorization_id", ParamKind::Text, "the OLD authorization"),
            opt(
                "prove_401",
                ParamKind::Bool,
                "then prove the old token gets 401 (default true)",
            ),
        ],
        writes: Some(Writes::Authorizations),
        ..action(
            "revoke_authorization",
            "DELETE /oauth/authorizations/{id}; no way back",
        )
    },
    ActionSpec {
        params: &[
            req("event", ParamKind::Text, "e.g. secret.rotate.completed"),
            opt("context", ParamKind::Map, "extra fields"),
        ],
        writes: Some(Writes::Files),
        idempotent: false,
        ..action(
            "write_audit_entry",
            "append an audit entry (no token, by type)",
        )
    },
    ActionSpec {
        params: &[opt(
            "path",
            ParamKind::Text,
            "default: {postmortem_dir}/…-{date}.md",
        )],
        outputs: &["path"],
        writes: Some(Writes::Files),
        ..action(
            "write_postmortem",
            "render the postmortem from the session's events",
        )
    },
    ActionSpec {
        params: &[
            req(
                "message",
                ParamKind::Text,
                "why the runbook ends here, what to do next",
            ),
            opt("next_runbook", ParamKind::Text, "runbook to run instead"),
        ],
        ..action("stop", "end the runbook with a message")
    },
    ActionSpec {
        params: &[
            opt("url", ParamKind::Text, "a page to open for the operator"),
            opt(
                "store",
                ParamKind::Choice(&["github"]),
                "the copy the operator writes by hand; keyturn proves a GitHub paste by its updated_at",
            ),
            opt(
                "source",
                ParamKind::Choice(SOURCES),
                "which value the operator puts there (default: the new token, else the vault's)",
            ),
        ],
        ..action("manual", "the operator does it elsewhere, then confirms")
    },
];

/// A catalogue action, as code names it: the engine and the validator match on this enum,
/// so an action misspelled in keyturn's own code is a compile error, not a step that
/// silently falls through to "unknown action". A runbook's `action = "…"` string is
/// resolved to it once, when the walk is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    ValidateVault,
    CopyToClipboard,
    WriteGithubSecret,
    DispatchWorkflow,
    WatchWorkflow,
    SetHerokuConfig,
    RestartDynos,
    WriteVault,
    RestoreVaultVersion,
    AuditDrift,
    ListAuthorizations,
    CreateAuthorization,
    ValidateToken,
    CheckHealth,
    RevokeAuthorization,
    WriteAuditEntry,
    WritePostmortem,
    Stop,
    Manual,
}

impl ActionKind {
    /// Every action, in the catalogue's order.
    pub const ALL: [ActionKind; 19] = [
        ActionKind::ValidateVault,
        ActionKind::CopyToClipboard,
        ActionKind::WriteGithubSecret,
        ActionKind::DispatchWorkflow,
        ActionKind::WatchWorkflow,
        ActionKind::SetHerokuConfig,
        ActionKind::RestartDynos,
        ActionKind::WriteVault,
        ActionKind::RestoreVaultVersion,
        ActionKind::AuditDrift,
        ActionKind::ListAuthorizations,
        ActionKind::CreateAuthorization,
        ActionKind::ValidateToken,
        ActionKind::CheckHealth,
        ActionKind::RevokeAuthorization,
        ActionKind::WriteAuditEntry,
        ActionKind::WritePostmortem,
        ActionKind::Stop,
        ActionKind::Manual,
    ];

    /// The name a runbook file uses.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::ValidateVault => "validate_vault",
            ActionKind::CopyToClipboard => "copy_to_clipboard",
            ActionKind::WriteGithubSecret => "write_github_secret",
            ActionKind::DispatchWorkflow => "dispatch_workflow",
            ActionKind::WatchWorkflow => "watch_workflow",
            ActionKind::SetHerokuConfig => "set_heroku_config",
            ActionKind::RestartDynos => "restart_dynos",
            ActionKind::WriteVault => "write_vault",
            ActionKind::RestoreVaultVersion => "restore_vault_version",
            ActionKind::AuditDrift => "audit_drift",
            ActionKind::ListAuthorizations => "list_authorizations",
            ActionKind::CreateAuthorization => "create_authorization",
            ActionKind::ValidateToken => "validate_token",
            ActionKind::CheckHealth => "check_health",
            ActionKind::RevokeAuthorization => "revoke_authorization",
            ActionKind::WriteAuditEntry => "write_audit_entry",
            ActionKind::WritePostmortem => "write_postmortem",
            ActionKind::Stop => "stop",
            ActionKind::Manual => "manual",
        }
    }

    /// The action a runbook names, if the catalogue has it.
    pub fn parse(name: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Its catalogue entry (parameters, outputs, what it writes).
    pub fn spec(self) -> Option<&'static ActionSpec> {
        find(self.name())
    }

    /// The store kind it writes, if any.
    pub fn writes(self) -> Option<Writes> {
        self.spec().and_then(|a| a.writes)
    }
}

/// Looks an action up by name.
pub fn find(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// The catalogue name closest to a typo, for "did you mean" fixes.
pub fn closest(name: &str) -> Option<&'static str> {
    ACTIONS
        .iter()
        .map(|a| (edit_distance(name, a.name), a.name))
        .filter(|(d, _)| *d <= 4)
        .min()
        .map(|(_, n)| n)
}

/// Levenshtein distance; names are short, so the quadratic version is fine.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

impl ActionSpec {
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_typos_find_the_right_one() {
        for (i, a) in ACTIONS.iter().enumerate() {
            assert!(ACTIONS[..i].iter().all(|b| b.name != a.name), "{}", a.name);
        }
        assert_eq!(closest("write_githb_secret"), Some("write_github_secret"));
        // The enum the code matches on and the table runbooks are checked against agree.
        let names: Vec<&str> = ACTIONS.iter().map(|a| a.name).collect();
        let kinds: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names, kinds);
        assert!(ActionKind::ALL.iter().all(|k| k.spec().is_some()));
        assert_eq!(closest("completely_different_thing"), None);
    }
}
