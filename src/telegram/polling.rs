//! Long polling: one `getUpdates` loop per bot. The offset moves past an update only once it and every update before
//! it were durably accepted, so an update that could not be stored is run again, never lost.
//!
//! The loop keeps a window: the updates fetched and not yet confirmed, by id. Each chat's updates run one after
//! another, in order; different chats run concurrently. When every update in hand is accepted the window is empty and
//! the loop long-polls from the next id. While one is still running (a lock wait, a slow query) or failing, the loop
//! does not wait for it: once no update in hand has finished for [`SLOW_AFTER`] it polls again from the oldest
//! unaccepted id (no sooner than [`REPEATED_POLL_GAP`] after a poll from the same id: Telegram would answer one
//! update), takes whatever is new, and runs it, so a slow or failing update holds back only its own chat (issue 12,
//! item 1), within the 100 updates one `getUpdates` returns after it. Ids below the offset with nothing in hand mean
//! Telegram chose new ids (after a week without updates): the offset starts again from them. A failing update is
//! tried again after [`BACKOFF`], doubling up to [`BACKOFF_MAX`]; after `telegram.update_attempts_max` tries over at
//! least `telegram.dead_letter_after_s` the ingress parks it, which accepts it, and the offset moves on. Failed polls
//! in a row pause from [`BACKOFF`] doubling up to [`POLL_BACKOFF_MAX`] (a 429 waits its `retry_after`).
//!
//! On shutdown the loop abandons its long poll at once (dropping the request: Telegram confirms nothing it did not
//! deliver), starts nothing more and ends once the updates under way have finished; what they accepted is confirmed by
//! the next start's first poll, whose redeliveries the sessions' dedup skips.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use fsm::BotKind;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use teloxide_core::RequestError;
use teloxide_core::payloads::GetUpdatesSetters;
use teloxide_core::requests::{Request, Requester};
use teloxide_core::types::Update;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ingress::Ingress;

/// First pause before a failing update is tried again, and after a failed poll; it doubles with each failure of the
/// same update, up to [`BACKOFF_MAX`], and with each failed poll in a row, up to [`POLL_BACKOFF_MAX`].
const BACKOFF: Duration = Duration::from_millis(500);

/// The longest pause after failed polls in a row (a revoked token, a webhook another deployment set, another
/// instance polling the same bot): Telegram is not asked twice a second for ever, and a warning is logged per pause.
const POLL_BACKOFF_MAX: Duration = Duration::from_secs(16);

/// The longest pause between tries of a failing update.
const BACKOFF_MAX: Duration = Duration::from_secs(4);

/// The pause after `failures` earlier failures in a row (0 for the first): [`BACKOFF`] doubling, at most `max`.
fn backoff(failures: u32, max: Duration) -> Duration {
    BACKOFF.saturating_mul(1 << failures.min(16)).min(max)
}

/// While updates fetched earlier are still not accepted and none of them has finished for this long, the loop polls
/// again for the other chats' updates (from the oldest unaccepted id: Telegram sends the ones in hand again, and they
/// are skipped). A busy batch, whose updates keep finishing, is waited for, as its re-sent updates would only cost.
const SLOW_AFTER: Duration = Duration::from_millis(100);

/// Telegram's Bot API server answers a `getUpdates` with the offset of the one before, started less than 0.5 s
/// earlier, with one update at most (`Client::process_get_updates_query` in tdlib/telegram-bot-api): polls again
/// from the same offset are spaced at least this much, with a margin.
const REPEATED_POLL_GAP: Duration = Duration::from_millis(600);

/// The most updates one `getUpdates` answers (its default `limit`), counted from the offset: with that many in hand,
/// a poll can bring nothing new.
const GET_UPDATES_LIMIT: usize = 100;

/// A `getUpdates` call under way.
type Poll = Pin<Box<dyn Future<Output = Result<Vec<Update>, RequestError>> + Send>>;

/// An update's run: its id and whether the ingress accepted it.
type Run = Pin<Box<dyn Future<Output = (i32, bool)>>>;

