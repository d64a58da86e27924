//! Telegram updates into what the dialogues understand, and replies into Telegram's markup.

use fsm::Lang;
use fsm::chat::{InlineButton, Keyboard, ReplyButton, Sender, UserInput};
use teloxide_core::types::{
    ButtonRequest, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup,
    KeyboardRemove, ReplyMarkup, Update, UpdateKind, User,
};

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

fn sender(user: &User, chat_id: i64) -> Sender {
    Sender {
        user_id: user.id.0 as i64,
        chat_id,
        first_name: user.first_name.chars().take(64).collect(),
        lang: Lang::from_code(user.language_code.as_deref()),
    }
}

/// `None` for updates the product does not handle (group messages, edits, channel posts): they are acknowledged
/// and ignored.
pub fn inbound(update: &Update) -> Option<Inbound> {
    let update_id = i64::from(update.id.0);
    match &update.kind {
        UpdateKind::Message(m) if m.chat.is_private() => {
            let user = m.from.as_ref()?;
            let input = if let Some(text) = m.text() {
                UserInput::from_text(text)
            } else if let Some(contact) = m.contact() {
                UserInput::Contact {
                    phone: contact.phone_number.clone(),
                    user_id: contact.user_id.map(|u| u.0 as i64),
                }
            } else {
                UserInput::Unsupported
            };
            Some(Inbound {
                update_id,
                sender: sender(user, m.chat.id.0),
                input,
                callback_id: None,
                message_id: None,
            })
        }
        UpdateKind::CallbackQuery(q) => {
            let chat_id = q
                .message
                .as_ref()
                .map_or(q.from.id.0 as i64, |m| m.chat().id.0);
            Some(Inbound {
                update_id,
                sender: sender(&q.from, chat_id),
                input: UserInput::Callback {
                    data: q.data.clone().unwrap_or_default(),
                },
                callback_id: Some(q.id.0.clone()),
                message_id: q.message.as_ref().map(|m| m.id().0),
            })
        }
        _ => None,
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
