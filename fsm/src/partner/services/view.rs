//! What `/services` shows: the list with statuses, a service's card, the delete confirmation, and the answers to
//! the service commands' results (the admins' notices of a new service among them).

use super::*;

/// A service's status in words, with the reason of a rejection.
pub(super) fn status_text(lang: Lang, status: &ServiceStatus) -> String {
    match status {
        ServiceStatus::Pending => render(lang, &OfficeText::StatusPending),
        ServiceStatus::Approved => render(lang, &OfficeText::StatusApproved),
        ServiceStatus::Rejected { reason: None } => render(lang, &OfficeText::StatusRejected),
        ServiceStatus::Rejected { reason: Some(r) } => render(
            lang,
            &OfficeText::StatusRejectedBecause { reason: &escape(r) },
        ),
    }
}

pub(super) fn card(lang: Lang, s: &Service) -> Reply {
    let text = render(
        lang,
        &OfficeText::ServiceCard {
            title: &escape(&s.title),
            description: &escape(&s.description),
            price: s.price,
            status: &status_text(lang, &s.status),
        },
    );
    let delete = button(
        render(lang, &OfficeText::BtnDelete),
        Callback::Service {
            id: s.id,
            action: ItemAction::Delete,
        },
    );
    Reply::with(text, Keyboard::Inline(vec![vec![delete]]))
}

pub(super) fn listing(lang: Lang, services: &[Service]) -> Reply {
    let mut text = render(lang, &OfficeText::ServicesTitle);
    if services.is_empty() {
        text.push_str(&format!("\n\n{}", render(lang, &OfficeText::ServicesNone)));
    }
    for s in services {
        let line = render(
            lang,
            &OfficeText::ServiceLine {
                title: &escape(&s.title),
                price: s.price,
                status: &status_text(lang, &s.status),
            },
        );
        text.push_str(&format!("\n{line}"));
    }
    let mut rows: Vec<Vec<InlineButton>> = services
        .iter()
        .map(|s| {
            vec![button(
                s.title.clone(),
                Callback::Service {
                    id: s.id,
                    action: ItemAction::View,
                },
            )]
        })
        .collect();
    rows.push(vec![button(
        render(lang, &OfficeText::BtnNewService),
        Callback::ServiceNew,
    )]);
    Reply::with(text, Keyboard::Inline(rows))
}

/// A result of a service command.
pub(in crate::partner) fn on_result(
    state: &PartnerState,
    info: &PartnerInfo,
    lang: Lang,
    event: ServiceEvent,
) -> PartnerStep {
    match event {
        ServiceEvent::Listed(services) => reply(state.clone(), listing(lang, &services)),
        ServiceEvent::Opened { service: None, .. } => {
            say(lang, state.clone(), OfficeText::NotFoundOrNotYours)
        }
        ServiceEvent::Opened {
            service: Some(s),
            then: ItemAction::Delete,
        } => {
            let yes = button(
                render(lang, &OfficeText::BtnDeleteYes),
                Callback::Service {
                    id: s.id,
                    action: ItemAction::DeleteYes,
                },
            );
            let no = button(
                render(lang, &OfficeText::BtnDeleteNo),
                Callback::Service {
                    id: s.id,
                    action: ItemAction::DeleteNo,
                },
            );
            let text = render(
                lang,
                &OfficeText::ConfirmDelete {
                    title: &escape(&s.title),
                },
            );
            reply(
                state.clone(),
                Reply::with(text, Keyboard::Inline(vec![vec![yes, no]])),
            )
        }
        ServiceEvent::Opened {
            service: Some(s), ..
        } => reply(state.clone(), card(lang, &s)),
        ServiceEvent::Created { admins, card } => {
            let card = crate::admin::Card::Service(card);
            let PartnerState::Services(ServiceStep::New { .. }) = state else {
                return Transition {
                    next: state.clone(),
                    effects: vec![],
                };
            };
            let mut effects = vec![
                Effect::Reply(Reply::new(render(lang, &OfficeText::ServiceCreated))),
                Effect::Reply(menu_reply(lang, info)),
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
        // The confirmation turns into the outcome; a second tap (the item is gone by then) answers below it and
        // leaves the outcome standing.
        ServiceEvent::Deleted(true) => Transition {
            next: state.clone(),
            effects: vec![Effect::Edit(Reply::new(render(lang, &OfficeText::Deleted)))],
        },
        ServiceEvent::Deleted(false) => Transition {
            next: state.clone(),
            effects: vec![Effect::Reply(Reply::new(render(
                lang,
                &OfficeText::NotFoundOrNotYours,
            )))],
        },
    }
}
