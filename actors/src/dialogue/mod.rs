//! The bots' dialogues: [`run`] dispatches an update to its bot, whose [`driver::Dialogue`] implementation
//! (`partner`, `client`, `admin`) says how its context is read and its commands run; [`driver::drive`] is the one
//! pipeline they share.
//!
//! Dispatch sits above the generic driver, so the driver never imports a bot (no cycle).

use std::collections::HashSet;
use std::sync::Arc;

use actix::Addr;
use deadpool_postgres::Pool;
use fsm::chat::{Sender, UserInput};
use fsm::{BotKind, Kopecks, Points};

use crate::db::partner_cache::PartnerCache;
use crate::ledger::LedgerActor;
use crate::outgoing::Outgoing;
use crate::session::store::SessionStore;

pub mod admin;
pub mod client;
mod client_views;
pub mod driver;
pub mod office;
pub mod partner;
pub mod service_requests;
// --- Partner money: the handlers of enrolment, redemption, consent, NPS, find and statistics ---
pub mod money;

/// What the dialogues need from the outside world.
#[derive(Clone)]
pub struct DialogueEnv {
    pub pg: Pool,
    pub ledger: Addr<LedgerActor>,
    /// Points granted once per client on registration (SPEC §2; configuration `money.welcome_bonus_points`).
    pub welcome_bonus: Points,
    /// The largest receipt one accrual may take (configuration `money.receipt_max_kopecks`).
    pub receipt_max: Kopecks,
    /// Approved partners read a moment ago.
    pub partners: Arc<PartnerCache>,
    /// Telegram ids allowed into the admin bot (configuration `admin.admin_ids`), checked on every update.
    pub admin_ids: Arc<HashSet<i64>>,
    // --- Partner back office ---
    /// The network's time zone, the applicants' categories and the client bot's username.
    pub office: Arc<OfficeSettings>,
    // --- Partner money ---
    /// Redemption, `/find` and `/stats` settings.
    pub money: money::MoneyEnv,
    // --- Admin bot ---
    /// The admin bot's settings: the rate bounds and the dashboard's address.
    pub admin: Arc<AdminSettings>,
    /// The outbox streams, for messages that leave with a decision rather than with a transition (the partner's
    /// notice of a moderation decision, `crate::moderation`), and Redis for the dashboard's login tokens. `None`
    /// only in tests that drive dialogues without an engine; the admin bot's moderation then fails as a bug.
    pub outbox: Option<SessionStore>,
    /// The Mini App's address (`miniapp.url`, or `telegram.public_url` + `/app/`), for the client bot's per-chat menu
    /// button (`Outgoing::menu_button`); `None` when there is no Mini App.
    pub miniapp_url: Option<String>,
}

/// What the admin bot needs from configuration.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// The network's bounds of a partner's cashback rate (`money.cashback_min_bp`, `money.cashback_max_bp`).
    pub rate_min: fsm::CashbackRate,
    pub rate_max: fsm::CashbackRate,
    /// The dashboard's address without a trailing `/` (`dashboard.url`, or `telegram.public_url` + `/dashboard`);
    /// empty when neither is set.
    pub dashboard_url: String,
    /// How long a `/dashboard` login link works, seconds (`dashboard.login_link_ttl_s`).
    pub login_link_ttl_s: u64,
}

impl Default for AdminSettings {
    /// SPEC §2's bounds (1 %..30 %), no dashboard address, links valid for 5 minutes.
    fn default() -> Self {
        AdminSettings {
            rate_min: fsm::CashbackRate::new(100, 1, 10_000).unwrap_or(fsm::CashbackRate::DEFAULT),
            rate_max: fsm::CashbackRate::new(3_000, 1, 10_000)
                .unwrap_or(fsm::CashbackRate::DEFAULT),
            dashboard_url: String::new(),
            login_link_ttl_s: 300,
        }
    }
}

