//! `/history` (SPEC §5): the client's last operations, a page at a time, newest first, with «Older» / «Newer»
//! inline buttons. A button carries a keyset cursor (an operation id of the page it was under); the server checks
//! that the operation is this client's before reading a page, so a forged cursor reads nothing.

use super::{ClientCommand, ClientCtx, ClientState, ClientStep, menu_reply, reply};
use crate::callback::{Callback, HistoryCursor};
use crate::chat::{InlineButton, Keyboard, Reply, Transition};
use crate::dialogue::Effect;
use crate::money::Kopecks;
use crate::text::{ClientText, CommonText, render};

/// Operations per page: a page stays one short message on a phone.
pub const PAGE_SIZE: i64 = 5;

/// What an operation was, for its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKind {
    Accrual,
    Redemption,
    WelcomeBonus,
    Reversal,
}

/// One line of the history, as the handler read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryItem {
    /// `operations.id`: shown on the line (`#1042`), so a client disputing an operation can name it (an admin's
    /// `/reverse` asks for it).
    pub operation: i64,
    pub kind: HistoryKind,
    /// Signed: what it did to the wallet (+ in, − out).
    pub points: i64,
    /// The partner's company, escaped; none for a welcome bonus.
    pub partner: Option<String>,
    pub receipt: Option<Kopecks>,
    /// Date and time in the network's time zone, `dd.mm.yyyy hh:mm`.
    pub when: String,
}

/// A page, newest first, and where the buttons lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    pub items: Vec<HistoryItem>,
    /// The oldest operation on the page, when older ones exist («Older» reads before it).
    pub older: Option<i64>,
    /// The newest operation on the page, when newer ones exist («Newer» reads after it).
    pub newer: Option<i64>,
}

/// Answered with `HistoryEvent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryCommand {
    /// The page at `cursor` (`None`: the newest page).
    Page { cursor: Option<HistoryCursor> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryEvent {
    /// `edit`: the page replaces the message whose button was pressed.
    Page { page: HistoryPage, edit: bool },
    /// The cursor is not an operation of this client: nothing is read.
    NotYours,
}

/// `/history`: the newest page.
pub fn start(state: &ClientState) -> ClientStep {
    command(state, None)
}

/// A press on «Older» or «Newer».
pub fn on_press(state: &ClientState, cursor: HistoryCursor) -> ClientStep {
    command(state, Some(cursor))
}

fn command(state: &ClientState, cursor: Option<HistoryCursor>) -> ClientStep {
    Transition {
        next: state.clone(),
        effects: vec![Effect::Command(ClientCommand::History(
            HistoryCommand::Page { cursor },
        ))],
    }
}

/// The text of one operation.
fn line(lang: crate::chat::Lang, item: &HistoryItem) -> String {
    let partner = item.partner.as_deref().unwrap_or("");
    let text = match (item.kind, item.receipt) {
        (HistoryKind::Accrual | HistoryKind::Redemption, Some(amount)) => {
            ClientText::HistoryLineReceipt {
                when: &item.when,
                partner,
                points: item.points,
                amount,
            }
        }
        (HistoryKind::Accrual | HistoryKind::Redemption, None) => ClientText::HistoryLine {
            when: &item.when,
            partner,
            points: item.points,
        },
        (HistoryKind::WelcomeBonus, _) => ClientText::HistoryLineBonus {
            when: &item.when,
            points: item.points,
        },
        (HistoryKind::Reversal, _) => ClientText::HistoryLineReversal {
            when: &item.when,
            points: item.points,
        },
    };
    format!("{} · #{}", render(lang, &text), item.operation)
}

/// The page as a message: its lines, and «Older» / «Newer» where there is more.
pub fn page_reply(lang: crate::chat::Lang, page: &HistoryPage) -> Reply {
    let mut html = render(lang, &ClientText::HistoryTitle);
    for item in &page.items {
        html.push('\n');
        html.push_str(&line(lang, item));
    }
    let mut row = Vec::new();
    if let Some(id) = page.older {
        row.push(InlineButton {
            text: render(lang, &ClientText::BtnOlder),
            data: Callback::History(HistoryCursor::Before(id)).encode(),
        });
    }
    if let Some(id) = page.newer {
        row.push(InlineButton {
            text: render(lang, &ClientText::BtnNewer),
            data: Callback::History(HistoryCursor::After(id)).encode(),
        });
    }
    let keyboard = if row.is_empty() {
        Keyboard::Keep
    } else {
        Keyboard::Inline(vec![row])
    };
    Reply::with(html, keyboard)
}

/// The page read: a new message for `/history`, the pressed message edited for a button.
pub fn on_result(state: &ClientState, ctx: &ClientCtx, event: HistoryEvent) -> ClientStep {
    let lang = ctx.lang;
    match event {
        HistoryEvent::Page { page, .. } if page.items.is_empty() => reply(
            state.clone(),
            menu_reply(ctx, lang, render(lang, &ClientText::HistoryEmpty)),
        ),
        HistoryEvent::Page { page, edit } => {
            let r = page_reply(lang, &page);
            Transition {
                next: state.clone(),
                effects: vec![if edit {
                    Effect::Edit(r)
                } else {
                    Effect::Reply(r)
                }],
            }
        }
        HistoryEvent::NotYours => reply(
            state.clone(),
            Reply::new(render(lang, &CommonText::StaleButton)),
        ),
    }
}
