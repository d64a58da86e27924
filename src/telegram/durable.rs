//! Durable replies: the outbox side of the Redis streams the session commits append to
//! (`actors::session::store`, `{ns}out:v2:{<group>}:{bot}`, one stream per bot and chat group).
//!
//! Per stream, every process runs one reader. Only the holder of the stream's lease (`{stream}:lease`, a `SET NX
//! PX` renewed every third of its life) reads it, so the replies to a chat go out in order even with several
//! replicas; the others wait for the lease. A reader that takes the lease first takes over, with `XAUTOCLAIM`, every
//! entry another consumer (a dead replica, or this process before a restart) read and did not acknowledge, and
//! sends those, in stream order (after `TAKEOVER_GRACE` when the lease ran out rather than being given back: that
//! consumer may be one retry from acknowledging them); then it reads new entries (`XREADGROUP`, group `outbox`, COUNT a batch, BLOCK).
//!
//! The reader only reads and dispatches: every chat has a lane (a task with a FIFO queue) that sends its entries one
//! after another under Telegram's per-chat limit, so a chat with a backlog (a user flooding the bot) delays only
//! itself, never the other chats of its stream. An entry is acknowledged and deleted (`XACK` + `XDEL`, batched by
//! one acknowledger task per stream) after Telegram accepted it or refused it for good; a crash in between sends it
//! again (at least once, the window being one HTTP answer). Entries handed to a lane stay "in flight" until their
//! acknowledgement has landed, and the periodic takeover of idle entries skips them, so a slow lane is never sent
//! twice. An acknowledgement that fails (Redis away) is retried until it lands, its entry in flight until then, so a
//! takeover after the outage by this process skips it rather than sending it again, and another process's takeover
//! waits the grace for it; a lane that loses the lease gives back only the entries it did not send. A 403 "bot was
//! blocked" from the client bot marks the client (`clients.blocked_bot_at`). A message whose reply is tracked
//! (`Reply::track`: a consent request) has its Telegram message id recorded once sent
//! (`actors::outgoing::record_sent`), before it is acknowledged.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::actors::outgoing::Outgoing;
use ::actors::redis_conn::{Redis, RedisClient};
use ::actors::session::store::outbox_stream_key;
use anyhow::Context;
use fsm::BotKind;
use teloxide_core::{ApiError, RequestError};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::BotApiClients;
use super::outbox::{Limits, OutboxMetrics, Sent, send_with_retries};

/// The consumer group every process reads the outbox streams in.
const GROUP: &str = "outbox";
/// Pause after a Redis error before trying again.
const REDIS_RETRY: Duration = Duration::from_secs(1);
/// How often a failed acknowledgement is tried again: short, because until it lands its entries hold the stream's
/// lease at shutdown and count as pending.
const ACK_RETRY: Duration = Duration::from_millis(200);
/// How long a reader that has just taken a lease that ran out (not one given back) leaves the entries another
/// consumer has pending before it claims them: that consumer may have sent them and be a retry away from
/// acknowledging them (its acknowledgement failed while Redis was away, and Redis came back after the lease ran
/// out). Best effort: five acknowledgement retries after a Redis restart, but not an acknowledgement stuck on a dead
/// socket for the connection's answer timeout (a network partition), nor a Telegram answer later than this; those
/// can still be sent twice. A dead consumer's replies wait this much longer than the lease.
const TAKEOVER_GRACE: Duration = Duration::from_secs(1);
/// A chat's lane ends after this long without entries (a new entry starts a new one).
const LANE_IDLE: Duration = Duration::from_secs(5);
/// Entries of one stream in flight (dispatched, not yet acknowledged), as batches of `outbox_read_batch`: beyond,
/// the reader waits before reading more, so a flood cannot grow memory without bound.
const IN_FLIGHT_BATCHES: usize = 16;
/// The longest an `XREADGROUP` blocks (a third of the lease when that is shorter). At stop the lease is given back
/// only after the reader's last read has ended in Redis (`Reader::reading`), so this bounds what a graceful stop
/// waits for it; an idle stream costs a read per block.
const READ_BLOCK_MAX: Duration = Duration::from_millis(500);
/// Beyond the block, how long the stopping reader waits for its last read's answer.
const READ_END_SLACK: Duration = Duration::from_millis(200);

