//! The partner bot: access by application status, the global commands, the menu, and delegation to one module per
//! dialogue (`accrue`, ...). SPEC §4.
//!
//! `step` is pure: lookups and the ledger are commands whose results come back as events.

use serde::{Deserialize, Serialize};

use crate::chat::{Keyboard, Lang, Reply, ReplyButton, Transition, UserInput};
use crate::dialogue::{self, Global, UserEvent};
use crate::ids::PartnerId;
use crate::money::{CashbackRate, Kopecks};
use crate::text::{CommonText, PartnerText, TextKey, render};

pub mod accrue;
// --- Partner back office: the application, promotions, services, the invitation, settings ---
pub mod invite;
pub mod office;
pub mod onboarding;
pub mod promos;
pub mod services;
pub mod settings;

pub use accrue::{AccrualResult, AccrueCommand, AccrueEvent, AccrueStep, ClientQuery, FoundClient};
// --- Partner back office ---
pub use office::{OfficeCommand, OfficeEvent};
pub use onboarding::{ApplicationForm, ApplyCommand, ApplyEvent, ApplyStep};
pub use promos::{Promo, PromoCommand, PromoEvent, PromoStep};
pub use services::{Service, ServiceCommand, ServiceEvent, ServiceStatus, ServiceStep};
pub use settings::{Profile, SettingsCommand, SettingsEvent, SettingsStep};
// --- Partner money: enrolment, redemption, find, statistics ---
mod enrol;
pub mod find;
pub mod redeem;
pub mod stats;
// --- Client service requests (issue 14) ---
pub mod service_requests;

// --- Partner money ---
pub use find::{FindCommand, FindEvent, FindStep};
pub use redeem::{RedeemCommand, RedeemEvent, RedeemStep};
pub use stats::{StatsCommand, StatsEvent};

/// The partner as Postgres has it now; read before every step, so a status change applies at the next tap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerAccess {
    Unknown,
    Pending,
    /// With the reason of the latest rejection, if the admin gave one (escaped for HTML).
    Rejected {
        reason: Option<String>,
    },
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
    // --- Partner back office ---
    /// Today in the network's time zone (`fsm::calendar::network_today`): a promotion may not end before it.
    pub today: jiff::civil::Date,
    /// The business categories an applicant picks from (configuration `partners.categories`).
    pub categories: std::sync::Arc<Vec<onboarding::Category>>,
    // --- Partner money ---
    /// From configuration (`money.redeem_cap_percent`, 1..=100): the share of a receipt points may pay.
    pub redeem_cap_percent: u32,
}

/// Where the partner is: the menu, or a step of one dialogue (each carrying what was collected so far).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "dialogue", content = "at")]
pub enum PartnerState {
    #[default]
    Menu,
    Accrue(AccrueStep),
    // --- Partner back office ---
    Apply(ApplyStep),
    Promos(PromoStep),
    Services(ServiceStep),
    Settings(SettingsStep),
    // --- Partner money ---
    Redeem(RedeemStep),
    Find(FindStep),
}

/// What a partner step reacts to: the partner's own update, or the result of a command it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerEvent {
    User(UserEvent),
    Accrue(AccrueEvent),
    // --- Partner back office ---
    Office(OfficeEvent),
    // --- Partner money ---
    Redeem(RedeemEvent),
    Find(FindEvent),
    Stats(StatsEvent),
    /// The outcome of Accept / Decline on a client's service request (issue 14).
    ServiceDecision(service_requests::ServiceDecisionEvent),
}

impl From<UserEvent> for PartnerEvent {
    fn from(e: UserEvent) -> Self {
        PartnerEvent::User(e)
    }
}

/// The partner bot's own effects, by dialogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerCommand {
    Accrue(AccrueCommand),
    // --- Partner back office ---
    Office(OfficeCommand),
    // --- Partner money ---
    Redeem(RedeemCommand),
    Find(FindCommand),
    Stats(StatsCommand),
    /// A client's service request: Accept / Decline (issue 14).
    ServiceDecision(service_requests::ServiceDecisionCommand),
}

pub type PartnerStep = dialogue::Step<PartnerState, PartnerCommand>;

pub(crate) use crate::dialogue::reply;

pub(crate) fn say(lang: Lang, next: PartnerState, msg: impl TextKey) -> PartnerStep {
    reply(next, Reply::new(render(lang, &msg)))
}

