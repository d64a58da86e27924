//! The partner's back office, routed in one place: the application (`onboarding`), promotions, services, the
//! invitation and settings. `mod.rs` asks this module first for an approved partner's input, and hands it every
//! result of the commands below.
//!
//! Authorization: `mod.rs` lets only approved partners reach [`on_approved`]; every command that names a promotion
//! or service carries the partner id read from the server's own context, never from the button, and the queries
//! look the row up with that id — a forged or foreign id reads as "not found", and nothing changes.

use super::onboarding::{self, ApplyCommand, ApplyEvent};
use super::promos::{self, PromoCommand, PromoEvent};
use super::services::{self, ServiceCommand, ServiceEvent};
use super::settings::{self, SettingsCommand, SettingsEvent};
use super::{
    PartnerCommand, PartnerCtx, PartnerInfo, PartnerState, PartnerStep, invite, is_button, say,
};
use crate::callback::{Callback, Decoded};
use crate::chat::{Transition, UserInput};
use crate::dialogue::{Effect, UserEvent};
use crate::ids::PartnerId;
use crate::text::{CommonText, PartnerText};

/// The back office's commands (run by `actors::dialogue::office`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfficeCommand {
    Apply(ApplyCommand),
    Promo(PromoCommand),
    Service(ServiceCommand),
    /// The partner's invitation link; answered with [`OfficeEvent::Invite`].
    Invite {
        partner: PartnerId,
    },
    Settings(SettingsCommand),
}

/// The results of [`OfficeCommand`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfficeEvent {
    Apply(ApplyEvent),
    Promo(PromoEvent),
    Service(ServiceEvent),
    /// `https://t.me/<client bot>?start=<referral code>`.
    Invite {
        link: String,
    },
    Settings(SettingsEvent),
}

/// A step that runs one back-office command and waits for its result in `next`.
pub(crate) fn command(next: PartnerState, c: OfficeCommand) -> PartnerStep {
    Transition {
        next,
        effects: vec![Effect::Command(PartnerCommand::Office(c))],
    }
}

/// Typed text for a field of `min..=max` characters, trimmed; `None` when its length is out of bounds.
pub fn field_text(text: &str, min: usize, max: usize) -> Option<String> {
    let t = text.trim();
    (min..=max)
        .contains(&t.chars().count())
        .then(|| t.to_owned())
}

/// The answer to input that is not the text a dialogue waits for.
pub(crate) fn not_text(
    lang: crate::chat::Lang,
    next: PartnerState,
    input: &UserInput,
) -> PartnerStep {
    let msg = match input {
        UserInput::Command { .. } => CommonText::UnknownCommand,
        UserInput::Callback { .. } => CommonText::StaleButton,
        _ => CommonText::Unsupported,
    };
    say(lang, next, msg)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Promos,
    Services,
    Invite,
    Settings,
}

fn section(input: &UserInput) -> Option<Section> {
    match input {
        UserInput::Command { name, .. } => match name.as_str() {
            "promos" => Some(Section::Promos),
            "services" => Some(Section::Services),
            "invite" => Some(Section::Invite),
            "settings" => Some(Section::Settings),
            _ => None,
        },
        UserInput::Text(t) => [
            (PartnerText::BtnPromos, Section::Promos),
            (PartnerText::BtnServices, Section::Services),
            (PartnerText::BtnInvite, Section::Invite),
            (PartnerText::BtnSettings, Section::Settings),
        ]
        .into_iter()
        .find(|(button, _)| is_button(t, button))
        .map(|(_, s)| s),
        _ => None,
    }
}

/// An approved partner's input, if it is the back office's: a section's command or menu button, or one of its
/// inline buttons (whatever dialogue the partner is in: the buttons stay on old messages). `None` otherwise.
pub(super) fn on_approved(
    state: &PartnerState,
    info: &PartnerInfo,
    ctx: &PartnerCtx,
    ev: &UserEvent,
) -> Option<PartnerStep> {
    let lang = ctx.lang;
    if let Some(section) = section(&ev.input) {
        return Some(match section {
            Section::Promos => promos::list(info),
            Section::Services => services::list(info),
            Section::Invite => invite::start(info),
            Section::Settings => settings::start(info),
        });
    }
    let UserInput::Callback { data } = &ev.input else {
        return None;
    };
    match Callback::decode(data) {
        Decoded::Current(callback @ (Callback::Promo { .. } | Callback::PromoNew)) => {
            Some(promos::on_callback(info, lang, callback, ev))
        }
        Decoded::Current(callback @ (Callback::Service { .. } | Callback::ServiceNew)) => {
            Some(services::on_callback(info, lang, callback, ev))
        }
        Decoded::Current(Callback::Setting(field)) => Some(settings::on_callback(lang, field)),
        // The application's buttons, pressed after the approval.
        Decoded::Current(Callback::Apply { .. } | Callback::Reapply) => {
            Some(say(lang, state.clone(), CommonText::StaleButton))
        }
        _ => None,
    }
}

/// The result of a back-office command. The application's results come while the sender is not a partner yet; the
/// others only count for an approved partner (one who lost access meanwhile gets nothing).
pub(super) fn on_result(state: &PartnerState, ctx: &PartnerCtx, event: OfficeEvent) -> PartnerStep {
    let lang = ctx.lang;
    let info = match &ctx.access {
        super::PartnerAccess::Approved(info) => Some(info),
        _ => None,
    };
    match (event, info) {
        (OfficeEvent::Apply(e), _) => onboarding::on_result(state, lang, e),
        (OfficeEvent::Promo(e), Some(info)) => promos::on_result(state, info, ctx, e),
        (OfficeEvent::Service(e), Some(info)) => services::on_result(state, info, lang, e),
        (OfficeEvent::Invite { link }, Some(_)) => invite::on_link(state, lang, &link),
        (OfficeEvent::Settings(e), Some(info)) => settings::on_result(state, info, lang, e),
        _ => Transition {
            next: state.clone(),
            effects: vec![],
        },
    }
}
