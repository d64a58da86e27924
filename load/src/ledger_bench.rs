//! Ledger benchmark: closed-loop submitters at 1, 8 and 16, an open-loop run at a fixed rate, and `pgbench -N` at the
//! same client counts on the same server, so the ratio compares like with like on whatever machine runs it.

use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use actix::{Actor, Addr};
use actors::db::{clients, partners};
use actors::{IdempotencyKey, LedgerActor, LedgerCommand, LedgerConfig, LedgerOp, LedgerOutcome};
use anyhow::Context;
use fsm::{CashbackRate, ClientId, Kopecks, PartnerId, Points};
use loyalty::config::{Secret, Settings};
use loyalty::{Services, db};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds per measurement point.
    #[arg(long, default_value_t = 8)]
    seconds: u64,
    /// Submitter (and pgbench client) counts.
    #[arg(long, value_delimiter = ',', default_value = "1,8,16")]
    clients: Vec<usize>,
    /// The fixed rate of the open-loop latency run, ops/s.
    #[arg(long, default_value_t = 1_000)]
    open_rate: u64,
    /// A Postgres URL whose server hosts the scratch databases `loyalty_bench` and `loyalty_bench_pgbench`.
    #[arg(
        long,
        env = "LOYALTY_BENCH_PG_URL",
        default_value = "postgres://loyalty@127.0.0.1:55432/postgres"
    )]
    pg_url: String,
    /// Wallets the submitters spread over.
    #[arg(long, default_value_t = 2_000)]
    wallets: i64,
}

struct Point {
    ops_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let admin = loyalty::db::connect(&db_settings(&args.pg_url))
        .await
        .context("connecting to the benchmark server")?;
    admin
        .batch_execute("DROP DATABASE IF EXISTS loyalty_bench")
        .await?;
    admin.batch_execute("CREATE DATABASE loyalty_bench").await?;
    let bench_url = loyalty::db::url_with_database(&args.pg_url, "loyalty_bench");
    // Ledger limits come from the environment like the product's (LOYALTY__LEDGER__BATCH_MAX, ...).
    let mut settings = Settings::load(None)?;
    settings.database.url = Secret::new(bench_url);
    settings.log.level = "warn".into();
    let services = Services::start(settings.clone()).await?;
    let (clients, partners) = seed(&services, args.wallets).await?;
    println!(
        "ledger benchmark: batch_max={} inflight_max={}, {}s per point, {} wallets",
        settings.ledger.batch_max, settings.ledger.inflight_max, args.seconds, args.wallets
    );

