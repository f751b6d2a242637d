//! Which clipboard a session can use: the desktop's (arboard) when a display is there,
//! else the terminal's (OSC 52), e.g. over SSH.

use std::ffi::OsString;

/// What the environment says about where the operator sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Environment {
    /// `SSH_TTY` or `SSH_CONNECTION` is set: the system clipboard here is not the operator's.
    pub ssh: bool,
    pub display: DisplayServer,
    /// `TMUX` is set: OSC 52 must go through tmux's passthrough.
    pub tmux: bool,
}

/// Whether the system clipboard has the display server it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayServer {
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set.
    Running,
    /// X11/Wayland platform without either variable: arboard has nothing to talk to.
    Missing,
    /// macOS and Windows have a clipboard without one.
    NotNeeded,
}

/// True where arboard talks to X11 (or Wayland): the platforms whose clipboard needs one.
const NEEDS_DISPLAY_SERVER: bool = cfg!(all(unix, not(target_os = "macos")));

impl Environment {
    /// Reads the process environment.
    pub fn current() -> Self {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// Reads variables through `lookup`, so tests never mutate the process environment.
    /// An empty value counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        let set = |name: &str| lookup(name).is_some_and(|value| !value.is_empty());
        let display = if !NEEDS_DISPLAY_SERVER {
            DisplayServer::NotNeeded
        } else if set("DISPLAY") || set("WAYLAND_DISPLAY") {
            DisplayServer::Running
        } else {
            DisplayServer::Missing
        };
        Environment {
            ssh: set("SSH_TTY") || set("SSH_CONNECTION"),
            display,
            tmux: set("TMUX"),
        }
    }

    /// Why the system clipboard would not reach the operator, or `None` to try it.
    pub fn osc52_reason(&self) -> Option<Osc52Reason> {
        if self.ssh {
            Some(Osc52Reason::Ssh)
        } else if self.display == DisplayServer::Missing {
            Some(Osc52Reason::NoDisplay)
        } else {
            None
        }
    }
}

/// Why the copy goes through the terminal (OSC 52) instead of the system clipboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Osc52Reason {
    Ssh,
    NoDisplay,
    /// arboard could not open the system clipboard; its error (never the value).
    SystemUnavailable(String),
}
