//! The side-by-side run against the teloxide peer (`load/peers/teloxide`): the same synthetic partners drive the same
//! accrual dialogue (`/accrue` → phone → amount → Confirm) against it, on a Bot API of its own served here, for as
//! long as the product's run lasted; the two sets of figures are printed together and added to `report.json`
//! (`peer`). The peer polls, so `--transport polling` makes the comparison like for like.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::users::{self, Client, ClientModel, Mix, Partner, World};
use super::{Args, report, telegram};

/// Runs the peer phase and prints the comparison.
pub async fn compare(args: &Args, bin: &Path, db_url: &str) -> anyhow::Result<()> {
    let (emulator, addr, http) = telegram::serve().await?;
    let log = std::fs::File::create(args.out.join("peer.log"))?;
    let mut child = Command::new(bin)
        .env("PEER_TOKEN", telegram::BOTS[0].1)
        .env("PEER_API_URL", format!("http://{addr}/tg"))
        .env("PEER_REDIS_URL", &args.redis_url)
        .env("PEER_PG_URL", db_url)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting the peer {}", bin.display()))?;
    let started = Instant::now();
    while emulator.calls("partner", "getupdates") == 0 {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "the peer never polled: see {}",
            args.out.join("peer.log").display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let partners = (0..args.partners as i64)
        .map(|i| Partner {
            tg: users::PARTNER_BASE + i,
            referral: String::new(),
            till: tokio::sync::Mutex::new(()),
        })
        .collect();
    // The peer has no client bot: its clients exist by phone only.
    let clients = (0..args.users as i64)
        .map(|i| Client {
            tg: users::CLIENT_BASE + i,
            phone: format!("+7977{i:07}"),
            chat: tokio::sync::Mutex::new(ClientModel {
                joined: true,
                balance: 0,
            }),
        })
        .collect();
    let accrue_only = Mix {
        accrue: 1,
        redeem: 0,
        read: 0,
        bad: 0,
    };
    let mut world = World::new(emulator.clone(), partners, clients, accrue_only, args.zipf)?;
    world.client_bot = false;
    let world = Arc::new(world);
    let load_start = Instant::now();
    let deadline = load_start + Duration::from_secs(args.seconds);
    let workers = if args.workers == 0 {
        args.partners
    } else {
        args.workers
    };
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            actix_rt::spawn(users::closed_loop(
                world.clone(),
                users::rng_for(args.seed, 20_000 + w as u64),
                deadline,
            ))
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = load_start.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    http.stop(false).await;
    forget_dialogues(&args.redis_url, users::PARTNER_BASE, args.partners).await?;

    let samples = world
        .samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let (kinds, errors) = report::by_kind(&samples);
    let ok_steps = samples.iter().filter(|s| s.error.is_none()).count();
    let path = args.out.join("report.json");
    let mut product: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    println!(
        "\nthe accrual dialogue side by side ({} partners, {} workers, closed loop; the product by {}, the peer by polling):",
        args.partners, workers, args.transport
    );
    println!(
        "{:<16} {:>24} {:>24}",
        "step", "product p50/p99 ms", "teloxide p50/p99 ms"
    );
    for k in &kinds {
        let theirs = product["kinds"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["kind"] == k.kind.as_str()));
        let ours = theirs.map_or_else(
            || "—".to_string(),
            |p| {
                format!(
                    "{:.1} / {:.1}",
                    p["p50_ms"].as_f64().unwrap_or(0.0),
                    p["p99_ms"].as_f64().unwrap_or(0.0)
                )
            },
        );
        println!(
            "{:<16} {:>24} {:>24}",
            k.kind,
            ours,
            format!("{:.1} / {:.1}", k.p50_ms, k.p99_ms)
        );
    }
    let confirms = |kinds: &serde_json::Value| {
        kinds
            .as_array()
            .and_then(|all| all.iter().find(|p| p["kind"] == "accrue_confirm"))
            .map_or(0.0, |p| {
                p["count"].as_f64().unwrap_or(0.0) - p["errors"].as_f64().unwrap_or(0.0)
            })
    };
    let product_rate = confirms(&product["kinds"]) / product["seconds"].as_f64().unwrap_or(1.0);
    let peer_kinds = serde_json::to_value(&kinds)?;
    let peer_rate = confirms(&peer_kinds) / elapsed;
    println!(
        "accruals confirmed per second: product {product_rate:.1} (in its mix), teloxide {peer_rate:.1} (accruals only); \
         teloxide answered {:.0} steps/s, errors {errors:?}",
        ok_steps as f64 / elapsed
    );
    product["peer"] = serde_json::json!({
        "kinds": peer_kinds,
        "seconds": elapsed,
        "steps_per_s": ok_steps as f64 / elapsed,
        "accruals_per_s": peer_rate,
        "errors_by_kind": errors,
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&product)?)?;
    Ok(())
}

/// Deletes the peer's dialogues of the `n` chats from `first` on: they live under the chat ids themselves
/// (teloxide's RedisStorage has no prefix). Used after the harness's peer phase and the external bench's peer points.
pub(crate) async fn forget_dialogues(redis_url: &str, first: i64, n: usize) -> anyhow::Result<()> {
    let redis = loyalty::db::redis_pool(&loyalty::config::RedisSettings {
        url: loyalty::config::Secret::new(redis_url.to_owned()),
        ..Default::default()
    })?;
    let mut conn = redis.get().await?;
    let keys: Vec<String> = (0..n as i64).map(|i| (first + i).to_string()).collect();
    let _: i64 = deadpool_redis::redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await?;
    Ok(())
}
