//! Dialogue benchmark: the whole product in this process on its sandbox (Bot API emulator over HTTP, long polling,
//! Redis sessions with compare-and-set, dedup and rate limiting on, the ledger on Postgres), driven by synthetic
//! partners through the accrual dialogue (`/accrue` -> phone -> amount -> Confirm: four steps, the last one a
//! ledger write). Latency is update -> the bot's reply. Then 100,000 distinct chats, and the memory they leave.

use std::time::{Duration, Instant};

use anyhow::Context;
use loyalty::config::{Secret, Settings};
use loyalty::sandbox::Emulator;
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds per closed-loop and open-loop point.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent partners in closed loop.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    partners: Vec<usize>,
    /// Fixed rate of the open-loop run, steps/s (0: no open-loop run).
    #[arg(long, default_value_t = 1_000)]
    open_rate: u64,
    /// Distinct chats for the memory run (0: no memory run).
    #[arg(long, default_value_t = 100_000)]
    chats: i64,
    #[arg(
        long,
        env = "LOYALTY_BENCH_PG_URL",
        default_value = "postgres://loyalty@127.0.0.1:55432/postgres"
    )]
    pg_url: String,
    #[arg(
        long,
        env = "LOYALTY_BENCH_REDIS_URL",
        default_value = "redis://127.0.0.1:56379"
    )]
    redis_url: String,
    /// How updates reach the product: `polling` (getUpdates from the sandbox) or `webhook` (posted concurrently to
    /// /webhook/{bot}, as Telegram does in production).
    #[arg(long, default_value = "polling")]
    transport: String,
    /// Limit each replica alone: no Redis check of the per-user and per-bot limits (issue 17), to measure their cost.
    #[arg(long)]
    no_shared_limits: bool,
}

/// Where and how a step's update is delivered.
#[derive(Clone)]
struct Delivery {
    emulator: Emulator,
    /// With webhooks: the product's base URL and an HTTP client.
    webhook: Option<(String, reqwest::Client)>,
}

const WEBHOOK_SECRET: &str = "bench-webhook-secret-0123456789";
static NEXT_UPDATE_ID: std::sync::atomic::AtomicI64 =
    std::sync::atomic::AtomicI64::new(1_500_000_000);

/// A Telegram-shaped update carrying `content` (as the sandbox's user API takes it) from `user`.
fn update(id: i64, user: i64, content: &serde_json::Value) -> serde_json::Value {
    let from = json!({ "id": user, "is_bot": false, "first_name": "Bench", "language_code": "ru" });
    let chat = json!({ "id": user, "type": "private", "first_name": "Bench" });
    match content.get("callback") {
        Some(cb) => json!({ "update_id": id, "callback_query": {
            "id": format!("cb{id}"), "from": from, "chat_instance": "bench", "data": cb["data"],
            "message": { "message_id": cb["message_id"], "date": 0, "chat": chat, "text": "" },
        }}),
        None => json!({ "update_id": id, "message": {
            "message_id": id, "date": 0, "chat": chat, "from": from, "text": content["text"],
        }}),
    }
}

