//! Accrual (`/accrue`, SPEC §4): the client by phone or member code → the receipt amount → a confirm screen → the
//! ledger. The client is notified in the client bot with the receipt amount, the points and the new balance.
//!
//! The confirm screen is a draft: named by a random id minted with it, bound to the partner who made it. Its
//! buttons carry the id, and the ledger key is built from it, so a double tap on Confirm is one operation and an
//! update id Telegram reuses can never replay an old result.
//!
//! An unknown, well-formed phone offers to enrol the client (SPEC §3): a client record with that phone, unverified,
//! no Telegram id, `registered_via = 'partner_enrolment'`, referred by this partner; the accrual goes on at once.
//! The client claims the record later in the client bot (issue 14) by sharing a verified contact with that phone. A
//! partner never accrues to their own client record (the client's Telegram id is the partner's): refused, named.

use serde::{Deserialize, Serialize};

use super::{PartnerCommand, PartnerCtx, PartnerInfo, PartnerState, PartnerStep, reply, say};
use crate::callback::{Callback, Decoded, DraftId};
use crate::chat::{BotKind, InlineButton, Keyboard, Lang, Reply, Transition, UserInput};
use crate::dialogue::{Effect, UserEvent};
use crate::identity::{MemberCode, Phone};
use crate::ids::{ClientId, OperationId, PartnerId};
use crate::money::{CashbackRate, Kopecks, Points, accrual_points, parse_amount};
use crate::text::{ClientText, CommonText, PartnerText, render};

/// A client the partner found, with what the confirm screen and the notification need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundClient {
    pub id: ClientId,
    /// How the partner identified them (masked phone or member code), escaped.
    pub label: String,
    pub telegram_id: Option<i64>,
    /// Points in the wallet when found.
    pub balance: i64,
    /// The language the client's notices are written in.
    pub lang: Lang,
}