/// How long one `XREADGROUP` of a stream with this lease blocks.
fn read_block(lease: Duration) -> Duration {
    (lease / 3).clamp(Duration::from_millis(1), READ_BLOCK_MAX)
}

/// Most ids in one `XACK` + `XDEL` round trip.
const ACK_BATCH_MAX: usize = 512;

/// What the readers need to know.
#[derive(Clone)]
pub struct DurableSettings {
    pub namespace: String,
    /// Streams per bot (chat groups); must equal the session store's.
    pub streams_per_bot: usize,
    /// How long a stream's lease lasts without renewal: how long a dead replica's replies wait for a survivor.
    pub lease: Duration,
    /// Entries read per `XREADGROUP` / `XAUTOCLAIM`.
    pub batch: usize,
    /// This process's consumer name: `{pid}-{random}`, new on every start.
    pub consumer: String,
}

/// One stream's reader and what it shares.
struct Reader {
    key: String,
    lease_key: String,
    bot_kind: BotKind,
    /// The chat group whose replies this stream carries (`0..streams_per_bot`).
    group: usize,
    bot: teloxide_core::Bot,
    limits: Arc<Limits>,
    metrics: Arc<OutboxMetrics>,
    settings: DurableSettings,
    shared: Redis,
    pg: deadpool_postgres::Pool,
    holds: Arc<AtomicBool>,
    /// Until when (µs since `epoch`) the lease is certainly still this process's: the time before the last
    /// successful take or renewal, plus the lease, less a tenth. Lanes check it before every send, so a process
    /// frozen past its lease (SIGSTOP) sends nothing once it runs again, before its lease keeper even notices.
    valid_until_us: AtomicU64,
    epoch: Instant,
    /// For the reader's own connection (a blocking read must not hold the shared one), made again after an error
    /// (a single node's multiplexed connection does not reconnect).
    client: RedisClient,
    /// The answer timeout of the reader's connection: above the block.
    read_timeout: Duration,
    /// The lanes of the chats with entries under way, by chat id.
    lanes: Mutex<HashMap<i64, mpsc::UnboundedSender<(String, Outgoing)>>>,
    /// Ids dispatched to a lane whose acknowledgement has not landed yet. They leave it only when it has landed, or
    /// when their lane gives them back unsent (`abandon`): an id sent and waiting for its acknowledgement stays,
    /// through a lost lease and a Redis outage, so no takeover by this process sends it again.
    in_flight: Mutex<HashSet<String>>,
    /// To the stream's acknowledger.
    acks: mpsc::UnboundedSender<String>,
    /// Lanes in the middle of a send (from their check of the lease to the id queued for acknowledgement).
    sending: AtomicUsize,
    /// Ids queued for acknowledgement whose `XACK` has not answered yet.
    unacked: AtomicUsize,
    /// The reader's `XREADGROUP` may still be blocked in Redis. Dropping the read does not end it there: an entry
    /// arriving before its block ends would be delivered to this consumer, which stops without sending it, and
    /// would wait a whole lease for the next holder's periodic claim, behind that chat's newer replies. So a
    /// stopping reader waits for its last read to end, and its lease keeper gives the lease back only then.
    reading: AtomicBool,
}

