//! Joining (SPEC §3, §5): `/start` with a partner's referral payload registers the client once (welcome bonus
//! once), then the client shares their own phone with the contact button. Only the sender's own card proves the
//! number; a forwarded contact of someone else is refused.

use super::{
    ClientCommand, ClientCtx, ClientEvent, ClientState, ClientStep, menu_keyboard, menu_reply,
    reply,
};
use crate::chat::{Lang, Reply, Transition, UserInput};
use crate::dialogue::{Effect, UserEvent};
use crate::identity::Phone;
use crate::text::{ClientText, CommonText, render};

/// What registration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub created: bool,
    /// Points granted now (only on the first registration).
    pub bonus: Option<crate::money::Points>,
    /// The referring partner's company, escaped, when the payload named an approved partner.
    pub partner: Option<String>,
    pub phone_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactOutcome {
    Saved,
    /// The phone was a record a partner enrolled; it is the sender's now, balance and history included.
    Claimed,
    /// The phone belongs to another member with a Telegram account.
    Taken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinCommand {
    /// Answered with `JoinEvent::Registered`. `referral` is a syntactically valid deep-link payload.
    Register { referral: Option<String> },
    /// Answered with `JoinEvent::Contact`; the phone is the sender's own (checked here).
    SaveContact { phone: Phone },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinEvent {
    Registered(Registration),
    Contact(ContactOutcome),
    /// A registration or save did not get a final answer.
    Unavailable,
}

impl From<JoinEvent> for ClientEvent {
    fn from(e: JoinEvent) -> Self {
        ClientEvent::Join(e)
    }
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

fn command(next: ClientState, c: JoinCommand) -> ClientStep {
    Transition {
        next,
        effects: vec![Effect::Command(ClientCommand::Join(c))],
    }
}

/// `/start [payload]`: register (or find) the sender.
pub fn start(state: &ClientState, args: &str) -> ClientStep {
    command(
        state.clone(),
        JoinCommand::Register {
            referral: referral_payload(args),
        },
    )
}

/// The share-phone prompt with its button.
pub fn ask_contact(lang: Lang) -> ClientStep {
    reply(
        ClientState::AwaitContact,
        Reply::with(
            render(lang, &ClientText::AskContact),
            menu_keyboard(lang, true),
        ),
    )
}

/// A contact card from a registered client.
pub fn on_contact(state: &ClientState, ctx: &ClientCtx, ev: &UserEvent) -> ClientStep {
    let UserInput::Contact { phone, user_id } = &ev.input else {
        return ask_contact(ctx.lang);
    };
    match (*user_id == Some(ev.sender.user_id), Phone::parse(phone)) {
        (true, Ok(phone)) => command(state.clone(), JoinCommand::SaveContact { phone }),
        // The own card, yet a number no country allocates: saying "only your own number" would be wrong.
        (true, Err(_)) => reply(
            state.clone(),
            Reply::new(render(ctx.lang, &ClientText::PhoneUnreadable)),
        ),
        (false, _) => reply(
            state.clone(),
            Reply::new(render(ctx.lang, &ClientText::ContactNotOwn)),
        ),
    }
}

/// The result of a registration or a save.
pub fn on_result(state: &ClientState, ctx: &ClientCtx, event: JoinEvent) -> ClientStep {
    let lang = ctx.lang;
    match event {
        JoinEvent::Registered(r) => {
            let mut text = match r.bonus {
                Some(bonus) if r.created => render(
                    lang,
                    &ClientText::WelcomeNew {
                        bonus,
                        partner: r.partner.as_deref(),
                    },
                ),
                _ => render(lang, &ClientText::WelcomeBack),
            };
            if r.phone_verified {
                reply(ClientState::Menu, menu_reply(ctx, lang, text))
            } else {
                text.push_str("\n\n");
                text.push_str(&render(lang, &ClientText::AskContact));
                reply(
                    ClientState::AwaitContact,
                    Reply::with(text, menu_keyboard(lang, true)),
                )
            }
        }
        JoinEvent::Contact(ContactOutcome::Saved) => reply(
            ClientState::Menu,
            Reply::with(
                render(lang, &ClientText::ContactSaved),
                menu_keyboard(lang, false),
            ),
        ),
        JoinEvent::Contact(ContactOutcome::Claimed) => {
            let balance = match &ctx.access {
                super::ClientAccess::Registered(p) => p.balance,
                super::ClientAccess::Unregistered => 0,
            };
            reply(
                ClientState::Menu,
                Reply::with(
                    render(lang, &ClientText::Claimed { balance }),
                    menu_keyboard(lang, false),
                ),
            )
        }
        JoinEvent::Contact(ContactOutcome::Taken) => reply(
            ClientState::Menu,
            menu_reply(ctx, lang, render(lang, &ClientText::PhoneTaken)),
        ),
        JoinEvent::Unavailable => reply(
            state.clone(),
            Reply::new(render(lang, &CommonText::TryAgainLater)),
        ),
    }
}
