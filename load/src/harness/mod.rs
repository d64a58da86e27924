//! `loyalty-load run`: the synthetic-user load harness. It plays Telegram for the product from outside — the Bot API
//! served by this process (`telegram.rs`), updates delivered by webhook push to several `loyalty serve` replicas
//! (or fetched by one replica's long polling) — and runs synthetic clients and partners through the real flows
//! (`users.rs`). Every step that moves points is logged Jepsen-style and the database is held to that log afterwards
//! (`history.rs`); the report is a table, JSON and an SVG chart (`report.rs`). Exit 1 on any violation.
//!
//! `loyalty-load check --history FILE`: the same check of a database against a saved history (a test doctors the
//! database and expects the check to fail).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::Context;

pub mod history;
mod replicas;
mod report;
mod telegram;
pub mod users;

use users::{Client, ClientModel, Mix, Partner, World};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Synthetic clients (each joins by a partner's link first).
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// Synthetic partners (approved, 5 %).
    #[arg(long, default_value_t = 20)]
    partners: usize,
    /// Seconds of mixed load after the joins.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// `loyalty serve` replicas sharing the database and Redis (webhook mode; polling takes one).
    #[arg(long, default_value_t = 1)]
    replicas: usize,
    /// `webhook` (pushed round robin to the replicas, with the secret header) or `polling`.
    #[arg(long, default_value = "webhook")]
    transport: String,
    /// Actions started per second (open loop); 0: closed loop with `--workers` people acting back to back.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Concurrent people in closed loop (0: one per partner).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// The action mix as weights: accrue, redeem, read (balance, history, stats), bad (bad input).
    #[arg(long, default_value = "accrue:50,redeem:20,read:25,bad:5")]
    mix: Mix,
    /// Zipf exponent of the partners' activity (0: uniform).
    #[arg(long, default_value_t = 1.1)]
    zipf: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// SIGKILL replica 0 this many seconds into the mixed load (a fault; needs 2 replicas or more).
    #[arg(long)]
    kill_after_s: Option<u64>,
    /// The `loyalty` binary (default: the one beside this binary).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Where the report, the history and the replicas' configuration and logs go.
    #[arg(long, default_value = "target/load-report")]
    out: PathBuf,
    /// The run's database, created afresh on the server of `pg_url` (kept after the run, for `check`).
    #[arg(long, default_value = "loyalty_load")]
    database: String,
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
    /// No progress bar (CI logs).
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The history a run saved (`history.json` in its report directory).
    #[arg(long)]
    history: PathBuf,
    /// The run's database URL.
    #[arg(long)]
    database_url: String,
}

const WEBHOOK_SECRET: &str = "load-harness-webhook-secret";

/// `loyalty-load check`: exit 1 when the database breaks the history.
pub async fn check(args: CheckArgs) -> anyhow::Result<bool> {
    let ops: Vec<history::Op> = serde_json::from_slice(
        &std::fs::read(&args.history)
            .with_context(|| format!("reading {}", args.history.display()))?,
    )?;
    let db = connect(&args.database_url).await?;
    let verdict = history::check(&db, &ops).await?;
    for v in &verdict.violations {
        println!("VIOLATION: {v}");
    }
    println!(
        "{} operations checked: {} ok, {} failed, {} unknown; {} violations",
        ops.len(),
        verdict.ok,
        verdict.fail,
        verdict.unknown,
        verdict.violations.len()
    );
    Ok(verdict.violations.is_empty())
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    loyalty::db::connect(&loyalty::config::DatabaseSettings {
        url: loyalty::config::Secret::new(url.into()),
        ..Default::default()
    })
    .await
}

