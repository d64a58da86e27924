//! The partner application (SPEC §4, "Onboarding"): anyone who is not a partner yet (or was rejected) answers five
//! questions — contact person, company, phone by the contact button, city, category — then sees a summary with
//! Submit and Cancel. Submitting makes a Pending partner and notifies every admin once.
//!
//! The summary is a draft (like the accrual's confirm screen): its buttons carry the id minted with it, and the
//! application is stored under that id, so an update processed twice (a crash before its commit) finds the
//! application it wrote and notifies then, and a double tap on Submit is one application.

use serde::{Deserialize, Serialize};

use super::office::{OfficeCommand, field_text};
use super::{PartnerAccess, PartnerCommand, PartnerCtx, PartnerState, PartnerStep, reply, say};
use crate::callback::{Callback, Decoded, DraftId};
use crate::chat::{
    BotKind, InlineButton, Keyboard, Lang, Reply, ReplyButton, Transition, UserInput,
};
use crate::dialogue::{Effect, Global, UserEvent};
use crate::identity::Phone;
use crate::text::{CommonText, OfficeText, PartnerText, escape, render};

mod submit;
pub use submit::{decision_notice, on_result, rejected_reply};
use submit::{on_confirm, summary};

/// Longest contact or company name (the `partners` table's bound).
pub const NAME_MAX: usize = 200;
/// Longest city name (the `partners` table's bound).
pub const CITY_MAX: usize = 100;

/// What the applicant typed so far (not escaped).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationForm {
    pub contact: String,
    pub company: String,
    pub phone: Option<Phone>,
    pub city: String,
    pub category: String,
}

/// Where the applicant is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum ApplyStep {
    Contact,
    Company {
        form: ApplicationForm,
    },
    Phone {
        form: ApplicationForm,
    },
    City {
        form: ApplicationForm,
    },
    Category {
        form: ApplicationForm,
    },
    /// The summary `draft`, shown to Telegram user `by`.
    Confirm {
        form: ApplicationForm,
        draft: DraftId,
        by: i64,
    },
}

/// The application's commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyCommand {
    /// Store the application (idempotent under `draft`); answered with [`ApplyEvent`].
    Submit {
        draft: DraftId,
        form: ApplicationForm,
    },
}

/// How a submission ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyEvent {
    /// Stored (now or by an earlier run of this update): notify these admins, each in their language.
    Submitted {
        admins: Vec<(i64, Lang)>,
        /// The application as stored, for the admins' moderation card with Approve / Reject.
        card: Box<crate::admin::ApplicationCard>,
    },
    /// The sender is already a partner or has an application under review: nothing was written.
    NotAllowed,
}

fn at(step: ApplyStep) -> PartnerState {
    PartnerState::Apply(step)
}

fn ask(lang: Lang, step: ApplyStep, text: OfficeText<'_>, keyboard: Keyboard) -> PartnerStep {
    reply(at(step), Reply::with(render(lang, &text), keyboard))
}

fn cancel_keyboard(lang: Lang) -> Keyboard {
    super::cancel_keyboard(lang)
}

/// The first question, after a welcome.
pub fn start(lang: Lang) -> PartnerStep {
    let text = format!(
        "{}\n\n{}",
        render(lang, &OfficeText::ApplyWelcome),
        render(lang, &OfficeText::ApplyAskContact)
    );
    reply(
        at(ApplyStep::Contact),
        Reply::with(text, cancel_keyboard(lang)),
    )
}

/// Someone who is not an approved partner: unknown people apply, rejected ones see the reason and may apply again,
/// pending ones see their status. Help and language work for everyone.
pub fn not_approved(
    state: &PartnerState,
    ctx: &PartnerCtx,
    global: Option<Global>,
    ev: UserEvent,
) -> PartnerStep {
    let lang = ctx.lang;
    let may_apply = matches!(
        ctx.access,
        PartnerAccess::Unknown | PartnerAccess::Rejected { .. }
    );
    let applying = match state {
        PartnerState::Apply(step) if may_apply => Some(step),
        // The summary of an application already stored: the update that submitted it is being run again (its
        // first run stored it but crashed before the commit), so the press must reach the submission again, which
        // finds the application by its draft and notifies the admins then.
        PartnerState::Apply(step @ ApplyStep::Confirm { .. })
            if ctx.access == PartnerAccess::Pending =>
        {
            Some(step)
        }
        _ => None,
    };
    match (&global, applying) {
        (Some(Global::Help | Global::AskLanguage | Global::SetLanguage(_)), _) => {
            super::status(state, lang, &ctx.access, global)
        }
        (Some(_), Some(_)) if !may_apply => super::status(state, lang, &ctx.access, None),
        (Some(Global::Menu), Some(_)) => reply(
            PartnerState::Menu,
            Reply::with(render(lang, &OfficeText::ApplyCancelled), Keyboard::Remove),
        ),
        (Some(Global::Start(_)), Some(_)) => start(lang),
        (Some(Global::OutdatedButton), Some(_)) => {
            say(lang, state.clone(), CommonText::ButtonOutdated)
        }
        (None, Some(step)) => on_user(step, ctx, ev),
        (_, None) => match ctx.access {
            PartnerAccess::Unknown => start(lang),
            PartnerAccess::Rejected { .. } if is_reapply(&ev.input) => start(lang),
            _ => super::status(state, lang, &ctx.access, None),
        },
    }
}

fn is_reapply(input: &UserInput) -> bool {
    match input {
        UserInput::Callback { data } => {
            Callback::decode(data) == Decoded::Current(Callback::Reapply)
        }
        UserInput::Text(t) => super::is_button(t, &OfficeText::BtnReapply),
        _ => false,
    }
}

