#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The GitHub probe: the workflow keyturn ships, the simulator's runs of it, keyturn's
//! dispatch / find / follow / log / compare against them, every error, the nonce handling,
//! and what `keyturn check` says with and without a probe.

mod common;
mod probe {
    pub mod canary;
    pub mod check;
    pub mod errors;
    pub mod nonce;
    pub mod recovery;
    pub mod script;
    pub mod support;
    pub mod verdict;
}
