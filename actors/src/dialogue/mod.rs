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

pub mod admin;
pub mod client;
pub mod driver;
pub mod partner;

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
    #[error(transparent)]
    Other(#[from] anyhow::Error),
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
