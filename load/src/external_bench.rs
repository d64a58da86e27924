//! External-driver dialogue benchmark (hardening issue, item 9): the product runs as in production (no sandbox, Bot
//! API at a URL), and a separate process plays Telegram: `tgbench` from `../shared/tools/tgbench`, an independent
//! Bot API server with synthetic users, written outside this project. Its partners run the accrual dialogue
//! (`/accrue` → the client's phone → `1000` → a tap on the confirm screen's «Подтвердить»: four steps, one ledger
//! write) by long polling and by webhook push, in closed loop at each `--partners` count and in open loop at
//! `--open-rate` steps/s.
//!
//! Per point it prints throughput, p50/p95/p99 (from tgbench, measured from the intended send time in open loop),
//! timeouts, the updates the product counted as duplicates, and the ledger operations booked (about a quarter of the
//! steps: a run that stops booking shows it). The anchor in the same run is the in-process dialogue bench's figure
//! when `loyalty-load dialogue` runs beside it, and with `--peer-bin` the teloxide peer (`load/peers/teloxide`: the
//! same dialogue on teloxide's Dispatcher and RedisStorage) driven by the same tgbench points after the product: the
//! product's steps/s are printed as a ratio to the peer's. The targets are the absolute ones.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use loyalty::config::Secret;
use serde_json::Value;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tgbench binary (build it with `cargo build --release --manifest-path
    /// ../shared/tools/tgbench/Cargo.toml --target-dir target/tgbench`).
    #[arg(long, default_value = "target/tgbench/release/tgbench")]
    tgbench: PathBuf,
    /// Transports to measure, in order.
    #[arg(long, value_delimiter = ',', default_value = "polling,webhook")]
    transports: Vec<String>,
    /// How replies leave, in order: `durable` (the outbox streams, the product's way) and/or `memory` (sent from
    /// memory after the commit: the anchor for what durability costs, issue 12 item 8; never used in production).
    #[arg(long, value_delimiter = ',', default_value = "durable")]
    replies: Vec<String>,
    /// Concurrent partners in closed loop.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    partners: Vec<usize>,
    /// Steps/s of the open-loop point (1 step/s per partner); 0: none.
    #[arg(long, default_value_t = 1_000)]
    open_rate: u64,
    /// Measured seconds per point.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Seconds of warm-up per point (not measured).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Distinct client chats of the memory run (one `/balance` each, polling), then the idle stop; 0: none.
    #[arg(long, default_value_t = 100_000)]
    chats: usize,
    /// The teloxide peer (`load/peers/teloxide`, built with `cargo build --release --manifest-path
    /// load/peers/teloxide/Cargo.toml --target-dir target/peer`): when given, the same closed-loop points run against
    /// it by polling after the product's, and the product's steps/s are printed as a ratio to the peer's, an anchor
    /// measured in the same run on the same machine.
    #[arg(long)]
    peer_bin: Option<PathBuf>,
    /// Where tgbench serves the Bot API.
    #[arg(long, default_value = "127.0.0.1:18181")]
    bot_api: String,
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
}

const PARTNER_TOKEN: &str = "111:partner";
const PARTNER_BASE: i64 = 7_000_000;
const CLIENT_BASE: i64 = 8_000_000;
const WEBHOOK_SECRET: &str = "external-bench-secret-0123456789";
const CHAT_BASE: i64 = 20_000_000;
/// Sessions stop after this long without an update (short, so the memory run sees the stop).
const IDLE_STOP_S: u64 = 5;

