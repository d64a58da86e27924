//! Transport hardening (issue 12): hostile or odd input from Telegram, webhook settings that would leave the bots
//! deaf, and shutdown. Raw updates are posted to the webhook route, as Telegram (or a forger who learnt nothing but
//! the update format) would post them.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::app::{TestApp, WEBHOOK_SECRET};
use crate::helpers::{db_url, eventually, fresh_database, redis_url, ru};
use fsm::text::ClientText;

const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;
const WAIT: Duration = Duration::from_secs(15);

fn user(id: i64, first_name: &str) -> Value {
    json!({ "id": id, "is_bot": false, "first_name": first_name, "language_code": "ru" })
}

fn private_chat(id: i64) -> Value {
    json!({ "id": id, "type": "private", "first_name": "Анна" })
}

fn message(update_id: i64, from: Value, chat: Value, content: Value) -> Value {
    let mut message =
        json!({ "message_id": update_id, "date": 1_700_000_000, "chat": chat, "from": from });
    if let (Some(m), Some(c)) = (message.as_object_mut(), content.as_object()) {
        m.extend(c.clone());
    }
    json!({ "update_id": update_id, "message": message })
}

fn button_press(update_id: i64, from: Value, chat: Value, data: &str) -> Value {
    json!({ "update_id": update_id, "callback_query": {
        "id": format!("cb{update_id}"), "from": from, "chat_instance": "ci", "data": data,
        "message": { "message_id": 1, "date": 1_700_000_000, "chat": chat, "text": "…" },
    }})
}

