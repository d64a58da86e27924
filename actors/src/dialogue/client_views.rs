//! The client bot's read-only views (issue 14): `/history` pages, `/promos` and `/services`. Everything is read for the client behind the
//! sender's Telegram id; a cursor from a button is checked to be one of that client's operations first.

use fsm::callback::HistoryCursor;
use fsm::chat::Sender;
use fsm::client::ClientEvent;
use fsm::client::history::{
    HistoryCommand, HistoryEvent, HistoryItem, HistoryKind, HistoryPage, PAGE_SIZE,
};
use fsm::client::offers::{self, OffersCommand, OffersEvent, PromoItem, ServiceItem};
use fsm::{Kopecks, text::escape};

use super::{DialogueEnv, DialogueError};
use crate::db::{client_history, miniapp};

/// Runs a `/history` command.
pub async fn run_history(
    env: &DialogueEnv,
    sender: &Sender,
    command: HistoryCommand,
) -> Result<Option<ClientEvent>, DialogueError> {
    let HistoryCommand::Page { cursor } = command;
    let db = env.pg.get().await?;
    let Some(client) = miniapp::client_by_telegram(&db, sender.user_id).await? else {
        return Ok(Some(ClientEvent::History(HistoryEvent::NotYours)));
    };
    if let Some(HistoryCursor::Before(id) | HistoryCursor::After(id)) = cursor
        && !client_history::owns(&db, client.id, id).await?
    {
        return Ok(Some(ClientEvent::History(HistoryEvent::NotYours)));
    }
    let (rows, older, newer) = client_history::page(&db, client.id, cursor, PAGE_SIZE).await?;
    let tz = &env.money.time_zone;
    let items = rows
        .iter()
        .map(|r| HistoryItem {
            operation: r.id,
            kind: match r.kind.as_str() {
                "accrual" => HistoryKind::Accrual,
                "redemption" => HistoryKind::Redemption,
                "welcome_bonus" => HistoryKind::WelcomeBonus,
                _ => HistoryKind::Reversal,
            },
            points: r.points,
            partner: r.partner.as_deref().map(escape),
            receipt: r.receipt_kopecks.and_then(Kopecks::new),
            when: jiff::Timestamp::from_second(r.created_at_unix_s)
                .map(|t| {
                    t.to_zoned_datetime(tz.clone())
                        .strftime("%d.%m.%Y %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
        })
        .collect();
    let page = HistoryPage {
        older: older.then(|| rows.last().map(|r| r.id)).flatten(),
        newer: newer.then(|| rows.first().map(|r| r.id)).flatten(),
        items,
    };
    Ok(Some(ClientEvent::History(HistoryEvent::Page {
        page,
        edit: cursor.is_some(),
    })))
}

/// Runs `/promos` or `/services`.
pub async fn run_offers(
    env: &DialogueEnv,
    sender: &Sender,
    command: OffersCommand,
) -> Result<Option<ClientEvent>, DialogueError> {
    let db = env.pg.get().await?;
    let Some(client) = miniapp::client_by_telegram(&db, sender.user_id).await? else {
        return Ok(None);
    };
    let event = match command {
        OffersCommand::Promos => {
            let today = fsm::calendar::network_today(&env.office.time_zone);
            let rows =
                miniapp::current_promotions(&db, client.id, &today.to_string(), offers::PROMOS_MAX)
                    .await?;
            OffersEvent::Promos(
                rows.iter()
                    .map(|p| PromoItem {
                        partner: escape(&p.partner),
                        title: escape(&p.title),
                        discount: escape(&p.discount_text),
                        ends: p
                            .ends_on
                            .parse::<jiff::civil::Date>()
                            .map(fsm::calendar::format_date)
                            .unwrap_or_else(|_| escape(&p.ends_on)),
                    })
                    .collect(),
            )
        }
        OffersCommand::Services => {
            let rows = miniapp::approved_services(&db).await?;
            OffersEvent::Services {
                balance: client.balance,
                items: rows
                    .iter()
                    .map(|s| ServiceItem {
                        id: s.id,
                        partner: s.partner.clone(),
                        title: s.title.clone(),
                        price: s.price_points,
                    })
                    .collect(),
            }
        }
    };
    Ok(Some(ClientEvent::Offers(event)))
}
