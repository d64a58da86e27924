//! Long polling (issue 12, item 1: one chat's update never holds the bot's other chats back). An update that is slow
//! to store, here one waiting on a row lock, delays only its own chat: the bot goes on fetching and answering the
//! others, and the slow one is answered once the lock is gone.

use std::time::{Duration, Instant};

use crate::helpers::{connect, db_url};
use crate::replicas::{Sandbox, seeded_database};
use crate::serving::{Serve, Server};

/// The seeded client with a verified phone (`replicas::seeded_database`), language `ru`.
const CLIENT: i64 = 2001;
/// Someone the bot has never seen.
const NEWCOMER: i64 = 2002;

/// Waits until a session of `database` waits for a lock.
async fn a_session_waits_for_a_lock(database: &str) {
    let db = connect(&db_url(database)).await;
    let start = Instant::now();
    loop {
        let row = db
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
                &[&database],
            )
            .await
            .expect("pg_stat_activity");
        if row.get::<_, i64>(0) > 0 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the update never reached the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Holds the client's row in an open transaction (returned: commit it to let go) and queues the client's next
/// update — written in English, so storing the language takes that row — then waits until it waits for the lock.
async fn an_update_waits_on_the_clients_row(
    sandbox: &Sandbox,
    database: &str,
) -> tokio_postgres::Client {
    let locker = connect(&db_url(database)).await;
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM clients WHERE telegram_id = {CLIENT} FOR UPDATE"
        ))
        .await
        .expect("lock the client's row");
    sandbox
        .emulator
        .user_update(
            "client",
            CLIENT,
            "Анна",
            "en",
            serde_json::json!({ "text": "/balance" }),
        )
        .expect("queued");
    a_session_waits_for_a_lock(database).await;
    locker
}

/// A sandbox, a seeded database and `loyalty serve` polling it, after the client's first `/balance` was answered;
/// with how many messages the client has had.
async fn answered_once() -> (Sandbox, String, Server, usize) {
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let server = Serve::new(&sandbox, &database)
        .shared_redis(&namespace)
        .polling(&["partner", "client"])
        .sends_unthrottled()
        .spawn();
    sandbox.send("client", CLIENT, "/balance");
    let answered = sandbox.bot_messages("client", CLIENT, 1).await.len();
    (sandbox, database, server, answered)
}

#[actix_rt::test]
async fn an_update_waiting_on_a_lock_does_not_hold_back_the_bots_other_chats() {
    let (sandbox, database, _server, answered) = answered_once().await;

    let locker = an_update_waits_on_the_clients_row(&sandbox, &database).await;

    // Another user, meanwhile: fetched and answered while the first update still waits.
    sandbox.send("client", NEWCOMER, "/start");
    let newcomer = sandbox.bot_messages("client", NEWCOMER, 1).await;
    assert!(!newcomer.is_empty());
    assert_eq!(
        sandbox.bot_messages("client", CLIENT, 0).await.len(),
        answered,
        "the locked chat is not answered while its update waits"
    );

    locker.batch_execute("COMMIT").await.expect("unlock");
    let replies = sandbox.bot_messages("client", CLIENT, answered + 1).await;
    assert_eq!(replies.len(), answered + 1, "{replies:#?}");
}

/// Telegram picks new update ids after a week without updates, possibly below the offset the bot polls with, and then
/// answers that offset from the start of its queue. Updates below the offset were skipped as confirmed, so the bot
/// polled again at once, forever, and answered nobody; it now starts its offset again from the new ids.
#[actix_rt::test]
async fn updates_whose_ids_start_again_below_the_offset_are_answered() {
    let (sandbox, _database, _server, answered) = answered_once().await;
    // Let the next long poll carry the offset past that update.
    tokio::time::sleep(Duration::from_millis(300)).await;
    sandbox.emulator.restart_update_ids(1);
    sandbox.send("client", CLIENT, "/balance");
    let replies = sandbox.bot_messages("client", CLIENT, answered + 1).await;
    assert_eq!(replies.len(), answered + 1, "{replies:#?}");
    sandbox.send("client", NEWCOMER, "/start");
    sandbox.bot_messages("client", NEWCOMER, 1).await;
}

/// An update that never ends (its client's row held by a transaction that stays open) must not stop the bot: a
/// polling bot confirms no update past it and holds at most 100, so once 100 more had come in it fetched nothing
/// else, for as long as the row stayed held. With `database.lock_timeout_ms` the stuck update fails, is retried and
/// ends as a dead letter, and the bot goes on: here the newcomer's 105 messages are all answered while the row is
/// still held.
#[actix_rt::test]
async fn an_update_stuck_on_a_lock_does_not_stop_the_bot_after_a_hundred_more() {
    const MORE: usize = 105;
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let _server = Serve::new(&sandbox, &database)
        .shared_redis(&namespace)
        .polling(&["partner", "client"])
        .sends_unthrottled()
        .bursts()
        .env("LOYALTY__DATABASE__LOCK_TIMEOUT_MS", "300")
        .env("LOYALTY__TELEGRAM__UPDATE_ATTEMPTS_MAX", "2")
        .env("LOYALTY__TELEGRAM__DEAD_LETTER_AFTER_S", "1")
        .spawn();
    sandbox.send("client", CLIENT, "/balance");
    let answered = sandbox.bot_messages("client", CLIENT, 1).await.len();

    let locker = an_update_waits_on_the_clients_row(&sandbox, &database).await;
    for _ in 0..MORE {
        sandbox.send("client", NEWCOMER, "/help");
    }
    let newcomer = sandbox.bot_messages("client", NEWCOMER, MORE).await;
    assert_eq!(
        newcomer.len(),
        MORE,
        "every message after the stuck one answered"
    );
    assert_eq!(
        sandbox.bot_messages("client", CLIENT, 0).await.len(),
        answered,
        "the stuck update was not answered: it is a dead letter"
    );
    locker.batch_execute("COMMIT").await.expect("unlock");
}

/// getUpdates refused again and again (here 409: a webhook that another deployment set) is asked less and less
/// often — a pause doubling from 0.5 s up to 16 s — not twice a second for ever; once the refusal ends, the bot
/// polls and answers again.
#[actix_rt::test]
async fn a_poll_refused_again_and_again_is_asked_less_and_less_often() {
    let (sandbox, _database, _server, answered) = answered_once().await;
    let hook = |method: &str| {
        reqwest::Client::new()
            .post(format!("{}/tg/botsandbox-client/{method}", sandbox.base))
            .json(&serde_json::json!({ "url": "http://127.0.0.1:9/elsewhere" }))
            .send()
    };
    hook("setWebhook").await.expect("setWebhook");
    let before = sandbox.emulator.calls("client", "getUpdates");
    tokio::time::sleep(Duration::from_secs(6)).await;
    let asked = sandbox.emulator.calls("client", "getUpdates") - before;
    assert!(
        asked <= 6,
        "getUpdates asked {asked} times in 6 s while every answer was 409"
    );

    hook("deleteWebhook").await.expect("deleteWebhook");
    sandbox.send("client", CLIENT, "/balance");
    let replies = sandbox.bot_messages("client", CLIENT, answered + 1).await;
    assert_eq!(replies.len(), answered + 1, "polling again: {replies:#?}");
}
