//! The simulated users' side of the emulator: what they send becomes an update in the bot's queue, shaped as
//! Telegram shapes it (a private chat whose id is the user's id).

use serde_json::{Value, json};

use super::bot_api::message_json;
use super::emulator::{ChatEntry, Emulator, Queued, now};

fn user_json(user_id: i64, first_name: &str, language_code: &str) -> Value {
    json!({ "id": user_id, "is_bot": false, "first_name": first_name, "language_code": language_code })
}

/// What a user's message shows in the transcript: its text, a contact as "📱 phone", anything else as
/// "(attachment)".
fn shown(content: &Value) -> String {
    if let Some(text) = content.get("text").and_then(Value::as_str) {
        return text.to_owned();
    }
    if let Some(contact) = content.get("contact") {
        let phone = contact
            .get("phone_number")
            .and_then(Value::as_str)
            .unwrap_or("?");
        return format!("📱 {phone}");
    }
    "(attachment)".into()
}

impl Emulator {
    /// Queues an update from a simulated user: `content` is the message body (`{"text": ...}`, `{"contact": ...}`)
    /// or, for a button press, `{"callback": {"message_id": .., "data": ..}}`. A press carries the pressed message
    /// as Telegram sends it (id, private chat, text or caption, inline keyboard). Returns the update id, or an
    /// error naming the unknown bot.
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
        let user = user_json(user_id, first_name, language_code);
        let chat = json!({ "id": user_id, "type": "private", "first_name": first_name });
        let update_id = s.next_update_id;
        s.next_update_id += 1;
        let update = if let Some(cb) = content.get("callback") {
            let message_id = cb.get("message_id").and_then(Value::as_i64).unwrap_or(0);
            let data = cb.get("data").and_then(Value::as_str).unwrap_or_default();
            let bot = s.bots.get(&token).ok_or("no such bot")?;
            let mut message = match bot
                .chats
                .get(&user_id)
                .and_then(|c| c.iter().find(|e| e.message_id == message_id))
            {
                Some(entry) => message_json(bot, user_id, entry),
                // A press on a message the sandbox no longer keeps: what Telegram knows of it, the id and chat.
                None => {
                    json!({ "message_id": message_id, "date": now(), "from": bot.user_json(), "text": "" })
                }
            };
            message["chat"] = chat;
            json!({
                "update_id": update_id,
                "callback_query": {
                    "id": format!("cb{update_id}"),
                    "from": user,
                    "chat_instance": format!("ci{user_id}"),
                    "data": data,
                    "message": message,
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
            let bot = s.bots.get_mut(&token).ok_or("no such bot")?;
            bot.push_entry(
                user_id,
                ChatEntry {
                    message_id,
                    from: "user",
                    text: shown(&content),
                    parse_mode: None,
                    reply_markup: None,
                    date: now(),
                    received_ms: super::emulator::now_ms(),
                    edited: false,
                    photo: None,
                },
            );
            // What the user sends, they have seen: the chat's earlier bot messages count as read too.
            bot.read_upto.insert(user_id, message_id);
            json!({ "update_id": update_id, "message": message })
        };
        self.enqueue(
            s,
            &token,
            Queued {
                update_id,
                json: update.to_string(),
            },
        );
        Ok(update_id)
    }
}
