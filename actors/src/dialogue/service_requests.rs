//! A client's request of a service for points (issue 14): the client side (confirm screen, the request, the
//! partner's notice) and the partner's Accept / Decline. Every press is authorized here: the service approved and
//! not deleted and its partner approved (client), the request this partner's, for a service, still open (partner).

use fsm::chat::Sender;
use fsm::client::ClientEvent;
use fsm::client::offers::ServiceItem;
use fsm::client::service_request::{PartnerNotice, ServiceRequestCommand, ServiceRequestEvent};
use fsm::partner::PartnerEvent;
use fsm::partner::service_requests::{ServiceDecisionCommand, ServiceDecisionEvent, ServiceParty};
use fsm::text::escape;
use tokio_postgres::GenericClient;

use super::{DialogueEnv, DialogueError};
use crate::db::service_requests::{self, Requestable};
use crate::db::{partners, redemptions};
use crate::ledger::{IdempotencyKey, LedgerCommand, LedgerOp, LedgerOutcome};

fn item(s: &Requestable) -> ServiceItem {
    ServiceItem {
        id: s.service,
        partner: s.company.clone(),
        title: s.title.clone(),
        price: s.price,
    }
}

/// Why a service cannot be requested now; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, not approved, deleted, its partner not approved, the sender no client, or the key already names a
    /// request of another service.
    Unavailable,
    /// More points than the wallet holds.
    Unaffordable,
    /// The client's request of this service waits for the partner already.
    Pending,
}

/// A request made, or found again under its key.
#[derive(Debug, Clone)]
pub struct Requested {
    pub request: i64,
    /// The service (raw texts; the renderers escape them).
    pub item: ServiceItem,
    /// The partner's notice, for the request this call created (None when found again: the partner was told).
    pub notice: Option<PartnerNotice>,
}

/// Requests `service` for the client with Telegram id `telegram_id` under `key` (`service:<draft>` from the bot,
/// `miniapp:c<client>:<page key>` from the Mini App): the one path both take. A key that names a request already
/// finds it (a double tap makes one request, one notice); otherwise the service must be requestable, affordable and
/// not requested already. The request expires `ttl_s` seconds from now; the caller sends `notice` to the partner
/// (`service_request::partner_notice`). Two requests with different keys at the same instant can both pass the
/// pending check; each is still one redemption at most, under its own key.
pub async fn request(
    db: &impl GenericClient,
    telegram_id: i64,
    service: i64,
    key: &str,
    ttl_s: u64,
) -> Result<Result<Requested, Refusal>, tokio_postgres::Error> {
    if let Some(made) = service_requests::by_key(db, key).await? {
        if made.service != Some(service) {
            return Ok(Err(Refusal::Unavailable));
        }
        return Ok(Ok(Requested {
            request: made.request,
            item: ServiceItem {
                id: service,
                partner: made.company.clone(),
                title: made.title.clone(),
                price: made.points,
            },
            notice: None,
        }));
    }
    let Some(s) = service_requests::requestable(db, service, telegram_id).await? else {
        return Ok(Err(Refusal::Unavailable));
    };
    if s.price > s.balance {
        return Ok(Err(Refusal::Unaffordable));
    }
    if service_requests::pending(db, s.client, service, key).await? {
        return Ok(Err(Refusal::Pending));
    }
    let (request, created) = service_requests::create(db, key, &s, ttl_s).await?;
    Ok(Ok(Requested {
        request,
        item: item(&s),
        notice: created.then(|| PartnerNotice {
            request,
            partner_chat: s.partner_chat,
            partner_lang: s.partner_lang,
            client_label: escape(&s.member_code),
        }),
    }))
}

