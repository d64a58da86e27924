//! The replicas under test: `loyalty serve` processes sharing one Postgres and one Redis, each with its own
//! configuration file written here (the harness's Telegram as `telegram.api_url`, webhook or polling, Telegram's
//! limits opened wide as the benchmarks do: the stand-in is not Telegram). Started, waited for (`/readyz`), sampled
//! (resident memory from `/proc`), scraped (`/metrics`), killed (SIGKILL, the fault a load tester injects) and
//! stopped (SIGTERM).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// How a replica is configured.
pub struct ReplicaConfig<'a> {
    pub pg_url: &'a str,
    pub redis_url: &'a str,
    pub namespace: &'a str,
    /// The harness's Bot API, `http://127.0.0.1:port/tg`.
    pub api_url: &'a str,
    /// `webhook` or `polling`.
    pub mode: &'a str,
    pub webhook_secret: &'a str,
    /// `telegram.outbox_lease_ms`: how long a stopped or dead replica's streams wait for another.
    pub lease_ms: u64,
}

/// A running replica.
pub struct Replica {
    pub index: usize,
    pub base: String,
    pub child: Child,
    pub killed: bool,
}

/// A free loopback port (bound, read, released).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The `loyalty` binary beside this one (both are built into the same target directory), unless `given`.
pub fn server_bin(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let me = std::env::current_exe()?;
    let dir = me.parent().context("no directory")?;
    // Integration tests run from target/<profile>/deps.
    for candidate in [dir.join("loyalty"), dir.join("../loyalty")] {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    anyhow::bail!(
        "no `loyalty` binary beside {} (build it: cargo build --bin loyalty, or pass --server-bin)",
        me.display()
    )
}

fn config_toml(c: &ReplicaConfig<'_>, port: u16) -> anyhow::Result<String> {
    let json = serde_json::json!({
        "database": { "url": c.pg_url, "pool_size_max": 16 },
        "redis": { "url": c.redis_url },
        "http": { "listen": format!("127.0.0.1:{port}"), "workers": 2 },
        "telegram": {
            "api_url": c.api_url,
            "partner_token": "load-partner",
            "client_token": "load-client",
            "admin_token": "load-admin",
            "mode": c.mode,
            "public_url": format!("http://127.0.0.1:{port}"),
            "webhook_secret": c.webhook_secret,
            "poll_timeout_s": 1,
            "sends_per_chat_per_s": 10_000,
            "sends_burst_per_chat": 10_000,
            "sends_per_bot_per_s": 1_000_000,
            "updates_global_per_s": 1_000_000,
            "updates_per_user_per_s": 1_000,
            "updates_burst_per_user": 1_000,
            "outbox_lease_ms": c.lease_ms,
        },
        "sessions": { "redis_namespace": c.namespace },
        // A synthetic till serves customers faster than any real one: the per-partner lookup limits (an
        // anti-enumeration guard, 300 an hour by default) would refuse most of a hot partner's accruals.
        "partners": { "till_lookups_per_hour": 1_000_000, "find_lookups_per_hour": 1_000_000 },
        "log": { "level": "warn" },
    });
    let table = toml::Value::try_from(json)?;
    Ok(toml::to_string(&table)?)
}

/// Starts replica `index` with its configuration and log under `dir`.
pub fn start(
    bin: &Path,
    dir: &Path,
    index: usize,
    c: &ReplicaConfig<'_>,
) -> anyhow::Result<Replica> {
    let port = free_port()?;
    let config = dir.join(format!("replica-{index}.toml"));
    std::fs::write(&config, config_toml(c, port)?)?;
    let _ = std::fs::remove_file(dir.join(format!("replica-{index}.log")));
    Ok(Replica {
        index,
        base: format!("http://127.0.0.1:{port}"),
        child: spawn(bin, dir, index)?,
        killed: false,
    })
}

/// Starts a killed replica again: the same configuration and port, its log appended to.
pub fn restart(bin: &Path, dir: &Path, r: &mut Replica) -> anyhow::Result<()> {
    r.child = spawn(bin, dir, r.index)?;
    r.killed = false;
    Ok(())
}

fn spawn(bin: &Path, dir: &Path, index: usize) -> anyhow::Result<Child> {
    let config = dir.join(format!("replica-{index}.toml"));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("replica-{index}.log")))?;
    Command::new(bin)
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))
}

/// Waits until every replica answers `/readyz` with 200, or fails after `wait` naming the replica and its log.
pub async fn wait_ready(
    replicas: &mut [Replica],
    dir: &Path,
    wait: Duration,
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let start = Instant::now();
    for r in replicas.iter_mut() {
        loop {
            if let Ok(Some(status)) = r.child.try_wait() {
                anyhow::bail!(
                    "replica {} exited ({status}) while starting: see {}",
                    r.index,
                    dir.join(format!("replica-{}.log", r.index)).display()
                );
            }
            let ready = client
                .get(format!("{}/readyz", r.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|resp| resp.status().is_success());
            if ready {
                break;
            }
            anyhow::ensure!(
                start.elapsed() < wait,
                "replica {} not ready after {wait:?}: see {}",
                r.index,
                dir.join(format!("replica-{}.log", r.index)).display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// The replica's resident set, MiB (`None` once it is gone).
pub fn rss_mib(r: &Replica) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", r.child.id())).ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// SIGKILL: the replica dies with whatever it held.
pub fn kill(r: &mut Replica) {
    let _ = r.child.kill();
    let _ = r.child.wait();
    r.killed = true;
}

/// SIGTERM, then waits up to `wait` for a clean exit (SIGKILL after that).
pub async fn stop(r: &mut Replica, wait: Duration) {
    if r.killed {
        return;
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(r.child.id().to_string())
        .status();
    let start = Instant::now();
    while start.elapsed() < wait {
        if let Ok(Some(_)) = r.child.try_wait() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill(r);
}

/// The counters of the replica's `/metrics` this report uses: updates by outcome, ignored, outbox 429 waits.
pub async fn scrape(r: &Replica) -> Vec<(String, f64)> {
    let Ok(resp) = reqwest::get(format!("{}/metrics", r.base)).await else {
        return Vec::new();
    };
    let text = resp.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| {
            l.starts_with("loyalty_updates_total")
                || l.starts_with("loyalty_updates_ignored_total")
                || l.starts_with("loyalty_outbox_retry_after_waits_total")
                || l.starts_with("loyalty_ledger_commands_total")
        })
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect()
}
