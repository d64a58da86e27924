//! The Bot API emulator: bots, their update queues (or webhooks), and every chat's transcript, in memory.
//!
//! It answers the subset of the Bot API the product uses (getMe, getUpdates, setWebhook, deleteWebhook,
//! getWebhookInfo, sendMessage, sendPhoto, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
//! deleteMessage, setMyCommands, setChatMenuButton) with Telegram-shaped JSON, matches method names
//! case-insensitively (teloxide sends `SendMessage`), and can be told to answer 429 with `retry_after`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// Longest wait a `getUpdates` call may ask for.
const LONG_POLL_MAX: Duration = Duration::from_secs(50);
/// Messages kept per chat for the page and the tests.
const TRANSCRIPT_MAX: usize = 500;
/// Updates waiting per bot before the oldest are dropped (Telegram keeps 24 h; a bound keeps memory finite).
const QUEUE_MAX: usize = 100_000;

/// One entry of a chat as the page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChatEntry {
    pub message_id: i64,
    /// "user" or "bot".
    pub from: &'static str,
    pub text: String,
    pub parse_mode: Option<String>,
    /// The keyboard as sent (inline or reply), for the page to draw.
    pub reply_markup: Option<Value>,
}

/// An update waiting for the bot, serialized once when it is queued (polls and webhook posts send the text as is).
#[derive(Debug, Clone)]
pub struct Queued {
    pub update_id: i64,
    pub json: String,
}

#[derive(Debug, Default)]
struct Bot {
    id: i64,
    username: String,
    queue: VecDeque<Queued>,
    webhook: Option<(String, Option<String>)>,
    /// Answer this many next calls with 429.
    throttle: u32,
    retry_after_s: u32,
    chats: HashMap<i64, VecDeque<ChatEntry>>,
    /// Every Bot API call by method name (lower case), for tests of the transport.
    calls: HashMap<String, u64>,
}

#[derive(Default)]
struct State {
    bots: HashMap<String, Bot>,
    /// The bot token by short name ("partner", "client", "admin").
    names: HashMap<String, String>,
    next_update_id: i64,
    next_message_id: i64,
    /// Who waits for the next bot message in a chat (token, chat): the load harness measures replies with it.
    reply_waiters: HashMap<(String, i64), tokio::sync::oneshot::Sender<()>>,
}

/// The emulator, shared by the HTTP handlers and the webhook deliverer.
#[derive(Clone, Default)]
pub struct Emulator {
    state: Arc<Mutex<State>>,
    arrived: Arc<Notify>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn ok(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "ok": true, "result": result }))
}

