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

mod chaos;
pub mod history;
pub(crate) mod peer;
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
    /// The faults of issue 17 spread over the mixed load: SIGKILL replica 0 (started again 2 s later), restart
    /// Redis, stop Postgres with `-m immediate` and start it, SIGSTOP the last replica past every stream lease and
    /// SIGCONT it; with `--redeliver 0.2` unless given. Implies `--own-services`; webhook mode, 2 replicas or more.
    #[arg(long)]
    chaos: bool,
    /// Start a Redis and a Postgres of the run's own on free loopback ports (instead of `--redis-url`,
    /// `--pg-url`), which the faults may restart.
    #[arg(long)]
    own_services: bool,
    /// Share of the updates pushed twice (to two replicas), as Telegram redelivers when an answer is lost.
    #[arg(long)]
    redeliver: Option<f64>,
    /// The replicas' `telegram.outbox_lease_ms` (default 10,000; 3,000 with `--chaos`).
    #[arg(long)]
    lease_ms: Option<u64>,
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
    /// The teloxide peer's binary (`load/peers/teloxide`, built apart): after the product's run, the same partners
    /// drive the same accrual dialogue against it for `--seconds`, and both figures are printed side by side.
    #[arg(long)]
    peer_bin: Option<PathBuf>,
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
pub async fn run(mut args: Args) -> anyhow::Result<bool> {
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
    anyhow::ensure!(
        !args.chaos || (args.transport == "webhook" && args.replicas >= 2),
        "--chaos needs webhook mode and at least 2 replicas"
    );
    anyhow::ensure!(
        args.redeliver.is_none() || args.transport == "webhook",
        "--redeliver needs webhook mode"
    );
    std::fs::create_dir_all(&args.out)?;
    let bin = replicas::server_bin(args.server_bin.as_deref())?;
    // The services the faults restart: the run's own, never the shared ones.
    let services = if args.chaos || args.own_services {
        let own = chaos::OwnServices::start(&args.out.join("services"))?;
        println!("own services: {} and {}", own.pg_url, own.redis_url);
        args.pg_url = own.pg_url.clone();
        args.redis_url = own.redis_url.clone();
        Some(Arc::new(std::sync::Mutex::new(own)))
    } else {
        None
    };
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
        lease_ms: args
            .lease_ms
            .unwrap_or(if args.chaos { 3_000 } else { 10_000 }),
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
    let faults = Faults {
        bin: &bin,
        services: services.clone(),
        lease: Duration::from_millis(config.lease_ms),
    };
    let outcome = drive(&args, &emulator, &mut fleet, &db_url, &faults).await;
    for r in &mut fleet {
        replicas::stop(r, Duration::from_secs(5)).await;
    }
    if let (Some(peer), Ok(_)) = (&args.peer_bin, &outcome) {
        peer::compare(&args, peer, &db_url).await?;
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
    drop(faults);
    // The run's own services stop here (the last reference).
    drop(services);
    outcome
}

/// What the faults need: the server binary (to start a killed replica again) and the run's own services.
struct Faults<'a> {
    bin: &'a std::path::Path,
    services: Option<Arc<std::sync::Mutex<chaos::OwnServices>>>,
    lease: Duration,
}

impl Faults<'_> {
    /// Runs `f` on the run's own services off the async threads (`pg_ctl` waits); an error names the fault.
    async fn on_services(
        &self,
        f: fn(&mut chaos::OwnServices) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let services = self
            .services
            .clone()
            .context("this fault needs --own-services")?;
        actix_rt::task::spawn_blocking(move || {
            let mut own = services.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut own)
        })
        .await
        .context("the fault's thread")?
    }
}

