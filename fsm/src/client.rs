//! The client bot's dialogue: registration by `/start` (with a partner's referral payload), sharing one's own phone,
//! balance and member code.

use serde::{Deserialize, Serialize};

use crate::chat::{Keyboard, Lang, Reply, ReplyButton, Sender, Transition, UserInput};
use crate::identity::Phone;
use crate::text::{Msg, render};

/// The client as Postgres has it now, read before every step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAccess {
    Unregistered,
    Registered(ClientProfile),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientProfile {
    pub member_code: String,
    pub balance: i64,
    pub phone_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCtx {
    pub access: ClientAccess,
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "state")]
pub enum ClientState {
    #[default]
    Menu,
    /// Registered, asked to share the phone with the contact button.
    AwaitContact,
}

/// What registration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub created: bool,
    /// Points granted now (only on the first registration).
    pub bonus: Option<i64>,
    /// The referring partner's company, escaped, when the payload named an approved partner.
    pub partner: Option<String>,
    pub phone_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactOutcome {
    Saved,
    /// The phone belongs to another member with a Telegram account.
    Taken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    User {
        sender: Sender,
        input: UserInput,
    },
    Registered(Registration),
    Contact(ContactOutcome),
    /// A registration or save did not get a final answer.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEffect {
    Reply(Reply),
    /// Answered with `ClientEvent::Registered`. `referral` is a syntactically valid deep-link payload.
    Register {
        referral: Option<String>,
    },
    /// Answered with `ClientEvent::Contact`; the phone is the sender's own (checked here).
    SaveContact {
        phone: Phone,
    },
}

type Step = Transition<ClientState, ClientEffect>;

fn reply(next: ClientState, r: Reply) -> Step {
    Transition {
        next,
        effects: vec![ClientEffect::Reply(r)],
    }
}

pub fn menu_keyboard(lang: Lang) -> Keyboard {
    Keyboard::Reply(vec![vec![
        ReplyButton::Text(render(lang, &Msg::BtnBalance)),
        ReplyButton::Text(render(lang, &Msg::BtnCode)),
    ]])
}

fn contact_keyboard(lang: Lang) -> Keyboard {
    Keyboard::Reply(vec![vec![ReplyButton::RequestContact(render(
        lang,
        &Msg::BtnShareContact,
    ))]])
}

fn is_button(text: &str, button: &Msg<'_>) -> bool {
    [Lang::Ru, Lang::En]
        .into_iter()
        .any(|lang| render(lang, button) == text)
}

/// A deep-link payload as Telegram allows it: 1..=64 of `A-Za-z0-9_-`; anything else is ignored.
pub fn referral_payload(args: &str) -> Option<String> {
    let ok = !args.is_empty()
        && args.len() <= 64
        && args
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then(|| args.to_owned())
}

pub fn step(state: &ClientState, ctx: &ClientCtx, event: ClientEvent) -> Step {
    let lang = ctx.lang;
    match event {
        ClientEvent::User { sender, input } => on_user(state, ctx, &sender, input),
        ClientEvent::Registered(r) => {
            let mut text = match r.bonus {
                Some(bonus) if r.created => render(
                    lang,
                    &Msg::WelcomeNew {
                        bonus,
                        partner: r.partner.as_deref(),
                    },
                ),
                _ => render(lang, &Msg::WelcomeBack),
            };
            if r.phone_verified {
                reply(ClientState::Menu, Reply::with(text, menu_keyboard(lang)))
            } else {
                text.push_str("\n\n");
                text.push_str(&render(lang, &Msg::AskContact));
                reply(
                    ClientState::AwaitContact,
                    Reply::with(text, contact_keyboard(lang)),
                )
            }
        }
        ClientEvent::Contact(ContactOutcome::Saved) => reply(
            ClientState::Menu,
            Reply::with(render(lang, &Msg::ContactSaved), menu_keyboard(lang)),
        ),
        ClientEvent::Contact(ContactOutcome::Taken) => reply(
            ClientState::Menu,
            Reply::with(render(lang, &Msg::PhoneTaken), menu_keyboard(lang)),
        ),
        ClientEvent::Unavailable => {
            reply(state.clone(), Reply::new(render(lang, &Msg::TryAgainLater)))
        }
    }
}

fn on_user(state: &ClientState, ctx: &ClientCtx, sender: &Sender, input: UserInput) -> Step {
    let lang = ctx.lang;
    if let UserInput::Command { name, args } = &input
        && name == "start"
    {
        return Transition {
            next: state.clone(),
            effects: vec![ClientEffect::Register {
                referral: referral_payload(args),
            }],
        };
    }
    let ClientAccess::Registered(profile) = &ctx.access else {
        return reply(
            ClientState::Menu,
            Reply::with(render(lang, &Msg::NotRegistered), Keyboard::Remove),
        );
    };
    match input {
        UserInput::Contact { phone, user_id } => {
            // Only the sender's own card proves the number (SPEC §3); a forwarded contact of someone else is refused.
            match (user_id == Some(sender.user_id), Phone::parse(&phone)) {
                (true, Ok(phone)) => Transition {
                    next: state.clone(),
                    effects: vec![ClientEffect::SaveContact { phone }],
                },
                // The own card, yet a number no country allocates: saying "only your own number" would be wrong.
                (true, Err(_)) => reply(
                    state.clone(),
                    Reply::new(render(lang, &Msg::PhoneUnreadable)),
                ),
                (false, _) => reply(state.clone(), Reply::new(render(lang, &Msg::ContactNotOwn))),
            }
        }
        UserInput::Command { name, .. } if name == "balance" => balance(lang, profile),
        UserInput::Text(t) if is_button(&t, &Msg::BtnBalance) => balance(lang, profile),
        UserInput::Command { name, .. } if name == "code" => code(lang, profile),
        UserInput::Text(t) if is_button(&t, &Msg::BtnCode) => code(lang, profile),
        UserInput::Command { name, .. } if matches!(name.as_str(), "menu" | "cancel" | "help") => {
            reply(
                ClientState::Menu,
                Reply::with(render(lang, &Msg::BackToMenu), menu_keyboard(lang)),
            )
        }
        UserInput::Unsupported => reply(state.clone(), Reply::new(render(lang, &Msg::Unsupported))),
        UserInput::Command { .. } => reply(
            state.clone(),
            Reply::new(render(lang, &Msg::UnknownCommand)),
        ),
        UserInput::Text(_) | UserInput::Callback { .. } => match state {
            ClientState::AwaitContact => reply(
                state.clone(),
                Reply::with(render(lang, &Msg::AskContact), contact_keyboard(lang)),
            ),
            ClientState::Menu => reply(
                ClientState::Menu,
                Reply::with(render(lang, &Msg::BackToMenu), menu_keyboard(lang)),
            ),
        },
    }
}

fn balance(lang: Lang, p: &ClientProfile) -> Step {
    reply(
        ClientState::Menu,
        Reply::with(
            render(
                lang,
                &Msg::Balance {
                    balance: p.balance,
                    code: &p.member_code,
                },
            ),
            menu_keyboard(lang),
        ),
    )
}

fn code(lang: Lang, p: &ClientProfile) -> Step {
    reply(
        ClientState::Menu,
        Reply::with(
            render(
                lang,
                &Msg::MemberCode {
                    code: &p.member_code,
                },
            ),
            menu_keyboard(lang),
        ),
    )
}
