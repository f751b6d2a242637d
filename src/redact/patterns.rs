//! Token shapes: strings masked even when this process never held their value (a vendor
//! echoing someone else's token, a proxy echoing a header). Each rule is narrow enough
//! that no text keyturn writes for honest vendors matches it: ids are UUIDs (hex runs of
//! at most 12), fingerprints 8 hex digits, URLs and paths short segments between `/`.

use std::sync::OnceLock;

use regex::Regex;

/// One shape: the pattern, the capture group that is the secret (0 = all of it), and a
/// test the match must pass.
struct Shape {
    pattern: &'static str,
    group: usize,
    accept: fn(&str) -> bool,
}

const SHAPES: &[Shape] = &[
    // Heroku's new-format tokens.
    shape(r"HRKU-[A-Za-z0-9_-]{8,}", 0, any),
    // GitHub: classic, OAuth, user-to-server, server-to-server, refresh; fine-grained.
    shape(r"\bgh[pousr]_[A-Za-z0-9]{16,}", 0, any),
    shape(r"\bgithub_pat_[A-Za-z0-9_]{20,}", 0, any),
    // JWTs (Infisical access tokens): header `eyJ…`, payload, signature (may be empty).
    shape(
        r"\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*",
        0,
        any,
    ),
    // Infisical service tokens `st.<id>.<key>.<secret>`.
    shape(
        r"\bst\.[A-Za-z0-9-]{8,}\.[A-Za-z0-9]{8,}\.[A-Za-z0-9]{8,}",
        0,
        any,
    ),
    // Whatever follows an auth scheme, or an `Authorization:` header name.
    shape(
        r#"\b(?:Bearer|bearer|BEARER|Basic|basic|BASIC)\s+([^\s"',;]{8,})"#,
        1,
        has_digit,
    ),
    shape(
        r#"(?i)\bauthorization["']?\s*[:=]\s*["']?(?:[a-z]+\s+)?([^\s"',;]{8,})"#,
        1,
        has_digit,
    ),
    // Long hex runs: API keys, client secrets, HMACs.
    shape(r"\b[0-9a-fA-F]{32,}\b", 0, any),
    // Long base64 runs that look random, not like a path.
    shape(r"[A-Za-z0-9+/]{32,}={0,2}", 0, random_base64),
];

const fn shape(pattern: &'static str, group: usize, accept: fn(&str) -> bool) -> Shape {
    Shape {
        pattern,
        group,
        accept,
    }
}

fn any(_: &str) -> bool {
    true
}

fn has_digit(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
}

/// Mixed case and digits, and either base64 padding/`+` or a long stretch without `/`
/// (a URL path such as `app/TradeMasterAPI/actions/runs/98…` has short segments).
fn random_base64(text: &str) -> bool {
    let has = |f: fn(&u8) -> bool| text.as_bytes().iter().any(f);
    let mixed =
        has(u8::is_ascii_digit) && has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase);
    let longest = text.split('/').map(str::len).max().unwrap_or(0);
    mixed && (text.contains('+') || text.ends_with('=') || longest >= 24)
}

fn compiled() -> &'static [(Regex, &'static Shape)] {
    static COMPILED: OnceLock<Vec<(Regex, &'static Shape)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        SHAPES
            .iter()
            .filter_map(|s| Regex::new(s.pattern).ok().map(|re| (re, s)))
            .collect()
    })
}

/// Marks every token-shaped run of `text` in `masked`; true when one was found.
pub(super) fn mark(text: &str, masked: &mut [bool]) -> bool {
    let mut any = false;
    for (re, shape) in compiled() {
        for caps in re.captures_iter(text) {
            let Some(hit) = caps.get(shape.group) else {
                continue;
            };
            if (shape.accept)(hit.as_str()) {
                masked[hit.range()].fill(true);
                any = true;
            }
        }
    }
    any
}

/// How many shapes compiled (all of them, or a pattern above is broken: a test checks).
#[cfg(test)]
pub(super) fn compiled_count() -> (usize, usize) {
    (compiled().len(), SHAPES.len())
}