/// The applicant's input while applying.
fn on_user(step: &ApplyStep, ctx: &PartnerCtx, ev: UserEvent) -> PartnerStep {
    let lang = ctx.lang;
    let here = || at(step.clone());
    match (step, ev.input) {
        (ApplyStep::Confirm { form, draft, by }, UserInput::Callback { data }) => {
            on_confirm(step, form, draft, *by, lang, ev.sender.user_id, &data)
        }
        (ApplyStep::Confirm { .. }, _) => say(lang, here(), CommonText::UseTheButtons),
        (_, UserInput::Callback { .. }) => say(lang, here(), CommonText::StaleButton),
        (_, UserInput::Unsupported) => say(lang, here(), CommonText::Unsupported),
        (_, UserInput::Command { .. }) => say(lang, here(), CommonText::UnknownCommand),
        (ApplyStep::Phone { form }, UserInput::Contact { phone, user_id }) => {
            // Only the applicant's own card (Telegram sets its user_id): a forwarded contact is someone else's.
            if user_id != Some(ev.sender.user_id) {
                return say(lang, here(), OfficeText::ApplyContactNotOwn);
            }
            match Phone::parse(&phone) {
                Ok(phone) => {
                    let form = ApplicationForm {
                        phone: Some(phone),
                        ..form.clone()
                    };
                    ask(
                        lang,
                        ApplyStep::City { form },
                        OfficeText::ApplyAskCity,
                        cancel_keyboard(lang),
                    )
                }
                Err(_) => say(lang, here(), OfficeText::ApplyPhoneUnreadable),
            }
        }
        (ApplyStep::Phone { .. }, _) => ask_phone(lang, step.clone()),
        (_, UserInput::Contact { .. }) => say(lang, here(), CommonText::Unsupported),
        (_, UserInput::Text(text)) => on_text(step, ctx, &text, ev.fresh_draft, ev.sender.user_id),
    }
}

fn ask_phone(lang: Lang, step: ApplyStep) -> PartnerStep {
    let keyboard = Keyboard::Reply(vec![
        vec![ReplyButton::RequestContact(render(
            lang,
            &OfficeText::BtnSharePhone,
        ))],
        vec![ReplyButton::Text(render(lang, &CommonText::BtnCancel))],
    ]);
    ask(lang, step, OfficeText::ApplyAskPhone, keyboard)
}

/// A business category an applicant picks (configuration `partners.categories`, with `partners.categories_en`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// The configuration's name, stored with the application (the network's language).
    pub name: String,
    /// Its English label (the name itself when the configuration gives none).
    pub en: String,
}

impl Category {
    /// The button's label in `lang`.
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ru => &self.name,
            Lang::En => &self.en,
        }
    }
}

impl From<&str> for Category {
    /// A category with one label for both languages.
    fn from(name: &str) -> Category {
        Category {
            name: name.into(),
            en: name.into(),
        }
    }
}

fn category_keyboard(lang: Lang, categories: &[Category]) -> Keyboard {
    let mut rows: Vec<Vec<ReplyButton>> = categories
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|c| ReplyButton::Text(c.label(lang).to_owned()))
                .collect()
        })
        .collect();
    rows.push(vec![ReplyButton::Text(render(
        lang,
        &CommonText::BtnCancel,
    ))]);
    Keyboard::Reply(rows)
}

fn on_text(step: &ApplyStep, ctx: &PartnerCtx, text: &str, draft: DraftId, by: i64) -> PartnerStep {
    let lang = ctx.lang;
    let here = || at(step.clone());
    match step {
        ApplyStep::Contact => match field_text(text, 1, NAME_MAX) {
            Some(contact) => ask(
                lang,
                ApplyStep::Company {
                    form: ApplicationForm {
                        contact,
                        ..ApplicationForm::default()
                    },
                },
                OfficeText::ApplyAskCompany,
                cancel_keyboard(lang),
            ),
            None => say(
                lang,
                here(),
                OfficeText::TextLength {
                    min: 1,
                    max: NAME_MAX,
                },
            ),
        },
        ApplyStep::Company { form } => match field_text(text, 1, NAME_MAX) {
            Some(company) => ask_phone(
                lang,
                ApplyStep::Phone {
                    form: ApplicationForm {
                        company,
                        ..form.clone()
                    },
                },
            ),
            None => say(
                lang,
                here(),
                OfficeText::TextLength {
                    min: 1,
                    max: NAME_MAX,
                },
            ),
        },
        ApplyStep::City { form } => match field_text(text, 1, CITY_MAX) {
            Some(city) => ask(
                lang,
                ApplyStep::Category {
                    form: ApplicationForm {
                        city,
                        ..form.clone()
                    },
                },
                OfficeText::ApplyAskCategory,
                category_keyboard(lang, &ctx.categories),
            ),
            None => say(
                lang,
                here(),
                OfficeText::TextLength {
                    min: 1,
                    max: CITY_MAX,
                },
            ),
        },
        // Either language's label: the applicant may have switched language since the keyboard was sent.
        ApplyStep::Category { form } => match ctx
            .categories
            .iter()
            .find(|c| c.name == text || c.en == text)
        {
            Some(category) => {
                let form = ApplicationForm {
                    category: category.name.clone(),
                    ..form.clone()
                };
                summary(lang, form, draft, by)
            }
            None => reply(
                here(),
                Reply::with(
                    render(lang, &OfficeText::ApplyPickCategory),
                    category_keyboard(lang, &ctx.categories),
                ),
            ),
        },
        // Handled before: the phone comes only by the contact button, the summary only takes its buttons.
        ApplyStep::Phone { .. } | ApplyStep::Confirm { .. } => {
            say(lang, here(), CommonText::UseTheButtons)
        }
    }
}
