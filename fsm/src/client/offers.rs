//! `/promos` and `/services` (SPEC §5): current promotions (first those of the partners the client dealt with) and
//! approved services (those the balance covers first). Read for the client behind the sender; the texts are lists.

use super::{ClientCommand, ClientCtx, ClientState, ClientStep, menu_reply, reply};
use crate::chat::Transition;
use crate::dialogue::Effect;
use crate::text::{ClientText, escape, render};

/// Promotions listed in one message; the Mini App lists them all.
pub const PROMOS_MAX: i64 = 10;
/// Services listed in one message.
pub const SERVICES_MAX: usize = 15;
/// Affordable services with a «Request» button under the list.
pub const REQUEST_BUTTONS_MAX: usize = 8;

/// A current promotion, its fields escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoItem {
    pub partner: String,
    pub title: String,
    pub discount: String,
    /// The last day, `dd.mm.yyyy`.
    pub ends: String,
}

/// An approved service as the client bot lists it. `partner` and `title` are raw text: each renderer escapes
/// them for HTML (button labels are plain text and take them as they are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceItem {
    pub id: i64,
    pub partner: String,
    pub title: String,
    pub price: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffersCommand {
    Promos,
    Services,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffersEvent {
    Promos(Vec<PromoItem>),
    /// Cheapest first, as read; `balance` is the wallet now.
    Services {
        balance: i64,
        items: Vec<ServiceItem>,
    },
}

/// `/promos` or `/services`.
pub fn start(state: &ClientState, command: OffersCommand) -> ClientStep {
    Transition {
        next: state.clone(),
        effects: vec![Effect::Command(ClientCommand::Offers(command))],
    }
}

/// The list as one message with the menu keyboard.
pub fn on_result(state: &ClientState, ctx: &ClientCtx, event: OffersEvent) -> ClientStep {
    let lang = ctx.lang;
    let mut buttons = Vec::new();
    let html = match event {
        OffersEvent::Promos(items) if items.is_empty() => render(lang, &ClientText::PromosEmpty),
        OffersEvent::Promos(items) => {
            let mut html = render(lang, &ClientText::PromosTitle);
            for p in &items {
                html.push_str("\n\n");
                html.push_str(&render(
                    lang,
                    &ClientText::PromoLine {
                        partner: &p.partner,
                        title: &p.title,
                        discount: &p.discount,
                        ends: &p.ends,
                    },
                ));
            }
            html
        }
        OffersEvent::Services { items, .. } if items.is_empty() => {
            render(lang, &ClientText::ServicesEmpty)
        }
        OffersEvent::Services { balance, items } => {
            let (affordable, saving): (Vec<_>, Vec<_>) =
                items.iter().partition(|s| s.price <= balance);
            // A «Request» button per affordable service (the first few: a keyboard is not a catalogue).
            buttons = affordable
                .iter()
                .take(REQUEST_BUTTONS_MAX)
                .map(|s| vec![super::service_request::list_button(lang, s)])
                .collect();
            let mut html = render(lang, &ClientText::ServicesTitle { balance });
            for (heading, group) in [
                (ClientText::ServicesAffordable, &affordable),
                (ClientText::ServicesSaving, &saving),
            ] {
                if group.is_empty() {
                    continue;
                }
                html.push_str("\n\n");
                html.push_str(&render(lang, &heading));
                for s in group.iter().take(SERVICES_MAX) {
                    html.push('\n');
                    html.push_str(&render(
                        lang,
                        &ClientText::ServiceLine {
                            partner: &escape(&s.partner),
                            title: &escape(&s.title),
                            price: s.price,
                        },
                    ));
                }
            }
            html
        }
    };
    if buttons.is_empty() {
        reply(state.clone(), menu_reply(ctx, lang, html))
    } else {
        reply(
            state.clone(),
            crate::chat::Reply::with(html, crate::chat::Keyboard::Inline(buttons)),
        )
    }
}
