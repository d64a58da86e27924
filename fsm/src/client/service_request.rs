//! Requesting a service for points (issue 14, SPEC §5): the client taps an affordable approved service under
//! `/services`, confirms, and the request goes to the partner (the client's own tap is the consent). The partner
//! accepts or declines in the partner bot (`partner::service_requests`); only an acceptance redeems, once, under the
//! request's idempotency key. Every press is checked on the server: the service approved and not deleted, its
//! partner approved, the wallet enough.

use super::{ClientCommand, ClientCtx, ClientState, ClientStep, reply};
use crate::callback::{Callback, DraftId};
use crate::chat::{BotKind, InlineButton, Keyboard, Lang, Reply, Transition};
use crate::dialogue::Effect;
use crate::text::{ClientText, CommonText, PartnerText, escape, render};

use super::offers::ServiceItem;

/// Answered with `ServiceRequestEvent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceRequestCommand {
    /// Read the service for its confirm screen, which `draft` (the tap's fresh draft) will name.
    Show { service: i64, draft: DraftId },
    /// Create the request named by `draft` (the confirm screen's) and tell the partner.
    Request { service: i64, draft: DraftId },
}

/// Whom the partner's notice goes to, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerNotice {
    pub request: i64,
    pub partner_chat: i64,
    pub partner_lang: Lang,
    /// How the partner knows the client: the member code.
    pub client_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceRequestEvent {
    /// The confirm screen; `draft` names it.
    Shown {
        item: ServiceItem,
        balance: i64,
        draft: DraftId,
    },
    /// Created (or found again for the same draft: `notice` is then None, the partner was told already).
    Requested {
        item: ServiceItem,
        notice: Option<PartnerNotice>,
    },
    /// Not approved any more, deleted, its partner not approved, or more points than the wallet holds.
    Unavailable,
    /// The client has a request of this service waiting for the partner already.
    AlreadyRequested,
}

/// The partner's notice of a new request, in the partner's language, with Accept / Decline: to chat
/// `notice.partner_chat` of the partner bot. The client bot's request and the Mini App's send this same message.
pub fn partner_notice(item: &ServiceItem, notice: &PartnerNotice) -> Reply {
    let accept = |accept: bool, text: String| InlineButton {
        text,
        data: Callback::ServiceDecision {
            request: notice.request,
            accept,
        }
        .encode(),
    };
    let l = notice.partner_lang;
    let text = PartnerText::ServiceRequestNotice {
        client: &notice.client_label,
        title: &escape(&item.title),
        points: item.price,
    };
    Reply::with(
        render(l, &text),
        Keyboard::Inline(vec![vec![
            accept(true, render(l, &PartnerText::BtnServiceAccept)),
            accept(false, render(l, &PartnerText::BtnServiceDecline)),
        ]]),
    )
}

/// The buttons of one affordable service in the `/services` list. Button labels are plain text (Telegram shows
/// them as given), so the title is not escaped here.
pub fn list_button(lang: Lang, item: &ServiceItem) -> InlineButton {
    InlineButton {
        text: render(
            lang,
            &ClientText::BtnServiceRequest {
                title: &item.title,
                price: item.price,
            },
        ),
        data: Callback::ServicePick { service: item.id }.encode(),
    }
}

fn command(state: &ClientState, c: ServiceRequestCommand) -> ClientStep {
    Transition {
        next: state.clone(),
        effects: vec![Effect::Command(ClientCommand::ServiceRequest(c))],
    }
}

/// A tap on a service in the list; `draft` is the tap's fresh draft id.
pub fn on_pick(state: &ClientState, service: i64, draft: DraftId) -> ClientStep {
    command(state, ServiceRequestCommand::Show { service, draft })
}

/// Request or Cancel on the confirm screen.
pub fn on_confirm(
    state: &ClientState,
    lang: Lang,
    service: i64,
    draft: DraftId,
    confirm: bool,
) -> ClientStep {
    if confirm {
        command(state, ServiceRequestCommand::Request { service, draft })
    } else {
        Transition {
            next: state.clone(),
            effects: vec![Effect::Edit(Reply::new(render(
                lang,
                &ClientText::ServiceRequestCancelled,
            )))],
        }
    }
}

/// The command's result.
pub fn on_result(state: &ClientState, ctx: &ClientCtx, event: ServiceRequestEvent) -> ClientStep {
    let lang = ctx.lang;
    match event {
        ServiceRequestEvent::Shown {
            item,
            balance,
            draft,
        } => {
            let button = |confirm: bool, text: String| InlineButton {
                text,
                data: Callback::ServiceConfirm {
                    service: item.id,
                    draft: draft.clone(),
                    confirm,
                }
                .encode(),
            };
            let keyboard = Keyboard::Inline(vec![vec![
                button(true, render(lang, &ClientText::BtnRequest)),
                button(false, render(lang, &CommonText::BtnCancel)),
            ]]);
            let text = ClientText::ServiceConfirm {
                partner: &escape(&item.partner),
                title: &escape(&item.title),
                price: item.price,
                balance,
            };
            reply(state.clone(), Reply::with(render(lang, &text), keyboard))
        }
        ServiceRequestEvent::Requested { item, notice } => {
            let mut effects = vec![Effect::Edit(Reply::new(render(
                lang,
                &ClientText::ServiceRequested {
                    partner: &escape(&item.partner),
                    title: &escape(&item.title),
                },
            )))];
            if let Some(n) = notice {
                effects.push(Effect::Notify {
                    bot: BotKind::Partner,
                    chat_id: n.partner_chat,
                    reply: partner_notice(&item, &n),
                });
            }
            Transition {
                next: state.clone(),
                effects,
            }
        }
        ServiceRequestEvent::Unavailable => Transition {
            next: state.clone(),
            effects: vec![Effect::Edit(Reply::new(render(
                lang,
                &ClientText::ServiceUnavailable,
            )))],
        },
        ServiceRequestEvent::AlreadyRequested => Transition {
            next: state.clone(),
            effects: vec![Effect::Edit(Reply::new(render(
                lang,
                &ClientText::ServiceAlreadyRequested,
            )))],
        },
    }
}
