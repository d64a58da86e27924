//! `/settings` (SPEC §4): the partner's company details and contact (company name, contact name and city are
//! editable here), the cashback rate (shown; only an admin changes it) and the language (the `/language` picker's
//! buttons).

use serde::{Deserialize, Serialize};

use super::office::{OfficeCommand, command, field_text, not_text};
use super::onboarding::{CITY_MAX, NAME_MAX};
use super::{PartnerInfo, PartnerState, PartnerStep, cancel_keyboard, menu_keyboard, reply};
use crate::callback::{Callback, SettingField};
use crate::chat::{InlineButton, Keyboard, Lang, Reply, Transition, UserInput};
use crate::dialogue::{Effect, UserEvent};
use crate::ids::PartnerId;
use crate::money::CashbackRate;
use crate::text::{OfficeText, escape, render};

/// The partner's details as stored (text not escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub company: String,
    pub contact: String,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub category: Option<String>,
    pub rate: CashbackRate,
}

/// Waiting for the new value of a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum SettingsStep {
    Edit { field: SettingField },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsCommand {
    Load {
        partner: PartnerId,
    },
    Save {
        partner: PartnerId,
        field: SettingField,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsEvent {
    Profile(Profile),
    Saved,
}

fn run(next: PartnerState, c: SettingsCommand) -> PartnerStep {
    command(next, OfficeCommand::Settings(c))
}

/// `/settings`: read the profile.
pub fn start(info: &PartnerInfo) -> PartnerStep {
    run(
        PartnerState::Menu,
        SettingsCommand::Load { partner: info.id },
    )
}

fn bounds(field: SettingField) -> usize {
    match field {
        SettingField::City => CITY_MAX,
        SettingField::Company | SettingField::Contact => NAME_MAX,
    }
}

/// An "edit" button: ask for the new value.
pub(super) fn on_callback(lang: Lang, field: SettingField) -> PartnerStep {
    let question = match field {
        SettingField::Company => OfficeText::SettingsAskCompany,
        SettingField::Contact => OfficeText::SettingsAskContact,
        SettingField::City => OfficeText::SettingsAskCity,
    };
    reply(
        PartnerState::Settings(SettingsStep::Edit { field }),
        Reply::with(render(lang, &question), cancel_keyboard(lang)),
    )
}

/// The new value.
pub fn on_user(step: &SettingsStep, info: &PartnerInfo, lang: Lang, ev: UserEvent) -> PartnerStep {
    let here = PartnerState::Settings(step.clone());
    let UserInput::Text(text) = &ev.input else {
        return not_text(lang, here, &ev.input);
    };
    let SettingsStep::Edit { field } = *step;
    let max = bounds(field);
    match field_text(text, 1, max) {
        Some(value) => run(
            here,
            SettingsCommand::Save {
                partner: info.id,
                field,
                value,
            },
        ),
        None => reply(
            here,
            Reply::new(render(lang, &OfficeText::TextLength { min: 1, max })),
        ),
    }
}

fn show(lang: Lang, p: &Profile) -> Reply {
    let none = render(lang, &OfficeText::NotGiven);
    let or_none = |v: &Option<String>| v.as_deref().map_or_else(|| none.clone(), escape);
    let text = render(
        lang,
        &OfficeText::SettingsCard {
            company: &escape(&p.company),
            contact: &escape(&p.contact),
            phone: &or_none(&p.phone),
            city: &or_none(&p.city),
            category: &or_none(&p.category),
            rate: p.rate,
        },
    );
    let edit = |label: OfficeText<'_>, field| InlineButton {
        text: render(lang, &label),
        data: Callback::Setting(field).encode(),
    };
    let language = |text: &str, to: Lang| InlineButton {
        text: text.into(),
        data: Callback::Language(to).encode(),
    };
    let rows = vec![
        vec![edit(OfficeText::BtnEditCompany, SettingField::Company)],
        vec![edit(OfficeText::BtnEditContact, SettingField::Contact)],
        vec![edit(OfficeText::BtnEditCity, SettingField::City)],
        vec![language("Русский", Lang::Ru), language("English", Lang::En)],
    ];
    Reply::with(text, Keyboard::Inline(rows))
}

/// A result of a settings command.
pub(super) fn on_result(
    state: &PartnerState,
    info: &PartnerInfo,
    lang: Lang,
    event: SettingsEvent,
) -> PartnerStep {
    match event {
        SettingsEvent::Profile(p) => reply(state.clone(), show(lang, &p)),
        // Saved: say so with the menu keyboard back instead of Cancel, then show the profile as it is now (the
        // company name in `info` is the one read before the change).
        SettingsEvent::Saved => Transition {
            next: PartnerState::Menu,
            effects: vec![
                Effect::Reply(Reply::with(
                    render(lang, &OfficeText::Saved),
                    menu_keyboard(lang),
                )),
                Effect::Command(super::PartnerCommand::Office(OfficeCommand::Settings(
                    SettingsCommand::Load { partner: info.id },
                ))),
            ],
        },
    }
}
