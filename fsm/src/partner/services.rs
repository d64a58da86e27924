//! Services (`/services`, SPEC §4): what a client may buy with points at this partner. Create (title 3–100
//! characters, description, price in points > 0) → pending moderation, every admin notified once; list the own ones
//! with their status (and the reason of a rejection); delete (soft: `deleted_at`). The admin's decision reaches
//! the partner through [`decision_notice`] (called by the admin bot).
//!
//! Like promotions, a service's buttons name its id and every command carries the server's partner id.

use serde::{Deserialize, Serialize};

use super::office::{OfficeCommand, command, field_text, not_text};
use super::promos::{DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN};
use super::{PartnerInfo, PartnerState, PartnerStep, cancel_keyboard, menu_reply, reply, say};
use crate::callback::{Callback, DraftId, ItemAction};
use crate::chat::{BotKind, InlineButton, Keyboard, Lang, Reply, Transition, UserInput};
use crate::dialogue::{Effect, UserEvent};
use crate::ids::PartnerId;
use crate::money::Points;
use crate::text::{CommonText, OfficeText, escape, render};

mod view;
pub(super) use view::on_result;

/// A service's moderation status (`services.status`, `reject_reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceStatus {
    Pending,
    Approved,
    Rejected { reason: Option<String> },
}

/// A service as stored (text not escaped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub price: Points,
    pub status: ServiceStatus,
}

/// A new service's fields, asked in this order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceForm {
    pub title: Option<String>,
    pub description: Option<String>,
}

/// Where the partner is: creating a service; `draft` names the row (a re-run finds it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum ServiceStep {
    New { form: ServiceForm, draft: DraftId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceCommand {
    List {
        partner: PartnerId,
    },
    Open {
        partner: PartnerId,
        id: i64,
        then: ItemAction,
    },
    /// Idempotent under `draft`; answered with `Created` naming the admins to notify.
    Create {
        partner: PartnerId,
        draft: DraftId,
        title: String,
        description: String,
        price: Points,
    },
    /// Soft delete of the partner's own service.
    Delete {
        partner: PartnerId,
        id: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceEvent {
    Listed(Vec<Service>),
    Opened {
        service: Option<Service>,
        then: ItemAction,
    },
    /// Stored (now or by an earlier run of this update): notify these admins, each in their language.
    Created {
        admins: Vec<(i64, Lang)>,
        /// The service as stored, for the admins' moderation card with Approve / Reject.
        card: crate::admin::ServiceCard,
    },
    Deleted(bool),
}

fn run(next: PartnerState, c: ServiceCommand) -> PartnerStep {
    command(next, OfficeCommand::Service(c))
}

/// `/services`: the partner's services with their status.
pub fn list(info: &PartnerInfo) -> PartnerStep {
    run(
        PartnerState::Menu,
        ServiceCommand::List { partner: info.id },
    )
}

fn button(text: String, callback: Callback) -> InlineButton {
    InlineButton {
        text,
        data: callback.encode(),
    }
}

fn ask(lang: Lang, form: ServiceForm, draft: DraftId, question: OfficeText<'_>) -> PartnerStep {
    reply(
        PartnerState::Services(ServiceStep::New { form, draft }),
        Reply::with(render(lang, &question), cancel_keyboard(lang)),
    )
}

/// A service's button.
pub(super) fn on_callback(
    info: &PartnerInfo,
    lang: Lang,
    callback: Callback,
    ev: &UserEvent,
) -> PartnerStep {
    let partner = info.id;
    match callback {
        Callback::ServiceNew => ask(
            lang,
            ServiceForm::default(),
            ev.fresh_draft.clone(),
            OfficeText::ServiceAskTitle,
        ),
        Callback::Service {
            id,
            action: ItemAction::DeleteYes,
        } => run(PartnerState::Menu, ServiceCommand::Delete { partner, id }),
        Callback::Service {
            action: ItemAction::DeleteNo,
            ..
        } => Transition {
            next: PartnerState::Menu,
            effects: vec![Effect::Edit(Reply::new(render(lang, &OfficeText::Kept)))],
        },
        Callback::Service { id, action } => run(
            PartnerState::Menu,
            ServiceCommand::Open {
                partner,
                id,
                then: action,
            },
        ),
        _ => say(lang, PartnerState::Menu, CommonText::StaleButton),
    }
}

/// The partner's input while creating a service.
pub fn on_user(step: &ServiceStep, info: &PartnerInfo, lang: Lang, ev: UserEvent) -> PartnerStep {
    let here = PartnerState::Services(step.clone());
    let UserInput::Text(text) = &ev.input else {
        return not_text(lang, here, &ev.input);
    };
    let ServiceStep::New { form, draft } = step;
    let (Some(title), Some(description)) = (&form.title, &form.description) else {
        let mut form = form.clone();
        if form.title.is_none() {
            return match field_text(text, TITLE_MIN, TITLE_MAX) {
                Some(title) => {
                    form.title = Some(title);
                    ask(lang, form, draft.clone(), OfficeText::ServiceAskDescription)
                }
                None => say(
                    lang,
                    here,
                    OfficeText::TextLength {
                        min: TITLE_MIN,
                        max: TITLE_MAX,
                    },
                ),
            };
        }
        return match field_text(text, 1, DESCRIPTION_MAX) {
            Some(description) => {
                form.description = Some(description);
                ask(lang, form, draft.clone(), OfficeText::ServiceAskPrice)
            }
            None => say(
                lang,
                here,
                OfficeText::TextLength {
                    min: 1,
                    max: DESCRIPTION_MAX,
                },
            ),
        };
    };
    let price = text
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|n| Points::new(n).ok());
    match price {
        Some(price) => run(
            here,
            ServiceCommand::Create {
                partner: info.id,
                draft: draft.clone(),
                title: title.clone(),
                description: description.clone(),
                price,
            },
        ),
        None => say(lang, here, OfficeText::PriceInvalid),
    }
}

/// The partner's notice of an admin's decision on their service `title` (raw text; escaped here): approved, or
/// rejected with the admin's `reason` if one was given. For the admin bot, which sends it through the partner bot.
pub fn decision_notice(lang: Lang, title: &str, approved: bool, reason: Option<&str>) -> Reply {
    let title = escape(title);
    let text = match (approved, reason) {
        (true, _) => render(lang, &OfficeText::ServiceApprovedNotice { title: &title }),
        (false, None) => render(lang, &OfficeText::ServiceRejectedNotice { title: &title }),
        (false, Some(r)) => render(
            lang,
            &OfficeText::ServiceRejectedNoticeBecause {
                title: &title,
                reason: &escape(r),
            },
        ),
    };
    Reply::new(text)
}
