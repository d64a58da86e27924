//! A client's request of a service for points (issue 14): the client side (confirm screen, the request, the
//! partner's notice) and the partner's Accept / Decline. Every press is authorized here: the service approved and
//! not deleted and its partner approved (client), the request this partner's, for a service, still open (partner).

use fsm::callback::DraftId;
use fsm::chat::Sender;
use fsm::client::ClientEvent;
use fsm::client::offers::ServiceItem;
use fsm::client::service_request::{PartnerNotice, ServiceRequestCommand, ServiceRequestEvent};
use fsm::partner::PartnerEvent;
use fsm::partner::service_requests::{ServiceDecisionCommand, ServiceDecisionEvent, ServiceParty};
use fsm::text::escape;

use super::{DialogueEnv, DialogueError};
use crate::db::service_requests::{self, Requestable};
use crate::db::{partners, redemptions};
use crate::ledger::{IdempotencyKey, LedgerCommand, LedgerOp, LedgerOutcome};

fn item(s: &Requestable) -> ServiceItem {
    ServiceItem {
        id: s.service,
        partner: escape(&s.company),
        title: escape(&s.title),
        price: s.price,
    }
}

/// The client's tap on a service, or their confirmation.
pub async fn run_client(
    env: &DialogueEnv,
    sender: &Sender,
    command: ServiceRequestCommand,
) -> Result<Option<ClientEvent>, DialogueError> {
    let (service, draft): (i64, Option<DraftId>) = match &command {
        ServiceRequestCommand::Show { service, .. } => (*service, None),
        ServiceRequestCommand::Request { service, draft } => (*service, Some(draft.clone())),
    };
    let db = env.pg.get().await?;
    let found = service_requests::requestable(&**db, service, sender.user_id).await?;
    let Some(s) = found.filter(|s| s.price <= s.balance) else {
        return Ok(Some(ClientEvent::ServiceRequest(
            ServiceRequestEvent::Unavailable,
        )));
    };
    let event = match (command, draft) {
        (ServiceRequestCommand::Show { draft, .. }, _) => ServiceRequestEvent::Shown {
            item: item(&s),
            balance: s.balance,
            draft,
        },
        (ServiceRequestCommand::Request { .. }, Some(draft)) => {
            let key = format!("service:{draft}");
            let ttl = env.money.consent_ttl.as_secs().max(1);
            let (request, created) = service_requests::create(&**db, &key, &s, ttl).await?;
            ServiceRequestEvent::Requested {
                item: item(&s),
                notice: created.then(|| PartnerNotice {
                    request,
                    partner_chat: s.partner_chat,
                    partner_lang: s.partner_lang,
                    client_label: escape(&s.member_code),
                }),
            }
        }
        (ServiceRequestCommand::Request { .. }, None) => {
            return Err(DialogueError::Bug(
                "a service request without its draft".into(),
            ));
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
    let (Some(row), Some((title, client_lang))) = (
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
    if !redemptions::claim(&**db, row.id).await? {
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
            ServiceDecisionEvent::Accepted { party, balance },
        ),
        _ => ("failed", None, ServiceDecisionEvent::Closed { party }),
    };
    let first = redemptions::finish(&**db, row.id, status, operation).await?;
    Ok(if first { event } else { closed })
}
