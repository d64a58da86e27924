//! Poison updates (issue 12, item 1): an update that fails on every try must not stall its bot. A permanent failure
//! (a constraint that will never pass) is answered with an apology and marked processed; a transient one (a lock
//! that is never granted) is retried a bounded number of times, then parked as a dead letter that an operator lists
//! and replays with `loyalty dead-letters`; `/readyz` names a bot whose update waits too long. The failures are the
//! test database's own: a CHECK constraint and a trigger it adds.

use std::process::Command;
use std::time::Duration;

use fsm::text::{ClientText, CommonText};
use serde_json::{Value, json};

use crate::app::TestApp;
use crate::helpers::{eventually, ru};

const WAIT: Duration = Duration::from_secs(20);

/// A user named `first_name` sends `/start` to the client bot through the sandbox.
async fn start_as(app: &TestApp, user: i64, first_name: &str) {
    let body =
        json!({ "bot": "client", "user_id": user, "first_name": first_name, "text": "/start" });
    let url = format!("{}/sandbox/api/send", app.base);
    let sent = app.http.post(&url).json(&body).send().await.unwrap();
    assert!(sent.status().is_success());
}

fn welcome() -> String {
    ru(&ClientText::WelcomeNew {
        bonus: fsm::Points::new(100).expect("points"),
        partner: None,
    })
}

/// Waits for the user's first message from the client bot and checks it is the welcome.
async fn assert_welcomed(app: &TestApp, user: i64) {
    let first = app.nth_text("client", user, 1).await;
    assert!(first.starts_with(&welcome()), "{user} got: {first}");
}

async fn bot_texts(app: &TestApp, user: i64) -> Vec<String> {
    app.chat("client", user)
        .await
        .into_iter()
        .filter(|m| m["from"] == "bot")
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn metric(app: &TestApp, sample: &str) -> Option<u64> {
    let text = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.trim().parse().ok())
}

/// Registering a client named "Stuck" fails with `lock_not_available` (SQLSTATE 55P03, transient) until dropped.
const STUCK_TRIGGER: &str = "
    CREATE FUNCTION test_stuck() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.first_name = 'Stuck' THEN
            RAISE EXCEPTION 'test: the row is locked' USING ERRCODE = '55P03';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER test_stuck BEFORE INSERT ON clients FOR EACH ROW EXECUTE FUNCTION test_stuck();";

/// The app with `adjust`ed settings and `STUCK_TRIGGER` installed.
async fn stuck_app(adjust: impl FnOnce(&mut loyalty::config::Settings)) -> TestApp {
    let app = TestApp::spawn_with(adjust).await;
    app.db.batch_execute(STUCK_TRIGGER).await.unwrap();
    app
}

/// `/readyz`'s status and body.
async fn readyz(app: &TestApp) -> (u16, Value) {
    let r = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json::<Value>().await.unwrap())
}

/// `/start` from a user named "Stuck" (see `STUCK_TRIGGER`), as Telegram posts it to the webhook.
fn stuck_start(update_id: i64, user: i64) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": 1, "date": 1_700_000_000,
            "chat": { "id": user, "type": "private", "first_name": "Stuck" },
            "from": { "id": user, "is_bot": false, "first_name": "Stuck", "language_code": "ru" },
            "text": "/start",
        }
    })
}

/// The `loyalty` binary on the app's database, Redis namespace and sandbox.
fn loyalty(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loyalty"));
    cmd.env("LOYALTY__DATABASE__URL", app.settings.database.url.expose())
        .env("LOYALTY__REDIS__URL", app.settings.redis.url.expose())
        .env(
            "LOYALTY__SESSIONS__REDIS_NAMESPACE",
            &app.settings.sessions.redis_namespace,
        )
        .env("LOYALTY__TELEGRAM__API_URL", format!("{}/tg", app.base))
        .env("LOYALTY__TELEGRAM__CLIENT_TOKEN", "sandbox-client")
        .env("LOYALTY__LOG__LEVEL", "warn");
    cmd
}

