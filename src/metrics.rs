//! `/metrics`: every figure of the process in the OpenMetrics text format, encoded by `prometheus-client`.
//!
//! The counters stay where they are counted (the ingress's, the outbox's and the ledger's metrics structs, plain
//! atomics on the hot path); a scrape builds a registry from them and encodes it. Histograms and the per-bot
//! families are `prometheus-client` metrics themselves (an `Arc` inside), registered by clone. No global registry:
//! several products run in one test process, each with its own figures.
//!
//! Names are kept from the hand-written format this replaced (`loyalty_updates_total{outcome}`, ...): dashboards,
//! the load harness and the tests read them. Times are in milliseconds (`_ms`).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use fsm::BotKind;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::telegram::convert::Ignored;
use crate::telegram::ingress::{Accepted, Ingress, NotAccepted};
use crate::telegram::outbox::OutboxMetrics;

/// Upper bounds (ms) of the step-latency buckets: a step is a Redis round trip or two (~1 ms) plus the dialogue's
/// own work, up to seconds when Postgres or the ledger is slow.
const STEP_BUCKETS_MS: [f64; 12] = [
    1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_500.0, 5_000.0,
];

/// `{bot="partner"}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BotLabel {
    pub bot: &'static str,
}

/// `{bot="client",outcome="processed"}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BotOutcome {
    pub bot: &'static str,
    pub outcome: &'static str,
}

/// `{component="outbox"}`: which part of the product met the error.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Component {
    component: &'static str,
}

fn step_histogram() -> Histogram {
    Histogram::new(STEP_BUCKETS_MS)
}

/// The ingress's figures by bot, and the storage errors its sessions met. Part of
/// [`crate::telegram::ingress::IngressMetrics`].
#[derive(Debug)]
pub struct BotMetrics {
    /// Updates delivered by Telegram (redeliveries included), by bot.
    received: Family<BotLabel, Counter>,
    /// Updates by bot and outcome (`processed`, `duplicate`, `rate_limited`, `ignored`, `unavailable`,
    /// `failed_permanent`, `dead_lettered`).
    outcomes: Family<BotOutcome, Counter>,
    /// From an update's arrival at the ingress to its transition committed (outcome `processed` only), ms.
    step_ms: Family<BotLabel, Histogram, fn() -> Histogram>,
    /// `pending_update_count` of `getWebhookInfo`, by bot (webhook mode only, polled every 30 s).
    pub webhook_pending: Family<BotLabel, Gauge>,
    /// Steps that failed on Redis (state store, dead-letter count).
    pub redis_errors: AtomicU64,
    /// Steps that failed on Postgres (the dialogue's queries).
    pub postgres_errors: AtomicU64,
}

impl Default for BotMetrics {
    fn default() -> Self {
        BotMetrics {
            received: Family::default(),
            outcomes: Family::default(),
            step_ms: Family::new_with_constructor(step_histogram),
            webhook_pending: Family::default(),
            redis_errors: AtomicU64::new(0),
            postgres_errors: AtomicU64::new(0),
        }
    }
}

impl BotMetrics {
    /// Counts one update of `bot` that ended as `outcome`, `elapsed` after it arrived.
    pub fn record(&self, bot: BotKind, outcome: &Result<Accepted, NotAccepted>, elapsed: Duration) {
        let bot = bot.as_str();
        self.received.get_or_create(&BotLabel { bot }).inc();
        let outcome = match outcome {
            Ok(Accepted::Processed) => {
                self.step_ms
                    .get_or_create(&BotLabel { bot })
                    .observe(elapsed.as_secs_f64() * 1_000.0);
                "processed"
            }
            Ok(Accepted::Duplicate) => "duplicate",
            Ok(Accepted::Dropped) => "rate_limited",
            Ok(Accepted::Ignored) => "ignored",
            Ok(Accepted::FailedPermanently) => "failed_permanent",
            Ok(Accepted::DeadLettered) => "dead_lettered",
            Err(NotAccepted) => "unavailable",
        };
        self.outcomes
            .get_or_create(&BotOutcome { bot, outcome })
            .inc();
    }

