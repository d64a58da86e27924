//! Error reports (issue 17): an update that fails for good, and a panic, reach a Sentry endpoint (a recorder on
//! loopback) with what identifies them (the update id, the panic's message), and without the bot tokens, the webhook
//! secret, the database password or the user's phone.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{connect, db_url};
use crate::serving::{DB_PASSWORD, Served, WAIT, WEBHOOK_SECRET, stderr_of};

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
    let Served {
        sandbox,
        database,
        server: child,
        ..
    } = Served::start(|_| {
        vec![(
            "SENTRY_DSN",
            format!("http://abc123public@127.0.0.1:{sentry_port}/42"),
        )]
    })
    .await;
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

/// A panic anywhere in the process (here a worker thread's) reaches Sentry with its message, scrubbed of the
/// configured secrets and of phone numbers, through `telemetry::init` as `loyalty serve` calls it.
#[actix_rt::test]
async fn a_panic_reaches_sentry_with_its_message_and_without_secrets_or_phone() {
    let (sentry_port, received) = sentry_recorder().await;
    let mut settings = loyalty::config::Settings::default();
    settings.sentry.dsn =
        loyalty::config::Secret::new(format!("http://abc123public@127.0.0.1:{sentry_port}/42"));
    settings.telegram.partner_token =
        loyalty::config::Secret::new("4242:partner-token-secret".into());
    settings.log.level = "error".into();
    let guard = loyalty::telemetry::init(&settings).expect("Sentry starts with a DSN");
    let panicked = std::thread::spawn(|| {
        panic!(
            "test panic: token 4242:partner-token-secret, phone +7 999 000-11-22 (the marker 91c5)"
        )
    })
    .join();
    assert!(panicked.is_err(), "the thread panicked");
    let event = crate::helpers::eventually(WAIT, "the panic reported to Sentry", || {
        let received = received.clone();
        async move {
            received
                .lock()
                .expect("lock")
                .iter()
                .find(|body| body.contains("marker 91c5"))
                .cloned()
        }
    })
    .await;
    drop(guard);
    assert!(event.contains("test panic"), "{event}");
    for secret in ["partner-token-secret", "9990001122", "999 000-11-22"] {
        assert!(!event.contains(secret), "{secret} sent to Sentry: {event}");
    }
}
