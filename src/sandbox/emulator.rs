//! The Bot API emulator's state: bots, their update queues (or webhooks), every chat's transcript, commands, menu
//! buttons and sent photos, in memory. The Bot API methods are in `bot_api.rs`, the simulated users' side in
//! `updates.rs`, what the page reads in `views.rs`, update delivery (polls and webhooks) in `delivery.rs`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::Notify;

pub use super::bot_api::bot_api;
use super::params::Upload;
pub use super::views::ChatSummary;

/// Messages kept per chat for the page and the tests.
const TRANSCRIPT_MAX: usize = 500;
/// Updates waiting per bot before the oldest are dropped (Telegram keeps 24 h; a bound keeps memory finite).
pub(super) const QUEUE_MAX: usize = 100_000;
/// Photos kept for the page; an older one's bubble shows a broken image (memory stays bounded under load).
const PHOTOS_MAX: usize = 256;

/// One entry of a chat as the page shows it (`GET /sandbox/api/chat`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChatEntry {
    pub message_id: i64,
    /// "user" or "bot".
    pub from: &'static str,
    /// The text, or a photo's caption.
    pub text: String,
    pub parse_mode: Option<String>,
    /// The keyboard as sent (inline or reply), for the page to draw; `web_app` and `url` buttons are kept as sent.
    pub reply_markup: Option<Value>,
    /// Unix seconds when sent.
    pub date: i64,
    /// Unix milliseconds when the emulator took the message: finer than `date`, so a test can place a message
    /// before or after an instant (the load harness's faults). Not part of any Bot API answer, nor of the page's.
    #[serde(skip)]
    pub received_ms: i64,
    /// Set by editMessageText / editMessageCaption / editMessageReplyMarkup; the entry keeps its place.
    pub edited: bool,
    /// With sendPhoto: where the page loads the picture (`/sandbox/api/file/<file_id>`, or the URL the bot gave).
    pub photo: Option<String>,
}

/// An update waiting for the bot, serialized once when it is queued (polls and webhook posts send the text as is).
#[derive(Debug, Clone)]
pub struct Queued {
    pub update_id: i64,
    pub json: String,
}

/// One bot's side of the emulator.
#[derive(Debug, Default)]
pub(super) struct Bot {
    pub name: String,
    pub id: i64,
    pub username: String,
    pub queue: VecDeque<Queued>,
    /// The offset and start of the last getUpdates: the same offset again within 0.5 s gets one update at most, as
    /// from Telegram's Bot API server (`Client::process_get_updates_query`, tdlib/telegram-bot-api).
    pub previous_poll: Option<(i64, std::time::Instant)>,
    pub webhook: Option<(String, Option<String>)>,
    /// setWebhook's `max_connections` (Telegram's default 40 when not given), reported by getWebhookInfo.
    pub webhook_max_connections: i64,
    /// Answer this many next calls with 429.
    pub throttle: u32,
    /// Answer this many next calls (not getUpdates) with an empty body and no JSON at all, as a connection cut by a
    /// proxy in front of the Bot API can.
    pub empty_answers: u32,
    /// Answer this many next calls (not getUpdates) with a 500 "Internal Server Error: restart", as the Bot API
    /// server does while it restarts; nothing is done.
    pub server_errors: u32,
    /// Answer this many next calls (not getUpdates) late: the call takes effect at once (the message is in the chat)
    /// and its answer comes after `slow_answer_delay`, as over a slow link.
    pub slow_answers: u32,
    pub slow_answer_delay: std::time::Duration,
    pub retry_after_s: u32,
    /// Users who blocked the bot: sending to them answers 403 "bot was blocked by the user".
    pub blocked_by: std::collections::HashSet<i64>,
    pub chats: HashMap<i64, VecDeque<ChatEntry>>,
    /// The last message id each user has seen in this bot's chat (the page marks a chat read when it shows it).
    pub read_upto: HashMap<i64, i64>,
    /// setMyCommands: the command list by (scope key, language code; "" for all languages).
    pub commands: HashMap<(String, String), Value>,
    /// setChatMenuButton without chat_id.
    pub menu_button: Option<Value>,
    /// setChatMenuButton with chat_id.
    pub chat_menu_buttons: HashMap<i64, Value>,
    /// Every Bot API call by method name (lower case), for tests of the transport.
    pub calls: HashMap<String, u64>,
}

impl Bot {
    pub fn user_json(&self) -> Value {
        json!({ "id": self.id, "is_bot": true, "first_name": self.username, "username": self.username })
    }

    /// Appends to a chat, dropping its oldest entry beyond `TRANSCRIPT_MAX`.
    pub fn push_entry(&mut self, chat: i64, entry: ChatEntry) {
        let chat = self.chats.entry(chat).or_default();
        if chat.len() >= TRANSCRIPT_MAX {
            chat.pop_front();
        }
        chat.push_back(entry);
    }

