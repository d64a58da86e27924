//! The ledger actor: the only writer of ledger tables.
//!
//! It owns a queue of pending commands and at most `inflight_max` Postgres transactions at a time. While a transaction
//! is committing, new commands wait in the queue; the next transaction takes them at once (group commit, at most
//! `batch_max`), so one fsync serves many commands. A queue of at least `parallel_batch_min` commands may start a
//! second transaction beside the running one, and a large queue is split evenly over the free slots. A transaction is
//! one call of `ledger_apply_batch()` (sql/functions/) between BEGIN and COMMIT, all three sent in one round trip: it
//! takes the keys' advisory locks, locks the client wallets in id order, decides every command in memory in submission
//! order, writes operations, journal entries, wallets and keys in one statement, and last moves the shared side of
//! every transfer (partner accounts, the bonus pool) summed per account, in id order. One global lock order means
//! ledger transactions never deadlock, and the shared rows are held only from the last statement to the commit, so two
//! transactions in flight overlap all their other work. A refusal is decided before anything is written, so a refused
//! command leaves the others untouched; a command that fails unexpectedly aborts the transaction, and the batch is then
//! split in halves until only the culprit fails.
//!
//! The actor serializes this process's mutations; Postgres (conditional updates, constraints, the idempotency key's
//! unique index) keeps them correct across processes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix::prelude::*;
use deadpool_postgres::Pool;
use fsm::{OperationId, Points, accrual_points};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use tokio::sync::oneshot;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use super::types::{LedgerCommand, LedgerError, LedgerOp, LedgerOutcome, LedgerReply};

const APPLY_SQL: &str = "SELECT r_outcome, r_operation_id, r_points, r_balance, r_replayed \
                         FROM ledger_apply_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// A lone accrual or redemption in one statement (see the file's header): its outcome row has the shape of
/// `APPLY_SQL`'s, or the outcome `fallback` with nothing written.
const APPLY_ONE_SQL: &str = include_str!("../../../sql/queries/ledger_apply_one.sql");
/// The advisory lock `ledger_apply_batch()` takes for each key, so both paths serialize one key's commands.
const KEY_LOCK_SQL: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

/// Limits of the ledger actor, all named and configurable.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct LedgerConfig {
    /// Commands per transaction at most: bounds the work lost to one failed commit and the locks held.
    pub batch_max: usize,
    /// Commands waiting at most; beyond it a command is refused with `Overloaded` instead of queueing forever.
    pub queue_max: usize,
    /// Transactions in flight at once. With two, one transaction computes while the other commits, which keeps both
    /// cores of a small machine busy under a burst (16 submitters: 2.3-2.4× pgbench -N instead of 1.8-1.9× with one).
    pub inflight_max: usize,
    /// Commands a transaction needs to start beside one already in flight. Every transaction has a fixed cost
    /// (~0.4 ms of Postgres CPU), so a second one with a handful of commands costs more CPU than it saves waiting:
    /// the product's dialogue ran 10 % slower when every free slot started at once. Below this the queue waits for
    /// the running transaction and goes whole into the next; a large queue is split evenly over the free slots.
    pub parallel_batch_min: usize,
    /// Retries of a transaction that lost a deadlock or serialization race (safe: it rolled back whole).
    pub retries_max: u32,
    /// A transaction of one accrual or redemption runs `sql/queries/ledger_apply_one.sql`, one statement, instead
    /// of `ledger_apply_batch()` (same outcomes; the batch function still makes a client's first wallet and a
    /// partner's first account). A lone command is the common case at low load, where one submitter waits for each
    /// commit: the single statement is ~2x faster there (`loyalty-load ledger` prints both). Off only to compare.
    pub single_statement: bool,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            batch_max: 64,
            queue_max: 10_000,
            inflight_max: 2,
            parallel_batch_min: 8,
            retries_max: 5,
            single_statement: true,
        }
    }
}