/// Creates the consumer groups and starts one reader (and its lease keeper) per stream of every bot.
#[allow(clippy::too_many_arguments)]
pub async fn start(
    client: &RedisClient,
    shared: Redis,
    pg: deadpool_postgres::Pool,
    bots: &BotApiClients,
    limits: &HashMap<BotKind, Arc<Limits>>,
    metrics: Arc<OutboxMetrics>,
    settings: DurableSettings,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    // A blocking read holds its connection: each reader has its own, with a response timeout above the block.
    let read_timeout = read_block(settings.lease) + Duration::from_secs(2);
    for kind in bots.kinds() {
        let (Some(bot), Some(limits)) = (bots.get(kind).cloned(), limits.get(&kind).cloned())
        else {
            continue;
        };
        for group in 0..settings.streams_per_bot.max(1) {
            let key = outbox_stream_key(&settings.namespace, kind, group);
            create_group(&mut shared.clone(), &key)
                .await
                .context("creating the outbox consumer group")?;
            let (acks, ack_queue) = mpsc::unbounded_channel();
            let ack_queue = Arc::new(tokio::sync::Mutex::new(ack_queue));
            let reader = Arc::new(Reader {
                lease_key: format!("{key}:lease"),
                key,
                bot_kind: kind,
                group,
                bot: bot.clone(),
                limits: limits.clone(),
                metrics: metrics.clone(),
                settings: settings.clone(),
                shared: shared.clone(),
                pg: pg.clone(),
                holds: Arc::new(AtomicBool::new(false)),
                valid_until_us: AtomicU64::new(0),
                epoch: Instant::now(),
                client: client.clone(),
                read_timeout,
                lanes: Mutex::new(HashMap::new()),
                in_flight: Mutex::new(HashSet::new()),
                acks,
                sending: AtomicUsize::new(0),
                unacked: AtomicUsize::new(0),
                reading: AtomicBool::new(false),
            });
            // Each task is started again if it panics: a dead reader would leave its stream's replies unsent
            // with nothing to say so (`/readyz` also names a reader that stopped going round).
            {
                let (r, queue) = (reader.clone(), ack_queue.clone());
                supervise("acknowledger", &reader, stop.clone(), move || {
                    acknowledger(r.clone(), queue.clone())
                });
            }
            {
                let (r, s) = (reader.clone(), stop.clone());
                supervise("lease", &reader, stop.clone(), move || {
                    keep_lease(r.clone(), s.clone())
                });
            }
            {
                let (r, s) = (reader.clone(), stop.clone());
                supervise("reader", &reader, stop.clone(), move || {
                    run_reader(r.clone(), s.clone())
                });
            }
        }
    }
    Ok(())
}

/// Runs the task `make` builds until it returns; if it panics, logs it, counts it and starts a new one (after a
/// second, so a task that panics at once does not spin), until `stop`.
fn supervise<F, Fut>(name: &'static str, r: &Arc<Reader>, stop: CancellationToken, make: F)
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let (key, metrics) = (r.key.clone(), r.metrics.clone());
    actix_rt::spawn(async move {
        loop {
            match actix_rt::spawn(make()).await {
                Err(e) if e.is_panic() && !stop.is_cancelled() => {
                    metrics.restarts.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(task = name, stream = %key, "outbox task panicked; starting it again");
                    pause(&stop, Duration::from_secs(1)).await;
                }
                _ => return,
            }
        }
    });
}

/// The group `outbox` on `key` (and the stream), from its first entry; one that exists already is kept.
async fn create_group(conn: &mut Redis, key: &str) -> redis::RedisResult<()> {
    let created: redis::RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(conn)
        .await;
    match created {
        Err(e) if e.code() != Some("BUSYGROUP") => Err(e),
        _ => Ok(()),
    }
}

/// What a lease key holds for a while after its holder gave it back (`RELEASE_LUA`): the stream is free, and the
/// last holder had every entry it sent acknowledged, so the next holder claims what it left at once.
const RELEASED: &str = "released";

/// Takes the lease when free (1, or 2 when its last holder gave it back: `RELEASED`), or keeps it when this
/// consumer still holds it (1: a renewal that failed on a Redis hiccup must not leave the stream unsent until the
/// lease expires); 0 when another consumer holds it.
const ACQUIRE_LUA: &str = r#"
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  if holder == ARGV[3] then return 2 end
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"#;

const RENEW_LUA: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"#;

/// Gives the lease back if ARGV[1] holds it, marked `RELEASED` (ARGV[2]) for a lease (ARGV[3] ms).
const RELEASE_LUA: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"#;

