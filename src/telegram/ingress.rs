//! The ingress: every update from polling or a webhook comes through here. In order: updates the product does not
//! handle are acknowledged; a button press is answered at once; the per-user and global rate limits drop floods
//! (counted, with at most one "slow down" reply per user per window); an update is charged to them once, so its
//! redeliveries after a failure (a refetched batch, a webhook retry) cannot use up its sender's allowance and have it
//! dropped; then the chat's session actor runs it, which skips an update already processed (its dedup check shares a
//! Redis round trip with the state read, and its compare-and-set decides for certain). `accept` returns Ok only once
//! the transition is stored, so the transport may acknowledge the update to Telegram.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Addr, Recipient};
use actors::outgoing::Outgoing;
use actors::session::{HandleUpdate, Handled, SessionRegistry};
use fsm::BotKind;
use fsm::chat::Reply;
use fsm::text::{CommonText, render};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use teloxide_core::requests::Requester;
use teloxide_core::types::{CallbackQueryId, Update};

use super::{Bots, convert};
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
    pub ignored: AtomicU64,
    pub unavailable: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Processed,
    Duplicate,
    /// Over a rate limit: deliberately not processed.
    Dropped,
    /// Not something the product handles.
    Ignored,
}

/// The update was not durably accepted: the transport must not acknowledge it (webhook 5xx, polling offset kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("update not accepted: storage unavailable")]
pub struct NotAccepted;

pub struct Ingress {
    registry: Addr<SessionRegistry>,
    bots: Bots,
    outbox: Recipient<Outgoing>,
    per_user: DefaultKeyedRateLimiter<i64>,
    global: DefaultDirectRateLimiter,
    slow_down_sent: DefaultKeyedRateLimiter<i64>,
    admitted: Mutex<Admitted>,
    pub metrics: IngressMetrics,
}

fn nz(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN)
}

impl Ingress {
    pub fn new(
        registry: Addr<SessionRegistry>,
        bots: Bots,
        outbox: Recipient<Outgoing>,
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
            admitted: Mutex::new(Admitted::default()),
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
            }
        });
        ingress
    }

    /// How many users the limiters currently track (the memory benchmark reports it).
    pub fn limiter_keys(&self) -> usize {
        self.per_user.len() + self.slow_down_sent.len()
    }

    fn admitted(&self) -> std::sync::MutexGuard<'_, Admitted> {
        self.admitted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the rate limits let this update through. An update admitted before (this is a redelivery) passes
    /// without being charged again.
    fn admit(&self, bot: BotKind, update_id: i64, user: i64) -> bool {
        let mut admitted = self.admitted();
        let key = (bot, update_id);
        if admitted.current.contains(&key) || admitted.previous.contains(&key) {
            return true;
        }
        if self.global.check().is_err() || self.per_user.check_key(&user).is_err() {
            return false;
        }
        admitted.current.insert(key);
        true
    }

    pub async fn accept(&self, bot: BotKind, update: &Update) -> Result<Accepted, NotAccepted> {
        let Some(inbound) = convert::inbound(update) else {
            self.metrics.ignored.fetch_add(1, Ordering::Relaxed);
            return Ok(Accepted::Ignored);
        };
        if let (Some(id), Some(client)) = (&inbound.callback_id, self.bots.get(bot)) {
            let answer = client.answer_callback_query(CallbackQueryId(id.clone()));
            actix_rt::spawn(async move {
                let _ = answer.await;
            });
        }
        let user = inbound.sender.user_id;
        if !self.admit(bot, inbound.update_id, user) {
            self.metrics
                .dropped_rate_limited
                .fetch_add(1, Ordering::Relaxed);
            if self.slow_down_sent.check_key(&user).is_ok() {
                let reply = Reply::new(render(inbound.sender.lang, &CommonText::SlowDown));
                self.outbox
                    .do_send(Outgoing::send(bot, inbound.sender.chat_id, reply));
            }
            return Ok(Accepted::Dropped);
        }
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
        match handled {
            Ok(Ok(Handled::Processed { .. })) => {
                self.metrics.processed.fetch_add(1, Ordering::Relaxed);
                Ok(Accepted::Processed)
            }
            Ok(Ok(Handled::Duplicate)) => {
                self.metrics.duplicates.fetch_add(1, Ordering::Relaxed);
                Ok(Accepted::Duplicate)
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, bot = bot.as_str(), "ingress: update not processed");
                self.metrics.unavailable.fetch_add(1, Ordering::Relaxed);
                Err(NotAccepted)
            }
            Err(_) => {
                self.metrics.unavailable.fetch_add(1, Ordering::Relaxed);
                Err(NotAccepted)
            }
        }
    }
}