/// One measured point as tgbench reports it, with the product's own counts beside it.
struct Point {
    answered_per_s: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    timeouts: u64,
    /// Taps that found no such button on the last message (the dialogue went off script).
    unsendable: u64,
    duplicates: u64,
    ledger_ops: i64,
    /// The ledger actor's transactions and retries during the point (group commit: ledger ops per transaction).
    ledger_transactions: u64,
    ledger_retries: u64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.tgbench.exists(),
        "{} not found: build tgbench first (see --help)",
        args.tgbench.display()
    );
    let users = args
        .partners
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(args.open_rate as usize);
    println!(
        "external-driver benchmark: accrual dialogue of 4 steps (1 ledger write), product in this process, \
         tgbench ({}) as Telegram in another",
        args.tgbench.display()
    );
    println!(
        "{:>8} {:>8} {:>12} {:>8} {:>10} {:>8} {:>8} {:>8} {:>9} {:>10} {:>6} {:>11} {:>10} {:>8}",
        "mode",
        "replies",
        "loop",
        "partners",
        "steps/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "timeouts",
        "off-script",
        "dups",
        "ledger ops",
        "ledger tx",
        "retries"
    );
    // Closed-loop throughput per (transport, partners, replies), for the cost of durable replies.
    let mut closed: Vec<(String, usize, String, f64)> = Vec::new();
    let runs = args
        .transports
        .iter()
        .flat_map(|t| args.replies.iter().map(move |r| (t, r)));
    for (transport, replies) in runs {
        anyhow::ensure!(
            replies == "durable" || replies == "memory",
            "--replies takes durable and/or memory, not {replies}"
        );
        let running = start_product(&args, transport, users, replies == "durable").await?;
        let points =
            args.partners.iter().map(|&n| (n, None)).chain(
                (args.open_rate > 0).then_some((args.open_rate as usize, Some(args.open_rate))),
            );
        for (n, rate) in points {
            let point = measure(&args, &running, transport, n, rate).await?;
            let label = rate.map_or("closed".to_string(), |r| format!("open {r}/s"));
            if rate.is_none() {
                closed.push((transport.clone(), n, replies.clone(), point.answered_per_s));
            }
            println!("{}", row(transport, replies, &label, n, &point, true));
        }
        if transport == "polling" && replies == "durable" && args.chats > 0 {
            memory_run(&args, &running, args.chats).await?;
        }
        let services = running.services.clone();
        running.shutdown().await;
        // The run's states and dedup marks: left behind they grow Redis run after run (see dialogue_bench).
        crate::dialogue_bench::forget_namespace(&services.redis, &namespace(transport)).await?;
    }
    if let Some(bin) = &args.peer_bin {
        for &n in &args.partners {
            let point = peer_point(&args, bin, n).await?;
            println!("{}", row("polling", "teloxide", "closed", n, &point, false));
            for (transport, m, replies, ours) in closed.iter().filter(|c| c.1 == n) {
                println!(
                    "the product ({transport}, {replies} replies) at {m} partners: {ours:.0} steps/s = {:.2}x the \
                     teloxide peer's {:.0} (same driver, same machine, same run)",
                    ours / point.answered_per_s,
                    point.answered_per_s
                );
            }
        }
    }
    for (transport, n, replies, durable) in &closed {
        let anchor = closed
            .iter()
            .find(|(t, m, r, _)| t == transport && m == n && r == "memory");
        if let (true, Some((_, _, _, memory))) = (replies == "durable", anchor) {
            println!(
                "durable replies, {transport} at {n} partners: {durable:.0} of {memory:.0} steps/s with replies sent \
                 from memory = {:.2}x (cost {:.1} %; target: at most 10 %)",
                durable / memory,
                (1.0 - durable / memory) * 100.0
            );
        }
    }
    println!(
        "targets (hardening issue, item 9): closed loop >= 5,600 steps/s with p99 <= 50 ms at 100 partners, \
         p99 <= 250 ms at 1,000; open loop 1,000 steps/s p99 <= 50 ms, in both modes"
    );
    Ok(())
}

/// A fresh database with `users` approved partners and a client for each (phone `+7999{i:07}`, tgbench's
/// `{phone}` for user i), then the product on it in `transport` mode, started while a bare `tgbench serve`
/// answers its start-up calls (setMyCommands, setWebhook).
async fn start_product(
    args: &Args,
    transport: &str,
    users: usize,
    durable_replies: bool,
) -> anyhow::Result<loyalty::server::Running> {
    let listen = free_loopback_port()?;
    let mut settings = crate::dialogue_bench::bench_settings(
        &args.pg_url,
        &args.redis_url,
        "loyalty_bench_external",
    )
    .await?;
    settings.http.listen = listen.clone();
    settings.log.level = "error".into();
    settings.sessions.redis_namespace = namespace(transport);
    settings.sessions.idle_stop_s = IDLE_STOP_S;
    settings.sessions.durable_replies = durable_replies;
    let t = &mut settings.telegram;
    t.api_url = format!("http://{}", args.bot_api);
    t.partner_token = Secret::new(PARTNER_TOKEN.into());
    t.client_token = Secret::new("222:client".into());
    t.admin_token = Secret::new("333:admin".into());
    t.mode = transport.into();
    t.public_url = format!("http://{listen}");
    t.webhook_secret = Secret::new(WEBHOOK_SECRET.into());
    let mut serve = tokio::process::Command::new(&args.tgbench)
        .args(["serve", "--bind", &args.bot_api])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting tgbench serve")?;
    wait_for_port(&args.bot_api).await?;
    let running = loyalty::server::start(settings, false).await;
    serve.kill().await.ok();
    let running = running?;
    // tgbench's `{phone}` of user i is +7999{i:07}.
    crate::dialogue_bench::seed(&running.services, users, PARTNER_BASE, CLIENT_BASE, "+7999")
        .await?;
    Ok(running)
}

