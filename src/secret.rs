//! The in-memory token type and its per-process fingerprints.
//!
//! A [`Token`] is the only place a vendor credential lives. It implements neither
//! `Serialize` nor `Display`, and its `Debug` prints a keyed fingerprint, so no journal,
//! log line, error message or screen can contain the value by construction. The value
//! leaves the type only through the narrow, named methods below; `grep -n "fn bearer_header\|fn seal\|fn for_clipboard\|fn reveal\|fn expose_for_store_write"`
//! lists every one of them.
//!
//! Every value is also registered for redaction ([`crate::redact`]) the moment it is
//! wrapped, so a vendor that echoes it back finds it masked in every sink.
//!
//! Fingerprints are an HMAC-SHA-256 of the value under a random key drawn once per process:
//! they compare copies within one run and mean nothing outside it. A session keeps its key
//! beside its journal (0600, see [`crate::session::journal`]) so a resumed session, in a new
//! process, shows the same fingerprints as its history.

use std::fmt;
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use sha2::Sha256;
use zeroize::Zeroizing;

/// A vendor API token held in memory only; wiped on drop.
#[derive(Clone)]
pub struct Token {
    value: SecretString,
}

static_assertions::assert_not_impl_any!(Token: serde::Serialize, fmt::Display, Copy);

/// A short, keyed, per-process identifier of a token value: 8 hex characters.
///
/// Safe to show, log and journal: without this process's random key it reveals nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Fingerprint([u8; 4]);

/// The random HMAC key of this process, drawn on first use.
fn process_key() -> &'static [u8; 32] {
    process_key_with(None)
}

/// The process key: drawn at first use, or `adopt` when it comes first.
fn process_key_with(adopt: Option<[u8; 32]>) -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        adopt.unwrap_or_else(|| {
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            key
        })
    })
}

/// This process's fingerprint key, for the session's key file (32 random bytes: they say
/// nothing about any token).
pub fn fingerprint_key() -> [u8; 32] {
    *process_key()
}

/// Makes `key` this process's fingerprint key, if no fingerprint was taken yet; true when
/// the process now fingerprints with `key` (a resumed session's history then matches).
pub fn adopt_fingerprint_key(key: [u8; 32]) -> bool {
    *process_key_with(Some(key)) == key
}

impl Token {
    /// Wraps a token value. Surrounding whitespace (a pasted newline) is trimmed. The value
    /// is registered with [`crate::redact`], so no text keyturn shows or writes from now on
    /// can carry it, whatever a vendor echoes.
    pub fn new(value: impl Into<String>) -> Self {
        let raw = Zeroizing::new(value.into());
        let value = raw.trim();
        crate::redact::register(value);
        Token {
            value: SecretString::from(value.to_owned()),
        }
    }

    /// The keyed fingerprint of the value.
    pub fn fingerprint(&self) -> Fingerprint {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(process_key()) else {
            unreachable!("HMAC accepts keys of any length")
        };
        mac.update(self.value.expose_secret().as_bytes());
        let digest = mac.finalize().into_bytes();
        Fingerprint([digest[0], digest[1], digest[2], digest[3]])
    }

    /// True when the value is empty (an unset variable, an empty config var).
    pub fn is_empty(&self) -> bool {
        self.value.expose_secret().is_empty()
    }

    /// Length of the value in bytes: safe to show, useful for size limits.
    pub fn len(&self) -> usize {
        self.value.expose_secret().len()
    }

    /// Use 1 of 5: an `Authorization: Bearer …` header value, marked sensitive so
    /// reqwest and hyper never print it.
    pub fn bearer_header(&self) -> Option<reqwest::header::HeaderValue> {
        let text = Zeroizing::new(format!("Bearer {}", self.value.expose_secret()));
        let mut header = reqwest::header::HeaderValue::from_str(&text).ok()?;
        header.set_sensitive(true);
        Some(header)
    }

    /// Use 2 of 5: seal the value for a GitHub Actions secret (libsodium `crypto_box_seal`
    /// against the repository's X25519 public key). The result is ciphertext, safe to send.
    pub fn seal(&self, recipient: &crypto_box::PublicKey) -> Result<Vec<u8>, SealError> {
        let mut rng = crypto_box::aead::OsRng;
        recipient
            .seal(&mut rng, self.value.expose_secret().as_bytes())
            .map_err(|_| SealError)
    }

