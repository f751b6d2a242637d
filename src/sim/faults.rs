//! Fault injection: latency per vendor, and rules that make the next K matching requests
//! fail in a chosen way, so tests and demos can exercise retries, timeouts and rate limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::Rng;
use regex::Regex;

use super::Vendor;

/// What a matching request gets instead of its normal answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// This status with the vendor's error body.
    Status(u16),
    /// 429 with `Retry-After` and the vendor's rate-limit body.
    RateLimited { retry_after_secs: u64 },
    /// Never answer.
    Hang,
    /// Close the connection without an answer.
    Drop,
    /// 200 with a `Content-Type: application/json` body that is not JSON.
    MalformedJson,
}

/// "The next `times` requests to `vendor` (with `method`, if given) whose path matches
/// `path` get `action`."
#[derive(Clone, Debug)]
pub struct FaultRule {
    pub vendor: Vendor,
    /// Upper-case HTTP method; `None` matches any.
    pub method: Option<String>,
    pub path: Regex,
    pub action: FaultAction,
    pub times: usize,
}

impl FaultRule {
    /// A rule from a path pattern; `Err` if the pattern is not a valid regex.
    pub fn new(
        vendor: Vendor,
        method: Option<&str>,
        path: &str,
        action: FaultAction,
        times: usize,
    ) -> Result<FaultRule, regex::Error> {
        Ok(FaultRule {
            vendor,
            method: method.map(str::to_ascii_uppercase),
            path: Regex::new(path)?,
            action,
            times,
        })
    }

    fn matches(&self, vendor: Vendor, method: &str, path: &str) -> bool {
        self.times > 0
            && self.vendor == vendor
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.is_match(path)
    }
}

/// Added delay before answering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Latency {
    #[default]
    None,
    Fixed(Duration),
    /// Uniform between `min` and `max`.
    Jitter {
        min: Duration,
        max: Duration,
    },
}

impl Latency {
    /// One delay drawn from this latency.
    pub fn sample(&self) -> Duration {
        match self {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) => *d,
            Latency::Jitter { min, max } if max > min => rand::thread_rng().gen_range(*min..=*max),
            Latency::Jitter { min, .. } => *min,
        }
    }
}

#[derive(Default)]
struct Inner {
    rules: Vec<FaultRule>,
    default_latency: Latency,
    latency: HashMap<Vendor, Latency>,
}

/// The shared fault table of one simulator (cheap to clone).
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

impl Faults {
    pub(crate) fn new(default_latency: Latency) -> Faults {
        let faults = Faults::default();
        faults.lock().default_latency = default_latency;
        faults
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a rule; rules are tried in the order added.
    pub fn add(&self, rule: FaultRule) {
        self.lock().rules.push(rule);
    }

    /// Sets one vendor's latency (overrides the start-up latency).
    pub fn set_latency(&self, vendor: Vendor, latency: Latency) {
        self.lock().latency.insert(vendor, latency);
    }

    /// Removes every rule and every latency.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.rules.clear();
        inner.latency.clear();
        inner.default_latency = Latency::None;
    }

    /// How many more requests the rules will still hit, in total.
    pub fn pending(&self) -> usize {
        self.lock().rules.iter().map(|r| r.times).sum()
    }

    /// The delay for the next request to `vendor`.
    pub(crate) fn delay(&self, vendor: Vendor) -> Duration {
        let inner = self.lock();
        inner
            .latency
            .get(&vendor)
            .unwrap_or(&inner.default_latency)
            .sample()
    }

    /// Consumes one hit of the first rule matching this request.
    pub(crate) fn take(&self, vendor: Vendor, method: &str, path: &str) -> Option<FaultAction> {
        let mut inner = self.lock();
        let rule = inner
            .rules
            .iter_mut()
            .find(|r| r.matches(vendor, method, path))?;
        rule.times -= 1;
        Some(rule.action.clone())
    }
}