/// Runs the harness; `Ok(false)` when the check found violations.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    anyhow::ensure!(
        args.users > 0 && args.partners > 0,
        "--users and --partners must be positive"
    );
    anyhow::ensure!(
        args.transport == "webhook" || (args.transport == "polling" && args.replicas == 1),
        "--transport is webhook (any number of replicas) or polling (one replica)"
    );
    anyhow::ensure!(
        args.kill_after_s.is_none() || args.replicas >= 2,
        "--kill-after-s needs at least 2 replicas (someone must survive)"
    );
    std::fs::create_dir_all(&args.out)?;
    let bin = replicas::server_bin(args.server_bin.as_deref())?;
    // A fresh database, as the benchmarks make it.
    crate::dialogue_bench::bench_settings(&args.pg_url, &args.redis_url, &args.database).await?;
    let db_url = loyalty::db::url_with_database(&args.pg_url, &args.database);

    let (emulator, addr, http) = telegram::serve().await?;
    let namespace = format!("load:{}:", std::process::id());
    let api_url = format!("http://{addr}/tg");
    let config = replicas::ReplicaConfig {
        pg_url: &db_url,
        redis_url: &args.redis_url,
        namespace: &namespace,
        api_url: &api_url,
        mode: &args.transport,
        webhook_secret: WEBHOOK_SECRET,
    };
    let mut fleet = Vec::new();
    for i in 0..args.replicas {
        fleet.push(replicas::start(&bin, &args.out, i, &config)?);
        if i == 0 {
            // The first migrates; the others find it done (and start in parallel from here).
            replicas::wait_ready(&mut fleet, &args.out, Duration::from_secs(90)).await?;
        }
    }
    replicas::wait_ready(&mut fleet, &args.out, Duration::from_secs(90)).await?;
    let outcome = drive(&args, &emulator, &mut fleet, &db_url).await;
    for r in &mut fleet {
        replicas::stop(r, Duration::from_secs(5)).await;
    }
    http.stop(false).await;
    let removed = {
        let redis = loyalty::db::redis_pool(&loyalty::config::RedisSettings {
            url: loyalty::config::Secret::new(args.redis_url.clone()),
            ..Default::default()
        })?;
        crate::dialogue_bench::forget_namespace(&redis, &namespace).await?
    };
    println!("removed the run's {removed} Redis keys under {namespace}");
    outcome
}

