//! The simulated users' side of the sandbox: send a message, press a button, share a contact, read a chat.
//! Used by the sandbox page, the tests and the load harness.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::Emulator;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/bots", web::get().to(bots))
        .route("/send", web::post().to(send))
        .route("/press", web::post().to(press))
        .route("/contact", web::post().to(contact))
        .route("/attachment", web::post().to(attachment))
        .route("/chat", web::get().to(chat))
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
    phone_number: String,
    /// Whose contact card it is; the user's own when absent.
    contact_user_id: Option<i64>,
}

async fn contact(emulator: web::Data<Emulator>, body: web::Json<Contact>) -> HttpResponse {
    let Contact {
        who,
        phone_number,
        contact_user_id,
    } = body.into_inner();
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
}

async fn chat(emulator: web::Data<Emulator>, q: web::Query<ChatQuery>) -> HttpResponse {
    HttpResponse::Ok().json(emulator.transcript(&q.bot, q.user_id))
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
