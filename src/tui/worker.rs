//! The engine runs on its own thread, in its own single-threaded runtime: its futures are
//! not `Send`, and a step that watches a workflow run for minutes must not freeze the
//! screen. The UI sends [`Command`]s; the worker answers with the engine's events (as the
//! journal gets them), the step list, and what the operator must answer next.

use tokio::sync::mpsc;

use crate::runbook::StepStatus;
use crate::runbook::engine::{Command, Engine, Pending};
use crate::session::event::Event;

/// A step as the runbook pane lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLine {
    pub id: String,
    pub title: String,
    /// The step's explanation, rendered with what the session knows so far.
    pub body: Option<String>,
    pub status: Option<StepStatus>,
}

/// What the worker tells the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum FromEngine {
    /// A fact, already in the journal.
    Event(Event),
    /// The engine stopped for the operator; the step list as it stands.
    Pending {
        pending: Pending,
        steps: Vec<StepLine>,
    },
    /// The engine refused or failed a command (wrong typed word, rollback refused…); the
    /// pending state is re-sent right after.
    Refused(String),
    /// The engine stopped with an error it cannot go on from (journal unwritable…).
    Broken(String),
}

/// The UI's end of the worker.
pub struct Worker {
    commands: mpsc::UnboundedSender<Command>,
    thread: std::thread::JoinHandle<()>,
}

impl Worker {
    /// Starts `engine` on its own thread. Build the engine with an observer that sends
    /// [`FromEngine::Event`] on `tx` (see [`observer`]) so events arrive as they happen.
    pub fn start(engine: Engine, tx: mpsc::UnboundedSender<FromEngine>) -> std::io::Result<Worker> {
        let (commands, rx) = mpsc::unbounded_channel();
        // Not joined on drop: it ends when the commands channel closes (this `Worker`
        // dropped), or with the process if a step is under way (the journal is resumable).
        let thread = std::thread::Builder::new()
            .name("keyturn-engine".into())
            .spawn(move || drive(engine, rx, &tx))?;
        Ok(Worker { commands, thread })
    }

    /// Ends the engine and waits for its thread, so its journal and the secret's session
    /// lock are released before the next runbook starts. Call it on an idle engine (the
    /// runbook over): a step under way would finish first.
    pub fn stop(self) {
        let Worker { commands, thread } = self;
        drop(commands);
        if thread.join().is_err() {
            tracing::error!("the engine thread panicked");
        }
    }

    /// Queues a command; it runs once the engine is waiting (a step under way finishes first).
    pub fn send(&self, command: Command) {
        // A closed channel means the worker is gone; its last message said why.
        let _ = self.commands.send(command);
    }
}

/// An engine observer that forwards every event to the UI.
pub fn observer(tx: mpsc::UnboundedSender<FromEngine>) -> crate::runbook::engine::Observer {
    Box::new(move |event: &Event| {
        let _ = tx.send(FromEngine::Event(event.clone()));
    })
}

fn drive(
    mut engine: Engine,
    mut rx: mpsc::UnboundedReceiver<Command>,
    tx: &mpsc::UnboundedSender<FromEngine>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            let _ = tx.send(FromEngine::Broken(format!(
                "cannot start the engine: {err}"
            )));
            return;
        }
    };
    runtime.block_on(async {
        loop {
            match engine.advance().await {
                Ok(pending) => {
                    let steps = step_lines(&engine);
                    if tx.send(FromEngine::Pending { pending, steps }).is_err() {
                        return;
                    }
                }
                Err(err) => {
                    tracing::error!(%err, "the engine stopped");
                    let _ = tx.send(FromEngine::Broken(err.to_string()));
                    return;
                }
            }
            let Some(command) = rx.recv().await else {
                return;
            };
            if let Err(err) = engine.command(command).await {
                tracing::info!(%err, "command refused");
                let _ = tx.send(FromEngine::Refused(err.to_string()));
            }
        }
    });
}

/// The step list with each step's status.
pub fn step_lines(engine: &Engine) -> Vec<StepLine> {
    engine
        .steps()
        .iter()
        .map(|planned| StepLine {
            id: planned.id.clone(),
            title: engine.render_text(planned.step.title.get_ref()),
            body: (planned.step.body.as_ref()).map(|b| engine.render_text(b.get_ref())),
            status: engine.step_status(&planned.id),
        })
        .collect()
}
