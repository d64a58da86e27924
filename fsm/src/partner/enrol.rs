//! Enrolment by phone inside `/accrue` (SPEC §3): an unknown, well-formed phone is offered for enrolment on a
//! screen of its own (Enrol / Cancel, named by a draft minted with the lookup); Enrol creates the client record
//! (`AccrueCommand::Enrol`) and the accrual goes on at the amount step.

use super::accrue::{AccrueCommand, AccrueStep, at, command, mask_phone};
use super::{PartnerInfo, PartnerState, PartnerStep, menu_reply, reply, say};
use crate::callback::{Callback, Decoded, DraftId};
use crate::chat::{InlineButton, Keyboard, Lang, Reply, Transition};
use crate::dialogue::Effect;
use crate::identity::Phone;
use crate::text::{CommonText, PartnerText, render};

/// The enrol offer for an unknown phone: a screen named by a fresh draft, with Enrol / Cancel.
pub(super) fn offer(phone: Phone, lang: Lang, (draft, by): (DraftId, i64)) -> PartnerStep {
    let text = render(
        lang,
        &PartnerText::EnrolOffer {
            phone: &mask_phone(&phone),
        },
    );
    let button = |label: String, confirm: bool| InlineButton {
        text: label,
        data: Callback::Enrol {
            draft: draft.clone(),
            confirm,
        }
        .encode(),
    };
    let buttons = vec![vec![
        button(render(lang, &PartnerText::BtnEnrol), true),
        button(render(lang, &CommonText::BtnCancel), false),
    ]];
    reply(
        PartnerState::Accrue(AccrueStep::Enrol { phone, draft, by }),
        Reply::with(text, Keyboard::Inline(buttons)),
    )
}

/// A press on the enrol offer: only its own buttons, pressed by the partner who got it, count.
pub(super) fn on_press(
    step: &AccrueStep,
    info: &PartnerInfo,
    lang: Lang,
    user: i64,
    data: &str,
    (phone, draft, by): (&Phone, &DraftId, i64),
) -> PartnerStep {
    let Decoded::Current(Callback::Enrol {
        draft: pressed,
        confirm,
    }) = Callback::decode(data)
    else {
        return say(lang, at(step), CommonText::StaleButton);
    };
    if pressed != *draft || user != by {
        return say(lang, at(step), CommonText::StaleButton);
    }
    if !confirm {
        return Transition {
            next: PartnerState::Menu,
            effects: vec![
                Effect::Edit(Reply::new(render(lang, &PartnerText::EnrolCancelled))),
                Effect::Reply(menu_reply(lang, info)),
            ],
        };
    }
    command(
        step.clone(),
        AccrueCommand::Enrol {
            phone: phone.clone(),
            partner: info.id,
        },
    )
}