/// What the partner's back office needs from configuration.
#[derive(Debug, Clone)]
pub struct OfficeSettings {
    /// The network's time zone (`network.time_zone`): promotions run by its calendar.
    pub time_zone: jiff::tz::TimeZone,
    /// The business categories an applicant picks from (`partners.categories`).
    pub categories: Arc<Vec<fsm::partner::onboarding::Category>>,
    /// The client bot's username without `@` (`telegram.client_bot_username`), for invitation links.
    pub client_bot_username: String,
}

impl Default for OfficeSettings {
    /// Moscow time, a few everyday categories and the sandbox's client bot.
    fn default() -> Self {
        OfficeSettings {
            time_zone: fsm::calendar::time_zone(fsm::calendar::DEFAULT_TIME_ZONE)
                .unwrap_or(jiff::tz::TimeZone::UTC),
            categories: Arc::new(vec!["Кафе".into(), "Магазин".into()]),
            client_bot_username: "loyalty_client_bot".into(),
        }
    }
}

/// The new state (JSON) and what to send once it is stored.
pub struct StepOutput {
    pub state_json: String,
    pub outgoing: Vec<Outgoing>,
}

/// Why an update could not be run to a new state.
#[derive(Debug, thiserror::Error)]
pub enum DialogueError {
    #[error("database: {0}")]
    Database(#[from] tokio_postgres::Error),
    #[error("database pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("a dialogue took more than {0} steps for one update")]
    TooManySteps(usize),
    #[error("bug: {0}")]
    Bug(String),
    /// Shown with its whole chain of causes (the SQLSTATE message under "creating a client").
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl DialogueError {
    /// Whether running the update again later may succeed (issue 12). Transient: a connection or I/O failure,
    /// SQLSTATE classes 08 (connection), 40 (serialization, deadlock), 53 (resources), 57 (operator intervention,
    /// e.g. a shutdown), 55P03 (lock not available), a pool timeout or a closed pool, and an error of unknown kind
    /// (retrying it is safe: steps are idempotent, and a retry bound parks it). Permanent: every other SQLSTATE
    /// (22 data exception, 23 integrity constraint, 42 syntax or undefined object, ...), a row that does not convert,
    /// [`DialogueError::TooManySteps`] and [`DialogueError::Bug`] — they would fail the same way on every try.
    pub fn is_transient(&self) -> bool {
        match self {
            DialogueError::Database(e) => pg_is_transient(e),
            DialogueError::Pool(deadpool_postgres::PoolError::Backend(e)) => pg_is_transient(e),
            DialogueError::Pool(_) => true,
            DialogueError::TooManySteps(_) | DialogueError::Bug(_) => false,
            DialogueError::Other(e) => {
                if let Some(pg) = e.downcast_ref::<tokio_postgres::Error>() {
                    pg_is_transient(pg)
                } else {
                    e.downcast_ref::<serde_json::Error>().is_none()
                }
            }
        }
    }
}

/// The SQLSTATE rule of [`DialogueError::is_transient`]; an error without a code is transient only when the
/// connection closed or the socket failed (otherwise it is a row that does not convert: the same on every try).
fn pg_is_transient(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        Some(state) => {
            let code = state.code();
            ["08", "40", "53", "57"]
                .iter()
                .any(|class| code.starts_with(class))
                || code == "55P03"
        }
        None => {
            e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        }
    }
}

/// Runs one user input through its bot's dialogue (see [`driver::drive`]).
pub async fn run(
    env: &DialogueEnv,
    bot: BotKind,
    sender: &Sender,
    input: UserInput,
    message_id: Option<i32>,
    raw_state: Option<&str>,
) -> Result<StepOutput, DialogueError> {
    match bot {
        BotKind::Partner => {
            driver::drive::<partner::PartnerBot>(env, sender, input, message_id, raw_state).await
        }
        BotKind::Client => {
            driver::drive::<client::ClientBot>(env, sender, input, message_id, raw_state).await
        }
        BotKind::Admin => {
            driver::drive::<admin::AdminBot>(env, sender, input, message_id, raw_state).await
        }
    }
}