    prepare_pgbench(&args.pg_url)?;
    println!(
        "{:>8} {:>14} {:>9} {:>9} {:>16} {:>8}",
        "clients", "ledger ops/s", "p50 ms", "p99 ms", "pgbench -N tps", "ratio"
    );
    let mut work = Workload {
        clients: &clients,
        partners: &partners,
        duration: Duration::from_secs(args.seconds),
        seq: 0,
    };
    for &n in &args.clients {
        let point = work.closed_loop(&services.ledger, n).await;
        let tps = pgbench(&args.pg_url, n, args.seconds)?;
        println!(
            "{n:>8} {:>14.0} {:>9.2} {:>9.2} {tps:>16.0} {:>7.2}x",
            point.ops_per_s,
            point.p50_ms,
            point.p99_ms,
            point.ops_per_s / tps
        );
        if n == 1 {
            let floor = commit_floor(&args.pg_url, args.seconds)?;
            println!(
                "         1 client, durable-commit floor (one-row INSERT per commit): {floor:.0} tx/s = {:.2}x pgbench -N; \
                 one submitter waits for each commit, so no ledger exceeds this",
                floor / tps
            );
            // The anchor of the single-statement path: the same submitter through ledger_apply_batch() alone.
            let batch_only = LedgerActor::new(
                db::pg_pool(&settings.database, 1)?,
                LedgerConfig {
                    single_statement: false,
                    ..settings.ledger.clone()
                },
            )
            .start();
            let anchor = work.closed_loop(&batch_only, 1).await;
            println!(
                "         1 client, ledger = {:.0} % of the floor (single statement); through ledger_apply_batch() \
                 alone: {:.0} ops/s = {:.0} % of the floor, p50 {:.2} ms",
                100.0 * point.ops_per_s / floor,
                anchor.ops_per_s,
                100.0 * anchor.ops_per_s / floor,
                anchor.p50_ms
            );
            // Where a command's time goes at one submitter: the least any transfer writes, and the ledger's own
            // statement without the actor's path in Rust.
            let least = least_transfer(&args.pg_url, args.seconds)?;
            println!(
                "         1 client, least transfer (two balances and a journal row, primary keys only, by pgbench): \
                 {least:.0} tx/s = {:.0} % of the floor",
                100.0 * least / floor
            );
            match seeded_ranges(&services, &clients).await? {
                Some((wallets, partners)) => {
                    let statement =
                        statement_by_pgbench(&args.pg_url, wallets, partners, args.seconds)?;
                    println!(
                        "         1 client, the ledger's single-statement transaction by pgbench: {statement:.0} tx/s \
                         = {:.0} % of the floor; the actor's path in Rust adds {:.0} us per command",
                        100.0 * statement / floor,
                        1e6 / point.ops_per_s - 1e6 / statement
                    );
                }
                None => println!(
                    "         1 client, the ledger's statement by pgbench: not measured (seeded ids not contiguous)"
                ),
            }
        }
    }
    let open = work.open_loop(&services.ledger, args.open_rate).await;
    println!(
        "open loop at {} ops/s: achieved {:.0} ops/s, p50 {:.2} ms, p99 {:.2} ms (from intended send time)",
        args.open_rate, open.ops_per_s, open.p50_ms, open.p99_ms
    );
    let m = &services.ledger_metrics;
    let commands = m.commands.load(std::sync::atomic::Ordering::Relaxed);
    let transactions = m
        .transactions
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(1);
    println!(
        "group commit: {commands} commands in {transactions} transactions ({:.1} per transaction), {} retries",
        commands as f64 / transactions as f64,
        m.retries.load(std::sync::atomic::Ordering::Relaxed)
    );
    let checks = actors::ledger::audit::check(&db::connect(&settings.database).await?).await?;
    let violated = checks.iter().filter(|c| c.violations != 0).count();
    println!(
        "check-ledger after the run: {} invariants, {violated} violated",
        checks.len()
    );
    anyhow::ensure!(
        violated == 0,
        "ledger invariants violated after the benchmark"
    );
    Ok(())
}

fn db_settings(url: &str) -> loyalty::config::DatabaseSettings {
    loyalty::config::DatabaseSettings {
        url: Secret::new(url.to_owned()),
        ..Default::default()
    }
}

/// Partners, and wallets funded well enough that redemptions mostly succeed.
async fn seed(
    services: &Services,
    wallets: i64,
) -> anyhow::Result<(Vec<ClientId>, Vec<PartnerId>)> {
    let db = services.pg.get().await?;
    let mut partners = Vec::new();
    for i in 0..20 {
        partners.push(
            partners::upsert_approved_partner(&**db, 1_000 + i, &format!("Bench {i}"), 500).await?,
        );
    }
    let mut clients = Vec::new();
    for i in 0..wallets {
        clients.push(
            clients::upsert_client_by_telegram(&**db, 10_000 + i, None, None)
                .await?
                .0,
        );
    }
    let grants = clients.iter().map(|c| {
        let op = LedgerOp::WelcomeBonus {
            client: *c,
            referrer: None,
            points: Points::new(100).expect("positive"),
        };
        services.ledger.send(LedgerCommand {
            key: IdempotencyKey::new(format!("w{c}")).expect("key"),
            op,
        })
    });
    for reply in futures_util::future::join_all(grants).await {
        anyhow::ensure!(
            matches!(reply??.outcome, LedgerOutcome::Applied { .. }),
            "seeding failed"
        );
    }
    Ok((clients, partners))
}