/// Polls `bot` for `timeout_s` seconds at a time and feeds `ingress`, until `stop` is cancelled.
pub async fn run(
    kind: BotKind,
    bot: teloxide_core::Bot,
    ingress: Arc<Ingress>,
    timeout_s: u32,
    stop: CancellationToken,
) {
    let mut window = Window::default();
    let mut runs: FuturesUnordered<Run> = FuturesUnordered::new();
    let mut poll: Option<Poll> = None;
    // The last poll's answer or the last update's end, whichever came later.
    let mut progress_at = Instant::now();
    // After a failed poll: no other before this.
    let mut poll_paused_until: Option<Instant> = None;
    // The offset and start of the last poll.
    let mut previous_poll: Option<(i32, Instant)> = None;
    // Polls failed in a row (not counting 429, which says how long to wait).
    let mut polls_failed: u32 = 0;
    loop {
        if stop.is_cancelled() {
            break;
        }
        let now = Instant::now();
        for (id, update) in window.startable(now) {
            let ingress = ingress.clone();
            runs.push(Box::pin(async move {
                (id, ingress.accept(kind, &update).await.is_ok())
            }));
        }
        let poll_due = if window.is_empty() {
            Some(now)
        } else if window.held.len() < GET_UPDATES_LIMIT {
            Some(progress_at + SLOW_AFTER)
        } else {
            // A poll would answer only updates in hand.
            None
        }
        .map(|due| poll_paused_until.map_or(due, |until| due.max(until)))
        .map(|due| match previous_poll {
            Some((offset, at)) if offset == window.offset => due.max(at + REPEATED_POLL_GAP),
            _ => due,
        });
        if poll.is_none()
            && let Some(due) = poll_due
            && due <= now
        {
            // Empty window: wait for updates. Otherwise Telegram answers at once with the ones in hand.
            let timeout = if window.is_empty() { timeout_s } else { 0 };
            poll = Some(Box::pin(
                bot.get_updates()
                    .offset(window.offset)
                    .limit(GET_UPDATES_LIMIT as u8)
                    .timeout(timeout)
                    .send(),
            ));
            poll_paused_until = None;
            previous_poll = Some((window.offset, now));
        }
        let wake = [window.next_retry(), poll_due.filter(|_| poll.is_none())]
            .into_iter()
            .flatten()
            .min();
        tokio::select! {
            biased;
            () = stop.cancelled() => break,
            Some((id, accepted)) = runs.next(), if !runs.is_empty() => {
                progress_at = Instant::now();
                window.finished(id, accepted, progress_at);
            }
            polled = async {
                match poll.as_mut() {
                    Some(p) => p.await,
                    None => std::future::pending().await,
                }
            } => {
                poll = None;
                progress_at = Instant::now();
                match polled {
                    Ok(updates) => {
                        polls_failed = 0;
                        // The offset this answer was asked with (a poll sets `previous_poll` as it starts).
                        let asked = previous_poll.map_or(window.offset, |(offset, _)| offset);
                        window.add(updates, asked);
                    }
                    Err(RequestError::RetryAfter(wait)) => {
                        poll_paused_until = Some(Instant::now() + wait.duration());
                    }
                    Err(e) => {
                        let pause = backoff(polls_failed, POLL_BACKOFF_MAX);
                        polls_failed = polls_failed.saturating_add(1);
                        tracing::warn!(
                            bot = kind.as_str(),
                            error = %e,
                            failed_in_a_row = polls_failed,
                            pause_ms = pause.as_millis() as u64,
                            "polling: getUpdates failed"
                        );
                        poll_paused_until = Some(Instant::now() + pause);
                    }
                }
            }
            () = sleep_until(wake) => {}
        }
    }
    // Stopping: the long poll is dropped, nothing new starts, and the updates under way finish (stored or not).
    drop(poll);
    while runs.next().await.is_some() {}
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The updates fetched and not yet confirmed, and the offset that confirms the ones before them.
#[derive(Default)]
struct Window {
    /// Every update below it was accepted: the next poll's `offset`.
    offset: i32,
    /// The updates fetched at or above `offset`, by id.
    held: BTreeMap<i32, Held>,
    /// Per chat, its updates in `held` not yet accepted, oldest first: only the first runs.
    chats: HashMap<i64, VecDeque<i32>>,
}

struct Held {
    update: Arc<Update>,
    chat: i64,
    state: State,
    /// Runs that ended unaccepted so far.
    failures: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Behind an earlier update of its chat, or not started yet.
    Waiting,
    Running,
    /// Ended unaccepted; runs again at `retry_at`.
    Failed {
        retry_at: Instant,
    },
    Accepted,
}

/// Telegram's update ids fit `getUpdates`' i32 offset.
fn update_id(update: &Update) -> i32 {
    i32::try_from(update.id.0).unwrap_or(i32::MAX)
}

impl Window {
    fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Takes in what a poll asked from offset `asked` returned, skipping what is confirmed or already held. Ids
    /// below `asked` itself, with nothing in hand, mean Telegram chose new ones (it does after a week without
    /// updates, and answers an offset beyond its queue from the queue's start): the offset starts again from the
    /// first of them. (An answer that comes after the offset moved on holds ids below the offset but not below
    /// `asked`: those were accepted, and are skipped.)
    fn add(&mut self, updates: Vec<Update>, asked: i32) {
        if self.held.is_empty()
            && let Some(first) = updates.iter().map(update_id).min()
            && first < asked
        {
            tracing::info!(
                offset = self.offset,
                update_id = first,
                "polling: update ids started again below the offset"
            );
            self.offset = first;
        }
        for update in updates {
            let id = update_id(&update);
            if id < self.offset || self.held.contains_key(&id) {
                continue;
            }
            let chat = update.chat().map_or(0, |c| c.id.0);
            self.chats.entry(chat).or_default().push_back(id);
            self.held.insert(
                id,
                Held {
                    update: Arc::new(update),
                    chat,
                    state: State::Waiting,
                    failures: 0,
                },
            );
        }
    }

    /// The first update of each chat that may run now (not started, or failed and due again), marked running.
    fn startable(&mut self, now: Instant) -> Vec<(i32, Arc<Update>)> {
        let mut start = Vec::new();
        for queue in self.chats.values() {
            let Some(held) = queue.front().and_then(|id| self.held.get_mut(id)) else {
                continue;
            };
            let due = match held.state {
                State::Waiting => true,
                State::Failed { retry_at } => retry_at <= now,
                State::Running | State::Accepted => false,
            };
            if due {
                held.state = State::Running;
                start.push((update_id(&held.update), held.update.clone()));
            }
        }
        start
    }

    /// When the earliest failed update is due again.
    fn next_retry(&self) -> Option<Instant> {
        self.chats
            .values()
            .filter_map(|queue| self.held.get(queue.front()?))
            .filter_map(|held| match held.state {
                State::Failed { retry_at } => Some(retry_at),
                _ => None,
            })
            .min()
    }

    /// Records the end of an update's run: accepted (its chat's next update may run, and the offset moves past every
    /// accepted update at the front), or failed (tried again after a pause that grows with its failures).
    fn finished(&mut self, id: i32, accepted: bool, now: Instant) {
        let Some(held) = self.held.get_mut(&id) else {
            return;
        };
        if !accepted {
            let pause = backoff(held.failures, BACKOFF_MAX);
            held.failures += 1;
            held.state = State::Failed {
                retry_at: now + pause,
            };
            return;
        }
        held.state = State::Accepted;
        let chat = held.chat;
        if let Some(queue) = self.chats.get_mut(&chat) {
            queue.retain(|&queued| queued != id);
            if queue.is_empty() {
                self.chats.remove(&chat);
            }
        }
        while let Some(entry) = self.held.first_entry() {
            if entry.get().state != State::Accepted {
                break;
            }
            self.offset = entry.key().saturating_add(1);
            entry.remove();
        }
    }
}