/// The client's tap on a service, or their confirmation.
pub async fn run_client(
    env: &DialogueEnv,
    sender: &Sender,
    command: ServiceRequestCommand,
) -> Result<Option<ClientEvent>, DialogueError> {
    let db = env.pg.get().await?;
    let event = match command {
        ServiceRequestCommand::Show { service, draft } => {
            let found = service_requests::requestable(&**db, service, sender.user_id).await?;
            match found.filter(|s| s.price <= s.balance) {
                Some(s) => ServiceRequestEvent::Shown {
                    item: item(&s),
                    balance: s.balance,
                    draft,
                },
                None => ServiceRequestEvent::Unavailable,
            }
        }
        ServiceRequestCommand::Request { service, draft } => {
            // The key names the client as well as the confirm screen's draft: a draft copied into another
            // client's press finds no request of theirs (and replays nobody else's).
            let key = format!("service:u{}:{draft}", sender.user_id);
            let ttl = env.money.consent_ttl.as_secs().max(1);
            match request(&**db, sender.user_id, service, &key, ttl).await? {
                Ok(r) => ServiceRequestEvent::Requested {
                    item: r.item,
                    notice: r.notice,
                },
                Err(Refusal::Pending) => ServiceRequestEvent::AlreadyRequested,
                Err(Refusal::Unavailable | Refusal::Unaffordable) => {
                    ServiceRequestEvent::Unavailable
                }
            }
        }
    };
    Ok(Some(ClientEvent::ServiceRequest(event)))
}

/// The partner's Accept or Decline.
pub async fn run_partner(
    env: &DialogueEnv,
    sender: &Sender,
    command: ServiceDecisionCommand,
) -> Result<Option<PartnerEvent>, DialogueError> {
    let ServiceDecisionCommand::Decide { request, accept } = command;
    Ok(Some(PartnerEvent::ServiceDecision(
        decide(env, sender, request, accept).await?,
    )))
}

async fn decide(
    env: &DialogueEnv,
    sender: &Sender,
    request: i64,
    accept: bool,
) -> Result<ServiceDecisionEvent, DialogueError> {
    let db = env.pg.get().await?;
    let (Some(row), Some((title, client_lang, offered))) = (
        redemptions::load(&**db, request).await?,
        service_requests::details(&**db, request).await?,
    ) else {
        return Ok(ServiceDecisionEvent::NotYours);
    };
    // The press is the partner's own: the request names the partner behind this chat.
    let me = partners::by_telegram(&db, sender.user_id).await?;
    if me.map(|p| p.id) != Some(row.partner) {
        return Ok(ServiceDecisionEvent::NotYours);
    }
    let party = ServiceParty {
        client_label: row.party.client_label.clone(),
        title: escape(&title),
        company: row.party.company.clone(),
        points: row.points.get(),
        client_chat: row.client_telegram,
        client_lang,
    };
    if row.status != "pending" {
        return Ok(ServiceDecisionEvent::Closed { party });
    }
    if !accept {
        if redemptions::decline(&**db, row.id).await? {
            return Ok(ServiceDecisionEvent::Declined { party });
        }
        redemptions::expire(&**db, row.id).await?;
        return Ok(ServiceDecisionEvent::Closed { party });
    }
    // A service withdrawn (rejected on re-decision, or deleted) since the request is not sold any more.
    if !offered || !redemptions::claim(&**db, row.id).await? {
        redemptions::expire(&**db, row.id).await?;
        return Ok(ServiceDecisionEvent::Closed { party });
    }
    drop(db);
    let key = IdempotencyKey::new(row.key.clone())
        .ok_or_else(|| DialogueError::Bug("service request key".into()))?;
    let command = LedgerCommand {
        key,
        op: LedgerOp::Redeem {
            client: row.client,
            partner: row.partner,
            points: row.points,
            receipt: None,
        },
    };
    // No final answer: the claim stays, and the next press carries the same acceptance on under the same key.
    let Ok(Ok(reply)) = env.ledger.send(command).await else {
        return Ok(ServiceDecisionEvent::Unavailable);
    };
    let db = env.pg.get().await?;
    let closed = ServiceDecisionEvent::Closed {
        party: party.clone(),
    };
    let (status, operation, event) = match reply.outcome {
        LedgerOutcome::Applied {
            operation, balance, ..
        } => (
            "approved",
            Some(operation.0),
            ServiceDecisionEvent::Accepted {
                party,
                balance,
                operation,
            },
        ),
        _ => ("failed", None, ServiceDecisionEvent::Closed { party }),
    };
    let first = redemptions::finish(&**db, row.id, status, operation).await?;
    Ok(if first { event } else { closed })
}
