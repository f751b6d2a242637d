//! The engine's event stream: typed, serializable, and token-free by construction.
//!
//! Everything keyturn persists (the journal, the audit log, the postmortem) is a fold over
//! these events. `Token` implements neither `Serialize` nor `Deserialize`-into-events, so no
//! variant can carry a token value: the compiler refuses it. Fingerprints are keyed per
//! process and mean nothing outside the run that made them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::Fingerprint;

/// One journal line: when, which session, its position, and what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the session, from 0; a gap means a lost line.
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Where a token-valued action takes its token from (the catalogue's `source`). Journaled
/// with every write, so which token a store got is known across processes (fingerprints
/// are keyed per process and mean nothing to a resumed session).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Vault,
    Live,
    New,
    Previous,
}

impl Source {
    /// How the end message names this token.
    pub fn describe(self) -> &'static str {
        match self {
            Source::Vault => "the vault's value",
            Source::Live => "the live Heroku copy",
            Source::New => "the new token",
            Source::Previous => "the old token",
        }
    }

    /// Parses a catalogue `source` value.
    pub fn parse(text: &str) -> Option<Source> {
        match text {
            "vault" => Some(Source::Vault),
            "live" => Some(Source::Live),
            "new" => Some(Source::New),
            "previous" => Some(Source::Previous),
            _ => None,
        }
    }
}

pub use crate::drift::DiagnosisKind;
pub use crate::store::{Evidence, Store, Validity};

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every step succeeded or was skipped by its condition or the operator.
    Completed,
    /// A step failed and the operator stopped; stores are consistent (see the last events).
    Failed,
    /// The operator aborted.
    Aborted,
    /// The rollback path ran.
    RolledBack,
    /// The runbook stopped on purpose (e.g. nothing valid: rotate instead).
    Stopped,
}

impl Outcome {
    /// A session that ended this way can be taken up again (the operator stopped it, or a
    /// step failed); a completed, rolled-back or deliberately stopped one cannot.
    pub fn resumable(self) -> bool {
        matches!(self, Outcome::Aborted | Outcome::Failed)
    }
}

/// What a runbook is for; decides which audit action a session produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunbookKind {
    Rotation,
    DriftRecovery,
    Other,
}

/// What an operator note is for (it ends up in the postmortem).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    RootCause,
    Followup,
    Other,
}

