//! Observability of a real `loyalty serve` (issue 17): `/metrics` as Prometheus parses it moves by what the
//! dialogues did (and, in webhook mode, reports what Telegram holds); JSON logs name the update and the chat and no
//! secret; `/readyz` names too many dead letters. Error reports: `error_reports.rs`.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::app::TestApp;
use crate::helpers::eventually;
use crate::replicas::PARTNER;
use crate::serving::{DB_PASSWORD, Served, WAIT, WEBHOOK_SECRET, stderr_of};

/// The exposition of `/metrics`, parsed by `prometheus-parse`.
async fn scrape(port: u16) -> prometheus_parse::Scrape {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("parses")
}

/// Scrapes `/metrics` until `done` holds for a scrape, and returns that one; fails the test (naming `what`) after
/// `WAIT`.
async fn scrape_until(
    port: u16,
    what: &str,
    done: impl Fn(&prometheus_parse::Scrape) -> bool,
) -> prometheus_parse::Scrape {
    let done = &done;
    eventually(WAIT, what, || async move {
        let scrape = scrape(port).await;
        done(&scrape).then_some(scrape)
    })
    .await
}

/// The value of the sample `name` whose labels include every pair of `labels`.
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    use prometheus_parse::Value as V;
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .unwrap_or_else(|| panic!("no sample {name} {labels:?}"));
    match &sample.value {
        V::Counter(v) | V::Gauge(v) | V::Untyped(v) => *v,
        V::Histogram(buckets) => buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .map_or(0.0, |b| b.count),
        V::Summary(_) => panic!("{name} is a summary"),
    }
}

#[actix_rt::test]
async fn metrics_of_a_serving_process_count_what_its_dialogues_did() {
    let Served {
        sandbox,
        port,
        server: child,
        ..
    } = Served::start(|_| vec![]).await;
    // The bots' figures appear once the bots run (the HTTP server answers a moment before).
    let before = scrape_until(port, "no bot figures", |scrape| {
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "loyalty_updates_total")
    })
    .await;
    assert_eq!(
        value(
            &before,
            "loyalty_updates_total",
            &[("outcome", "processed")]
        ),
        0.0
    );

    // The partner: one accrual dialogue, cancelled (4 updates). Two new clients: a welcome bonus each (the ledger).
    for text in ["/accrue", "+79991234567", "1000", "/cancel"] {
        sandbox.send("partner", PARTNER, text);
    }
    sandbox.bot_messages("partner", PARTNER, 4).await;
    for client in [7101, 7102] {
        sandbox.send("client", client, "/start");
        sandbox.bot_messages("client", client, 1).await;
    }
    let scrape = scrape_until(port, "six messages sent", |scrape| {
        value(
            scrape,
            "loyalty_outbox_messages_total",
            &[("result", "sent")],
        ) >= 6.0
    })
    .await;
    // Each of the partner bot's eight outbox streams by its group, emptied once every reply was acknowledged (the
    // figures are read on the reader's lease renewals, so they may lag the dialogue by a few seconds).
    let drained = |scrape: &prometheus_parse::Scrape, metric: &str| {
        let groups: std::collections::BTreeSet<&str> = scrape
            .samples
            .iter()
            .filter(|s| s.metric == metric && s.labels.get("bot") == Some("partner"))
            .filter(|s| matches!(s.value, prometheus_parse::Value::Gauge(v) if v == 0.0))
            .filter_map(|s| s.labels.get("group"))
            .collect();
        groups
            == ["0", "1", "2", "3", "4", "5", "6", "7"]
                .into_iter()
                .collect()
    };
    scrape_until(
        port,
        "the partner bot's 8 outbox streams, drained",
        |scrape| {
            drained(scrape, "loyalty_outbox_stream_entries")
                && drained(scrape, "loyalty_outbox_stream_pending")
        },
    )
    .await;
    let stderr = stderr_of(child);
    let processed = |bot| {
        value(
            &scrape,
            "loyalty_bot_updates_total",
            &[("bot", bot), ("outcome", "processed")],
        )
    };
    assert_eq!(
        value(
            &scrape,
            "loyalty_updates_total",
            &[("outcome", "processed")]
        ),
        6.0,
        "{stderr}"
    );
    assert_eq!(processed("partner"), 4.0);
    assert_eq!(processed("client"), 2.0);
    assert_eq!(
        value(
            &scrape,
            "loyalty_bot_updates_received_total",
            &[("bot", "partner")]
        ),
        4.0
    );
    // Every processed update is in the step-latency histogram of its bot.
    assert_eq!(
        value(&scrape, "loyalty_step_latency_ms", &[("bot", "partner")]),
        4.0
    );
    assert_eq!(
        value(&scrape, "loyalty_step_latency_ms", &[("bot", "client")]),
        2.0
    );
    assert!(value(&scrape, "loyalty_ledger_commands_total", &[]) >= 2.0);
    assert!(value(&scrape, "loyalty_ledger_batch_size", &[]) >= 1.0);
    assert!(value(&scrape, "loyalty_ledger_transaction_latency_ms", &[]) >= 1.0);
    assert!(value(&scrape, "loyalty_sessions_live", &[]) >= 1.0);
    assert_eq!(
        value(
            &scrape,
            "loyalty_redis_errors_total",
            &[("component", "sessions")]
        ),
        0.0
    );
    assert_eq!(
        value(
            &scrape,
            "loyalty_postgres_errors_total",
            &[("component", "ledger")]
        ),
        0.0
    );
    assert_eq!(
        value(&scrape, "loyalty_outbox_retry_after_waits_total", &[]),
        0.0
    );
}