const PARTNER_BASE: i64 = 500_000;
const CLIENT_BASE: i64 = 600_000;
const CHAT_BASE: i64 = 10_000_000;
/// A step without a reply after this long counts as lost.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// This process's resident set (VmRSS), MiB.
pub(crate) fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// The product's settings for a benchmark: a fresh database `database` on the server of `pg_url` (dropped first, with
/// any connections a previous run left), Redis at `redis_url`, 32 pooled connections, 1 s long polls, and Telegram's
/// limits opened wide: the stand-in for Telegram (sandbox or tgbench) is not Telegram, and its limits would only
/// measure the limiter. The limiters stay in the path.
pub(crate) async fn bench_settings(
    pg_url: &str,
    redis_url: &str,
    database: &str,
) -> anyhow::Result<Settings> {
    let admin = loyalty::db::connect(&loyalty::config::DatabaseSettings {
        url: Secret::new(pg_url.into()),
        ..Default::default()
    })
    .await?;
    // Two statements: DROP DATABASE cannot share an implicit transaction.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {database}"))
        .await?;
    let mut settings = Settings::load(None)?;
    settings.database.url = Secret::new(loyalty::db::url_with_database(pg_url, database));
    settings.database.pool_size_max = 32;
    settings.redis.url = Secret::new(redis_url.into());
    let t = &mut settings.telegram;
    t.sends_per_chat_per_s = 10_000;
    t.sends_burst_per_chat = 10_000;
    t.sends_per_bot_per_s = 1_000_000;
    t.updates_global_per_s = 1_000_000;
    t.updates_per_user_per_s = 1_000;
    t.updates_burst_per_user = 1_000;
    t.poll_timeout_s = 1;
    Ok(settings)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut settings =
        bench_settings(&args.pg_url, &args.redis_url, "loyalty_bench_dialogue").await?;
    settings.http.listen = "127.0.0.1:0".into();
    // With polling, the HTTP server only serves the sandbox, which stands in for Telegram's servers (elsewhere in
    // production): one worker keeps it from taking a core's worth of threads from the product. With webhooks it is
    // the product's ingress and keeps the default.
    let sandbox_only_http = args.transport == "polling";
    if sandbox_only_http {
        settings.http.workers = 1;
    }
    settings.log.level = "warn".into();
    let namespace = format!("bench:{}:", std::process::id());
    settings.sessions.redis_namespace = namespace.clone();
    settings.sessions.idle_stop_s = 5;
    let t = &mut settings.telegram;
    t.webhook_secret = Secret::new(WEBHOOK_SECRET.into());
    t.shared_limits = !args.no_shared_limits;
    let running = loyalty::server::start(settings, true).await?;
    let emulator = Delivery {
        emulator: running.emulator.clone().context("sandbox emulator")?,
        webhook: (args.transport == "webhook")
            .then(|| (format!("http://{}", running.addr), reqwest::Client::new())),
    };
    let emulator = &emulator;
    let max_partners = args
        .partners
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(args.open_rate as usize);
    seed(
        &running.services,
        max_partners,
        PARTNER_BASE,
        CLIENT_BASE,
        "+7900",
    )
    .await?;
    println!(
        "dialogue benchmark: accrual dialogue of 4 steps (1 ledger write), one process, sandbox over HTTP, updates by {}{}{}",
        args.transport,
        if args.no_shared_limits {
            ", limits per replica only"
        } else {
            ", limits shared in Redis"
        },
        if sandbox_only_http {
            " (sandbox: 1 HTTP worker)"
        } else {
            ""
        }
    );
    println!(
        "{:>10} {:>12} {:>9} {:>9} {:>8} {:>12}",
        "partners", "steps/s", "p50 ms", "p99 ms", "lost", "ledger ops"
    );
    for &n in &args.partners {
        let ops_before = operations(&running.services).await?;
        let point = closed_loop(emulator, n, Duration::from_secs(args.seconds)).await;
        // Every fourth step is a Confirm: about steps/4 accruals must have reached the ledger.
        let ops = operations(&running.services).await? - ops_before;
        println!(
            "{n:>10} {:>12.0} {:>9.2} {:>9.2} {:>8} {ops:>12}",
            point.per_s, point.p50_ms, point.p99_ms, point.lost
        );
    }
    if args.open_rate > 0 {
        let open = open_loop(emulator, args.open_rate, Duration::from_secs(args.seconds)).await;
        println!(
            "open loop at {} steps/s: achieved {:.0} steps/s, p50 {:.2} ms, p99 {:.2} ms (from intended send time), lost {}",
            args.open_rate, open.per_s, open.p50_ms, open.p99_ms, open.lost
        );
    }
    println!("targets (DESIGN.md): >= 5,600 steps/s at 100 partners, p99 <= 50 ms");
    if args.chats > 0 {
        memory_run(&running, emulator, args.chats).await?;
    }
    let removed = forget_namespace(&running.services.redis, &namespace).await?;
    println!("removed the run's {removed} Redis keys (states and dedup marks under {namespace})");
    Ok(())
}

/// `chats` distinct chats one step each, then the memory they leave and what the idle stop gives back.
async fn memory_run(
    running: &loyalty::server::Running,
    emulator: &Delivery,
    chats: i64,
) -> anyhow::Result<()> {
    let rss_before = rss_mib();
    let elapsed = many_chats(emulator, chats).await;
    let registry = &running.bots.as_ref().context("bots")?.registry;
    let live = registry.send(actors::session::SessionCount).await?;
    let ingress = &running.bots.as_ref().context("bots")?.ingress;
    println!(
        "{} distinct chats in {:.1}s ({:.0}/s): RSS {:.1} MiB -> {:.1} MiB, {live} live sessions, {} limiter keys",
        chats,
        elapsed.as_secs_f64(),
        chats as f64 / elapsed.as_secs_f64(),
        rss_before,
        rss_mib(),
        ingress.limiter_keys()
    );
    // A session checks for idleness every idle_stop / 2, so the last ones stop up to 1.5 × idle_stop after their
    // last update (7.5 s here); 9 s leaves a margin.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let live = registry.send(actors::session::SessionCount).await?;
    println!(
        "after the idle stop (5 s): RSS {:.1} MiB, {live} live sessions",
        rss_mib()
    );
    Ok(())
}

