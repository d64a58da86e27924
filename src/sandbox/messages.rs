//! The emulator's message methods: sendMessage, sendPhoto, editMessageText, editMessageCaption,
//! editMessageReplyMarkup and deleteMessage, with Telegram's limits and error texts
//! (<https://core.telegram.org/bots/api#updating-messages>).

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::bot_api::{error, message_json, ok};
use super::emulator::{ChatEntry, Emulator, now};
use super::params::Params;

/// Telegram's limits on a message text and on a caption, in characters.
const TEXT_MAX: usize = 4096;
const CAPTION_MAX: usize = 1024;

pub(super) const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

/// Telegram refuses an inline button that does nothing when pressed (a text-only button belongs in a reply
/// keyboard); `callback_data`, `url`, `web_app` and the rest are each enough.
fn check_markup(markup: Option<&Value>) -> Result<(), &'static str> {
    let Some(rows) = markup
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
    else {
        return Ok(());
    };
    const ACTIONS: [&str; 9] = [
        "callback_data",
        "url",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "pay",
    ];
    for button in rows.iter().filter_map(Value::as_array).flatten() {
        if !ACTIONS.iter().any(|k| button.get(*k).is_some()) {
            return Err(
                "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
            );
        }
    }
    Ok(())
}

pub(super) fn call(emulator: &Emulator, token: &str, method: &str, p: &Params) -> HttpResponse {
    match method {
        "sendmessage" | "sendphoto" => send(emulator, token, method == "sendphoto", p),
        "deletemessage" => delete(emulator, token, p),
        _ => edit(emulator, token, method, p),
    }
}

fn send(emulator: &Emulator, token: &str, photo: bool, p: &Params) -> HttpResponse {
    let Some(chat) = p.i64("chat_id") else {
        return error(400, "Bad Request: chat_id is empty");
    };
    let text = p
        .str(if photo { "caption" } else { "text" })
        .unwrap_or_default();
    if !photo && text.trim().is_empty() {
        return error(400, "Bad Request: message text is empty");
    }
    if !photo && text.chars().count() > TEXT_MAX {
        return error(400, "Bad Request: message is too long");
    }
    if photo && text.chars().count() > CAPTION_MAX {
        return error(400, "Bad Request: message caption is too long");
    }
    let markup = p.object("reply_markup");
    if let Err(e) = check_markup(markup.as_ref()) {
        return error(400, e);
    }
    let mut s = emulator.lock();
    // The upload is the `photo` part itself, or a part that `photo` names as `attach://<name>` (teloxide's way).
    let upload = p.files.get("photo").or_else(|| {
        p.str("photo").and_then(|v| {
            v.strip_prefix("attach://")
                .and_then(|name| p.files.get(name))
        })
    });
    let photo_url = if !photo {
        None
    } else if let Some(upload) = upload {
        let file_id = s.store_photo(upload);
        Some(format!("/sandbox/api/file/{file_id}"))
    } else {
        match p.str("photo") {
            // A photo sent before, by its file id; or a URL Telegram would download (the page loads it itself).
            Some(id) if s.photos.contains_key(&id) => Some(format!("/sandbox/api/file/{id}")),
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => Some(url),
            Some(_) => {
                return error(
                    400,
                    "Bad Request: wrong remote file identifier specified: Wrong string length",
                );
            }
            None => return error(400, "Bad Request: there is no photo in the request"),
        }
    };
    let message_id = s.next_message_id;
    let Some(bot) = s.bots.get_mut(token) else {
        return error(401, "Unauthorized");
    };
    let entry = ChatEntry {
        message_id,
        from: "bot",
        text,
        parse_mode: p.str("parse_mode"),
        reply_markup: markup,
        date: now(),
        received_ms: super::emulator::now_ms(),
        edited: false,
        photo: photo_url,
    };
    let message = message_json(bot, chat, &entry);
    bot.push_entry(chat, entry);
    s.next_message_id += 1;
    if let Some(waiter) = s.reply_waiters.remove(&(token.to_owned(), chat)) {
        let _ = waiter.send(());
    }
    ok(message)
}

