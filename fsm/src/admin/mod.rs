//! The admin bot (SPEC §6): only allow-listed admins, checked on every message and every button press; anyone
//! else gets a refusal and nothing changes. Moderation of applications and services (`moderation`), the network's
//! statistics, a partner's cashback rate, reversals and the dashboard's login link (`tools`).

use serde::{Deserialize, Serialize};

use crate::callback::DraftId;
use crate::chat::{Keyboard, Lang, Reply, ReplyButton, Transition, UserInput};
use crate::dialogue::{self, Effect, Global, UserEvent};
use crate::money::CashbackRate;
use crate::text::{AdminText, CommonText, TextKey, render};

mod cards;
pub mod moderation;
pub mod tools;

pub use cards::{
    ApplicationCard, Card, Decided, NetworkStats, OperationCard, PartnerRow, Queue,
    REASON_MAX_CHARS, RateChanged, Reversed, ServiceCard, Subject, Verdict,
};

/// What a step knows about the sender and the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminCtx {
    /// The sender's id is in `telegram.admin_ids` (configuration), read for every update.
    pub is_admin: bool,
    pub lang: Lang,
    /// The network's bounds of a partner's cashback rate (`money.cashback_min_bp`, `cashback_max_bp`; SPEC §2).
    pub rate_min: CashbackRate,
    pub rate_max: CashbackRate,
}

/// Where the admin is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "dialogue")]
pub enum AdminState {
    #[default]
    Menu,
    /// Waiting for the reason of rejecting `subject` (`title` is its escaped name, for the question).
    RejectReason { subject: Subject, title: String },
    /// `/rate`: waiting for a partner's number or name.
    RateAskPartner,
    /// Waiting for the new rate of `partner`.
    RateAskValue { partner: PartnerRow },
    /// The confirm screen of a new rate, named `draft`.
    RateConfirm {
        partner: PartnerRow,
        rate: CashbackRate,
        draft: DraftId,
    },
    /// `/reverse`: waiting for an operation's number.
    ReverseAskOperation,
    /// Waiting for the reason of reversing `operation`.
    ReverseAskReason { operation: OperationCard },
    /// The confirm screen of a reversal, named `draft` (the ledger key is built from it).
    ReverseConfirm {
        operation: OperationCard,
        reason: String,
        draft: DraftId,
    },
}

/// What happens to the admin bot: the admin's input, or a command's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminEvent {
    User(UserEvent),
    /// The pending applications and services.
    Queue(Queue),
    /// A decision's outcome, with the subject's card as it is now (none if it is gone).
    Decided {
        verdict_approve: bool,
        outcome: Decided,
        card: Option<Card>,
    },
    Stats(NetworkStats),
    /// Partners matching the `/rate` query (at most 10).
    Partners(Vec<PartnerRow>),
    RateChanged(RateChanged),
    /// The operation asked for in `/reverse`, if it exists.
    Operation(Option<OperationCard>),
    Reversed(Reversed),
    /// The one-time dashboard link and its lifetime in minutes; `None` when no dashboard address is configured.
    DashboardLink(Option<(String, u64)>),
}

impl From<UserEvent> for AdminEvent {
    fn from(e: UserEvent) -> Self {
        AdminEvent::User(e)
    }
}

/// The admin bot's effects, run by `actors::dialogue::admin`; each is answered by one [`AdminEvent`]. Every one
/// names the admin by the id the server read for this update, never by anything the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCommand {
    Queue,
    Decide {
        subject: Subject,
        verdict: Verdict,
    },
    Stats,
    FindPartners {
        query: String,
    },
    SetRate {
        partner: i64,
        rate: CashbackRate,
    },
    FindOperation {
        id: i64,
    },
    /// Reverse `operation` with `reason`; idempotent under `draft`.
    Reverse {
        operation: i64,
        reason: String,
        draft: DraftId,
    },
    DashboardLink,
}

pub type AdminStep = dialogue::Step<AdminState, AdminCommand>;

pub(crate) fn say(lang: Lang, next: AdminState, key: impl TextKey) -> AdminStep {
    dialogue::reply(next, Reply::new(render(lang, &key)))
}

pub(crate) fn command(next: AdminState, c: AdminCommand) -> AdminStep {
    Transition {
        next,
        effects: vec![Effect::Command(c)],
    }
}

/// The menu keyboard: moderation and statistics, rate and reversal, the dashboard.
pub fn menu_keyboard(lang: Lang) -> Keyboard {
    let b = |m: AdminText<'_>| ReplyButton::Text(render(lang, &m));
    Keyboard::Reply(vec![
        vec![b(AdminText::BtnQueue), b(AdminText::BtnStats)],
        vec![b(AdminText::BtnRate), b(AdminText::BtnReverse)],
        vec![b(AdminText::BtnDashboard)],
    ])
}

