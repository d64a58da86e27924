//! Messages on their way out: what the dialogues produce and the transport sends. The transport imports this
//! module, never the dialogue runner.

use fsm::chat::{Reply, Tracked};
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
    /// `setChatMenuButton` for this chat: a `web_app` button labelled `text` that opens the Mini App at `url`. The
    /// bot-wide button has one label for everyone (Russian, the network's language: Telegram gives menu buttons no
    /// per-language variants), so a client whose texts are in another language gets their own (client bot only).
    MenuButton { text: String, url: String },
}

impl Outgoing {
    /// What to record about this message once sent: its reply's `track`, for a new message only.
    pub fn track(&self) -> Option<Tracked> {
        match &self.message {
            OutgoingMessage::Send(reply) => reply.track,
            _ => None,
        }
    }

    /// The client bot's Mini App button for `chat_id`, labelled in `lang` (texts: `miniapp-menu-button`).
    pub fn menu_button(chat_id: i64, lang: Lang, url: &str) -> Outgoing {
        Outgoing {
            bot: BotKind::Client,
            chat_id,
            message: OutgoingMessage::MenuButton {
                text: fsm::text::render(lang, &fsm::text::MiniAppText::MenuButton),
                url: url.to_owned(),
            },
        }
    }

    /// A new message in `chat_id` of `bot`.
    pub fn send(bot: BotKind, chat_id: i64, reply: Reply) -> Outgoing {
        Outgoing {
            bot,
            chat_id,
            message: OutgoingMessage::Send(reply),
        }
    }
}

/// Called by the transport after a tracked message (`Outgoing::track`) was sent as Telegram's message `message_id`:
/// a consent request's id is kept on its redemption request (`redemptions.consent_message_id`), so its expiry edits
/// it. Errors are the caller's to log: the message is sent; without its id the expiry sends a new message instead.
pub async fn record_sent(
    pg: &deadpool_postgres::Pool,
    track: Tracked,
    message_id: i32,
) -> anyhow::Result<()> {
    let db = pg.get().await?;
    match track {
        Tracked::ConsentRequest(request) => {
            crate::db::redemptions::set_consent_message(&**db, request, message_id).await?;
        }
    }
    Ok(())
}
