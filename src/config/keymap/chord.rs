//! Key chords as the config writes them (`ctrl-u`, `f5`, `↑`) and as the help prints them.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A key without modifiers' meaning attached yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

/// A key with its modifiers, e.g. `ctrl-c`. Letters keep their case: `R` is not `r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyChord {
    pub key: Key,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeyChord {
    /// A plain key.
    pub fn plain(key: Key) -> KeyChord {
        KeyChord {
            key,
            ctrl: false,
            alt: false,
        }
    }

    /// Parses `q`, `?`, `enter`, `ctrl-c`, `alt-x`, `f5`, `pgdn`, `space`…
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut rest = text;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                (ctrl, rest) = (true, r);
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                (alt, rest) = (true, r);
            } else {
                break;
            }
        }
        let key = parse_key(rest).ok_or_else(|| {
            format!("unknown key `{text}`: use a single character, or ctrl-/alt- plus one of enter esc tab backtab backspace up down left right pgup pgdn home end space f1..f12")
        })?;
        Ok(KeyChord { key, ctrl, alt })
    }
}

fn parse_key(text: &str) -> Option<Key> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(arrow(c).unwrap_or(Key::Char(c)));
    }
    let key = match text {
        "enter" | "return" => Key::Enter,
        "esc" | "escape" => Key::Esc,
        "tab" => Key::Tab,
        "backtab" | "shift-tab" => Key::BackTab,
        "backspace" => Key::Backspace,
        "up" => Key::Up,
        "down" => Key::Down,
        "left" => Key::Left,
        "right" => Key::Right,
        "pgup" | "pageup" => Key::PageUp,
        "pgdn" | "pagedown" => Key::PageDown,
        "home" => Key::Home,
        "end" => Key::End,
        "space" => Key::Char(' '),
        f => {
            let n: u8 = f.strip_prefix('f')?.parse().ok()?;
            return (1..=12).contains(&n).then_some(Key::F(n));
        }
    };
    Some(key)
}

/// The arrow keys print as glyphs (`↑`), so the glyphs name them too: a key shown in the
/// help or in an error can be written back into the config as it is shown.
fn arrow(c: char) -> Option<Key> {
    match c {
        '↑' => Some(Key::Up),
        '↓' => Some(Key::Down),
        '←' => Some(Key::Left),
        '→' => Some(Key::Right),
        _ => None,
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.key {
            Key::Char(' ') => f.write_str("space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::Enter => f.write_str("enter"),
            Key::Esc => f.write_str("esc"),
            Key::Tab => f.write_str("tab"),
            Key::BackTab => f.write_str("shift-tab"),
            Key::Backspace => f.write_str("backspace"),
            Key::Up => f.write_str("↑"),
            Key::Down => f.write_str("↓"),
            Key::Left => f.write_str("←"),
            Key::Right => f.write_str("→"),
            Key::PageUp => f.write_str("pgup"),
            Key::PageDown => f.write_str("pgdn"),
            Key::Home => f.write_str("home"),
            Key::End => f.write_str("end"),
            Key::F(n) => write!(f, "f{n}"),
        }
    }
}

/// Parsed one by one, so a bad key name is reported at its own line and column.
impl<'de> Deserialize<'de> for KeyChord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        KeyChord::parse(&text).map_err(serde::de::Error::custom)
    }
}
