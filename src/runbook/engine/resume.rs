//! Picking an interrupted session up from its journal: [`Engine::resume`] rebuilds the
//! engine of the same runbook, marks what the journal says is done, recovers the tokens
//! the dead process held, and continues from the first unfinished step, appending to the
//! same journal. `keyturn resume --continue` and the TUI both use it.
//!
//! Tokens lived in memory only, so they are recovered from the stores, never from the
//! journal:
//! - the token in use before the session is the vault version the first audit saw (the
//!   pre-checks identified the OLD authorization by it); Infisical keeps the history;
//! - a new token that reached the vault is the vault's current version;
//! - a new authorization whose token never reached a store is an orphan: nothing can use
//!   it and Heroku never shows a token twice, so it is revoked and a fresh one minted.
//!
//! The journal cannot know about a write that reached a vendor just before the process
//! died, so every claim is checked against the stores first, and a vault that moved in a
//! way this session cannot account for stops the resume instead of guessing.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::runbook::catalogue::Writes;
use crate::runbook::{Confirm, Runbook, Step, TemplateVars};
use crate::secret::Token;
use crate::session::event::{Event, EventKind};
use crate::vendors::Validation;
use crate::vendors::heroku::Authorization;
use crate::vendors::infisical::VaultSecret;

use super::continuation;
use super::{Engine, EngineDeps, EngineError, PlannedStep};
use crate::session::Journaled;

/// How long before the session's first event a minted authorization may claim to be
/// created (clocks of Heroku and this machine differ a little).
const CLOCK_SLACK: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

impl Engine {
    /// Rebuilds the engine of an interrupted session from its journal's `events`. `deps`
    /// must carry the session's journal reopened ([`Journal::reopen`]) and the config the
    /// session ran with; a config naming other stores is refused.
    ///
    /// [`Journal::reopen`]: crate::session::journal::Journal::reopen
    pub async fn resume(
        runbook: Runbook,
        deps: EngineDeps,
        events: &[Event],
    ) -> Result<Engine, EngineError> {
        let fold = crate::session::State::of(events);
        let journaled = fold.journaled.clone();
        check_resumable(&fold, &runbook, &deps.config)?;
        let mut engine = Engine::new(runbook, deps);
        engine.fold = Box::new(fold);
        engine.restore(&journaled);
        let recovered = engine.recover(&journaled).await?;
        let from_step = engine
            .steps
            .get(engine.cursor)
            .filter(|_| !engine.resume_rollback)
            .map(|s| s.id.clone());
        engine.emit(EventKind::SessionResumed {
            from_step,
            recovered,
            keyturn_version: env!("CARGO_PKG_VERSION").to_owned(),
        })?;
        Ok(engine)
    }

    /// What the journal alone restores: template values (with the session's date, so a
    /// description minted yesterday still renders the same), diagnosis, step statuses.
    fn restore(&mut self, j: &Journaled) {
        self.started = true;
        if let Some(at) = self.fold.summary.started {
            self.vars = TemplateVars::from_config(&self.deps.config, at.date_naive());
        }
        self.diagnosis = j.diagnosis.unwrap_or(crate::drift::DiagnosisKind::Unknown);
        self.vars.set("diagnosis", self.diagnosis.name());
        self.stale_apps = j.stale_apps();
        let stale = match self.stale_apps.join(", ") {
            none if none.is_empty() => "none".to_owned(),
            apps => apps,
        };
        self.vars.set("stale_apps", stale);
        for (step, outputs) in &j.outputs {
            for (name, value) in outputs {
                self.vars.set_output(step, name, value.clone());
            }
        }
        self.deploy_observed = j.deploy_observed;
        self.secrets
            .old_authorization
            .clone_from(&j.old_authorization);
        self.old_description = j
            .outputs
            .values()
            .find_map(|o| o.get("old_description").filter(|d| !d.is_empty()).cloned());
    }

