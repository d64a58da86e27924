//! The HTTP surface: health and readiness for orchestrators (later also webhooks, the sandbox and the dashboard).

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::app::Services;

/// How long readiness waits for each dependency before calling it down.
const READY_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// Liveness: the process answers.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: Postgres and Redis both answer; 503 otherwise, naming which one is down (never the error text).
#[get("/readyz")]
async fn readyz(services: web::Data<Services>) -> HttpResponse {
    let pg_ok = tokio::time::timeout(READY_PROBE_TIMEOUT, async {
        let client = services.pg.get().await.ok()?;
        client.query_one("SELECT 1", &[]).await.ok()
    })
    .await
    .ok()
    .flatten()
    .is_some();
    let redis_ok = tokio::time::timeout(READY_PROBE_TIMEOUT, async {
        let mut conn = services.redis.get().await.ok()?;
        deadpool_redis::redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()
    })
    .await
    .ok()
    .flatten()
    .is_some();
    let body = json!({
        "postgres": if pg_ok { "ok" } else { "down" },
        "redis": if redis_ok { "ok" } else { "down" },
    });
    if pg_ok && redis_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
