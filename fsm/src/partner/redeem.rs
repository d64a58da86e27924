//! Redemption (`/redeem`, SPEC §2, §4): the client by phone or member code → the points → optionally the receipt
//! amount (points pay at most `money.redeem_cap_percent` of it; a point pays one rouble) → a confirm screen → a
//! redemption request the client approves or declines in the client bot (`client::consent`). The ledger moves points
//! only after the approval; the partner hears the outcome from the client's step (or from the expiry sweeper).
//!
//! More points than the wallet holds are refused at once with the balance shown, and nothing is written.

use serde::{Deserialize, Serialize};

use super::accrue::{ClientQuery, FoundClient, parse_client_query};
use super::{
    PartnerCommand, PartnerCtx, PartnerInfo, PartnerState, PartnerStep, cancel_keyboard, is_button,
    menu_reply, reply, say,
};
use crate::callback::{Callback, Decoded, DraftId};
use crate::chat::{
    BotKind, InlineButton, Keyboard, Lang, Reply, ReplyButton, Tracked, Transition, UserInput,
};
use crate::dialogue::{Effect, UserEvent};
use crate::identity::Phone;
use crate::ids::{ClientId, PartnerId};
use crate::money::{Kopecks, Points, parse_amount};
use crate::text::{ClientText, CommonText, PartnerText, render};

/// Where the partner is in the redemption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum RedeemStep {
    /// Waiting for a phone or member code.
    Client,
    /// Waiting for the number of points.
    Points { client: FoundClient },
    /// Waiting for the receipt amount, or "without receipt".
    Receipt { client: FoundClient, points: Points },
    /// The confirm screen `draft`, made by Telegram user `by`.
    Confirm {
        client: FoundClient,
        points: Points,
        receipt: Option<Kopecks>,
        draft: DraftId,
        by: i64,
    },
}

/// What a lookup found, for a redemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(FoundClient),
    NotFound,
    /// The partner's own client record.
    Own,
    /// Over `partners.till_lookups_per_hour`: no lookup was made.
    TooMany,
}

/// What creating the request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestResult {
    /// The request `request` is pending (created now, or found again for the same key); the client is asked.
    Sent {
        request: i64,
        /// The wallet now.
        balance: i64,
        /// How long the client has to answer, in whole minutes (rounded up).
        minutes: i64,
    },
    /// The wallet holds less than asked by now: nothing was written.
    Insufficient {
        balance: i64,
    },
    /// The client has no Telegram account linked, so nobody can consent.
    NoTelegram,
    Unavailable,
}

