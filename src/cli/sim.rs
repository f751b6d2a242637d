//! `keyturn sim`: run the vendor simulator alone, for demos and for pointing other tools
//! (the Heroku CLI, `gh`, Infisical's CLI, scripts) at a safe, fake world.

use std::time::Duration;

use clap::Args;

use crate::sim::{FaultRule, Latency, Scenario, Sim, SimHandle, SimOptions};

/// `keyturn sim …`
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Starting world: in-sync, github-stale, app-stale, vault-stale, all-invalid, rotation-due.
    #[arg(long, default_value = "in-sync")]
    pub scenario: Scenario,
    /// Port of the simulated Heroku API (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub heroku_port: u16,
    /// Port of the simulated GitHub API (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub github_port: u16,
    /// Port of the simulated Infisical API (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub infisical_port: u16,
    /// Seed of every generated token and id: same seed, same world.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of Heroku apps (default: the four of the SOPs).
    #[arg(long)]
    pub apps: Option<usize>,
    /// Latency added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Inject a fault: `VENDOR[:METHOD]:PATH_REGEX=ACTION[xTIMES]`, ACTION one of a status
    /// code, `429:SECS`, `hang`, `drop`, `malformed` (e.g. `heroku:GET:^/account$=503x2`).
    #[arg(long = "fault", value_name = "SPEC", value_parser = FaultRule::parse_spec)]
    pub faults: Vec<FaultRule>,
    /// Print only `export KEYTURN_SIM_…=…` lines (for `eval "$(keyturn sim --env)"`).
    #[arg(long)]
    pub env: bool,
}

impl SimArgs {
    fn options(&self) -> SimOptions {
        let latency = match self.latency_ms {
            0 => Latency::None,
            ms => Latency::Fixed(Duration::from_millis(ms)),
        };
        SimOptions {
            apps: self.apps,
            seed: self.seed,
            heroku_port: self.heroku_port,
            github_port: self.github_port,
            infisical_port: self.infisical_port,
            latency,
            ..SimOptions::default()
        }
    }
}

/// Runs the simulator until Ctrl-C; returns the exit code.
pub fn run(args: &SimArgs) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(why) => {
            errln!("keyturn sim: cannot start the async runtime: {why}");
            return super::exit::BAD_INPUT;
        }
    };
    runtime.block_on(serve(args))
}

async fn serve(args: &SimArgs) -> u8 {
    let sim = match Sim::start(args.scenario, args.options()).await {
        Ok(sim) => sim,
        Err(why) => {
            errln!("keyturn sim: {why}");
            return super::exit::BAD_INPUT;
        }
    };
    for rule in &args.faults {
        sim.faults().add(rule.clone());
    }
    if args.env {
        // The simulator's made-up credentials, printed on purpose: not redacted.
        super::out::print_unredacted(super::out::Stream::Out, &format!("{}\n", env_lines(&sim)));
    } else {
        super::out::print_unredacted(
            super::out::Stream::Out,
            &format!("{}\n", banner(&sim, args.scenario)),
        );
    }
    if let Err(why) = tokio::signal::ctrl_c().await {
        errln!("keyturn sim: cannot wait for Ctrl-C: {why}");
    }
    sim.shutdown().await;
    super::exit::OK
}

/// `export KEYTURN_SIM_…='…'` lines, one per URL and credential.
pub fn env_lines(sim: &SimHandle) -> String {
    let c = sim.credentials();
    let pairs = [
        ("HEROKU_URL", sim.heroku_url()),
        ("GITHUB_URL", sim.github_url()),
        ("INFISICAL_URL", sim.infisical_url()),
        ("HEROKU_TOKEN", c.heroku_operator_token.clone()),
        ("GITHUB_TOKEN", c.github_token.clone()),
        ("GITHUB_REPO", c.github_repo.clone()),
        ("GITHUB_PRIVATE_KEY", c.github_private_key_b64.clone()),
        ("INFISICAL_CLIENT_ID", c.infisical_client_id.clone()),
        ("INFISICAL_CLIENT_SECRET", c.infisical_client_secret.clone()),
        ("INFISICAL_PROJECT_ID", c.infisical_project_id.clone()),
        ("INFISICAL_ENVIRONMENT", c.infisical_environment.clone()),
    ];
    pairs
        .iter()
        .map(|(name, value)| format!("export KEYTURN_SIM_{name}='{value}'"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The human-readable start-up text: URLs, simulated credentials, a ready config.
fn banner(sim: &SimHandle, scenario: Scenario) -> String {
    let c = sim.credentials();
    format!(
        "keyturn simulator — scenario `{scenario}` (all credentials below are simulated)\n\n\
         Heroku     {heroku}\n  operator token   {op}\n\
         GitHub     {github}\n  token            {gh}\n  repository       {repo}\n\
         Infisical  {infisical}\n  client id        {cid}\n  client secret    {cs}\n  project id       {pid}\n  environment      {env}\n\n\
         Use with keyturn:\n  export KEYTURN_HEROKU_TOKEN='{op}' GH_TOKEN='{gh}'\n  \
         export INFISICAL_UNIVERSAL_AUTH_CLIENT_ID='{cid}' INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET='{cs}'\n\n\
         --- keyturn.toml ---\n{toml}--- end ---\n\nServing until Ctrl-C.",
        heroku = sim.heroku_url(),
        github = sim.github_url(),
        infisical = sim.infisical_url(),
        op = c.heroku_operator_token,
        gh = c.github_token,
        repo = c.github_repo,
        cid = c.infisical_client_id,
        cs = c.infisical_client_secret,
        pid = c.infisical_project_id,
        env = c.infisical_environment,
        toml = sim.config_toml(),
    )
}