async fn metrics(app: &TestApp) -> String {
    let url = format!("{}/metrics", app.base);
    app.http
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[actix_rt::test]
async fn a_client_named_a_nul_b_is_registered_as_ab_and_the_next_users_still_get_replies() {
    let app = TestApp::spawn().await;
    let body =
        json!({ "bot": "client", "user_id": 5001, "first_name": "A\u{0}B", "text": "/start" });
    let url = format!("{}/sandbox/api/send", app.base);
    let sent = app.http.post(&url).json(&body).send().await.unwrap();
    assert!(sent.status().is_success());
    app.nth_text("client", 5001, 1).await;
    let name: String = eventually(WAIT, "the client's row", || async {
        let row = app
            .db
            .query_opt(
                "SELECT first_name FROM clients WHERE telegram_id = 5001",
                &[],
            )
            .await
            .unwrap();
        row.map(|r| r.get(0))
    })
    .await;
    assert_eq!(name, "AB");
    for next in [5002, 5003] {
        app.send("client", next, "/start").await;
        assert!(
            app.nth_text("client", next, 1)
                .await
                .starts_with(&ru(&ClientText::WelcomeNew {
                    bonus: fsm::Points::new(100).expect("points"),
                    partner: None,
                }))
        );
    }
}

#[actix_rt::test]
async fn messages_and_button_presses_forged_into_another_users_chat_change_nothing_there() {
    let app = TestApp::spawn().await;
    // A is a client waiting to share a number, and the demo partner is in the middle of an accrual.
    let a = 5101;
    app.send("client", a, "/start").await;
    app.nth_text("client", a, 1).await;
    app.send("partner", PARTNER, "/accrue").await;
    app.nth_text("partner", PARTNER, 1).await;
    let before = [
        app.session("client", a).await,
        app.session("partner", PARTNER).await,
    ];
    let transcripts = [
        app.chat("client", a).await.len(),
        app.chat("partner", PARTNER).await.len(),
    ];

    let mallory = user(5199, "Mallory");
    let forged_message = message(
        70_000_001,
        mallory.clone(),
        private_chat(a),
        json!({ "text": "/cancel" }),
    );
    let forged_press = button_press(
        70_000_002,
        mallory,
        private_chat(PARTNER),
        &fsm::callback::Callback::Language(fsm::Lang::En).encode(),
    );
    assert_eq!(
        app.webhook("client", &forged_message, Some(WEBHOOK_SECRET))
            .await,
        200
    );
    assert_eq!(
        app.webhook("partner", &forged_press, Some(WEBHOOK_SECRET))
            .await,
        200
    );

    // A later genuine update of A's is handled, so the forged ones had their chance to be handled before it.
    app.send("client", a, "/balance").await;
    app.nth_text("client", a, 2).await;
    let after = app.session("partner", PARTNER).await;
    assert_eq!(after, before[1], "the partner's dialogue is untouched");
    let (version, _) = app.session("client", a).await;
    assert_eq!(
        version,
        before[0].0.map(|v| v + 1),
        "only A's own /balance ran"
    );
    assert_eq!(app.chat("client", a).await.len(), transcripts[0] + 2);
    assert_eq!(app.chat("partner", PARTNER).await.len(), transcripts[1]);
    let body = metrics(&app).await;
    assert!(
        body.contains("loyalty_updates_ignored_total{reason=\"forged_chat\"} 2"),
        "{body}"
    );
}

#[actix_rt::test]
async fn a_language_button_pressed_in_a_group_gets_no_reply_and_opens_no_session() {
    let app = TestApp::spawn().await;
    let group = json!({ "id": -5_200, "type": "group", "title": "Кофеманы" });
    let press = button_press(
        70_000_101,
        user(5201, "Анна"),
        group,
        &fsm::callback::Callback::Language(fsm::Lang::En).encode(),
    );
    assert_eq!(
        app.webhook("client", &press, Some(WEBHOOK_SECRET)).await,
        200
    );
    let body = eventually(WAIT, "the ignored update in /metrics", || async {
        let body = metrics(&app).await;
        body.contains("loyalty_updates_ignored_total{reason=\"not_private\"} 1")
            .then_some(body)
    })
    .await;
    assert!(
        body.contains("loyalty_updates_total{outcome=\"processed\"} 0"),
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    for chat in [-5_200, 5201] {
        assert_eq!(
            app.session("client", chat).await,
            (None, None),
            "session of {chat}"
        );
        assert!(app.chat("client", chat).await.is_empty(), "reply in {chat}");
    }
}

#[actix_rt::test]
async fn own_contacts_telegram_sends_without_a_plus_are_saved_and_verified() {
    let app = TestApp::spawn().await;
    for (client, phone) in [
        (5301, "996555123456"),
        (5302, "380501234567"),
        (5303, "447911123456"),
    ] {
        app.send("client", client, "/start").await;
        app.nth_text("client", client, 1).await;
        app.share_contact("client", client, phone, client).await;
        let confirmed = app.nth_text("client", client, 2).await;
        assert_eq!(confirmed, ru(&ClientText::ContactSaved), "{phone}");
        let sql = format!(
            "SELECT count(*) FROM clients WHERE telegram_id = {client} AND phone = '+{phone}' AND phone_verified"
        );
        assert_eq!(app.count(&sql).await, 1, "{phone}");
    }
    // An own card with a number no country allocates is not called someone else's.
    app.send("client", 5304, "/start").await;
    app.nth_text("client", 5304, 1).await;
    app.share_contact("client", 5304, "12345", 5304).await;
    let answer = app.nth_text("client", 5304, 2).await;
    assert_eq!(answer, ru(&ClientText::PhoneUnreadable));
}

fn loyalty(database: &str, command: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loyalty"));
    cmd.arg(command)
        .env_remove("LOYALTY_CONFIG")
        .env("LOYALTY__DATABASE__URL", db_url(database))
        .env("LOYALTY__REDIS__URL", redis_url())
        .env("LOYALTY__HTTP__LISTEN", "127.0.0.1:0")
        .env(
            "LOYALTY__SESSIONS__REDIS_NAMESPACE",
            format!("test:{database}:"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits up to `limit` for the process to exit; kills it if it does not. The exit status, if it exited.
fn exits_within(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().ok();
    child.wait().ok();
    None
}

#[actix_rt::test]
async fn webhook_mode_with_a_short_secret_refuses_to_start_and_names_the_setting() {
    let database = fresh_database().await;
    let mut server = loyalty(&database, "serve")
        .env("LOYALTY__TELEGRAM__API_URL", "http://127.0.0.1:9/tg")
        .env("LOYALTY__TELEGRAM__CLIENT_TOKEN", "123:abc")
        .env("LOYALTY__TELEGRAM__MODE", "webhook")
        .env("LOYALTY__TELEGRAM__PUBLIC_URL", "https://bots.example.com")
        .env("LOYALTY__TELEGRAM__WEBHOOK_SECRET", "abc")
        .spawn()
        .expect("spawn loyalty serve");
    let status = exits_within(&mut server, Duration::from_secs(10));
    let mut stderr = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .ok();
    assert_eq!(status.and_then(|s| s.code()), Some(2), "{stderr}");
    assert!(stderr.contains("telegram.webhook_secret"), "{stderr}");
}

#[actix_rt::test]
async fn the_demo_exits_promptly_and_quietly_on_sigterm() {
    let database = fresh_database().await;
    // A file, not a pipe: nothing here reads stderr while the demo runs, and a full pipe would block its logging.
    let log_path = std::env::temp_dir().join(format!("loyalty-demo-{database}.log"));
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut demo = loyalty(&database, "demo")
        .env("LOYALTY__LOG__LEVEL", "info")
        .stderr(log)
        .spawn()
        .expect("spawn loyalty demo");
    // Stdout is read to its end on a thread of its own, so the demo never writes into a closed pipe.
    let stdout = BufReader::new(demo.stdout.take().unwrap());
    let (address, announced) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("open  ") {
                let _ = address.send(url.trim_end_matches("/sandbox").to_owned());
            }
        }
    });
    let base = announced
        .recv_timeout(WAIT)
        .expect("the demo prints its address");
    // A conversation first, so the pollers, the outbox and their connections are all in use.
    let http = reqwest::Client::new();
    let body = json!({ "bot": "client", "user_id": 5401, "text": "/start" });
    http.post(format!("{base}/sandbox/api/send"))
        .json(&body)
        .send()
        .await
        .unwrap();
    eventually(WAIT, "the demo's reply", || async {
        let url = format!("{base}/sandbox/api/chat?bot=client&user_id=5401");
        let chat: Vec<Value> = http.get(url).send().await.ok()?.json().await.ok()?;
        chat.iter().any(|m| m["from"] == "bot").then_some(())
    })
    .await;

    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &demo.id().to_string()])
        .status();
    assert!(kill.expect("kill").success());
    let status = exits_within(&mut demo, Duration::from_secs(10));
    let took = signalled.elapsed();
    println!("loyalty demo exited {took:?} after SIGTERM");
    let stderr = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    assert!(
        status.is_some_and(|s| s.success()),
        "exit {status:?} after {took:?}:\n{stderr}"
    );
    assert!(
        !stderr.contains("WARN") && !stderr.contains("ERROR"),
        "{stderr}"
    );
}
