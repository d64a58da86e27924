//! The HTTP surface for operators: health, readiness and metrics.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::app::Services;
use crate::telegram::webhook::WebhookState;

/// How long readiness waits for each dependency before calling it down.
const READY_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// Every figure in the OpenMetrics text format (`crate::metrics`). Bot figures appear once the bots run.
#[get("/metrics")]
async fn metrics(
    services: web::Data<Services>,
    bots: Option<web::Data<WebhookState>>,
) -> HttpResponse {
    let bots = bots.as_deref();
    let sessions_live = match bots.and_then(|b| b.registry.get()) {
        Some(registry) => registry.send(actors::session::SessionCount).await.ok(),
        None => None,
    };
    let body = crate::metrics::encode(&crate::metrics::Sources {
        ledger: &services.ledger_metrics,
        ingress: bots.and_then(|b| b.ingress.get()).map(|i| &**i),
        outbox: bots.and_then(|b| b.outbox.get()).map(|o| &**o),
        sessions_live,
    });
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(body)
}

/// Liveness: the process answers.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: Postgres and Redis both answer, no bot has an update waiting longer than
/// `telegram.stuck_update_max_s` to be accepted, and no more than `telegram.dead_letter_ready_max` updates are parked
/// as dead letters; 503 otherwise, naming what is down (never the error text), in `stuck_bots` (present only then)
/// each stuck bot with the age of its oldest waiting update in seconds, and in `dead_letters` (present only when over
/// the limit) their number and the limit. While the process shuts down it is 503 with `"shutting_down": true`.
#[get("/readyz")]
async fn readyz(
    services: web::Data<Services>,
    bots: Option<web::Data<WebhookState>>,
) -> HttpResponse {
    let pg_ok = tokio::time::timeout(READY_PROBE_TIMEOUT, async {
        let client = services.pg.get().await.ok()?;
        client.query_one("SELECT 1", &[]).await.ok()
    })
    .await
    .ok()
    .flatten()
    .is_some();
    // PING, and the number of dead letters (`actors::session::dead_letter`: one hash per network) in the same
    // round trip.
    let redis = tokio::time::timeout(READY_PROBE_TIMEOUT, async {
        let mut conn = services.redis.get().await.ok()?;
        deadpool_redis::redis::pipe()
            .cmd("PING")
            .ignore()
            .cmd("HLEN")
            .arg(actors::session::dead_letter::hash_key(
                &services.settings.sessions.redis_namespace,
            ))
            .query_async::<(u64,)>(&mut conn)
            .await
            .ok()
    })
    .await
    .ok()
    .flatten();
    let redis_ok = redis.is_some();
    let dead_letters = redis.map_or(0, |(n,)| n);
    let stuck_max = Duration::from_secs(services.settings.telegram.stuck_update_max_s);
    let stuck: Vec<serde_json::Value> = bots
        .as_ref()
        .and_then(|b| b.ingress.get())
        .map(|ingress| ingress.stuck_bots(stuck_max))
        .unwrap_or_default()
        .into_iter()
        .map(|(bot, age)| json!({ "bot": bot.as_str(), "oldest_update_age_s": age.as_secs() }))
        .collect();
    let mut body = json!({
        "postgres": if pg_ok { "ok" } else { "down" },
        "redis": if redis_ok { "ok" } else { "down" },
    });
    if !stuck.is_empty() {
        body["stuck_bots"] = json!(stuck);
    }
    let dead_letter_max = services.settings.telegram.dead_letter_ready_max;
    let too_many_dead = dead_letters > dead_letter_max;
    if too_many_dead {
        body["dead_letters"] = json!({ "parked": dead_letters, "limit": dead_letter_max });
    }
    let shutting_down = bots.as_ref().is_some_and(|b| b.is_shutting_down());
    if shutting_down {
        body["shutting_down"] = json!(true);
    }
    // A reader goes round at least every third of a lease (or every Redis retry); three leases without a round
    // means its stream's replies wait for nobody.
    let lease = Duration::from_millis(services.settings.telegram.outbox_lease_ms.max(30));
    let stalled = bots
        .as_ref()
        .and_then(|b| b.outbox.get())
        .map(|outbox| outbox.stalled_readers((lease * 3).max(Duration::from_secs(10))))
        .unwrap_or_default();
    if !stalled.is_empty() {
        body["stalled_outbox_readers"] = json!(stalled);
    }
    if pg_ok
        && redis_ok
        && stuck.is_empty()
        && stalled.is_empty()
        && !too_many_dead
        && !shutting_down
    {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
