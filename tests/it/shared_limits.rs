//! Rate limits shared by replicas (issue 17): two product instances over one Redis admit one user's flood at the
//! configured rate in total (not twice it) and tell them to slow down once; two outboxes over one Redis send at one
//! bot's rate in total; with Redis gone the shared limit steps aside at once.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fsm::BotKind;
use fsm::chat::Reply;
use fsm::text::CommonText;
use loyalty::telegram::BotApiClients;
use loyalty::telegram::outbox::Outbox;
use loyalty::telegram::shared_limit::{Rate, SharedLimits};

use crate::app::{TestApp, WEBHOOK_SECRET, text_update};
use crate::helpers::{redis_url, ru};
use crate::replicas::{OwnRedis, Sandbox};
use crate::serving::free_port;

const WAIT: Duration = Duration::from_secs(15);

async fn connection(url: &str) -> actors::redis_conn::Redis {
    actors::redis_conn::RedisClient::open(url, &[])
        .expect("redis url")
        .shared()
        .await
        .expect("redis")
}

/// The slow-down notices `user` got from either instance's sandbox (a reply goes out through whichever instance
/// holds its stream; the notice through the instance that refused).
async fn slow_downs(apps: [&TestApp; 2], user: i64) -> usize {
    let notice = ru(&CommonText::SlowDown);
    let mut n = 0;
    for app in apps {
        n += app
            .chat("client", user)
            .await
            .iter()
            .filter(|m| m["from"] == "bot" && m["text"].as_str() == Some(notice.as_str()))
            .count();
    }
    n
}

#[actix_rt::test]
async fn a_flood_spread_over_two_replicas_is_cut_at_one_limit_and_told_once() {
    let limits = |s: &mut loyalty::config::Settings| {
        s.telegram.updates_per_user_per_s = 1;
        s.telegram.updates_burst_per_user = 10;
    };
    let a = TestApp::spawn_with(limits).await;
    let (url, namespace) = (
        a.settings.database.url.clone(),
        a.settings.sessions.redis_namespace.clone(),
    );
    // The second replica: the same database and Redis namespace, a process (here: a server) of its own.
    let b = TestApp::spawn_with(|s| {
        limits(s);
        s.database.url = url;
        s.sessions.redis_namespace = namespace.clone();
    })
    .await;
    let user = 3_303;
    let started = Instant::now();
    let posts = (0..600).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        async move {
            let update = text_update(71_000_000 + i, user, "/balance");
            app.webhook("client", &update, Some(WEBHOOK_SECRET)).await
        }
    });
    let statuses = futures_util::future::join_all(posts).await;
    let elapsed_s = started.elapsed().as_secs() + 1;
    let metrics = |app: &TestApp| {
        let m = &app.running.bots.as_ref().expect("bots").ingress.metrics;
        (
            m.processed.load(Ordering::Relaxed),
            m.dropped_rate_limited.load(Ordering::Relaxed),
            m.unavailable.load(Ordering::Relaxed),
        )
    };
    let ((pa, da, ua), (pb, db, ub)) = (metrics(&a), metrics(&b));
    // Two replicas racing on one chat may lose a compare-and-set round too often: such an update is answered 503
    // for Telegram to deliver again (not dropped); every other one is acknowledged.
    let retry = statuses.iter().filter(|s| **s != 200).count() as u64;
    assert_eq!(retry, ua + ub, "{statuses:?}");
    assert_eq!(pa + pb + da + db + ua + ub, 600);
    // The burst plus one a second for the whole network, as one replica alone would admit: not twice it. Admitted
    // means processed, or answered 503 after losing the compare-and-set race (charged, and left for Telegram's
    // redelivery): only what the limits let through reaches a session.
    let admitted = pa + pb + ua + ub;
    assert!(
        admitted <= 10 + elapsed_s,
        "{pa} + {pb} processed and {ua} + {ub} to retry in {elapsed_s}s"
    );
    assert!(
        admitted >= 10,
        "the burst is admitted: {pa} + {pb} processed, {ua} + {ub} to retry"
    );
    let told = Instant::now();
    while slow_downs([&a, &b], user).await == 0 {
        assert!(told.elapsed() < WAIT, "no slow-down notice");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        slow_downs([&a, &b], user).await,
        1,
        "told once, not once per replica"
    );

    // The limit's key carries a hash tag (one slot in a cluster) and lives about as long as its window.
    let key = format!("{namespace}rl:v1:{{u{user}}}");
    let ttl_ms: i64 = deadpool_redis::redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut a.redis().await)
        .await
        .expect("PTTL");
    assert!((1..=21_000).contains(&ttl_ms), "{key}: PTTL {ttl_ms}");

    // Someone else is unaffected, on either replica.
    let other = 3_304;
    for (i, app) in [&a, &b].into_iter().enumerate() {
        let before = metrics(app).0;
        let update = text_update(71_100_000 + i as i64, other, "/balance");
        assert_eq!(
            app.webhook("client", &update, Some(WEBHOOK_SECRET)).await,
            200
        );
        assert_eq!(metrics(app).0, before + 1, "the other user's update ran");
    }
}

