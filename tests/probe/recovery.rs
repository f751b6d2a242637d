//! After the inverse recovery on `vault-stale` the vault has a brand-new version while the
//! GitHub secret (which never changed, and was right all along) is older: `keyturn check`
//! must not call it stale on timestamps alone, because the recovery's own verify deploy
//! succeeded with it after that version was written.

use crate::common::engine::{DEFAULT, confirm_all, finished, setup};
use keyturn::cli::check;
use keyturn::runbook::event::Outcome;
use keyturn::sim::Scenario;

#[tokio::test]
async fn check_exits_0_after_an_inverse_recovery_on_vault_stale() {
    let mut s = setup(Scenario::VaultStale, "heroku-key-drift-recovery", DEFAULT).await;
    assert_eq!(
        finished(&confirm_all(&mut s.engine).await),
        Outcome::Completed
    );
    let config = s.sim.config();
    let code = check::run(&config, &s.sim.keyturn_credentials(), true).await;
    assert_eq!(code, 0, "keyturn check after a successful inverse recovery");
}