/// Counters the benchmark and `/metrics` read.
#[derive(Debug)]
pub struct LedgerMetrics {
    pub commands: AtomicU64,
    pub transactions: AtomicU64,
    pub retries: AtomicU64,
    pub overloaded: AtomicU64,
    /// Transactions that failed on Postgres itself (no connection, connection lost): outcome unknown, retried by the
    /// submitter.
    pub unavailable: AtomicU64,
    /// Commands per committed transaction.
    pub batch_size: Histogram,
    /// A committed transaction, from taking a connection to COMMIT answered, in milliseconds.
    pub latency_ms: Histogram,
}

impl Default for LedgerMetrics {
    fn default() -> Self {
        LedgerMetrics {
            commands: AtomicU64::new(0),
            transactions: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            overloaded: AtomicU64::new(0),
            unavailable: AtomicU64::new(0),
            // Up to `batch_max` (256 by default).
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 9)),
            // A durable commit is ~0.3 ms on a fast disk, seconds on a struggling one.
            latency_ms: Histogram::new(exponential_buckets(0.25, 2.0, 14)),
        }
    }
}

/// A command waiting for its transaction, with where to send the answer.
struct Pending {
    command: LedgerCommand,
    reply: oneshot::Sender<Result<LedgerReply, LedgerError>>,
}

pub struct LedgerActor {
    /// Connections for the actor's transactions only.
    pool: Pool,
    config: LedgerConfig,
    /// Commands received and not yet in a transaction, in arrival order.
    queue: VecDeque<Pending>,
    /// Transactions running now, at most `config.inflight_max`.
    inflight: usize,
    /// A flush is due once the tasks woken so far have run (see `schedule_flush`).
    flush_scheduled: bool,
    metrics: Arc<LedgerMetrics>,
}

impl LedgerActor {
    pub fn new(pool: Pool, config: LedgerConfig) -> LedgerActor {
        LedgerActor {
            pool,
            config,
            queue: VecDeque::new(),
            inflight: 0,
            flush_scheduled: false,
            metrics: Arc::default(),
        }
    }

    pub fn metrics(&self) -> Arc<LedgerMetrics> {
        self.metrics.clone()
    }

    /// Flushes after one turn of the scheduler rather than at once. When a transaction answers, its submitters
    /// are woken but have not sent their next commands yet; a flush right away would start a transaction with
    /// whichever command came first and leave the rest for the one after, so batches would alternate between
    /// tiny and large. Yielding once lets every woken task run, and the flush then takes all of their commands
    /// (the mailbox is drained before spawned futures run). At low load the cost is one pass of the scheduler.
    fn schedule_flush(&mut self, ctx: &mut Context<Self>) {
        if self.flush_scheduled {
            return;
        }
        self.flush_scheduled = true;
        ctx.spawn(
            tokio::task::yield_now()
                .into_actor(self)
                .map(|(), actor, ctx| {
                    actor.flush_scheduled = false;
                    actor.flush(ctx);
                }),
        );
    }

    /// Starts transactions while there is room and work; see `LedgerConfig::parallel_batch_min`.
    fn flush(&mut self, ctx: &mut Context<Self>) {
        let slots = self.config.inflight_max.max(1);
        let parallel_min = self.config.parallel_batch_min.max(1);
        while self.inflight < slots && !self.queue.is_empty() {
            let waiting = self.queue.len();
            if self.inflight > 0 && waiting < parallel_min {
                break;
            }
            let ways = (waiting / parallel_min).clamp(1, slots - self.inflight);
            let take = waiting.div_ceil(ways).min(self.config.batch_max.max(1));
            let batch: Vec<Pending> = self.queue.drain(..take).collect();
            self.inflight += 1;
            let run = run_batch(
                self.pool.clone(),
                batch,
                TxOptions {
                    retries_max: self.config.retries_max,
                    single_statement: self.config.single_statement,
                },
                self.metrics.clone(),
            );
            ctx.spawn(run.into_actor(self).map(|(), actor, ctx| {
                actor.inflight -= 1;
                actor.schedule_flush(ctx);
            }));
        }
    }
}

impl Actor for LedgerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // The mailbox only holds commands on their way into `queue`; `queue_max` is the real bound, with a clear
        // refusal. Senders beyond the mailbox wait (back-pressure) rather than being dropped.
        ctx.set_mailbox_capacity(self.config.queue_max.max(16));
    }
}

