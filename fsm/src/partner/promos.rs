//! Promotions (`/promos`, SPEC §4): create (title 3–100 characters, description, discount text, start and end
//! date `DD.MM.YYYY`, the end not before the start nor in the past in the network's time zone), list the own ones,
//! edit a field, delete with confirmation. Clients see a promotion from its start to its end date inclusive.
//!
//! A promotion's buttons name its id; every command carries the partner id of the server's context, so another
//! partner's id reads as "not found or not yours" and nothing changes.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::office::{OfficeCommand, command, field_text, not_text};
use super::{
    PartnerCtx, PartnerInfo, PartnerState, PartnerStep, cancel_keyboard, menu_reply, reply, say,
};
use crate::calendar::{format_date, parse_date};
use crate::callback::{Callback, DraftId, ItemAction, PromoField};
use crate::chat::{InlineButton, Keyboard, Lang, Reply, Transition, UserInput};
use crate::dialogue::{Effect, UserEvent};
use crate::ids::PartnerId;
use crate::text::{CommonText, OfficeText, escape, render};

mod view;
pub(super) use view::on_result;

/// Title bounds, in characters (SPEC §4; the `promotions` table's CHECK).
pub const TITLE_MIN: usize = 3;
pub const TITLE_MAX: usize = 100;
/// Description and discount text bounds, in characters.
pub const DESCRIPTION_MAX: usize = 1000;
pub const DISCOUNT_MAX: usize = 100;

/// A promotion as stored (text not escaped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promo {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub discount: String,
    /// First and last day it runs, in the network's time zone.
    pub starts: Date,
    pub ends: Date,
}

/// A new promotion's fields, asked in this order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromoForm {
    pub title: Option<String>,
    pub description: Option<String>,
    pub discount: Option<String>,
    pub starts: Option<Date>,
}

/// Where the partner is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum PromoStep {
    /// Creating; `draft` was minted when the creation started and names the row (a re-run finds it).
    New { form: PromoForm, draft: DraftId },
    /// Waiting for the new value of `field`.
    Edit { promo: Promo, field: PromoField },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromoCommand {
    List {
        partner: PartnerId,
    },
    /// Reads the partner's own promotion `id` for `then` (view, ask to delete, edit a field).
    Open {
        partner: PartnerId,
        id: i64,
        then: ItemAction,
    },
    /// Idempotent under `draft`.
    Create {
        partner: PartnerId,
        draft: DraftId,
        promo: Promo,
    },
    /// Writes every field of `promo` (the partner's own, else nothing).
    Update {
        partner: PartnerId,
        promo: Promo,
    },
    Delete {
        partner: PartnerId,
        id: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromoEvent {
    Listed(Vec<Promo>),
    Opened {
        promo: Option<Promo>,
        then: ItemAction,
    },
    Created,
    /// False: not found or not the partner's.
    Updated(bool),
    Deleted(bool),
}

fn run(next: PartnerState, c: PromoCommand) -> PartnerStep {
    command(next, OfficeCommand::Promo(c))
}

fn at(step: &PromoStep) -> PartnerState {
    PartnerState::Promos(step.clone())
}

/// `/promos`: the partner's promotions.
pub fn list(info: &PartnerInfo) -> PartnerStep {
    run(PartnerState::Menu, PromoCommand::List { partner: info.id })
}

fn button(text: String, callback: Callback) -> InlineButton {
    InlineButton {
        text,
        data: callback.encode(),
    }
}

fn ask(lang: Lang, next: PromoStep, question: OfficeText<'_>) -> PartnerStep {
    reply(
        PartnerState::Promos(next),
        Reply::with(render(lang, &question), cancel_keyboard(lang)),
    )
}

/// A promotion's button.
pub(super) fn on_callback(
    info: &PartnerInfo,
    lang: Lang,
    callback: Callback,
    ev: &UserEvent,
) -> PartnerStep {
    let partner = info.id;
    match callback {
        Callback::PromoNew => ask(
            lang,
            PromoStep::New {
                form: PromoForm::default(),
                draft: ev.fresh_draft.clone(),
            },
            OfficeText::PromoAskTitle,
        ),
        Callback::Promo {
            id,
            action: ItemAction::DeleteYes,
        } => run(PartnerState::Menu, PromoCommand::Delete { partner, id }),
        Callback::Promo {
            action: ItemAction::DeleteNo,
            ..
        } => Transition {
            next: PartnerState::Menu,
            effects: vec![Effect::Edit(Reply::new(render(lang, &OfficeText::Kept)))],
        },
        Callback::Promo { id, action } => run(
            PartnerState::Menu,
            PromoCommand::Open {
                partner,
                id,
                then: action,
            },
        ),
        _ => say(lang, PartnerState::Menu, CommonText::StaleButton),
    }
}

fn question(field: PromoField) -> OfficeText<'static> {
    match field {
        PromoField::Title => OfficeText::PromoAskTitle,
        PromoField::Description => OfficeText::PromoAskDescription,
        PromoField::Discount => OfficeText::PromoAskDiscount,
        PromoField::Starts => OfficeText::PromoAskStarts,
        PromoField::Ends => OfficeText::PromoAskEnds,
    }
}

/// Why a typed value was refused.
fn check_text(field: PromoField, text: &str) -> Result<String, OfficeText<'static>> {
    let (min, max) = match field {
        PromoField::Title => (TITLE_MIN, TITLE_MAX),
        PromoField::Description => (1, DESCRIPTION_MAX),
        _ => (1, DISCOUNT_MAX),
    };
    field_text(text, min, max).ok_or(OfficeText::TextLength { min, max })
}

