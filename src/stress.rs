//! `loyalty stress-ledger`: random ledger traffic against the configured database, from as many processes as you like.
//!
//! Every process uses the same partners and wallets (found by Telegram id), so several of them contend for the same
//! rows exactly as replicas would. Each command keeps its key across transient failures, so every one ends with a
//! final outcome; a replayed key must return what it returned the first time. The summary is one JSON line.

use actix::Addr;
use actors::{
    IdempotencyKey, LedgerActor, LedgerCommand, LedgerError, LedgerOp, LedgerOutcome, LedgerReply,
};
use fsm::{CashbackRate, ClientId, Kopecks, PartnerId, Points};
use serde::Serialize;

use actors::db::{clients, partners};

/// What the run is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct StressArgs {
    /// Wallets to hammer (shared by every process with the same --base-telegram-id).
    #[arg(long, default_value_t = 8)]
    pub clients: i64,
    /// Partners accruing and redeeming.
    #[arg(long, default_value_t = 3)]
    pub partners: i64,
    /// Commands this process submits.
    #[arg(long, default_value_t = 2_000)]
    pub ops: usize,
    /// Commands in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Seeds the random choices; give each process its own.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keeps the keys of different processes apart.
    #[arg(long, default_value = "stress")]
    pub key_prefix: String,
    /// Telegram ids of the shared partners and clients start here.
    #[arg(long, default_value_t = 7_000_000_000)]
    pub base_telegram_id: i64,
}

/// The one-line report.
#[derive(Debug, Default, Serialize)]
pub struct StressSummary {
    pub applied: u64,
    pub insufficient: u64,
    pub other_refusals: u64,
    pub replays_matched: u64,
    pub replays_mismatched: u64,
    pub transient_retries: u64,
    pub unresolved: u64,
}

/// A small deterministic generator (splitmix64), so a seed reproduces a run.
struct Rand(u64);

impl Rand {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// How many times one command is retried through transient errors before it counts as unresolved.
const COMMAND_RETRIES_MAX: u32 = 100;

pub async fn run(
    pg: &deadpool_postgres::Pool,
    ledger: &Addr<LedgerActor>,
    args: &StressArgs,
) -> anyhow::Result<StressSummary> {
    let db = pg.get().await?;
    let mut partners = Vec::new();
    for i in 0..args.partners {
        partners.push(
            partners::upsert_approved_partner(
                &**db,
                args.base_telegram_id + i,
                &format!("Stress {i}"),
                500,
            )
            .await?,
        );
    }
    let mut clients = Vec::new();
    for i in 0..args.clients {
        let (id, _) = clients::upsert_client_by_telegram(
            &**db,
            args.base_telegram_id + 1_000_000 + i,
            None,
            None,
        )
        .await?;
        clients.push(id);
    }
    drop(db);

    let mut summary = StressSummary::default();
    // Welcome bonuses under a shared key: every process submits them, exactly one grant each must happen.
    for client in &clients {
        let op = LedgerOp::WelcomeBonus {
            client: *client,
            referrer: None,
            points: Points::new(100)?,
        };
        let key = IdempotencyKey::new(format!("welcome:{client}")).expect("valid key");
        submit(ledger, LedgerCommand { key, op }, &mut summary).await;
    }

    let mut rng = Rand(args.seed);
    let mut issued: Vec<(LedgerCommand, LedgerReply)> = Vec::new();
    let mut next = 0usize;
    while next < args.ops {
        let take = args.concurrency.min(args.ops - next);
        let mut wave = Vec::with_capacity(take);
        for _ in 0..take {
            let replay = !issued.is_empty() && rng.below(20) == 0;
            if replay {
                let (command, first) = &issued[rng.below(issued.len() as u64) as usize];
                wave.push((command.clone(), Some(first.outcome.clone())));
            } else {
                let key = IdempotencyKey::new(format!("{}:{}", args.key_prefix, next))
                    .expect("valid key");
                wave.push((
                    LedgerCommand {
                        key,
                        op: random_op(&mut rng, &clients, &partners, &issued),
                    },
                    None,
                ));
            }
            next += 1;
        }
        let replies = futures_util::future::join_all(wave.iter().map(|(c, _)| {
            let ledger = ledger.clone();
            let command = c.clone();
            async move {
                let mut local = StressSummary::default();
                let reply = submit(&ledger, command, &mut local).await;
                (reply, local)
            }
        }))
        .await;
        for ((command, expected), (reply, local)) in wave.into_iter().zip(replies) {
            summary.transient_retries += local.transient_retries;
            let Some(reply) = reply else {
                summary.unresolved += 1;
                continue;
            };
            match expected {
                Some(first) if first == reply.outcome => summary.replays_matched += 1,
                Some(_) => summary.replays_mismatched += 1,
                None => {
                    match reply.outcome {
                        LedgerOutcome::Applied { .. } => summary.applied += 1,
                        LedgerOutcome::InsufficientPoints { .. } => summary.insufficient += 1,
                        _ => summary.other_refusals += 1,
                    }
                    issued.push((command, reply));
                }
            }
        }
    }
    Ok(summary)
}

fn random_op(
    rng: &mut Rand,
    clients: &[ClientId],
    partners: &[PartnerId],
    issued: &[(LedgerCommand, LedgerReply)],
) -> LedgerOp {
    let client = clients[rng.below(clients.len() as u64) as usize];
    let partner = partners[rng.below(partners.len() as u64) as usize];
    match rng.below(10) {
        0..=4 => LedgerOp::Accrue {
            client,
            partner,
            receipt: Kopecks::new(100_00 + rng.below(5_000_00) as i64).expect("positive"),
            rate: CashbackRate::DEFAULT,
        },
        5..=8 => LedgerOp::Redeem {
            client,
            partner,
            points: Points::new(1 + rng.below(150) as i64).expect("positive"),
            receipt: None,
        },
        _ => {
            let applied: Vec<_> = issued
                .iter()
                .filter_map(|(_, r)| match r.outcome {
                    LedgerOutcome::Applied { operation, .. } => Some(operation),
                    _ => None,
                })
                .collect();
            match applied.get(rng.below(applied.len().max(1) as u64) as usize) {
                Some(operation) => LedgerOp::Reverse {
                    operation: *operation,
                    admin_id: 1,
                    reason: "stress".into(),
                },
                None => LedgerOp::Redeem {
                    client,
                    partner,
                    points: Points::new(1).expect("positive"),
                    receipt: None,
                },
            }
        }
    }
}

/// Submits until a final outcome, keeping the key; `None` after `COMMAND_RETRIES_MAX` transient failures.
async fn submit(
    ledger: &Addr<LedgerActor>,
    command: LedgerCommand,
    summary: &mut StressSummary,
) -> Option<LedgerReply> {
    for attempt in 0..COMMAND_RETRIES_MAX {
        match ledger.send(command.clone()).await {
            Ok(Ok(reply)) => return Some(reply),
            Ok(Err(LedgerError::Overloaded | LedgerError::Unavailable | LedgerError::Stopped))
            | Err(_) => {
                summary.transient_retries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(
                    5 * u64::from(attempt.min(20) + 1),
                ))
                .await;
            }
        }
    }
    None
}
