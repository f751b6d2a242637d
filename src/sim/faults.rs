//! Fault injection: latency per vendor, and rules that make the next K matching requests
//! fail in a chosen way, so tests and demos can exercise retries, timeouts and rate limits.
//!
//! A rule can also let the request through to the vendor and break only the answer
//! (`after-…`): the store changes but the client never hears it, the hardest case for a
//! writer. And it can wait for the n-th matching request (`@N`), so a test can hit one
//! exact call of a long procedure (the third `GET /account`, the second PUT).

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
    /// This status with the vendor's error body whose message repeats the request's
    /// `Authorization` header and body, as some gateways and APIs do.
    Reflect(u16),
    /// The request goes to its handler; if the answer is an error, its message gains the
    /// request's `Authorization` header and body (an echoing vendor, every error of it).
    Echo,
    /// 200 with a JSON-looking body of this many bytes, `Content-Length` announced.
    Huge { bytes: u64 },
    /// 200 with a chunked JSON-looking body that never ends.
    Endless,
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
    /// Matching requests to let pass untouched before the rule fires (`@N` is `skip = N-1`).
    pub skip: usize,
    /// The request reaches the vendor first (the store changes); only the answer is broken.
    pub after: bool,
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
            skip: 0,
            after: false,
        })
    }

    /// Parses the CLI form `VENDOR[:METHOD]:PATH_REGEX=[after-]ACTION[xTIMES][@N]`, where
    /// ACTION is a status code, `429:SECS`, `hang`, `drop`, `malformed`, `reflect:STATUS`,
    /// `echo`, `huge[:MIB]` (default 1024) or `endless`; TIMES defaults to 1; `@N` fires
    /// from the N-th matching request on; `after-` lets the request reach the vendor and
    /// breaks only its answer.
    /// Examples: `heroku:GET:^/account$=503x2`, `github:PUT:secrets=after-500`,
    /// `heroku:GET:^/account$=drop@3`.
    pub fn parse_spec(spec: &str) -> Result<FaultRule, String> {
        let bad = |why: &str| {
            format!(
                "fault `{spec}`: {why} (form: VENDOR[:METHOD]:PATH_REGEX=[after-]ACTION[xTIMES][@N])"
            )
        };
        let (target, action) = spec
            .rsplit_once('=')
            .ok_or_else(|| bad("missing `=ACTION`"))?;
        let (action, skip) = match action.rsplit_once('@') {
            Some((a, n)) => match n.parse::<usize>() {
                Ok(n) if n >= 1 => (a, n - 1),
                _ => return Err(bad("`@N` counts matching requests from 1")),
            },
            None => (action, 0),
        };
        let (action, after) = match action.strip_prefix("after-") {
            Some(rest) => (rest, true),
            None => (action, false),
        };
        let (action, times) = match action.rsplit_once('x') {
            Some((a, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => {
                match n.parse() {
                    Ok(0) => {
                        return Err(bad("TIMES 0 would never fire; leave `xTIMES` out for once"));
                    }
                    Ok(times) => (a, times),
                    Err(_) => return Err(bad("bad TIMES")),
                }
            }
            _ => (action, 1),
        };
        let (vendor, rest) = target
            .split_once(':')
            .ok_or_else(|| bad("missing `:PATH_REGEX`"))?;
        let vendor = match vendor.to_ascii_lowercase().as_str() {
            "heroku" => Vendor::Heroku,
            "github" => Vendor::Github,
            "infisical" => Vendor::Infisical,
            _ => return Err(bad("VENDOR is heroku, github or infisical")),
        };
        let is_method = |m: &str| {
            ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m.to_ascii_uppercase().as_str())
        };
        let (method, path) = match rest.split_once(':') {
            Some((m, p)) if is_method(m) => (Some(m), p),
            _ => (None, rest),
        };
        let rule = FaultRule::new(
            vendor,
            method,
            path,
            parse_action(action).ok_or_else(|| bad("unknown ACTION"))?,
            times,
        )
        .map_err(|e| bad(&e.to_string()))?;
        Ok(FaultRule {
            skip,
            after,
            ..rule
        })
    }

    /// This rule, firing only from the `n`-th matching request on (1-based).
    #[must_use]
    pub fn at(self, n: usize) -> FaultRule {
        FaultRule {
            skip: n.saturating_sub(1),
            ..self
        }
    }

    /// This rule, letting the request reach the vendor and breaking only the answer.
    #[must_use]
    pub fn after_handling(self) -> FaultRule {
        FaultRule {
            after: true,
            ..self
        }
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

/// `503`, `429:SECS`, `hang`, `drop`, `malformed`, `reflect:STATUS`, `echo`, `huge[:MIB]`,
/// `endless`.
fn parse_action(text: &str) -> Option<FaultAction> {
    match text.to_ascii_lowercase().as_str() {
        "hang" => Some(FaultAction::Hang),
        "drop" => Some(FaultAction::Drop),
        "malformed" => Some(FaultAction::MalformedJson),
        "echo" => Some(FaultAction::Echo),
        "endless" => Some(FaultAction::Endless),
        "huge" => Some(FaultAction::Huge { bytes: 1 << 30 }),
        other => match other.split_once(':') {
            Some(("429", secs)) => secs
                .parse()
                .ok()
                .map(|retry_after_secs| FaultAction::RateLimited { retry_after_secs }),
            Some(("reflect", status)) => status_code(status).map(FaultAction::Reflect),
            Some(("huge", mib)) => mib
                .parse::<u64>()
                .ok()
                .filter(|m| (1..=1 << 20).contains(m))
                .map(|m| FaultAction::Huge { bytes: m << 20 }),
            _ => status_code(other).map(FaultAction::Status),
        },
    }
}

fn status_code(text: &str) -> Option<u16> {
    text.parse().ok().filter(|c| (100..600).contains(c))
}

/// A rule that fired on one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fired {
    pub action: FaultAction,
    /// Handle the request first, then break the answer.
    pub after: bool,
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

    /// Consumes one hit of the first rule matching this request; a rule still counting
    /// down its `skip` lets the request pass (and counts it).
    pub(crate) fn take(&self, vendor: Vendor, method: &str, path: &str) -> Option<Fired> {
        let mut inner = self.lock();
        let rule = inner
            .rules
            .iter_mut()
            .find(|r| r.matches(vendor, method, path))?;
        if rule.skip > 0 {
            rule.skip -= 1;
            return None;
        }
        rule.times -= 1;
        Some(Fired {
            action: rule.action.clone(),
            after: rule.after,
        })
    }
}
