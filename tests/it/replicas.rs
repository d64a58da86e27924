//! The product as separate OS processes (`loyalty serve`) around one sandbox hosted by the test: killed mid-dialogue,
//! two replicas on one chat, Redis going away under a webhook.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fsm::text::{ClientText, PartnerText};
use fsm::{CashbackRate, Kopecks, Points};
use loyalty::sandbox::Emulator;
use serde_json::Value;

use crate::app::{TestApp, WEBHOOK_SECRET, test_settings, text_update};
use crate::helpers::{connect, db_url, fresh_database, ru};
use crate::serving::{Serve, Server, free_port};

/// The seeded client's phone as a partner sees it.
const MASKED: &str = "+7 *** **4567";

/// The partner's confirmation screen for the seeded client's 1000 ₽ receipt at the default 5 %.
fn confirm_1000() -> String {
    ru(&PartnerText::ConfirmAccrual {
        client: MASKED,
        amount: Kopecks::new(100_000).expect("positive"),
        points: Points::new(50).expect("positive"),
    })
}

/// The partner's amount step for the seeded client (no points yet).
fn ask_amount() -> String {
    ru(&PartnerText::AskAmount {
        client: MASKED,
        balance: 0,
        rate: CashbackRate::DEFAULT,
    })
}

pub(crate) const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;
const ANSWER_WAIT: Duration = Duration::from_secs(20);

/// A sandbox (Bot API emulator only) served by the test process.
pub(crate) struct Sandbox {
    pub(crate) emulator: Emulator,
    pub(crate) base: String,
}

