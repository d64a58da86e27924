//! Messages on their way out: what the dialogues produce and the transport sends. The transport imports this
//! module, never the dialogue runner.

use fsm::chat::Reply;
use fsm::{BotKind, Lang};
use serde::{Deserialize, Serialize};

/// A message to send or edit, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, actix::Message)]
#[rtype(result = "()")]
pub struct Outgoing {
    pub bot: BotKind,
    /// The Telegram chat (in private chats, the user's id).
    pub chat_id: i64,
    pub message: OutgoingMessage,
}

/// What to do in the chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutgoingMessage {
    /// `sendMessage`.
    Send(Reply),
    /// `editMessageText` of `message_id`: the text and inline buttons become `reply`'s (none when it has none).
    /// Telegram's "message is not modified" counts as done.
    Edit { message_id: i32, reply: Reply },
    /// `setMyCommands` scoped to this chat: the bot's "/" menu in the language the user chose with `/language`
    /// (the bot-wide lists follow Telegram's `language_code`, not a choice).
    Commands(Lang),
}

impl Outgoing {
    /// A new message in `chat_id` of `bot`.
    pub fn send(bot: BotKind, chat_id: i64, reply: Reply) -> Outgoing {
        Outgoing {
            bot,
            chat_id,
            message: OutgoingMessage::Send(reply),
        }
    }
}
