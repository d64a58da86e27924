//! A client's request of a service for points, answered in the partner bot (issue 14): Accept redeems the service's
//! price through the ledger under the request's idempotency key (one operation however often tapped), Decline
//! closes it; the message turns into the outcome and the client is told. The server checks that the request is
//! this partner's, for a service, and still open.

use super::{PartnerCommand, PartnerState, PartnerStep};
use crate::chat::{BotKind, Lang, Reply, Transition};
use crate::dialogue::Effect;
use crate::text::{ClientText, PartnerText, render};

/// Answered with `ServiceDecisionEvent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceDecisionCommand {
    Decide { request: i64, accept: bool },
}

/// Who is told what about a decided request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceParty {
    /// The client's member code, the service title and the partner's company, escaped.
    pub client_label: String,
    pub title: String,
    pub company: String,
    pub points: i64,
    pub client_chat: Option<i64>,
    pub client_lang: Lang,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceDecisionEvent {
    Accepted {
        party: ServiceParty,
        balance: i64,
        /// The redemption booked (`operations.id`): the client is asked to rate the partner for it (SPEC §5).
        operation: crate::ids::OperationId,
    },
    Declined {
        party: ServiceParty,
    },
    /// Answered before, expired, or refused by the ledger (the wallet holds less by now): closed, nothing moved.
    Closed {
        party: ServiceParty,
    },
    /// Not this partner's request, not a service request, or no such request.
    NotYours,
    Unavailable,
}

/// A press on Accept or Decline.
pub fn on_press(state: &PartnerState, request: i64, accept: bool) -> PartnerStep {
    Transition {
        next: state.clone(),
        effects: vec![Effect::Command(PartnerCommand::ServiceDecision(
            ServiceDecisionCommand::Decide { request, accept },
        ))],
    }
}

fn notify_client(party: &ServiceParty, text: ClientText<'_>) -> Option<Effect<PartnerCommand>> {
    party.client_chat.map(|chat_id| Effect::Notify {
        bot: BotKind::Client,
        chat_id,
        reply: Reply::new(render(party.client_lang, &text)),
    })
}

/// The decision: the notice turns into the outcome, the client is told.
pub fn on_result(state: &PartnerState, lang: Lang, event: ServiceDecisionEvent) -> PartnerStep {
    let edit = |text: PartnerText<'_>| Effect::Edit(Reply::new(render(lang, &text)));
    let effects: Vec<Effect<PartnerCommand>> = match &event {
        ServiceDecisionEvent::Accepted {
            party,
            balance,
            operation,
        } => [
            Some(edit(PartnerText::ServiceRequestAccepted {
                client: &party.client_label,
                title: &party.title,
                points: party.points,
            })),
            notify_client(
                party,
                ClientText::ServiceAccepted {
                    partner: &party.company,
                    title: &party.title,
                    points: party.points,
                    balance: *balance,
                },
            ),
            // As after every completed redemption: the rating question, under the operation it rates.
            party.client_chat.map(|chat_id| Effect::Notify {
                bot: BotKind::Client,
                chat_id,
                reply: crate::client::nps::question(party.client_lang, &party.company, *operation),
            }),
        ]
        .into_iter()
        .flatten()
        .collect(),
        ServiceDecisionEvent::Declined { party } => [
            Some(edit(PartnerText::ServiceRequestDeclined {
                client: &party.client_label,
                title: &party.title,
            })),
            notify_client(
                party,
                ClientText::ServiceDeclined {
                    partner: &party.company,
                    title: &party.title,
                },
            ),
        ]
        .into_iter()
        .flatten()
        .collect(),
        // A new message: a second tap must not overwrite the outcome the first one wrote.
        ServiceDecisionEvent::Closed { .. } => vec![Effect::Reply(Reply::new(render(
            lang,
            &PartnerText::ServiceRequestClosed,
        )))],
        ServiceDecisionEvent::NotYours => vec![Effect::Reply(Reply::new(render(
            lang,
            &crate::text::CommonText::StaleButton,
        )))],
        ServiceDecisionEvent::Unavailable => vec![Effect::Reply(Reply::new(render(
            lang,
            &crate::text::CommonText::TryAgainLater,
        )))],
    };
    Transition {
        next: state.clone(),
        effects,
    }
}
