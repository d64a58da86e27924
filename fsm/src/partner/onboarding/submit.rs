//! The application's end: the summary with Submit and Cancel, the submission's outcome with the admins'
//! notices, and a rejected applicant's status.

use super::*;

pub(super) fn summary(lang: Lang, form: ApplicationForm, draft: DraftId, by: i64) -> PartnerStep {
    let phone = form.phone.as_ref().map(Phone::as_str).unwrap_or_default();
    let text = render(
        lang,
        &OfficeText::ApplySummary {
            contact: &escape(&form.contact),
            company: &escape(&form.company),
            phone,
            city: &escape(&form.city),
            category: &escape(&form.category),
        },
    );
    let button = |label: OfficeText<'_>, submit: bool| InlineButton {
        text: render(lang, &label),
        data: Callback::Apply {
            draft: draft.clone(),
            submit,
        }
        .encode(),
    };
    let buttons = vec![vec![
        button(OfficeText::BtnSubmit, true),
        button(OfficeText::BtnDiscard, false),
    ]];
    // The reply keyboard goes first (a message of its own cannot carry both kinds of keyboard).
    Transition {
        next: at(ApplyStep::Confirm { form, draft, by }),
        effects: vec![
            Effect::Reply(Reply::with(
                render(lang, &OfficeText::ApplyCheck),
                Keyboard::Remove,
            )),
            Effect::Reply(Reply::with(text, Keyboard::Inline(buttons))),
        ],
    }
}

pub(super) fn on_confirm(
    step: &ApplyStep,
    form: &ApplicationForm,
    draft: &DraftId,
    by: i64,
    lang: Lang,
    user: i64,
    data: &str,
) -> PartnerStep {
    let pressed = match Callback::decode(data) {
        Decoded::Current(Callback::Apply {
            draft: pressed,
            submit,
        }) if pressed == *draft && user == by => submit,
        _ => return say(lang, at(step.clone()), CommonText::StaleButton),
    };
    if !pressed {
        return Transition {
            next: PartnerState::Menu,
            effects: vec![Effect::Edit(Reply::new(render(
                lang,
                &OfficeText::ApplyCancelled,
            )))],
        };
    }
    Transition {
        next: at(step.clone()),
        effects: vec![Effect::Command(PartnerCommand::Office(
            OfficeCommand::Apply(ApplyCommand::Submit {
                draft: draft.clone(),
                form: form.clone(),
            }),
        ))],
    }
}

/// The result of a submission.
pub fn on_result(state: &PartnerState, lang: Lang, event: ApplyEvent) -> PartnerStep {
    let PartnerState::Apply(ApplyStep::Confirm { .. }) = state else {
        return Transition {
            next: state.clone(),
            effects: vec![],
        };
    };
    match event {
        ApplyEvent::Submitted { admins, card } => {
            let card = crate::admin::Card::Application(*card);
            let mut effects = vec![
                Effect::Edit(Reply::new(render(lang, &OfficeText::ApplySubmitted))),
                Effect::Reply(Reply::with(
                    render(lang, &PartnerText::ApplicationPending),
                    Keyboard::Remove,
                )),
            ];
            effects.extend(
                admins
                    .into_iter()
                    .map(|(chat_id, admin_lang)| Effect::Notify {
                        bot: BotKind::Admin,
                        chat_id,
                        reply: crate::admin::moderation::card_reply(admin_lang, &card),
                    }),
            );
            Transition {
                next: PartnerState::Menu,
                effects,
            }
        }
        ApplyEvent::NotAllowed => Transition {
            next: PartnerState::Menu,
            effects: vec![Effect::Edit(Reply::new(render(
                lang,
                &OfficeText::ApplyNotAllowed,
            )))],
        },
    }
}

/// The applicant's notice of an admin's decision on the application of `company` (raw text; escaped here): approved,
/// with the partner menu; or rejected with the admin's `reason` (raw) if one was given and a button to apply again.
/// For the admin bot and the dashboard, which send it through the partner bot (SPEC §6).
pub fn decision_notice(lang: Lang, company: &str, approved: bool, reason: Option<&str>) -> Reply {
    if approved {
        let company = escape(company);
        let text = format!(
            "{}\n\n{}",
            render(
                lang,
                &OfficeText::ApplicationApprovedNotice { company: &company }
            ),
            render(lang, &PartnerText::Menu { company: &company })
        );
        Reply::with(text, crate::partner::menu_keyboard(lang))
    } else {
        rejected_reply(lang, reason.map(escape).as_deref())
    }
}

/// A rejected applicant's status: the reason, if the admin gave one (`reason` already escaped), and a button to
/// apply again.
pub fn rejected_reply(lang: Lang, reason: Option<&str>) -> Reply {
    let text = match reason {
        Some(reason) => render(lang, &OfficeText::RejectedBecause { reason }),
        None => render(lang, &PartnerText::ApplicationRejected),
    };
    let again = InlineButton {
        text: render(lang, &OfficeText::BtnReapply),
        data: Callback::Reapply.encode(),
    };
    Reply::with(text, Keyboard::Inline(vec![vec![again]]))
}