    pub fn entry_mut(&mut self, chat: i64, message_id: i64) -> Option<&mut ChatEntry> {
        self.chats
            .get_mut(&chat)?
            .iter_mut()
            .find(|e| e.message_id == message_id)
    }

    /// The commands a user sees in a private chat: Telegram's order of scopes (this chat, all private chats,
    /// default), each in the user's language and then for all languages.
    pub fn commands_for(&self, user_id: i64, language_code: &str) -> Value {
        let scopes = [
            format!("chat:{user_id}"),
            "all_private_chats".to_owned(),
            "default".to_owned(),
        ];
        for scope in scopes {
            for lang in [language_code, ""] {
                if let Some(list) = self
                    .commands
                    .get(&(scope.clone(), lang.to_owned()))
                    .filter(|l| l.as_array().is_some_and(|a| !a.is_empty()))
                {
                    return list.clone();
                }
            }
        }
        json!([])
    }

    /// The menu button a chat shows: the chat's own, else the bot's, else Telegram's default.
    pub fn menu_button_for(&self, chat: i64) -> Value {
        self.chat_menu_buttons
            .get(&chat)
            .or(self.menu_button.as_ref())
            .cloned()
            .unwrap_or_else(|| json!({ "type": "default" }))
    }
}

/// A photo a bot sent, served to the page.
#[derive(Debug, Clone)]
pub struct Photo {
    pub content_type: String,
    pub bytes: actix_web::web::Bytes,
}

#[derive(Default)]
pub(super) struct State {
    pub bots: HashMap<String, Bot>,
    /// The bot token by short name ("partner", "client", "admin").
    pub names: HashMap<String, String>,
    pub next_update_id: i64,
    pub next_message_id: i64,
    /// Who waits for the next bot message in a chat (token, chat): the load harness measures replies with it.
    pub reply_waiters: HashMap<(String, i64), tokio::sync::oneshot::Sender<()>>,
    pub photos: HashMap<String, Photo>,
    pub photo_order: VecDeque<String>,
    pub next_file: u64,
    /// What the page's first-visit hint shows (`GET /sandbox/api/demo`).
    pub demo: Value,
}

impl State {
    /// Keeps an uploaded photo and returns its file id.
    pub fn store_photo(&mut self, upload: &Upload) -> String {
        self.next_file += 1;
        let file_id = format!("sandbox-photo-{}", self.next_file);
        if self.photo_order.len() >= PHOTOS_MAX
            && let Some(old) = self.photo_order.pop_front()
        {
            self.photos.remove(&old);
        }
        self.photo_order.push_back(file_id.clone());
        self.photos.insert(
            file_id.clone(),
            Photo {
                content_type: image_type(upload),
                bytes: upload.bytes.clone(),
            },
        );
        file_id
    }

    pub(super) fn bot_by_name(&self, name: &str) -> Option<&Bot> {
        self.names.get(name).and_then(|t| self.bots.get(t))
    }

    pub(super) fn bot_by_name_mut(&mut self, name: &str) -> Option<&mut Bot> {
        self.names.get(name).and_then(|t| self.bots.get_mut(t))
    }
}

/// The picture's type for the browser: teloxide sends an in-memory file without a useful `Content-Type`, and
/// Telegram itself looks at the bytes, so the three formats a photo comes in are told by their signatures.
fn image_type(upload: &Upload) -> String {
    let b = upload.bytes.as_ref();
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png".into()
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg".into()
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        "image/webp".into()
    } else {
        upload.content_type.clone()
    }
}

/// The emulator, shared by the HTTP handlers and the webhook deliverer.
#[derive(Clone, Default)]
pub struct Emulator {
    pub(super) state: Arc<Mutex<State>>,
    pub(super) arrived: Arc<Notify>,
}

