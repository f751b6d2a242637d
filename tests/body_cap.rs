#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_macros)]
//! Answers too big to hold: a 1 GiB config-vars answer (with its `Content-Length`) and an
//! endless chunked one fail the call at once, naming the vendor, the call and the limit, and
//! resident memory stays flat — measured as the peak (`VmHWM`) of this process, and of the
//! real `keyturn check` while it runs. One test function per measurement, run one after
//! the other (`--test-threads` cannot be set from here, so the memory tests share a lock).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use keyturn::sim::{FaultRule, Scenario, SimHandle};
use keyturn::vendors::VendorError;

/// Memory measurements must not overlap.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const MIB: u64 = 1024 * 1024;

/// Peak resident memory of process `pid` ("self" for this one), in bytes.
fn peak_rss(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn fault(spec: &str) -> FaultRule {
    FaultRule::parse_spec(spec).unwrap()
}

/// The config-vars answer of app `index` is replaced by `action`, many times over.
fn on_app(sim: &SimHandle, index: usize, action: &str) {
    let app = &sim.state().app_names()[index];
    sim.faults().add(fault(&format!(
        "heroku:GET:^/apps/{app}/config-vars$={action}x100"
    )));
}

fn assert_too_large(err: &VendorError, limit: &str) {
    assert!(matches!(err, VendorError::BodyTooLarge { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("Heroku GET /apps/{app}/config-vars:"),
        "{text}"
    );
    assert!(text.contains(&format!("limit of {limit}")), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_and_endless_answers_fail_fast_and_memory_stays_flat() {
    let _alone = ALONE.lock().await;
    let (sim, vendors) = common::sim::connect(Scenario::InSync).await;
    let app = sim.state().app_names()[0].clone();
    vendors.heroku.config_vars(&app).await.unwrap();
    let before = peak_rss("self").unwrap();

    sim.faults().add(fault("heroku:GET:config-vars$=huge"));
    let started = Instant::now();
    let err = vendors.heroku.config_vars(&app).await.unwrap_err();
    assert_too_large(&err, "1 MiB");
    assert!(
        err.to_string().contains("(Content-Length 1073741824)"),
        "{err}"
    );

    sim.faults().add(fault("heroku:GET:config-vars$=endless"));
    let err = vendors.heroku.config_vars(&app).await.unwrap_err();
    assert_too_large(&err, "1 MiB");
    sim.faults().add(fault("heroku:GET:^/account$=endless"));
    let err = vendors.heroku.account().await.unwrap_err().to_string();
    assert!(
        err.contains("GET /account: the answer is larger than keyturn's limit of 4 MiB"),
        "{err}"
    );
    let elapsed = started.elapsed();

    let grown = peak_rss("self").unwrap().saturating_sub(before);
    eprintln!(
        "in-process: peak grew by {} KiB in {elapsed:?}",
        grown / 1024
    );
    assert!(
        grown < 48 * MIB,
        "peak resident memory grew by {} MiB",
        grown / MIB
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "failed at once, not at the timeout"
    );
}

/// `keyturn check` with one app answering 1 GiB and every other app an endless body: exit
/// 2 (could not tell), each app's error names the limit, and its peak memory stays small.
#[tokio::test(flavor = "multi_thread")]
async fn keyturn_check_survives_a_gigabyte_and_an_endless_answer() {
    let _alone = ALONE.lock().await;
    let sim = common::start(Scenario::InSync).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keyturn.toml"), sim.config_toml()).unwrap();
    on_app(&sim, 0, "huge");
    for index in 1..sim.state().app_names().len() {
        on_app(&sim, index, "endless");
    }
    let (code, peak, out) = run_check(&sim, dir.path()).await;
    eprintln!("keyturn check: peak resident {} MiB", peak / MIB);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("the answer is larger than keyturn's limit of 1 MiB"),
        "{out}"
    );
    assert!(
        peak < 96 * MIB,
        "keyturn check peaked at {} MiB",
        peak / MIB
    );
}

/// Runs `keyturn check` and samples its peak resident memory until it exits.
async fn run_check(sim: &SimHandle, dir: &Path) -> (Option<i32>, u64, String) {
    let mut cmd = common::sim::keyturn_bin(sim, dir);
    cmd.args(["--config", "keyturn.toml", "check"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = child.id().to_string();
    let waiting = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap());
    let mut peak = 0;
    while !waiting.is_finished() {
        peak = peak.max(peak_rss(&pid).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let output = waiting.await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), peak, text)
}
