//! What the client Mini App changes (SPEC §5, §7): a service requested for points and the language chosen. Each goes
//! through the same queries as the client bot's (`dialogue::service_requests::request`, `db::clients::set_language`)
//! and sends its messages through the outbox streams, as the expiry sweeper does: appended before the transaction
//! commits, so a crash in between leaves nothing written (the page's retry with the same key makes the request then)
//! and a message is sent at least once, never lost.

use deadpool_postgres::Pool;
use fsm::BotKind;
use fsm::Lang;
use fsm::client::service_request::partner_notice;

use crate::db::clients;
use crate::dialogue::service_requests::{self, Refusal, Requested};
use crate::outgoing::{Outgoing, OutgoingMessage};
use crate::session::store::SessionStore;

/// Requests `service` for the client with Telegram id `telegram_id` under `key` (bound to the client by the caller:
/// `miniapp:c<client>:<page key>`), expiring `ttl_s` seconds from now. A new request's notice (Accept / Decline) goes
/// to the partner in the partner bot, the very message the client bot's request sends. Errors are transient
/// (Postgres, Redis): nothing was committed, and the same key may be tried again.
pub async fn request_service(
    pg: &Pool,
    outbox: &SessionStore,
    telegram_id: i64,
    service: i64,
    key: &str,
    ttl_s: u64,
) -> anyhow::Result<Result<Requested, Refusal>> {
    let mut db = pg.get().await?;
    let tx = db.transaction().await?;
    let made = service_requests::request(&*tx, telegram_id, service, key, ttl_s).await?;
    if let Ok(Requested {
        item,
        notice: Some(notice),
        ..
    }) = &made
    {
        let reply = partner_notice(item, notice);
        outbox
            .append(&[Outgoing::send(BotKind::Partner, notice.partner_chat, reply)])
            .await?;
    }
    tx.commit().await?;
    Ok(made)
}

/// Stores `lang` as the language of the client with Telegram id `telegram_id` (`clients.language_override`, as the
/// client bot's `/language` does) and sets their "/" menu in the client bot to it, and the chat's Mini App button when
/// `miniapp_url` is given. False when no client has that id.
pub async fn set_language(
    pg: &Pool,
    outbox: &SessionStore,
    telegram_id: i64,
    lang: Lang,
    miniapp_url: Option<&str>,
) -> anyhow::Result<bool> {
    let db = pg.get().await?;
    if !clients::set_language(&**db, telegram_id, lang).await? {
        return Ok(false);
    }
    // The menus follow; were they lost, only the "/" list and the button would stay in the old language until the
    // next choice.
    let mut menus = vec![Outgoing {
        bot: BotKind::Client,
        chat_id: telegram_id,
        message: OutgoingMessage::Commands(lang),
    }];
    menus.extend(miniapp_url.map(|url| Outgoing::menu_button(telegram_id, lang, url)));
    outbox.append(&menus).await?;
    Ok(true)
}
