#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The postmortem of a real session (walked by the engine against the simulator) says what
//! happened: the path taken, the post-fix audit's real verdict, the time to the second, the
//! SOP's "Detected" without advice, and a rolled-back session as rolled back.

mod common;

use common::engine::{DEFAULT, confirm_all, events, finished, setup};
use keyturn::report::postmortem;
use keyturn::runbook::engine::{Command, Pending};
use keyturn::session::event::Outcome;
use keyturn::sim::FaultRule;
use keyturn::sim::Scenario;

const DRIFT: &str = "heroku-key-drift-recovery";

fn written_postmortem(s: &common::engine::Setup) -> String {
    let dir = s.dir.path().join("postmortems");
    let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap();
    std::fs::read_to_string(file.path()).unwrap()
}

fn line<'a>(pm: &'a str, field: &str) -> &'a str {
    pm.lines()
        .find(|l| l.starts_with(&format!("- **{field}:**")))
        .unwrap_or_else(|| panic!("no {field} line in\n{pm}"))
}

#[tokio::test]
async fn path_b_postmortem_tells_the_path_the_verdict_and_the_time() {
    let mut s = setup(Scenario::GithubStale, DRIFT, DEFAULT).await;
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let pm = written_postmortem(&s);
    assert!(
        line(&pm, "Recovery").contains("Path B (keyturn wrote"),
        "{pm}"
    );
    let verify = pm
        .lines()
        .find(|l| l.starts_with("| ") && l.contains("Verify: re-run the drift audit"))
        .unwrap();
    assert!(
        verify.contains("diagnosis: in-sync"),
        "the post-fix audit's own verdict: {verify}"
    );
    let detected = line(&pm, "Detected");
    assert!(
        !detected.contains("Path A") && !detected.contains("Path B"),
        "Detected is how it was found, not advice: {detected}"
    );
    let ttr = line(&pm, "Time to recover");
    assert!(
        ttr.contains(" s (") && !ttr.contains("1 min ("),
        "a session of seconds is told in seconds: {ttr}"
    );
}

#[tokio::test]
async fn vault_stale_verify_says_github_is_unproven_not_stale() {
    let mut s = setup(Scenario::VaultStale, DRIFT, DEFAULT).await;
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let pm = written_postmortem(&s);
    let verify = pm
        .lines()
        .find(|l| l.starts_with("| ") && l.contains("Verify: re-run the drift audit"))
        .unwrap();
    assert!(!verify.contains("github-stale"), "{verify}");
    assert!(
        verify.contains("in-sync") || verify.contains("unproven"),
        "{verify}"
    );
    assert!(line(&pm, "Recovery").contains("inverse"), "{pm}");
}

#[tokio::test]
async fn a_rolled_back_session_reads_rolled_back_and_offers_no_continue() {
    let mut s = setup(Scenario::AppStale, DRIFT, DEFAULT).await;
    // The verifying deploy fails; the operator rolls back what the session wrote.
    s.sim
        .faults()
        .add(FaultRule::parse_spec("github:POST:/dispatches$=500x99").unwrap());
    let pending = confirm_all(&mut s.engine).await;
    assert!(matches!(pending, Pending::Failed { .. }), "{pending:?}");
    s.engine.command(Command::RollBack).await.unwrap();
    let pending = s.engine.advance().await.unwrap();
    assert_eq!(finished(&pending), Outcome::RolledBack);
    let pm = postmortem::render(&events(&s)).markdown;
    assert!(pm.contains("**Rolled back**"), "{pm}");
    assert!(!pm.contains("--continue"), "{pm}");
    assert!(!pm.contains("after recovery"), "{pm}");
    assert!(!pm.contains("ended rolledback"), "{pm}");
    assert!(line(&pm, "Recovery").contains("rolled back"), "{pm}");
}

/// The postmortem step writes the file as the session stands; once the end is journaled the
/// engine rewrites it from the whole fold. When that rewrite fails (here the file's place
/// was taken by a folder), no face may let the step's "interrupted" version stand unsaid:
/// the journal carries the failure after the end, and every face tells it.
#[tokio::test]
async fn a_postmortem_that_cannot_be_brought_to_the_end_is_said() {
    use keyturn::session::event::{EventKind, Outcome};
    let sim = common::start(keyturn::sim::Scenario::GithubStale).await;
    let dir = tempfile::tempdir().unwrap();
    let observer: keyturn::runbook::engine::Observer = Box::new(|event| {
        if let EventKind::StepSucceeded { step, outputs, .. } = &event.kind
            && step == "postmortem"
        {
            let path = std::path::PathBuf::from(&outputs["path"]);
            std::fs::remove_file(&path).unwrap();
            std::fs::create_dir_all(path.join("in-the-way")).unwrap();
        }
    });
    let runbook = common::engine::embedded("heroku-key-drift-recovery");
    let mut engine = common::crash::doomed(&sim, &dir, runbook, observer);
    let end = common::engine::confirm_all(&mut engine).await;
    assert_eq!(common::engine::finished(&end), Outcome::Completed);
    assert!(engine.report_failed());
    let events = keyturn::session::journal::read(engine.journal_path()).unwrap();
    let last = &events.last().unwrap().kind;
    let EventKind::ReportFailed { message } = last else {
        panic!("the failure is journaled after the end: {last:?}")
    };
    assert!(message.contains("keyturn postmortem"), "{message}");
    let said = keyturn::session::describe::describe(last).unwrap().text;
    assert!(
        said.contains("could not be brought up to the session's end"),
        "{said}"
    );
}