    /// Reads the stores and recovers the tokens; places the cursor. Returns what it found,
    /// one line per fact, for the `SessionResumed` event.
    async fn recover(&mut self, j: &Journaled) -> Result<Vec<String>, EngineError> {
        let mut notes = Vec::new();
        // Checked before anything is journaled: a refused resume leaves no observation that
        // a second attempt could mistake for a vault version this session knew.
        let vault = self.read_vault().await?;
        self.check_vault_history(j, &vault)?;
        self.audit().await?;
        let authorizations = self.deps.vendors.heroku.list_authorizations().await?;
        self.recover_previous(j, &authorizations, &mut notes)
            .await?;
        if j.rollback_started {
            self.resume_rollback = true;
            self.cursor = self.steps.len();
            notes.push("a rollback was under way: it is finished first".to_owned());
            return Ok(notes);
        }
        self.recover_new(j, &vault, &mut notes);
        let orphans = self.orphans(j, &authorizations, &vault);
        self.place_cursor(&orphans, &mut notes)?;
        Ok(notes)
    }

    async fn read_vault(&self) -> Result<VaultSecret, EngineError> {
        let name = self.deps.config.secret.name.to_string();
        Ok(self.deps.vendors.vault.read_secret(&name).await?)
    }

    /// The vault may have moved past what the journal knows only through this session's
    /// own write, cut off before its event was journaled: a vault-writing step in flight
    /// (or a rollback), one version on. Anything else is someone else's write, and the
    /// journal cannot say whose token the vault now holds.
    fn check_vault_history(&self, j: &Journaled, vault: &VaultSecret) -> Result<(), EngineError> {
        let Some(&(_, known)) = j.vault_versions.last() else {
            return Ok(());
        };
        let writing = j.rollback_started
            || j.vault_sent_unproven
            || j.in_flight
                .as_deref()
                .is_some_and(|id| self.writes_vault(id));
        // A write whose answer was lost may have been retried by the client: a few versions.
        if vault.version == known
            || (writing && vault.version > known && vault.version <= known + 3)
        {
            return Ok(());
        }
        Err(EngineError::Refused(format!(
            "the vault moved from version {known} to {} outside this session, so the journal cannot say whose token it holds: check every copy (`keyturn check`) and start a new session",
            vault.version
        )))
    }

    /// The token in use before the session: the vault version the first audit saw. It is
    /// the rollback target and, unless the listing shows the OLD token itself, the token
    /// proven dead after the OLD authorization is revoked.
    async fn recover_previous(
        &mut self,
        j: &Journaled,
        authorizations: &[Authorization],
        notes: &mut Vec<String>,
    ) -> Result<(), EngineError> {
        let Some(version) = j.vault_version_at_start() else {
            return Ok(());
        };
        let name = self.deps.config.secret.name.to_string();
        let vault = &self.deps.vendors.vault;
        let before = vault
            .read_secret_version(&name, version)
            .await?
            .secret_value;
        let valid = self.validate(&before).await;
        notes.push(format!(
            "the token in use before the session: vault version {version} ({})",
            if valid {
                "still valid"
            } else {
                "rejected by Heroku"
            }
        ));
        let listed = j.old_authorization.as_ref().and_then(|id| {
            authorizations
                .iter()
                .find(|a| &a.id == id)
                .and_then(|a| a.access_token.as_ref()?.token.clone())
        });
        if j.old_authorization.is_some() {
            self.secrets.old_token = Some(listed.unwrap_or_else(|| before.clone()));
        }
        self.start_fingerprint = Some(before.fingerprint());
        self.secrets.previous = Some(before);
        Ok(())
    }

    /// True when Heroku accepts `token`; remembered as validated in this session.
    async fn validate(&mut self, token: &Token) -> bool {
        let valid = matches!(
            self.deps.vendors.heroku.validate(token).await,
            Validation::Valid { .. }
        );
        if valid {
            self.secrets.validated.insert(token.fingerprint());
        }
        valid
    }