/// The eight-button main menu, two per row as partners know it from the prototype.
pub fn menu_keyboard(lang: Lang) -> Keyboard {
    let b = |m: PartnerText<'_>| ReplyButton::Text(render(lang, &m));
    Keyboard::Reply(vec![
        vec![b(PartnerText::BtnAccrue), b(PartnerText::BtnRedeem)],
        vec![b(PartnerText::BtnPromos), b(PartnerText::BtnServices)],
        vec![b(PartnerText::BtnInvite), b(PartnerText::BtnStats)],
        vec![b(PartnerText::BtnFind), b(PartnerText::BtnSettings)],
    ])
}

/// A single Cancel button, shown while a dialogue waits for typed input.
pub fn cancel_keyboard(lang: Lang) -> Keyboard {
    Keyboard::Reply(vec![vec![ReplyButton::Text(render(
        lang,
        &CommonText::BtnCancel,
    ))]])
}

/// The menu message: the company's name and the menu keyboard.
pub fn menu_reply(lang: Lang, info: &PartnerInfo) -> Reply {
    Reply::with(
        render(
            lang,
            &PartnerText::Menu {
                company: &info.company,
            },
        ),
        menu_keyboard(lang),
    )
}

pub(crate) fn menu(lang: Lang, info: &PartnerInfo) -> PartnerStep {
    reply(PartnerState::Menu, menu_reply(lang, info))
}

/// True when `text` is the label of `button` in any language (a user may have switched language).
pub(crate) fn is_button(text: &str, button: &impl TextKey) -> bool {
    [Lang::Ru, Lang::En]
        .into_iter()
        .any(|lang| render(lang, button) == text)
}

/// The menu actions a partner can ask for by command or button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Accrue,
    // --- Partner money ---
    Redeem,
    Find,
    Stats,
}

fn action(input: &UserInput) -> Option<Action> {
    match input {
        UserInput::Command { name, .. } => match name.as_str() {
            "accrue" => Some(Action::Accrue),
            // --- Partner money ---
            "redeem" => Some(Action::Redeem),
            "find" => Some(Action::Find),
            "stats" => Some(Action::Stats),
            _ => None,
        },
        UserInput::Text(t) if is_button(t, &PartnerText::BtnAccrue) => Some(Action::Accrue),
        // --- Partner money ---
        UserInput::Text(t) if is_button(t, &PartnerText::BtnRedeem) => Some(Action::Redeem),
        UserInput::Text(t) if is_button(t, &PartnerText::BtnFind) => Some(Action::Find),
        UserInput::Text(t) if is_button(t, &PartnerText::BtnStats) => Some(Action::Stats),
        _ => None,
    }
}

