use super::*;

const NEW: &str = "HRKU-4b1f0c2e-9d7a-4e55-8c1b-0f2d3e4a5b6c";

#[test]
fn every_shape_compiles() {
    let (compiled, all) = patterns::compiled_count();
    assert_eq!(compiled, all);
}

#[test]
fn a_registered_value_and_any_8_byte_run_of_it_are_masked() {
    let secret = "s3cr3t-0123456789-abcdefghij-klm";
    register(secret);
    let text = format!("echo {secret} and half: {} end", &secret[5..17]);
    let shown = redact(&text);
    assert!(!shown.contains(&secret[5..13]), "{shown}");
    assert_eq!(shown, "echo [redacted] and half: [redacted] end");
}

#[test]
fn short_values_are_not_registered() {
    register("production");
    assert_eq!(redact("NODE_ENV=production"), "NODE_ENV=production");
}

#[test]
fn token_shapes_are_masked_unregistered() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.0123456789abcdef0123456789abcdef.sim";
    let cases = [
        format!("bad token {NEW}!"),
        "ghp_0123456789abcdefABCDEF0123456789abcd".to_owned(),
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz".to_owned(),
        format!("Authorization: Bearer {jwt}"),
        "authorization: token a1b2c3d4e5f6a7b8".to_owned(),
        "Basic OkhSS1UtY2FuYXJ5LXRva2Vu".to_owned(),
        "secret 0123456789abcdef0123456789abcdef0123456789abcdef".to_owned(),
        "key mZ0dGVzdC1rZXktZm9yLWJhc2U2NC1ydW5zLXRoYXQtYXJl+w==".to_owned(),
    ];
    for text in cases {
        let shown = redact(&text);
        assert!(shown.contains(MASK), "{text} → {shown}");
        assert!(!shown.contains("0123456789abcdef0123"), "{shown}");
    }
}

#[test]
fn what_keyturn_writes_for_honest_vendors_is_left_alone() {
    let honest = [
        "The token provided to HEROKU_API_KEY is invalid. Please double-check",
        "http://127.0.0.1:46789/raxx-app/TradeMasterAPI/actions/runs/9835980893",
        "authorization 0b3c8f5e-1f2a-4c3d-9e8f-7a6b5c4d3e2f revoked (raxx-platform-token-2026-08-25)",
        "Session 20261124T233537Z-e39933 · fp 3d884c92 · v14",
        "/tmp/.tmpAbC123/sessions/20261124T233537Z-e39933.jsonl",
        "deploy-console.yml run 9835980893 concluded failure; key_id 3380204578043523366",
        "Bearer tokens are refused: use your user session",
    ];
    for text in honest {
        assert_eq!(redact(text), text);
    }
}

#[test]
fn masks_widen_to_whole_characters_and_merge() {
    register("ééééééééééééééééé-not-ascii");
    let shown = redact("x ééééééééééééééééé-not-ascii y");
    assert_eq!(shown, "x [redacted] y");
}

#[test]
fn json_strings_are_redacted_in_place() {
    let mut value = serde_json::json!({"a": [format!("x {NEW}")], "n": 3, "b": {"c": "ok"}});
    redact_json(&mut value);
    assert_eq!(
        value,
        serde_json::json!({"a": ["x [redacted]"], "n": 3, "b": {"c": "ok"}})
    );
}

#[test]
fn vendor_text_shows_only_the_redacted_capped_form() {
    let raw = format!("{NEW} {}", "y".repeat(5000));
    let text = VendorText::new(&raw);
    let shown = format!("{text} {text:?}");
    assert!(!shown.contains("4b1f0c2e"), "{shown}");
    assert!(text.shown().chars().count() <= text::SHOWN_CHARS + 1);
    assert!(text.shown().ends_with('…'));
    assert!(text.is(&raw[..2048]));
}

#[test]
fn vendor_text_masks_a_token_registered_after_it_arrived() {
    let later = "later-registered-0123456789-token";
    let text = VendorText::new(&format!("echo {later}"));
    register(later);
    assert_eq!(text.to_string(), "echo [redacted]");
}