/// Unix seconds now.
pub(super) fn now() -> i64 {
    now_ms() / 1_000
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A simulated user's own phone number: a valid Russian mobile (+7 9xx xxx xx xx) derived from the user id, so
/// every simulated user has a different one. Multiplying by 7919 (coprime with 10⁹) is a bijection modulo 10⁹:
/// two ids below 10⁹ never share a number.
pub fn default_phone(user_id: i64) -> String {
    let n = (i128::from(user_id).rem_euclid(1_000_000_000) * 7919 + 123_456_789) % 1_000_000_000;
    format!("+79{n:09}")
}

impl Emulator {
    pub fn new() -> Emulator {
        // Update ids start at a random point, not at 1: processed-update marks outlive a sandbox restart in Redis
        // (as they must for real Telegram, which never reuses ids that soon), so a restarted sandbox counting from
        // 1 again would have its first updates taken for duplicates.
        let first_update_id = i64::from(rand::random::<u32>() % (1 << 30)) + 1;
        let state = State {
            next_update_id: first_update_id,
            next_message_id: 1,
            demo: json!({}),
            ..State::default()
        };
        Emulator {
            state: Arc::new(Mutex::new(state)),
            arrived: Arc::default(),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock would be a bug in this module; keep serving with the data as it is.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a bot by name and token.
    pub fn add_bot(&self, name: &str, token: &str, id: i64) {
        let mut s = self.lock();
        s.names.insert(name.to_owned(), token.to_owned());
        s.bots.insert(
            token.to_owned(),
            Bot {
                name: name.to_owned(),
                id,
                username: format!("loyalty_{name}_bot"),
                ..Bot::default()
            },
        );
    }

    /// Sets what `GET /sandbox/api/demo` returns to the page: any JSON object (the server passes the demo partner,
    /// its referral payload and the admin id).
    pub fn set_demo(&self, demo: Value) {
        self.lock().demo = demo;
    }

    pub fn demo(&self) -> Value {
        self.lock().demo.clone()
    }

    /// Resolves when the named bot next sends a message to `chat` or edits one there.
    pub fn next_reply(&self, name: &str, chat: i64) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut s = self.lock();
        if let Some(token) = s.names.get(name).cloned() {
            s.reply_waiters.insert((token, chat), tx);
        }
        rx
    }

    pub fn bot_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lock().names.keys().cloned().collect();
        names.sort();
        names
    }

    /// Applies `change` to the bot named `name`; false when there is none.
    fn with_bot(&self, name: &str, change: impl FnOnce(&mut Bot)) -> bool {
        let mut s = self.lock();
        s.bot_by_name_mut(name).map(change).is_some()
    }

    /// Makes the next `count` Bot API calls of that bot fail with 429 and `retry_after`.
    pub fn throttle(&self, name: &str, count: u32, retry_after_s: u32) -> bool {
        self.with_bot(name, |bot| {
            bot.throttle = count;
            bot.retry_after_s = retry_after_s;
        })
    }

    /// Makes the next `count` Bot API calls of that bot (getUpdates aside) answer with an empty body, not JSON.
    pub fn empty_answers(&self, name: &str, count: u32) -> bool {
        self.with_bot(name, |bot| bot.empty_answers = count)
    }

    /// Makes the next `count` Bot API calls of that bot (getUpdates aside) fail with a 500 and do nothing.
    pub fn server_errors(&self, name: &str, count: u32) -> bool {
        self.with_bot(name, |bot| bot.server_errors = count)
    }

    /// Makes the next `count` Bot API calls of that bot (getUpdates aside) answer `delay` late; each takes effect at
    /// once (a sent message is in the chat before its answer leaves).
    pub fn slow_answers(&self, name: &str, count: u32, delay: std::time::Duration) -> bool {
        self.with_bot(name, |bot| {
            bot.slow_answers = count;
            bot.slow_answer_delay = delay;
        })
    }

    /// Gives the next update the id `next` and counts on from there, as Telegram does after a week without updates
    /// (it picks new ids at random, possibly below the ones before).
    pub fn restart_update_ids(&self, next: i64) {
        self.lock().next_update_id = next;
    }

    /// Makes `user` block bot `name`: its messages to them are refused with 403 from now on.
    pub fn block_bot(&self, name: &str, user: i64) -> bool {
        let mut s = self.lock();
        s.bot_by_name_mut(name)
            .map(|bot| bot.blocked_by.insert(user))
            .is_some()
    }

    /// The newest bot message in `chat` that carries inline buttons: its id and the `callback_data` of its first
    /// button (what a user taps first: Confirm on a confirm screen). For the benchmarks, which press what was sent
    /// instead of forging data.
    pub fn last_inline_button(&self, name: &str, chat: i64) -> Option<(i64, String)> {
        let s = self.lock();
        let entries = s.bot_by_name(name)?.chats.get(&chat)?;
        entries.iter().rev().find_map(|e| {
            let data = e
                .reply_markup
                .as_ref()?
                .get("inline_keyboard")?
                .get(0)?
                .get(0)?
                .get("callback_data")?
                .as_str()?;
            Some((e.message_id, data.to_string()))
        })
    }

    pub fn calls(&self, name: &str, method: &str) -> u64 {
        let s = self.lock();
        s.bot_by_name(name)
            .and_then(|b| b.calls.get(&method.to_ascii_lowercase()).copied())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_user_gets_their_own_valid_russian_mobile() {
        let phones: std::collections::HashSet<String> = (1..=5_000).map(default_phone).collect();
        assert_eq!(phones.len(), 5_000, "no two users share a number");
        for phone in &phones {
            assert!(phone.starts_with("+79") && phone.len() == 12, "{phone}");
            assert!(phone[1..].bytes().all(|b| b.is_ascii_digit()), "{phone}");
        }
        assert_eq!(
            default_phone(2001),
            default_phone(2001),
            "the same user, the same number"
        );
    }
}