async fn drive(
    args: &Args,
    emulator: &loyalty::sandbox::Emulator,
    fleet: &mut [replicas::Replica],
    db_url: &str,
) -> anyhow::Result<bool> {
    let db = connect(db_url).await?;
    // Partners, approved at 5 %, and their referral codes.
    let mut partners = Vec::with_capacity(args.partners);
    for i in 0..args.partners as i64 {
        let tg = users::PARTNER_BASE + i;
        let id = actors::db::partners::upsert_approved_partner(&db, tg, &format!("Load {i}"), 500)
            .await?;
        let referral: String = db
            .query_one("SELECT referral_code FROM partners WHERE id = $1", &[&id.0])
            .await?
            .get(0);
        partners.push(Partner {
            tg,
            referral,
            till: tokio::sync::Mutex::new(()),
        });
    }
    let clients = (0..args.users as i64)
        .map(|i| Client {
            tg: users::CLIENT_BASE + i,
            phone: format!("+7977{i:07}"),
            chat: tokio::sync::Mutex::new(ClientModel::default()),
        })
        .collect();
    let start = Instant::now();
    let world = Arc::new(World {
        emulator: emulator.clone(),
        partners,
        clients,
        history: history::History::new(start),
        samples: std::sync::Mutex::new(Vec::new()),
        start,
        mix: args.mix,
        zipf: rand_distr::Zipf::new(args.partners as f64, args.zipf.max(0.0))
            .map_err(|e| anyhow::anyhow!("zipf: {e}"))?,
        steps: Default::default(),
        errors: Default::default(),
    });

    // Telegram's side: pushes to the replicas (webhook mode).
    let stop = Arc::new(AtomicBool::new(false));
    let targets = Arc::new(
        fleet
            .iter()
            .map(|r| telegram::Target {
                base: r.base.clone(),
                alive: AtomicBool::new(true),
                delivered: Default::default(),
            })
            .collect::<Vec<_>>(),
    );
    let delivery_stats = Arc::new(telegram::DeliveryStats::default());
    if args.transport == "webhook" {
        actix_rt::spawn(telegram::deliver(
            emulator.clone(),
            targets.clone(),
            WEBHOOK_SECRET.into(),
            40 * fleet.len(),
            delivery_stats.clone(),
            stop.clone(),
        ));
    }

    let progress = (!args.quiet).then(|| {
        let bar = indicatif::ProgressBar::new(args.seconds);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:30}] {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    // Ctrl-C ends the load early; the report is still written.
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        actix_rt::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.store(true, Relaxed);
            }
        });
    }

    // 1. Every client joins by a (Zipf-chosen) partner's link, a few dozen at a time.
    let join_workers = 32.min(args.users);
    let mut joins = Vec::new();
    for w in 0..join_workers {
        let world = world.clone();
        let mut rng = users::rng_for(args.seed, w as u64);
        joins.push(actix_rt::spawn(async move {
            let mut i = w;
            while i < world.clients.len() {
                let zipf = world.zipf;
                let rank = rand::RngExt::sample(&mut rng, zipf) as usize;
                let partner = &world.partners[(rank.max(1) - 1).min(world.partners.len() - 1)];
                world.join(&world.clients[i], partner).await;
                i += join_workers;
            }
        }));
    }
    for j in joins {
        let _ = j.await;
    }
    let joined_in = start.elapsed();

    // 2. The mixed load, with the fault if asked, sampling memory each second.
    let load_start = Instant::now();
    let deadline = load_start + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    if args.rate > 0 {
        tasks.push(actix_rt::spawn(users::open_loop(
            world.clone(),
            args.seed,
            args.rate,
            deadline,
        )));
    } else {
        let workers = if args.workers == 0 {
            args.partners
        } else {
            args.workers
        };
        for w in 0..workers {
            tasks.push(actix_rt::spawn(users::closed_loop(
                world.clone(),
                users::rng_for(args.seed, 10_000 + w as u64),
                deadline,
            )));
        }
    }
    let mut rss: Vec<Vec<Option<f64>>> = Vec::new();
    let mut killed = false;
    while Instant::now() < deadline && !interrupted.load(Relaxed) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let second = start.elapsed().as_secs() as usize;
        while rss.len() <= second {
            rss.push(fleet.iter().map(replicas::rss_mib).collect());
        }
        if let Some(at) = args.kill_after_s
            && !killed
            && load_start.elapsed() >= Duration::from_secs(at)
        {
            targets[0].alive.store(false, Relaxed);
            replicas::kill(&mut fleet[0]);
            killed = true;
            if let Some(bar) = &progress {
                bar.println(format!("killed replica 0 at {at} s"));
            }
        }
        if let Some(bar) = &progress {
            bar.set_position(load_start.elapsed().as_secs().min(args.seconds));
            bar.set_message(format!(
                "{} steps, {} errors",
                world.steps.load(Relaxed),
                world.errors.load(Relaxed)
            ));
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let load_elapsed = load_start.elapsed();
    // Notices still on their way (ratings, consent answers) settle before the books are checked.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut replica_stats = Vec::new();
    for (r, t) in fleet.iter().zip(targets.iter()) {
        let metrics = if r.killed {
            Default::default()
        } else {
            replicas::scrape(r).await.into_iter().collect()
        };
        replica_stats.push(report::ReplicaStats {
            index: r.index,
            killed: r.killed,
            delivered: t.delivered.load(Relaxed),
            metrics,
            rss_peak_mib: rss
                .iter()
                .filter_map(|s| s.get(r.index).copied().flatten())
                .fold(0.0, f64::max),
        });
    }
    stop.store(true, Relaxed);

    let ops = world.history.finish();
    std::fs::write(args.out.join("history.json"), serde_json::to_vec(&ops)?)?;
    let verdict = history::check(&db, &ops).await?;
    let samples = world
        .samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    // Throughput of the mixed load: answered steps sent after the joins, over its duration.
    let joined_ms = joined_in.as_millis() as u64;
    let load_steps = samples
        .iter()
        .filter(|s| s.at_ms >= joined_ms && s.error.is_none())
        .count();
    let (kinds, errors_by_kind) = report::by_kind(&samples);
    let r = report::Report {
        transport: args.transport.clone(),
        replicas: replica_stats,
        users: args.users,
        partners: args.partners,
        seconds: load_elapsed.as_secs_f64(),
        steps: samples.len(),
        steps_per_s: load_steps as f64 / load_elapsed.as_secs_f64().max(1e-3),
        errors_by_kind,
        kinds,
        timeline: report::timeline(&samples, &rss),
        webhook_push_failures: delivery_stats.failed.load(Relaxed),
        verdict,
    };
    report::print(&r);
    report::write(&r, &args.out)?;
    println!(
        "joins took {:.1} s; report: {}/report.json and report.svg",
        joined_in.as_secs_f64(),
        args.out.display()
    );
    Ok(r.verdict.violations.is_empty())
}
