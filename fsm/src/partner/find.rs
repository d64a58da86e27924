//! Find a client (`/find`, SPEC §4): by phone or member code, only among the clients who have dealt with this
//! partner (referred by them, or an operation with them). "Not found" and "not yours" are one answer, word for word,
//! and lookups are limited per partner (`partners.find_lookups_per_hour`), so nobody can test phone numbers
//! against the network.

use serde::{Deserialize, Serialize};

use super::accrue::{ClientQuery, parse_client_query};
use super::{
    PartnerCommand, PartnerInfo, PartnerState, PartnerStep, cancel_keyboard, menu_reply, reply, say,
};
use crate::chat::{Lang, Reply, Transition, UserInput};
use crate::dialogue::{Effect, UserEvent};
use crate::identity::Phone;
use crate::ids::PartnerId;
use crate::text::{CommonText, PartnerText, render};

/// Where the partner is in `/find`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum FindStep {
    /// Waiting for a phone or member code.
    Client,
}

/// What a lookup shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCard {
    /// Masked phone or member code, escaped.
    pub label: String,
    pub balance: i64,
    /// Accruals and redemptions with this partner.
    pub operations: i64,
    /// The day of the last one, DD.MM.YYYY in the network time zone.
    pub last_visit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindResult {
    Found(ClientCard),
    /// No such client, or not one of this partner's: the same answer.
    NotFound,
    /// Over the per-partner limit; no lookup was made.
    TooMany,
    Unavailable,
}

/// Answered with `FindEvent::Looked`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindCommand {
    Lookup {
        partner: PartnerId,
        query: ClientQuery,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindEvent {
    Looked(FindResult),
}

/// `/find` or its button.
pub fn start(lang: Lang) -> PartnerStep {
    reply(
        PartnerState::Find(FindStep::Client),
        Reply::with(render(lang, &PartnerText::AskClient), cancel_keyboard(lang)),
    )
}

fn lookup(info: &PartnerInfo, query: ClientQuery) -> PartnerStep {
    Transition {
        next: PartnerState::Find(FindStep::Client),
        effects: vec![Effect::Command(PartnerCommand::Find(FindCommand::Lookup {
            partner: info.id,
            query,
        }))],
    }
}

/// The partner's input while in `/find`.
pub fn on_user(info: &PartnerInfo, lang: Lang, ev: UserEvent) -> PartnerStep {
    let here = PartnerState::Find(FindStep::Client);
    match ev.input {
        UserInput::Text(text) => match parse_client_query(&text) {
            Some(query) => lookup(info, query),
            None => say(lang, here, PartnerText::ClientQueryInvalid),
        },
        UserInput::Contact { phone, .. } => match Phone::parse(&phone) {
            Ok(phone) => lookup(info, ClientQuery::Phone(phone)),
            Err(_) => say(lang, here, PartnerText::ClientQueryInvalid),
        },
        UserInput::Command { .. } => say(lang, here, CommonText::UnknownCommand),
        UserInput::Callback { .. } => say(lang, here, CommonText::StaleButton),
        UserInput::Unsupported => say(lang, here, CommonText::Unsupported),
    }
}

/// A lookup's result: the card and the menu, or the one "not found" answer (the partner may type another).
pub fn on_result(info: &PartnerInfo, lang: Lang, event: FindEvent) -> PartnerStep {
    let FindEvent::Looked(result) = event;
    match result {
        FindResult::Found(card) => {
            let text = render(
                lang,
                &PartnerText::FindCard {
                    client: &card.label,
                    balance: card.balance,
                    operations: card.operations,
                    last_visit: card.last_visit.as_deref(),
                },
            );
            Transition {
                next: PartnerState::Menu,
                effects: vec![
                    Effect::Reply(Reply::new(text)),
                    Effect::Reply(menu_reply(lang, info)),
                ],
            }
        }
        FindResult::NotFound => say(
            lang,
            PartnerState::Find(FindStep::Client),
            PartnerText::FindNotFound,
        ),
        FindResult::TooMany => Transition {
            next: PartnerState::Menu,
            effects: vec![
                Effect::Reply(Reply::new(render(lang, &PartnerText::FindTooMany))),
                Effect::Reply(menu_reply(lang, info)),
            ],
        },
        FindResult::Unavailable => say(
            lang,
            PartnerState::Find(FindStep::Client),
            CommonText::TryAgainLater,
        ),
    }
}
