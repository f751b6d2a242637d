//! One redaction for every sink: what keyturn shows or writes never carries a token, even
//! when a vendor (or a gateway in front of it) echoes the request it was sent.
//!
//! Two masks, applied together by [`redact`]:
//!
//! - **Known values.** Every [`Token`](crate::secret::Token) this process creates or reads
//!   registers its value here (operator, GitHub and vault credentials, the managed token,
//!   the new one, every config var). What is kept is a keyed hash of each 8-byte window of
//!   the value, never the value: any run of 8 or more of its bytes is found again in a
//!   text and masked, so a half-echoed token is masked too. Values shorter than
//!   [`MIN_SECRET_LEN`] are not tokens (`NODE_ENV=production`) and are not registered.
//! - **Token shapes** ([`patterns`]): `HRKU-…`, GitHub's `ghp_`/`gho_`/`ghs_`/`ghu_`/
//!   `ghr_`/`github_pat_…`, JWTs, the credential after `Bearer`/`Basic`/`Authorization:`,
//!   long hex runs and long base64 runs: tokens this process never held.
//!
//! Vendor text enters keyturn as a [`VendorText`], whose `Display` and `Debug` only ever
//! show the redacted, length-capped form. The sinks that persist free text (the journal,
//! the audit log, the postmortem, the log file, stdout and stderr) redact again.

mod patterns;
mod text;
mod writer;

use std::borrow::Cow;
use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::sync::{OnceLock, PoisonError, RwLock};

pub use text::VendorText;
pub use writer::Redacting;

/// What a masked run becomes.
pub const MASK: &str = "[redacted]";

/// The shortest registered value; shorter config values are settings, not tokens.
pub const MIN_SECRET_LEN: usize = 16;

/// Any run of this many bytes of a registered value is masked.
pub const WINDOW: usize = 8;

/// Keyed hashes of the registered values and of their windows.
struct Registry {
    /// Random per process (`SipHash` keys), so the hashes reveal nothing outside it.
    key: RandomState,
    values: HashSet<u64>,
    windows: HashSet<u64>,
}

fn registry() -> &'static RwLock<Registry> {
    static REGISTRY: OnceLock<RwLock<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        RwLock::new(Registry {
            key: RandomState::new(),
            values: HashSet::new(),
            windows: HashSet::new(),
        })
    })
}

/// Remembers `value` as a secret: from now on [`redact`] masks it and every run of
/// [`WINDOW`] or more of its bytes. Cheap for a value already known (pollers re-read).
pub fn register(value: &str) {
    let bytes = value.as_bytes();
    if bytes.len() < MIN_SECRET_LEN {
        return;
    }
    let lock = registry();
    let whole = {
        let known = lock.read().unwrap_or_else(PoisonError::into_inner);
        let whole = known.key.hash_one(bytes);
        if known.values.contains(&whole) {
            return;
        }
        whole
    };
    let mut known = lock.write().unwrap_or_else(PoisonError::into_inner);
    known.values.insert(whole);
    let windows: Vec<u64> = bytes
        .windows(WINDOW)
        .map(|w| known.key.hash_one(w))
        .collect();
    known.windows.extend(windows);
}

/// `text` with every registered value (and every 8-byte run of one) and every token-shaped
/// string replaced by [`MASK`]. Borrowed when nothing had to go.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut masked = vec![false; text.len()];
    let mut any = mark_known(text.as_bytes(), &mut masked);
    any |= patterns::mark(text, &mut masked);
    if !any {
        return Cow::Borrowed(text);
    }
    Cow::Owned(replace_masked(text, &masked))
}

/// Redacts every string inside a JSON value (keys stay: they are our field names).
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            if let Cow::Owned(clean) = redact(text) {
                *text = clean;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// `value` with every string field redacted, through its JSON form. Falls back to `value`
/// when the redacted form no longer parses as `T`: only a field of ours (a fingerprint)
/// could be hit that way, and then by a 1-in-2^32 coincidence, never by vendor text.
pub fn redact_serde<T>(value: T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let Ok(mut json) = serde_json::to_value(&value) else {
        return value;
    };
    let before = json.clone();
    redact_json(&mut json);
    if json == before {
        return value;
    }
    serde_json::from_value(json).unwrap_or(value)
}

/// Marks every window of `bytes` whose keyed hash is a registered window.
fn mark_known(bytes: &[u8], masked: &mut [bool]) -> bool {
    if bytes.len() < WINDOW {
        return false;
    }
    let known = registry().read().unwrap_or_else(PoisonError::into_inner);
    if known.windows.is_empty() {
        return false;
    }
    let mut any = false;
    for (start, window) in bytes.windows(WINDOW).enumerate() {
        if known.windows.contains(&known.key.hash_one(window)) {
            masked[start..start + WINDOW].fill(true);
            any = true;
        }
    }
    any
}

/// Each maximal masked run (widened to whole characters) becomes one [`MASK`].
fn replace_masked(text: &str, masked: &[bool]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_mask = false;
    for (at, c) in text.char_indices() {
        let hit = masked[at..at + c.len_utf8()].iter().any(|m| *m);
        if hit && !in_mask {
            out.push_str(MASK);
        } else if !hit {
            out.push(c);
        }
        in_mask = hit;
    }
    out
}

#[cfg(test)]
mod tests;