/// Deletes every key under the run's namespace. Left behind, a few hundred thousand keys a run (until their TTLs)
/// grow a developer's Redis by gigabytes over a day of runs, and its AOF rewrites then slow the runs that follow.
pub(crate) async fn forget_namespace(
    redis: &actors::redis_conn::SharedRedis,
    namespace: &str,
) -> anyhow::Result<u64> {
    let mut conn = redis.get().await?;
    let pattern = format!("{namespace}*");
    let (mut cursor, mut removed) = (0u64, 0u64);
    loop {
        let (next, keys): (u64, Vec<String>) = deadpool_redis::redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1_000)
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            let n: u64 = deadpool_redis::redis::cmd("UNLINK")
                .arg(&keys)
                .query_async(&mut conn)
                .await?;
            removed += n;
        }
        if next == 0 {
            return Ok(removed);
        }
        cursor = next;
    }
}

/// `n` approved partners (Telegram ids `partner_base + i`, 5 %) and a verified client for each (Telegram id
/// `client_base + i`, phone `{phone_prefix}{i:07}`), then statistics as autovacuum would gather them.
pub(crate) async fn seed(
    services: &loyalty::Services,
    n: usize,
    partner_base: i64,
    client_base: i64,
    phone_prefix: &str,
) -> anyhow::Result<()> {
    let mut db = services.pg.get().await?;
    let tx = db.transaction().await?;
    for i in 0..n as i64 {
        actors::db::partners::upsert_approved_partner(
            &*tx,
            partner_base + i,
            &format!("Bench {i}"),
            500,
        )
        .await?;
        let code = fsm::MemberCode::from_random(client_base as u64 + i as u64);
        tx.execute(
            "INSERT INTO clients (telegram_id, phone, phone_verified, member_code, registered_via) \
             VALUES ($1, $2, true, $3, 'bot')",
            &[
                &(client_base + i),
                &format!("{phone_prefix}{i:07}"),
                &code.as_str(),
            ],
        )
        .await?;
    }
    tx.commit().await?;
    // A network that has been running holds ledger history: every client got its welcome bonus (through the ledger
    // actor, so in group commits). Against empty ledger tables the ledger function's first plans (cached per
    // connection, generic after five runs) are made for tables of no rows; as a short run then fills them, the plans
    // of some connections stay whole-table scans until autovacuum's next ANALYZE, and such a run collapsed (1,000
    // partners: ~2,500 instead of ~5,300 steps/s, `ledger_apply_batch` active in most samples of pg_stat_activity).
    let ids: Vec<i64> = db
        .query(
            "SELECT id FROM clients WHERE telegram_id >= $1 AND telegram_id < $2",
            &[&client_base, &(client_base + n as i64)],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let bonuses = ids.into_iter().map(|id| {
        let command = actors::ledger::LedgerCommand {
            key: actors::ledger::IdempotencyKey::new(format!("bench-welcome:{id}"))
                .expect("a printable key"),
            op: actors::ledger::LedgerOp::WelcomeBonus {
                client: fsm::ClientId(id),
                referrer: None,
                points: fsm::Points::new(100).expect("positive"),
            },
        };
        services.ledger.send(command)
    });
    for booked in futures_util::future::join_all(bonuses).await {
        booked.context("ledger actor")?.context("welcome bonus")?;
    }
    // As autovacuum would soon after such a load: without statistics the planner scans whole tables.
    db.batch_execute("ANALYZE").await?;
    Ok(())
}

/// Ledger operations booked so far (accruals of the dialogue runs).
pub(crate) async fn operations(services: &loyalty::Services) -> anyhow::Result<i64> {
    let db = services.pg.get().await?;
    Ok(db
        .query_one("SELECT count(*) FROM operations", &[])
        .await?
        .get(0))
}

struct Point {
    per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    lost: u64,
}

fn summarize(mut latencies: Vec<Duration>, lost: u64, elapsed: Duration) -> Point {
    latencies.sort_unstable();
    let pct = |q: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * q).round() as usize)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    Point {
        per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        lost,
    }
}

