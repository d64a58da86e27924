//! The sandbox's Bot API methods over HTTP, called as teloxide calls them (PascalCase method names, JSON bodies,
//! multipart for a photo upload), checked through what the page reads: the transcript, the "/" menu, the menu
//! button, the chat list. A bare emulator (no product polling it), so the test reads the bot's updates itself.

use loyalty::sandbox::Emulator;
use serde_json::{Value, json};
use teloxide_core::payloads::setters::*;
use teloxide_core::prelude::Requester;
use teloxide_core::types::{
    ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ParseMode,
};

/// An 8×8 checkered PNG, as the product's in-memory pictures are sent (the browser test shows it too).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x02, 0x00, 0x00, 0x00, 0x4B, 0x6D, 0x29,
    0xDC, 0x00, 0x00, 0x00, 0x1A, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x30, 0x9E, 0xF0, 0xE6,
    0xFF, 0xFF, 0xFF, 0x98, 0x24, 0x03, 0x56, 0x51, 0x20, 0xC9, 0x30, 0x28, 0x75, 0x00, 0x00, 0x53,
    0x0E, 0x95, 0x81, 0x92, 0x97, 0xD4, 0xA9, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];
const USER: i64 = 777_001;

struct Sandbox {
    base: String,
    http: reqwest::Client,
}

impl Sandbox {
    fn start() -> Sandbox {
        let emulator = Emulator::new();
        emulator.add_bot("partner", "sandbox-partner", 9_000);
        emulator.add_bot("client", "sandbox-client", 9_001);
        let data = actix_web::web::Data::new(emulator);
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .configure(loyalty::sandbox::configure)
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind sandbox");
        let base = format!("http://{}", server.addrs()[0]);
        actix_rt::spawn(server.run());
        Sandbox {
            base,
            http: reqwest::Client::new(),
        }
    }

    /// A Bot API call as the partner bot; returns (HTTP status, body).
    async fn call(&self, method: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/tg/botsandbox-partner/{method}", self.base))
            .json(&body)
            .send()
            .await
            .expect("sandbox reachable");
        (r.status().as_u16(), r.json().await.expect("json"))
    }

    async fn result(&self, method: &str, body: Value) -> Value {
        let (status, answer) = self.call(method, body).await;
        assert_eq!(status, 200, "{method}: {answer}");
        answer["result"].clone()
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/sandbox/api/{path}", self.base))
            .send()
            .await
            .expect("sandbox reachable")
            .json()
            .await
            .expect("json")
    }

    async fn transcript(&self) -> Vec<Value> {
        let chat = self.get(&format!("chat?bot=partner&user_id={USER}")).await;
        chat.as_array().expect("a list").clone()
    }
}

