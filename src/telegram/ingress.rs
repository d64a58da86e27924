//! The ingress: every update from polling or a webhook comes through here. In order: updates the product does not
//! handle (not from a private chat, a chat that is not the sender's, edits and the like) are acknowledged and counted
//! by reason; a button press is answered at once; the per-user and global rate limits drop floods
//! (counted, with at most one "slow down" reply per user per window); the per-user limit and the notice's window
//! also hold across replicas (`shared_limit`: asked only for what the local limiters admit); an update is charged to them once, so its
//! redeliveries after a failure (a refetched batch, a webhook retry) cannot use up its sender's allowance and have it
//! dropped; then the chat's session actor runs it, which skips an update already processed (its dedup check shares a
//! Redis round trip with the state read, and its compare-and-set decides for certain). `accept` returns Ok only once
//! the transition is stored, so the transport may acknowledge the update to Telegram — or once the update failed for
//! good: permanently (the session apologised and marked it processed) or transiently `update_attempts_max` times over
//! at least `dead_letter_after_s` (parked in the dead-letter store). Updates not yet accepted are tracked with the
//! times first and last seen, for `/readyz`.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::{Addr, Recipient};
use actors::outgoing::Outgoing;
use actors::session::dead_letter::{DeadLetter, DeadLetters};
use actors::session::{HandleUpdate, Handled, SessionRegistry};
use fsm::BotKind;
use fsm::chat::Reply;
use fsm::text::{CommonText, render};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use teloxide_core::requests::Requester;
use teloxide_core::types::{CallbackQueryId, Update};

use super::shared_limit::{Rate, SharedLimits};
use super::{BotApiClients, convert};
use crate::config::TelegramSettings;

/// One "slow down" reply per user per this long, however long the flood.
const SLOW_DOWN_WINDOW: Duration = Duration::from_secs(10);

/// How often idle limiter keys are pruned and the admitted updates rotate. An update admitted by the rate limits is
/// remembered this long at least (twice this at most), so its redeliveries pass without being charged again.
const PRUNE_EVERY: Duration = Duration::from_secs(30);

/// Updates admitted lately, in two generations rotated by the pruning task (memory stays bounded).
#[derive(Default)]
struct Admitted {
    current: HashSet<(BotKind, i64)>,
    previous: HashSet<(BotKind, i64)>,
}

#[derive(Debug, Default)]
pub struct IngressMetrics {
    pub processed: AtomicU64,
    pub duplicates: AtomicU64,
    pub dropped_rate_limited: AtomicU64,
    /// Acknowledged and not processed, by [`convert::Ignored`] reason (read with [`IngressMetrics::ignored`]).
    ignored: [AtomicU64; convert::Ignored::ALL.len()],
    pub unavailable: AtomicU64,
    /// Failed in a way no retry fixes: answered with an apology and marked processed.
    pub failed_permanent: AtomicU64,
    /// Failed transiently `update_attempts_max` times: parked in the dead-letter store and acknowledged.
    pub dead_lettered: AtomicU64,
    /// The same outcomes by bot, the step latency and the storage errors (`crate::metrics`).
    pub by_bot: crate::metrics::BotMetrics,
}

impl IngressMetrics {
    /// Updates ignored for this reason since start-up.
    pub fn ignored(&self, reason: convert::Ignored) -> u64 {
        self.ignored[reason as usize].load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Processed,
    Duplicate,
    /// Over a rate limit: deliberately not processed.
    Dropped,
    /// Not something the product handles.
    Ignored,
    /// Failed permanently: the user got an apology; acknowledged.
    FailedPermanently,
    /// Failed transiently too many times: parked as a dead letter; acknowledged.
    DeadLettered,
}

/// What the rate limits made of an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    Admitted,
    /// Refused by this process's limiters (Redis not asked).
    RefusedHere,
    /// Refused by the limit shared across replicas; `notify`: this replica sends the slow-down notice.
    RefusedShared {
        notify: bool,
    },
}

/// The update was not durably accepted: the transport must not acknowledge it (webhook 5xx, polling offset kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("update not accepted: storage unavailable")]
pub struct NotAccepted;

pub struct Ingress {
    registry: Addr<SessionRegistry>,
    bots: BotApiClients,
    outbox: Recipient<Outgoing>,
    per_user: DefaultKeyedRateLimiter<i64>,
    global: DefaultDirectRateLimiter,
    slow_down_sent: DefaultKeyedRateLimiter<i64>,
    /// The per-user limit across replicas (`telegram.shared_limits`), behind the local one.
    shared: Option<(SharedLimits, Rate)>,
    admitted: Mutex<Admitted>,
    dead_letters: DeadLetters,
    /// `telegram.update_attempts_max`.
    attempts_max: u64,
    /// `telegram.dead_letter_after_s`.
    dead_letter_after: Duration,
    /// When each update not yet accepted was first and last seen here, for `/readyz` (entries leave once accepted).
    pending: Mutex<HashMap<(BotKind, i64), Seen>>,
    pub metrics: IngressMetrics,
}