impl Handler<LedgerCommand> for LedgerActor {
    type Result = ResponseFuture<Result<LedgerReply, LedgerError>>;

    fn handle(&mut self, command: LedgerCommand, ctx: &mut Self::Context) -> Self::Result {
        if let LedgerOp::Accrue { receipt, rate, .. } = &command.op
            && accrual_points(*receipt, *rate).is_none()
        {
            let reply = LedgerReply {
                outcome: LedgerOutcome::NothingToAccrue,
                replayed: false,
            };
            return Box::pin(async move { Ok(reply) });
        }
        if self.queue.len() >= self.config.queue_max {
            self.metrics.overloaded.fetch_add(1, Ordering::Relaxed);
            return Box::pin(async { Err(LedgerError::Overloaded) });
        }
        let (tx, rx) = oneshot::channel();
        self.queue.push_back(Pending { command, reply: tx });
        self.schedule_flush(ctx);
        Box::pin(async move { rx.await.unwrap_or(Err(LedgerError::Stopped)) })
    }
}

/// Why a transaction did not commit.
#[derive(Clone, Copy)]
enum TxError {
    /// Lost a deadlock or serialization race: rolled back whole, safe to run again.
    Retryable,
    /// A statement failed for a reason a retry will not fix; the batch is split so only the culprit fails.
    Statement,
    /// No connection, or the connection died: the outcome of a commit in flight is unknown.
    Unavailable,
}

/// How a transaction runs: `LedgerConfig::retries_max` and `LedgerConfig::single_statement`.
#[derive(Clone, Copy)]
struct TxOptions {
    retries_max: u32,
    single_statement: bool,
}

async fn run_batch(
    pool: Pool,
    batch: Vec<Pending>,
    options: TxOptions,
    metrics: Arc<LedgerMetrics>,
) {
    let commands: Vec<&LedgerCommand> = batch.iter().map(|p| &p.command).collect();
    let results = execute_isolating(&pool, &commands, options, &metrics).await;
    for (pending, result) in batch.into_iter().zip(results) {
        // The submitter may have given up waiting; the outcome is recorded under its key either way.
        let _ = pending.reply.send(result);
    }
}

/// Runs the commands in one transaction. When a statement fails for a non-transient reason, the batch is split in
/// halves, each run the same way, so a bad command fails only itself and the others commit in about
/// 2·log2(batch) transactions.
fn execute_isolating<'a>(
    pool: &'a Pool,
    commands: &'a [&'a LedgerCommand],
    options: TxOptions,
    metrics: &'a LedgerMetrics,
) -> futures_util::future::BoxFuture<'a, Vec<Result<LedgerReply, LedgerError>>> {
    Box::pin(async move {
        match execute_with_retries(pool, commands, options, metrics).await {
            Ok(replies) => replies.into_iter().map(Ok).collect(),
            Err(TxError::Statement) if commands.len() > 1 => {
                let (left, right) = commands.split_at(commands.len() / 2);
                let mut results = execute_isolating(pool, left, options, metrics).await;
                results.extend(execute_isolating(pool, right, options, metrics).await);
                results
            }
            Err(e) => commands.iter().map(|_| lone_failure(e)).collect(),
        }
    })
}

/// The answer for commands whose transaction failed: a statement error here is a command that failed alone.
fn lone_failure(error: TxError) -> Result<LedgerReply, LedgerError> {
    match error {
        // Alone and still refused by a constraint: this command is the culprit, and retrying will not change that.
        TxError::Statement => Ok(LedgerReply {
            outcome: LedgerOutcome::Rejected,
            replayed: false,
        }),
        TxError::Retryable | TxError::Unavailable => Err(LedgerError::Unavailable),
    }
}