#[actix_rt::test]
async fn two_outboxes_sending_for_one_bot_keep_to_its_rate_in_total() {
    let sandbox = Sandbox::start();
    let mut telegram = loyalty::config::TelegramSettings {
        api_url: format!("{}/tg", sandbox.base),
        client_token: loyalty::config::Secret::new("sandbox-client".into()),
        sends_per_bot_per_s: 40,
        sends_per_chat_per_s: 1_000,
        sends_burst_per_chat: 1_000,
        ..Default::default()
    };
    telegram.outbox_lanes_per_bot = 8;
    let bots = BotApiClients::new(&telegram).expect("clients");
    let namespace = format!("test:sendrl:{}:{}:", std::process::id(), free_port());
    // Two replicas: each its own Redis connection and limiters, one Redis between them.
    let replicas = [
        SharedLimits::new(connection(&redis_url()).await, &namespace),
        SharedLimits::new(connection(&redis_url()).await, &namespace),
    ];
    let outboxes: Vec<_> = replicas
        .iter()
        .map(|shared| Outbox::start(&bots, &telegram, Some(shared)).0)
        .collect();
    let per_replica = 100;
    let started = Instant::now();
    for (r, outbox) in outboxes.iter().enumerate() {
        for i in 0..per_replica {
            let chat = 8_000 + (r * per_replica + i) as i64;
            outbox.do_send(::actors::outgoing::Outgoing::send(
                BotKind::Client,
                chat,
                Reply::new("hello".into()),
            ));
        }
    }
    let total = 2 * per_replica as u64;
    let (rate, burst) = (40.0, 40.0);
    let mut most_over = 0.0_f64;
    loop {
        let sent = sandbox.emulator.calls("client", "sendMessage");
        let allowed = burst + rate * started.elapsed().as_secs_f64();
        most_over = most_over.max(sent as f64 - allowed);
        if sent >= total {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{sent} of {total} sent"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed().as_secs_f64();
    // 200 messages at 40/s after a burst of 40 take 4 s in total; two replicas each at 40/s would take 2 s.
    assert!(
        took >= 3.2,
        "{total} messages in {took:.2} s: the rate held per replica only"
    );
    // The burst and the rate, plus the cells each replica may hold (a tenth of a second's worth).
    assert!(
        most_over <= 8.0,
        "{most_over} messages above the shared rate"
    );
    println!(
        "two outboxes: {total} messages in {took:.2} s at 40/s shared, at most {most_over:.1} above it"
    );
}

#[actix_rt::test]
async fn with_redis_gone_the_shared_limit_steps_aside_at_once_and_counts_it() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("loyalty-redis-{}-{port}", std::process::id()));
    let mut redis = OwnRedis::start(port, dir);
    let shared = SharedLimits::new(
        connection(&format!("redis://127.0.0.1:{port}")).await,
        "test:gone:",
    );
    let rate = Rate::new(1, 2);
    let window = Duration::from_secs(10);
    let granted = |v: Option<loyalty::telegram::shared_limit::Verdict>| v.map(|v| v.granted);
    assert_eq!(granted(shared.take_update(1, rate, window).await), Some(1));
    assert_eq!(granted(shared.take_update(1, rate, window).await), Some(1));
    let refused = shared.take_update(1, rate, window).await.expect("Redis up");
    assert_eq!(refused.granted, 0);
    assert!(refused.notify, "the first refusal tells");
    assert!(refused.retry_after > Duration::from_millis(500));
    assert!(!shared.claim_notice(1, rate, window).await, "told already");

    redis.stop();
    assert_eq!(
        shared.take_update(1, rate, window).await,
        None,
        "fails open"
    );
    let started = Instant::now();
    for _ in 0..100 {
        assert_eq!(shared.take_update(2, rate, window).await, None);
    }
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "no wait on Redis during the back-off: {:?}",
        started.elapsed()
    );
    assert_eq!(shared.unavailable.load(Ordering::Relaxed), 101);
}
