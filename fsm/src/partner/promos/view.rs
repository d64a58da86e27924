//! What `/promos` shows: the list, a promotion's card with its buttons, the delete confirmation, and the
//! answers to the promotion commands' results.

use super::*;

pub(super) fn card(lang: Lang, p: &Promo) -> Reply {
    let text = render(
        lang,
        &OfficeText::PromoCard {
            title: &escape(&p.title),
            description: &escape(&p.description),
            discount: &escape(&p.discount),
            starts: &format_date(p.starts),
            ends: &format_date(p.ends),
        },
    );
    let edit = |label: OfficeText<'_>, field| {
        button(
            render(lang, &label),
            Callback::Promo {
                id: p.id,
                action: ItemAction::Edit(field),
            },
        )
    };
    let rows = vec![
        vec![
            edit(OfficeText::BtnEditTitle, PromoField::Title),
            edit(OfficeText::BtnEditDescription, PromoField::Description),
        ],
        vec![edit(OfficeText::BtnEditDiscount, PromoField::Discount)],
        vec![
            edit(OfficeText::BtnEditStarts, PromoField::Starts),
            edit(OfficeText::BtnEditEnds, PromoField::Ends),
        ],
        vec![button(
            render(lang, &OfficeText::BtnDelete),
            Callback::Promo {
                id: p.id,
                action: ItemAction::Delete,
            },
        )],
    ];
    Reply::with(text, Keyboard::Inline(rows))
}

pub(super) fn listing(lang: Lang, promos: &[Promo]) -> Reply {
    let mut text = render(lang, &OfficeText::PromosTitle);
    if promos.is_empty() {
        text.push_str(&format!("\n\n{}", render(lang, &OfficeText::PromosNone)));
    }
    let mut rows: Vec<Vec<InlineButton>> = promos
        .iter()
        .map(|p| {
            let label = format!(
                "{} · {}–{}",
                p.title,
                format_date(p.starts),
                format_date(p.ends)
            );
            vec![button(
                label,
                Callback::Promo {
                    id: p.id,
                    action: ItemAction::View,
                },
            )]
        })
        .collect();
    rows.push(vec![button(
        render(lang, &OfficeText::BtnNewPromo),
        Callback::PromoNew,
    )]);
    Reply::with(text, Keyboard::Inline(rows))
}

/// A result of a promotion command.
pub(in crate::partner) fn on_result(
    state: &PartnerState,
    info: &PartnerInfo,
    ctx: &PartnerCtx,
    event: PromoEvent,
) -> PartnerStep {
    let lang = ctx.lang;
    let done = |text: OfficeText<'_>| Transition {
        next: PartnerState::Menu,
        effects: vec![
            Effect::Reply(Reply::new(render(lang, &text))),
            Effect::Reply(menu_reply(lang, info)),
        ],
    };
    match event {
        PromoEvent::Listed(promos) => reply(state.clone(), listing(lang, &promos)),
        PromoEvent::Opened { promo: None, .. } => {
            say(lang, state.clone(), OfficeText::NotFoundOrNotYours)
        }
        PromoEvent::Opened {
            promo: Some(p),
            then,
        } => match then {
            ItemAction::Edit(field) => {
                ask(lang, PromoStep::Edit { promo: p, field }, question(field))
            }
            ItemAction::Delete => {
                let yes = button(
                    render(lang, &OfficeText::BtnDeleteYes),
                    Callback::Promo {
                        id: p.id,
                        action: ItemAction::DeleteYes,
                    },
                );
                let no = button(
                    render(lang, &OfficeText::BtnDeleteNo),
                    Callback::Promo {
                        id: p.id,
                        action: ItemAction::DeleteNo,
                    },
                );
                let text = render(
                    lang,
                    &OfficeText::ConfirmDelete {
                        title: &escape(&p.title),
                    },
                );
                reply(
                    state.clone(),
                    Reply::with(text, Keyboard::Inline(vec![vec![yes, no]])),
                )
            }
            _ => reply(state.clone(), card(lang, &p)),
        },
        PromoEvent::Created => done(OfficeText::PromoCreated),
        PromoEvent::Updated(true) => done(OfficeText::Saved),
        PromoEvent::Updated(false) => done(OfficeText::NotFoundOrNotYours),
        // The confirmation turns into the outcome; a second tap (the item is gone by then) answers below it and
        // leaves the outcome standing.
        PromoEvent::Deleted(true) => Transition {
            next: state.clone(),
            effects: vec![Effect::Edit(Reply::new(render(lang, &OfficeText::Deleted)))],
        },
        PromoEvent::Deleted(false) => Transition {
            next: state.clone(),
            effects: vec![Effect::Reply(Reply::new(render(
                lang,
                &OfficeText::NotFoundOrNotYours,
            )))],
        },
    }
}