    /// Use 3 of 5: the text put on the clipboard for a manual paste (Path A).
    pub fn for_clipboard(&self) -> Zeroizing<String> {
        Zeroizing::new(self.value.expose_secret().to_owned())
    }

    /// Use 4 of 5: the explicit reveal the operator asked for with a key press.
    pub fn reveal(&self) -> Zeroizing<String> {
        Zeroizing::new(self.value.expose_secret().to_owned())
    }

    /// Use 5 of 5: the value placed in a vendor request body that stores it (a Heroku
    /// config var PATCH, an Infisical secret version). Only the vendor clients call this.
    pub fn expose_for_store_write(&self) -> &str {
        self.value.expose_secret()
    }

    /// True when `tag` is what the probe workflow prints for this value under `nonce`: the
    /// first bytes of HMAC-SHA-256(key = the nonce's ASCII text, message = the value).
    /// Only a yes/no leaves (checked in constant time by `hmac`), so the probe can compare
    /// the GitHub copy with the vault's without anything of the value being shown.
    pub fn matches_probe(&self, nonce: &str, tag: &[u8]) -> bool {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(nonce.as_bytes()) else {
            unreachable!("HMAC accepts keys of any length")
        };
        mac.update(self.value.expose_secret().as_bytes());
        mac.verify_truncated_left(tag).is_ok()
    }

    /// True when `candidate` holds the same value (constant-time comparison of HMACs).
    pub fn same_value(&self, candidate: &Token) -> bool {
        self.fingerprint_full() == candidate.fingerprint_full()
    }

    fn fingerprint_full(&self) -> [u8; 32] {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(process_key()) else {
            unreachable!("HMAC accepts keys of any length")
        };
        mac.update(self.value.expose_secret().as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(fp={})", self.fingerprint())
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.same_value(other)
    }
}

impl Eq for Token {}

/// Tokens arrive inside vendor responses (config vars, vault secrets); reading them
/// straight into a `Token` keeps the value out of plain `String`s.
impl<'de> Deserialize<'de> for Token {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Zeroizing::new(String::deserialize(deserializer)?);
        Ok(Token::new(raw.as_str()))
    }
}

/// Sealing failed (the recipient key was unusable); carries nothing of the value.
#[derive(Debug, thiserror::Error)]
#[error("could not seal the value for GitHub (the repository public key is unusable)")]
pub struct SealError;

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fp:{self}")
    }
}

impl From<Fingerprint> for String {
    fn from(fp: Fingerprint) -> String {
        fp.to_string()
    }
}

impl TryFrom<String> for Fingerprint {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let bad = || format!("`{text}` is not an 8-hex-digit fingerprint");
        if text.len() != 8 {
            return Err(bad());
        }
        let mut bytes = [0u8; 4];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2).ok_or_else(bad)?, 16)
                .map_err(|_| bad())?;
        }
        Ok(Fingerprint(bytes))
    }
}

/// Makes this process non-dumpable on Linux: no core files, and other users' processes
/// cannot ptrace it or read its memory. Called once at start-up, before any token exists.
pub fn harden_process() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
            .map_err(|e| format!("prctl(PR_SET_DUMPABLE, 0) failed: {e}"))?;
        let zero = Rlimit {
            current: Some(0),
            maximum: Some(0),
        };
        setrlimit(Resource::Core, zero).map_err(|e| format!("setrlimit(RLIMIT_CORE, 0): {e}"))?;
    }
    Ok(())
}