async fn drive(
    args: &Args,
    emulator: &loyalty::sandbox::Emulator,
    fleet: &mut [replicas::Replica],
    db_url: &str,
    faults: &Faults<'_>,
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
    let world = Arc::new(World::new(
        emulator.clone(),
        partners,
        clients,
        args.mix,
        args.zipf,
    )?);
    let start = world.start;

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
            match args.redeliver.or(args.chaos.then_some(0.2)) {
                Some(share) if share > 0.0 => (1.0 / share.min(1.0)).round() as u64,
                _ => 0,
            },
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
    let mut schedule = if args.chaos {
        chaos::schedule(args.seconds)
    } else {
        Vec::new()
    };
    // Each fault is printed as it happens (above the progress bar, if any).
    let note = |event: String| match &progress {
        Some(bar) => bar.println(format!("fault at {event}")),
        None => println!("fault at {event}"),
    };
    let mut restart_at: Option<Instant> = None;
    let mut resume_at: Option<Instant> = None;
    // When a replica was SIGKILLed or SIGSTOPped (Unix ms, the emulator's clock): a reply it had in flight then may
    // be sent again by the stream's next holder (`World::replies_sent_twice`).
    let mut sender_faults: Vec<i64> = Vec::new();
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
            sender_faults.push(loyalty::sandbox::emulator::now_ms());
            replicas::kill(&mut fleet[0]);
            killed = true;
            if let Some(bar) = &progress {
                bar.println(format!("killed replica 0 at {at} s"));
            }
        }
        while let Some(&(at, fault)) = schedule.first()
            && load_start.elapsed() >= at
        {
            schedule.remove(0);
            let what = match fault {
                chaos::Fault::KillReplica => {
                    targets[0].alive.store(false, Relaxed);
                    sender_faults.push(loyalty::sandbox::emulator::now_ms());
                    replicas::kill(&mut fleet[0]);
                    restart_at = Some(Instant::now() + Duration::from_secs(2));
                    "SIGKILL replica 0".to_string()
                }
                chaos::Fault::RestartRedis => {
                    faults
                        .on_services(chaos::OwnServices::restart_redis)
                        .await?;
                    "Redis restarted".to_string()
                }
                chaos::Fault::RestartPostgres => {
                    faults
                        .on_services(chaos::OwnServices::restart_postgres)
                        .await?;
                    "Postgres stopped -m immediate and started".to_string()
                }
                chaos::Fault::PauseReplica => {
                    let last = fleet.len() - 1;
                    sender_faults.push(loyalty::sandbox::emulator::now_ms());
                    chaos::signal(fleet[last].child.id(), "STOP");
                    let pause = faults.lease + Duration::from_secs(2);
                    resume_at = Some(Instant::now() + pause);
                    format!("SIGSTOP replica {last} for {:.1} s", pause.as_secs_f64())
                }
            };
            note(format!(
                "{:.1} s: {what}",
                load_start.elapsed().as_secs_f64()
            ));
        }
        if restart_at.is_some_and(|at| Instant::now() >= at) {
            restart_at = None;
            replicas::restart(faults.bin, &args.out, &mut fleet[0])?;
            replicas::wait_ready(&mut fleet[..1], &args.out, Duration::from_secs(60)).await?;
            targets[0].alive.store(true, Relaxed);
            note(format!(
                "{:.1} s: replica 0 started again and ready",
                load_start.elapsed().as_secs_f64()
            ));
        }
        if resume_at.is_some_and(|at| Instant::now() >= at) {
            resume_at = None;
            let last = fleet.len() - 1;
            chaos::signal(fleet[last].child.id(), "CONT");
            note(format!(
                "{:.1} s: SIGCONT replica {last}",
                load_start.elapsed().as_secs_f64()
            ));
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
    // A load shorter than the schedule still ends with every replica running.
    if restart_at.is_some() {
        replicas::restart(faults.bin, &args.out, &mut fleet[0])?;
        replicas::wait_ready(&mut fleet[..1], &args.out, Duration::from_secs(60)).await?;
        targets[0].alive.store(true, Relaxed);
    }
    if resume_at.is_some() {
        chaos::signal(fleet[fleet.len() - 1].child.id(), "CONT");
    }
    // Every dialogue continues after the faults: each chat answers once more.
    let silent = if args.chaos {
        world.probe().await
    } else {
        Vec::new()
    };
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
    // A connection of its own: Postgres may have restarted under the first one.
    let db = connect(db_url).await?;
    let mut verdict = history::check(&db, &ops).await?;
    verdict.violations.extend(
        silent
            .iter()
            .map(|chat| format!("{chat} did not answer after the faults")),
    );
    let sent_twice = world.replies_sent_twice(&sender_faults);
    let twice = sent_twice.violations.len();
    verdict.violations.extend(
        sent_twice
            .violations
            .iter()
            .map(|m| format!("a reply was sent twice: {m}")),
    );
    let redelivered = delivery_stats.redelivered.load(Relaxed);
    if redelivered > 0 || args.chaos || !sender_faults.is_empty() {
        println!(
            "updates delivered twice: {redelivered}; chats probed after the faults: {} silent; replies with a \
             step's own button sent twice: {twice}; sent again because they were in flight when their sender was \
             killed or frozen (at least once): {}",
            silent.len(),
            sent_twice.across_a_fault.len()
        );
        for m in &sent_twice.across_a_fault {
            println!("  in flight at a fault, sent again: {m}");
        }
    }
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
        sent_again_across_a_fault: sent_twice.across_a_fault,
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
