//! Observability of a real `loyalty serve` (issue 17): `/metrics` as Prometheus parses it moves by what the
//! dialogues did; JSON logs name the update and the chat and no secret; an update that fails for good reaches a
//! Sentry endpoint with its update id and without secrets or the user's phone; `/readyz` names too many dead letters.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::app::TestApp;
use crate::helpers::{connect, db_url, redis_url};
use crate::replicas::{PARTNER, Sandbox, seeded_database};

const WAIT: Duration = Duration::from_secs(20);
const WEBHOOK_SECRET: &str = "obs-webhook-secret-0123456789";
const DB_PASSWORD: &str = "obs-db-pass-31415";

/// A port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `loyalty serve` polling `sandbox` on `port`, stderr captured, with `extra` environment on top.
pub(crate) fn serve(
    sandbox: &Sandbox,
    database: &str,
    namespace: &str,
    port: u16,
    extra: &[(&str, String)],
) -> Child {
    // The password is not checked (trust), but it is in the URL, where it must stay.
    let url = db_url(database).replacen("loyalty@", &format!("loyalty:{DB_PASSWORD}@"), 1);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loyalty"));
    cmd.arg("serve")
        .env_remove("LOYALTY_CONFIG")
        .env_remove("SENTRY_DSN")
        .env("LOYALTY__DATABASE__URL", url)
        .env("LOYALTY__REDIS__URL", redis_url())
        .env("LOYALTY__HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("LOYALTY__HTTP__WORKERS", "1")
        .env("LOYALTY__LOG__LEVEL", "warn")
        .env("LOYALTY__SESSIONS__REDIS_NAMESPACE", namespace)
        .env("LOYALTY__TELEGRAM__API_URL", format!("{}/tg", sandbox.base))
        .env("LOYALTY__TELEGRAM__PARTNER_TOKEN", "sandbox-partner")
        .env("LOYALTY__TELEGRAM__CLIENT_TOKEN", "sandbox-client")
        .env("LOYALTY__TELEGRAM__WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("LOYALTY__TELEGRAM__POLL_TIMEOUT_S", "1")
        .env("LOYALTY__TELEGRAM__SENDS_PER_CHAT_PER_S", "100")
        .env("LOYALTY__TELEGRAM__SENDS_BURST_PER_CHAT", "100")
        .env("LOYALTY__TELEGRAM__UPDATES_PER_USER_PER_S", "1000")
        .env("LOYALTY__TELEGRAM__UPDATES_BURST_PER_USER", "1000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in extra {
        cmd.env(key, value);
    }
    cmd.spawn().expect("spawn loyalty serve")
}

/// Waits for `/readyz` of the process on `port` to answer 200.
pub(crate) async fn ready(port: u16) {
    let start = Instant::now();
    let http = reqwest::Client::new();
    loop {
        let answer = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await;
        if answer.is_ok_and(|a| a.status().is_success()) {
            return;
        }
        assert!(start.elapsed() < WAIT, "loyalty serve never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stops the process (SIGKILL) and returns everything it wrote to stderr.
fn stderr_of(mut child: Child) -> String {
    child.kill().ok();
    let out = child.wait_with_output().expect("reaped");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

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
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let port = free_port();
    let child = serve(&sandbox, &database, &namespace, port, &[]);
    ready(port).await;
    // The bots' figures appear once the bots run (the HTTP server answers a moment before).
    let start = Instant::now();
    let before = loop {
        let before = scrape(port).await;
        if before
            .samples
            .iter()
            .any(|s| s.metric == "loyalty_updates_total")
        {
            break before;
        }
        assert!(start.elapsed() < WAIT, "no bot figures");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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
    let scrape = loop {
        let scrape = scrape(port).await;
        if value(
            &scrape,
            "loyalty_outbox_messages_total",
            &[("result", "sent")],
        ) >= 6.0
        {
            break scrape;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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
    let _ = value(&scrape, "loyalty_outbox_stream_pending", &[]);
}

#[actix_rt::test]
async fn in_webhook_mode_metrics_report_the_updates_telegram_holds_per_bot() {
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let port = free_port();
    let child = serve(
        &sandbox,
        &database,
        &namespace,
        port,
        &[
            ("LOYALTY__TELEGRAM__MODE", "webhook".into()),
            (
                "LOYALTY__TELEGRAM__PUBLIC_URL",
                format!("http://127.0.0.1:{port}"),
            ),
        ],
    );
    ready(port).await;
    let start = Instant::now();
    let scrape = loop {
        let scrape = scrape(port).await;
        let reported = |bot: &str| {
            scrape.samples.iter().any(|s| {
                s.metric == "loyalty_webhook_pending_updates" && s.labels.get("bot") == Some(bot)
            })
        };
        if reported("partner") && reported("client") {
            break scrape;
        }
        assert!(start.elapsed() < WAIT, "no getWebhookInfo figures");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let port = free_port();
    let child = serve(
        &sandbox,
        &database,
        &namespace,
        port,
        &[
            ("LOYALTY__LOG__FORMAT", "json".into()),
            ("LOYALTY__LOG__LEVEL", "info,loyalty=debug".into()),
        ],
    );
    ready(port).await;
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

/// A Sentry endpoint on loopback: records the body of every envelope posted to `/api/{project}/envelope/`.
async fn sentry_recorder() -> (u16, Arc<Mutex<Vec<String>>>) {
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let data = actix_web::web::Data::new(received.clone());
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().app_data(data.clone()).route(
            "/api/{project}/envelope/",
            actix_web::web::post().to(
                |body: actix_web::web::Bytes,
                 seen: actix_web::web::Data<Arc<Mutex<Vec<String>>>>| async move {
                    seen.lock()
                        .expect("lock")
                        .push(String::from_utf8_lossy(&body).into_owned());
                    actix_web::HttpResponse::Ok().json(json!({}))
                },
            ),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind");
    let port = server.addrs()[0].port();
    actix_rt::spawn(server.run());
    (port, received)
}

#[actix_rt::test]
async fn an_update_that_fails_for_good_reaches_sentry_with_its_id_and_without_secrets_or_phone() {
    let (sentry_port, received) = sentry_recorder().await;
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let port = free_port();
    let child = serve(
        &sandbox,
        &database,
        &namespace,
        port,
        &[(
            "SENTRY_DSN",
            format!("http://abc123public@127.0.0.1:{sentry_port}/42"),
        )],
    );
    ready(port).await;
    let client = 7201;
    sandbox.send("client", client, "/start");
    sandbox.bot_messages("client", client, 1).await;
    // Saving this phone breaks a rule of the test database: the update fails for good, and the error's text (the
    // failing row) holds the phone.
    let phone = "+79990001122";
    connect(&db_url(&database))
        .await
        .batch_execute(&format!(
            "ALTER TABLE clients ADD CONSTRAINT test_poison_phone CHECK (phone IS DISTINCT FROM '{phone}')"
        ))
        .await
        .expect("constraint");
    let update_id = sandbox
        .emulator
        .user_update(
            "client",
            client,
            "Анна",
            "ru",
            json!({ "contact": { "phone_number": phone, "first_name": "Анна", "user_id": client } }),
        )
        .expect("queued");
    let start = Instant::now();
    let needle = format!("\"update_id\":{update_id}");
    let event = loop {
        let found = received
            .lock()
            .expect("lock")
            .iter()
            .find(|body| body.contains(&needle))
            .cloned();
        if let Some(event) = found {
            break event;
        }
        if start.elapsed() > WAIT {
            let stderr = stderr_of(child);
            panic!(
                "no Sentry event names update {update_id}: {:?}\n{stderr}",
                received.lock()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stderr = stderr_of(child);
    assert!(event.contains("failed permanently"), "{event}");
    for secret in [
        "sandbox-partner",
        "sandbox-client",
        WEBHOOK_SECRET,
        DB_PASSWORD,
        "79990001122",
    ] {
        assert!(!event.contains(secret), "{secret} sent to Sentry: {event}");
    }
    // The log keeps the cause for the operator (only Sentry's copy is scrubbed of the phone).
    assert!(stderr.contains("failed permanently"), "{stderr}");
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
