//! The demo simulator's process as tests see it, from /proc (no procps needed): shared by
//! the tmux harness and `common::demo`, which several test binaries include separately.

use std::process::Command;

/// SIGKILL to `pid` if its command line is a demo simulator's (never another process
/// that got the pid since).
pub fn kill_demo_simulator(pid: u32) {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if String::from_utf8_lossy(&cmdline).contains("demo-simulator") {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

/// True while `pid` runs; a zombie (ended, not yet reaped by its parent) has ended.
pub fn running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // pid (comm) STATE …; comm may hold spaces, so split after the last ')'.
    let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
    !state.is_some_and(|s| s.starts_with('Z') || s.starts_with('X'))
}
