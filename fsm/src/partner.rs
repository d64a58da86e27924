//! The partner bot's dialogue: access by application status, the menu, and the accrual flow
//! (client by phone or member code -> receipt amount -> confirm -> ledger).
//!
//! `step` is pure: lookups and the ledger are effects whose results come back as events.

use serde::{Deserialize, Serialize};

use crate::chat::{
    InlineButton, Keyboard, Lang, Reply, ReplyButton, Sender, Transition, UserInput,
};

use crate::identity::{MemberCode, Phone};
use crate::ids::{ClientId, PartnerId};
use crate::money::{CashbackRate, Kopecks, Points, accrual_points, parse_amount};
use crate::text::{CommonText, PartnerText, TextKey, render};

/// The partner as Postgres has it now; read before every step, so a status change applies at the next tap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerAccess {
    Unknown,
    Pending,
    Rejected,
    Approved(PartnerInfo),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerInfo {
    pub id: PartnerId,
    /// Already escaped for HTML.
    pub company: String,
    pub rate: CashbackRate,
}

/// What a step needs besides the state and the event, read fresh for every update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerCtx {
    pub access: PartnerAccess,
    /// The language of the partner whose update this is.
    pub lang: Lang,
    /// From configuration: the largest receipt one accrual may take.
    pub receipt_max: Kopecks,
}

/// A client the partner found, with what the confirm screen and the notification need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundClient {
    pub id: ClientId,
    /// How the partner identified them (masked phone or member code), escaped.
    pub label: String,
    pub telegram_id: Option<i64>,
    pub balance: i64,
    pub lang: Lang,
}