/// Renews the lease while held (and records the stream's length and pending count); releases it on stop, so a
/// restarted process or another replica takes over at once. Before releasing, the lanes' sends under way finish and
/// their acknowledgements land (the next holder must not send them again), and no lane starts another: what they
/// hold stays pending for the next holder. The process's shutdown waits for this (`OutboxMetrics::lease_keepers`)
/// within its grace, and exits at the grace regardless; the lease then expires by itself.
async fn keep_lease(r: Arc<Reader>, stop: CancellationToken) {
    let _running = KeeperRunning::new(&r.metrics);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(r.settings.lease / 3) => {}
        }
        if r.holds.load(Ordering::Acquire) {
            let asked = Instant::now();
            if matches!(renew_lease(&r).await, Ok(1)) {
                r.lease_valid_from(asked);
            } else {
                tracing::warn!(stream = %r.key, "outbox: stream lease lost");
                r.holds.store(false, Ordering::Release);
            }
        }
        let figures: redis::RedisResult<(u64, PendingSummary)> = redis::pipe()
            .cmd("XLEN")
            .arg(&r.key)
            .cmd("XPENDING")
            .arg(&r.key)
            .arg(GROUP)
            .query_async(&mut r.shared.clone())
            .await;
        if let (Ok((len, (pending, ..))), Ok(mut streams)) = (figures, r.metrics.streams.lock()) {
            streams.insert((r.bot_kind, r.group), (len, pending));
        }
    }
    // Whether or not this process believes it holds the lease now: a lane that found it may have run out stops the
    // reader (`holds` false) while the lease can still be ours in Redis, and other lanes may still be sending.
    r.holds.store(false, Ordering::SeqCst);
    // No bound here: a send held up (a 429 wait) keeps the lease until the process exits at its grace, and the
    // lease then expires by itself. Released earlier, the send could wake and go out beside the next holder's.
    // Renewed meanwhile (the scripts act only for the holder), so no other holder starts on the stream under it.
    let mut renewed = Instant::now();
    let stopped = Instant::now();
    // The reader's last read ends within its block (bounded here too, should the reader have died with it).
    let read_ends = read_block(r.settings.lease) + READ_END_SLACK * 2;
    while r.sending.load(Ordering::SeqCst) > 0
        || r.unacked.load(Ordering::SeqCst) > 0
        || (r.reading.load(Ordering::SeqCst) && stopped.elapsed() < read_ends)
    {
        if renewed.elapsed() >= r.settings.lease / 3 {
            renewed = Instant::now();
            let _ = renew_lease(&r).await;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    release_lease(&r).await;
}

/// Renews the stream's lease for another `lease` if this process holds it (`RENEW_LUA`): 1 when renewed.
async fn renew_lease(r: &Reader) -> redis::RedisResult<i64> {
    redis::Script::new(RENEW_LUA)
        .key(&r.lease_key)
        .arg(&r.settings.consumer)
        .arg(r.settings.lease.as_millis() as u64)
        .invoke_async(&mut r.shared.clone())
        .await
}

/// Gives the stream's lease back if this process holds it (`RELEASE_LUA` acts only for the holder). Called only
/// once every entry this process sent has been acknowledged (or it sent none), as `RELEASED` tells the next holder.
async fn release_lease(r: &Reader) {
    let released: redis::RedisResult<i64> = redis::Script::new(RELEASE_LUA)
        .key(&r.lease_key)
        .arg(&r.settings.consumer)
        .arg(RELEASED)
        .arg(r.settings.lease.as_millis() as u64)
        .invoke_async(&mut r.shared.clone())
        .await;
    if let Err(e) = released {
        tracing::warn!(error = %e, "outbox: lease not released; it expires by itself");
    }
}

/// An entry: its id and, unless it was deleted meanwhile, its fields.
type Entry = (String, Option<Vec<String>>);

async fn run_reader(r: Arc<Reader>, stop: CancellationToken) {
    let lease_ms = r.settings.lease.as_millis() as u64;
    let block = read_block(r.settings.lease);
    let block_ms = block.as_millis() as u64;
    let mut handled = 0u32;
    let mut connected: Option<Redis> = None;
    let mut last_claim = Instant::now();
    while !stop.is_cancelled() {
        if let Ok(mut ticks) = r.metrics.reader_ticks.lock() {
            ticks.insert(r.key.clone(), Instant::now());
        }
        let conn = match &mut connected {
            Some(conn) => conn,
            None => match r.client.dedicated(r.read_timeout).await {
                Ok(conn) => connected.insert(conn),
                Err(e) => {
                    r.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "outbox: Redis unavailable");
                    pause(&stop, REDIS_RETRY).await;
                    continue;
                }
            },
        };
        if !r.still_ours() {
            // Not `holds` alone: a process that ran again after a freeze past its lease still has `holds` set until
            // its lease keeper's next renewal fails, and a read now would take new entries another holder is
            // reading, pending to this consumer, late and out of order.
            r.holds.store(false, Ordering::SeqCst);
            // Lanes stop sending once the lease is gone and give back what they held (`abandon`): it stays pending
            // for the next holder. A lane in the middle of a send keeps its entry in flight until it finishes, so a
            // takeover by this process does not send that entry a second time beside it.
            let asked = Instant::now();
            let took: redis::RedisResult<i64> = redis::Script::new(ACQUIRE_LUA)
                .key(&r.lease_key)
                .arg(&r.settings.consumer)
                .arg(lease_ms)
                .arg(RELEASED)
                .invoke_async(conn)
                .await;
            match took {
                Ok(taken @ (1 | 2)) => {
                    r.lease_valid_from(asked);
                    r.holds.store(true, Ordering::SeqCst);
                    if stop.is_cancelled() {
                        // Taken as the process began to stop: start nothing. The lease keeper gives it back if it
                        // saw it held; if it finished first, this does.
                        if r.holds.swap(false, Ordering::SeqCst) {
                            release_lease(&r).await;
                        }
                        break;
                    }
                    if let Err(e) = take_over(&r, conn, &stop, taken == 2).await {
                        tracing::warn!(error = %e, "outbox: claiming pending replies failed");
                        r.holds.store(false, Ordering::Release);
                        recover(&r, &e, &mut connected).await;
                        pause(&stop, REDIS_RETRY).await;
                    }
                    last_claim = Instant::now();
                }
                // Another process holds it: ask again a third of a lease later, as its keeper renews it.
                Ok(_) => pause(&stop, Duration::from_millis((lease_ms / 3).max(1))).await,
                Err(e) => {
                    r.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "outbox: Redis unavailable");
                    connected = None;
                    pause(&stop, REDIS_RETRY).await;
                }
            }
            continue;
        }
        if last_claim.elapsed() >= r.settings.lease {
            // Entries a stopping or stalled consumer read after this reader took the lease: idle for a whole
            // lease, nobody is sending them.
            last_claim = Instant::now();
            if let Err(e) = claim_all(&r, conn, lease_ms).await {
                tracing::warn!(error = %e, "outbox: claiming pending replies failed");
                recover(&r, &e, &mut connected).await;
                continue;
            }
        }
        if in_flight(&r) >= r.settings.batch.max(1) * IN_FLIGHT_BATCHES {
            pause(&stop, Duration::from_millis(20)).await;
            continue;
        }
        let mut command = redis::cmd("XREADGROUP");
        command
            .arg("GROUP")
            .arg(GROUP)
            .arg(&r.settings.consumer)
            .arg("COUNT")
            .arg(r.settings.batch.max(1))
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(&r.key)
            .arg(">");
        r.reading.store(true, Ordering::SeqCst);
        let read = {
            let read = command.query_async::<Option<Vec<(String, Vec<Entry>)>>>(conn);
            tokio::pin!(read);
            tokio::select! {
                () = stop.cancelled() => {
                    // The read ends in Redis when its block does (`Reader::reading`); what it returns is not sent
                    // and stays pending to this consumer, for the next holder to take over at once (the lease
                    // comes back released).
                    let _ = tokio::time::timeout(block + READ_END_SLACK, &mut read).await;
                    r.reading.store(false, Ordering::SeqCst);
                    break;
                }
                read = &mut read => read,
            }
        };
        r.reading.store(false, Ordering::SeqCst);
        match read {
            Ok(_) if stop.is_cancelled() || !r.still_ours() => {}
            Ok(streams) => {
                for (_, entries) in streams.unwrap_or_default() {
                    for entry in entries {
                        dispatch(&r, entry);
                        handled += 1;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "outbox: reading the stream failed");
                recover(&r, &e, &mut connected).await;
                pause(&stop, REDIS_RETRY).await;
            }
        }
        if handled >= 1_000 {
            r.limits.prune();
            handled = 0;
        }
    }
}