fn error(code: u16, description: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(code)
        .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status)
        .json(json!({ "ok": false, "error_code": code, "description": description }))
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
            ..State::default()
        };
        Emulator {
            state: Arc::new(Mutex::new(state)),
            arrived: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock would be a bug in this file; keep serving with the data as it is.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a bot by name and token.
    pub fn add_bot(&self, name: &str, token: &str, id: i64) {
        let mut s = self.lock();
        s.names.insert(name.to_owned(), token.to_owned());
        s.bots.insert(
            token.to_owned(),
            Bot {
                id,
                username: format!("loyalty_{name}_bot"),
                ..Bot::default()
            },
        );
    }

    /// Resolves when the named bot next sends a message to `chat`.
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

    /// Makes the next `count` Bot API calls of that bot fail with 429 and `retry_after`.
    pub fn throttle(&self, name: &str, count: u32, retry_after_s: u32) -> bool {
        let mut s = self.lock();
        let Some(token) = s.names.get(name).cloned() else {
            return false;
        };
        let Some(bot) = s.bots.get_mut(&token) else {
            return false;
        };
        bot.throttle = count;
        bot.retry_after_s = retry_after_s;
        true
    }

    pub fn calls(&self, name: &str, method: &str) -> u64 {
        let s = self.lock();
        s.names
            .get(name)
            .and_then(|t| s.bots.get(t))
            .and_then(|b| b.calls.get(&method.to_ascii_lowercase()).copied())
            .unwrap_or(0)
    }

    fn user_json(user_id: i64, first_name: &str, language_code: &str) -> Value {
        json!({ "id": user_id, "is_bot": false, "first_name": first_name, "language_code": language_code })
    }

    /// Queues an update from a simulated user: `content` is the message body (`{"text": ...}`, `{"contact": ...}`)
    /// or, for a button press, `{"callback": {"message_id": .., "data": ..}}`. Returns the update id.
    pub fn user_update(
        &self,
        name: &str,
        user_id: i64,
        first_name: &str,
        language_code: &str,
        content: Value,
    ) -> Result<i64, String> {
        let mut s = self.lock();
        let token = s
            .names
            .get(name)
            .cloned()
            .ok_or_else(|| format!("no bot named {name}"))?;
        let user = Self::user_json(user_id, first_name, language_code);
        let chat = json!({ "id": user_id, "type": "private", "first_name": first_name });
        let update_id = s.next_update_id;
        s.next_update_id += 1;
        let update = if let Some(cb) = content.get("callback") {
            let message_id = cb.get("message_id").and_then(Value::as_i64).unwrap_or(0);
            let data = cb
                .get("data")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let bot = s.bots.get(&token).ok_or("no such bot")?;
            let text = bot
                .chats
                .get(&user_id)
                .and_then(|c| c.iter().find(|e| e.message_id == message_id))
                .map(|e| e.text.clone())
                .unwrap_or_default();
            let bot_user = json!({ "id": bot.id, "is_bot": true, "first_name": bot.username, "username": bot.username });
            json!({
                "update_id": update_id,
                "callback_query": {
                    "id": format!("cb{update_id}"),
                    "from": user,
                    "chat_instance": format!("ci{user_id}"),
                    "data": data,
                    "message": { "message_id": message_id, "date": now(), "chat": chat, "from": bot_user, "text": text },
                }
            })
        } else {
            let message_id = s.next_message_id;
            s.next_message_id += 1;
            let mut message =
                json!({ "message_id": message_id, "date": now(), "chat": chat, "from": user });
            if let (Some(m), Some(c)) = (message.as_object_mut(), content.as_object()) {
                for (k, v) in c {
                    m.insert(k.clone(), v.clone());
                }
            }
            let shown = content
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    content.get("contact").map(|c| {
                        format!(
                            "📱 {}",
                            c.get("phone_number").and_then(Value::as_str).unwrap_or("?")
                        )
                    })
                })
                .unwrap_or_else(|| "(attachment)".into());
            let bot = s.bots.get_mut(&token).ok_or("no such bot")?;
            push_entry(
                bot,
                user_id,
                ChatEntry {
                    message_id,
                    from: "user",
                    text: shown,
                    parse_mode: None,
                    reply_markup: None,
                },
            );
            json!({ "update_id": update_id, "message": message })
        };
        let bot = s.bots.get_mut(&token).ok_or("no such bot")?;
        if bot.queue.len() >= QUEUE_MAX {
            bot.queue.pop_front();
        }
        bot.queue.push_back(Queued {
            update_id,
            json: update.to_string(),
        });
        drop(s);
        self.arrived.notify_waiters();
        Ok(update_id)
    }

    /// A chat as the page shows it.
    pub fn transcript(&self, name: &str, user_id: i64) -> Vec<ChatEntry> {
        let s = self.lock();
        s.names
            .get(name)
            .and_then(|t| s.bots.get(t))
            .and_then(|b| b.chats.get(&user_id))
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Updates waiting for a bot in webhook mode, with where to send them.
    pub fn take_webhook_batch(&self) -> Vec<(String, Option<String>, Queued, String)> {
        let mut s = self.lock();
        let mut out = Vec::new();
        for (token, bot) in s.bots.iter_mut() {
            if let Some((url, secret)) = bot.webhook.clone() {
                while let Some(u) = bot.queue.pop_front() {
                    out.push((url.clone(), secret.clone(), u, token.clone()));
                }
            }
        }
        out
    }

    /// Puts an update the webhook refused back at the front of its queue, as Telegram retries.
    pub fn requeue(&self, token: &str, update: Queued) {
        if let Some(bot) = self.lock().bots.get_mut(token) {
            bot.queue.push_front(update);
        }
    }

    /// Delivers updates to bots that set a webhook, retrying refused ones, until the process ends.
    pub async fn run_webhook_deliverer(self) {
        let client = reqwest::Client::new();
        loop {
            let batch = self.take_webhook_batch();
            if batch.is_empty() {
                let _ =
                    tokio::time::timeout(Duration::from_millis(200), self.arrived.notified()).await;
                continue;
            }
            for (url, secret, update, token) in batch {
                let mut request = client
                    .post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(update.json.clone())
                    .timeout(Duration::from_secs(10));
                if let Some(secret) = &secret {
                    request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
                }
                let delivered = matches!(request.send().await, Ok(r) if r.status().is_success());
                if !delivered {
                    self.requeue(&token, update);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            }
        }
    }
}

fn push_entry(bot: &mut Bot, chat: i64, entry: ChatEntry) {
    let chat = bot.chats.entry(chat).or_default();
    if chat.len() >= TRANSCRIPT_MAX {
        chat.pop_front();
    }
    chat.push_back(entry);
}

/// Parameters from the query string, a JSON body or a form body, merged (body wins).
fn params(req: &HttpRequest, body: &[u8]) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let mut merge_pairs = |text: &str| {
        for (k, v) in form_urlencoded(text) {
            let value = serde_json::from_str::<Value>(&v).unwrap_or(Value::String(v));
            out.insert(k, value);
        }
    };
    merge_pairs(req.query_string());
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(boundary) = content_type.split("boundary=").nth(1) {
        // teloxide sends setWebhook as multipart/form-data.
        for (k, v) in multipart_fields(body, boundary.trim_matches('"')) {
            let value = serde_json::from_str::<Value>(&v).unwrap_or(Value::String(v));
            out.insert(k, value);
        }
    } else if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        out.extend(map);
    } else if let Ok(text) = std::str::from_utf8(body) {
        merge_pairs(text);
    }
    out
}