    /// Counts a step's storage error by where it happened.
    pub fn storage_error(&self, error: &actors::session::SessionError) {
        use actors::session::SessionError;
        match error {
            SessionError::StoreUnavailable => self.redis_errors.fetch_add(1, Relaxed),
            SessionError::DatabaseUnavailable(_) => self.postgres_errors.fetch_add(1, Relaxed),
            SessionError::Contention | SessionError::Stopped => 0,
        };
    }
}

/// What a scrape reads. Every part but the ledger is there only once the bots run.
pub struct Sources<'a> {
    pub ledger: &'a actors::LedgerMetrics,
    pub ingress: Option<&'a Ingress>,
    pub outbox: Option<&'a OutboxMetrics>,
    pub sessions_live: Option<usize>,
}

/// A counter whose value is `value` (read from an atomic at scrape time).
fn counter(value: u64) -> Counter {
    let c = Counter::default();
    c.inc_by(value);
    c
}

fn gauge(value: u64) -> Gauge {
    let g = Gauge::default();
    g.set(i64::try_from(value).unwrap_or(i64::MAX));
    g
}

/// A family of counters from `(labels, value)` pairs.
fn counters<S: Clone + std::hash::Hash + Eq>(samples: &[(S, u64)]) -> Family<S, Counter> {
    let family = Family::<S, Counter>::default();
    for (labels, value) in samples {
        family.get_or_create(labels).inc_by(*value);
    }
    family
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

/// The OpenMetrics text of every figure in `sources`.
pub fn encode(sources: &Sources<'_>) -> String {
    let mut r = Registry::with_prefix("loyalty");
    let l = sources.ledger;
    r.register(
        "ledger_commands",
        "Ledger commands committed",
        counter(l.commands.load(Relaxed)),
    );
    r.register(
        "ledger_transactions",
        "Ledger transactions committed",
        counter(l.transactions.load(Relaxed)),
    );
    r.register(
        "ledger_retries",
        "Ledger transactions retried",
        counter(l.retries.load(Relaxed)),
    );
    r.register(
        "ledger_overloaded",
        "Ledger commands refused, queue full",
        counter(l.overloaded.load(Relaxed)),
    );
    r.register(
        "ledger_batch_size",
        "Commands per committed ledger transaction",
        l.batch_size.clone(),
    );
    r.register(
        "ledger_transaction_latency_ms",
        "A committed ledger transaction, from taking a connection to COMMIT answered, ms",
        l.latency_ms.clone(),
    );
    let mut redis_errors = Vec::new();
    let mut postgres_errors = vec![(
        Component {
            component: "ledger",
        },
        l.unavailable.load(Relaxed),
    )];
    if let Some(ingress) = sources.ingress {
        let m = &ingress.metrics;
        let ignored: u64 = Ignored::ALL.iter().map(|&r| m.ignored(r)).sum();
        let outcome = |outcome| OutcomeLabel { outcome };
        r.register(
            "updates",
            "Incoming updates by outcome",
            counters(&[
                (outcome("processed"), m.processed.load(Relaxed)),
                (outcome("duplicate"), m.duplicates.load(Relaxed)),
                (
                    outcome("rate_limited"),
                    m.dropped_rate_limited.load(Relaxed),
                ),
                (outcome("ignored"), ignored),
                (outcome("unavailable"), m.unavailable.load(Relaxed)),
                (
                    outcome("failed_permanent"),
                    m.failed_permanent.load(Relaxed),
                ),
                (outcome("dead_lettered"), m.dead_lettered.load(Relaxed)),
            ]),
        );
        let by_reason: Vec<(ReasonLabel, u64)> = Ignored::ALL
            .iter()
            .map(|&reason| {
                (
                    ReasonLabel {
                        reason: reason.as_str(),
                    },
                    m.ignored(reason),
                )
            })
            .collect();
        r.register(
            "updates_ignored",
            "Updates acknowledged and not processed, by reason",
            counters(&by_reason),
        );
        let b = &m.by_bot;
        r.register(
            "bot_updates_received",
            "Updates delivered by Telegram, redeliveries included, by bot",
            b.received.clone(),
        );
        r.register(
            "bot_updates",
            "Updates by bot and outcome",
            b.outcomes.clone(),
        );
        r.register(
            "step_latency_ms",
            "From an update's arrival to its transition committed, ms, by bot",
            b.step_ms.clone(),
        );
        r.register(
            "webhook_pending_updates",
            "Updates Telegram holds for the webhook (getWebhookInfo), by bot",
            b.webhook_pending.clone(),
        );
        r.register(
            "rate_limiter_keys",
            "Users tracked by the rate limiters",
            gauge(ingress.limiter_keys() as u64),
        );
        r.register(
            "shared_limit_unavailable",
            "Rate-limit checks that found Redis unavailable and let the local limit decide",
            counter(ingress.shared_limit_unavailable()),
        );
        redis_errors.push((
            Component {
                component: "sessions",
            },
            b.redis_errors.load(Relaxed),
        ));
        postgres_errors.push((
            Component {
                component: "sessions",
            },
            b.postgres_errors.load(Relaxed),
        ));
    }
    if let Some(o) = sources.outbox {
        encode_outbox(&mut r, o);
        redis_errors.push((
            Component {
                component: "outbox",
            },
            o.redis_errors.load(Relaxed),
        ));
    }
    if let Some(live) = sources.sessions_live {
        r.register("sessions_live", "Session actors alive", gauge(live as u64));
    }
    r.register(
        "redis_errors",
        "Operations that failed on Redis, by component",
        counters(&redis_errors),
    );
    r.register(
        "postgres_errors",
        "Operations that failed on Postgres, by component",
        counters(&postgres_errors),
    );
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &r);
    out
}