/// After a Redis error: a fresh connection next time, and the group again if Redis lost it (restarted empty).
async fn recover(r: &Reader, e: &redis::RedisError, connected: &mut Option<Redis>) {
    r.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
    *connected = None;
    if e.code() == Some("NOGROUP")
        && let Err(e) = create_group(&mut r.shared.clone(), &r.key).await
    {
        tracing::warn!(error = %e, "outbox: consumer group not created again");
    }
}

async fn pause(stop: &CancellationToken, d: Duration) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(d) => {}
    }
}

/// What a reader does on taking the lease, before it reads new entries: takes over every entry read and not
/// acknowledged by another consumer, after `TAKEOVER_GRACE` if there is any and the lease was not given back
/// (`handed_over`: its last holder had all it sent acknowledged) but ran out (that consumer's acknowledgements may be
/// about to land). The lease keeper renews the lease meanwhile; a stop, or the lease lost, ends the wait with nothing
/// claimed (the next holder claims).
async fn take_over(
    r: &Arc<Reader>,
    conn: &mut Redis,
    stop: &CancellationToken,
    handed_over: bool,
) -> redis::RedisResult<()> {
    if !handed_over && others_pending(r, conn).await? {
        pause(stop, TAKEOVER_GRACE).await;
        if stop.is_cancelled() || !r.still_ours() {
            return Ok(());
        }
    }
    claim_all(r, conn, 0).await
}

