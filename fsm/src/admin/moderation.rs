//! Moderation in the admin bot (SPEC §6): applications and services as cards with Approve / Reject; Reject asks
//! for a reason (or `/skip`). A decided card keeps the button of the other decision, so an item can be re-decided;
//! the decision itself, its audit row and the partner's notice are `actors::moderation::decide`.

use super::{
    AdminCommand, AdminState, AdminStep, ApplicationCard, Card, Decided, Queue, REASON_MAX_CHARS,
    ServiceCard, Subject, Verdict, cancel_keyboard, command, say,
};
use crate::callback::{Callback, Decoded};
use crate::chat::{InlineButton, Keyboard, Lang, Reply, Transition, UserInput};
use crate::dialogue::Effect;
use crate::text::{AdminText, escape, render};

/// The card of an application or a service with its status and the buttons of the decisions it can still take.
pub fn card_reply(lang: Lang, card: &Card) -> Reply {
    let (subject, body, status, reason) = match card {
        Card::Application(a) => (
            Subject::Application(a.partner),
            application_text(lang, a),
            a.status.as_str(),
            a.reason.as_deref(),
        ),
        Card::Service(s) => (
            Subject::Service(s.id),
            service_text(lang, s),
            s.status.as_str(),
            s.reason.as_deref(),
        ),
    };
    let status_line = match (status, reason) {
        ("approved", _) => render(lang, &AdminText::StatusApproved),
        ("rejected", Some(reason)) => render(
            lang,
            &AdminText::StatusRejectedBecause {
                reason: &escape(reason),
            },
        ),
        ("rejected", None) => render(lang, &AdminText::StatusRejected),
        _ => render(lang, &AdminText::StatusPending),
    };
    let button = |approve: bool| InlineButton {
        text: render(
            lang,
            &if approve {
                AdminText::BtnApprove
            } else {
                AdminText::BtnReject
            },
        ),
        data: Callback::Moderate { subject, approve }.encode(),
    };
    let buttons: Vec<InlineButton> = match status {
        "approved" => vec![button(false)],
        "rejected" => vec![button(true)],
        _ => vec![button(true), button(false)],
    };
    Reply::with(
        format!("{body}\n\n{status_line}"),
        Keyboard::Inline(vec![buttons]),
    )
}

fn application_text(lang: Lang, a: &ApplicationCard) -> String {
    render(
        lang,
        &AdminText::ApplicationCard {
            partner: a.partner,
            company: &escape(&a.company),
            contact: &escape(&a.contact),
            phone: a.phone.as_deref().unwrap_or("—"),
            city: &escape(&a.city),
            category: &escape(&a.category),
        },
    )
}

fn service_text(lang: Lang, s: &ServiceCard) -> String {
    render(
        lang,
        &AdminText::ServiceCard {
            id: s.id,
            company: &escape(&s.company),
            title: &escape(&s.title),
            description: &escape(&s.description),
            price: s.price_points,
        },
    )
}

/// Approve / Reject pressed on a card (in any state: a card may be pressed mid-dialogue, which it then leaves).
pub(super) fn on_button(lang: Lang, input: &UserInput) -> Option<AdminStep> {
    let UserInput::Callback { data } = input else {
        return None;
    };
    let Decoded::Current(Callback::Moderate { subject, approve }) = Callback::decode(data) else {
        return None;
    };
    Some(if approve {
        command(
            AdminState::Menu,
            AdminCommand::Decide {
                subject,
                verdict: Verdict::Approve,
            },
        )
    } else {
        // The question names the subject by its card's number; the reason comes next, as text.
        let title = match subject {
            Subject::Application(id) | Subject::Service(id) => format!("#{id}"),
        };
        Transition {
            next: AdminState::RejectReason {
                subject,
                title: title.clone(),
            },
            effects: vec![Effect::Reply(Reply::with(
                render(lang, &AdminText::AskReason { title: &title }),
                cancel_keyboard(lang),
            ))],
        }
    })
}

/// The admin's answer while a rejection waits for its reason: text is the reason, `/skip` rejects without one.
pub(super) fn on_reason(
    state: &AdminState,
    subject: Subject,
    lang: Lang,
    input: &UserInput,
) -> AdminStep {
    let title = match state {
        AdminState::RejectReason { title, .. } => title.as_str(),
        _ => "",
    };
    let reason = match input {
        UserInput::Command { name, .. } if name == "skip" => None,
        UserInput::Text(t) if !t.trim().is_empty() => {
            if t.trim().chars().count() > REASON_MAX_CHARS {
                return say(
                    lang,
                    state.clone(),
                    AdminText::ReasonTooLong {
                        max: REASON_MAX_CHARS as i64,
                    },
                );
            }
            Some(t.trim().to_string())
        }
        _ => return say(lang, state.clone(), AdminText::AskReason { title }),
    };
    command(
        AdminState::Menu,
        AdminCommand::Decide {
            subject,
            verdict: Verdict::Reject { reason },
        },
    )
}

/// The queue: a summary, then one card per pending item.
pub(super) fn on_queue(lang: Lang, queue: Queue) -> AdminStep {
    if queue.applications.is_empty() && queue.services.is_empty() {
        return say(lang, AdminState::Menu, AdminText::QueueEmpty);
    }
    let mut effects = vec![Effect::Reply(Reply::with(
        render(
            lang,
            &AdminText::QueueSummary {
                applications: queue.applications.len() as i64,
                services: queue.services.len() as i64,
            },
        ),
        super::menu_keyboard(lang),
    ))];
    let cards = queue
        .applications
        .into_iter()
        .map(Card::Application)
        .chain(queue.services.into_iter().map(Card::Service));
    effects.extend(cards.map(|card| Effect::Reply(card_reply(lang, &card))));
    Transition {
        next: AdminState::Menu,
        effects,
    }
}

/// A decision's outcome: the card edited to its new status (a new message when the decision came from typed
/// text, i.e. a reason), and a line saying what happened.
pub(super) fn on_decided(
    lang: Lang,
    approve: bool,
    outcome: Decided,
    card: Option<Card>,
) -> AdminStep {
    let line = match outcome {
        Decided::Done { .. } if approve => AdminText::DecidedApproved,
        Decided::Done { .. } => AdminText::DecidedRejected,
        Decided::Unchanged => AdminText::DecidedAlready,
        Decided::NotFound => AdminText::DecidedNotFound,
        Decided::ReasonTooLong => AdminText::ReasonTooLong {
            max: REASON_MAX_CHARS as i64,
        },
    };
    let mut effects = Vec::new();
    if let Some(card) = card {
        effects.push(Effect::Edit(card_reply(lang, &card)));
    }
    effects.push(Effect::Reply(Reply::with(
        render(lang, &line),
        super::menu_keyboard(lang),
    )));
    Transition {
        next: AdminState::Menu,
        effects,
    }
}