/// The text fields of a multipart/form-data body (files are not needed by the emulator).
fn multipart_fields(body: &[u8], boundary: &str) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    text.split(delimiter.as_str())
        .filter_map(|part| {
            let (headers, value) = part.split_once("\r\n\r\n")?;
            let name = headers
                .split("name=\"")
                .nth(1)?
                .split('"')
                .next()?
                .to_owned();
            Some((name, value.trim_end_matches("\r\n").to_owned()))
        })
        .collect()
}

fn form_urlencoded(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn chat_id(p: &serde_json::Map<String, Value>) -> Option<i64> {
    match p.get("chat_id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `/tg/bot<TOKEN>/<method>`.
pub async fn bot_api(
    req: HttpRequest,
    body: web::Bytes,
    emulator: web::Data<Emulator>,
) -> HttpResponse {
    // What follows the mount point (`/tg`): `/bot<token>/<method>`.
    let Some((token, method)) = req
        .match_info()
        .unprocessed()
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(_, method)| !method.is_empty() && !method.contains('/'))
        .map(|(token, method)| (token, method.to_ascii_lowercase()))
    else {
        return error(404, "Not Found");
    };
    let p = params(&req, &body);
    {
        let mut s = emulator.lock();
        let Some(bot) = s.bots.get_mut(token) else {
            return error(401, "Unauthorized");
        };
        *bot.calls.entry(method.clone()).or_default() += 1;
        if bot.throttle > 0 && method != "getupdates" {
            bot.throttle -= 1;
            let retry_after = bot.retry_after_s;
            return HttpResponse::TooManyRequests().json(json!({
                "ok": false,
                "error_code": 429,
                "description": format!("Too Many Requests: retry after {retry_after}"),
                "parameters": { "retry_after": retry_after },
            }));
        }
    }
    match method.as_str() {
        "getupdates" => get_updates(&emulator, token, &p).await,
        _ => call(&emulator, token, &method, &p),
    }
}

async fn get_updates(
    emulator: &Emulator,
    token: &str,
    p: &serde_json::Map<String, Value>,
) -> HttpResponse {
    let offset = p.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let limit = p
        .get("limit")
        .and_then(Value::as_u64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let timeout = Duration::from_secs(p.get("timeout").and_then(Value::as_u64).unwrap_or(0))
        .min(LONG_POLL_MAX);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let arrived = emulator.arrived.notified();
        {
            let mut s = emulator.lock();
            let Some(bot) = s.bots.get_mut(token) else {
                return error(401, "Unauthorized");
            };
            if bot.webhook.is_some() {
                return error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active",
                );
            }
            // An offset confirms every update before it, as Telegram does.
            while bot.queue.front().is_some_and(|u| u.update_id < offset) {
                bot.queue.pop_front();
            }
            if !bot.queue.is_empty() {
                let mut body = String::from(r#"{"ok":true,"result":["#);
                for (i, update) in bot.queue.iter().take(limit).enumerate() {
                    if i > 0 {
                        body.push(',');
                    }
                    body.push_str(&update.json);
                }
                body.push_str("]}");
                return HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body);
            }
        }
        if tokio::time::timeout_at(deadline, arrived).await.is_err() {
            return ok(json!([]));
        }
    }
}

fn call(
    emulator: &Emulator,
    token: &str,
    method: &str,
    p: &serde_json::Map<String, Value>,
) -> HttpResponse {
    let mut s = emulator.lock();
    let message_id = s.next_message_id;
    let Some(bot) = s.bots.get_mut(token) else {
        return error(401, "Unauthorized");
    };
    let bot_user = json!({ "id": bot.id, "is_bot": true, "first_name": bot.username, "username": bot.username });
    match method {
        "getme" => ok(json!({
            "id": bot.id, "is_bot": true, "first_name": bot.username, "username": bot.username,
            "can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false,
        })),
        "setwebhook" => {
            let url = p
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let secret = p
                .get("secret_token")
                .and_then(Value::as_str)
                .map(str::to_owned);
            bot.webhook = if url.is_empty() {
                None
            } else {
                Some((url, secret))
            };
            drop(s);
            emulator.arrived.notify_waiters();
            ok(json!(true))
        }
        "deletewebhook" => {
            bot.webhook = None;
            ok(json!(true))
        }
        "getwebhookinfo" => ok(json!({
            "url": bot.webhook.as_ref().map(|w| w.0.clone()).unwrap_or_default(),
            "has_custom_certificate": false,
            "pending_update_count": bot.queue.len(),
        })),
        "sendmessage" | "sendphoto" => {
            let Some(chat) = chat_id(p) else {
                return error(400, "Bad Request: chat_id is empty");
            };
            let text_key = if method == "sendphoto" {
                "caption"
            } else {
                "text"
            };
            let text = p
                .get(text_key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if method == "sendmessage" && text.trim().is_empty() {
                return error(400, "Bad Request: message text is empty");
            }
            if text.chars().count() > 4096 {
                return error(400, "Bad Request: message is too long");
            }
            let markup = p.get("reply_markup").cloned().map(|m| match m {
                Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::Null),
                other => other,
            });
            let parse_mode = p
                .get("parse_mode")
                .and_then(Value::as_str)
                .map(str::to_owned);
            push_entry(
                bot,
                chat,
                ChatEntry {
                    message_id,
                    from: "bot",
                    text: text.clone(),
                    parse_mode,
                    reply_markup: markup.clone(),
                },
            );
            let mut message = json!({
                "message_id": message_id, "date": now(), "from": bot_user,
                "chat": { "id": chat, "type": "private", "first_name": "user" },
            });
            if method == "sendphoto" {
                message["photo"] = json!([{ "file_id": format!("photo{message_id}"), "file_unique_id": format!("u{message_id}"), "width": 512, "height": 512 }]);
                message["caption"] = json!(text);
            } else {
                message["text"] = json!(text);
            }
            // Telegram echoes only inline keyboards in a Message.
            if let Some(inline) = markup.filter(|m| m.get("inline_keyboard").is_some()) {
                message["reply_markup"] = inline;
            }
            s.next_message_id += 1;
            if let Some(waiter) = s.reply_waiters.remove(&(token.to_owned(), chat)) {
                let _ = waiter.send(());
            }
            ok(message)
        }
        "editmessagetext" | "editmessagereplymarkup" => {
            let (Some(chat), Some(id)) = (chat_id(p), p.get("message_id").and_then(Value::as_i64))
            else {
                return error(400, "Bad Request: message identifier is not specified");
            };
            let Some(entry) = bot
                .chats
                .get_mut(&chat)
                .and_then(|c| c.iter_mut().find(|e| e.message_id == id && e.from == "bot"))
            else {
                return error(400, "Bad Request: message to edit not found");
            };
            if let Some(text) = p.get("text").and_then(Value::as_str) {
                entry.text = text.to_owned();
            }
            entry.reply_markup = p.get("reply_markup").cloned();
            let mut message = json!({
                "message_id": id, "date": now(), "edit_date": now(), "from": bot_user,
                "chat": { "id": chat, "type": "private", "first_name": "user" }, "text": entry.text,
            });
            if let Some(inline) = entry
                .reply_markup
                .clone()
                .filter(|m| m.get("inline_keyboard").is_some())
            {
                message["reply_markup"] = inline;
            }
            ok(message)
        }
        "answercallbackquery" => ok(json!(true)),
        "deletemessage" => {
            if let (Some(chat), Some(id)) =
                (chat_id(p), p.get("message_id").and_then(Value::as_i64))
                && let Some(c) = bot.chats.get_mut(&chat)
            {
                c.retain(|e| e.message_id != id);
            }
            ok(json!(true))
        }
        "setmycommands" | "setchatmenubutton" => ok(json!(true)),
        _ => error(404, "Not Found: method not found"),
    }
}