fn nz(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN)
}

impl Ingress {
    pub fn new(
        registry: Addr<SessionRegistry>,
        bots: BotApiClients,
        outbox: Recipient<Outgoing>,
        dead_letters: DeadLetters,
        shared: Option<SharedLimits>,
        settings: &TelegramSettings,
    ) -> Arc<Ingress> {
        let per_user = Quota::per_second(nz(settings.updates_per_user_per_s))
            .allow_burst(nz(settings.updates_burst_per_user));
        let global = Quota::per_second(nz(settings.updates_global_per_s));
        let slow_down =
            Quota::with_period(SLOW_DOWN_WINDOW).unwrap_or(Quota::per_second(NonZeroU32::MIN));
        let ingress = Arc::new(Ingress {
            registry,
            bots,
            outbox,
            per_user: RateLimiter::keyed(per_user),
            global: RateLimiter::direct(global),
            slow_down_sent: RateLimiter::keyed(slow_down),
            shared: shared.map(|s| {
                let rate = Rate::new(
                    settings.updates_per_user_per_s,
                    settings.updates_burst_per_user,
                );
                (s, rate)
            }),
            admitted: Mutex::new(Admitted::default()),
            dead_letters,
            attempts_max: u64::from(settings.update_attempts_max.max(1)),
            dead_letter_after: Duration::from_secs(settings.dead_letter_after_s),
            pending: Mutex::new(HashMap::new()),
            metrics: IngressMetrics::default(),
        });
        // Users who stopped sending no longer need limiter entries, nor old updates their admission: memory stays
        // bounded with 100,000 chats.
        let pruned = Arc::downgrade(&ingress);
        actix_rt::spawn(async move {
            loop {
                tokio::time::sleep(PRUNE_EVERY).await;
                let Some(ingress) = pruned.upgrade() else {
                    break;
                };
                ingress.per_user.retain_recent();
                ingress.slow_down_sent.retain_recent();
                let mut admitted = ingress.admitted();
                admitted.previous = std::mem::take(&mut admitted.current);
                drop(admitted);
                // Telegram gives up redelivering after a day: an update not seen since is not waiting any more.
                lock(&ingress.pending).retain(|_, seen| seen.last.elapsed() < PENDING_FORGET);
            }
        });
        ingress
    }

    /// How many users the limiters currently track (the memory benchmark reports it).
    pub fn limiter_keys(&self) -> usize {
        self.per_user.len() + self.slow_down_sent.len()
    }