async fn execute_with_retries(
    pool: &Pool,
    commands: &[&LedgerCommand],
    options: TxOptions,
    metrics: &LedgerMetrics,
) -> Result<Vec<LedgerReply>, TxError> {
    let mut attempt = 0;
    loop {
        match execute(pool, commands, options.single_statement, metrics).await {
            Err(TxError::Retryable) if attempt < options.retries_max => {
                attempt += 1;
                metrics.retries.fetch_add(1, Ordering::Relaxed);
                // Back off a little so the winner of the race can commit.
                tokio::time::sleep(std::time::Duration::from_millis(2 << attempt.min(6))).await;
            }
            other => return other,
        }
    }
}

async fn execute(
    pool: &Pool,
    commands: &[&LedgerCommand],
    single_statement: bool,
    metrics: &LedgerMetrics,
) -> Result<Vec<LedgerReply>, TxError> {
    let started = std::time::Instant::now();
    let result = execute_timed(pool, commands, single_statement, metrics).await;
    match &result {
        Ok(_) => {
            metrics.batch_size.observe(commands.len() as f64);
            metrics
                .latency_ms
                .observe(started.elapsed().as_secs_f64() * 1_000.0);
        }
        Err(TxError::Unavailable) => {
            metrics.unavailable.fetch_add(1, Ordering::Relaxed);
        }
        Err(_) => {}
    }
    result
}

async fn execute_timed(
    pool: &Pool,
    commands: &[&LedgerCommand],
    single_statement: bool,
    metrics: &LedgerMetrics,
) -> Result<Vec<LedgerReply>, TxError> {
    let client = pool.get().await.map_err(|e| {
        tracing::warn!(error = %e, "ledger: no database connection");
        TxError::Unavailable
    })?;
    if let [command] = commands
        && single_statement
        && matches!(
            command.op,
            LedgerOp::Accrue { .. } | LedgerOp::Redeem { .. }
        )
        && let Some(reply) = execute_one(&client, command).await?
    {
        metrics.transactions.fetch_add(1, Ordering::Relaxed);
        metrics.commands.fetch_add(1, Ordering::Relaxed);
        return Ok(vec![reply]);
    }
    let statement = client.prepare_cached(APPLY_SQL).await.map_err(classify)?;
    let params = BatchParams::new(commands);
    // One round trip: BEGIN, the batch and COMMIT are pipelined on the connection and run in this order. The
    // replies count only once COMMIT has answered, so nothing is acknowledged before it is durable. After a failed
    // statement, Postgres answers COMMIT by rolling back.
    let begin = client.batch_execute("BEGIN");
    let refs = params.refs();
    let apply = client.query(&statement, &refs);
    let commit = client.batch_execute("COMMIT");
    let (begun, rows, committed) = futures_util::future::join3(begin, apply, commit).await;
    begun.map_err(classify)?;
    let rows = rows.map_err(classify)?;
    committed.map_err(classify)?;
    if rows.len() != commands.len() {
        tracing::error!(
            rows = rows.len(),
            commands = commands.len(),
            "ledger: ledger_apply_batch answered the wrong number of rows"
        );
        return Err(TxError::Unavailable);
    }
    let replies = rows
        .iter()
        .map(reply_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            // Committed, but unreadable: the outcome is recorded under each key, and a retry replays it.
            tracing::error!(error = %e, "ledger: unreadable ledger_apply_batch row");
            TxError::Unavailable
        })?;
    metrics.transactions.fetch_add(1, Ordering::Relaxed);
    metrics
        .commands
        .fetch_add(commands.len() as u64, Ordering::Relaxed);
    Ok(replies)
}

