//! The TUI's vocabulary of actions and the keys bound to them, as the config names them.
//!
//! It lives in the config (not in `tui`) so a bad binding is reported like every other
//! config error, with file, line and column, and so nothing here knows about a terminal:
//! a key is a [`KeyChord`] (a code plus modifiers), which the TUI builds from crossterm's
//! events.
//!
//! ```toml
//! [tui.keymap]
//! skip = ["s", "ctrl-s"]   # replaces the default keys of `skip`
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

mod chord;

pub use chord::{Key, KeyChord};

/// Everything the operator can ask the TUI for. The serde names are what `[tui.keymap]` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave keyturn (asks first while a runbook is under way; the journal stays resumable).
    Quit,
    /// Show or hide the list of keys.
    Help,
    /// Re-read every store now instead of waiting for the next poll.
    Refresh,
    /// Prove what GitHub's write-only copy holds: one run of the probe workflow.
    Probe,
    /// Run the pending step (opens the confirmation), or answer "yes" in a dialog.
    Confirm,
    /// Close a dialog or answer "no".
    Cancel,
    /// Skip the pending or failed step, with a reason that goes into the journal.
    Skip,
    /// Run the failed step again.
    Retry,
    /// Go back from the failed step to the earlier step it offers (paste again after a
    /// deploy failed on a pasted value).
    Back,
    /// Undo what this session changed so far (refused after the point of no return).
    RollBack,
    /// Stop the runbook here, leaving the stores as they are.
    Abort,
    /// Write an operator note (root cause, follow-up) for the postmortem.
    Note,
    /// Show the copied token for 10 seconds (Path A only).
    Reveal,
    /// Scroll the step body up one line.
    ScrollUp,
    /// Scroll the step body down one line.
    ScrollDown,
    /// Scroll the step body up one page.
    PageUp,
    /// Scroll the step body down one page.
    PageDown,
}

impl Action {
    /// Every action, in the order the help overlay lists them.
    pub const ALL: [Action; 17] = [
        Action::Confirm,
        Action::Cancel,
        Action::Skip,
        Action::Retry,
        Action::Back,
        Action::RollBack,
        Action::Abort,
        Action::Note,
        Action::Reveal,
        Action::Refresh,
        Action::Probe,
        Action::ScrollUp,
        Action::ScrollDown,
        Action::PageUp,
        Action::PageDown,
        Action::Help,
        Action::Quit,
    ];

    /// What the help overlay says the action does.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit (asks first during a runbook; resumable)",
            Action::Help => "show / hide this help",
            Action::Refresh => "re-read every store now",
            Action::Probe => "prove GitHub's copy with the probe workflow (one run)",
            Action::Confirm => "run the pending step / yes",
            Action::Cancel => "close the dialog / no",
            Action::Skip => "skip the step (asks for a reason)",
            Action::Retry => "retry the failed step",
            Action::Back => "go back to the earlier step a failure offers",
            Action::RollBack => "roll back this session's changes",
            Action::Abort => "abort the runbook here",
            Action::Note => "add a note: root cause, follow-up",
            Action::Reveal => "reveal the copied token for 10 s",
            Action::ScrollUp => "scroll the step up",
            Action::ScrollDown => "scroll the step down",
            Action::PageUp => "scroll the step up a page",
            Action::PageDown => "scroll the step down a page",
        }
    }

    /// The keys bound when the config says nothing (vim keys and arrows both work).
    fn default_keys(self) -> &'static [&'static str] {
        match self {
            Action::Quit => &["q", "ctrl-c"],
            Action::Help => &["?", "f1"],
            Action::Refresh => &["r", "f5"],
            Action::Probe => &["p"],
            Action::Confirm => &["enter", "y"],
            Action::Cancel => &["esc", "n"],
            Action::Skip => &["s"],
            Action::Retry => &["t"],
            Action::Back => &["g"],
            Action::RollBack => &["b"],
            Action::Abort => &["a"],
            Action::Note => &["i"],
            Action::Reveal => &["v"],
            Action::ScrollUp => &["k", "up"],
            Action::ScrollDown => &["j", "down"],
            Action::PageUp => &["pgup", "ctrl-u"],
            Action::PageDown => &["pgdn", "ctrl-d", "space"],
        }
    }
}

