//! Telegram updates into what the dialogues understand, and replies into Telegram's markup.

use fsm::Lang;
use fsm::chat::{InlineButton, Keyboard, ReplyButton, Sender, UserInput};
use teloxide_core::types::{
    ButtonRequest, Chat, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton,
    KeyboardMarkup, KeyboardRemove, ReplyMarkup, Update, UpdateKind, User,
};

use super::sanitize;

/// An update as the ingress routes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub update_id: i64,
    pub sender: Sender,
    pub input: UserInput,
    /// For a button press: the query to answer at once, so the user's spinner stops.
    pub callback_id: Option<String>,
    /// For a button press: the message that carried the button.
    pub message_id: Option<i32>,
}

/// Why an update is acknowledged without being processed; each reason has its own counter in `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// From a group, supergroup or channel: the bots serve private chats only (issue 12, item 3).
    NotPrivate,
    /// A private chat whose id is not the sender's: only a forged update looks like that, and running it would drive
    /// the dialogue of whoever owns that chat (issue 12, item 2).
    ForgedChat,
    /// Something the product does not handle: edits, channel posts, inline queries, a message with no sender.
    Unhandled,
}

impl Ignored {
    pub const ALL: [Ignored; 3] = [Ignored::NotPrivate, Ignored::ForgedChat, Ignored::Unhandled];

    /// The `reason` label of `loyalty_updates_ignored_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ignored::NotPrivate => "not_private",
            Ignored::ForgedChat => "forged_chat",
            Ignored::Unhandled => "unhandled",
        }
    }
}

/// Longest first name kept, in characters (Telegram allows 64).
const NAME_MAX_CHARS: usize = 64;

fn sender(user: &User, chat_id: i64) -> Sender {
    Sender {
        user_id: user.id.0 as i64,
        chat_id,
        first_name: sanitize::name(&user.first_name, NAME_MAX_CHARS),
        lang: Lang::from_code(user.language_code.as_deref()),
    }
}

/// The sender of an update in `chat`, if that chat is the sender's own private chat.
fn private_sender(user: &User, chat: &Chat) -> Result<Sender, Ignored> {
    if !chat.is_private() {
        return Err(Ignored::NotPrivate);
    }
    // In a private chat the chat id is the user's id; Telegram never sends anything else.
    if chat.id.0 != user.id.0 as i64 {
        return Err(Ignored::ForgedChat);
    }
    Ok(sender(user, chat.id.0))
}

/// The update as the dialogues see it, its texts sanitised ([`sanitize`]); or why it is acknowledged and ignored.
pub fn inbound(update: &Update) -> Result<Inbound, Ignored> {
    let update_id = i64::from(update.id.0);
    match &update.kind {
        UpdateKind::Message(m) => {
            let user = m.from.as_ref().ok_or(if m.chat.is_private() {
                Ignored::Unhandled
            } else {
                Ignored::NotPrivate
            })?;
            let sender = private_sender(user, &m.chat)?;
            let input = if let Some(text) = m.text() {
                UserInput::from_text(&sanitize::text(text))
            } else if let Some(contact) = m.contact() {
                UserInput::Contact {
                    phone: sanitize::text(&contact.phone_number).into_owned(),
                    user_id: contact.user_id.map(|u| u.0 as i64),
                }
            } else {
                UserInput::Unsupported
            };
            Ok(Inbound {
                update_id,
                sender,
                input,
                callback_id: None,
                message_id: None,
            })
        }
        UpdateKind::CallbackQuery(q) => {
            // A button under a message the bot sent: that message's chat is where the dialogue lives. Without one
            // (a button of an inline-mode message) the press belongs to the sender's own chat.
            let sender = match &q.message {
                Some(message) => private_sender(&q.from, message.chat())?,
                None => sender(&q.from, q.from.id.0 as i64),
            };
            Ok(Inbound {
                update_id,
                sender,
                input: UserInput::Callback {
                    data: sanitize::text(q.data.as_deref().unwrap_or_default()).into_owned(),
                },
                callback_id: Some(q.id.0.clone()),
                message_id: q.message.as_ref().map(|m| m.id().0),
            })
        }
        _ => Err(Ignored::Unhandled),
    }
}

/// The inline buttons of an edited message: only an inline keyboard can stay on an edited message (Bot API,
/// `editMessageText`); anything else means none.
pub fn inline_markup(keyboard: &Keyboard) -> Option<ReplyMarkup> {
    match keyboard {
        Keyboard::Inline(_) => markup(keyboard),
        _ => None,
    }
}

pub fn markup(keyboard: &Keyboard) -> Option<ReplyMarkup> {
    match keyboard {
        Keyboard::Keep => None,
        Keyboard::Remove => Some(ReplyMarkup::KeyboardRemove(KeyboardRemove::new())),
        Keyboard::Reply(rows) => {
            let rows = rows.iter().map(|row| {
                row.iter()
                    .map(|b| match b {
                        ReplyButton::Text(t) => KeyboardButton::new(t.clone()),
                        ReplyButton::RequestContact(t) => {
                            KeyboardButton::new(t.clone()).request(ButtonRequest::Contact)
                        }
                    })
                    .collect::<Vec<_>>()
            });
            Some(ReplyMarkup::Keyboard(
                KeyboardMarkup::new(rows).resize_keyboard(),
            ))
        }
        Keyboard::Inline(rows) => {
            let rows = rows.iter().map(|row| {
                row.iter()
                    .map(|InlineButton { text, data }| {
                        InlineKeyboardButton::callback(text.clone(), data.clone())
                    })
                    .collect::<Vec<_>>()
            });
            Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(rows)))
        }
    }
}
