//! After the inverse recovery on `vault-stale` the vault has a brand-new version while the
//! GitHub secret (which never changed, and was right all along) is older: `keyturn check`
//! must not call it stale on timestamps alone, because the recovery's own verify deploy
//! succeeded with it after that version was written; with `--probe` it is proven equal.

use keyturn::cli::check::{self, CheckOptions};
use keyturn::session::event::Outcome;
use keyturn::sim::Scenario;

use crate::common::engine::{DEFAULT, Setup, confirm_all, finished, setup};

async fn recovered() -> Setup {
    let mut s = setup(Scenario::VaultStale, "heroku-key-drift-recovery", DEFAULT).await;
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    s
}

#[tokio::test]
async fn check_exits_0_after_an_inverse_recovery_on_vault_stale() {
    let s = recovered().await;
    let config = s.sim.config();
    let code = check::run(&config, &s.sim.keyturn_credentials(), true).await;
    assert_eq!(code, 0, "keyturn check after a successful inverse recovery");
}

#[tokio::test]
async fn check_probe_exits_0_after_an_inverse_recovery_on_vault_stale() {
    let s = recovered().await;
    let options = CheckOptions {
        probe_interval: std::time::Duration::from_millis(50),
        ..CheckOptions::probing(true)
    };
    let code = check::run_with(&s.sim.config(), &s.sim.keyturn_credentials(), &options).await;
    assert_eq!(
        code, 0,
        "keyturn check --probe after a successful inverse recovery"
    );
}