/// One step of the partner bot. Order: language and help (anyone), then access (only approved partners go on),
/// then the global commands, the menu actions, and last the dialogue the partner is in.
pub fn step(state: &PartnerState, ctx: &PartnerCtx, event: PartnerEvent) -> PartnerStep {
    let lang = ctx.lang;
    match event {
        PartnerEvent::User(ev) => {
            let global = dialogue::global(&ev.input, |t| is_button(t, &CommonText::BtnCancel));
            let info = match &ctx.access {
                PartnerAccess::Approved(info) => info,
                // --- Partner back office: unknown people apply, rejected ones may apply again ---
                _ => return onboarding::not_approved(state, ctx, global, ev),
            };
            if let Some(global) = global {
                return on_global(state, lang, info, global);
            }
            // --- A client's service request: Accept / Decline (checked again on the server) ---
            if let UserInput::Callback { data } = &ev.input
                && let crate::callback::Decoded::Current(
                    crate::callback::Callback::ServiceDecision { request, accept },
                ) = crate::callback::Callback::decode(data)
            {
                return service_requests::on_press(state, request, accept);
            }
            // --- Partner back office: its sections and buttons ---
            if let Some(step) = office::on_approved(state, info, ctx, &ev) {
                return step;
            }
            match action(&ev.input) {
                Some(Action::Accrue) => return accrue::start(lang),
                // --- Partner money ---
                Some(Action::Redeem) => return redeem::start(lang),
                Some(Action::Find) => return find::start(lang),
                Some(Action::Stats) => return stats::start(state, info),
                None => {}
            }
            match state {
                PartnerState::Accrue(at) => accrue::on_user(at, info, ctx, ev),
                PartnerState::Menu => on_menu_input(lang, info, &ev.input),
                // --- Partner back office ---
                PartnerState::Apply(_) => menu(lang, info),
                PartnerState::Promos(at) => promos::on_user(at, info, ctx, ev),
                PartnerState::Services(at) => services::on_user(at, info, lang, ev),
                PartnerState::Settings(at) => settings::on_user(at, info, lang, ev),
                // --- Partner money ---
                PartnerState::Redeem(at) => redeem::on_user(at, info, ctx, ev),
                PartnerState::Find(_) => find::on_user(info, lang, ev),
            }
        }
        // --- Partner money ---
        PartnerEvent::Redeem(result) => match (state, &ctx.access) {
            (PartnerState::Redeem(at), PartnerAccess::Approved(info)) => {
                redeem::on_result(at, info, lang, result)
            }
            _ => Transition {
                next: state.clone(),
                effects: vec![],
            },
        },
        PartnerEvent::Find(result) => match (state, &ctx.access) {
            (PartnerState::Find(_), PartnerAccess::Approved(info)) => {
                find::on_result(info, lang, result)
            }
            _ => Transition {
                next: state.clone(),
                effects: vec![],
            },
        },
        PartnerEvent::Stats(result) => stats::on_result(state, lang, result),
        PartnerEvent::ServiceDecision(result) => service_requests::on_result(state, lang, result),
        PartnerEvent::Accrue(result) => match (state, &ctx.access) {
            (PartnerState::Accrue(at), PartnerAccess::Approved(info)) => {
                accrue::on_result(at, info, lang, result)
            }
            // The partner left the dialogue (or lost access) while the command ran: nothing to say.
            _ => Transition {
                next: state.clone(),
                effects: vec![],
            },
        },
        // --- Partner back office ---
        PartnerEvent::Office(result) => office::on_result(state, ctx, result),
    }
}

/// Someone who is not an approved partner: help and language work; everything else answers with their status.
pub(crate) fn status(
    state: &PartnerState,
    lang: Lang,
    access: &PartnerAccess,
    global: Option<Global>,
) -> PartnerStep {
    match global {
        Some(Global::Help) => say(lang, state.clone(), PartnerText::Help),
        Some(Global::AskLanguage) => reply(state.clone(), dialogue::language_picker(lang)),
        Some(Global::SetLanguage(new)) => Transition {
            next: PartnerState::Menu,
            effects: dialogue::language_set(new, status_reply(new, access)),
        },
        _ => reply(PartnerState::Menu, status_reply(lang, access)),
    }
}

fn status_reply(lang: Lang, access: &PartnerAccess) -> Reply {
    let msg = match access {
        PartnerAccess::Pending => PartnerText::ApplicationPending,
        // --- Partner back office: the reason, and a button to apply again ---
        PartnerAccess::Rejected { reason } => {
            return onboarding::rejected_reply(lang, reason.as_deref());
        }
        _ => PartnerText::NotAPartner,
    };
    Reply::with(render(lang, &msg), Keyboard::Remove)
}

fn on_global(state: &PartnerState, lang: Lang, info: &PartnerInfo, global: Global) -> PartnerStep {
    match global {
        Global::Start(_) | Global::Menu => menu(lang, info),
        Global::Help => reply(
            state.clone(),
            Reply::with(render(lang, &PartnerText::Help), menu_keyboard(lang)),
        ),
        Global::AskLanguage => reply(state.clone(), dialogue::language_picker(lang)),
        Global::SetLanguage(new) => Transition {
            next: PartnerState::Menu,
            effects: dialogue::language_set(new, menu_reply(new, info)),
        },
        Global::OutdatedButton => say(lang, state.clone(), CommonText::ButtonOutdated),
    }
}

fn on_menu_input(lang: Lang, info: &PartnerInfo, input: &UserInput) -> PartnerStep {
    match input {
        UserInput::Unsupported => say(lang, PartnerState::Menu, CommonText::Unsupported),
        UserInput::Command { .. } => say(lang, PartnerState::Menu, CommonText::UnknownCommand),
        UserInput::Callback { .. } => say(lang, PartnerState::Menu, CommonText::StaleButton),
        UserInput::Text(_) | UserInput::Contact { .. } => menu(lang, info),
    }
}

#[cfg(test)]
mod tests;
// --- Partner back office ---
#[cfg(test)]
mod backoffice_tests;
// --- Partner money ---
#[cfg(test)]
mod money_tests;
