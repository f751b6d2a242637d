//! A simulator that behaves like an echoing vendor or gateway: every error answer of every
//! vendor repeats the request's `Authorization` header and body in its message, and chosen
//! calls fail with such an answer. Plus the canary: no token value, and no 8-character
//! window of one, in a text.

use std::fmt::Write as _;

use keyturn::redact::WINDOW;
use keyturn::sim::{FaultAction, FaultRule, Faults, SimHandle, Vendor};

/// The prefix of every reflected message (`src/sim/echo.rs`): its presence proves the
/// echo reached keyturn.
pub const ECHOED: &str = "upstream rejected the request";

/// Enough hits of the echo rules for any test.
const FOREVER: usize = 1_000_000;

/// Every error answer of every vendor echoes the request from now on.
pub fn echo_every_error(sim: &SimHandle) {
    echo_on(sim.faults());
}

/// [`echo_every_error`] on a fault table.
pub fn echo_on(faults: &Faults) {
    for vendor in Vendor::ALL {
        let rule = FaultRule::new(vendor, None, ".*", FaultAction::Echo, FOREVER).unwrap();
        faults.add(rule);
    }
}

/// `rules` first, then the echo of every error (rules are tried in the order added).
pub fn only(sim: &SimHandle, rules: Vec<FaultRule>) {
    sim.faults().clear();
    for rule in rules {
        sim.faults().add(rule);
    }
    echo_every_error(sim);
}

/// `times` answers `status` to `METHOD path` of `vendor`, echoing the request.
pub fn reflect(vendor: Vendor, method: &str, path: &str, status: u16, times: usize) -> FaultRule {
    FaultRule::new(
        vendor,
        Some(method),
        path,
        FaultAction::Reflect(status),
        times,
    )
    .unwrap()
}

/// Every secret the simulated world holds or ever held: each `HEROKU_API_KEY` value (vault
/// versions, authorizations, the stores' copies), the operator's Heroku token, the GitHub
/// token, the Universal Auth client secret and every vault access token issued.
pub fn every_secret(sim: &SimHandle) -> Vec<String> {
    let creds = sim.credentials();
    let mut secrets = super::sim::every_token(sim);
    secrets.extend([
        creds.heroku_operator_token.clone(),
        creds.github_token.clone(),
        creds.infisical_client_secret.clone(),
    ]);
    secrets.extend(sim.state().vault_access_tokens());
    secrets.sort();
    secrets.dedup();
    secrets
}

/// Panics (naming `what`, never the value) when `text` holds any `WINDOW` consecutive
/// bytes of any of `secrets`.
pub fn assert_no_window(text: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        for (at, window) in secret.as_bytes().windows(WINDOW).enumerate() {
            let window = std::str::from_utf8(window).unwrap_or_default();
            assert!(
                !text.contains(window),
                "{what}: bytes {at}..{} of a secret ({} bytes long) appear",
                at + WINDOW,
                secret.len()
            );
        }
    }
}

/// Every file under `dir`, as text, each preceded by its path.
pub fn files_under(dir: &std::path::Path) -> String {
    let mut text = String::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return text;
    };
    for entry in entries.map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&files_under(&path));
        } else {
            let _ = writeln!(text, "\n== {}", path.display());
            text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    text
}