/// One accrual or redemption in its own transaction through `APPLY_ONE_SQL`: BEGIN, the key's lock, the statement
/// and COMMIT in one round trip. `None` when the command needs `ledger_apply_batch()` (nothing was written).
async fn execute_one(
    client: &deadpool_postgres::Object,
    command: &LedgerCommand,
) -> Result<Option<LedgerReply>, TxError> {
    let lock = client
        .prepare_cached(KEY_LOCK_SQL)
        .await
        .map_err(classify)?;
    let apply = client
        .prepare_cached(APPLY_ONE_SQL)
        .await
        .map_err(classify)?;
    let p = ApplyParams::from(command);
    let lock_params: [&(dyn ToSql + Sync); 1] = [&p.key];
    let apply_params: [&(dyn ToSql + Sync); 8] = [
        &p.key,
        &p.fingerprint,
        &p.kind,
        &p.client,
        &p.partner,
        &p.points,
        &p.receipt,
        &p.rate_bp,
    ];
    let begin = client.batch_execute("BEGIN");
    let locked = client.execute(&lock, &lock_params);
    let rows = client.query(&apply, &apply_params);
    let commit = client.batch_execute("COMMIT");
    let (begun, locked, rows, committed) =
        futures_util::future::join4(begin, locked, rows, commit).await;
    begun.map_err(classify)?;
    locked.map_err(classify)?;
    let rows = rows.map_err(classify)?;
    committed.map_err(classify)?;
    let [row] = rows.as_slice() else {
        tracing::error!(
            rows = rows.len(),
            "ledger: ledger_apply_one answered the wrong number of rows"
        );
        return Err(TxError::Unavailable);
    };
    if row.try_get::<_, Option<&str>>(0).ok().flatten() == Some("fallback") {
        return Ok(None);
    }
    reply_from_row(row).map(Some).map_err(|e| {
        // Committed, but unreadable: the outcome is recorded under the key, and a retry replays it.
        tracing::error!(error = %e, "ledger: unreadable ledger_apply_one row");
        TxError::Unavailable
    })
}

fn classify(error: tokio_postgres::Error) -> TxError {
    match error.code() {
        Some(code)
            if *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::T_R_SERIALIZATION_FAILURE =>
        {
            TxError::Retryable
        }
        Some(code) if server_side_transient(code) => {
            tracing::warn!(code = code.code(), error = %error, "ledger: Postgres could not run the transaction now");
            TxError::Unavailable
        }
        Some(code) => {
            let detail = error
                .as_db_error()
                .map_or_else(|| error.to_string(), |db| db.message().to_owned());
            tracing::error!(code = code.code(), %detail, "ledger: statement failed");
            TxError::Statement
        }
        None => {
            tracing::warn!(error = %error, "ledger: connection failed");
            TxError::Unavailable
        }
    }
}

/// Whether an error with this SQLSTATE says nothing about the commands, only about Postgres now: a connection
/// exception (class 08), insufficient resources (53), operator intervention (57: a query cancelled, the server
/// shutting down), a system error (58), or a lock waited for past `lock_timeout` (55P03). The transaction rolled
/// back whole; taken for a statement error, the batch would be split and a lone command answered `Rejected`, a
/// refusal of a valid command. The submitter retries it under its key instead.
fn server_side_transient(code: &SqlState) -> bool {
    let code = code.code();
    ["08", "53", "57", "58"]
        .iter()
        .any(|class| code.starts_with(class))
        || code == "55P03"
}

/// One command's parameters of `ledger_apply_batch`.
struct ApplyParams {
    key: String,
    fingerprint: String,
    kind: &'static str,
    client: Option<i64>,
    partner: Option<i64>,
    points: i64,
    receipt: Option<i64>,
    rate_bp: Option<i32>,
    reverses: Option<i64>,
    reason: Option<String>,
    actor: Option<i64>,
}

/// The eleven parallel arrays of `ledger_apply_batch`, one element per command.
#[derive(Default)]
struct BatchParams {
    keys: Vec<String>,
    fingerprints: Vec<String>,
    kinds: Vec<&'static str>,
    clients: Vec<Option<i64>>,
    partners: Vec<Option<i64>>,
    points: Vec<i64>,
    receipts: Vec<Option<i64>>,
    rate_bps: Vec<Option<i32>>,
    reverses: Vec<Option<i64>>,
    reasons: Vec<Option<String>>,
    actors: Vec<Option<i64>>,
}

impl BatchParams {
    fn new(commands: &[&LedgerCommand]) -> BatchParams {
        let mut b = BatchParams::default();
        for command in commands {
            let p = ApplyParams::from(*command);
            b.keys.push(p.key);
            b.fingerprints.push(p.fingerprint);
            b.kinds.push(p.kind);
            b.clients.push(p.client);
            b.partners.push(p.partner);
            b.points.push(p.points);
            b.receipts.push(p.receipt);
            b.rate_bps.push(p.rate_bp);
            b.reverses.push(p.reverses);
            b.reasons.push(p.reason);
            b.actors.push(p.actor);
        }
        b
    }