    fn admitted(&self) -> std::sync::MutexGuard<'_, Admitted> {
        lock(&self.admitted)
    }

    /// The bots with an update that has waited longer than `max` to be accepted and is still being tried here (an
    /// attempt running, or one ended within `max`), and how long the oldest waited. An update last seen longer ago is
    /// no longer this process's to wait for: with webhooks, its redelivery may have gone to another replica and been
    /// accepted there.
    pub fn stuck_bots(&self, max: Duration) -> Vec<(BotKind, Duration)> {
        let mut oldest: HashMap<BotKind, Duration> = HashMap::new();
        for ((bot, _), seen) in lock(&self.pending).iter() {
            if seen.running == 0 && seen.last.elapsed() > max {
                continue;
            }
            let age = seen.first.elapsed();
            let entry = oldest.entry(*bot).or_default();
            *entry = (*entry).max(age);
        }
        let mut stuck: Vec<(BotKind, Duration)> =
            oldest.into_iter().filter(|(_, age)| *age > max).collect();
        stuck.sort();
        stuck
    }

    /// Checks that found the shared limit's Redis unavailable and let the local limits decide (ingress and outbox).
    pub fn shared_limit_unavailable(&self) -> u64 {
        self.shared
            .as_ref()
            .map_or(0, |(s, _)| s.unavailable.load(Ordering::Relaxed))
    }

    /// Whether the rate limits let this update through: the local limiters first, then, for what they admit, the
    /// shared per-user limit. An update admitted before by this process (a redelivery) passes without being charged
    /// again; a redelivery that reaches another replica is charged there once more.
    async fn admit(&self, bot: BotKind, update_id: i64, user: i64) -> Admission {
        let key = (bot, update_id);
        {
            let admitted = self.admitted();
            if admitted.current.contains(&key) || admitted.previous.contains(&key) {
                return Admission::Admitted;
            }
            if self.global.check().is_err() || self.per_user.check_key(&user).is_err() {
                return Admission::RefusedHere;
            }
        }
        if let Some((shared, rate)) = &self.shared
            && let Some(verdict) = shared.take_update(user, *rate, SLOW_DOWN_WINDOW).await
            && verdict.granted == 0
        {
            return Admission::RefusedShared {
                notify: verdict.notify,
            };
        }
        self.admitted().current.insert(key);
        Admission::Admitted
    }

    /// Whether this refusal is the one that tells the user to slow down: once per [`SLOW_DOWN_WINDOW`] per user,
    /// across replicas when the limits are shared (the local limiter first, so a flood asks Redis about the notice
    /// at most once a window per replica).
    async fn tell_slow_down(&self, user: i64, refusal: Admission) -> bool {
        match (refusal, &self.shared) {
            (Admission::RefusedShared { notify }, _) => {
                // Taken in the shared window: the local one is marked too, so refusals here stop asking.
                let _ = self.slow_down_sent.check_key(&user);
                notify
            }
            (_, Some((shared, rate))) => {
                self.slow_down_sent.check_key(&user).is_ok()
                    && shared.claim_notice(user, *rate, SLOW_DOWN_WINDOW).await
            }
            (_, None) => self.slow_down_sent.check_key(&user).is_ok(),
        }
    }

    /// Runs one update from the transport. A transient failure is counted per update; at the
    /// `update_attempts_max`-th, if the first was at least `dead_letter_after_s` ago, the update is parked as a dead
    /// letter and acknowledged (`Ok(DeadLettered)`).
    /// Runs in a span carrying the bot, the update id and the chat id, so every log line of the step names them.
    pub async fn accept(&self, bot: BotKind, update: &Update) -> Result<Accepted, NotAccepted> {
        use tracing::Instrument;
        let arrived = Instant::now();
        let span = tracing::info_span!(
            "update",
            bot = bot.as_str(),
            update_id = update.id.0,
            chat_id = update.chat().map(|c| c.id.0)
        );
        let outcome = self.run(bot, update, true).instrument(span.clone()).await;
        let elapsed = arrived.elapsed();
        self.metrics.by_bot.record(bot, &outcome, elapsed);
        tracing::debug!(parent: &span, ?outcome, elapsed_us = elapsed.as_micros() as u64, "update handled");
        outcome
    }

    /// Runs a dead letter again (`loyalty dead-letters replay`): like [`Ingress::accept`], but not rate-limited (the
    /// limits judged it when it came in), and a failure is reported as `Err` rather than parked again, so the
    /// operator sees it and the letter stays.
    pub async fn replay(&self, bot: BotKind, update: &Update) -> Result<Accepted, NotAccepted> {
        self.run(bot, update, false).await
    }

    async fn run(
        &self,
        bot: BotKind,
        update: &Update,
        park: bool,
    ) -> Result<Accepted, NotAccepted> {
        let inbound = match convert::inbound(update) {
            Ok(inbound) => inbound,
            Err(reason) => {
                self.metrics.ignored[reason as usize].fetch_add(1, Ordering::Relaxed);
                return Ok(Accepted::Ignored);
            }
        };
        if let (Some(id), Some(client)) = (&inbound.callback_id, self.bots.get(bot)) {
            let answer = client.answer_callback_query(CallbackQueryId(id.clone()));
            actix_rt::spawn(async move {
                let _ = answer.await;
            });
        }
        let user = inbound.sender.user_id;
        // A replay is the operator's, not the user's: the limits judged the update when it came in, and a letter
        // refused now would be reported replayed and removed, never run (`park` is false only for replays).
        let admission = if park {
            self.admit(bot, inbound.update_id, user).await
        } else {
            Admission::Admitted
        };
        if admission != Admission::Admitted {
            self.metrics
                .dropped_rate_limited
                .fetch_add(1, Ordering::Relaxed);
            if self.tell_slow_down(user, admission).await {
                let reply = Reply::new(render(inbound.sender.lang, &CommonText::SlowDown));
                self.outbox
                    .do_send(Outgoing::send(bot, inbound.sender.chat_id, reply));
            }
            return Ok(Accepted::Dropped);
        }
        let key = (bot, inbound.update_id);
        let mut attempt = Attempt::start(&self.pending, key);
        let chat_id = inbound.sender.chat_id;
        let handled = self
            .registry
            .send(HandleUpdate {
                bot,
                update_id: inbound.update_id,
                sender: inbound.sender,
                input: inbound.input,
                message_id: inbound.message_id,
            })
            .await;
        let outcome = match handled {
            Ok(Ok(Handled::Processed { .. })) => {
                self.metrics.processed.fetch_add(1, Ordering::Relaxed);
                Ok(Accepted::Processed)
            }
            Ok(Ok(Handled::Duplicate)) => {
                self.metrics.duplicates.fetch_add(1, Ordering::Relaxed);
                Ok(Accepted::Duplicate)
            }
            Ok(Ok(Handled::FailedPermanently)) => {
                self.metrics
                    .failed_permanent
                    .fetch_add(1, Ordering::Relaxed);
                Ok(Accepted::FailedPermanently)
            }
            Ok(Err(e)) => {
                self.metrics.by_bot.storage_error(&e);
                self.failed(bot, update, chat_id, &e.to_string(), park)
                    .await
            }
            Err(e) => {
                self.failed(bot, update, chat_id, &e.to_string(), park)
                    .await
            }
        };
        attempt.accepted = outcome.is_ok();
        drop(attempt);
        outcome
    }

    /// A transient failure: counted for this update; below the limit the transport retries it (`Err`), at the
    /// limit it is parked and acknowledged. When the count itself cannot be stored (Redis down) it is retried.
    async fn failed(
        &self,
        bot: BotKind,
        update: &Update,
        chat_id: i64,
        error: &str,
        park: bool,
    ) -> Result<Accepted, NotAccepted> {
        let update_id = i64::from(update.id.0);
        self.metrics.unavailable.fetch_add(1, Ordering::Relaxed);
        if !park {
            tracing::warn!(
                bot = bot.as_str(),
                update_id,
                error,
                "ingress: replay failed"
            );
            return Err(NotAccepted);
        }
        let failures = match self.dead_letters.count_failure(bot, update_id).await {
            Ok(failures) => failures,
            Err(e) => {
                self.metrics
                    .by_bot
                    .redis_errors
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(bot = bot.as_str(), update_id, error, store = %e, "ingress: update not processed");
                return Err(NotAccepted);
            }
        };
        let attempts = failures.attempts;
        if attempts < self.attempts_max || failures.failing_for < self.dead_letter_after {
            tracing::warn!(
                bot = bot.as_str(),
                update_id,
                attempts,
                failing_for_ms = failures.failing_for.as_millis() as u64,
                error,
                "ingress: update not processed, will retry"
            );
            return Err(NotAccepted);
        }
        let letter = DeadLetter {
            bot: bot.as_str().to_owned(),
            update_id,
            chat_id,
            attempts,
            error: error.to_owned(),
            parked_at_unix_s: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            update: serde_json::to_string(update).unwrap_or_default(),
        };
        match self.dead_letters.park(&letter).await {
            Ok(()) => {
                tracing::error!(
                    bot = bot.as_str(),
                    update_id,
                    attempts,
                    error,
                    "ingress: update parked as a dead letter"
                );
                self.metrics.dead_lettered.fetch_add(1, Ordering::Relaxed);
                Ok(Accepted::DeadLettered)
            }
            Err(e) => {
                tracing::warn!(bot = bot.as_str(), update_id, store = %e, "ingress: could not park the update");
                Err(NotAccepted)
            }
        }
    }
}

