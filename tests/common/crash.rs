//! Killing an engine mid-session and taking the session up again. The kill is a panic
//! from the observer right after a chosen event is journaled: the journal is fsynced per
//! event, so the file is exactly what a killed process leaves, and the simulator keeps
//! whatever the vendors received. Cutting the journal back afterwards simulates a write
//! that reached a vendor while its event never reached the disk.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Once;

use futures::FutureExt as _;
use keyturn::runbook::Runbook;
use keyturn::runbook::engine::{Engine, EngineError, Observer};
use keyturn::session::event::{Event, EventKind};
use keyturn::session::journal::{self, Journal};
use keyturn::sim::SimHandle;
use tempfile::TempDir;

use super::engine::{confirm_all, deps};

/// The panic payload of a simulated kill.
pub const KILL: &str = "keyturn-test: the process was killed here";

/// Where the process dies relative to one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// Right after the step's last event (succeeded or skipped) was journaled.
    After,
    /// After the step did all its vendor calls, before any of its events but
    /// `StepStarted` reached the journal.
    Inside,
}

/// Keeps the expected kill panics quiet; any other panic prints as usual.
fn quiet_kills() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&KILL) {
                default(info);
            }
        }));
    });
}

/// An observer that kills the engine once `when` says so.
pub fn kill_switch(mut when: impl FnMut(&Event) -> bool + Send + Sync + 'static) -> Observer {
    quiet_kills();
    Box::new(move |event| {
        if when(event) {
            std::panic::panic_any(KILL);
        }
    })
}

/// The last event of step `id` (it succeeded, or was skipped).
pub fn step_done(id: &str) -> impl FnMut(&Event) -> bool + Send + Sync + 'static {
    let id = id.to_owned();
    move |event| {
        matches!(&event.kind,
            EventKind::StepSucceeded { step, .. } | EventKind::StepSkipped { step, .. } if *step == id)
    }
}

/// Runs `future` (an engine driven by the test) and asserts it was killed.
pub async fn until_killed<T: std::fmt::Debug>(future: impl Future<Output = T>) {
    let result = AssertUnwindSafe(future).catch_unwind().await;
    match result {
        Err(payload) => assert_eq!(payload.downcast_ref::<&str>(), Some(&KILL)),
        Ok(end) => panic!("the kill point was never reached: {end:?}"),
    }
}

/// Confirms every step until the kill; the engine is gone afterwards.
pub async fn confirm_until_killed(mut engine: Engine) {
    until_killed(confirm_all(&mut engine)).await;
}

/// Drops every journal line after the last one `keep` matches: those events were lost.
/// Returns false (and leaves the file) when no line matches.
pub fn cut_journal_after(path: &Path, keep: impl Fn(&Event) -> bool) -> bool {
    let events = journal::read(path).unwrap();
    let Some(last) = events.iter().rposition(keep) else {
        return false;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let mut kept = text.lines().take(last + 1).collect::<Vec<_>>().join("\n");
    kept.push('\n');
    std::fs::write(path, kept).unwrap();
    true
}

/// The journal file of the only session in `dir`.
pub fn session_journal(dir: &TempDir) -> std::path::PathBuf {
    journal::list_sessions(&dir.path().join("sessions"))
        .pop()
        .unwrap()
}

/// A new engine taking the session up again, as `keyturn resume --continue` would.
pub async fn resume(
    sim: &SimHandle,
    dir: &TempDir,
    runbook: Runbook,
) -> Result<Engine, EngineError> {
    let path = session_journal(dir);
    let events = journal::read(&path).unwrap();
    let journal = Journal::reopen(&path).unwrap();
    Engine::resume(runbook, deps(sim, dir, journal, None), &events).await
}

/// A fresh engine for `runbook` whose process dies where `observer` says.
pub fn doomed(sim: &SimHandle, dir: &TempDir, runbook: Runbook, observer: Observer) -> Engine {
    let journal =
        Journal::create(&dir.path().join("sessions"), &journal::new_session_id()).unwrap();
    Engine::new(runbook, deps(sim, dir, journal, Some(observer)))
}
