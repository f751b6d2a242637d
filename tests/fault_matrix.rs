#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_macros)]
//! The fault matrix (issue "Safety under faults"): every request the rotation and each
//! drift-recovery path make, broken in every fault class (401, 403, 404, 429 + Retry-After,
//! 500, a transient 503, hang, dropped connection, malformed body, and for writes the
//! answer-only variants where the vendor acts but the answer is lost), one cell at a time.
//! Each cell asserts DESIGN.md's invariants by reading the simulated stores, and resumes a
//! session that can go on. The calls come from a clean walk, so a runbook change is covered
//! without editing this file. `cargo test --test fault_matrix -- --nocapture` lists counts.

mod common;

use common::matrix::{Walk, run_walk};
use keyturn::sim::Scenario;

const ROTATION: Walk = Walk {
    scenario: Scenario::InSync,
    runbook: "heroku-token-rotation",
};

macro_rules! rotation_cells {
    ($($name:ident: [$($step:literal),*];)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let cells = run_walk(ROTATION, &[$($step),*]).await;
            eprintln!("{}: {cells} cells", stringify!($name));
        }
    )*};
}

rotation_cells! {
    rotation_precheck_and_mint: ["precheck", "create_authorization"];
    rotation_validate: ["validate_new"];
    rotation_vault_write: ["store_vault"];
    rotation_apps: ["propagate_heroku"];
    rotation_github: ["propagate_github"];
    rotation_verify: ["verify_workflow"];
    rotation_revoke_and_audit: ["revoke_old", "audit_entry", "(end)"];
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_when_nothing_is_valid() {
    let walk = Walk {
        scenario: Scenario::AllInvalid,
        runbook: "heroku-token-rotation",
    };
    let cells = run_walk(walk, &[]).await;
    eprintln!("nothing-valid rotation: {cells} cells");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_path_b() {
    let walk = Walk {
        scenario: Scenario::GithubStale,
        runbook: "heroku-key-drift-recovery",
    };
    let cells = run_walk(walk, &[]).await;
    eprintln!("drift Path B: {cells} cells");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_stale_apps() {
    let walk = Walk {
        scenario: Scenario::AppStale,
        runbook: "heroku-key-drift-recovery",
    };
    let cells = run_walk(walk, &[]).await;
    eprintln!("drift stale apps: {cells} cells");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_inverse() {
    let walk = Walk {
        scenario: Scenario::VaultStale,
        runbook: "heroku-key-drift-recovery",
    };
    let cells = run_walk(walk, &[]).await;
    eprintln!("drift inverse: {cells} cells");
}