/// `XPENDING`'s summary of a group: how many entries are pending, the first and last id, and per consumer how many.
type PendingSummary = (
    u64,
    Option<String>,
    Option<String>,
    Option<Vec<(String, u64)>>,
);

/// Whether a consumer other than this process has entries of the stream pending (`XPENDING`'s summary:
/// `[count, first id, last id, [[consumer, count], ...]]`).
async fn others_pending(r: &Reader, conn: &mut Redis) -> redis::RedisResult<bool> {
    let summary: PendingSummary = redis::cmd("XPENDING")
        .arg(&r.key)
        .arg(GROUP)
        .query_async(conn)
        .await?;
    let (count, _, _, consumers) = summary;
    Ok(count > 0
        && consumers
            .unwrap_or_default()
            .iter()
            .any(|(consumer, n)| *n > 0 && *consumer != r.settings.consumer))
}

/// Takes over, in order, every entry of the stream read and not acknowledged by any consumer for `min_idle_ms`, and
/// hands it to its chat's lane, except the ones this reader has in flight already (a slow lane's entries go idle too,
/// and must not be sent twice). Right after taking the lease `min_idle_ms` is 0: no other reader may be working on
/// them any more.
async fn claim_all(r: &Arc<Reader>, conn: &mut Redis, min_idle_ms: u64) -> redis::RedisResult<()> {
    let mut cursor = "0-0".to_owned();
    loop {
        // What was in flight before the claim was asked: an id whose acknowledgement lands in Redis after the claim
        // (so the claim returns it) and is answered before it (so it has left the set by the time the claim's
        // answer is read) is in this copy, and is not sent again. Ids leave the set only once acknowledged.
        let in_flight_before: HashSet<String> = r
            .in_flight
            .lock()
            .map(|set| set.clone())
            .unwrap_or_default();
        let reply: Vec<redis::Value> = redis::cmd("XAUTOCLAIM")
            .arg(&r.key)
            .arg(GROUP)
            .arg(&r.settings.consumer)
            .arg(min_idle_ms)
            .arg(&cursor)
            .arg("COUNT")
            .arg(r.settings.batch.max(1))
            .query_async(conn)
            .await?;
        let mut parts = reply.iter();
        cursor = match parts.next() {
            Some(v) => redis::from_redis_value_ref(v)?,
            None => "0-0".to_owned(),
        };
        let entries: Vec<Entry> = match parts.next() {
            Some(v) => redis::from_redis_value_ref(v)?,
            None => Vec::new(),
        };
        for entry in entries {
            if !r.holds.load(Ordering::Acquire) {
                return Ok(());
            }
            let ours = in_flight_before.contains(&entry.0)
                || r.in_flight.lock().is_ok_and(|set| set.contains(&entry.0));
            if !ours {
                r.metrics.claimed.fetch_add(1, Ordering::Relaxed);
                dispatch(r, entry);
            }
        }
        if cursor == "0-0" {
            return Ok(());
        }
    }
}

/// Hands an entry to its chat's lane (starting one if the chat has none), or acknowledges at once an entry that
/// cannot be sent (deleted meanwhile, or unreadable).
fn dispatch(r: &Arc<Reader>, (id, fields): Entry) {
    r.metrics.queued.fetch_add(1, Ordering::Relaxed);
    let payload = fields.and_then(|f| f.into_iter().nth(1));
    let msg = match payload.map(|p| serde_json::from_str::<Outgoing>(&p)) {
        Some(Ok(msg)) => msg,
        Some(Err(e)) => {
            r.metrics.failed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "outbox: unreadable entry dropped");
            ack(r, id);
            return;
        }
        None => {
            // Deleted meanwhile: nothing to send.
            r.metrics.failed.fetch_add(1, Ordering::Relaxed);
            ack(r, id);
            return;
        }
    };
    if let Ok(mut set) = r.in_flight.lock() {
        set.insert(id.clone());
    }
    let Ok(mut lanes) = r.lanes.lock() else {
        return;
    };
    let chat = msg.chat_id;
    let entry = match lanes.get(&chat) {
        Some(lane) => match lane.send((id, msg)) {
            Ok(()) => return,
            // The lane ended a moment ago: a new one takes the entry.
            Err(mpsc::error::SendError(entry)) => entry,
        },
        None => (id, msg),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let _ = tx.send(entry);
    lanes.insert(chat, tx);
    actix_rt::spawn(lane(r.clone(), chat, rx));
}