/// The redemption's commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemCommand {
    /// Answered with `RedeemEvent::ClientLookup`.
    FindClient(ClientQuery),
    /// Answered with `RedeemEvent::Requested`. `key` (`redeem:<draft>`) names the request and becomes the ledger's
    /// idempotency key when the client approves.
    Request {
        key: String,
        client: ClientId,
        partner: PartnerId,
        points: Points,
        receipt: Option<Kopecks>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemEvent {
    ClientLookup(Lookup),
    Requested(RequestResult),
}

fn at(step: &RedeemStep) -> PartnerState {
    PartnerState::Redeem(step.clone())
}

fn command(next: RedeemStep, c: RedeemCommand) -> PartnerStep {
    Transition {
        next: PartnerState::Redeem(next),
        effects: vec![Effect::Command(PartnerCommand::Redeem(c))],
    }
}

/// `/redeem` or its button: ask for the client.
pub fn start(lang: Lang) -> PartnerStep {
    reply(
        PartnerState::Redeem(RedeemStep::Client),
        Reply::with(render(lang, &PartnerText::AskClient), cancel_keyboard(lang)),
    )
}

/// "Without receipt" above Cancel, while the receipt is asked.
fn receipt_keyboard(lang: Lang) -> Keyboard {
    Keyboard::Reply(vec![
        vec![ReplyButton::Text(render(lang, &PartnerText::BtnNoReceipt))],
        vec![ReplyButton::Text(render(lang, &CommonText::BtnCancel))],
    ])
}

/// The most points a receipt takes: `cap_percent` of it, a point paying one rouble, rounded down.
pub fn cap_points(receipt: Kopecks, cap_percent: u32) -> i64 {
    receipt.get() * i64::from(cap_percent) / 100 / 100
}

/// The partner's input while in the redemption.
pub fn on_user(
    step: &RedeemStep,
    info: &PartnerInfo,
    ctx: &PartnerCtx,
    ev: UserEvent,
) -> PartnerStep {
    let lang = ctx.lang;
    match (step, ev.input) {
        (_, UserInput::Unsupported) => say(lang, at(step), CommonText::Unsupported),
        (_, UserInput::Command { .. }) => say(lang, at(step), CommonText::UnknownCommand),
        (_, UserInput::Callback { data }) => {
            on_callback(step, info, lang, ev.sender.user_id, &data)
        }
        (RedeemStep::Client, UserInput::Text(text)) => match parse_client_query(&text) {
            Some(query) => command(step.clone(), RedeemCommand::FindClient(query)),
            None => say(lang, at(step), PartnerText::ClientQueryInvalid),
        },
        (RedeemStep::Client, UserInput::Contact { phone, .. }) => match Phone::parse(&phone) {
            Ok(phone) => command(
                step.clone(),
                RedeemCommand::FindClient(ClientQuery::Phone(phone)),
            ),
            Err(_) => say(lang, at(step), PartnerText::ClientQueryInvalid),
        },
        (RedeemStep::Points { client }, UserInput::Text(text)) => {
            let points = match Points::parse(&text) {
                Ok(points) => points,
                Err(e) => return say(lang, at(step), PartnerText::PointsInvalid(&e)),
            };
            if points.get() > client.balance {
                return say(
                    lang,
                    at(step),
                    PartnerText::OverBalance {
                        points,
                        balance: client.balance,
                    },
                );
            }
            let text = render(
                lang,
                &PartnerText::RedeemAskReceipt {
                    cap_percent: ctx.redeem_cap_percent,
                },
            );
            reply(
                PartnerState::Redeem(RedeemStep::Receipt {
                    client: client.clone(),
                    points,
                }),
                Reply::with(text, receipt_keyboard(lang)),
            )
        }
        (RedeemStep::Receipt { client, points }, UserInput::Text(text)) => {
            let receipt = if is_button(&text, &PartnerText::BtnNoReceipt) {
                None
            } else {
                let amount = match parse_amount(&text, ctx.receipt_max) {
                    Ok(amount) => amount,
                    Err(e) => return say(lang, at(step), PartnerText::AmountInvalid(&e)),
                };
                let max = cap_points(amount, ctx.redeem_cap_percent);
                if points.get() > max {
                    return say(
                        lang,
                        at(step),
                        PartnerText::OverCap {
                            points: *points,
                            amount,
                            max,
                        },
                    );
                }
                Some(amount)
            };
            confirm_screen(
                client,
                *points,
                receipt,
                lang,
                ev.fresh_draft,
                ev.sender.user_id,
            )
        }
        (RedeemStep::Points { .. } | RedeemStep::Receipt { .. }, UserInput::Contact { .. }) => {
            say(lang, at(step), CommonText::Unsupported)
        }
        (RedeemStep::Confirm { .. }, _) => say(lang, at(step), CommonText::UseTheButtons),
    }
}

fn confirm_screen(
    client: &FoundClient,
    points: Points,
    receipt: Option<Kopecks>,
    lang: Lang,
    draft: DraftId,
    by: i64,
) -> PartnerStep {
    let text = render(
        lang,
        &PartnerText::ConfirmRedemption {
            client: &client.label,
            points,
            receipt,
        },
    );
    let button = |label: CommonText, confirm: bool| InlineButton {
        text: render(lang, &label),
        data: Callback::Redemption {
            draft: draft.clone(),
            confirm,
        }
        .encode(),
    };
    let buttons = vec![vec![
        button(CommonText::BtnConfirm, true),
        button(CommonText::BtnCancel, false),
    ]];
    reply(
        PartnerState::Redeem(RedeemStep::Confirm {
            client: client.clone(),
            points,
            receipt,
            draft: draft.clone(),
            by,
        }),
        Reply::with(text, Keyboard::Inline(buttons)),
    )
}

/// Only the buttons of the confirm screen on display, pressed by the partner who made it, count.
fn on_callback(
    step: &RedeemStep,
    info: &PartnerInfo,
    lang: Lang,
    user: i64,
    data: &str,
) -> PartnerStep {
    let (
        RedeemStep::Confirm {
            client,
            points,
            receipt,
            draft,
            by,
        },
        Decoded::Current(Callback::Redemption {
            draft: pressed,
            confirm,
        }),
    ) = (step, Callback::decode(data))
    else {
        return say(lang, at(step), CommonText::StaleButton);
    };
    if pressed != *draft || user != *by {
        return say(lang, at(step), CommonText::StaleButton);
    }
    if !confirm {
        return Transition {
            next: PartnerState::Menu,
            effects: vec![
                Effect::Edit(Reply::new(render(lang, &PartnerText::RedemptionCancelled))),
                Effect::Reply(menu_reply(lang, info)),
            ],
        };
    }
    command(
        step.clone(),
        RedeemCommand::Request {
            key: format!("redeem:{draft}"),
            client: client.id,
            partner: info.id,
            points: *points,
            receipt: *receipt,
        },
    )
}

/// The result of a command this dialogue asked for.
pub fn on_result(
    step: &RedeemStep,
    info: &PartnerInfo,
    lang: Lang,
    event: RedeemEvent,
) -> PartnerStep {
    match (step, event) {
        (RedeemStep::Client, RedeemEvent::ClientLookup(lookup)) => match lookup {
            Lookup::Found(client) if client.telegram_id.is_none() => {
                say(lang, at(step), PartnerText::RedemptionNoTelegram)
            }
            Lookup::Found(client) => {
                let text = render(
                    lang,
                    &PartnerText::RedeemAskPoints {
                        client: &client.label,
                        balance: client.balance,
                    },
                );
                reply(
                    PartnerState::Redeem(RedeemStep::Points { client }),
                    Reply::new(text),
                )
            }
            Lookup::NotFound => say(lang, at(step), PartnerText::ClientNotFound),
            Lookup::Own => say(lang, at(step), PartnerText::OwnClientRecord),
            Lookup::TooMany => say(lang, at(step), PartnerText::FindTooMany),
        },
        (
            RedeemStep::Confirm {
                client,
                points,
                receipt,
                ..
            },
            RedeemEvent::Requested(result),
        ) => on_requested(step, client, *points, *receipt, info, lang, result),
        // A result for a step the partner has left: nothing to say.
        _ => Transition {
            next: at(step),
            effects: vec![],
        },
    }
}

fn on_requested(
    step: &RedeemStep,
    client: &FoundClient,
    points: Points,
    receipt: Option<Kopecks>,
    info: &PartnerInfo,
    lang: Lang,
    result: RequestResult,
) -> PartnerStep {
    let outcome = |text: PartnerText<'_>| -> Vec<Effect<PartnerCommand>> {
        vec![
            Effect::Edit(Reply::new(render(lang, &text))),
            Effect::Reply(menu_reply(lang, info)),
        ]
    };
    let effects = match result {
        RequestResult::Sent {
            request,
            balance,
            minutes,
        } => {
            let mut effects = outcome(PartnerText::RedemptionRequested { minutes });
            if let Some(chat_id) = client.telegram_id {
                effects.push(Effect::Notify {
                    bot: BotKind::Client,
                    chat_id,
                    reply: consent_request(
                        client.lang,
                        &info.company,
                        points,
                        receipt,
                        balance,
                        minutes,
                        request,
                    ),
                });
            }
            effects
        }
        RequestResult::Insufficient { balance } => {
            outcome(PartnerText::OverBalance { points, balance })
        }
        RequestResult::NoTelegram => outcome(PartnerText::RedemptionNoTelegram),
        RequestResult::Unavailable => return say(lang, at(step), CommonText::TryAgainLater),
    };
    Transition {
        next: PartnerState::Menu,
        effects,
    }
}

/// The message the client gets in the client bot: what the partner asks, with Approve and Decline.
pub fn consent_request(
    lang: Lang,
    company: &str,
    points: Points,
    receipt: Option<Kopecks>,
    balance: i64,
    minutes: i64,
    request: i64,
) -> Reply {
    let text = render(
        lang,
        &ClientText::ConsentAsk {
            partner: company,
            points,
            receipt,
            balance,
            minutes,
        },
    );
    let button = |label: ClientText<'_>, approve: bool| InlineButton {
        text: render(lang, &label),
        data: Callback::Consent { request, approve }.encode(),
    };
    Reply::with(
        text,
        Keyboard::Inline(vec![vec![
            button(ClientText::BtnApprove, true),
            button(ClientText::BtnDecline, false),
        ]]),
    )
    // Its id is kept on the request, so the expiry edits this very message.
    .tracked(Tracked::ConsentRequest(request))
}