#[actix_rt::test]
async fn commands_are_kept_per_language_and_the_user_sees_their_own() {
    let sandbox = Sandbox::start();
    let ru = json!([{ "command": "accrue", "description": "Начислить баллы" }]);
    let en = json!([{ "command": "accrue", "description": "Accrue points" }]);
    sandbox
        .result(
            "SetMyCommands",
            json!({ "commands": ru, "language_code": "ru" }),
        )
        .await;
    sandbox
        .result(
            "SetMyCommands",
            json!({ "commands": en, "scope": { "type": "default" } }),
        )
        .await;
    assert_eq!(
        sandbox
            .result("GetMyCommands", json!({ "language_code": "ru" }))
            .await,
        ru
    );
    assert_eq!(sandbox.result("GetMyCommands", json!({})).await, en);
    assert_eq!(
        sandbox.get("commands?bot=partner&language_code=ru").await,
        ru
    );
    assert_eq!(
        sandbox.get("commands?bot=partner&language_code=de").await,
        en,
        "a language without its own list gets the list for all languages"
    );
    let (status, refused) = sandbox
        .call(
            "SetMyCommands",
            json!({ "commands": [{ "command": "Accrue!", "description": "x" }] }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(refused["description"], "Bad Request: BOT_COMMAND_INVALID");
}

#[actix_rt::test]
async fn an_edit_changes_the_message_in_place_and_an_idle_edit_is_refused_as_telegram_does() {
    let sandbox = Sandbox::start();
    let keyboard = json!({ "inline_keyboard": [[
        { "text": "Confirm", "callback_data": "ok" },
        { "text": "Card", "web_app": { "url": "http://127.0.0.1/card" } },
        { "text": "Site", "url": "https://example.org" },
    ]] });
    let first = sandbox
        .result(
            "SendMessage",
            json!({ "chat_id": USER, "text": "Сумма <b>100</b>", "parse_mode": "HTML", "reply_markup": keyboard }),
        )
        .await;
    sandbox
        .result("SendMessage", json!({ "chat_id": USER, "text": "second" }))
        .await;
    let id = first["message_id"].as_i64().expect("message id");
    assert_eq!(sandbox.transcript().await[0]["reply_markup"], keyboard);

    let same = json!({ "chat_id": USER, "message_id": id, "text": "Сумма <b>100</b>", "parse_mode": "HTML", "reply_markup": keyboard });
    let (status, refused) = sandbox.call("EditMessageText", same).await;
    assert_eq!(status, 400);
    assert_eq!(
        refused["description"],
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
    );
    let (status, missing) = sandbox
        .call(
            "EditMessageText",
            json!({ "chat_id": USER, "message_id": id + 100, "text": "x" }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        missing["description"],
        "Bad Request: message to edit not found"
    );

    let edited = sandbox
        .result(
            "EditMessageText",
            json!({ "chat_id": USER, "message_id": id, "text": "Готово", "reply_markup": keyboard }),
        )
        .await;
    assert_eq!(edited["text"], "Готово");
    assert!(edited["edit_date"].is_i64());
    let chat = sandbox.transcript().await;
    assert_eq!(chat.len(), 2, "an edit adds no message: {chat:#?}");
    assert_eq!(
        chat[0]["message_id"], id,
        "the edited message keeps its place"
    );
    assert_eq!(chat[0]["text"], "Готово");
    assert_eq!(chat[0]["edited"], true);
    assert_eq!(chat[1]["text"], "second");

    sandbox
        .result(
            "EditMessageReplyMarkup",
            json!({ "chat_id": USER, "message_id": id }),
        )
        .await;
    assert_eq!(sandbox.transcript().await[0]["reply_markup"], Value::Null);
    sandbox
        .result(
            "DeleteMessage",
            json!({ "chat_id": USER, "message_id": id }),
        )
        .await;
    assert_eq!(sandbox.transcript().await.len(), 1);
    let (status, gone) = sandbox
        .call(
            "DeleteMessage",
            json!({ "chat_id": USER, "message_id": id }),
        )
        .await;
    assert_eq!(
        (status, gone["description"].as_str()),
        (400, Some("Bad Request: message to delete not found"))
    );
}

#[actix_rt::test]
async fn a_photo_sent_by_teloxide_as_multipart_is_shown_with_its_caption() {
    let sandbox = Sandbox::start();
    let url = reqwest::Url::parse(&format!("{}/tg", sandbox.base)).expect("url");
    let bot = teloxide_core::Bot::new("sandbox-partner").set_api_url(url);
    let sent = bot
        .send_photo(
            ChatId(USER),
            InputFile::memory(PNG.to_vec()).file_name("card.png"),
        )
        .caption("Ваша карта <b>QR</b>")
        .parse_mode(ParseMode::Html)
        .reply_markup(InlineKeyboardMarkup::new([[
            InlineKeyboardButton::callback("Ok", "ok"),
        ]]))
        .await
        .expect("sendPhoto answered");
    assert_eq!(sent.caption(), Some("Ваша карта <b>QR</b>"));
    let chat = sandbox.transcript().await;
    assert_eq!(chat[0]["text"], "Ваша карта <b>QR</b>");
    assert_eq!(chat[0]["parse_mode"], "HTML");
    let photo = chat[0]["photo"].as_str().expect("a photo URL");
    let picture = reqwest::get(format!("{}{photo}", sandbox.base))
        .await
        .expect("photo served");
    assert_eq!(picture.headers()["content-type"], "image/png");
    assert_eq!(picture.bytes().await.expect("bytes").as_ref(), PNG);
}

#[actix_rt::test]
async fn a_web_app_menu_button_is_per_chat_and_a_press_carries_its_message() {
    let sandbox = Sandbox::start();
    let button = json!({ "type": "web_app", "text": "Карта", "web_app": { "url": "http://127.0.0.1/card" } });
    sandbox
        .result(
            "SetChatMenuButton",
            json!({ "chat_id": USER, "menu_button": button }),
        )
        .await;
    let mine = sandbox
        .get(&format!("menu_button?bot=partner&user_id={USER}"))
        .await;
    assert_eq!(mine, button);
    let others = sandbox.get("menu_button?bot=partner&user_id=1").await;
    assert_eq!(others["type"], "default");

    let sent = sandbox
        .result(
            "SendMessage",
            json!({ "chat_id": USER, "text": "Подтвердить?", "reply_markup": { "inline_keyboard": [[{ "text": "Да", "callback_data": "yes" }]] } }),
        )
        .await;
    let list = sandbox.get(&format!("chats?user_id={USER}")).await;
    let partner = &list.as_array().expect("chats")[1];
    assert_eq!(
        (partner["bot"].as_str(), partner["unread"].as_i64()),
        (Some("partner"), Some(1))
    );
    assert_eq!(partner["last"]["text"], "Подтвердить?");
    sandbox
        .get(&format!("chat?bot=partner&user_id={USER}&mark_read=true"))
        .await;
    let list = sandbox.get(&format!("chats?user_id={USER}")).await;
    assert_eq!(list[1]["unread"], 0, "the chat was shown");

    let press = sandbox
        .http
        .post(format!("{}/sandbox/api/press", sandbox.base))
        .json(&json!({ "bot": "partner", "user_id": USER, "message_id": sent["message_id"], "data": "yes" }))
        .send()
        .await
        .expect("press");
    assert!(press.status().is_success());
    let updates = sandbox.result("GetUpdates", json!({ "timeout": 0 })).await;
    let query = &updates[0]["callback_query"];
    assert_eq!(query["data"], "yes");
    assert_eq!(query["message"]["message_id"], sent["message_id"]);
    assert_eq!(query["message"]["chat"]["id"], USER);
    assert_eq!(query["message"]["chat"]["type"], "private");
    assert_eq!(query["message"]["text"], "Подтвердить?");
}

#[actix_rt::test]
async fn every_simulated_user_shares_their_own_phone() {
    let sandbox = Sandbox::start();
    let mut phones = Vec::new();
    for user in [2001, 2002] {
        let r = sandbox
            .http
            .post(format!("{}/sandbox/api/contact", sandbox.base))
            .json(&json!({ "bot": "client", "user_id": user }))
            .send()
            .await
            .expect("contact");
        assert!(r.status().is_success());
        let offered = sandbox.get(&format!("user?user_id={user}")).await["phone_number"].clone();
        let chat = sandbox
            .get(&format!("chat?bot=client&user_id={user}"))
            .await;
        let shared = chat[0]["text"].as_str().expect("contact bubble").to_owned();
        assert_eq!(shared, format!("📱 {}", offered.as_str().expect("phone")));
        phones.push(shared);
    }
    assert_ne!(phones[0], phones[1], "two users, two numbers");
    assert!(phones[0].starts_with("📱 +79") && phones[0].len() == "📱 +79001234567".len());
}
