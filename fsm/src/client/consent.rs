//! Redemption consent in the client bot (SPEC §2, §5): a partner's request (`partner::redeem`) arrives with Approve
//! and Decline; the press is checked on the server (the request is this client's, still pending, not expired), and
//! only an approval moves points, once, under the request's own idempotency key. The message turns into the outcome
//! with the new balance, the partner is told, and an approval is followed by the NPS question.

use super::{ClientCommand, ClientCtx, ClientState, ClientStep, reply};
use crate::chat::{BotKind, Lang, Reply, Transition};
use crate::dialogue::Effect;
use crate::ids::OperationId;
use crate::money::Points;
use crate::text::{ClientText, CommonText, PartnerText, render};

/// Who is told what about a request, read from Postgres with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentParty {
    /// The partner's company, escaped.
    pub company: String,
    /// The partner's Telegram chat and language, for their notice.
    pub partner_chat: i64,
    pub partner_lang: Lang,
    /// How the partner knows the client: the member code.
    pub client_label: String,
    pub points: Points,
}

/// What a press decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentResult {
    Approved {
        party: ConsentParty,
        operation: OperationId,
        /// The wallet after the redemption.
        balance: i64,
    },
    Declined {
        party: ConsentParty,
    },
    /// Pressed after `expires_at`; `notify_partner` is false when the sweeper marked it and told the partner.
    Expired {
        party: ConsentParty,
        notify_partner: bool,
    },
    /// Approved, but the wallet holds less by now.
    Insufficient {
        party: ConsentParty,
        balance: i64,
    },
    /// Approved, but the ledger refused otherwise (partner no longer active, ...).
    Failed {
        party: ConsentParty,
    },
    /// Answered before (a second tap, another replica's tap).
    AlreadyAnswered,
    /// Not this client's request, or no such request: nothing happens.
    NotYours,
    Unavailable,
}

/// Answered with `ConsentEvent::Decided`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentCommand {
    /// `request` is what the button claims (`redemption_requests.id`).
    Decide { request: i64, approve: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentEvent {
    Decided(ConsentResult),
}

/// A press on Approve or Decline.
pub fn on_press(state: &ClientState, request: i64, approve: bool) -> ClientStep {
    Transition {
        next: state.clone(),
        effects: vec![Effect::Command(ClientCommand::Consent(
            ConsentCommand::Decide { request, approve },
        ))],
    }
}

fn notify_partner(party: &ConsentParty, text: PartnerText<'_>) -> Effect<ClientCommand> {
    Effect::Notify {
        bot: BotKind::Partner,
        chat_id: party.partner_chat,
        reply: Reply::new(render(party.partner_lang, &text)),
    }
}

/// The decision: the request's message becomes the outcome, the partner is told.
pub fn on_result(state: &ClientState, ctx: &ClientCtx, event: ConsentEvent) -> ClientStep {
    let lang = ctx.lang;
    let ConsentEvent::Decided(result) = event;
    let edit = |text: ClientText<'_>| Effect::Edit(Reply::new(render(lang, &text)));
    let effects = match &result {
        ConsentResult::Approved {
            party,
            operation,
            balance,
        } => vec![
            edit(ClientText::ConsentApproved {
                partner: &party.company,
                points: party.points,
                balance: *balance,
            }),
            notify_partner(
                party,
                PartnerText::RedemptionDone {
                    client: &party.client_label,
                    points: party.points,
                    balance: *balance,
                },
            ),
            Effect::Reply(super::nps::question(lang, &party.company, *operation)),
        ],
        ConsentResult::Declined { party } => vec![
            edit(ClientText::ConsentDeclined {
                partner: &party.company,
                points: party.points,
            }),
            notify_partner(
                party,
                PartnerText::RedemptionDeclined {
                    client: &party.client_label,
                    points: party.points,
                },
            ),
        ],
        ConsentResult::Expired {
            party,
            notify_partner: tell,
        } => {
            let mut effects = vec![edit(ClientText::ConsentExpired {
                partner: &party.company,
                points: party.points,
            })];
            if *tell {
                effects.push(notify_partner(
                    party,
                    PartnerText::RedemptionExpired {
                        client: &party.client_label,
                        points: party.points,
                    },
                ));
            }
            effects
        }
        ConsentResult::Insufficient { party, balance } => vec![
            edit(ClientText::ConsentInsufficient {
                points: party.points,
                balance: *balance,
            }),
            notify_partner(
                party,
                PartnerText::RedemptionInsufficient {
                    client: &party.client_label,
                    points: party.points,
                    balance: *balance,
                },
            ),
        ],
        ConsentResult::Failed { party } => vec![
            edit(ClientText::ConsentFailed),
            notify_partner(
                party,
                PartnerText::RedemptionFailed {
                    client: &party.client_label,
                    points: party.points,
                },
            ),
        ],
        ConsentResult::AlreadyAnswered => {
            return reply(
                state.clone(),
                Reply::new(render(lang, &ClientText::ConsentAlreadyAnswered)),
            );
        }
        ConsentResult::NotYours => {
            return reply(
                state.clone(),
                Reply::new(render(lang, &CommonText::StaleButton)),
            );
        }
        ConsentResult::Unavailable => {
            return reply(
                state.clone(),
                Reply::new(render(lang, &CommonText::TryAgainLater)),
            );
        }
    };
    Transition {
        next: state.clone(),
        effects,
    }
}

/// What the expiry sweeper sends for a request nobody answered in time: (bot, chat, message) for the client and
/// the partner, each in their language.
pub fn expiry_notices(
    party: &ConsentParty,
    client_chat: i64,
    client_lang: Lang,
) -> Vec<(BotKind, i64, Reply)> {
    vec![
        (
            BotKind::Client,
            client_chat,
            Reply::new(render(
                client_lang,
                &ClientText::ConsentExpired {
                    partner: &party.company,
                    points: party.points,
                },
            )),
        ),
        (
            BotKind::Partner,
            party.partner_chat,
            Reply::new(render(
                party.partner_lang,
                &PartnerText::RedemptionExpired {
                    client: &party.client_label,
                    points: party.points,
                },
            )),
        ),
    ]
}
