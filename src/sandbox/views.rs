//! What the page and the tests read from the emulator: a chat's transcript, the user's chat list with unread
//! counts, the "/" menu, the menu button, and the photos bots sent.

use serde_json::{Value, json};

use super::emulator::{ChatEntry, Emulator, Photo};

/// A chat in the user's chat list (`GET /sandbox/api/chats`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChatSummary {
    /// The bot's short name ("client", "partner", "admin").
    pub bot: String,
    pub username: String,
    pub last: Option<ChatEntry>,
    /// Bot messages the user has not seen yet.
    pub unread: usize,
}

impl Emulator {
    /// A chat as the page shows it, oldest first.
    pub fn transcript(&self, name: &str, user_id: i64) -> Vec<ChatEntry> {
        let s = self.lock();
        s.bot_by_name(name)
            .and_then(|b| b.chats.get(&user_id))
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The chat's last `n` entries (oldest first; the sandbox keeps 500 a chat): what a synthetic user reads after
    /// each step without copying a long chat (`loyalty-load run`).
    pub fn tail(&self, name: &str, user_id: i64, n: usize) -> Vec<ChatEntry> {
        let s = self.lock();
        let Some(chat) = s.bot_by_name(name).and_then(|b| b.chats.get(&user_id)) else {
            return Vec::new();
        };
        chat.iter()
            .skip(chat.len().saturating_sub(n))
            .cloned()
            .collect()
    }

    /// The user has now seen every message of the chat (the page shows it): they stop counting as unread.
    pub fn mark_read(&self, name: &str, user_id: i64) {
        let mut s = self.lock();
        if let Some(bot) = s.names.get(name).cloned().and_then(|t| s.bots.get_mut(&t))
            && let Some(last) = bot.chats.get(&user_id).and_then(|c| c.back())
        {
            let last = last.message_id;
            bot.read_upto.insert(user_id, last);
        }
    }

    /// The user's chat list: every bot, with the last message and the count of unseen bot messages.
    pub fn chats(&self, user_id: i64) -> Vec<ChatSummary> {
        let s = self.lock();
        let mut out: Vec<ChatSummary> = s
            .bots
            .values()
            .map(|bot| {
                let chat = bot.chats.get(&user_id);
                let seen = bot.read_upto.get(&user_id).copied().unwrap_or(0);
                ChatSummary {
                    bot: bot.name.clone(),
                    username: bot.username.clone(),
                    last: chat.and_then(|c| c.back().cloned()),
                    unread: chat.map_or(0, |c| {
                        c.iter()
                            .filter(|e| e.from == "bot" && e.message_id > seen)
                            .count()
                    }),
                }
            })
            .collect();
        out.sort_by(|a, b| a.bot.cmp(&b.bot));
        out
    }

    /// The commands the user sees in the bot's "/" menu (see `Bot::commands_for`).
    pub fn commands(&self, name: &str, user_id: i64, language_code: &str) -> Value {
        self.lock()
            .bot_by_name(name)
            .map_or_else(|| json!([]), |b| b.commands_for(user_id, language_code))
    }

    /// The menu button the user's chat with the bot shows (`{"type": "default" | "commands" | "web_app", ...}`).
    pub fn menu_button(&self, name: &str, user_id: i64) -> Value {
        self.lock().bot_by_name(name).map_or_else(
            || json!({ "type": "default" }),
            |b| b.menu_button_for(user_id),
        )
    }

    /// A photo a bot sent, by file id.
    pub fn photo(&self, file_id: &str) -> Option<Photo> {
        self.lock().photos.get(file_id).cloned()
    }
}