/// Which keys run which action: the defaults, with the config's entries replacing whole
/// actions. A key bound to two actions is an error, reported at the `[tui.keymap]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<KeyChord>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = Action::ALL
            .iter()
            .map(|a| {
                let keys = a.default_keys().iter();
                (*a, keys.filter_map(|k| KeyChord::parse(k).ok()).collect())
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The action bound to `chord`, if any.
    pub fn action(&self, chord: KeyChord) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(&chord))
            .map(|(action, _)| *action)
    }

    /// The keys of `action`, for the footer and the help overlay.
    pub fn keys(&self, action: Action) -> &[KeyChord] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The first key of `action` as text (`"?"`), or `"unbound"`.
    pub fn first_key(&self, action: Action) -> String {
        self.keys(action)
            .first()
            .map_or_else(|| "unbound".to_owned(), ToString::to_string)
    }

    /// Replaces the keys of the actions in `overrides`, then checks no key does two things.
    pub fn with_overrides(
        self,
        overrides: BTreeMap<Action, Vec<String>>,
    ) -> Result<Keymap, String> {
        let mut chords = BTreeMap::new();
        for (action, keys) in overrides {
            let parsed = keys.iter().map(|k| KeyChord::parse(k));
            chords.insert(action, parsed.collect::<Result<Vec<_>, _>>()?);
        }
        self.with_chords(chords)
    }

    /// Replaces the keys of the actions in `chords`, then checks no key does two things.
    fn with_chords(mut self, chords: BTreeMap<Action, Vec<KeyChord>>) -> Result<Keymap, String> {
        self.bindings.extend(chords);
        self.check_unique()?;
        Ok(self)
    }

    fn check_unique(&self) -> Result<(), String> {
        let mut seen: BTreeMap<KeyChord, Action> = BTreeMap::new();
        for (action, keys) in &self.bindings {
            for key in keys {
                let Some(other) = seen.insert(*key, *action) else {
                    continue;
                };
                let (first, second) = (snake(other), snake(*action));
                return Err(if first == second {
                    format!("key `{key}` is listed twice for `{first}`: drop one")
                } else {
                    format!(
                        "key `{key}` is bound to both `{first}` and `{second}`: rebind one of them"
                    )
                });
            }
        }
        Ok(())
    }
}

/// The config name of an action (`roll_back`).
pub fn snake(action: Action) -> String {
    let debug = format!("{action:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A clash involves two entries (or an entry and a default), so it is reported at the table.
impl<'de> Deserialize<'de> for Keymap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let overrides = BTreeMap::<Action, Vec<KeyChord>>::deserialize(deserializer)?;
        Keymap::default()
            .with_chords(overrides)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bind_vim_keys_and_arrows_without_clashes() {
        let map = Keymap::default();
        assert!(map.check_unique().is_ok());
        let down = |k| map.action(KeyChord::plain(k));
        assert_eq!(down(Key::Char('j')), Some(Action::ScrollDown));
        assert_eq!(down(Key::Down), Some(Action::ScrollDown));
        assert_eq!(down(Key::Char('?')), Some(Action::Help));
        let ctrl_c = KeyChord::parse("ctrl-c").unwrap();
        assert_eq!(map.action(ctrl_c), Some(Action::Quit));
        assert!(Action::ALL.iter().all(|a| !map.keys(*a).is_empty()));
    }

    #[test]
    fn overrides_replace_an_action_and_clashes_are_named() {
        let mut o = BTreeMap::new();
        o.insert(Action::Skip, vec!["x".to_owned()]);
        let map = Keymap::default().with_overrides(o).unwrap();
        assert_eq!(
            map.action(KeyChord::plain(Key::Char('x'))),
            Some(Action::Skip)
        );
        assert_eq!(map.action(KeyChord::plain(Key::Char('s'))), None);
        let mut clash = BTreeMap::new();
        clash.insert(Action::Skip, vec!["q".to_owned()]);
        let err = Keymap::default().with_overrides(clash).unwrap_err();
        assert!(
            err.contains("`q`") && err.contains("quit") && err.contains("skip"),
            "{err}"
        );
        // Found by tests/parsers_prop.rs: this said "bound to both `skip` and `skip`".
        let twice = BTreeMap::from([(Action::Skip, vec!["x".to_owned(), "x".to_owned()])]);
        let err = Keymap::default().with_overrides(twice).unwrap_err();
        assert_eq!(err, "key `x` is listed twice for `skip`: drop one");
    }

    #[test]
    fn key_names_parse_and_print_back() {
        for text in [
            "q", "R", "ctrl-c", "alt-x", "f5", "pgdn", "enter", "space", "esc",
        ] {
            let chord = KeyChord::parse(text).unwrap();
            assert_eq!(
                KeyChord::parse(&chord.to_string()).ok(),
                Some(chord),
                "{text}"
            );
        }
        // Found by tests/parsers_prop.rs: the arrows print as glyphs, which parsed as
        // characters, so `↑` in a clash message could not be written back as the Up key.
        for key in [Key::Up, Key::Down, Key::Left, Key::Right] {
            let chord = KeyChord::plain(key);
            assert_eq!(KeyChord::parse(&chord.to_string()), Ok(chord));
        }
        assert!(KeyChord::parse("ctrl-").is_err());
        assert!(KeyChord::parse("f13").is_err());
        assert!(
            KeyChord::parse("hyper-x")
                .unwrap_err()
                .contains("unknown key")
        );
        assert_eq!(snake(Action::RollBack), "roll_back");
    }
}