fn encode_outbox(r: &mut Registry, o: &OutboxMetrics) {
    r.register(
        "outbox_queue_depth",
        "Messages waiting to be sent",
        gauge(o.depth()),
    );
    let result = |result| ResultLabel { result };
    r.register(
        "outbox_messages",
        "Outgoing messages by result",
        counters(&[
            (result("sent"), o.sent.load(Relaxed)),
            (result("failed"), o.failed.load(Relaxed)),
            (
                result("dropped_queue_full"),
                o.dropped_queue_full.load(Relaxed),
            ),
        ]),
    );
    r.register(
        "outbox_retry_after_waits",
        "Telegram 429 answers waited out (retry_after)",
        counter(o.retry_after_waits.load(Relaxed)),
    );
    r.register(
        "outbox_retry_after_wait_ms",
        "Time spent waiting out Telegram 429 answers, ms",
        counter(o.retry_after_wait_ms.load(Relaxed)),
    );
    r.register(
        "outbox_claimed",
        "Stream entries taken over from another (dead or previous) consumer",
        counter(o.claimed.load(Relaxed)),
    );
    r.register(
        "outbox_task_restarts",
        "Outbox tasks (stream readers, lease keepers, acknowledgers) that panicked and were started again",
        counter(o.restarts.load(Relaxed)),
    );
    r.register(
        "outbox_refused",
        "Messages Telegram refused for good (blocked, chat not found): recorded, not retried",
        counter(o.refused.load(Relaxed)),
    );
    // One sample per stream this process has seen (it reads the figures of the streams whose lease it holds):
    // `{bot="partner",group="3"}`, so a stream that falls behind shows itself; `sum()` gives the bot's total.
    let (length, pending) = (
        Family::<StreamLabel, Gauge>::default(),
        Family::<StreamLabel, Gauge>::default(),
    );
    if let Ok(streams) = o.streams.lock() {
        for ((bot, group), (len, lag)) in streams.iter() {
            let labels = StreamLabel {
                bot: bot.as_str(),
                group: group.to_string(),
            };
            length
                .get_or_create(&labels)
                .set(i64::try_from(*len).unwrap_or(i64::MAX));
            pending
                .get_or_create(&labels)
                .set(i64::try_from(*lag).unwrap_or(i64::MAX));
        }
    }
    r.register(
        "outbox_stream_entries",
        "Replies in an outbox stream (committed, not yet acknowledged), as last seen, by bot and group",
        length,
    );
    r.register(
        "outbox_stream_pending",
        "Entries of an outbox stream read by a consumer and not yet acknowledged (the lag), as last seen, by bot and group",
        pending,
    );
}

/// `{bot="partner",group="3"}`: an outbox stream, by its bot and the chat group whose replies it carries.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StreamLabel {
    bot: &'static str,
    group: String,
}
