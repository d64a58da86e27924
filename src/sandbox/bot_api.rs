//! The Bot API side of the emulator: `/tg/bot<TOKEN>/<method>`, answering the subset of the Bot API the product
//! uses with Telegram-shaped JSON and Telegram's error texts. Method names are matched case-insensitively
//! (teloxide sends `SendMessage`); a bot can be told to answer 429 with `retry_after`.
//!
//! Methods: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, sendMessage, sendPhoto,
//! editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage, answerCallbackQuery, setMyCommands,
//! getMyCommands, deleteMyCommands, setChatMenuButton, getChatMenuButton (`messages.rs` and `settings.rs`).

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::emulator::{Bot, ChatEntry, Emulator};
use super::params::Params;

/// Longest wait a `getUpdates` call may ask for.
const LONG_POLL_MAX: Duration = Duration::from_secs(50);

/// `{"ok": true, "result": ...}`.
pub(super) fn ok(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "ok": true, "result": result }))
}

/// Telegram's error shape: `{"ok": false, "error_code": 400, "description": "Bad Request: ..."}`.
pub(super) fn error(code: u16, description: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(code)
        .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status)
        .json(json!({ "ok": false, "error_code": code, "description": description }))
}

/// A transcript entry as the Bot API's `Message` object in a private chat with `chat`.
pub(super) fn message_json(bot: &Bot, chat: i64, entry: &ChatEntry) -> Value {
    let from = if entry.from == "bot" {
        bot.user_json()
    } else {
        json!({ "id": chat, "is_bot": false, "first_name": "user" })
    };
    let mut message = json!({
        "message_id": entry.message_id, "date": entry.date, "from": from,
        "chat": { "id": chat, "type": "private", "first_name": "user" },
    });
    if let Some(url) = &entry.photo {
        let file_id = url.rsplit('/').next().unwrap_or_default();
        message["photo"] = json!([{ "file_id": file_id, "file_unique_id": format!("u{file_id}"), "width": 512, "height": 512 }]);
        message["caption"] = json!(entry.text);
    } else {
        message["text"] = json!(entry.text);
    }
    if entry.edited {
        message["edit_date"] = json!(super::emulator::now());
    }
    // Telegram echoes only inline keyboards in a Message.
    if let Some(inline) = entry
        .reply_markup
        .as_ref()
        .filter(|m| m.get("inline_keyboard").is_some())
    {
        message["reply_markup"] = inline.clone();
    }
    message
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
        .map(|(token, method)| (token.to_owned(), method.to_ascii_lowercase()))
    else {
        return error(404, "Not Found");
    };
    let p = Params::read(&req, body).await;
    let mut late = None;
    {
        let mut s = emulator.lock();
        let Some(bot) = s.bots.get_mut(&token) else {
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
        if bot.server_errors > 0 && method != "getupdates" {
            bot.server_errors -= 1;
            return error(500, "Internal Server Error: restart");
        }
        if bot.empty_answers > 0 && method != "getupdates" {
            bot.empty_answers -= 1;
            return HttpResponse::Ok().content_type("application/json").finish();
        }
        if bot.slow_answers > 0 && method != "getupdates" {
            bot.slow_answers -= 1;
            late = Some(bot.slow_answer_delay);
        }
        if method.starts_with("send")
            && p.i64("chat_id")
                .is_some_and(|chat| bot.blocked_by.contains(&chat))
        {
            return error(403, "Forbidden: bot was blocked by the user");
        }
    }
    let answer = match method.as_str() {
        "getupdates" => get_updates(&emulator, &token, &p).await,
        "sendmessage"
        | "sendphoto"
        | "editmessagetext"
        | "editmessagecaption"
        | "editmessagereplymarkup"
        | "deletemessage" => super::messages::call(&emulator, &token, &method, &p),
        _ => super::settings::call(&emulator, &token, &method, &p),
    };
    if let Some(delay) = late {
        tokio::time::sleep(delay).await;
    }
    answer
}

/// Telegram's Bot API server answers a getUpdates with the offset of the one before, started less than this
/// earlier, with one update at most ("Send less updates repeatedly in getUpdates").
const REPEATED_POLL: Duration = Duration::from_millis(500);

async fn get_updates(emulator: &Emulator, token: &str, p: &Params) -> HttpResponse {
    let offset = p.i64("offset").unwrap_or(0);
    let mut limit = p.i64("limit").unwrap_or(100).clamp(1, 100) as usize;
    {
        let mut s = emulator.lock();
        if let Some(bot) = s.bots.get_mut(token) {
            let now = std::time::Instant::now();
            if bot
                .previous_poll
                .is_some_and(|(previous, at)| previous == offset && now < at + REPEATED_POLL)
            {
                limit = 1;
            }
            bot.previous_poll = Some((offset, now));
        }
    }
    let timeout =
        Duration::from_secs(p.i64("timeout").unwrap_or(0).max(0) as u64).min(LONG_POLL_MAX);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let arrived = emulator.arrived.notified();
        {
            let mut s = emulator.lock();
            let next_update_id = s.next_update_id;
            let Some(bot) = s.bots.get_mut(token) else {
                return error(401, "Unauthorized");
            };
            if bot.webhook.is_some() {
                return error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active",
                );
            }
            // An offset confirms every update before it, as Telegram does; one more than 10 beyond the newest id is
            // answered from the queue's start instead ("Specified from_id is in the future" in Telegram's Bot API
            // server): so a bot whose ids were chosen anew below its offset still gets its updates.
            let in_future = offset > next_update_id + 10;
            while !in_future && bot.queue.front().is_some_and(|u| u.update_id < offset) {
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