/// The seeded clients' ids and the ids of the partners that have an issued-points account, as inclusive ranges, when
/// both are contiguous (pgbench's `random(lo, hi)` draws from them).
async fn seeded_ranges(
    services: &Services,
    clients: &[ClientId],
) -> anyhow::Result<Option<((i64, i64), (i64, i64))>> {
    let contiguous = |ids: &[i64]| -> Option<(i64, i64)> {
        let (lo, hi) = (*ids.iter().min()?, *ids.iter().max()?);
        (hi - lo + 1 == ids.len() as i64).then_some((lo, hi))
    };
    let db = services.pg.get().await?;
    let partners: Vec<i64> = db
        .query(
            "SELECT partner_id FROM accounts WHERE kind = 'partner_issued'",
            &[],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let wallets: Vec<i64> = clients.iter().map(|c| c.0).collect();
    Ok(contiguous(&wallets).zip(contiguous(&partners)))
}

/// Four accruals to one redemption, over random wallets and partners.
fn command(seq: u64, clients: &[ClientId], partners: &[PartnerId]) -> LedgerCommand {
    let h = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let client = clients[(h % clients.len() as u64) as usize];
    let partner = partners[((h >> 20) % partners.len() as u64) as usize];
    let op = if seq % 5 == 4 {
        LedgerOp::Redeem {
            client,
            partner,
            points: Points::new(1 + (h >> 40) as i64 % 20).expect("positive"),
            receipt: None,
        }
    } else {
        let receipt = Kopecks::new(100_00 + ((h >> 30) % 500_000) as i64).expect("positive");
        LedgerOp::Accrue {
            client,
            partner,
            receipt,
            rate: CashbackRate::DEFAULT,
        }
    };
    LedgerCommand {
        key: IdempotencyKey::new(format!("bench:{seq}")).expect("key"),
        op,
    }
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1_000.0
}

fn summarize(mut latencies: Vec<Duration>, elapsed: Duration) -> Point {
    latencies.sort_unstable();
    Point {
        ops_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
    }
}

/// The commands of the measurements: random accruals and redemptions over the seeded wallets and partners, keys
/// numbered on from one measurement to the next so none repeats.
struct Workload<'a> {
    clients: &'a [ClientId],
    partners: &'a [PartnerId],
    /// Per measurement point.
    duration: Duration,
    /// The next command's number.
    seq: u64,
}

impl Workload<'_> {
    async fn closed_loop(&mut self, ledger: &Addr<LedgerActor>, submitters: usize) -> Point {
        let (duration, clients, partners) = (self.duration, self.clients, self.partners);
        let seq = &mut self.seq;
        let start = Instant::now();
        let base = *seq;
        let workers = (0..submitters).map(|w| {
            let ledger = ledger.clone();
            async move {
                let mut latencies = Vec::new();
                let mut i = 0u64;
                while start.elapsed() < duration {
                    let cmd = command(base + (i * submitters as u64) + w as u64, clients, partners);
                    let t = Instant::now();
                    if let Ok(Ok(_)) = ledger.send(cmd).await {
                        latencies.push(t.elapsed());
                    }
                    i += 1;
                }
                (latencies, i)
            }
        });
        let results = futures_util::future::join_all(workers).await;
        let elapsed = start.elapsed();
        *seq = base
            + results.iter().map(|(_, i)| *i).max().unwrap_or(0) * submitters as u64
            + submitters as u64;
        summarize(results.into_iter().flat_map(|(l, _)| l).collect(), elapsed)
    }

    async fn open_loop(&mut self, ledger: &Addr<LedgerActor>, rate: u64) -> Point {
        let (duration, clients, partners) = (self.duration, self.clients, self.partners);
        let seq = &mut self.seq;
        let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
        let total = (duration.as_secs_f64() * rate as f64) as u64;
        let start = Instant::now();
        let mut pending = Vec::with_capacity(total as usize);
        for i in 0..total {
            let intended = start + interval * i as u32;
            tokio::time::sleep_until(intended.into()).await;
            let cmd = command(*seq + i, clients, partners);
            let ledger = ledger.clone();
            pending.push(actix_rt::spawn(async move {
                let ok = matches!(ledger.send(cmd).await, Ok(Ok(_)));
                ok.then(|| intended.elapsed())
            }));
        }
        *seq += total;
        let mut latencies = Vec::with_capacity(pending.len());
        for handle in pending {
            if let Ok(Some(l)) = handle.await {
                latencies.push(l);
            }
        }
        summarize(latencies, start.elapsed())
    }
}

