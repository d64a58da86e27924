//! The simulated users' side of the sandbox (`/sandbox/api/...`): send a message, press a button, share a contact,
//! read a chat, list the chats, the bot's commands and menu button, a web app's signed `initData`, sent photos, and
//! the demo's facts for the page's hint. Used by the sandbox page, the tests and the load harness.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::Emulator;
use super::emulator::default_phone;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/bots", web::get().to(bots))
        .route("/send", web::post().to(send))
        .route("/press", web::post().to(press))
        .route("/contact", web::post().to(contact))
        .route("/attachment", web::post().to(attachment))
        .route("/chat", web::get().to(chat))
        .route("/chats", web::get().to(chats))
        .route("/commands", web::get().to(commands))
        .route("/menu_button", web::get().to(menu_button))
        .route("/web_app_data", web::get().to(web_app_data))
        .route("/user", web::get().to(user))
        .route("/demo", web::get().to(demo))
        .route("/file/{file_id}", web::get().to(file))
        .route("/throttle", web::post().to(throttle));
}

/// Who is acting, in which bot's chat.
#[derive(Debug, Deserialize)]
pub struct As {
    pub bot: String,
    pub user_id: i64,
    #[serde(default = "default_name")]
    pub first_name: String,
    #[serde(default = "default_lang")]
    pub language_code: String,
}

fn default_name() -> String {
    "Гость".into()
}

fn default_lang() -> String {
    "ru".into()
}

fn queued(result: Result<i64, String>) -> HttpResponse {
    match result {
        Ok(update_id) => HttpResponse::Ok().json(json!({ "update_id": update_id })),
        Err(e) => HttpResponse::BadRequest().json(json!({ "error": e })),
    }
}

async fn bots(emulator: web::Data<Emulator>) -> HttpResponse {
    HttpResponse::Ok().json(emulator.bot_names())
}

#[derive(Debug, Deserialize)]
struct Send {
    #[serde(flatten)]
    who: As,
    text: String,
}

async fn send(emulator: web::Data<Emulator>, body: web::Json<Send>) -> HttpResponse {
    let Send { who, text } = body.into_inner();
    queued(emulator.user_update(
        &who.bot,
        who.user_id,
        &who.first_name,
        &who.language_code,
        json!({ "text": text }),
    ))
}

#[derive(Debug, Deserialize)]
struct Press {
    #[serde(flatten)]
    who: As,
    message_id: i64,
    data: String,
}

async fn press(emulator: web::Data<Emulator>, body: web::Json<Press>) -> HttpResponse {
    let Press {
        who,
        message_id,
        data,
    } = body.into_inner();
    let content = json!({ "callback": { "message_id": message_id, "data": data } });
    queued(emulator.user_update(
        &who.bot,
        who.user_id,
        &who.first_name,
        &who.language_code,
        content,
    ))
}

#[derive(Debug, Deserialize)]
struct Contact {
    #[serde(flatten)]
    who: As,
    /// The number on the card; the user's own (`default_phone`) when absent.
    phone_number: Option<String>,
    /// Whose contact card it is; the user's own when absent.
    contact_user_id: Option<i64>,
}

async fn contact(emulator: web::Data<Emulator>, body: web::Json<Contact>) -> HttpResponse {
    let Contact {
        who,
        phone_number,
        contact_user_id,
    } = body.into_inner();
    let phone_number = phone_number
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| default_phone(who.user_id));
    let card = json!({ "contact": {
        "phone_number": phone_number,
        "first_name": who.first_name,
        "user_id": contact_user_id.unwrap_or(who.user_id),
    }});
    queued(emulator.user_update(
        &who.bot,
        who.user_id,
        &who.first_name,
        &who.language_code,
        card,
    ))
}

/// Something that is not text: a location pin stands for photos, stickers and the like.
async fn attachment(emulator: web::Data<Emulator>, body: web::Json<As>) -> HttpResponse {
    let who = body.into_inner();
    let pin = json!({ "location": { "latitude": 55.75, "longitude": 37.62 } });
    queued(emulator.user_update(
        &who.bot,
        who.user_id,
        &who.first_name,
        &who.language_code,
        pin,
    ))
}

#[derive(Debug, Deserialize)]
struct ChatQuery {
    bot: String,
    user_id: i64,
    /// The page shows the chat: its messages stop counting as unread.
    #[serde(default)]
    mark_read: bool,
}