/// Sends one update and waits for the bot's reply to that chat; `None` if none came.
async fn step(
    delivery: &Delivery,
    bot: &str,
    user: i64,
    content: serde_json::Value,
) -> Option<i64> {
    let reply = delivery.emulator.next_reply(bot, user);
    let id = match &delivery.webhook {
        None => delivery
            .emulator
            .user_update(bot, user, "Bench", "ru", content)
            .ok()?,
        Some((base, client)) => {
            let id = NEXT_UPDATE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let sent = client
                .post(format!("{base}/webhook/{bot}"))
                .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
                .json(&update(id, user, &content))
                .send()
                .await
                .ok()?;
            if !sent.status().is_success() {
                return None;
            }
            id
        }
    };
    tokio::time::timeout(STEP_TIMEOUT, reply).await.ok()?.ok()?;
    Some(id)
}

/// Step `n` (0..4) of partner `i`'s accrual: `/accrue`, the client's phone, the amount, then a press of the first
/// button (Confirm) of the confirm screen the bot sent, with the data it carries (the draft minted for it).
fn step_content(delivery: &Delivery, i: i64, n: u32) -> serde_json::Value {
    match n % 4 {
        0 => json!({ "text": "/accrue" }),
        1 => json!({ "text": format!("+7900{:07}", i) }),
        2 => json!({ "text": "1000" }),
        _ => {
            let (message_id, data) = delivery
                .emulator
                .last_inline_button("partner", PARTNER_BASE + i)
                .unwrap_or_default();
            json!({ "callback": { "message_id": message_id, "data": data } })
        }
    }
}

/// Runs partner `i`'s dialogue step after step; `slot(k)` says when step k is due (now, in closed loop) and latency
/// is measured from then.
async fn partner_loop(
    emulator: &Delivery,
    i: i64,
    until: Instant,
    mut slot: impl FnMut(u32) -> Option<Instant>,
) -> (Vec<Duration>, u64) {
    let (mut latencies, mut lost) = (Vec::new(), 0);
    let mut k = 0u32;
    while let Some(due) = slot(k) {
        if due >= until {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        match step(
            emulator,
            "partner",
            PARTNER_BASE + i,
            step_content(emulator, i, k),
        )
        .await
        {
            Some(_) => {
                latencies.push(due.elapsed());
                k += 1;
            }
            None => {
                // Start the dialogue over.
                lost += 1;
                k += 4 - k % 4;
            }
        }
    }
    (latencies, lost)
}

async fn closed_loop(emulator: &Delivery, partners: usize, duration: Duration) -> Point {
    let start = Instant::now();
    let until = start + duration;
    let runs =
        (0..partners as i64).map(|i| partner_loop(emulator, i, until, |_| Some(Instant::now())));
    let results = futures_util::future::join_all(runs).await;
    let elapsed = start.elapsed();
    let lost = results.iter().map(|r| r.1).sum();
    summarize(
        results.into_iter().flat_map(|r| r.0).collect(),
        lost,
        elapsed,
    )
}

/// `rate` partners each take one step per second at their own offset: `rate` steps/s in all. A late step is timed
/// from when it was due, so queueing shows in the latency instead of slowing the load (no coordinated omission).
async fn open_loop(emulator: &Delivery, rate: u64, duration: Duration) -> Point {
    let partners = rate.max(1) as usize;
    let start = Instant::now() + Duration::from_millis(100);
    let until = start + duration;
    let runs = (0..partners as i64).map(|i| {
        let offset = Duration::from_secs_f64(i as f64 / partners as f64);
        partner_loop(emulator, i, until, move |k| {
            Some(start + offset + Duration::from_secs(u64::from(k)))
        })
    });
    let results = futures_util::future::join_all(runs).await;
    let elapsed = until.saturating_duration_since(start);
    let lost = results.iter().map(|r| r.1).sum();
    summarize(
        results.into_iter().flat_map(|r| r.0).collect(),
        lost,
        elapsed,
    )
}

async fn many_chats(emulator: &Delivery, chats: i64) -> Duration {
    let start = Instant::now();
    let in_flight = 500;
    let workers = (0..in_flight).map(|w| async move {
        let mut user = CHAT_BASE + w;
        while user < CHAT_BASE + chats {
            step(emulator, "client", user, json!({ "text": "/balance" })).await;
            user += in_flight;
        }
    });
    futures_util::future::join_all(workers).await;
    start.elapsed()
}