fn menu_reply(lang: Lang) -> Reply {
    Reply::with(render(lang, &AdminText::Menu), menu_keyboard(lang))
}

fn menu(lang: Lang) -> AdminStep {
    dialogue::reply(AdminState::Menu, menu_reply(lang))
}

/// A Cancel button, shown while a dialogue waits for typed input.
pub(crate) fn cancel_keyboard(lang: Lang) -> Keyboard {
    Keyboard::Reply(vec![vec![ReplyButton::Text(render(
        lang,
        &CommonText::BtnCancel,
    ))]])
}

fn is_button(text: &str, button: &impl TextKey) -> bool {
    [Lang::Ru, Lang::En]
        .into_iter()
        .any(|lang| render(lang, button) == text)
}

/// A menu action, typed as a command or pressed on the menu keyboard.
fn action(input: &UserInput) -> Option<&'static str> {
    let buttons = [
        (AdminText::BtnQueue, "pending"),
        (AdminText::BtnStats, "stats"),
        (AdminText::BtnRate, "rate"),
        (AdminText::BtnReverse, "reverse"),
        (AdminText::BtnDashboard, "dashboard"),
    ];
    match input {
        UserInput::Command { name, .. } => buttons.iter().map(|(_, c)| *c).find(|c| c == name),
        UserInput::Text(t) => buttons
            .iter()
            .find(|(b, _)| is_button(t, b))
            .map(|(_, c)| *c),
        _ => None,
    }
}

/// One step of the admin bot. Order: the allow-list (nothing else is read for a stranger), global commands, menu
/// actions (they leave any dialogue), then the dialogue the admin is in.
pub fn step(state: &AdminState, ctx: &AdminCtx, event: AdminEvent) -> AdminStep {
    let lang = ctx.lang;
    if !ctx.is_admin {
        // A stranger's state is never advanced, whatever result or input arrives.
        return dialogue::reply(
            AdminState::Menu,
            Reply::with(render(lang, &AdminText::AdminOnly), Keyboard::Remove),
        );
    }
    let ev = match event {
        AdminEvent::User(ev) => ev,
        result => return on_result(state, ctx, result),
    };
    let is_cancel = |t: &str| is_button(t, &CommonText::BtnCancel);
    match dialogue::global(&ev.input, is_cancel) {
        Some(Global::Help) => return say(lang, state.clone(), AdminText::Help),
        Some(Global::AskLanguage) => {
            return dialogue::reply(state.clone(), dialogue::language_picker(lang));
        }
        Some(Global::SetLanguage(new)) => {
            return Transition {
                next: AdminState::Menu,
                effects: dialogue::language_set(new, menu_reply(new)),
            };
        }
        Some(Global::OutdatedButton) => {
            return say(lang, state.clone(), CommonText::ButtonOutdated);
        }
        Some(Global::Menu) if *state != AdminState::Menu => {
            let mut step = menu(lang);
            step.effects.insert(
                0,
                Effect::Reply(Reply::new(render(lang, &AdminText::Cancelled))),
            );
            return step;
        }
        Some(Global::Start(_) | Global::Menu) => return menu(lang),
        None => {}
    }
    if let Some(name) = action(&ev.input) {
        return match name {
            "pending" => command(AdminState::Menu, AdminCommand::Queue),
            "stats" => command(AdminState::Menu, AdminCommand::Stats),
            "rate" => tools::rate_start(lang, &ev.input),
            "reverse" => tools::reverse_start(lang, &ev.input),
            _ => command(AdminState::Menu, AdminCommand::DashboardLink),
        };
    }
    if let Some(step) = moderation::on_button(lang, &ev.input) {
        return step;
    }
    match state {
        AdminState::Menu => match &ev.input {
            UserInput::Command { .. } => say(lang, AdminState::Menu, CommonText::UnknownCommand),
            UserInput::Callback { .. } => say(lang, AdminState::Menu, CommonText::StaleButton),
            _ => menu(lang),
        },
        AdminState::RejectReason { subject, .. } => {
            moderation::on_reason(state, *subject, lang, &ev.input)
        }
        _ => tools::on_input(state, ctx, ev),
    }
}

fn on_result(state: &AdminState, ctx: &AdminCtx, event: AdminEvent) -> AdminStep {
    match event {
        AdminEvent::Queue(queue) => moderation::on_queue(ctx.lang, queue),
        AdminEvent::Decided {
            verdict_approve,
            outcome,
            card,
        } => moderation::on_decided(ctx.lang, verdict_approve, outcome, card),
        other => tools::on_result(state, ctx, other),
    }
}

#[cfg(test)]
mod tests;
