//! The whole product running in the test process on port 0, on its own sandbox, with a fresh database and its own
//! Redis key namespace; plus helpers that act as Telegram users through the sandbox's HTTP API.

use std::time::{Duration, Instant};

use loyalty::config::{Secret, Settings};
use loyalty::server::{self, Running};
use serde_json::{Value, json};

use crate::helpers::{connect, db_url, fresh_database, redis_url};

pub const WEBHOOK_SECRET: &str = "test-webhook-secret-0123456789";
/// How long a helper waits for the product to answer before the test fails.
const ANSWER_WAIT: Duration = Duration::from_secs(15);

pub struct TestApp {
    pub settings: Settings,
    pub running: Running,
    pub base: String,
    pub http: reqwest::Client,
    pub db: tokio_postgres::Client,
}

/// Settings for a product on `database` with its own Redis namespace.
pub fn test_settings(database: &str) -> Settings {
    let mut s = Settings::default();
    s.database.url = Secret::new(db_url(database));
    s.redis.url = Secret::new(redis_url());
    s.http.listen = "127.0.0.1:0".into();
    s.http.workers = 2;
    s.log.level = "warn".into();
    s.sessions.redis_namespace = format!("test:{database}:");
    s.telegram.webhook_secret = Secret::new(WEBHOOK_SECRET.into());
    s.telegram.poll_timeout_s = 1;
    // The sandbox has no per-chat limit; keep the tests quick but the limiter in the path.
    s.telegram.sends_per_chat_per_s = 50;
    s.telegram.sends_burst_per_chat = 50;
    s.telegram.sends_per_bot_per_s = 500;
    s
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        loyalty::telemetry::init_text("warn");
        let database = fresh_database().await;
        let mut settings = test_settings(&database);
        adjust(&mut settings);
        let running = server::start(settings.clone(), true)
            .await
            .expect("the product starts");
        let base = format!("http://{}", running.addr);
        let db = connect(&db_url(&database)).await;
        TestApp {
            settings,
            running,
            base,
            http: reqwest::Client::new(),
            db,
        }
    }

    pub fn referral(&self) -> String {
        self.running.demo_referral.clone().expect("sandbox partner")
    }

    async fn user_api(&self, path: &str, body: Value) -> i64 {
        let r = self
            .http
            .post(format!("{}/sandbox/api/{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("sandbox reachable");
        assert!(
            r.status().is_success(),
            "sandbox refused {path}: {}",
            r.status()
        );
        r.json::<Value>().await.expect("json")["update_id"]
            .as_i64()
            .expect("update id")
    }

    pub async fn send(&self, bot: &str, user: i64, text: &str) -> i64 {
        self.user_api(
            "send",
            json!({ "bot": bot, "user_id": user, "first_name": "Анна", "text": text }),
        )
        .await
    }

    /// A message from a user whose Telegram app reports `language_code`.
    pub async fn send_in(&self, bot: &str, user: i64, language_code: &str, text: &str) -> i64 {
        self.user_api(
            "send",
            json!({ "bot": bot, "user_id": user, "first_name": "Анна", "language_code": language_code, "text": text }),
        )
        .await
    }

    pub async fn press(&self, bot: &str, user: i64, message_id: i64, data: &str) -> i64 {
        self.user_api(
            "press",
            json!({ "bot": bot, "user_id": user, "message_id": message_id, "data": data }),
        )
        .await
    }

    pub async fn share_contact(&self, bot: &str, user: i64, phone: &str, owner: i64) -> i64 {
        self.user_api(
            "contact",
            json!({ "bot": bot, "user_id": user, "phone_number": phone, "contact_user_id": owner }),
        )
        .await
    }

    pub async fn attachment(&self, bot: &str, user: i64) -> i64 {
        self.user_api("attachment", json!({ "bot": bot, "user_id": user }))
            .await
    }

    /// `GET /sandbox/api/{path}` (path and query), the sandbox's JSON answer.
    pub async fn sandbox_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/sandbox/api/{path}", self.base))
            .send()
            .await
            .expect("sandbox")
            .json()
            .await
            .expect("json")
    }

    pub async fn chat(&self, bot: &str, user: i64) -> Vec<Value> {
        match self
            .sandbox_get(&format!("chat?bot={bot}&user_id={user}"))
            .await
        {
            Value::Array(messages) => messages,
            other => panic!("the sandbox's chat is not a list: {other}"),
        }
    }

    /// The bot's messages in a chat, once there are at least `n`.
    pub async fn bot_messages(&self, bot: &str, user: i64, n: usize) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let msgs: Vec<Value> = self
                .chat(bot, user)
                .await
                .into_iter()
                .filter(|m| m["from"] == "bot")
                .collect();
            if msgs.len() >= n {
                return msgs;
            }
            assert!(
                start.elapsed() < ANSWER_WAIT,
                "{bot} bot sent {} of {n} messages to {user}: {msgs:#?}",
                msgs.len()
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// Runs `partner`'s accrual dialogue in the partner bot (`/accrue`, `phone`, `amount`, Confirm) and returns the
    /// outcome: the confirm message once it was edited into the result and lost its buttons (the accrual sends no
    /// other message to the partner).
    pub async fn accrue(&self, partner: i64, phone: &str, amount: &str) -> Value {
        let before = self.bot_messages("partner", partner, 0).await.len();
        self.send("partner", partner, "/accrue").await;
        self.nth_text("partner", partner, before + 1).await;
        self.send("partner", partner, phone).await;
        self.nth_text("partner", partner, before + 2).await;
        self.send("partner", partner, amount).await;
        let confirm = self.bot_messages("partner", partner, before + 3).await[before + 2].clone();
        let id = confirm["message_id"].as_i64().expect("message id");
        self.press("partner", partner, id, &inline_button(&confirm, 0))
            .await;
        let start = Instant::now();
        loop {
            let outcome =
                self.bot_messages("partner", partner, before + 3).await[before + 2].clone();
            if outcome["reply_markup"].is_null() {
                return outcome;
            }
            assert!(
                start.elapsed() < ANSWER_WAIT,
                "the confirm screen was never turned into the outcome: {outcome:#}"
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// Waits until the bot's n-th message (1-based) reads `expected` (it may be sent, or edited into it, later),
    /// and returns that message; fails the test with the whole chat after the answer wait.
    pub async fn expect_nth(&self, bot: &str, user: i64, n: usize, expected: &str) -> Value {
        let start = Instant::now();
        loop {
            let msgs = self.bot_messages(bot, user, n).await;
            if msgs[n - 1]["text"].as_str() == Some(expected) {
                return msgs[n - 1].clone();
            }
            assert!(
                start.elapsed() < ANSWER_WAIT,
                "message {n} of the {bot} bot to {user} never read {expected:?}: {msgs:#?}"
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// The text of the bot's n-th message (1-based) in a chat, waiting for it.
    pub async fn nth_text(&self, bot: &str, user: i64, n: usize) -> String {
        self.bot_messages(bot, user, n).await[n - 1]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The label of the client bot's menu button as `user` sees it (their chat's own, else the bot-wide one),
    /// once it reads `expected`; fails the test after 5 s, naming what it saw.
    pub async fn expect_menu_button(&self, user: i64, expected: &str) {
        let path = format!("menu_button?bot=client&user_id={user}");
        let mut seen = serde_json::Value::Null;
        for _ in 0..100 {
            seen = self.sandbox_get(&path).await;
            if seen["text"] == expected {
                assert_eq!(seen["type"], "web_app", "{seen}");
                assert_eq!(seen["web_app"]["url"], format!("{}/app/", self.base));
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("user {user}'s menu button is {seen}, not {expected:?}");
    }

    pub async fn webhook(&self, bot: &str, update: &Value, secret: Option<&str>) -> u16 {
        let mut r = self
            .http
            .post(format!("{}/webhook/{bot}", self.base))
            .json(update);
        if let Some(secret) = secret {
            r = r.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        r.send().await.expect("server reachable").status().as_u16()
    }

    pub async fn redis(&self) -> actors::redis_conn::Redis {
        self.running.services.redis.get().await.expect("redis")
    }

    /// (version, raw state) of a chat's dialogue.
    pub async fn session(&self, bot: &str, chat: i64) -> (Option<u64>, Option<String>) {
        let key = actors::session::store::Keys {
            namespace: &self.settings.sessions.redis_namespace,
            groups: self.settings.telegram.outbox_streams(),
        }
        .state(fsm::BotKind::parse(bot).expect("a bot"), chat);
        let mut conn = self.redis().await;
        deadpool_redis::redis::cmd("HMGET")
            .arg(key)
            .arg("v")
            .arg("s")
            .query_async(&mut conn)
            .await
            .expect("HMGET")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.db.query_one(sql, &[]).await.expect("count").get(0)
    }
}

/// A Telegram update with a text message, as Telegram would post it to a webhook.
pub fn text_update(update_id: i64, user: i64, text: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1_700_000_000,
            "chat": { "id": user, "type": "private", "first_name": "Анна" },
            "from": { "id": user, "is_bot": false, "first_name": "Анна", "language_code": "ru" },
            "text": text,
        }
    })
}

pub fn inline_button(message: &Value, index: usize) -> String {
    message["reply_markup"]["inline_keyboard"][0][index]["callback_data"]
        .as_str()
        .expect("inline button")
        .to_owned()
}