/// The end date rules: not before the start, not in the past (network time zone).
fn check_dates(starts: Date, ends: Date, today: Date) -> Result<(), OfficeText<'static>> {
    if ends < starts {
        Err(OfficeText::PromoEndsBeforeStart)
    } else if ends < today {
        Err(OfficeText::PromoEndsInPast)
    } else {
        Ok(())
    }
}

fn date(text: &str) -> Result<Date, OfficeText<'static>> {
    parse_date(text).ok_or(OfficeText::DateInvalid)
}

/// The partner's input while creating or editing.
pub fn on_user(
    step: &PromoStep,
    info: &PartnerInfo,
    ctx: &PartnerCtx,
    ev: UserEvent,
) -> PartnerStep {
    let lang = ctx.lang;
    let UserInput::Text(text) = ev.input else {
        return not_text(lang, at(step), &ev.input);
    };
    let outcome = match step {
        PromoStep::New { form, draft } => on_new(form, draft, info, ctx, &text),
        PromoStep::Edit { promo, field } => on_edit(promo, *field, info, ctx, &text),
    };
    outcome.unwrap_or_else(|why| say(lang, at(step), why))
}

fn on_new(
    form: &PromoForm,
    draft: &DraftId,
    info: &PartnerInfo,
    ctx: &PartnerCtx,
    text: &str,
) -> Result<PartnerStep, OfficeText<'static>> {
    let lang = ctx.lang;
    let mut form = form.clone();
    let next = |form: PromoForm, q| {
        Ok(ask(
            lang,
            PromoStep::New {
                form,
                draft: draft.clone(),
            },
            q,
        ))
    };
    let (Some(title), Some(description), Some(discount), Some(starts)) =
        (&form.title, &form.description, &form.discount, form.starts)
    else {
        if form.title.is_none() {
            form.title = Some(check_text(PromoField::Title, text)?);
            return next(form, OfficeText::PromoAskDescription);
        }
        if form.description.is_none() {
            form.description = Some(check_text(PromoField::Description, text)?);
            return next(form, OfficeText::PromoAskDiscount);
        }
        if form.discount.is_none() {
            form.discount = Some(check_text(PromoField::Discount, text)?);
            return next(form, OfficeText::PromoAskStarts);
        }
        form.starts = Some(date(text)?);
        return next(form, OfficeText::PromoAskEnds);
    };
    let ends = date(text)?;
    check_dates(starts, ends, ctx.today)?;
    let promo = Promo {
        id: 0,
        title: title.clone(),
        description: description.clone(),
        discount: discount.clone(),
        starts,
        ends,
    };
    let here = PartnerState::Promos(PromoStep::New {
        form: form.clone(),
        draft: draft.clone(),
    });
    Ok(run(
        here,
        PromoCommand::Create {
            partner: info.id,
            draft: draft.clone(),
            promo,
        },
    ))
}

fn on_edit(
    promo: &Promo,
    field: PromoField,
    info: &PartnerInfo,
    ctx: &PartnerCtx,
    text: &str,
) -> Result<PartnerStep, OfficeText<'static>> {
    let mut new = promo.clone();
    match field {
        PromoField::Title => new.title = check_text(field, text)?,
        PromoField::Description => new.description = check_text(field, text)?,
        PromoField::Discount => new.discount = check_text(field, text)?,
        PromoField::Starts => {
            new.starts = date(text)?;
            if new.ends < new.starts {
                return Err(OfficeText::PromoEndsBeforeStart);
            }
        }
        PromoField::Ends => {
            new.ends = date(text)?;
            check_dates(new.starts, new.ends, ctx.today)?;
        }
    }
    let here = PartnerState::Promos(PromoStep::Edit {
        promo: promo.clone(),
        field,
    });
    Ok(run(
        here,
        PromoCommand::Update {
            partner: info.id,
            promo: new,
        },
    ))
}