/// One chat's lane: sends its entries in order, each under the chat's rate limit, and passes each id to the
/// acknowledger once Telegram answered for good. Ends when idle, or when this process no longer holds the stream
/// (the rest stays pending for the next holder).
async fn lane(r: Arc<Reader>, chat: i64, mut queue: mpsc::UnboundedReceiver<(String, Outgoing)>) {
    loop {
        let next = match tokio::time::timeout(LANE_IDLE, queue.recv()).await {
            Ok(next) => next,
            Err(_) => {
                let Ok(mut lanes) = r.lanes.lock() else {
                    return;
                };
                // Under the map's lock nothing new can arrive: end unless something came meanwhile.
                match queue.try_recv() {
                    Ok(next) => Some(next),
                    Err(_) => {
                        lanes.remove(&chat);
                        return;
                    }
                }
            }
        };
        let Some((id, msg)) = next else {
            return;
        };
        // Counted before the lease is checked: a stopping lease keeper either sees this send or is seen here.
        r.sending.fetch_add(1, Ordering::SeqCst);
        if !r.holds.load(Ordering::SeqCst) {
            r.sending.fetch_sub(1, Ordering::SeqCst);
            abandon(&r, chat, id, &mut queue);
            return;
        }
        match send_with_retries(&r.bot, &msg, &r.limits, &r.metrics, &|| r.still_ours()).await {
            Sent::NotOurs => {
                // The lease may have run out (a renewal late, the process frozen): stop reading and sending until
                // the reader takes it again, so the entries given back here go out first, in stream order, and no
                // newer entry of this chat overtakes them through a new lane.
                r.holds.store(false, Ordering::SeqCst);
                r.sending.fetch_sub(1, Ordering::SeqCst);
                abandon(&r, chat, id, &mut queue);
                return;
            }
            Sent::Failed(e) => refused(&r, &msg, &e).await,
            Sent::Delivered(Some(message_id)) => {
                if let Some(track) = msg.track()
                    && let Err(e) = ::actors::outgoing::record_sent(&r.pg, track, message_id).await
                {
                    tracing::warn!(error = %e, "outbox: the sent message's id was not recorded");
                }
            }
            Sent::Delivered(None) => {}
        }
        ack(&r, id);
        r.sending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Queues `id` for acknowledgement (it stays in flight until the acknowledgement lands).
fn ack(r: &Reader, id: String) {
    r.unacked.fetch_add(1, Ordering::SeqCst);
    if r.acks.send(id).is_err() {
        r.unacked.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a running lease keeper in `OutboxMetrics::lease_keepers`, until dropped (also when its task panics).
struct KeeperRunning(Arc<OutboxMetrics>);

impl KeeperRunning {
    fn new(metrics: &Arc<OutboxMetrics>) -> KeeperRunning {
        metrics.lease_keepers.fetch_add(1, Ordering::SeqCst);
        KeeperRunning(metrics.clone())
    }
}

impl Drop for KeeperRunning {
    fn drop(&mut self) {
        self.0.lease_keepers.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Reader {
    /// Records a take or renewal of the lease asked for at `asked`.
    fn lease_valid_from(&self, asked: Instant) {
        let until = asked.duration_since(self.epoch) + self.settings.lease * 9 / 10;
        self.valid_until_us
            .store(until.as_micros() as u64, Ordering::Release);
    }

    /// Whether this process may still send its stream's entries: it holds the lease, and the lease cannot have run
    /// out since it was last taken or renewed.
    fn still_ours(&self) -> bool {
        self.holds.load(Ordering::Acquire)
            && (self.epoch.elapsed().as_micros() as u64)
                < self.valid_until_us.load(Ordering::Acquire)
    }
}

/// The entries of this reader dispatched and not yet acknowledged.
fn in_flight(r: &Reader) -> usize {
    r.in_flight.lock().map_or(0, |set| set.len())
}

/// A lane that may no longer send (the lease is gone) ends and gives back its entry `id` and every one queued behind
/// it: they stay pending in the stream and are no longer in flight, so the lease's next holder takes them over
/// (this process too, once it holds the lease again: at once if it is taking it, else with the takeover of idle
/// entries). Only the lane's own entries leave the in-flight set: another lane still sending keeps its own.
fn abandon(
    r: &Reader,
    chat: i64,
    id: String,
    queue: &mut mpsc::UnboundedReceiver<(String, Outgoing)>,
) {
    // Under the map's lock no dispatch can add to this queue any more.
    let Ok(mut lanes) = r.lanes.lock() else {
        return;
    };
    lanes.remove(&chat);
    let mut ids = vec![id];
    while let Ok((id, _)) = queue.try_recv() {
        ids.push(id);
    }
    drop(lanes);
    take_off_in_flight(r, &ids);
}

/// Removes `ids` from the in-flight set: acknowledged, or given back unsent.
fn take_off_in_flight(r: &Reader, ids: &[String]) {
    if let Ok(mut set) = r.in_flight.lock() {
        for id in ids {
            set.remove(id);
        }
    }
}

/// Acknowledges and deletes handled entries, as many as are waiting (up to `ACK_BATCH_MAX`) in one round trip, and
/// only then takes them off the in-flight set: until the acknowledgement has landed, a takeover of idle entries must
/// not send them again. A failed acknowledgement (Redis away) is tried again every
/// `ACK_RETRY` until it lands; `XACK` and `XDEL` are idempotent, and valid whoever holds the stream's lease by then.
async fn acknowledger(
    r: Arc<Reader>,
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<String>>>,
) {
    let mut conn = r.shared.clone();
    // One acknowledger at a time holds the queue (a restarted one takes it over).
    let mut queue = queue.lock().await;
    while let Some(first) = queue.recv().await {
        let mut ids = vec![first];
        while ids.len() < ACK_BATCH_MAX {
            match queue.try_recv() {
                Ok(id) => ids.push(id),
                Err(_) => break,
            }
        }
        let mut failures = 0u32;
        loop {
            let acked: redis::RedisResult<()> = redis::pipe()
                .cmd("XACK")
                .arg(&r.key)
                .arg(GROUP)
                .arg(&ids)
                .ignore()
                .cmd("XDEL")
                .arg(&r.key)
                .arg(&ids)
                .ignore()
                .query_async(&mut conn)
                .await;
            match acked {
                Ok(()) => break,
                Err(e) => {
                    r.metrics.redis_errors.fetch_add(1, Ordering::Relaxed);
                    if failures == 0 {
                        tracing::warn!(
                            error = %e,
                            entries = ids.len(),
                            "outbox: acknowledgement failed; retrying until Redis takes it"
                        );
                    }
                    failures += 1;
                    tokio::time::sleep(ACK_RETRY).await;
                }
            }
        }
        if failures > 0 {
            tracing::info!(
                entries = ids.len(),
                attempts = failures + 1,
                "outbox: acknowledgement landed after Redis came back"
            );
        }
        take_off_in_flight(&r, &ids);
        r.unacked.fetch_sub(ids.len(), Ordering::SeqCst);
    }
}

/// A refusal that will not change by retrying: for the client bot, "blocked" and "deactivated" are recorded on the
/// client, so the product can stop writing to them.
async fn refused(r: &Reader, msg: &Outgoing, e: &RequestError) {
    let RequestError::Api(api) = e else {
        return;
    };
    if !matches!(
        api,
        ApiError::BotBlocked
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::BotKicked
    ) {
        return;
    }
    r.metrics.refused.fetch_add(1, Ordering::Relaxed);
    if r.bot_kind != BotKind::Client
        || !matches!(api, ApiError::BotBlocked | ApiError::UserDeactivated)
    {
        return;
    }
    let marked = match r.pg.get().await {
        Ok(db) => db
            .execute(
                "UPDATE clients SET blocked_bot_at = now() WHERE telegram_id = $1",
                &[&msg.chat_id],
            )
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = marked {
        tracing::warn!(error = %e, "outbox: could not mark the client as having blocked the bot");
    }
}