/// One tgbench run against the running product: `n` partners, closed loop or `rate` steps/s.
async fn measure(
    args: &Args,
    running: &loyalty::server::Running,
    transport: &str,
    n: usize,
    rate: Option<u64>,
) -> anyhow::Result<Point> {
    let (mut cmd, out) = tgbench_run(args, n, rate);
    if transport == "webhook" {
        cmd.args([
            "--webhook",
            &format!("http://{}/webhook/partner", running.addr),
            "--secret",
            WEBHOOK_SECRET,
        ]);
        // Telegram honours setWebhook's `max_connections` (the product asks for its configured number); tgbench
        // takes it on its command line instead.
        let connections = loyalty::config::Settings::default()
            .telegram
            .webhook_max_connections;
        cmd.args(["--max-connections", &connections.to_string()]);
    }
    let engine = running.bots.as_ref().context("bots")?;
    let dups_before = engine.ingress.metrics.duplicates.load(Ordering::Relaxed);
    let ops_before = crate::dialogue_bench::operations(&running.services).await?;
    let ledger = &running.services.ledger_metrics;
    let (tx_before, retries_before) = (
        ledger.transactions.load(Ordering::Relaxed),
        ledger.retries.load(Ordering::Relaxed),
    );
    let mut point = finish(cmd, &out).await?;
    point.duplicates = engine.ingress.metrics.duplicates.load(Ordering::Relaxed) - dups_before;
    point.ledger_ops = crate::dialogue_bench::operations(&running.services).await? - ops_before;
    point.ledger_transactions = ledger.transactions.load(Ordering::Relaxed) - tx_before;
    point.ledger_retries = ledger.retries.load(Ordering::Relaxed) - retries_before;
    Ok(point)
}

/// One line of the table: tgbench's figures, then the product's own counts (duplicates, ledger operations,
/// transactions, retries), or dashes for the peer, which has none of them (`product` false).
fn row(
    transport: &str,
    replies: &str,
    label: &str,
    n: usize,
    point: &Point,
    product: bool,
) -> String {
    let counts = if product {
        [
            point.duplicates.to_string(),
            point.ledger_ops.to_string(),
            point.ledger_transactions.to_string(),
            point.ledger_retries.to_string(),
        ]
    } else {
        ["—", "—", "—", "—"].map(String::from)
    };
    format!(
        "{transport:>8} {replies:>8} {label:>12} {n:>8} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>9} {:>10} {:>6} {:>11} {:>10} {:>8}",
        point.answered_per_s,
        point.p50,
        point.p95,
        point.p99,
        point.timeouts,
        point.unsendable,
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    )
}

/// The tgbench command of one point (`n` partners running the accrual dialogue, closed loop or `rate` steps/s) and
/// the file its JSON summary goes to.
fn tgbench_run(
    args: &Args,
    n: usize,
    rate: Option<u64>,
) -> (tokio::process::Command, std::path::PathBuf) {
    let out = std::env::temp_dir().join(format!("tgbench-{}.json", std::process::id()));
    let mut cmd = tokio::process::Command::new(&args.tgbench);
    cmd.args(["run", "--bind", &args.bot_api, "--token", PARTNER_TOKEN])
        .args(["--users", &n.to_string()])
        .args(["--chat-base", &PARTNER_BASE.to_string()])
        .args(["--step", "/accrue", "--step", "{phone}", "--step", "1000"])
        .args(["--step", "@tap:Подтвердить"])
        .args(["--duration-s", &args.seconds.to_string()])
        .args(["--warmup-s", &args.warmup.to_string()])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .kill_on_drop(true);
    if let Some(rate) = rate {
        cmd.args(["--rate", &rate.to_string()]);
    }
    (cmd, out)
}