impl Sandbox {
    pub(crate) fn start() -> Sandbox {
        let emulator = Emulator::new();
        for (i, kind) in fsm::BotKind::ALL.iter().enumerate() {
            emulator.add_bot(
                kind.as_str(),
                &format!("sandbox-{}", kind.as_str()),
                9_000 + i as i64,
            );
        }
        let data = actix_web::web::Data::new(emulator.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .configure(loyalty::sandbox::configure)
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind sandbox");
        let base = format!("http://{}", server.addrs()[0]);
        actix_rt::spawn(server.run());
        actix_rt::spawn(emulator.clone().run_webhook_deliverer());
        Sandbox { emulator, base }
    }

    pub(crate) fn send(&self, bot: &str, user: i64, text: &str) {
        self.emulator
            .user_update(bot, user, "Анна", "ru", serde_json::json!({ "text": text }))
            .expect("queued");
    }

    /// The bot's messages to a user once there are at least `n`.
    pub(crate) async fn bot_messages(&self, bot: &str, user: i64, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let msgs: Vec<String> = self
                .emulator
                .transcript(bot, user)
                .into_iter()
                .filter(|e| e.from == "bot")
                .map(|e| e.text)
                .collect();
            if msgs.len() >= n {
                return msgs;
            }
            assert!(
                start.elapsed() < ANSWER_WAIT,
                "{bot} bot sent {} of {n} messages: {msgs:#?}",
                msgs.len()
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
}

/// `loyalty serve` polling the sandbox, on `database`, with the Redis namespace `namespace`.
fn replica(sandbox: &Sandbox, database: &str, namespace: &str) -> Server {
    Serve::new(sandbox, database)
        .shared_redis(namespace)
        .polling(&["partner", "client"])
        .sends_unthrottled()
        .bursts()
        .spawn()
}

/// A database with the demo partner and one client who has a verified phone.
pub(crate) async fn seeded_database() -> String {
    let database = fresh_database().await;
    let db = connect(&db_url(&database)).await;
    actors::db::partners::upsert_approved_partner(&db, PARTNER, "Кофейня", 500)
        .await
        .expect("partner");
    db.batch_execute(
        "INSERT INTO clients (telegram_id, phone, phone_verified, member_code, registered_via)
         VALUES (2001, '+79991234567', true, 'K7M2QX', 'bot')",
    )
    .await
    .expect("client");
    database
}

async fn session_version(
    database: &str,
    namespace: &str,
    bot: &str,
    chat: i64,
) -> (Option<u64>, Option<String>) {
    let mut settings = test_settings(database);
    settings.sessions.redis_namespace = namespace.to_owned();
    let pool = loyalty::db::redis_pool(&settings.redis).expect("pool");
    let mut conn = pool.get().await.expect("redis");
    deadpool_redis::redis::cmd("HMGET")
        .arg(
            actors::session::store::Keys {
                namespace,
                groups: settings.telegram.outbox_streams(),
            }
            .state(fsm::BotKind::parse(bot).expect("a bot"), chat),
        )
        .arg("v")
        .arg("s")
        .query_async(&mut conn)
        .await
        .expect("HMGET")
}

/// Waits until the partner chat's outbox stream has no entry read and not acknowledged.
async fn nothing_pending(namespace: &str) {
    let client = redis::Client::open(crate::helpers::redis_url()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let group = actors::session::store::chat_group(PARTNER, 8);
    let key = actors::session::store::outbox_stream_key(namespace, fsm::BotKind::Partner, group);
    let start = Instant::now();
    loop {
        let summary: Vec<redis::Value> = redis::cmd("XPENDING")
            .arg(&key)
            .arg("outbox")
            .query_async(&mut conn)
            .await
            .expect("XPENDING");
        let pending = summary
            .first()
            .and_then(|v| redis::from_redis_value_ref::<u64>(v).ok());
        if pending == Some(0) {
            return;
        }
        assert!(
            start.elapsed() < ANSWER_WAIT,
            "replies still pending: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[actix_rt::test]
async fn a_dialogue_half_way_through_survives_sigkill_and_continues_after_restart() {
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let mut first = replica(&sandbox, &database, &namespace);
    sandbox.send("partner", PARTNER, "/accrue");
    sandbox.bot_messages("partner", PARTNER, 1).await;
    sandbox.send("partner", PARTNER, "+7 999 123-45-67");
    assert_eq!(
        sandbox.bot_messages("partner", PARTNER, 2).await[1],
        ask_amount()
    );
    // Killed once that reply is acknowledged: what is under test is the dialogue's state, not the outbox's
    // at-least-once window between Telegram's answer and the acknowledgement (tests/it/durable.rs).
    nothing_pending(&namespace).await;
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");

    let mut second = replica(&sandbox, &database, &namespace);
    sandbox.send("partner", PARTNER, "1000");
    let confirm = sandbox.bot_messages("partner", PARTNER, 3).await[2].clone();
    second.stop();
    assert_eq!(confirm, confirm_1000(), "the amount step continued");
}

#[actix_rt::test]
async fn two_replicas_on_interleaved_updates_of_one_chat_lose_no_transition() {
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let mut a = replica(&sandbox, &database, &namespace);
    let mut b = replica(&sandbox, &database, &namespace);
    // Both replicas poll the same bot, so both see every update: each must be applied exactly once, in order.
    let round = ["/accrue", "+79991234567", "1000", "/cancel"];
    let rounds = 5;
    for _ in 0..rounds {
        for text in round {
            sandbox.send("partner", PARTNER, text);
        }
    }
    let replies = sandbox
        .bot_messages("partner", PARTNER, rounds * round.len())
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let replies_after = sandbox.bot_messages("partner", PARTNER, 0).await;
    a.stop();
    b.stop();
    assert_eq!(
        replies_after.len(),
        rounds * round.len(),
        "one reply per update, none twice: {replies_after:#?}"
    );
    // Every step's reply, once, and in order: the replies go into the chat's outbox stream with the transitions,
    // and one replica at a time sends a stream.
    for expected in [
        ru(&PartnerText::AskClient),
        ask_amount(),
        confirm_1000(),
        ru(&PartnerText::Menu {
            company: "Кофейня"
        }),
    ] {
        let count = replies.iter().filter(|r| **r == expected).count();
        assert_eq!(
            count, rounds,
            "{rounds} replies should contain {expected:?}: {replies:#?}"
        );
    }
    let expected: Vec<String> = [
        ru(&PartnerText::AskClient),
        ask_amount(),
        confirm_1000(),
        ru(&PartnerText::Menu {
            company: "Кофейня"
        }),
    ]
    .into_iter()
    .cycle()
    .take(rounds * round.len())
    .collect();
    assert_eq!(replies, expected, "the replies in the order of the steps");
    let (version, state) = session_version(&database, &namespace, "partner", PARTNER).await;
    assert_eq!(
        version,
        Some((rounds * round.len()) as u64),
        "one stored transition per update"
    );
    assert_eq!(state.as_deref(), Some(r#"{"dialogue":"Menu"}"#));
}

#[actix_rt::test]
async fn in_webhook_mode_the_bots_register_their_webhook_and_serve_what_telegram_posts() {
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let port = free_port();
    let mut server = Serve::new(&sandbox, &database)
        .shared_redis(&format!("test:{database}:"))
        .listen(port)
        .env("LOYALTY__TELEGRAM__CLIENT_TOKEN", "sandbox-client")
        .env("LOYALTY__TELEGRAM__MODE", "webhook")
        .env(
            "LOYALTY__TELEGRAM__PUBLIC_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .env("LOYALTY__TELEGRAM__WEBHOOK_SECRET", WEBHOOK_SECRET)
        .spawn();
    sandbox.send("client", 4001, "/start");
    let reply = sandbox.bot_messages("client", 4001, 1).await;
    server.stop();
    let welcome = ru(&ClientText::WelcomeNew {
        bonus: Points::new(100).expect("positive"),
        partner: None,
    });
    assert!(reply[0].starts_with(&welcome), "{reply:?}");
    assert!(sandbox.emulator.calls("client", "setWebhook") >= 1);
    assert_eq!(
        sandbox.emulator.calls("client", "getUpdates"),
        0,
        "webhook mode does not poll"
    );
    // Telegram may post 100 updates at once (the most it allows; its default of 40 would queue a busy bot).
    let info: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/tg/botsandbox-client/getWebhookInfo",
            sandbox.base
        ))
        .send()
        .await
        .expect("getWebhookInfo")
        .json()
        .await
        .expect("json");
    assert_eq!(info["result"]["max_connections"], 100, "{info}");
    assert_eq!(
        info["result"]["url"],
        format!("http://127.0.0.1:{port}/webhook/client")
    );
}

/// A Redis of the test's own, so stopping it disturbs no other test.
pub(crate) struct OwnRedis {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl OwnRedis {
    pub(crate) fn start(port: u16, dir: std::path::PathBuf) -> OwnRedis {
        std::fs::create_dir_all(&dir).expect("redis dir");
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (install redis-server, or run `make test`)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        OwnRedis {
            port,
            dir,
            child: Some(child),
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    pub(crate) fn restart(&mut self) {
        self.stop();
        *self = OwnRedis::start(self.port, self.dir.clone());
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[actix_rt::test]
async fn with_redis_down_the_webhook_answers_5xx_and_the_redelivery_is_processed_exactly_once() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("loyalty-redis-{}-{port}", std::process::id()));
    let mut redis = OwnRedis::start(port, dir);
    let app = TestApp::spawn_with(|s| {
        s.redis.url = loyalty::config::Secret::new(format!("redis://127.0.0.1:{port}"));
        // A tight limit: redeliveries of one update must not use up its sender's allowance (charged once).
        s.telegram.updates_per_user_per_s = 1;
        s.telegram.updates_burst_per_user = 2;
    })
    .await;
    let user = 3011;
    assert_eq!(
        app.webhook(
            "client",
            &text_update(80_000_001, 3010, "/start"),
            Some(WEBHOOK_SECRET)
        )
        .await,
        200
    );

    redis.stop();
    let update: Value = text_update(80_000_002, user, "/start");
    for _ in 0..5 {
        assert!(
            app.webhook("client", &update, Some(WEBHOOK_SECRET)).await >= 500,
            "not acknowledged while Redis is down (nor dropped by the rate limit as if it were a flood)"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM clients").await,
        1,
        "nothing written for the refused update"
    );

    redis.restart();
    let started = Instant::now();
    // Telegram keeps redelivering; the pool reconnects within a few attempts.
    loop {
        let status = app.webhook("client", &update, Some(WEBHOOK_SECRET)).await;
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < ANSWER_WAIT,
            "still {status} after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.webhook("client", &update, Some(WEBHOOK_SECRET)).await,
        200
    );
    assert_eq!(app.count("SELECT count(*) FROM clients").await, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM operations WHERE kind = 'welcome_bonus'")
            .await,
        2
    );
    assert_eq!(
        app.bot_messages("client", user, 1).await.len(),
        1,
        "one welcome, not two"
    );
}

/// The black-box review's failure: with stderr broken (a closed pipe, a full disk) a warning logged during a Redis
/// write outage panicked inside the outbox's stream readers, and the chats of those streams got no reply until a
/// restart. Now a log line that cannot be written is dropped, a panicked outbox task is started again, and every
/// chat is answered once Redis takes writes again.
#[actix_rt::test]
async fn a_redis_write_outage_with_stderr_broken_leaves_no_chat_unanswered() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("loyalty-redis-{}-{port}", std::process::id()));
    let _redis = OwnRedis::start(port, dir);
    let redis_cli = |args: &[&str]| {
        let ok = Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(ok.success(), "redis-cli {args:?}");
    };
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let mut server = Serve::new(&sandbox, &database)
        .env("LOYALTY__REDIS__URL", format!("redis://127.0.0.1:{port}"))
        .polling(&["client"])
        .lease_ms(2000)
        .stderr_piped()
        .spawn();
    // Nobody reads the server's stderr any more: every log line from now on fails to be written.
    drop(server.stderr.take());
    let first = 4_100;
    sandbox.send("client", first, "/start");
    sandbox.bot_messages("client", first, 1).await;

    // Redis refuses writes for a while (as on a full disk), with updates arriving meanwhile.
    redis_cli(&["CONFIG", "SET", "min-replicas-to-write", "1"]);
    for user in 4_101..4_111 {
        sandbox.send("client", user, "/start");
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    redis_cli(&["CONFIG", "SET", "min-replicas-to-write", "0"]);

    // Every chat of every outbox stream is answered: those that waited, and new ones.
    for user in 4_111..4_131 {
        sandbox.send("client", user, "/start");
    }
    for user in 4_101..4_131 {
        sandbox.bot_messages("client", user, 1).await;
    }
    server.stop();
}
