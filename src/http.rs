//! The HTTP surface for operators: health, readiness and metrics.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::app::Services;
use crate::telegram::convert::Ignored;
use crate::telegram::webhook::WebhookState;

/// How long readiness waits for each dependency before calling it down.
const READY_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// Counters and gauges in the Prometheus text format. Bot figures appear once the bots run.
#[get("/metrics")]
async fn metrics(
    services: web::Data<Services>,
    bots: Option<web::Data<WebhookState>>,
) -> HttpResponse {
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let mut out = String::new();
    let mut line = |name: &str, help: &str, kind: &str, samples: &[(&str, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let l = &services.ledger_metrics;
    line(
        "loyalty_ledger_commands_total",
        "Ledger commands committed.",
        "counter",
        &[("", l.commands.load(Relaxed))],
    );
    line(
        "loyalty_ledger_transactions_total",
        "Ledger transactions committed.",
        "counter",
        &[("", l.transactions.load(Relaxed))],
    );
    line(
        "loyalty_ledger_retries_total",
        "Ledger transactions retried.",
        "counter",
        &[("", l.retries.load(Relaxed))],
    );
    line(
        "loyalty_ledger_overloaded_total",
        "Ledger commands refused, queue full.",
        "counter",
        &[("", l.overloaded.load(Relaxed))],
    );
    if let Some(bots) = bots {
        if let Some(ingress) = bots.ingress.get() {
            let m = &ingress.metrics;
            line(
                "loyalty_updates_total",
                "Incoming updates by outcome.",
                "counter",
                &[
                    ("{outcome=\"processed\"}", m.processed.load(Relaxed)),
                    ("{outcome=\"duplicate\"}", m.duplicates.load(Relaxed)),
                    (
                        "{outcome=\"rate_limited\"}",
                        m.dropped_rate_limited.load(Relaxed),
                    ),
                    (
                        "{outcome=\"ignored\"}",
                        Ignored::ALL.iter().map(|&r| m.ignored(r)).sum(),
                    ),
                    ("{outcome=\"unavailable\"}", m.unavailable.load(Relaxed)),
                    (
                        "{outcome=\"failed_permanent\"}",
                        m.failed_permanent.load(Relaxed),
                    ),
                    ("{outcome=\"dead_lettered\"}", m.dead_lettered.load(Relaxed)),
                ],
            );
            let by_reason: Vec<(String, u64)> = Ignored::ALL
                .iter()
                .map(|&r| (format!("{{reason=\"{}\"}}", r.as_str()), m.ignored(r)))
                .collect();
            let by_reason: Vec<(&str, u64)> =
                by_reason.iter().map(|(l, v)| (l.as_str(), *v)).collect();
            line(
                "loyalty_updates_ignored_total",
                "Updates acknowledged and not processed, by reason.",
                "counter",
                &by_reason,
            );
            line(
                "loyalty_shared_limit_unavailable_total",
                "Rate-limit checks that found Redis unavailable and let the local limit decide.",
                "counter",
                &[("", ingress.shared_limit_unavailable())],
            );
            line(
                "loyalty_rate_limiter_keys",
                "Users tracked by the rate limiters.",
                "gauge",
                &[("", ingress.limiter_keys() as u64)],
            );
        }
        if let Some(o) = bots.outbox.get() {
            line(
                "loyalty_outbox_queue_depth",
                "Messages waiting to be sent.",
                "gauge",
                &[("", o.depth())],
            );
            line(
                "loyalty_outbox_messages_total",
                "Outgoing messages by result.",
                "counter",
                &[
                    ("{result=\"sent\"}", o.sent.load(Relaxed)),
                    ("{result=\"failed\"}", o.failed.load(Relaxed)),
                    (
                        "{result=\"dropped_queue_full\"}",
                        o.dropped_queue_full.load(Relaxed),
                    ),
                ],
            );
            line(
                "loyalty_outbox_retry_after_waits_total",
                "429 retry_after waits.",
                "counter",
                &[("", o.retry_after_waits.load(Relaxed))],
            );
            line(
                "loyalty_outbox_claimed_total",
                "Stream entries taken over from another (dead or previous) consumer.",
                "counter",
                &[("", o.claimed.load(Relaxed))],
            );
            line(
                "loyalty_outbox_task_restarts_total",
                "Outbox tasks (stream readers, lease keepers, acknowledgers) that panicked and were started again.",
                "counter",
                &[("", o.restarts.load(Relaxed))],
            );
            line(
                "loyalty_outbox_refused_total",
                "Messages Telegram refused for good (blocked, chat not found): recorded, not retried.",
                "counter",
                &[("", o.refused.load(Relaxed))],
            );
            let (length, pending) = o.streams.lock().map_or((0, 0), |streams| {
                streams
                    .values()
                    .fold((0, 0), |(l, p), (sl, sp)| (l + sl, p + sp))
            });
            line(
                "loyalty_outbox_stream_entries",
                "Replies in the outbox streams (committed, not yet acknowledged), as last seen.",
                "gauge",
                &[("", length)],
            );
            line(
                "loyalty_outbox_stream_pending",
                "Stream entries read by a consumer and not yet acknowledged, as last seen.",
                "gauge",
                &[("", pending)],
            );
        }
        if let Some(registry) = bots.registry.get()
            && let Ok(live) = registry.send(actors::session::SessionCount).await
        {
            line(
                "loyalty_sessions_live",
                "Session actors alive.",
                "gauge",
                &[("", live as u64)],
            );
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}

/// Liveness: the process answers.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: Postgres and Redis both answer and no bot has an update waiting longer than
/// `telegram.stuck_update_max_s` to be accepted; 503 otherwise, naming what is down (never the error text) and, in
/// `stuck_bots` (present only then), each stuck bot with the age of its oldest waiting update in seconds.
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
    if pg_ok && redis_ok && stuck.is_empty() && stalled.is_empty() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
