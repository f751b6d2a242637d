//! One background task per store (vault, GitHub, each Heroku app), each sending small
//! typed readings to the UI loop. Latest wins: a refresh request while a read is under way
//! leaves at most one more read queued (a `Notify` holds one permit), and the UI keeps the
//! newest reading. Nothing here is awaited by a key handler or a draw.
//!
//! Budget: Heroku allows 4500 requests an hour per account, shared with the operator's
//! other tools and with the writes of the runbook. The app pollers together stay under a
//! quarter of it: each app reads once per `max(refresh, apps × 3.2 s)`, and a value's
//! `GET /account` verdict is cached by fingerprint for two minutes (all in-sync apps share
//! the vault's verdict), so 4 apps poll every 30 s and 200 apps every ~11 min.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use super::panels::{
    Account, AppReading, DeployReading, GithubReading, Reading, StoreId, VaultReading,
};
use crate::drift::observe;
use crate::secret::{Fingerprint, Token};
use crate::vendors::{RateBudget, Validation, Vendors};

/// How long a `GET /account` verdict is reused for a fingerprint.
const VERDICT_TTL: Duration = Duration::from_secs(120);
/// One app read per this much time, at most, across all apps (a quarter of 4500/hour).
const HEROKU_SHARE_PER_READ: Duration = Duration::from_millis(3200);

/// What a poller tells the UI loop.
#[derive(Debug, Clone, PartialEq)]
pub enum PollEvent {
    /// The probe of GitHub's copy moved on, or ended.
    Probe(super::panels::ProbeShown),
    /// A read of this store began.
    Started(StoreId),
    /// A read finished; budgets as the vendors last reported them.
    Done {
        reading: Reading,
        heroku_rate: RateBudget,
        github_rate: Option<RateBudget>,
    },
}

/// The running pollers; dropping them stops every task.
pub struct Pollers {
    triggers: HashMap<StoreId, Arc<Notify>>,
    verdicts: Verdicts,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Pollers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Pollers {
    /// Reads `store` now (or right after the read under way).
    pub fn refresh(&self, store: StoreId) {
        if let Some(trigger) = self.triggers.get(&store) {
            trigger.notify_one();
        }
    }

    /// Reads every store now.
    pub fn refresh_all(&self) {
        for trigger in self.triggers.values() {
            trigger.notify_one();
        }
    }

    /// Forgets cached `GET /account` verdicts (an authorization was revoked or created).
    pub fn forget_verdicts(&self) {
        if let Ok(mut cache) = self.verdicts.lock() {
            cache.clear();
        }
    }
}

type Verdicts = Arc<Mutex<HashMap<Fingerprint, (Account, Instant)>>>;

/// Everything one poller task needs.
#[derive(Clone)]
struct Ctx {
    vendors: Arc<Vendors>,
    secret: String,
    workflow: String,
    verdicts: Verdicts,
    /// Failed deploy runs and whether their logs named the token invalid.
    logs: Arc<crate::drift::observe::DeployLogs>,
    tx: mpsc::UnboundedSender<PollEvent>,
}

/// Starts one poller per store. `refresh` is the configured period.
pub fn spawn(
    vendors: Arc<Vendors>,
    config: &crate::config::Config,
    refresh: Duration,
    tx: mpsc::UnboundedSender<PollEvent>,
) -> Pollers {
    let ctx = Ctx {
        vendors,
        secret: config.secret.name.to_string(),
        workflow: config.github.deploy_workflow.clone(),
        verdicts: Arc::default(),
        logs: Arc::default(),
        tx,
    };
    let apps = config.heroku.apps.names();
    let mut stores = vec![(StoreId::Vault, refresh), (StoreId::Github, refresh)];
    let app_period = app_period(apps.len(), refresh);
    stores.extend((0..apps.len()).map(|i| (StoreId::App(i), app_period)));
    let mut pollers = Pollers {
        triggers: HashMap::new(),
        verdicts: ctx.verdicts.clone(),
        tasks: Vec::new(),
    };
    for (index, (store, period)) in stores.into_iter().enumerate() {
        let trigger = Arc::new(Notify::new());
        pollers.triggers.insert(store, trigger.clone());
        let app = match store {
            StoreId::App(i) => apps.get(i).cloned(),
            _ => None,
        };
        // Spread the apps' reads over the period instead of bursting them together.
        let offset = stagger(index, pollers_len(apps.len()), period);
        let task = poll_loop(ctx.clone(), store, app, period, offset, trigger);
        pollers.tasks.push(tokio::spawn(task));
    }
    pollers
}

fn pollers_len(apps: usize) -> usize {
    apps + 2
}

/// How often each app is read so all apps together stay inside Heroku's share.
pub fn app_period(apps: usize, refresh: Duration) -> Duration {
    let factor = u32::try_from(apps).unwrap_or(u32::MAX);
    refresh.max(HEROKU_SHARE_PER_READ.saturating_mul(factor))
}

fn stagger(index: usize, total: usize, period: Duration) -> Duration {
    let (index, total) = (
        u32::try_from(index).unwrap_or(0),
        u32::try_from(total).unwrap_or(1),
    );
    period / total.max(1) * index
}

async fn poll_loop(
    ctx: Ctx,
    store: StoreId,
    app: Option<String>,
    period: Duration,
    offset: Duration,
    trigger: Arc<Notify>,
) {
    // The first read happens at once, so the first screen fills quickly; later reads are
    // phase-shifted by `offset` so the apps do not all hit Heroku in the same second.
    let mut wait: Option<Duration> = None;
    loop {
        if let Some(wait) = wait {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = trigger.notified() => {}
            }
        }
        wait = Some(if wait.is_none() {
            period + offset
        } else {
            period
        });
        if ctx.tx.send(PollEvent::Started(store)).is_err() {
            return;
        }
        let reading = read(&ctx, store, app.as_deref()).await;
        if let Some(error) = reading_error(&reading) {
            tracing::warn!(?store, %error, "store read failed");
        }
        let done = PollEvent::Done {
            reading,
            heroku_rate: ctx.vendors.heroku.rate_budget(),
            github_rate: ctx
                .vendors
                .github
                .as_ref()
                .map(crate::vendors::GithubClient::rate_budget),
        };
        if ctx.tx.send(done).is_err() {
            return;
        }
    }
}

