//! The emulator's bot-settings methods: getMe, the webhook trio, answerCallbackQuery, the commands
//! (set/get/deleteMyCommands, stored per scope and language) and the menu button (set/getChatMenuButton, per bot
//! or per chat), with Telegram's error texts (<https://core.telegram.org/bots/api#setmycommands>).

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::bot_api::{error, ok};
use super::emulator::Emulator;
use super::params::Params;

/// Telegram's limits: 100 commands a list, 1–32 characters a command, 1–256 a description.
const COMMANDS_MAX: usize = 100;
const COMMAND_MAX: usize = 32;
const DESCRIPTION_MAX: usize = 256;

pub(super) fn call(emulator: &Emulator, token: &str, method: &str, p: &Params) -> HttpResponse {
    let mut s = emulator.lock();
    let Some(bot) = s.bots.get_mut(token) else {
        return error(401, "Unauthorized");
    };
    match method {
        "getme" => ok(json!({
            "id": bot.id, "is_bot": true, "first_name": bot.username, "username": bot.username,
            "can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false,
        })),
        "setwebhook" => {
            let url = p.str("url").unwrap_or_default();
            let secret = p.str("secret_token");
            let max_connections = p.i64("max_connections").unwrap_or(40);
            if !(1..=100).contains(&max_connections) {
                return error(400, "Bad Request: max_connections must be 1-100");
            }
            bot.webhook_max_connections = max_connections;
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
            "max_connections": bot.webhook_max_connections,
        })),
        "answercallbackquery" => ok(json!(true)),
        "setmycommands" => match (scope_key(p), check_commands(p.get("commands"))) {
            (Err(e), _) | (_, Err(e)) => error(400, e),
            (Ok(scope), Ok(list)) => {
                let key = (scope, p.str("language_code").unwrap_or_default());
                if list.as_array().is_some_and(Vec::is_empty) {
                    bot.commands.remove(&key);
                } else {
                    bot.commands.insert(key, list);
                }
                ok(json!(true))
            }
        },
        "getmycommands" | "deletemycommands" => match scope_key(p) {
            Err(e) => error(400, e),
            Ok(scope) => {
                let key = (scope, p.str("language_code").unwrap_or_default());
                if method == "deletemycommands" {
                    bot.commands.remove(&key);
                    ok(json!(true))
                } else {
                    ok(bot.commands.get(&key).cloned().unwrap_or_else(|| json!([])))
                }
            }
        },
        "setchatmenubutton" => {
            let button = p
                .object("menu_button")
                .unwrap_or_else(|| json!({ "type": "default" }));
            if let Err(e) = check_menu_button(&button) {
                return error(400, e);
            }
            match p.i64("chat_id") {
                Some(chat) => {
                    bot.chat_menu_buttons.insert(chat, button);
                }
                None => bot.menu_button = Some(button),
            }
            ok(json!(true))
        }
        "getchatmenubutton" => ok(match p.i64("chat_id") {
            Some(chat) => bot.menu_button_for(chat),
            None => bot
                .menu_button
                .clone()
                .unwrap_or_else(|| json!({ "type": "default" })),
        }),
        _ => error(404, "Not Found: method not found"),
    }
}

/// The key commands are stored under: the scope's type, with its chat for the chat scopes (the default scope
/// when absent).
fn scope_key(p: &Params) -> Result<String, &'static str> {
    let Some(scope) = p.object("scope") else {
        return Ok("default".into());
    };
    let kind = scope
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let chat = scope.get("chat_id").and_then(|c| match c {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    match (kind, chat) {
        ("default" | "all_private_chats" | "all_group_chats" | "all_chat_administrators", _) => {
            Ok(kind.to_owned())
        }
        ("chat" | "chat_administrators" | "chat_member", Some(chat)) => {
            let user = scope.get("user_id").and_then(Value::as_i64).unwrap_or(0);
            Ok(if kind == "chat_member" {
                format!("{kind}:{chat}:{user}")
            } else {
                format!("{kind}:{chat}")
            })
        }
        ("chat" | "chat_administrators" | "chat_member", None) => {
            Err("Bad Request: chat_id is empty")
        }
        _ => Err("Bad Request: can't parse BotCommandScope: unsupported type"),
    }
}

/// A `commands` list as Telegram accepts it: each `{command, description}`, the command of lower-case Latin
/// letters, digits and underscores.
fn check_commands(commands: Option<&Value>) -> Result<Value, &'static str> {
    let list = match commands {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
        Some(v) => Some(v.clone()),
        None => None,
    };
    let Some(items) = list.as_ref().and_then(Value::as_array) else {
        return Err("Bad Request: parameter \"commands\" is required");
    };
    if items.len() > COMMANDS_MAX {
        return Err("Bad Request: too many commands specified");
    }
    let mut clean = Vec::with_capacity(items.len());
    for item in items {
        let command = item
            .get("command")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let description = item
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let command_ok = (1..=COMMAND_MAX).contains(&command.len())
            && command
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !command_ok {
            return Err("Bad Request: BOT_COMMAND_INVALID");
        }
        if !(1..=DESCRIPTION_MAX).contains(&description.trim().chars().count()) {
            return Err("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
        }
        clean.push(json!({ "command": command, "description": description }));
    }
    Ok(Value::Array(clean))
}

/// A `menu_button`: `commands`, `default`, or `web_app` with a text and `web_app.url`. The sandbox accepts plain
/// http URLs (Telegram wants https) so a local demo can open its own pages.
fn check_menu_button(button: &Value) -> Result<(), &'static str> {
    match button.get("type").and_then(Value::as_str) {
        Some("commands" | "default") => Ok(()),
        Some("web_app") => {
            let text = button
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let url = button
                .pointer("/web_app/url")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if text.trim().is_empty() {
                Err("Bad Request: BUTTON_TEXT_INVALID")
            } else if !(url.starts_with("https://") || url.starts_with("http://")) {
                Err("Bad Request: BUTTON_URL_INVALID")
            } else {
                Ok(())
            }
        }
        _ => Err("Bad Request: can't parse menu button: unsupported type"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_follow_telegrams_rules() {
        let good = json!([{ "command": "accrue", "description": "Начислить баллы" }]);
        assert_eq!(check_commands(Some(&good)), Ok(good.clone()));
        let as_text = Value::String(good.to_string());
        assert_eq!(check_commands(Some(&as_text)), Ok(good));
        for bad in ["Accrue", "", "with space", &"x".repeat(33)] {
            let list = json!([{ "command": bad, "description": "d" }]);
            assert_eq!(
                check_commands(Some(&list)),
                Err("Bad Request: BOT_COMMAND_INVALID"),
                "{bad}"
            );
        }
        let no_description = json!([{ "command": "start", "description": " " }]);
        assert_eq!(
            check_commands(Some(&no_description)),
            Err("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        );
        assert!(check_commands(None).is_err());
    }

    #[test]
    fn a_web_app_menu_button_needs_text_and_url() {
        let good = json!({ "type": "web_app", "text": "Карта", "web_app": { "url": "https://example.org/app" } });
        assert_eq!(check_menu_button(&good), Ok(()));
        let no_url = json!({ "type": "web_app", "text": "Карта", "web_app": {} });
        assert_eq!(
            check_menu_button(&no_url),
            Err("Bad Request: BUTTON_URL_INVALID")
        );
        assert!(check_menu_button(&json!({ "type": "commands" })).is_ok());
        assert!(check_menu_button(&json!({ "type": "nonsense" })).is_err());
    }
}
