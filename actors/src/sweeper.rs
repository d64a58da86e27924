//! Expiry of redemption requests nobody answered (SPEC §2): every `every`, each replica marks the pending,
//! unclaimed requests past their `expires_at` expired (`db::redemptions::sweep`: `FOR UPDATE SKIP LOCKED`, so each
//! request goes to one replica) and tells both sides: the client by editing their consent request message into the
//! outcome (its id recorded by the outbox when it was sent, `outgoing::record_sent`; a new message when unknown),
//! the partner in the partner bot. The notices are appended to the outbox streams before the transaction commits: a crash in between leaves the
//! requests pending for the next sweep, so a notice may be sent twice but never lost.

use std::future::Future;
use std::time::Duration;

use deadpool_postgres::Pool;
use fsm::BotKind;
use fsm::client::consent::expiry_notices;

use crate::db::redemptions;
use crate::outgoing::{Outgoing, OutgoingMessage};
use crate::session::store::SessionStore;

/// Requests one sweep takes at most; the rest wait for the next tick.
pub const SWEEP_BATCH_MAX: i64 = 100;

/// One sweep: marks due requests expired, queues the notices, commits. Returns how many it expired.
pub async fn sweep_once(pg: &Pool, outbox: &SessionStore) -> anyhow::Result<usize> {
    let mut db = pg.get().await?;
    let tx = db.transaction().await?;
    let swept = redemptions::sweep(&*tx, SWEEP_BATCH_MAX).await?;
    if swept.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    let mut notices = Vec::new();
    for request in &swept {
        // A client without a Telegram id never got the request (one cannot be made for them); only the partner hears.
        let client_chat = request.client_chat.unwrap_or_default();
        for (bot, chat, reply) in expiry_notices(&request.party, client_chat, request.client_lang) {
            if chat == 0 {
                continue;
            }
            // The client's consent request turns into the outcome, its buttons gone; when its id was never recorded
            // (not sent yet, or sent before ids were kept) the outcome comes as a new message.
            let message = match (bot, request.consent_message) {
                (BotKind::Client, Some(message_id)) => OutgoingMessage::Edit { message_id, reply },
                _ => OutgoingMessage::Send(reply),
            };
            notices.push(Outgoing {
                bot,
                chat_id: chat,
                message,
            });
        }
    }
    outbox.append(&notices).await?;
    tx.commit().await?;
    Ok(swept.len())
}

/// Sweeps every `every` until `stop` resolves. A failed sweep is logged and tried again at the next tick.
pub async fn run(pg: Pool, outbox: SessionStore, every: Duration, stop: impl Future<Output = ()>) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {
                if let Err(e) = sweep_once(&pg, &outbox).await {
                    tracing::warn!(error = %e, "redemption expiry sweep failed; trying again at the next tick");
                }
            }
        }
    }
}