/// True when the process is currently marked non-dumpable (Linux), for tests and `config check`.
pub fn is_hardened() -> bool {
    #[cfg(target_os = "linux")]
    {
        matches!(
            rustix::process::dumpable_behavior(),
            Ok(rustix::process::DumpableBehavior::NotDumpable)
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "HRKU-CANARY-7f3e9a1c-do-not-leak";

    #[test]
    fn debug_prints_only_a_fingerprint() {
        let token = Token::new(CANARY);
        let shown = format!("{token:?}");
        assert!(!shown.contains(CANARY));
        assert!(!shown.contains("CANARY"));
        assert_eq!(shown, format!("Token(fp={})", token.fingerprint()));
        assert_eq!(token.fingerprint().to_string().len(), 8);
    }

    #[test]
    fn struct_holding_a_token_debugs_without_the_value() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            name: &'static str,
            token: Token,
            maybe: Option<Token>,
            many: Vec<Token>,
        }
        let holder = Holder {
            name: "vault",
            token: Token::new(CANARY),
            maybe: Some(Token::new(CANARY)),
            many: vec![Token::new(CANARY)],
        };
        let shown = format!("{holder:?} {holder:#?}");
        assert!(!shown.contains(CANARY), "{shown}");
        assert!(shown.contains("Token(fp="));
    }

    #[test]
    fn equal_values_have_equal_fingerprints() {
        let a = Token::new(CANARY);
        let b = Token::new(format!("{CANARY}\n"));
        let c = Token::new("HRKU-something-else");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn fingerprint_round_trips_through_text() {
        let fp = Token::new(CANARY).fingerprint();
        let back = Fingerprint::try_from(fp.to_string()).unwrap();
        assert_eq!(fp, back);
        assert!(Fingerprint::try_from("xyz".to_owned()).is_err());
    }

    #[test]
    fn probe_tags_match_openssl() {
        // printf '%s' HRKU-secret | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
        let nonce = "0123456789abcdef0123456789abcdef";
        let tag = [0x91, 0xcf, 0x68, 0x21, 0x23, 0x3c, 0xd1, 0x6a];
        assert!(Token::new("HRKU-secret").matches_probe(nonce, &tag));
        assert!(!Token::new("HRKU-other").matches_probe(nonce, &tag));
        assert!(!Token::new("HRKU-secret").matches_probe("another-nonce", &tag));
        assert!(!Token::new("HRKU-secret").matches_probe(nonce, &[]));
    }

    #[test]
    fn bearer_header_is_sensitive() {
        let header = Token::new(CANARY).bearer_header().unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains(CANARY));
    }

    #[test]
    fn deserialized_tokens_hold_the_value() {
        let token: Token = serde_json::from_str(&format!("\"{CANARY}\"")).unwrap();
        assert_eq!(token, Token::new(CANARY));
    }

    #[test]
    fn sealed_value_opens_with_the_secret_key() {
        let secret = crypto_box::SecretKey::generate(&mut crypto_box::aead::OsRng);
        let sealed = Token::new(CANARY).seal(&secret.public_key()).unwrap();
        assert_eq!(sealed.len(), CANARY.len() + 48);
        assert_eq!(secret.unseal(&sealed).unwrap(), CANARY.as_bytes());
    }
}

#[cfg(test)]
mod process_tests {
    use super::Token;

    const KNOWN: &str = "HRKU-known-value-for-cross-process-fingerprints";

    /// Run in a child process by `fingerprint_differs_between_processes`; prints the
    /// child's fingerprint of a known value (to the test harness's stdout, which the parent
    /// reads: not keyturn output).
    #[test]
    #[allow(clippy::disallowed_macros)]
    fn print_known_fingerprint() {
        if std::env::var_os("KEYTURN_FP_CHILD").is_some() {
            println!("FP={}", Token::new(KNOWN).fingerprint());
        }
    }

    fn child_fingerprint() -> String {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "secret::process_tests::print_known_fingerprint",
                "--nocapture",
            ])
            .env("KEYTURN_FP_CHILD", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text
            .lines()
            .find_map(|l| l.split("FP=").nth(1))
            .unwrap_or_default();
        line.trim().chars().take(8).collect()
    }

    #[test]
    fn fingerprint_differs_between_processes() {
        let first = child_fingerprint();
        let second = child_fingerprint();
        assert_eq!(first.len(), 8, "child printed no fingerprint");
        assert_ne!(first, second, "fingerprints must be keyed per process");
        assert_ne!(first, Token::new(KNOWN).fingerprint().to_string());
    }
}