#[actix_rt::test]
async fn in_webhook_mode_metrics_report_the_updates_telegram_holds_per_bot() {
    let Served {
        sandbox,
        port,
        server: child,
        ..
    } = Served::start(|port| {
        vec![
            ("LOYALTY__TELEGRAM__MODE", "webhook".into()),
            (
                "LOYALTY__TELEGRAM__PUBLIC_URL",
                format!("http://127.0.0.1:{port}"),
            ),
        ]
    })
    .await;
    let scrape = scrape_until(port, "no getWebhookInfo figures", |scrape| {
        let reported = |bot: &str| {
            scrape.samples.iter().any(|s| {
                s.metric == "loyalty_webhook_pending_updates" && s.labels.get("bot") == Some(bot)
            })
        };
        reported("partner") && reported("client")
    })
    .await;
    stderr_of(child);
    assert_eq!(
        value(
            &scrape,
            "loyalty_webhook_pending_updates",
            &[("bot", "client")]
        ),
        0.0
    );
    assert!(sandbox.emulator.calls("client", "getWebhookInfo") >= 1);
}

/// Every string and number anywhere in `value`, flattened as `key=value` pairs.
fn fields(value: &Value, out: &mut HashMap<String, String>) {
    if let Value::Object(map) = value {
        for (key, v) in map {
            match v {
                Value::Object(_) => fields(v, out),
                Value::String(s) => {
                    out.insert(key.clone(), s.clone());
                }
                other => {
                    out.insert(key.clone(), other.to_string());
                }
            }
        }
    }
}

#[actix_rt::test]
async fn json_logs_name_the_update_and_the_chat_and_never_a_secret() {
    let Served {
        sandbox,
        server: child,
        ..
    } = Served::start(|_| {
        vec![
            ("LOYALTY__LOG__FORMAT", "json".into()),
            ("LOYALTY__LOG__LEVEL", "info,loyalty=debug".into()),
        ]
    })
    .await;
    let update_id = sandbox
        .emulator
        .user_update(
            "partner",
            PARTNER,
            "Анна",
            "ru",
            json!({ "text": "/accrue" }),
        )
        .expect("queued");
    sandbox.bot_messages("partner", PARTNER, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stderr = stderr_of(child);
    let mut named = false;
    for line in stderr.lines() {
        let json: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        let mut f = HashMap::new();
        fields(&json, &mut f);
        assert!(
            f.contains_key("level") && f.contains_key("timestamp"),
            "{line}"
        );
        if f.get("update_id") == Some(&update_id.to_string())
            && f.get("chat_id") == Some(&PARTNER.to_string())
        {
            named = true;
        }
    }
    assert!(
        named,
        "no line names update {update_id} in chat {PARTNER}:\n{stderr}"
    );
    for secret in [
        "sandbox-partner",
        "sandbox-client",
        WEBHOOK_SECRET,
        DB_PASSWORD,
    ] {
        assert!(!stderr.contains(secret), "{secret} was logged:\n{stderr}");
    }
}

#[actix_rt::test]
async fn readyz_names_dead_letters_above_the_limit() {
    let app = TestApp::spawn_with(|s| s.telegram.dead_letter_ready_max = 1).await;
    let readyz = || async {
        let answer = app
            .http
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .expect("readyz");
        let status = answer.status().as_u16();
        (status, answer.json::<Value>().await.expect("json"))
    };
    assert_eq!(readyz().await.0, 200);
    let key = actors::session::dead_letter::hash_key(&app.settings.sessions.redis_namespace);
    let mut redis = app.redis().await;
    for field in ["client:1", "client:2"] {
        let _: i64 = deadpool_redis::redis::cmd("HSET")
            .arg(&key)
            .arg(field)
            .arg("{}")
            .query_async(&mut redis)
            .await
            .expect("HSET");
    }
    let (status, body) = readyz().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["dead_letters"], json!({ "parked": 2, "limit": 1 }));
    assert_eq!(body["postgres"], "ok");
    assert_eq!(body["redis"], "ok");
    let _: i64 = deadpool_redis::redis::cmd("HDEL")
        .arg(&key)
        .arg("client:2")
        .query_async(&mut redis)
        .await
        .expect("HDEL");
    let (status, body) = readyz().await;
    assert_eq!(status, 200, "at the limit is still ready: {body}");
    assert!(body.get("dead_letters").is_none());
}
