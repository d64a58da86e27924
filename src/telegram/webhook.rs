//! Webhooks: `POST /webhook/{bot}`. The secret header is compared in constant time (`subtle`); a wrong or missing one is a 403
//! with no side effect. 200 only after the update is durably accepted (processed, failed permanently with an apology,
//! or parked as a dead letter after `telegram.update_attempts_max` transient failures over at least
//! `telegram.dead_letter_after_s`); 503 otherwise, so Telegram
//! delivers it again, and 503 at once while the process shuts down (another replica takes the redelivery).

use std::sync::{Arc, OnceLock};

use actix_web::{HttpRequest, HttpResponse, post, web};
use fsm::BotKind;
use subtle::ConstantTimeEq;
use teloxide_core::types::Update;

use super::ingress::Ingress;
use crate::config::Secret;

/// The engine as the HTTP routes see it (webhook, metrics); set once the engine is started, which happens
/// after the server is bound.
pub struct WebhookState {
    pub secret: Secret<String>,
    pub ingress: OnceLock<Arc<Ingress>>,
    pub outbox: OnceLock<Arc<crate::telegram::outbox::OutboxMetrics>>,
    pub registry: OnceLock<actix::Addr<actors::session::SessionRegistry>>,
    /// Set when the shutdown begins: no new update is taken (webhook and `/readyz` answer 503).
    pub shutting_down: std::sync::atomic::AtomicBool,
}

impl WebhookState {
    /// Whether the shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down
            .load(std::sync::atomic::Ordering::Acquire)
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(webhook);
}

#[post("/webhook/{bot}")]
async fn webhook(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<WebhookState>,
) -> HttpResponse {
    let Some(bot) = BotKind::parse(&path.into_inner()) else {
        return HttpResponse::NotFound().finish();
    };
    let expected = state.secret.expose().as_bytes();
    let given = req
        .headers()
        .get("X-Telegram-Bot-Api-Secret-Token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if expected.is_empty() || !bool::from(given.ct_eq(expected)) {
        return HttpResponse::Forbidden().finish();
    }
    let Ok(update) = serde_json::from_slice::<Update>(&body) else {
        return HttpResponse::BadRequest().body("not a Telegram update");
    };
    let Some(ingress) = state.ingress.get() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    if state.is_shutting_down() {
        return HttpResponse::ServiceUnavailable().finish();
    }
    match ingress.accept(bot, &update).await {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}