/// Where the partner is in the accrual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum AccrueStep {
    /// Waiting for a phone or member code.
    Client,
    /// Waiting for the receipt amount.
    Amount { client: FoundClient },
    /// The confirm screen `draft`, made by Telegram user `by`.
    Confirm {
        client: FoundClient,
        amount: Kopecks,
        points: Points,
        draft: DraftId,
        by: i64,
    },
    // --- Partner money: enrolment ---
    /// The enrol offer `draft` for an unknown `phone`, made by Telegram user `by`.
    Enrol {
        phone: Phone,
        draft: DraftId,
        by: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientQuery {
    Phone(Phone),
    Code(MemberCode),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccrualResult {
    Applied {
        /// The operation, which the client's NPS question names.
        operation: OperationId,
        points: Points,
        /// The client's balance after the accrual.
        balance: i64,
    },
    /// The ledger refused (partner no longer active, client gone...).
    Refused,
    /// No final answer; the confirm screen stays so the partner can press Confirm again (same key: safe).
    Unavailable,
}

/// The accrual's commands; each one's result comes back as the [`AccrueEvent`] named on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccrueCommand {
    /// Answered with `AccrueEvent::ClientLookup`.
    FindClient(ClientQuery),
    /// Answered with `AccrueEvent::Accrual`. `key` is the ledger idempotency key, `accrual:<draft>`.
    Accrue {
        key: String,
        client: ClientId,
        partner: PartnerId,
        amount: Kopecks,
        rate: CashbackRate,
    },
    // --- Partner money: enrolment ---
    /// Answered with `AccrueEvent::Enrolled`: the client record of `phone`, created for `partner` unless it exists.
    Enrol { phone: Phone, partner: PartnerId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccrueEvent {
    ClientLookup(Option<FoundClient>),
    Accrual(AccrualResult),
    // --- Partner money: enrolment ---
    /// No client has this phone: offer to enrol, on a screen named `draft` (minted with the lookup, since a
    /// command's result carries no update of its own) for Telegram user `by`.
    UnknownPhone {
        phone: Phone,
        draft: DraftId,
        by: i64,
    },
    /// The client record is the partner's own.
    OwnRecord,
    /// Over `partners.till_lookups_per_hour`: no lookup was made.
    TooManyLookups,
    /// The enrolled (or meanwhile registered) client; `None` when no final answer came.
    Enrolled(Option<FoundClient>),
}

pub(super) fn command(next: AccrueStep, c: AccrueCommand) -> PartnerStep {
    Transition {
        next: PartnerState::Accrue(next),
        effects: vec![Effect::Command(PartnerCommand::Accrue(c))],
    }
}

pub(super) fn at(step: &AccrueStep) -> PartnerState {
    PartnerState::Accrue(step.clone())
}

/// `/accrue` or its button: ask for the client. Unlike the back-office dialogues, the accrual keeps the menu keyboard
/// (another button or `/cancel` leaves it), so its outcome is one edit and no second message to bring the menu back:
/// this is the till's hot path, and Telegram's per-bot send limit (about 30 messages/s) is its ceiling.
pub fn start(lang: Lang) -> PartnerStep {
    reply(
        PartnerState::Accrue(AccrueStep::Client),
        Reply::new(render(lang, &PartnerText::AskClient)),
    )
}

/// The partner's input while in the accrual.
pub fn on_user(
    step: &AccrueStep,
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
        (AccrueStep::Client, UserInput::Text(text)) => match parse_client_query(&text) {
            Some(query) => command(step.clone(), AccrueCommand::FindClient(query)),
            None => say(lang, at(step), PartnerText::ClientQueryInvalid),
        },
        // A partner may forward the client's contact card instead of typing the number.
        (AccrueStep::Client, UserInput::Contact { phone, .. }) => match Phone::parse(&phone) {
            Ok(phone) => command(
                step.clone(),
                AccrueCommand::FindClient(ClientQuery::Phone(phone)),
            ),
            Err(_) => say(lang, at(step), PartnerText::ClientQueryInvalid),
        },
        (AccrueStep::Amount { client }, UserInput::Text(text)) => on_amount(
            step,
            client,
            info,
            ctx,
            &text,
            ev.fresh_draft,
            ev.sender.user_id,
        ),
        (AccrueStep::Amount { .. }, UserInput::Contact { .. }) => {
            say(lang, at(step), CommonText::Unsupported)
        }
        (AccrueStep::Confirm { .. } | AccrueStep::Enrol { .. }, _) => {
            say(lang, at(step), CommonText::UseTheButtons)
        }
    }
}

fn on_amount(
    step: &AccrueStep,
    client: &FoundClient,
    info: &PartnerInfo,
    ctx: &PartnerCtx,
    text: &str,
    draft: DraftId,
    by: i64,
) -> PartnerStep {
    let lang = ctx.lang;
    let amount = match parse_amount(text, ctx.receipt_max) {
        Ok(amount) => amount,
        Err(e) => return say(lang, at(step), PartnerText::AmountInvalid(&e)),
    };
    let Some(points) = accrual_points(amount, info.rate) else {
        return say(
            lang,
            at(step),
            PartnerText::NothingToAccrue {
                amount,
                rate: info.rate,
            },
        );
    };
    let text = render(
        lang,
        &PartnerText::ConfirmAccrual {
            client: &client.label,
            amount,
            points,
        },
    );
    let button = |label: CommonText, confirm: bool| InlineButton {
        text: render(lang, &label),
        data: Callback::Accrual {
            draft: draft.clone(),
            confirm,
        }
        .encode(),
    };
    let buttons = vec![vec![
        button(CommonText::BtnConfirm, true),
        button(CommonText::BtnCancel, false),
    ]];
    let next = AccrueStep::Confirm {
        client: client.clone(),
        amount,
        points,
        draft: draft.clone(),
        by,
    };
    reply(
        PartnerState::Accrue(next),
        Reply::with(text, Keyboard::Inline(buttons)),
    )
}

/// A button press: only the buttons of the confirm screen on display, pressed by the partner who made it, count.
fn on_callback(
    step: &AccrueStep,
    info: &PartnerInfo,
    lang: Lang,
    user: i64,
    data: &str,
) -> PartnerStep {
    if let AccrueStep::Enrol { phone, draft, by } = step {
        return super::enrol::on_press(step, info, lang, user, data, (phone, draft, *by));
    }
    let (
        AccrueStep::Confirm {
            client,
            amount,
            draft,
            by,
            ..
        },
        Decoded::Current(Callback::Accrual {
            draft: pressed,
            confirm,
        }),
    ) = (step, Callback::decode(data))
    else {
        // Old screens, forged data, buttons of another dialogue: nothing happens.
        return say(lang, at(step), CommonText::StaleButton);
    };
    if pressed != *draft || user != *by {
        return say(lang, at(step), CommonText::StaleButton);
    }
    if !confirm {
        return Transition {
            next: PartnerState::Menu,
            effects: vec![Effect::Edit(Reply::new(render(
                lang,
                &PartnerText::AccrualCancelled,
            )))],
        };
    }
    command(
        step.clone(),
        AccrueCommand::Accrue {
            key: format!("accrual:{draft}"),
            client: client.id,
            partner: info.id,
            amount: *amount,
            rate: info.rate,
        },
    )
}

/// The result of a command this dialogue asked for.
pub fn on_result(
    step: &AccrueStep,
    info: &PartnerInfo,
    lang: Lang,
    event: AccrueEvent,
) -> PartnerStep {
    match (step, event) {
        (AccrueStep::Client, AccrueEvent::ClientLookup(Some(client))) => {
            let text = render(
                lang,
                &PartnerText::AskAmount {
                    client: &client.label,
                    balance: client.balance,
                    rate: info.rate,
                },
            );
            reply(
                PartnerState::Accrue(AccrueStep::Amount { client }),
                Reply::new(text),
            )
        }
        (AccrueStep::Client, AccrueEvent::ClientLookup(None)) => {
            say(lang, at(step), PartnerText::ClientNotFound)
        }
        // --- Partner money: enrolment ---
        (AccrueStep::Client, AccrueEvent::OwnRecord) => {
            say(lang, at(step), PartnerText::OwnClientRecord)
        }
        (AccrueStep::Client, AccrueEvent::TooManyLookups) => {
            say(lang, at(step), PartnerText::FindTooMany)
        }
        (AccrueStep::Client, AccrueEvent::UnknownPhone { phone, draft, by }) => {
            super::enrol::offer(phone, lang, (draft, by))
        }
        (AccrueStep::Enrol { phone, .. }, AccrueEvent::Enrolled(Some(client))) => {
            let done = render(
                lang,
                &PartnerText::Enrolled {
                    phone: &mask_phone(phone),
                },
            );
            let ask = render(
                lang,
                &PartnerText::AskAmount {
                    client: &client.label,
                    balance: client.balance,
                    rate: info.rate,
                },
            );
            Transition {
                next: PartnerState::Accrue(AccrueStep::Amount { client }),
                effects: vec![
                    Effect::Edit(Reply::new(done)),
                    Effect::Reply(Reply::new(ask)),
                ],
            }
        }
        (AccrueStep::Enrol { .. }, AccrueEvent::Enrolled(None)) => {
            say(lang, at(step), CommonText::TryAgainLater)
        }
        (AccrueStep::Confirm { client, amount, .. }, AccrueEvent::Accrual(result)) => {
            on_accrual(step, client, *amount, info, lang, result)
        }
        // A result for a step the partner has left: nothing to say.
        _ => Transition {
            next: at(step),
            effects: vec![],
        },
    }
}

fn on_accrual(
    step: &AccrueStep,
    client: &FoundClient,
    amount: Kopecks,
    info: &PartnerInfo,
    lang: Lang,
    result: AccrualResult,
) -> PartnerStep {
    match result {
        AccrualResult::Applied {
            operation,
            points,
            balance,
        } => {
            let mut effects = vec![Effect::Edit(Reply::new(render(
                lang,
                &PartnerText::Accrued { points, balance },
            )))];
            if let Some(chat_id) = client.telegram_id {
                let notice = ClientText::AccrualNotice {
                    partner: &info.company,
                    amount,
                    points,
                    balance,
                };
                effects.push(Effect::Notify {
                    bot: BotKind::Client,
                    chat_id,
                    reply: Reply::new(render(client.lang, &notice)),
                });
                // --- Partner money: NPS after each accrual ---
                effects.push(Effect::Notify {
                    bot: BotKind::Client,
                    chat_id,
                    reply: crate::client::nps::question(client.lang, &info.company, operation),
                });
            }
            Transition {
                next: PartnerState::Menu,
                effects,
            }
        }
        AccrualResult::Unavailable => say(lang, at(step), CommonText::TryAgainLater),
        AccrualResult::Refused => Transition {
            next: PartnerState::Menu,
            effects: vec![Effect::Edit(Reply::new(render(
                lang,
                &PartnerText::AccrualRefused,
            )))],
        },
    }
}

/// A phone number or a member code, whichever the text is.
pub fn parse_client_query(text: &str) -> Option<ClientQuery> {
    if let Ok(phone) = Phone::parse(text) {
        return Some(ClientQuery::Phone(phone));
    }
    MemberCode::parse(text).ok().map(ClientQuery::Code)
}

/// A phone shown to a partner: `+7 *** **4567`, enough to confirm the right person without exposing the number.
pub fn mask_phone(phone: &Phone) -> String {
    let s = phone.as_str();
    format!("{} *** **{}", &s[..2], &s[s.len() - 4..])
}