/// Everything that can happen in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A runbook run began.
    SessionStarted {
        session: String,
        runbook: String,
        title: String,
        secret: String,
        kind: RunbookKind,
        dry_run: bool,
        keyturn_version: String,
        /// Against the embedded simulator (`--sim`, the demo): no real store was touched.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        simulated: bool,
    },
    /// A copy was read (or could not be).
    StoreObserved {
        store: Store,
        fingerprint: Option<Fingerprint>,
        validity: Validity,
        matches_vault: Option<bool>,
        #[serde(default, deserialize_with = "crate::store::version::deserialize")]
        version: Option<u64>,
        error: Option<String>,
        /// How `matches_vault` and `validity` are known (GitHub: metadata or a probe).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<Evidence>,
    },
    /// The drift audit's verdict.
    Diagnosed {
        diagnosis: DiagnosisKind,
        /// The recovery path the audit recommends (`path-b`, `apps-stale`, `inverse`).
        path: Option<crate::drift::RecoveryPath>,
        why: String,
    },
    /// The probe workflow proved what GitHub's write-only copy holds (the verify step's
    /// audit ran it): compared with the vault value of fingerprint `vault`, while GitHub's
    /// secret was last written at `github_written`, so a face can tell when a later write
    /// has outdated it.
    GithubProbed {
        verdict: crate::drift::ProbeVerdict,
        vault: Option<Fingerprint>,
        github_written: Option<DateTime<Utc>>,
    },
    /// The latest run of the deploy workflow, as seen by the audit (the drift symptom).
    DeployObserved {
        workflow: String,
        run_id: u64,
        status: String,
        conclusion: Option<String>,
        url: Option<String>,
        /// True when its log carries the invalid-token message.
        invalid_token: bool,
    },
    /// The authorization currently in use, to be revoked at the end of a rotation.
    OldAuthorizationFound {
        id: String,
        description: Option<String>,
    },
    StepStarted {
        step: String,
        title: String,
        index: usize,
        total: usize,
    },
    StepSucceeded {
        step: String,
        summary: String,
        duration_ms: u64,
        /// The step's outputs (`{steps.ID.NAME}`: ids, descriptions, versions, never a
        /// token), so a resumed session renders later steps exactly as the first one would.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        outputs: BTreeMap<String, String>,
    },
    StepFailed {
        step: String,
        error: String,
        duration_ms: u64,
    },
    /// Skipped by its condition (`by_operator = false`) or by the operator with a reason.
    StepSkipped {
        step: String,
        title: String,
        reason: String,
        by_operator: bool,
        /// The stores the step would have written: an operator's skip of them is what the
        /// revoke's rule accepts instead of a proven write (journaled, so a resumed
        /// session knows it too).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stores: Vec<Store>,
    },
    /// A step failed and the operator went back to an earlier step (its `back_to`): the
    /// steps from `to` on are open again (their results no longer count), and the stores
    /// they wrote are no longer proven to hold what they were sent (a paste may have been
    /// the wrong value).
    WalkedBack {
        /// The step that failed.
        from: String,
        to: String,
        /// Every step whose result the way back drops, `to` first.
        reopened: Vec<String>,
        /// The stores those steps wrote.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stores: Vec<Store>,
        /// Why, when not the operator's choice after `from` failed (a resume going back
        /// to the mint because the minted token died with the process).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
    },
    /// The operator asked to undo what succeeded; `StepRolledBack` events follow. Journaled
    /// so a session killed mid-rollback resumes by finishing the rollback, not the rotation.
    RollbackStarted,
    StepRolledBack {
        step: String,
        summary: String,
    },
    ConfirmationGiven {
        step: String,
        typed: bool,
    },
    /// A new authorization exists; its token lives only in this process's memory.
    AuthorizationCreated {
        id: String,
        description: String,
        fingerprint: Fingerprint,
    },
    /// A revoke request for this authorization is about to be sent. From here on its token
    /// counts as possibly dead, whatever the answer: nothing is rolled back to it.
    RevokeRequested {
        id: String,
    },
    /// Heroku already rejected the token in use (401) when the rotation began: there is
    /// nothing to capture or revoke, only a new token to mint and spread.
    OldTokenAlreadyInvalid,
    AuthorizationRevoked {
        id: String,
        description: Option<String>,
        /// True once the revoked token was proven to get 401.
        old_token_rejected: bool,
    },
    /// A store now holds the value with this fingerprint, proven as `proof` says (the
    /// vendor's documented answer and a read-back, or the operator's confirmation).
    SecretWritten {
        store: Store,
        fingerprint: Fingerprint,
        #[serde(default, deserialize_with = "crate::store::version::deserialize")]
        version: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proof: Option<String>,
        /// Which of the session's tokens it was (`new`, `previous`, `vault`, `live`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<Source>,
        /// The operator put the value in place by hand (a paste on GitHub, a manual
        /// consumer); otherwise keyturn wrote it through the vendor's API.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        by_operator: bool,
    },
    /// A write of this value is being sent to `store`; its proof (`SecretWritten`) follows
    /// unless the answer is lost. A store may hold the value from here on.
    WriteSent {
        store: Store,
        fingerprint: Fingerprint,
        source: Source,
    },
    /// A read showed `store` already holding this value (a write of this session whose
    /// answer was lost, or one made before a resume): as good as a proven write.
    CopyVerified {
        store: Store,
        fingerprint: Fingerprint,
        source: Source,
        how: String,
    },
    DynosRestarted {
        app: String,
    },
    WorkflowDispatched {
        workflow: String,
        run_id: Option<u64>,
        url: Option<String>,
    },
    WorkflowCompleted {
        workflow: String,
        run_id: u64,
        conclusion: String,
        url: Option<String>,
    },
    ClipboardCopied {
        fingerprint: Fingerprint,
        clear_after_secs: u64,
    },
    ClipboardCleared,
    OperatorNote {
        kind: NoteKind,
        text: String,
    },
    SessionFinished {
        outcome: Outcome,
        message: String,
    },
    /// A report the session owes could not be brought up to its end after the end was
    /// journaled (the postmortem's rewrite): what is missing and what to run.
    ReportFailed {
        message: String,
    },
    /// A later process picked the session up from this journal (`keyturn resume
    /// --continue`): where it goes on and what it recovered from the stores (which vault
    /// version holds the new token, which orphan authorization it will revoke).
    SessionResumed {
        /// The first step the resumed walk runs; `None` when nothing is left.
        from_step: Option<String>,
        recovered: Vec<String>,
        keyturn_version: String,
    },
}

static_assertions::assert_impl_all!(Event: Serialize, Send, Sync);