/// Where the partner is in a dialogue; each variant carries what was collected so far.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "state")]
pub enum PartnerState {
    #[default]
    Menu,
    AccrueClient,
    AccrueAmount {
        client: FoundClient,
    },
    /// `draft` names this confirm screen (the update that produced it): its buttons carry it, and the ledger key is
    /// built from it, so a double tap on Confirm is one operation.
    AccrueConfirm {
        client: FoundClient,
        amount: Kopecks,
        points: Points,
        draft: i64,
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
        points: Points,
        balance: i64,
    },
    /// The ledger refused (partner no longer active, client gone...).
    Refused,
    /// No final answer; the confirm screen stays so the partner can press Confirm again (same key: safe).
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerEvent {
    User {
        sender: Sender,
        input: UserInput,
        update_id: i64,
    },
    ClientLookup(Option<FoundClient>),
    Accrual(AccrualResult),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerEffect {
    Reply(Reply),
    /// Answered with `PartnerEvent::ClientLookup`.
    FindClient(ClientQuery),
    /// Answered with `PartnerEvent::Accrual`.
    Accrue {
        key: String,
        client: ClientId,
        partner: PartnerId,
        amount: Kopecks,
        rate: CashbackRate,
    },
    /// A message in the client bot to the client who just earned points.
    NotifyClient {
        telegram_id: i64,
        lang: Lang,
        partner: String,
        points: Points,
        balance: i64,
    },
}

type Step = Transition<PartnerState, PartnerEffect>;

fn reply(next: PartnerState, r: Reply) -> Step {
    Transition {
        next,
        effects: vec![PartnerEffect::Reply(r)],
    }
}

fn say(lang: Lang, next: PartnerState, key: impl TextKey) -> Step {
    reply(next, Reply::new(render(lang, &key)))
}

/// The eight-button main menu, two per row as partners know it from the prototype.
pub fn menu_keyboard(lang: Lang) -> Keyboard {
    let b = |key: PartnerText<'_>| ReplyButton::Text(render(lang, &key));
    Keyboard::Reply(vec![
        vec![b(PartnerText::BtnAccrue), b(PartnerText::BtnRedeem)],
        vec![b(PartnerText::BtnPromos), b(PartnerText::BtnServices)],
        vec![b(PartnerText::BtnInvite), b(PartnerText::BtnStats)],
        vec![b(PartnerText::BtnFind), b(PartnerText::BtnSettings)],
    ])
}

fn cancel_keyboard(lang: Lang) -> Keyboard {
    Keyboard::Reply(vec![vec![ReplyButton::Text(render(
        lang,
        &CommonText::BtnCancel,
    ))]])
}

fn menu(lang: Lang, info: &PartnerInfo) -> Step {
    reply(
        PartnerState::Menu,
        Reply::with(
            render(
                lang,
                &PartnerText::Menu {
                    company: &info.company,
                },
            ),
            menu_keyboard(lang),
        ),
    )
}

/// True when `text` is the label of `button` in any language (a user may have switched language).
fn is_button(text: &str, button: &impl TextKey) -> bool {
    [Lang::Ru, Lang::En]
        .into_iter()
        .any(|lang| render(lang, button) == text)
}

/// The menu actions a user can ask for by command or button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Menu,
    Help,
    Accrue,
    NotYet,
}

fn action(input: &UserInput) -> Option<Action> {
    match input {
        UserInput::Command { name, .. } => match name.as_str() {
            "start" | "menu" | "cancel" => Some(Action::Menu),
            "help" => Some(Action::Help),
            "accrue" => Some(Action::Accrue),
            "redeem" | "promos" | "services" | "invite" | "stats" | "find" | "settings" => {
                Some(Action::NotYet)
            }
            _ => None,
        },
        UserInput::Text(t) if is_button(t, &CommonText::BtnCancel) => Some(Action::Menu),
        UserInput::Text(t) if is_button(t, &PartnerText::BtnAccrue) => Some(Action::Accrue),
        UserInput::Text(t)
            if [
                PartnerText::BtnRedeem,
                PartnerText::BtnPromos,
                PartnerText::BtnServices,
                PartnerText::BtnInvite,
                PartnerText::BtnStats,
                PartnerText::BtnFind,
                PartnerText::BtnSettings,
            ]
            .iter()
            .any(|b| is_button(t, b)) =>
        {
            Some(Action::NotYet)
        }
        _ => None,
    }
}

pub fn step(state: &PartnerState, ctx: &PartnerCtx, event: PartnerEvent) -> Step {
    let lang = ctx.lang;
    let access = &ctx.access;
    match event {
        PartnerEvent::User {
            input, update_id, ..
        } => {
            let info = match access {
                PartnerAccess::Approved(info) => info,
                other => {
                    let msg = match other {
                        PartnerAccess::Pending => PartnerText::ApplicationPending,
                        PartnerAccess::Rejected => PartnerText::ApplicationRejected,
                        _ => PartnerText::NotAPartner,
                    };
                    return reply(
                        PartnerState::Menu,
                        Reply::with(render(lang, &msg), Keyboard::Remove),
                    );
                }
            };
            on_user(state, info, ctx.receipt_max, lang, input, update_id)
        }
        PartnerEvent::ClientLookup(found) => match (state, found) {
            (PartnerState::AccrueClient, Some(client)) => {
                let PartnerAccess::Approved(info) = access else {
                    return Transition {
                        next: PartnerState::Menu,
                        effects: vec![],
                    };
                };
                let msg = PartnerText::AskAmount {
                    client: &client.label,
                    balance: client.balance,
                    rate: info.rate,
                };
                let text = render(lang, &msg);
                reply(PartnerState::AccrueAmount { client }, Reply::new(text))
            }
            (PartnerState::AccrueClient, None) => say(
                lang,
                PartnerState::AccrueClient,
                PartnerText::ClientNotFound,
            ),
            _ => Transition {
                next: state.clone(),
                effects: vec![],
            },
        },
        PartnerEvent::Accrual(result) => {
            let PartnerState::AccrueConfirm { client, .. } = state else {
                return Transition {
                    next: state.clone(),
                    effects: vec![],
                };
            };
            match (result, access) {
                (AccrualResult::Applied { points, balance }, PartnerAccess::Approved(info)) => {
                    let mut effects = vec![PartnerEffect::Reply(Reply::with(
                        render(lang, &PartnerText::Accrued { points, balance }),
                        menu_keyboard(lang),
                    ))];
                    if let Some(telegram_id) = client.telegram_id {
                        effects.push(PartnerEffect::NotifyClient {
                            telegram_id,
                            lang: client.lang,
                            partner: info.company.clone(),
                            points,
                            balance,
                        });
                    }
                    Transition {
                        next: PartnerState::Menu,
                        effects,
                    }
                }
                (AccrualResult::Unavailable, _) => {
                    say(lang, state.clone(), CommonText::TryAgainLater)
                }
                _ => reply(
                    PartnerState::Menu,
                    Reply::with(
                        render(lang, &PartnerText::AccrualRefused),
                        menu_keyboard(lang),
                    ),
                ),
            }
        }
    }
}

fn on_user(
    state: &PartnerState,
    info: &PartnerInfo,
    receipt_max: Kopecks,
    lang: Lang,
    input: UserInput,
    update_id: i64,
) -> Step {
    match action(&input) {
        Some(Action::Menu) => return menu(lang, info),
        Some(Action::Help) => {
            return reply(
                PartnerState::Menu,
                Reply::with(render(lang, &PartnerText::Help), menu_keyboard(lang)),
            );
        }
        Some(Action::Accrue) => {
            return reply(
                PartnerState::AccrueClient,
                Reply::with(render(lang, &PartnerText::AskClient), cancel_keyboard(lang)),
            );
        }
        Some(Action::NotYet) => return say(lang, state.clone(), CommonText::NotYet),
        None => {}
    }
    match (state, input) {
        (_, UserInput::Unsupported) => say(lang, state.clone(), CommonText::Unsupported),
        (_, UserInput::Command { .. }) => say(lang, state.clone(), CommonText::UnknownCommand),
        (PartnerState::AccrueClient, UserInput::Text(text)) => match parse_client_query(&text) {
            Some(query) => Transition {
                next: state.clone(),
                effects: vec![PartnerEffect::FindClient(query)],
            },
            None => say(lang, state.clone(), PartnerText::ClientQueryInvalid),
        },
        // A partner may forward the client's contact card instead of typing the number.
        (PartnerState::AccrueClient, UserInput::Contact { phone, .. }) => {
            match Phone::parse(&phone) {
                Ok(phone) => Transition {
                    next: state.clone(),
                    effects: vec![PartnerEffect::FindClient(ClientQuery::Phone(phone))],
                },
                Err(_) => say(lang, state.clone(), PartnerText::ClientQueryInvalid),
            }
        }
        (PartnerState::AccrueAmount { client }, UserInput::Text(text)) => {
            match parse_amount(&text, receipt_max) {
                Err(e) => say(lang, state.clone(), PartnerText::AmountInvalid(&e)),
                Ok(amount) => match accrual_points(amount, info.rate) {
                    None => say(
                        lang,
                        state.clone(),
                        PartnerText::NothingToAccrue {
                            amount,
                            rate: info.rate,
                        },
                    ),
                    Some(points) => {
                        let text = render(
                            lang,
                            &PartnerText::ConfirmAccrual {
                                client: &client.label,
                                amount,
                                points,
                            },
                        );
                        let buttons = vec![vec![
                            InlineButton {
                                text: render(lang, &CommonText::BtnConfirm),
                                data: format!("acc:ok:{update_id}"),
                            },
                            InlineButton {
                                text: render(lang, &CommonText::BtnCancel),
                                data: format!("acc:no:{update_id}"),
                            },
                        ]];
                        let next = PartnerState::AccrueConfirm {
                            client: client.clone(),
                            amount,
                            points,
                            draft: update_id,
                        };
                        reply(next, Reply::with(text, Keyboard::Inline(buttons)))
                    }
                },
            }
        }
        (_, UserInput::Callback { data }) => on_callback(state, info, lang, &data),
        (PartnerState::AccrueConfirm { .. }, _) => {
            say(lang, state.clone(), CommonText::UseTheButtons)
        }
        (PartnerState::Menu, _) => menu(lang, info),
        (_, UserInput::Contact { .. }) => say(lang, state.clone(), CommonText::Unsupported),
    }
}

fn on_callback(state: &PartnerState, info: &PartnerInfo, lang: Lang, data: &str) -> Step {
    let parsed = data
        .strip_prefix("acc:")
        .and_then(|rest| rest.split_once(':'));
    match (state, parsed) {
        (
            PartnerState::AccrueConfirm {
                client,
                amount,
                draft,
                ..
            },
            Some(("ok", d)),
        ) if d == draft.to_string() => Transition {
            next: state.clone(),
            effects: vec![PartnerEffect::Accrue {
                key: format!("accrual:p{}:d{draft}", info.id),
                client: client.id,
                partner: info.id,
                amount: *amount,
                rate: info.rate,
            }],
        },
        (PartnerState::AccrueConfirm { draft, .. }, Some(("no", d))) if d == draft.to_string() => {
            reply(
                PartnerState::Menu,
                Reply::with(
                    render(lang, &PartnerText::AccrualCancelled),
                    menu_keyboard(lang),
                ),
            )
        }
        // Old screens, forged data, buttons of another dialogue: nothing happens.
        _ => say(lang, state.clone(), CommonText::StaleButton),
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