    /// A minted token is the vault's current value when this session wrote the vault after
    /// minting and the vault no longer holds the value it started with.
    fn recover_new(&mut self, j: &Journaled, vault: &VaultSecret, notes: &mut Vec<String>) {
        let Some(minted) = j.live_minted() else {
            return;
        };
        let moved = self
            .secrets
            .previous
            .as_ref()
            .is_some_and(|before| !before.same_value(&vault.secret_value));
        let wrote = j.vault_written_after(minted.seq)
            || j.started_after(minted.seq).any(|id| self.writes_vault(id));
        if !(moved && wrote) {
            return;
        }
        let valid = self.secrets.is_validated(&vault.secret_value);
        notes.push(format!(
            "the new token of authorization {}: the vault's current version {} ({})",
            minted.id,
            vault.version,
            if valid {
                "valid"
            } else {
                "REJECTED by Heroku: it is written nowhere else; roll back"
            }
        ));
        self.secrets.new = Some(vault.secret_value.clone());
        self.secrets.new_authorization = Some(minted.id.clone());
        self.new_description = Some(minted.description.clone());
    }

    /// Live authorizations this session minted whose token it does not hold: the ones the
    /// journal names, and one a mint in flight created before its event was journaled
    /// (found by its description, created since the session started).
    fn orphans(
        &mut self,
        j: &Journaled,
        authorizations: &[Authorization],
        vault: &VaultSecret,
    ) -> Vec<String> {
        let live = |id: &str| authorizations.iter().any(|a| a.id == id);
        let held = self.secrets.new_authorization.clone();
        let mut orphans: Vec<(String, u64)> = j
            .minted
            .iter()
            .filter(|m| !j.revoked.contains(&m.id) && live(&m.id) && Some(&m.id) != held.as_ref())
            .map(|m| (m.id.clone(), m.seq))
            .collect();
        let known: BTreeSet<&str> = j.minted.iter().map(|m| m.id.as_str()).collect();
        for a in self.unjournaled_mints(j, authorizations) {
            if !known.contains(a.id.as_str()) {
                orphans.push((a.id.clone(), u64::MAX));
            }
        }
        for (id, seq) in &orphans {
            // Minted by this session: revoking it is cleanup, not the point of no return.
            self.fold.ledger.minted.insert(id.clone());
            if self.orphan_provable(j, *seq, vault) {
                self.orphan_proofs.insert(id.clone(), vault.version);
            }
        }
        orphans.into_iter().map(|(id, _)| id).collect()
    }

    /// Authorizations a mint in flight may have created: same description, not the OLD
    /// one, created since the session started.
    fn unjournaled_mints<'a>(
        &self,
        j: &Journaled,
        authorizations: &'a [Authorization],
    ) -> Vec<&'a Authorization> {
        let Some(planned) = j.in_flight.as_deref().and_then(|id| self.planned(id)) else {
            return Vec::new();
        };
        if !planned.is(crate::runbook::ActionKind::CreateAuthorization) {
            return Vec::new();
        }
        let Some(description) = self.params(&planned).get("description").cloned() else {
            return Vec::new();
        };
        let marked = self.marked(&description);
        let since = self.fold.summary.started.map(|at| at - CLOCK_SLACK);
        authorizations
            .iter()
            .filter(|a| a.description.as_deref() == Some(marked.as_str()))
            .filter(|a| Some(&a.id) != j.old_authorization.as_ref())
            .filter(|a| a.created_at.zip(since).is_some_and(|(c, s)| c >= s))
            .collect()
    }

    /// An orphan minted at `seq` provably sits in no store when the vault is still at the
    /// version it had before the mint and no other consumer step (apps, GitHub, manual)
    /// started since.
    fn orphan_provable(&self, j: &Journaled, seq: u64, vault: &VaultSecret) -> bool {
        let before = j.vault_version_before(seq);
        let consumers_since = j.started_after(seq).any(|id| {
            !self.writes_vault(id)
                && self
                    .planned(id)
                    .is_some_and(|p| super::safety::is_consumer(p.kind))
        });
        before == Some(vault.version) && !consumers_since
    }

    /// The first unfinished step; back to the mint when its token is lost, with a revoke
    /// step per orphan in front of it.
    fn place_cursor(
        &mut self,
        orphans: &[String],
        notes: &mut Vec<String>,
    ) -> Result<(), EngineError> {
        let status = &self.fold.journaled.status;
        let mut at = continuation::first_unfinished(&self.steps, status);
        if self.secrets.new.is_none()
            && let Some(m) = continuation::minted_before(&self.steps, status, at)
        {
            // Journaled, so the fold (and a later resume) sees the walk start over there.
            let reopened: Vec<String> = (self.steps[m..].iter())
                .filter(|s| status.contains_key(&s.id))
                .map(|s| s.id.clone())
                .collect();
            let from = self
                .steps
                .get(at)
                .map_or_else(String::new, |s| s.id.clone());
            self.emit(EventKind::WalkedBack {
                from,
                to: self.steps[m].id.clone(),
                reopened,
                stores: Vec::new(),
                why: Some("the minted token died with the process: mint again".to_owned()),
            })?;
            at = m;
            notes.push("the minted token died with the process: mint again".to_owned());
        }
        for (n, id) in orphans.iter().enumerate() {
            notes.push(format!(
                "orphan authorization {id}: its token was never stored; revoke it"
            ));
            self.steps.insert(at + n, orphan_step(n + 1, id));
        }
        self.cursor = at;
        Ok(())
    }

    /// The planned step with this id.
    fn planned(&self, id: &str) -> Option<PlannedStep> {
        self.steps.iter().find(|s| s.id == id).cloned()
    }

    fn writes_vault(&self, id: &str) -> bool {
        self.planned(id).is_some_and(|p| {
            p.kind.and_then(crate::runbook::ActionKind::writes) == Some(Writes::Vault)
        })
    }
}

