//! Durable replies: a reply committed but not yet sent when its process dies is sent after all, once — by the
//! restarted process or by a surviving replica — and a user who blocked the bot is recorded, not retried.

use std::time::{Duration, Instant};

use fsm::text::PartnerText;

use crate::helpers::{connect, db_url, eventually, redis_url, ru};
use crate::replicas::{OwnRedis, PARTNER, Sandbox, seeded_database};
use crate::serving::{Serve, Server, free_port};

/// The stream lease in these tests: a dead process's replies wait at most this long for another.
const LEASE_MS: u64 = 600;
/// The 429 pause that keeps a reply committed and unsent while the test kills its process.
const STALL_S: u32 = 60;
const WAIT: Duration = Duration::from_secs(20);

/// `loyalty serve` polling the sandbox with a short stream lease.
fn replica(sandbox: &Sandbox, database: &str, namespace: &str) -> Server {
    Serve::new(sandbox, database)
        .shared_redis(namespace)
        .polling(&["partner", "client"])
        .lease_ms(LEASE_MS)
        .sends_unthrottled()
        .spawn()
}

fn menu() -> String {
    ru(&PartnerText::Menu {
        company: "Кофейня"
    })
}

/// Waits until the bot has called `method` more than `before` times.
async fn calls_above(sandbox: &Sandbox, bot: &str, method: &str, before: u64) {
    let start = Instant::now();
    while sandbox.emulator.calls(bot, method) <= before {
        assert!(start.elapsed() < WAIT, "{bot} never called {method}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The process id of the replica holding the partner chat's outbox stream (the lease holds `{pid}-{random}`).
async fn stream_holder(namespace: &str) -> u32 {
    stream_holder_on(&redis_url(), namespace)
        .await
        .expect("someone holds the partner stream")
}

/// The holder of the partner chat's outbox stream on the Redis at `url`, if Redis answers and someone holds it.
async fn stream_holder_on(url: &str, namespace: &str) -> Option<u32> {
    let client = redis::Client::open(url).expect("redis url");
    let mut conn = client.get_multiplexed_async_connection().await.ok()?;
    let shard = actors::session::store::chat_group(PARTNER, 8);
    let key = actors::session::store::outbox_stream_key(namespace, fsm::BotKind::Partner, shard);
    let holder: Option<String> = redis::cmd("GET")
        .arg(format!("{key}:lease"))
        .query_async(&mut conn)
        .await
        .ok()?;
    holder?.split('-').next().and_then(|pid| pid.parse().ok())
}

/// Commits the reply to `/cancel` while Telegram answers 429 for a minute: the reply is in the stream, unsent.
async fn commit_a_stalled_reply(sandbox: &Sandbox) {
    sandbox.send("partner", PARTNER, "/accrue");
    sandbox.bot_messages("partner", PARTNER, 1).await;
    let before = sandbox.emulator.calls("partner", "sendMessage");
    assert!(sandbox.emulator.throttle("partner", 1, STALL_S));
    sandbox.send("partner", PARTNER, "/cancel");
    calls_above(sandbox, "partner", "sendMessage", before).await;
}

/// After the first copy arrived, waits a little longer and returns every bot message.
async fn settled_messages(sandbox: &Sandbox, n: usize) -> Vec<String> {
    sandbox.bot_messages("partner", PARTNER, n).await;
    tokio::time::sleep(Duration::from_millis(3 * LEASE_MS)).await;
    sandbox.bot_messages("partner", PARTNER, 0).await
}

#[actix_rt::test]
async fn a_reply_committed_but_unsent_at_sigkill_is_sent_once_after_restart() {
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let mut first = replica(&sandbox, &database, &namespace);
    commit_a_stalled_reply(&sandbox).await;
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    assert_eq!(sandbox.bot_messages("partner", PARTNER, 0).await.len(), 1);

    let mut second = replica(&sandbox, &database, &namespace);
    let messages = settled_messages(&sandbox, 2).await;
    second.stop();
    assert_eq!(messages.len(), 2, "the reply once: {messages:#?}");
    assert_eq!(messages[1], menu());
}

#[actix_rt::test]
async fn with_two_replicas_the_survivor_sends_the_dead_ones_pending_reply_once() {
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let a = replica(&sandbox, &database, &namespace);
    let b = replica(&sandbox, &database, &namespace);
    commit_a_stalled_reply(&sandbox).await;
    let holder = stream_holder(&namespace).await;
    let (mut dead, mut survivor) = if holder == a.id() { (a, b) } else { (b, a) };
    assert_eq!(
        dead.id(),
        holder,
        "one of the two replicas holds the stream"
    );
    dead.kill().expect("SIGKILL");
    dead.wait().expect("reaped");

    let messages = settled_messages(&sandbox, 2).await;
    let taken_over = stream_holder(&namespace).await;
    survivor.stop();
    assert_eq!(messages.len(), 2, "the reply once: {messages:#?}");
    assert_eq!(messages[1], menu());
    assert_eq!(
        taken_over,
        survivor.id(),
        "the survivor took the stream over"
    );
}

/// A reply whose send is under way when Redis goes away: Telegram takes it at once and answers `answer_delay` later,
/// and Redis is away for `outage` (longer than the stream lease, so this process takes the lease again afterwards).
/// Returns every bot message of the partner chat after one more dialogue step.
async fn reply_sent_across_a_redis_outage(answer_delay: Duration, outage: Duration) -> Vec<String> {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("loyalty-redis-{}-{port}", std::process::id()));
    let mut redis = OwnRedis::start(port, dir);
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let mut server = Serve::new(&sandbox, &database)
        .env("LOYALTY__REDIS__URL", format!("redis://127.0.0.1:{port}"))
        .polling(&["partner", "client"])
        .lease_ms(LEASE_MS)
        .sends_unthrottled()
        .spawn();
    sandbox.send("partner", PARTNER, "/accrue");
    sandbox.bot_messages("partner", PARTNER, 1).await;
    assert!(sandbox.emulator.slow_answers("partner", 1, answer_delay));
    sandbox.send("partner", PARTNER, "/cancel");
    sandbox.bot_messages("partner", PARTNER, 2).await;
    redis.stop();
    tokio::time::sleep(outage).await;
    redis.restart();
    // A dialogue step after the outage shows the outbox is sending again.
    sandbox.send("partner", PARTNER, "/accrue");
    sandbox.bot_messages("partner", PARTNER, 3).await;
    tokio::time::sleep(answer_delay + Duration::from_millis(3 * LEASE_MS)).await;
    let messages = sandbox.bot_messages("partner", PARTNER, 0).await;
    server.stop();
    messages
}

/// The prompt, the reply to /cancel once, the prompt again.
fn assert_the_reply_once(messages: &[String]) {
    assert_eq!(
        messages.iter().filter(|m| **m == menu()).count(),
        1,
        "the reply to /cancel once: {messages:#?}"
    );
    assert_eq!(messages.len(), 3, "{messages:#?}");
}

/// The chaos run's duplicate: Redis went away after Telegram had accepted a reply and before its acknowledgement
/// landed. The acknowledgement failed, the entry stayed pending, and when Redis came back the outbox took its own
/// pending entries over and sent that reply a second time. Now a failed acknowledgement is retried until it lands,
/// and the takeover skips the entries waiting for it.
#[actix_rt::test]
async fn a_reply_accepted_just_before_redis_goes_away_is_not_sent_again_when_it_returns() {
    let messages = reply_sent_across_a_redis_outage(
        Duration::from_millis(1_500),
        Duration::from_millis(2_500),
    )
    .await;
    assert_the_reply_once(&messages);
}

/// The same outage, over before Telegram answers: the lease lapsed and this process took it again while one of its
/// lanes was still waiting for that answer. The takeover used to forget every entry in flight and sent this one
/// again from a new lane; now a lane gives back only what it did not send, and the takeover skips the rest.
#[actix_rt::test]
async fn a_reply_still_being_sent_when_the_lease_is_taken_again_is_not_sent_twice() {
    let messages = reply_sent_across_a_redis_outage(
        Duration::from_millis(4_000),
        Duration::from_millis(1_500),
    )
    .await;
    assert_the_reply_once(&messages);
}

/// The same outage across replicas: the replica holding the stream sent a reply, Redis went away before the
/// acknowledgement landed and stayed away past the lease, and the other replica took the lease when it came back
/// (here the sender is frozen until then). The new holder took the reply over at once and sent it a second time,
/// while the sender's acknowledgement was a retry away; now it leaves another consumer's pending entries a grace
/// (`TAKEOVER_GRACE`) to be acknowledged before it claims them.
#[actix_rt::test]
async fn a_reply_sent_by_one_replica_before_a_redis_outage_is_not_sent_again_by_the_other() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("loyalty-redis-{}-{port}", std::process::id()));
    let mut redis = OwnRedis::start(port, dir);
    let url = format!("redis://127.0.0.1:{port}");
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let replica = || {
        Serve::new(&sandbox, &database)
            .env("LOYALTY__REDIS__URL", &url)
            .env("LOYALTY__SESSIONS__REDIS_NAMESPACE", &namespace)
            .polling(&["partner", "client"])
            .lease_ms(LEASE_MS)
            .sends_unthrottled()
            .spawn()
    };
    let (a, b) = (replica(), replica());
    sandbox.send("partner", PARTNER, "/accrue");
    sandbox.bot_messages("partner", PARTNER, 1).await;
    let holder = stream_holder_on(&url, &namespace)
        .await
        .expect("someone holds the partner stream");
    let (sender, other) = if holder == a.id() { (a, b) } else { (b, a) };
    assert_eq!(
        sender.id(),
        holder,
        "one of the two replicas holds the stream"
    );
    assert!(
        sandbox
            .emulator
            .slow_answers("partner", 1, Duration::from_millis(1_500))
    );
    sandbox.send("partner", PARTNER, "/cancel");
    sandbox.bot_messages("partner", PARTNER, 2).await;
    redis.stop();
    // Telegram answers after 1.5 s, while Redis is away: the acknowledgement fails and is retried.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    signal(sender.id(), "STOP");
    redis.restart();
    let start = Instant::now();
    while stream_holder_on(&url, &namespace).await != Some(other.id()) {
        assert!(
            start.elapsed() < WAIT,
            "the other replica never took the stream"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    signal(sender.id(), "CONT");
    sandbox.send("partner", PARTNER, "/accrue");
    sandbox.bot_messages("partner", PARTNER, 3).await;
    tokio::time::sleep(Duration::from_millis(2_000 + 3 * LEASE_MS)).await;
    let messages = sandbox.bot_messages("partner", PARTNER, 0).await;
    drop((sender, other));
    assert_the_reply_once(&messages);
}

/// SIGSTOP or SIGCONT to a process.
fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

#[actix_rt::test]
async fn a_client_who_blocked_the_bot_is_recorded_and_not_retried() {
    const CLIENT: i64 = 2001; // the seeded client
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let mut server = replica(&sandbox, &database, &namespace);
    assert!(sandbox.emulator.block_bot("client", CLIENT));
    let before = sandbox.emulator.calls("client", "sendMessage");
    sandbox.send("client", CLIENT, "/start");

    let db = connect(&db_url(&database)).await;
    eventually(WAIT, "the client was never marked", || async {
        let row = db
            .query_one(
                "SELECT blocked_bot_at IS NOT NULL FROM clients WHERE telegram_id = $1",
                &[&CLIENT],
            )
            .await
            .expect("client");
        row.get::<_, bool>(0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(3 * LEASE_MS)).await;
    let attempts = sandbox.emulator.calls("client", "sendMessage") - before;
    server.stop();
    assert_eq!(attempts, 1, "a 403 is final: one attempt");
    assert!(
        !sandbox
            .emulator
            .transcript("client", CLIENT)
            .iter()
            .any(|e| e.from == "bot"),
        "nothing reached a user who blocked the bot"
    );
}