/// Runs tgbench to its end and reads its summary (the product's own counts are left at 0 for the caller).
async fn finish(mut cmd: tokio::process::Command, out: &std::path::Path) -> anyhow::Result<Point> {
    let status = cmd.status().await.context("running tgbench")?;
    if !status.success() {
        bail!("tgbench exited with {status}");
    }
    let summary: Value = serde_json::from_slice(&std::fs::read(out)?)?;
    std::fs::remove_file(out).ok();
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let latency = &summary["latency_ms"];
    Ok(Point {
        answered_per_s: f(&summary["answered_per_s"]),
        p50: f(&latency["p50"]),
        p95: f(&latency["p95"]),
        p99: f(&latency["p99"]),
        timeouts: summary["timeouts"].as_u64().unwrap_or(0),
        unsendable: summary["unsendable"].as_u64().unwrap_or(0),
        duplicates: 0,
        ledger_ops: 0,
        ledger_transactions: 0,
        ledger_retries: 0,
    })
}

/// One closed-loop point against the teloxide peer: tgbench first (it waits for the bot's first poll), then the
/// peer on the product's bench database (its own tables) and Redis (its dialogues under the bare chat ids, deleted
/// afterwards by `harness::peer::forget_dialogues`).
async fn peer_point(args: &Args, bin: &std::path::Path, n: usize) -> anyhow::Result<Point> {
    let (cmd, out) = tgbench_run(args, n, None);
    let tgbench = tokio::spawn(async move { finish(cmd, &out).await });
    wait_for_port(&args.bot_api).await?;
    let mut peer = tokio::process::Command::new(bin)
        .env("PEER_TOKEN", PARTNER_TOKEN)
        .env("PEER_API_URL", format!("http://{}", args.bot_api))
        .env("PEER_REDIS_URL", &args.redis_url)
        .env(
            "PEER_PG_URL",
            loyalty::db::url_with_database(&args.pg_url, "loyalty_bench_external"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting the peer {}", bin.display()))?;
    let point = tgbench.await.context("tgbench task")?;
    peer.kill().await.ok();
    crate::harness::peer::forget_dialogues(&args.redis_url, PARTNER_BASE, n).await?;
    point
}

/// `chats` distinct users each send `/balance` to the client bot once (all at once: tgbench queues them and the
/// product polls them in batches); then the product's RSS (this process runs only the product: Telegram's side is
/// tgbench's) before, after, and after the idle stop has ended every session.
async fn memory_run(
    args: &Args,
    running: &loyalty::server::Running,
    chats: usize,
) -> anyhow::Result<()> {
    let engine = running.bots.as_ref().context("bots")?;
    let rss_start = crate::dialogue_bench::rss_mib();
    let started = std::time::Instant::now();
    let mut driver = tokio::process::Command::new(&args.tgbench)
        .args(["run", "--bind", &args.bot_api, "--token", "222:client"])
        .args(["--users", &chats.to_string()])
        .args(["--chat-base", &CHAT_BASE.to_string()])
        .args(["--setup", "/balance", "--step", "@wait"])
        .args(["--duration-s", "0", "--warmup-s", "0"])
        .args(["--reply-timeout-ms", "30000"])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("running tgbench for the memory run")?;
    // The peak, and the live sessions then: sampled every 250 ms while the chats come in.
    let (mut rss_peak, mut live_peak) = (rss_start, 0usize);
    let status = loop {
        tokio::select! {
            status = driver.wait() => break status?,
            () = tokio::time::sleep(Duration::from_millis(250)) => {
                let rss = crate::dialogue_bench::rss_mib();
                if rss > rss_peak {
                    rss_peak = rss;
                    live_peak = engine.registry.send(actors::session::SessionCount).await?;
                }
            }
        }
    };
    anyhow::ensure!(status.success(), "tgbench exited with {status}");
    let elapsed = started.elapsed();
    // A session checks for idleness every idle_stop / 2: the last ones stop within 1.5 × idle_stop.
    tokio::time::sleep(Duration::from_secs(IDLE_STOP_S * 2)).await;
    let live_after = engine.registry.send(actors::session::SessionCount).await?;
    println!(
        "memory: {chats} distinct chats (one /balance each; tgbench then waits 30 s for stragglers) in {:.1}s: \
         product RSS {rss_start:.1} MiB at start, peak {rss_peak:.1} MiB ({live_peak} live sessions then); after \
         the idle stop ({IDLE_STOP_S} s): {:.1} MiB, {live_after} live sessions, {} limiter keys (target: within \
         50 MiB of the start)",
        elapsed.as_secs_f64(),
        crate::dialogue_bench::rss_mib(),
        engine.ingress.limiter_keys(),
    );
    Ok(())
}

fn namespace(transport: &str) -> String {
    format!("benchx:{}:{transport}:", std::process::id())
}

fn free_loopback_port() -> anyhow::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.to_string())
}

async fn wait_for_port(addr: &str) -> anyhow::Result<()> {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("tgbench did not listen on {addr}")
}
