//! Heroku's `Range` pagination: `Range: <field> [[]start]..; max=N[, order=asc|desc]`.
//! 200 when everything fits, 206 + `Next-Range` otherwise; malformed parts are ignored
//! (quirk: clients send things like `id ..; ;`).

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::http::json;

/// A sort key of a list item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    Num(u64),
    Text(String),
}

impl Key {
    fn display(&self) -> String {
        match self {
            Key::Num(n) => n.to_string(),
            Key::Text(t) => t.clone(),
        }
    }

    /// `text` read as the same kind of key as `self`.
    fn parse_like(&self, text: &str) -> Key {
        match self {
            Key::Num(_) => text.parse().map_or(Key::Num(0), Key::Num),
            Key::Text(_) => Key::Text(text.to_owned()),
        }
    }
}

const DEFAULT_MAX: usize = 200;
const MAX_MAX: usize = 1000;

#[derive(Debug)]
struct Spec {
    field: Option<String>,
    start: Option<String>,
    exclusive: bool,
    max: usize,
    desc: bool,
}

fn parse(text: &str) -> Spec {
    let (head, options) = text.split_once(';').unwrap_or((text, ""));
    let mut words = head.split_whitespace();
    let field = words
        .next()
        .filter(|f| !f.contains(".."))
        .map(str::to_owned);
    let bounds = words.next().unwrap_or("");
    let start = bounds.split("..").next().unwrap_or("");
    let exclusive = start.starts_with(']');
    let start = start.trim_start_matches(']');
    let mut spec = Spec {
        field,
        start: (!start.is_empty()).then(|| start.to_owned()),
        exclusive,
        max: DEFAULT_MAX,
        desc: false,
    };
    for option in options.split([',', ';']).map(str::trim) {
        match option.split_once('=') {
            Some(("max", n)) => {
                spec.max = n
                    .trim()
                    .parse()
                    .map_or(DEFAULT_MAX, |m: usize| m.clamp(1, MAX_MAX));
            }
            Some(("order", o)) => spec.desc = o.trim() == "desc",
            _ => {}
        }
    }
    spec
}

/// Answers a list with Range pagination. `key(item, field)` is `None` for fields the
/// items cannot be sorted by (the default field is then used).
pub(crate) fn respond<T>(
    headers: &HeaderMap,
    default_field: &str,
    items: &[T],
    key: impl Fn(&T, &str) -> Option<Key>,
    render: impl Fn(&T) -> Value,
) -> Response {
    let spec = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| parse(""), parse);
    let field = spec
        .field
        .clone()
        .filter(|f| items.first().is_none_or(|i| key(i, f).is_some()))
        .unwrap_or_else(|| default_field.to_owned());
    let mut keyed: Vec<(Key, &T)> = items
        .iter()
        .map(|i| (key(i, &field).unwrap_or(Key::Num(0)), i))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if spec.desc {
        keyed.reverse();
    }
    if let (Some(start), Some(sample)) = (&spec.start, keyed.first().map(|k| k.0.clone())) {
        let start = sample.parse_like(start);
        keyed.retain(|(k, _)| after(k, &start, spec.desc, spec.exclusive));
    }
    let more = keyed.len() > spec.max;
    keyed.truncate(spec.max);
    let body = Value::Array(keyed.iter().map(|(_, i)| render(i)).collect());
    let next = keyed.last().filter(|_| more).map(|(k, _)| {
        let order = if spec.desc { ", order=desc" } else { "" };
        format!("{field} ]{}..; max={}{order}", k.display(), spec.max)
    });
    page(&body, next)
}

fn after(k: &Key, start: &Key, desc: bool, exclusive: bool) -> bool {
    match (desc, exclusive) {
        (false, true) => k > start,
        (false, false) => k >= start,
        (true, true) => k < start,
        (true, false) => k <= start,
    }
}

fn page(body: &Value, next: Option<String>) -> Response {
    let Some(next) = next else {
        return json(StatusCode::OK, body);
    };
    let mut response = json(StatusCode::PARTIAL_CONTENT, body);
    if let Ok(value) = HeaderValue::from_str(&next) {
        response.headers_mut().insert("next-range", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_cli_quirk_and_malformed_ranges() {
        let s = parse("version ..; order=desc,max=1");
        assert_eq!(s.field.as_deref(), Some("version"));
        assert!(s.desc);
        assert_eq!(s.max, 1);
        let s = parse("id ..; ;");
        assert_eq!(s.max, DEFAULT_MAX);
        let s = parse("id ]abc..; max=2");
        assert_eq!(s.start.as_deref(), Some("abc"));
        assert!(s.exclusive);
    }
}
