//! Long polling: one `getUpdates` loop per bot. The offset moves past an update only once it and every update before
//! it were durably accepted, so an update that could not be stored is fetched again, never lost; other chats'
//! updates in the same batch are still run (and skipped as duplicates when refetched), so one chat's failing update
//! holds nobody else back, and after `telegram.update_attempts_max` tries over at least `telegram.dead_letter_after_s`
//! it is parked and the offset moves on. On shutdown the loop abandons its long poll at once (dropping the request:
//! Telegram confirms nothing it did not deliver) and ends after the batch in hand; that batch's offset is confirmed by
//! the next start's first poll, whose redeliveries the sessions' dedup skips.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use fsm::BotKind;
use teloxide_core::RequestError;
use teloxide_core::payloads::GetUpdatesSetters;
use teloxide_core::requests::{Request, Requester};
use teloxide_core::types::Update;
use tokio_util::sync::CancellationToken;

use super::ingress::Ingress;

/// Pause after a failed poll or a batch that could not be stored; it doubles with each batch in a row that could
/// not be stored, up to [`BACKOFF_MAX`] (an update failing transiently is parked after
/// `telegram.update_attempts_max` tries over at least `telegram.dead_letter_after_s`, see the ingress, so the offset then
/// moves on).
const BACKOFF: Duration = Duration::from_millis(500);

/// The longest pause between retries of a batch that could not be stored.
const BACKOFF_MAX: Duration = Duration::from_secs(4);

/// Polls `bot` for `timeout_s` seconds at a time and feeds `ingress`, until `stop` is cancelled.
pub async fn run(
    kind: BotKind,
    bot: teloxide_core::Bot,
    ingress: Arc<Ingress>,
    timeout_s: u32,
    stop: CancellationToken,
) {
    let mut offset: i32 = 0;
    // Batches in a row with an update not accepted: the retry pause grows with it.
    let mut failed_rounds: u32 = 0;
    loop {
        let polled = tokio::select! {
            biased;
            () = stop.cancelled() => break,
            polled = bot.get_updates().offset(offset).timeout(timeout_s).send() => polled,
        };
        let updates = match polled {
            Ok(updates) => updates,
            Err(RequestError::RetryAfter(wait)) => {
                pause(&stop, wait.duration()).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(bot = kind.as_str(), error = %e, "polling: getUpdates failed");
                pause(&stop, BACKOFF).await;
                continue;
            }
        };
        if updates.is_empty() {
            continue;
        }
        let accepted = accept_batch(kind, &ingress, &updates).await;
        let mut next = offset;
        for (update, ok) in updates.iter().zip(&accepted) {
            if !ok {
                break;
            }
            next = i32::try_from(update.id.0)
                .unwrap_or(i32::MAX)
                .saturating_add(1);
        }
        if accepted.iter().any(|ok| !ok) {
            let wait = BACKOFF
                .saturating_mul(1 << failed_rounds.min(3))
                .min(BACKOFF_MAX);
            failed_rounds = failed_rounds.saturating_add(1);
            pause(&stop, wait).await;
        } else {
            failed_rounds = 0;
        }
        offset = next;
    }
}

/// Waits `wait`, or less if the loop is told to stop meanwhile.
async fn pause(stop: &CancellationToken, wait: Duration) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(wait) => {}
    }
}

/// Chats run concurrently; the updates of one chat run one after another, in order.
async fn accept_batch(kind: BotKind, ingress: &Ingress, updates: &[Update]) -> Vec<bool> {
    let mut by_chat: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, update) in updates.iter().enumerate() {
        let chat = update.chat().map_or(0, |c| c.id.0);
        by_chat.entry(chat).or_default().push(i);
    }
    let mut accepted = vec![false; updates.len()];
    let runs = by_chat.into_values().map(|indexes| async move {
        let mut results = Vec::with_capacity(indexes.len());
        for i in indexes {
            let ok = ingress.accept(kind, &updates[i]).await.is_ok();
            results.push((i, ok));
            if !ok {
                // Later updates of this chat wait for the redelivery, to keep the chat's order.
                break;
            }
        }
        results
    });
    for results in futures_util::future::join_all(runs).await {
        for (i, ok) in results {
            accepted[i] = ok;
        }
    }
    accepted
}