/// Refuses a journal this engine cannot continue: another runbook, a dry run, a session
/// that ended for good, or a config naming other stores than the session used.
fn check_resumable(
    fold: &crate::session::State,
    runbook: &Runbook,
    config: &Config,
) -> Result<(), EngineError> {
    let refuse = |why: String| Err(EngineError::Refused(why));
    let (s, j) = (&fold.summary, &fold.journaled);
    if s.runbook != runbook.id() {
        return refuse(format!(
            "the journal is a session of runbook `{}`, not `{}`",
            s.runbook,
            runbook.id()
        ));
    }
    if s.dry_run {
        return refuse("a dry run wrote nothing: start it again with `keyturn run`".into());
    }
    if let Some(outcome) = j.finished.filter(|o| !o.resumable()) {
        return refuse(format!(
            "the session already ended ({outcome:?}): nothing to resume"
        ));
    }
    let apps: BTreeSet<String> = config.heroku.apps.names().iter().cloned().collect();
    if s.secret != config.secret.name.to_string() || (!j.apps.is_empty() && j.apps != apps) {
        return refuse(format!(
            "the session ran for {} on apps {:?}; this config names {} on {:?}: resume with the config the session ran with (--config)",
            s.secret, j.apps, config.secret.name, apps
        ));
    }
    Ok(())
}

/// A step revoking an orphan authorization (yes/no: nothing can use its token).
fn orphan_step(n: usize, id: &str) -> PlannedStep {
    let mut params = toml::Table::new();
    params.insert("authorization_id".into(), id.into());
    params.insert("prove_401".into(), false.into());
    let spanned = |text: String| toml::Spanned::new(0..0, text);
    let step = Step {
        id: spanned("revoke_orphan".into()),
        title: spanned(format!("Revoke the orphan authorization {id}")),
        body: Some(spanned(format!(
            "The interrupted session minted authorization `{id}`, but its token lived only in that process's memory and never reached a store. Nothing can use it and Heroku never shows a token twice, so the safe way on is to revoke it and mint a fresh one. keyturn refuses if the vault could hold its token."
        ))),
        action: spanned("revoke_authorization".into()),
        params: Some(toml::Spanned::new(0..0, params)),
        confirm: Some(toml::Spanned::new(0..0, Confirm::YesNo)),
        when: None,
        rollback: None,
        point_of_no_return: false,
        rollback_only: false,
        outputs: Vec::new(),
        for_each: None,
        back_to: None,
    };
    PlannedStep::compile(format!("revoke_orphan.{n}"), &step, None)
}
