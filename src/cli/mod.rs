//! The command line: argument parsing and dispatch. This is the binary's edge, so errors
//! become `anyhow` reports and exit codes here and nowhere else.

// First, so its macros (`outln!`, `errln!`, …) are in scope in every module below.
#[macro_use]
pub mod out;

pub mod check;
mod config_cmd;
pub mod demo;
mod postmortem_cmd;
mod probe;
pub mod resume;
pub mod run;
mod runbooks;
pub mod sim;
pub mod tui_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  keyturn demo                             the TUI against a simulated drift (no setup needed)
  keyturn                                  the TUI against the configured stores
  keyturn check                            audit every copy once (exit 0 in sync, 1 drift)
  keyturn check --probe                    …and prove what the GitHub secret holds (one workflow run)
  keyturn probe print > .github/workflows/keyturn-probe.yml
  keyturn config check                     validate ./keyturn.toml and show credential sources
  keyturn --config ops/keyturn.toml config check
  keyturn postmortem                       postmortem of the newest session (journal)

Config search order (first found wins):
  1. --config FILE
  2. ./keyturn.toml
  3. $XDG_CONFIG_HOME/keyturn/config.toml (usually ~/.config/keyturn/config.toml)

Credentials are never read from the config file:
  Heroku     $KEYTURN_HEROKU_TOKEN, else ~/.netrc (machine api.heroku.com, written by
             `heroku login`), else $HEROKU_API_KEY (warned: usually the token being rotated)
  GitHub     $GH_TOKEN, else $GITHUB_TOKEN, else `gh auth token`
  Infisical  $INFISICAL_TOKEN, else Universal Auth with $INFISICAL_UNIVERSAL_AUTH_CLIENT_ID
             and $INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET; $INFISICAL_API_URL overrides the URL";

/// keyturn: keep one vendor API token in sync across its vault, CI and runtime copies,
/// and rotate it step by step.
#[derive(Debug, Parser)]
#[command(name = "keyturn", version, about, after_long_help = EXAMPLES, after_help = "See `keyturn --help` for examples, the config search order and credential sources.")]
pub struct Cli {
    /// Config file to use instead of the search order below.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Without a command: the TUI against the configured stores (`keyturn tui`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the simulator with a drift scenario and the TUI on it: no config, no credentials.
    Demo(demo::DemoArgs),
    /// The terminal UI against the configured stores (the default command).
    Tui(tui_cmd::TuiArgs),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// (Re)write a drift postmortem from a session journal, also for an interrupted session.
    Postmortem(postmortem_cmd::PostmortemArgs),
    /// List and validate runbook files.
    #[command(subcommand)]
    Runbooks(runbooks::RunbooksCommand),
    /// Audit every copy of the token once: exit 0 in sync, 1 drift, 2 could not tell.
    Check {
        /// Print the stable JSON document (docs/check-json.md) instead of the table.
        #[arg(long)]
        json: bool,
        /// Audit a freshly started embedded simulator in this scenario instead (e.g. github-stale).
        #[arg(long, value_name = "SCENARIO")]
        sim: Option<crate::sim::Scenario>,
        /// Prove what the write-only GitHub secret holds: dispatch the probe workflow
        /// (`[github] probe_workflow`) once and compare its HMAC with the vault's value.
        /// Costs one workflow run; keyturn never probes unless asked.
        #[arg(long)]
        probe: bool,
        /// How long the probe may take in all (dispatch, queue, run, log), in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 300, requires = "probe")]
        probe_timeout: u64,
    },
    /// The probe workflow that proves what the GitHub Actions secret holds.
    #[command(subcommand)]
    Probe(probe::ProbeCommand),
    /// Walk a runbook non-interactively: exit 0 done, 1 failed with stores consistent, 2 bad input.
    Run(run::RunArgs),
    /// Show where an interrupted session stopped and the safe way on; `--continue` walks it on.
    Resume(resume::ResumeArgs),
    /// Run the embedded Heroku/GitHub/Infisical simulator until Ctrl-C.
    Sim(sim::SimArgs),
    /// The demo's simulator as a detached process (started by `keyturn demo`).
    #[command(hide = true)]
    DemoSimulator(demo::child::DemoSimArgs),
}

/// `keyturn config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the config, show which credential sources are present (never values).
    /// Exit 0 when usable, 2 when the config is invalid or a required credential is missing.
    Check,
}

/// Exit codes shared by every command.
pub mod exit {
    /// Done / in sync.
    pub const OK: u8 = 0;
    /// Drift found, or a procedure failed with every store left consistent.
    pub const DRIFT_OR_FAILED: u8 = 1;
    /// Bad input or could not tell.
    pub const BAD_INPUT: u8 = 2;
    /// Interrupted by Ctrl-C or SIGTERM mid-procedure (128 + SIGINT, as shells report it);
    /// the session is resumable.
    pub const INTERRUPTED: u8 = 130;
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    if let Err(why) = crate::secret::harden_process() {
        errln!("keyturn: warning: could not make the process non-dumpable: {why}");
    }
    let cli = Cli::parse();
    let command = cli
        .command
        .unwrap_or_else(|| Command::Tui(tui_cmd::TuiArgs::default()));
    let code = match command {
        Command::Demo(args) => demo::run(&args),
        Command::Tui(args) => tui_cmd::tui(&args, cli.config.as_deref()),
        Command::Config(ConfigCommand::Check) => config_cmd::check(cli.config.as_deref()),
        Command::Postmortem(args) => postmortem_cmd::run(&args, cli.config.as_deref()),
        Command::Runbooks(command) => runbooks::run(&command),
        Command::Check {
            json,
            sim,
            probe,
            probe_timeout,
        } => {
            let options = check::CheckOptions {
                json,
                probe: probe.then(|| std::time::Duration::from_secs(probe_timeout)),
                ..check::CheckOptions::default()
            };
            check::check(cli.config.as_deref(), &options, sim)
        }
        Command::Probe(command) => probe::run(&command),
        Command::Run(args) => run::run(&args, cli.config.as_deref()),
        Command::Resume(args) => resume::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::DemoSimulator(args) => demo::child::run(&args),
    };
    ExitCode::from(code)
}