    fn refs(&self) -> [&(dyn ToSql + Sync); 11] {
        [
            &self.keys,
            &self.fingerprints,
            &self.kinds,
            &self.clients,
            &self.partners,
            &self.points,
            &self.receipts,
            &self.rate_bps,
            &self.reverses,
            &self.reasons,
            &self.actors,
        ]
    }
}

impl From<&LedgerCommand> for ApplyParams {
    fn from(command: &LedgerCommand) -> ApplyParams {
        let mut p = ApplyParams {
            key: command.key.as_str().to_owned(),
            fingerprint: command.op.fingerprint(),
            kind: command.op.kind(),
            client: None,
            partner: None,
            points: 0,
            receipt: None,
            rate_bp: None,
            reverses: None,
            reason: None,
            actor: None,
        };
        match &command.op {
            LedgerOp::Accrue {
                client,
                partner,
                receipt,
                rate,
            } => {
                p.client = Some(client.0);
                p.partner = Some(partner.0);
                // The handler refuses zero-point accruals before they get here.
                p.points = accrual_points(*receipt, *rate).map_or(0, Points::get);
                p.receipt = Some(receipt.get());
                p.rate_bp = i32::try_from(rate.basis_points()).ok();
            }
            LedgerOp::Redeem {
                client,
                partner,
                points,
                receipt,
            } => {
                p.client = Some(client.0);
                p.partner = Some(partner.0);
                p.points = points.get();
                p.receipt = receipt.map(|r| r.get());
            }
            LedgerOp::WelcomeBonus {
                client,
                referrer,
                points,
            } => {
                p.client = Some(client.0);
                p.partner = referrer.map(|r| r.0);
                p.points = points.get();
            }
            LedgerOp::Reverse {
                operation,
                admin_id,
                reason,
            } => {
                p.reverses = Some(operation.0);
                p.reason = Some(reason.clone());
                p.actor = Some(*admin_id);
            }
        }
        p
    }
}

fn reply_from_row(row: &tokio_postgres::Row) -> Result<LedgerReply, String> {
    let outcome: Option<String> = row.try_get(0).map_err(|e| e.to_string())?;
    let operation: Option<i64> = row.try_get(1).map_err(|e| e.to_string())?;
    let points: Option<i64> = row.try_get(2).map_err(|e| e.to_string())?;
    let balance: Option<i64> = row.try_get(3).map_err(|e| e.to_string())?;
    let replayed: bool = row.try_get(4).map_err(|e| e.to_string())?;
    let balance_or_zero = balance.unwrap_or(0);
    let outcome = match outcome.as_deref() {
        Some("applied") => LedgerOutcome::Applied {
            operation: OperationId(operation.ok_or("applied without operation id")?),
            points: Points::new(points.ok_or("applied without points")?)
                .map_err(|e| e.to_string())?,
            balance: balance_or_zero,
        },
        Some("key_reused") => LedgerOutcome::KeyReusedWithOtherParams,
        Some("client_not_found") => LedgerOutcome::ClientNotFound,
        Some("partner_not_found") => LedgerOutcome::PartnerNotFound,
        Some("partner_not_active") => LedgerOutcome::PartnerNotActive,
        Some("operation_not_found") => LedgerOutcome::OperationNotFound,
        Some("not_reversible") => LedgerOutcome::NotReversible,
        Some("already_reversed") => LedgerOutcome::AlreadyReversed,
        Some("welcome_already_granted") => LedgerOutcome::WelcomeAlreadyGranted {
            balance: balance_or_zero,
        },
        Some("insufficient_points") => LedgerOutcome::InsufficientPoints {
            balance: balance_or_zero,
        },
        Some("rejected") => LedgerOutcome::Rejected,
        other => return Err(format!("unknown ledger outcome {other:?}")),
    };
    Ok(LedgerReply { outcome, replayed })
}