/// Updates not seen for this long are forgotten (Telegram stops redelivering after a day).
const PENDING_FORGET: Duration = Duration::from_secs(86_400);

/// When an update not yet accepted was first and last seen by this process, and how many of its attempts are
/// running now (one that hangs, e.g. on a lock, keeps counting however old `last` gets).
#[derive(Debug, Clone, Copy)]
struct Seen {
    first: Instant,
    last: Instant,
    running: u32,
}

/// One attempt at an update, registered in the waiting list for `/readyz` while it runs. When it ends (or its
/// future is dropped, e.g. a webhook caller that went away): removed if accepted, else no longer running and
/// last seen now.
struct Attempt<'a> {
    pending: &'a Mutex<HashMap<(BotKind, i64), Seen>>,
    key: (BotKind, i64),
    accepted: bool,
}

impl<'a> Attempt<'a> {
    fn start(
        pending: &'a Mutex<HashMap<(BotKind, i64), Seen>>,
        key: (BotKind, i64),
    ) -> Attempt<'a> {
        let now = Instant::now();
        lock(pending)
            .entry(key)
            .and_modify(|seen| {
                seen.last = now;
                seen.running += 1;
            })
            .or_insert(Seen {
                first: now,
                last: now,
                running: 1,
            });
        Attempt {
            pending,
            key,
            accepted: false,
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut pending = lock(self.pending);
        if self.accepted {
            pending.remove(&self.key);
        } else if let Some(seen) = pending.get_mut(&self.key) {
            seen.running = seen.running.saturating_sub(1);
            seen.last = Instant::now();
        }
    }
}

/// The guarded value even if a thread panicked while holding it (these maps stay consistent at every step).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