fn dead_letters(app: &TestApp) -> Vec<Value> {
    let out = loyalty(app)
        .args(["dead-letters", "list"])
        .output()
        .expect("loyalty runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect()
}

#[actix_rt::test]
async fn an_update_that_can_never_pass_is_answered_with_an_apology_once_and_the_bot_moves_on() {
    let app = TestApp::spawn().await;
    app.db
        .batch_execute(
            "ALTER TABLE clients ADD CONSTRAINT test_poison CHECK (first_name <> 'Poison')",
        )
        .await
        .unwrap();
    start_as(&app, 6001, "Poison").await;
    app.expect_nth("client", 6001, 1, &ru(&CommonText::Apology))
        .await;
    for next in [6002, 6003, 6004] {
        app.send("client", next, "/start").await;
        assert_welcomed(&app, next).await;
    }
    // Processed once: one apology, counted once, nothing registered.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(bot_texts(&app, 6001).await, vec![ru(&CommonText::Apology)]);
    assert_eq!(
        metric(&app, "loyalty_updates_total{outcome=\"failed_permanent\"}").await,
        Some(1)
    );
    assert_eq!(
        app.count("SELECT count(*) FROM clients WHERE telegram_id = 6001")
            .await,
        0
    );
}

#[actix_rt::test]
async fn an_update_failing_on_every_retry_is_parked_then_listed_and_replayed_by_the_operator() {
    let app = stuck_app(|s| {
        s.telegram.update_attempts_max = 3;
        s.telegram.dead_letter_after_s = 0;
    })
    .await;
    start_as(&app, 6101, "Stuck").await;
    // Other chats are answered while it fails.
    for next in [6102, 6103] {
        app.send("client", next, "/start").await;
        assert_welcomed(&app, next).await;
    }
    eventually(WAIT, "the update is dead-lettered", || async {
        metric(&app, "loyalty_updates_total{outcome=\"dead_lettered\"}")
            .await
            .filter(|n| *n == 1)
    })
    .await;
    // Once parked, the bot's offset moves on: a later user is answered too.
    app.send("client", 6104, "/start").await;
    assert_welcomed(&app, 6104).await;
    assert!(bot_texts(&app, 6101).await.is_empty());

    let letters = dead_letters(&app);
    assert_eq!(letters.len(), 1, "{letters:#?}");
    assert_eq!(letters[0]["bot"], "client");
    assert_eq!(letters[0]["chat_id"], 6101);
    assert_eq!(letters[0]["attempts"], 3);
    let update: Value = serde_json::from_str(
        letters[0]["update"]
            .as_str()
            .expect("the update as JSON text"),
    )
    .unwrap();
    assert_eq!(update["message"]["text"], "/start");
    assert!(
        letters[0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("locked"),
        "the cause is kept: {}",
        letters[0]["error"]
    );

    // The cause is fixed; the operator replays it, and the user gets the answer the update deserved.
    app.db
        .batch_execute("DROP TRIGGER test_stuck ON clients")
        .await
        .unwrap();
    let out = loyalty(&app)
        .args(["dead-letters", "replay"])
        .output()
        .expect("loyalty runs");
    assert!(out.status.success(), "{out:?}");
    assert_welcomed(&app, 6101).await;
    assert_eq!(
        app.count("SELECT count(*) FROM clients WHERE telegram_id = 6101")
            .await,
        1
    );
    assert!(dead_letters(&app).is_empty());
}

#[actix_rt::test]
async fn readiness_names_a_bot_whose_update_waits_too_long_and_recovers_once_it_passes() {
    let app = TestApp::spawn_with(|s| {
        s.telegram.update_attempts_max = 1_000;
        s.telegram.dead_letter_after_s = 0;
        s.telegram.stuck_update_max_s = 1;
    })
    .await;
    assert_eq!(readyz(&app).await.0, 200);
    app.db.batch_execute(STUCK_TRIGGER).await.unwrap();
    start_as(&app, 6201, "Stuck").await;
    let body = eventually(WAIT, "readiness names the client bot", || async {
        let (status, body) = readyz(&app).await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(body["stuck_bots"][0]["bot"], "client", "{body}");
    assert_eq!(body["postgres"], "ok");

    app.db
        .batch_execute("DROP TRIGGER test_stuck ON clients")
        .await
        .unwrap();
    assert_welcomed(&app, 6201).await;
    eventually(WAIT, "ready again", || async {
        (readyz(&app).await.0 == 200).then_some(())
    })
    .await;
}

#[actix_rt::test]
async fn a_webhook_update_failing_on_every_retry_gets_503_until_the_limit_then_200_and_is_parked() {
    let app = stuck_app(|s| {
        s.telegram.update_attempts_max = 3;
        s.telegram.dead_letter_after_s = 0;
    })
    .await;
    let update = stuck_start(90_000_001, 6301);
    let secret = Some(crate::app::WEBHOOK_SECRET);
    // Telegram retries after each 503; the third try is the last.
    assert_eq!(app.webhook("client", &update, secret).await, 503);
    assert_eq!(app.webhook("client", &update, secret).await, 503);
    assert_eq!(app.webhook("client", &update, secret).await, 200);
    let letters = dead_letters(&app);
    assert_eq!(letters.len(), 1, "{letters:#?}");
    assert_eq!(letters[0]["update_id"], 90_000_001);
    assert_eq!(
        metric(&app, "loyalty_updates_total{outcome=\"dead_lettered\"}").await,
        Some(1)
    );
}

/// The chaos run's loss: while Postgres restarted (a fraction of a second), the webhook's quick redeliveries used up
/// an update's tries and it was parked, so that step of the dialogue never ran for the user. An update is parked only
/// once its tries are also spread over `dead_letter_after_s`; until then every redelivery gets 503, and the first
/// one after the failure passes is processed, once.
#[actix_rt::test]
async fn quick_redeliveries_during_a_brief_outage_park_nothing_and_the_update_runs_once_it_passes()
{
    let app = stuck_app(|s| s.telegram.update_attempts_max = 3).await;
    let update = stuck_start(90_000_002, 6302);
    let secret = Some(crate::app::WEBHOOK_SECRET);
    for _ in 0..6 {
        assert_eq!(app.webhook("client", &update, secret).await, 503);
    }
    assert!(dead_letters(&app).is_empty(), "nothing parked");
    app.db
        .batch_execute("DROP TRIGGER test_stuck ON clients")
        .await
        .unwrap();
    assert_eq!(app.webhook("client", &update, secret).await, 200);
    assert_eq!(app.webhook("client", &update, secret).await, 200);
    assert_welcomed(&app, 6302).await;
    let texts = bot_texts(&app, 6302).await;
    assert_eq!(
        texts.iter().filter(|t| t.starts_with(&welcome())).count(),
        1,
        "welcomed once: {texts:#?}"
    );
    assert!(dead_letters(&app).is_empty(), "nothing parked");
}

/// The other side of the limit: tries enough and old enough, the update is parked at the next one.
#[actix_rt::test]
async fn a_failing_update_is_parked_once_its_tries_also_span_dead_letter_after_s() {
    let app = stuck_app(|s| {
        s.telegram.update_attempts_max = 3;
        s.telegram.dead_letter_after_s = 1;
    })
    .await;
    let update = stuck_start(90_000_003, 6303);
    let secret = Some(crate::app::WEBHOOK_SECRET);
    for _ in 0..4 {
        assert_eq!(app.webhook("client", &update, secret).await, 503);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(app.webhook("client", &update, secret).await, 200);
    let letters = dead_letters(&app);
    assert_eq!(letters.len(), 1, "{letters:#?}");
    assert_eq!(letters[0]["attempts"], 5);
}

/// The review's readiness trap: with webhooks behind several replicas, an update answered 503 here and then
/// redelivered to (and accepted by) another replica stayed in this replica's waiting list for a day, so its `/readyz`
/// reported the bot stuck a minute later and stayed unready; after a Postgres blip every replica could end up out of
/// the Service. An update no longer redelivered here stops counting once `stuck_update_max_s` has passed.
#[actix_rt::test]
async fn an_update_no_longer_redelivered_here_does_not_keep_readiness_down() {
    let app = stuck_app(|s| {
        s.telegram.dead_letter_after_s = 0;
        s.telegram.stuck_update_max_s = 1;
    })
    .await;
    let secret = Some(crate::app::WEBHOOK_SECRET);
    assert_eq!(
        app.webhook("client", &stuck_start(90_000_004, 6304), secret)
            .await,
        503
    );
    // Its redelivery goes to another replica; this one never sees the update again.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 200, "{body}");
}

/// The review's escape: an attempt that hangs (here on a table lock) never ends, so its update was never "seen again"
/// and stopped counting as stuck after `stuck_update_max_s`, while its bot could not move. A running attempt always
/// counts.
#[actix_rt::test]
async fn an_update_hanging_on_a_lock_keeps_its_bot_unready_until_it_passes() {
    let app = TestApp::spawn_with(|s| {
        s.telegram.dead_letter_after_s = 0;
        s.telegram.stuck_update_max_s = 1;
    })
    .await;
    let locker = crate::helpers::connect(app.settings.database.url.expose()).await;
    locker
        .batch_execute("BEGIN; LOCK TABLE clients IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    start_as(&app, 6305, "Hang").await;
    tokio::time::sleep(std::time::Duration::from_millis(3_000)).await;
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["stuck_bots"][0]["bot"], "client", "{body}");
    locker.batch_execute("COMMIT").await.unwrap();
    assert_welcomed(&app, 6305).await;
    eventually(WAIT, "ready again", || async {
        (readyz(&app).await.0 == 200).then_some(())
    })
    .await;
}

/// Twelve updates of one user parked during an outage (more than the per-user burst of 10), replayed by the
/// operator: every one runs, and only then is its letter removed. The replay went through the user's rate limit, so
/// the eleventh and twelfth were refused ("slow down"), reported replayed and removed without ever running.
#[actix_rt::test]
async fn a_replay_of_more_letters_than_a_users_burst_runs_every_one() {
    const LETTERS: i64 = 12;
    const USER: i64 = 6301;
    let app = TestApp::spawn().await;
    let client = redis::Client::open(app.settings.redis.url.expose().as_str()).expect("redis url");
    let mut redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let hash = actors::session::dead_letter::hash_key(&app.settings.sessions.redis_namespace);
    for i in 0..LETTERS {
        let update_id = 900_000 + i;
        let update = format!(
            r#"{{"update_id":{update_id},"message":{{"message_id":{},"from":{{"id":{USER},"is_bot":false,"first_name":"Outage","language_code":"ru"}},"chat":{{"id":{USER},"type":"private","first_name":"Outage"}},"date":1764500000,"text":"/help"}}}}"#,
            100 + i
        );
        let letter = actors::session::dead_letter::DeadLetter {
            bot: "client".into(),
            update_id,
            chat_id: USER,
            attempts: 5,
            error: "database unavailable".into(),
            parked_at_unix_s: 1_764_500_000,
            update,
        };
        let _: i64 = redis::cmd("HSET")
            .arg(&hash)
            .arg(format!("client:{update_id}"))
            .arg(serde_json::to_string(&letter).expect("json"))
            .query_async(&mut redis)
            .await
            .expect("park");
    }
    assert_eq!(dead_letters(&app).len(), LETTERS as usize);

    let out = loyalty(&app)
        .args(["dead-letters", "replay"])
        .output()
        .expect("loyalty runs");
    assert!(out.status.success(), "{out:?}");
    let answers = app.bot_messages("client", USER, LETTERS as usize).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let texts = bot_texts(&app, USER).await;
    assert_eq!(
        texts.len(),
        LETTERS as usize,
        "one answer a letter: {answers:#?}"
    );
    assert!(
        !texts.contains(&ru(&CommonText::SlowDown)),
        "a replay is not the user flooding: {texts:#?}"
    );
    assert!(dead_letters(&app).is_empty());
}