/// `GET /chat?bot=&user_id=[&mark_read=true]`: the transcript, `[ChatEntry]` oldest first.
async fn chat(emulator: web::Data<Emulator>, q: web::Query<ChatQuery>) -> HttpResponse {
    if q.mark_read {
        emulator.mark_read(&q.bot, q.user_id);
    }
    HttpResponse::Ok().json(emulator.transcript(&q.bot, q.user_id))
}

#[derive(Debug, Deserialize)]
struct UserQuery {
    user_id: i64,
}

/// `GET /chats?user_id=`: `[{bot, username, last: ChatEntry|null, unread}]`, one per bot, by bot name.
async fn chats(emulator: web::Data<Emulator>, q: web::Query<UserQuery>) -> HttpResponse {
    HttpResponse::Ok().json(emulator.chats(q.user_id))
}

/// `GET /user?user_id=`: `{user_id, phone_number}`, the number the contact button offers.
async fn user(q: web::Query<UserQuery>) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({ "user_id": q.user_id, "phone_number": default_phone(q.user_id) }))
}

#[derive(Debug, Deserialize)]
struct CommandsQuery {
    bot: String,
    #[serde(default)]
    user_id: i64,
    #[serde(default)]
    language_code: String,
}

/// `GET /commands?bot=&language_code=[&user_id=]`: `[{command, description}]` as the user's "/" menu lists them.
async fn commands(emulator: web::Data<Emulator>, q: web::Query<CommandsQuery>) -> HttpResponse {
    HttpResponse::Ok().json(emulator.commands(&q.bot, q.user_id, &q.language_code))
}

#[derive(Debug, Deserialize)]
struct BotUserQuery {
    bot: String,
    user_id: i64,
}

/// `GET /menu_button?bot=&user_id=`: the Bot API's MenuButton (`{"type":"web_app","text","web_app":{"url"}}`,
/// `{"type":"commands"}` or `{"type":"default"}`).
async fn menu_button(emulator: web::Data<Emulator>, q: web::Query<BotUserQuery>) -> HttpResponse {
    HttpResponse::Ok().json(emulator.menu_button(&q.bot, q.user_id))
}

#[derive(Debug, Deserialize)]
struct WebAppQuery {
    bot: String,
    user_id: i64,
    #[serde(default = "default_name")]
    first_name: String,
    #[serde(default = "default_lang")]
    language_code: String,
}

/// `GET /web_app_data?bot=&user_id=&first_name=&language_code=`: `{"init_data": "..."}`, the `initData` Telegram
/// would hand a web app this user opens from the bot, signed now with the bot's token (404 for an unknown bot).
/// The page passes it to the app in the URL's fragment (`#tgWebAppData=...`), as Telegram's clients do.
async fn web_app_data(emulator: web::Data<Emulator>, q: web::Query<WebAppQuery>) -> HttpResponse {
    let Some(token) = emulator.lock().names.get(&q.bot).cloned() else {
        return HttpResponse::NotFound().json(json!({ "error": "no such bot" }));
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let init_data = crate::miniapp::init_data::sign_for_user(
        q.user_id,
        &q.first_name,
        &q.language_code,
        &token,
        now,
    );
    HttpResponse::Ok().json(json!({ "init_data": init_data }))
}

/// `GET /demo`: what the page's first-visit hint shows, `{partner_id, partner_name, referral, admin_id}` with
/// `loyalty demo`, `{}` on a bare emulator.
async fn demo(emulator: web::Data<Emulator>) -> HttpResponse {
    HttpResponse::Ok().json(emulator.demo())
}

/// `GET /file/{file_id}`: a photo a bot sent, with its content type; 404 once it is no longer kept.
async fn file(emulator: web::Data<Emulator>, path: web::Path<String>) -> HttpResponse {
    match emulator.photo(&path.into_inner()) {
        Some(photo) => HttpResponse::Ok()
            .content_type(photo.content_type)
            .insert_header(("cache-control", "max-age=86400"))
            .body(photo.bytes),
        None => HttpResponse::NotFound().finish(),
    }
}

#[derive(Debug, Deserialize)]
struct Throttle {
    bot: String,
    count: u32,
    retry_after: u32,
}

async fn throttle(emulator: web::Data<Emulator>, body: web::Json<Throttle>) -> HttpResponse {
    if emulator.throttle(&body.bot, body.count, body.retry_after) {
        HttpResponse::Ok().json(json!({ "ok": true }))
    } else {
        HttpResponse::BadRequest().json(json!({ "error": "no such bot" }))
    }
}
