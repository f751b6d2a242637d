//! Key names (`[tui.keymap]`) and the simulator's fault specs: no panic on any text, what
//! is printed reads back as itself, and an accepted keymap never binds a key twice.

use keyturn::config::keymap::{Action, Key, KeyChord, Keymap, snake};
use keyturn::sim::{FaultAction, FaultRule, Vendor};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;

use crate::config::{EXAMPLE, refused_at};
use crate::edits::basic_string;

const NAMED: [Key; 14] = [
    Key::Enter,
    Key::Esc,
    Key::Tab,
    Key::BackTab,
    Key::Backspace,
    Key::Up,
    Key::Down,
    Key::Left,
    Key::Right,
    Key::PageUp,
    Key::PageDown,
    Key::Home,
    Key::End,
    Key::Char(' '),
];

/// Every key a keymap can hold: any character (but the arrow glyphs, which name the arrow
/// keys), the named keys and F1–F12.
fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        any::<char>()
            .prop_filter("an arrow glyph", |c| !"↑↓←→".contains(*c))
            .prop_map(Key::Char),
        select(NAMED.to_vec()),
        (1..=12u8).prop_map(Key::F),
    ]
}

fn chord() -> impl Strategy<Value = KeyChord> {
    (key(), any::<bool>(), any::<bool>()).prop_map(|(key, ctrl, alt)| KeyChord { key, ctrl, alt })
}

/// Key names as an operator might write them, right or wrong.
pub fn key_name() -> impl Strategy<Value = String> {
    let prefix = select(vec![
        "",
        "ctrl-",
        "alt-",
        "ctrl-alt-",
        "alt-ctrl-",
        "shift-",
    ]);
    let base = prop_oneof![
        select(vec![
            "q", "j", "?", "enter", "esc", "f5", "f13", "pgdn", "up", "↑", "space", "-", ""
        ])
        .prop_map(str::to_owned),
        any::<char>().prop_map(String::from),
        ".{0,6}",
    ];
    (prefix, base).prop_map(|(prefix, base)| format!("{prefix}{base}"))
}

/// True for a clash message naming two different actions, or a key listed twice for one.
fn names_two_actions(message: &str) -> bool {
    let names: Vec<&str> = message.split('`').skip(3).step_by(2).take(2).collect();
    let two = message.contains("is bound to both") && names.len() == 2 && names[0] != names[1];
    two || message.contains("is listed twice for")
}

fn vendor() -> impl Strategy<Value = Vendor> {
    select(Vendor::ALL.to_vec())
}

fn fault_action() -> impl Strategy<Value = (String, FaultAction)> {
    prop_oneof![
        (100..600u16).prop_map(|code| (code.to_string(), FaultAction::Status(code))),
        any::<u64>().prop_map(|s| (
            format!("429:{s}"),
            FaultAction::RateLimited {
                retry_after_secs: s
            }
        )),
        Just(("hang".to_owned(), FaultAction::Hang)),
        Just(("drop".to_owned(), FaultAction::Drop)),
        Just(("MALFORMED".to_owned(), FaultAction::MalformedJson)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn printed_keys_read_back_as_themselves(chord in chord()) {
        let printed = chord.to_string();
        prop_assert_eq!(KeyChord::parse(&printed), Ok(chord), "{}", printed);
    }

    #[test]
    fn any_key_name_parses_or_is_named_in_the_error(text in prop_oneof![key_name(), any::<String>()]) {
        match KeyChord::parse(&text) {
            Ok(chord) => prop_assert_eq!(KeyChord::parse(&chord.to_string()), Ok(chord)),
            Err(e) => prop_assert!(e.contains(&format!("unknown key `{text}`")), "{e}"),
        }
    }

    /// Overrides are accepted only when every key still does one thing, and an accepted
    /// map answers each of its keys with the action it was bound to.
    #[test]
    fn an_accepted_keymap_binds_each_key_once(
        overrides in prop::collection::btree_map(select(Action::ALL.to_vec()), vec(key_name(), 0..3), 0..6),
    ) {
        match Keymap::default().with_overrides(overrides.clone()) {
            Ok(map) => {
                for action in Action::ALL {
                    for chord in map.keys(action) {
                        prop_assert_eq!(map.action(*chord), Some(action), "{}", chord);
                    }
                }
                for (action, keys) in &overrides {
                    prop_assert_eq!(map.keys(*action).len(), keys.len());
                }
            }
            Err(e) => prop_assert!(names_two_actions(&e) || e.contains("unknown key"), "{e}"),
        }
    }

    /// `[tui.keymap]` in a config: an entry with a bad key name is refused on its own line;
    /// a key bound twice (two entries, or an entry and a default) at the table.
    #[test]
    fn keymap_entries_are_refused_where_they_are_wrong(
        entries in btree_map(select(Action::ALL.to_vec()), vec(key_name(), 0..3), 1..4),
    ) {
        let lines: Vec<String> = entries
            .iter()
            .map(|(action, keys)| {
                let keys: Vec<String> = keys.iter().map(|k| basic_string(k)).collect();
                format!("{} = [{}]", snake(*action), keys.join(", "))
            })
            .collect();
        let text = EXAMPLE.replace("quit = [\"q\", \"ctrl-c\"]", &lines.join("\n"));
        let header = text.lines().position(|l| l == "[tui.keymap]").unwrap() + 1;
        let parses = |keys: &Vec<String>| keys.iter().all(|k| KeyChord::parse(k).is_ok());
        let bad_lines: Vec<usize> = entries
            .values()
            .enumerate()
            .filter(|(_, keys)| !parses(keys))
            .map(|(i, _)| header + 1 + i)
            .collect();
        let clash = Keymap::default().with_overrides(entries.clone()).is_err();
        let refused = refused_at(&text)?.map(|(location, _)| location.line);
        let shown = lines.join("\n");
        match refused {
            Some(line) if !bad_lines.is_empty() => prop_assert!(bad_lines.contains(&line), "{line}: {shown}"),
            other => prop_assert_eq!(other, clash.then_some(header), "{}", shown),
        }
    }

    #[test]
    fn any_fault_spec_parses_or_is_quoted_in_the_error(spec in prop_oneof![any::<String>(), "[a-zA-Z:^$/=x0-9]{0,24}"]) {
        if let Err(e) = FaultRule::parse_spec(&spec) {
            prop_assert!(e.starts_with(&format!("fault `{spec}`: ")), "{e}");
        }
    }

    #[test]
    fn written_fault_specs_read_back(
        vendor in vendor(),
        method in prop::option::of(select(vec!["GET", "post", "Put", "PATCH", "delete"])),
        path in "\\^?/[a-z/]{0,10}(\\.\\*)?\\$?",
        (action_text, action) in fault_action(),
        times in prop::option::of(1..1000usize),
    ) {
        let method_part = method.map(|m| format!("{m}:")).unwrap_or_default();
        let times_part = times.map(|n| format!("x{n}")).unwrap_or_default();
        let spec = format!("{vendor}:{method_part}{path}={action_text}{times_part}");
        let rule = FaultRule::parse_spec(&spec).map_err(TestCaseError::fail)?;
        prop_assert_eq!(rule.vendor, vendor);
        prop_assert_eq!(rule.method, method.map(str::to_ascii_uppercase));
        prop_assert_eq!(rule.path.as_str(), path);
        prop_assert_eq!(rule.action, action);
        prop_assert_eq!(rule.times, times.unwrap_or(1));
    }
}
