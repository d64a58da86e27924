//! The client bot: the global commands, the menu, and delegation to one module per dialogue (`join`: registration
//! by `/start` and the own phone; `balance`: balance and member code). SPEC §5.

use serde::{Deserialize, Serialize};

use crate::chat::{Keyboard, Lang, Reply, ReplyButton, Transition, UserInput};
use crate::dialogue::{self, Global, UserEvent};
use crate::text::{ClientText, CommonText, TextKey, render};

pub mod balance;
pub mod history;
pub mod join;
pub mod offers;
pub mod service_request;
// --- Partner money: redemption consent and NPS ---
pub mod consent;
pub mod nps;

pub use join::{ContactOutcome, JoinCommand, JoinEvent, Registration, referral_payload};

/// The client as Postgres has it now, read before every step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAccess {
    Unregistered,
    Registered(ClientProfile),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientProfile {
    pub member_code: String,
    /// Points in the wallet.
    pub balance: i64,
    /// True once the client shared their own contact (SPEC §3).
    pub phone_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCtx {
    pub access: ClientAccess,
    pub lang: Lang,
}

impl ClientCtx {
    /// Whether the share-phone button belongs under the menu replies: until the client has shared their phone.
    fn needs_phone(&self) -> bool {
        matches!(&self.access, ClientAccess::Registered(p) if !p.phone_verified)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "dialogue")]
pub enum ClientState {
    #[default]
    Menu,
    /// Registered, asked to share the phone with the contact button.
    AwaitContact,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    User(UserEvent),
    Join(JoinEvent),
    // --- Partner money ---
    Consent(consent::ConsentEvent),
    Nps(nps::NpsEvent),
    History(history::HistoryEvent),
    Offers(offers::OffersEvent),
    ServiceRequest(service_request::ServiceRequestEvent),
}

impl From<UserEvent> for ClientEvent {
    fn from(e: UserEvent) -> Self {
        ClientEvent::User(e)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCommand {
    Join(JoinCommand),
    // --- Partner money ---
    Consent(consent::ConsentCommand),
    Nps(nps::NpsCommand),
    History(history::HistoryCommand),
    Offers(offers::OffersCommand),
    ServiceRequest(service_request::ServiceRequestCommand),
}

pub type ClientStep = dialogue::Step<ClientState, ClientCommand>;

pub(crate) use crate::dialogue::reply;

/// The menu keyboard: balance and code, and — until the client has shared their phone — the share-phone button,
/// so it never disappears before the client has used it.
pub fn menu_keyboard(lang: Lang, needs_phone: bool) -> Keyboard {
    let mut rows = vec![vec![
        ReplyButton::Text(render(lang, &ClientText::BtnBalance)),
        ReplyButton::Text(render(lang, &ClientText::BtnCode)),
    ]];
    if needs_phone {
        rows.insert(
            0,
            vec![ReplyButton::RequestContact(render(
                lang,
                &ClientText::BtnShareContact,
            ))],
        );
    }
    Keyboard::Reply(rows)
}

/// A menu reply: `html` with the menu keyboard this client should have now.
pub(crate) fn menu_reply(ctx: &ClientCtx, lang: Lang, html: String) -> Reply {
    match ctx.access {
        // No menu before /start: its buttons would only answer "press /start first".
        ClientAccess::Unregistered => Reply::with(html, Keyboard::Remove),
        ClientAccess::Registered(_) => Reply::with(html, menu_keyboard(lang, ctx.needs_phone())),
    }
}

pub(crate) fn is_button(text: &str, button: &impl TextKey) -> bool {
    [Lang::Ru, Lang::En]
        .into_iter()
        .any(|lang| render(lang, button) == text)
}

/// One step of the client bot: `/start` registers; help and language work for anyone; everything else needs a
/// registered client and goes to the dialogue the client is in.
pub fn step(state: &ClientState, ctx: &ClientCtx, event: ClientEvent) -> ClientStep {
    let lang = ctx.lang;
    let ev = match event {
        ClientEvent::Join(result) => return join::on_result(state, ctx, result),
        // --- Partner money ---
        ClientEvent::Consent(result) => return consent::on_result(state, ctx, result),
        ClientEvent::Nps(result) => return nps::on_result(state, ctx, result),
        ClientEvent::History(result) => return history::on_result(state, ctx, result),
        ClientEvent::Offers(result) => return offers::on_result(state, ctx, result),
        ClientEvent::ServiceRequest(result) => {
            return service_request::on_result(state, ctx, result);
        }
        ClientEvent::User(ev) => ev,
    };
    let global = dialogue::global(&ev.input, |t| is_button(t, &CommonText::BtnCancel));
    match global {
        Some(Global::Start(args)) => return join::start(state, &args),
        Some(Global::Help) => {
            return reply(
                state.clone(),
                menu_reply(ctx, lang, render(lang, &ClientText::Help)),
            );
        }
        Some(Global::AskLanguage) => return reply(state.clone(), dialogue::language_picker(lang)),
        Some(Global::SetLanguage(new)) => {
            let menu = menu_reply(ctx, new, render(new, &CommonText::BackToMenu));
            return Transition {
                next: ClientState::Menu,
                effects: dialogue::language_set(new, menu),
            };
        }
        Some(Global::OutdatedButton) => {
            return reply(
                state.clone(),
                Reply::new(render(lang, &CommonText::ButtonOutdated)),
            );
        }
        Some(Global::Menu) | None => {}
    }
    let ClientAccess::Registered(profile) = &ctx.access else {
        return reply(
            ClientState::Menu,
            Reply::with(render(lang, &ClientText::NotRegistered), Keyboard::Remove),
        );
    };
    if global == Some(Global::Menu) {
        return reply(
            ClientState::Menu,
            menu_reply(ctx, lang, render(lang, &CommonText::BackToMenu)),
        );
    }
    if let Some(step) = balance::on_user(ctx, profile, &ev.input) {
        return step;
    }
    // --- Partner money: consent and rating buttons (checked again on the server) ---
    if let UserInput::Callback { data } = &ev.input {
        match crate::callback::Callback::decode(data) {
            crate::callback::Decoded::Current(crate::callback::Callback::Consent {
                request,
                approve,
            }) => return consent::on_press(state, request, approve),
            crate::callback::Decoded::Current(crate::callback::Callback::Nps {
                operation,
                rating,
            }) => return nps::on_press(state, operation, rating),
            crate::callback::Decoded::Current(crate::callback::Callback::History(cursor)) => {
                return history::on_press(state, cursor);
            }
            crate::callback::Decoded::Current(crate::callback::Callback::ServicePick {
                service,
            }) => return service_request::on_pick(state, service, ev.fresh_draft.clone()),
            crate::callback::Decoded::Current(crate::callback::Callback::ServiceConfirm {
                service,
                draft,
                confirm,
            }) => return service_request::on_confirm(state, lang, service, draft, confirm),
            _ => {}
        }
    }
    match (&ev.input, state) {
        (UserInput::Contact { .. }, _) => join::on_contact(state, ctx, &ev),
        (UserInput::Unsupported, _) => reply(
            state.clone(),
            Reply::new(render(lang, &CommonText::Unsupported)),
        ),
        (UserInput::Command { name, .. }, _) if name == "history" => history::start(state),
        (UserInput::Command { name, .. }, _) if name == "promos" => {
            offers::start(state, offers::OffersCommand::Promos)
        }
        (UserInput::Command { name, .. }, _) if name == "services" => {
            offers::start(state, offers::OffersCommand::Services)
        }
        (UserInput::Command { .. }, _) => reply(
            state.clone(),
            Reply::new(render(lang, &CommonText::UnknownCommand)),
        ),
        (UserInput::Callback { .. }, _) => reply(
            state.clone(),
            Reply::new(render(lang, &CommonText::StaleButton)),
        ),
        (UserInput::Text(_), ClientState::AwaitContact) => join::ask_contact(lang),
        (UserInput::Text(_), ClientState::Menu) => reply(
            ClientState::Menu,
            menu_reply(ctx, lang, render(lang, &CommonText::BackToMenu)),
        ),
    }
}

#[cfg(test)]
mod tests;
// --- Partner money ---
#[cfg(test)]
mod money_tests;