/// pgbench connection flags from the URL.
fn pg_flags(url: &str) -> anyhow::Result<Vec<String>> {
    let config = tokio_postgres::Config::from_str(url)?;
    let mut flags = Vec::new();
    if let Some(tokio_postgres::config::Host::Tcp(h)) = config.get_hosts().first() {
        flags.extend(["-h".into(), h.clone()]);
    }
    if let Some(p) = config.get_ports().first() {
        flags.extend(["-p".into(), p.to_string()]);
    }
    if let Some(u) = config.get_user() {
        flags.extend(["-U".into(), u.to_owned()]);
    }
    Ok(flags)
}

fn prepare_pgbench(url: &str) -> anyhow::Result<()> {
    let flags = pg_flags(url)?;
    let run = |args: &[&str]| -> anyhow::Result<()> {
        let out = Command::new(args[0])
            .args(&flags)
            .args(&args[1..])
            .output()
            .with_context(|| format!("running {}", args[0]))?;
        anyhow::ensure!(
            out.status.success(),
            "{} failed: {}",
            args[0],
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    };
    run(&["dropdb", "--if-exists", "loyalty_bench_pgbench"])?;
    run(&["createdb", "loyalty_bench_pgbench"])?;
    // Scale 16: one branch per client at the highest client count, as pgbench's docs advise.
    run(&["pgbench", "-i", "-q", "-s", "16", "loyalty_bench_pgbench"])?;
    // The table of the durable-commit floor (`commit_floor`), and those of the least transfer (`least_transfer`):
    // balances of 2,000 wallets and 16 partner accounts, and a journal, with nothing but their primary keys.
    run(&[
        "psql",
        "-q",
        "-d",
        "loyalty_bench_pgbench",
        "-c",
        "CREATE TABLE bench_commit_floor (x int); \
         CREATE TABLE bench_transfer_accounts (id bigint PRIMARY KEY, balance bigint NOT NULL) \
             WITH (fillfactor = 50); \
         INSERT INTO bench_transfer_accounts SELECT g, 0 FROM generate_series(1, 2016) AS g; \
         CREATE TABLE bench_transfer_journal (id bigserial PRIMARY KEY, debit_account_id bigint NOT NULL, \
             credit_account_id bigint NOT NULL, points bigint NOT NULL, \
             created_at timestamptz NOT NULL DEFAULT now())",
    ])
}

fn pgbench(url: &str, clients: usize, seconds: u64) -> anyhow::Result<f64> {
    pgbench_tps(
        url,
        "loyalty_bench_pgbench",
        &[
            "-N",
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
            "-T",
            &seconds.to_string(),
        ],
    )
}

/// Transactions per second of the cheapest durable write one client can make: a one-row INSERT, committed on its
/// own, one after another. A ledger that commits every acknowledged command before it replies cannot beat this with
/// one submitter, whatever it does inside the transaction.
fn commit_floor(url: &str, seconds: u64) -> anyhow::Result<f64> {
    pgbench_script(
        url,
        "loyalty_bench_pgbench",
        "commit_floor",
        "INSERT INTO bench_commit_floor VALUES (1);\n",
        seconds,
    )
}

/// Transactions per second of the least write set a transfer can have, one client, committed one after another:
/// two balances moved by one UPDATE and one journal row, in one transaction sent in one round trip (a pgbench
/// pipeline), on tables with nothing but primary keys — no idempotency key, no read, no CHECK, no other index. What
/// any ledger that keeps balances and a journal in Postgres pays per command at one submitter, before it decides
/// anything (issue 17, ledger headroom).
fn least_transfer(url: &str, seconds: u64) -> anyhow::Result<f64> {
    pgbench_script(
        url,
        "loyalty_bench_pgbench",
        "least_transfer",
        "\\set c random(1, 2000)\n\\set p random(2001, 2016)\n\\startpipeline\nBEGIN;\n\
         UPDATE bench_transfer_accounts SET balance = balance + CASE WHEN id = :c THEN 50 ELSE -50 END \
         WHERE id IN (:c, :p);\n\
         INSERT INTO bench_transfer_journal (debit_account_id, credit_account_id, points) VALUES (:p, :c, 50);\n\
         COMMIT;\n\\endpipeline\n",
        seconds,
    )
}

/// The ledger's own single-statement transaction (`sql/queries/ledger_apply_one.sql` after the key's advisory lock,
/// between BEGIN and COMMIT, one round trip) run by pgbench on the benchmark's database: accruals of 50 points at
/// random seeded wallets and partners, each under a fresh random key. Its rate beside the ledger's splits the cost
/// of a command between Postgres (this) and the actor's path in Rust (the difference). `None` when the seeded ids
/// `wallets` and `partners` are inclusive ranges of client and partner ids (every client has a wallet, every partner
/// an issued-points account: else the statement answers `fallback` and writes nothing).
fn statement_by_pgbench(
    url: &str,
    wallets: (i64, i64),
    partners: (i64, i64),
    seconds: u64,
) -> anyhow::Result<f64> {
    const APPLY_ONE_SQL: &str = include_str!("../../sql/queries/ledger_apply_one.sql");
    let body: Vec<&str> = APPLY_ONE_SQL
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--"))
        .collect();
    let mut statement = body.join(" ");
    // The statement's parameters as pgbench variables (-M prepared binds them as parameters again).
    for (param, value) in [
        ("$1::", "('pgb:' || :k)::"),
        ("$2::", "'pgbench'::"),
        ("$3::", "'accrual'::"),
        ("$4::", ":c::"),
        ("$5::", ":p::"),
        ("$6::", "50::"),
        ("$7::", "100000::"),
        ("$8::", "500::"),
    ] {
        statement = statement.replace(param, value);
    }
    anyhow::ensure!(
        !statement.contains('$'),
        "ledger_apply_one.sql has a parameter the pgbench anchor does not bind"
    );
    let script = format!(
        "\\set c random({}, {})\n\\set p random({}, {})\n\\set k random(1, 1000000000000000)\n\
         \\startpipeline\nBEGIN;\nSELECT pg_advisory_xact_lock(hashtextextended('pgb:' || :k, 0));\n\
         {statement}\nCOMMIT;\n\\endpipeline\n",
        wallets.0, wallets.1, partners.0, partners.1
    );
    pgbench_script(url, "loyalty_bench", "ledger_statement", &script, seconds)
}

/// Runs `script` (pgbench's script language) with one client for `seconds` on `database`, prepared statements.
fn pgbench_script(
    url: &str,
    database: &str,
    name: &str,
    script: &str,
    seconds: u64,
) -> anyhow::Result<f64> {
    let file = std::env::temp_dir().join(format!("loyalty_{name}_{}.sql", std::process::id()));
    std::fs::write(&file, script)?;
    let path = file.to_string_lossy().into_owned();
    let tps = pgbench_tps(
        url,
        database,
        &[
            "-n",
            "-M",
            "prepared",
            "-c",
            "1",
            "-T",
            &seconds.to_string(),
            "-f",
            &path,
        ],
    );
    let _ = std::fs::remove_file(&file);
    tps
}

fn pgbench_tps(url: &str, database: &str, args: &[&str]) -> anyhow::Result<f64> {
    let out = Command::new("pgbench")
        .args(pg_flags(url)?)
        .args(args)
        .arg(database)
        .output()
        .context("running pgbench")?;
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no tps line in pgbench output")
}