/// editMessageText, editMessageCaption and editMessageReplyMarkup: the entry changes in place and keeps its
/// position. As in Telegram, an edit without `reply_markup` removes the inline keyboard.
fn edit(emulator: &Emulator, token: &str, method: &str, p: &Params) -> HttpResponse {
    if p.get("inline_message_id").is_some() {
        return error(400, "Bad Request: MESSAGE_ID_INVALID");
    }
    let Some(chat) = p.i64("chat_id") else {
        return error(400, "Bad Request: chat_id is empty");
    };
    let Some(id) = p.i64("message_id") else {
        return error(400, "Bad Request: message identifier is not specified");
    };
    let markup = p.object("reply_markup");
    if let Err(e) = check_markup(markup.as_ref()) {
        return error(400, e);
    }
    if markup
        .as_ref()
        .is_some_and(|m| m.get("inline_keyboard").is_none())
    {
        return error(400, "Bad Request: inline keyboard expected");
    }
    let mut s = emulator.lock();
    let Some(bot) = s.bots.get_mut(token) else {
        return error(401, "Unauthorized");
    };
    let Some(entry) = bot.entry_mut(chat, id) else {
        return error(400, "Bad Request: message to edit not found");
    };
    if entry.from != "bot" {
        return error(400, "Bad Request: message can't be edited");
    }
    let mut edited = entry.clone();
    edited.reply_markup = markup;
    match method {
        "editmessagetext" => {
            if entry.photo.is_some() {
                return error(400, "Bad Request: there is no text in the message to edit");
            }
            let text = p.str("text").unwrap_or_default();
            if text.trim().is_empty() {
                return error(400, "Bad Request: message text is empty");
            }
            if text.chars().count() > TEXT_MAX {
                return error(400, "Bad Request: MESSAGE_TOO_LONG");
            }
            edited.text = text;
            edited.parse_mode = p.str("parse_mode");
        }
        "editmessagecaption" => {
            if entry.photo.is_none() {
                return error(
                    400,
                    "Bad Request: there is no caption in the message to edit",
                );
            }
            edited.text = p.str("caption").unwrap_or_default();
            edited.parse_mode = p.str("parse_mode");
        }
        "editmessagereplymarkup" => {}
        _ => return error(404, "Not Found: method not found"),
    }
    // The edited flag does not count as content: an edit that changes nothing is refused, as Telegram does.
    edited.edited = entry.edited;
    if edited == *entry {
        return error(400, super::messages::NOT_MODIFIED);
    }
    edited.edited = true;
    *entry = edited.clone();
    let message = message_json(bot, chat, &edited);
    // An edit is an answer the user sees too (a confirm screen turned into its outcome).
    if let Some(waiter) = s.reply_waiters.remove(&(token.to_owned(), chat)) {
        let _ = waiter.send(());
    }
    ok(message)
}

fn delete(emulator: &Emulator, token: &str, p: &Params) -> HttpResponse {
    let Some(chat) = p.i64("chat_id") else {
        return error(400, "Bad Request: chat_id is empty");
    };
    let Some(id) = p.i64("message_id") else {
        return error(400, "Bad Request: message identifier is not specified");
    };
    let mut s = emulator.lock();
    let Some(bot) = s.bots.get_mut(token) else {
        return error(401, "Unauthorized");
    };
    let Some(messages) = bot.chats.get_mut(&chat) else {
        return error(400, "Bad Request: message to delete not found");
    };
    let before = messages.len();
    messages.retain(|e| e.message_id != id);
    if messages.len() == before {
        return error(400, "Bad Request: message to delete not found");
    }
    ok(json!(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inline_button_must_do_something() {
        let text_only = json!({ "inline_keyboard": [[{ "text": "Hi" }]] });
        assert!(check_markup(Some(&text_only)).is_err());
        let web_app = json!({ "inline_keyboard": [[
            { "text": "Open", "web_app": { "url": "https://example.org/app" } },
            { "text": "Site", "url": "https://example.org" },
            { "text": "Ok", "callback_data": "ok" },
        ]] });
        assert!(check_markup(Some(&web_app)).is_ok());
        let reply = json!({ "keyboard": [[{ "text": "Share", "request_contact": true }]] });
        assert!(check_markup(Some(&reply)).is_ok());
    }
}