fn reading_error(reading: &Reading) -> Option<&str> {
    match reading {
        Reading::Vault(Err(e)) | Reading::Github(Err(e)) | Reading::App(_, Err(e)) => Some(e),
        _ => None,
    }
}

async fn read(ctx: &Ctx, store: StoreId, app: Option<&str>) -> Reading {
    match (store, app) {
        (StoreId::Vault, _) => Reading::Vault(read_vault(ctx).await),
        (StoreId::Github, _) => Reading::Github(read_github(ctx).await),
        (StoreId::App(i), Some(app)) => Reading::App(i, read_app(ctx, app).await),
        (StoreId::App(i), None) => Reading::App(i, Err("unknown app".to_owned())),
    }
}

// Each store is read by drift's own observer (`drift::observe`), as the audit reads it;
// only the readings' shape and the verdict cache are the panels' own.

async fn read_vault(ctx: &Ctx) -> Result<VaultReading, String> {
    let secret = observe::vault(&ctx.vendors, &ctx.secret)
        .await
        .map_err(|e| e.to_string())?;
    let Some(secret) = secret else {
        return Ok(VaultReading {
            fingerprint: None,
            version: None,
            updated_at: None,
            account: None,
        });
    };
    let account = verdict(ctx, &secret.secret_value, true).await;
    Ok(VaultReading {
        fingerprint: Some(secret.secret_value.fingerprint()),
        version: Some(secret.version),
        updated_at: secret.updated_at.or(secret.created_at),
        account: Some(account),
    })
}

async fn read_github(ctx: &Ctx) -> Result<GithubReading, String> {
    let (copy, run) = tokio::join!(
        observe::github(&ctx.vendors, &ctx.secret),
        observe::deploy(&ctx.vendors, &ctx.workflow, &ctx.secret, &ctx.logs)
    );
    if copy.is_unreadable() {
        return Err(copy.error.unwrap_or_default());
    }
    let deploy = run?.map(|run| DeployReading {
        run_id: run.run_id,
        status: run.status.map(clean),
        conclusion: run.conclusion.map(clean),
        created_at: run.created_at,
        failed_with_invalid_token: run.failed_with_invalid_token,
    });
    Ok(GithubReading {
        updated_at: copy.updated_at,
        deploy,
    })
}

async fn read_app(ctx: &Ctx, app: &str) -> Result<AppReading, String> {
    let token = observe::app(&ctx.vendors, app, &ctx.secret)
        .await
        .map_err(|e| e.to_string())?;
    let Some(token) = token else {
        return Ok(AppReading {
            fingerprint: None,
            account: None,
        });
    };
    Ok(AppReading {
        fingerprint: Some(token.fingerprint()),
        account: Some(verdict(ctx, &token, false).await),
    })
}

/// `GET /account` with `token`, reusing a recent verdict for the same fingerprint unless
/// `fresh` (the vault's own poll always asks, so its verdict is never stale).
async fn verdict(ctx: &Ctx, token: &Token, fresh: bool) -> Account {
    let fp = token.fingerprint();
    if !fresh && let Some(account) = cached(&ctx.verdicts, fp) {
        return account;
    }
    let account = match ctx.vendors.heroku.validate(token).await {
        Validation::Valid { email } => Account::Valid {
            email: clean(email),
        },
        Validation::Invalid => Account::Invalid,
        Validation::Unknown(err) => Account::Unknown(err.to_string()),
    };
    if !matches!(account, Account::Unknown(_))
        && let Ok(mut cache) = ctx.verdicts.lock()
    {
        cache.insert(fp, (account.clone(), Instant::now()));
    }
    account
}

/// A vendor's word shown on a panel (an email, a run status), redacted like every other.
fn clean(text: String) -> String {
    match crate::redact::redact(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(clean) => clean,
    }
}

fn cached(verdicts: &Verdicts, fp: Fingerprint) -> Option<Account> {
    let cache = verdicts.lock().ok()?;
    let (account, at) = cache.get(&fp)?;
    (at.elapsed() < VERDICT_TTL).then(|| account.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_polling_stretches_to_stay_inside_a_quarter_of_the_budget() {
        let refresh = Duration::from_secs(30);
        assert_eq!(app_period(4, refresh), refresh);
        assert_eq!(app_period(200, refresh), Duration::from_secs(640));
        let per_hour = 200.0 * 3600.0 / app_period(200, refresh).as_secs_f64();
        assert!(per_hour <= 4500.0 / 4.0, "{per_hour}");
    }
}
