//! Turning the vendors' dialects into plain draft-04 JSON Schema, in memory (the fixture
//! files stay as published). Two dialect keywords carry meaning a draft-04 validator would
//! silently ignore, and ignoring them would make the check toothless:
//!
//! - Heroku's `strictProperties: true` (the interagent hyper-schema's keyword, from the
//!   draft-5 proposal of the same name): every property listed is present and no other is.
//!   It becomes `required` (all listed keys) plus `additionalProperties: false`.
//! - `OpenAPI` 3.0's `nullable: true`: `null` is allowed too. It becomes a type union with
//!   `"null"` (and `null` joins an `enum`, which GitHub's nullable enums mean).
//!
//! `$schema` keys are dropped: Heroku's name the hyper-schema meta-schema, which a
//! validator cannot fetch offline, and the validator is told draft-04 explicitly.

use serde_json::{Map, Value, json};

/// Applies `rewrite` to every object in `value`, innermost first.
fn walk(value: &mut Value, rewrite: &impl Fn(&mut Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                walk(child, rewrite);
            }
            rewrite(map);
        }
        Value::Array(items) => {
            for item in items {
                walk(item, rewrite);
            }
        }
        _ => {}
    }
}

/// Heroku's hyper-schema, as plain draft-04.
pub fn heroku(mut schema: Value) -> Value {
    walk(&mut schema, &|map| {
        map.remove("$schema");
        if map.get("strictProperties") == Some(&Value::Bool(true)) {
            strict(map);
        }
    });
    schema
}

/// `strictProperties: true` spelled in draft-04 keywords.
fn strict(map: &mut Map<String, Value>) {
    let listed: Vec<Value> = map
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().map(Value::String).collect())
        .unwrap_or_default();
    // draft-04 wants a non-empty `required`.
    if !listed.is_empty() && !map.contains_key("required") {
        map.insert("required".to_owned(), Value::Array(listed));
    }
    map.entry("additionalProperties").or_insert(json!(false));
}

/// An `OpenAPI` 3.0 schema (or a map of them), as plain draft-04.
pub fn openapi(mut schema: Value) -> Value {
    walk(&mut schema, &|map| {
        if map.remove("nullable") == Some(Value::Bool(true)) {
            nullable(map);
        }
    });
    schema
}

/// `nullable: true` spelled in draft-04 keywords.
fn nullable(map: &mut Map<String, Value>) {
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match map.get_mut("type") {
        Some(Value::String(t)) => {
            let single = Value::String(std::mem::take(t));
            map.insert("type".to_owned(), json!([single, "null"]));
        }
        Some(Value::Array(types)) if !types.contains(&json!("null")) => types.push(json!("null")),
        Some(_) => {}
        // No type to widen (a bare `$ref` or a combinator): null or the schema as it was.
        None => {
            let inner = Value::Object(std::mem::take(map));
            map.insert("anyOf".to_owned(), json!([{ "type": "null" }, inner]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_properties_require_all_and_forbid_others() {
        let s = heroku(json!({"$schema": "x", "strictProperties": true, "properties": {"a": {}}}));
        let want = json!({"strictProperties": true, "properties": {"a": {}},
            "required": ["a"], "additionalProperties": false});
        assert_eq!(s, want);
    }

    #[test]
    fn nullable_widens_type_and_enum() {
        let s = openapi(json!({"type": "string", "enum": ["a"], "nullable": true}));
        assert_eq!(s, json!({"type": ["string", "null"], "enum": ["a", null]}));
        let s = openapi(json!({"allOf": [{"$ref": "#/x"}], "nullable": true}));
        assert_eq!(
            s,
            json!({"anyOf": [{"type": "null"}, {"allOf": [{"$ref": "#/x"}]}]})
        );
    }
}
