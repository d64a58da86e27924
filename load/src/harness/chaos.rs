//! Chaos (issue 17): the faults a run can inject beyond one SIGKILL, and the services it may restart.
//!
//! `--chaos` runs, spread over the mixed load, in this order: SIGKILL replica 0 (and start it again two seconds
//! later, as a supervisor would), restart Redis, stop Postgres with `-m immediate` and start it, SIGSTOP the last
//! replica for longer than a stream lease and SIGCONT it. Webhook pushes are delivered twice for a share of the
//! updates throughout (`--redeliver`). Redis and Postgres can only be restarted when the harness started them
//! itself (`--own-services`, which `--chaos` implies): on free loopback ports, under a directory of the run, never
//! the shared development services.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// One fault, at a second of the mixed load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// SIGKILL replica 0; it is started again two seconds later.
    KillReplica,
    RestartRedis,
    /// `pg_ctl stop -m immediate`, then start.
    RestartPostgres,
    /// SIGSTOP the last replica for a lease and two seconds, then SIGCONT.
    PauseReplica,
}

/// The faults of `--chaos` over a load of `seconds`: evenly spread, the first at a sixth of it.
pub fn schedule(seconds: u64) -> Vec<(Duration, Fault)> {
    let step = Duration::from_secs_f64(seconds as f64 / 6.0);
    [
        Fault::KillReplica,
        Fault::RestartRedis,
        Fault::RestartPostgres,
        Fault::PauseReplica,
    ]
    .into_iter()
    .enumerate()
    .map(|(i, f)| (step * (i as u32 + 1), f))
    .collect()
}

/// A Redis and a Postgres of the run's own.
pub struct OwnServices {
    pub redis_url: String,
    /// The server's `postgres` database, as `--pg-url` takes it.
    pub pg_url: String,
    redis_port: u16,
    redis_dir: PathBuf,
    redis: Option<Child>,
    pg: PgCluster,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn wait_port(port: u16, what: &str, wait: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(start.elapsed() < wait, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

impl OwnServices {
    /// Starts both under `dir` (Postgres's files under /var/tmp when running as root, as `scripts/services.sh`
    /// does: the `postgres` user it then runs as may not enter `dir`).
    pub fn start(dir: &Path) -> anyhow::Result<OwnServices> {
        let redis_port = free_port()?;
        let redis_dir = dir.join("redis");
        let _ = std::fs::remove_dir_all(&redis_dir);
        std::fs::create_dir_all(&redis_dir)?;
        let pg = PgCluster::create()?;
        let mut own = OwnServices {
            redis_url: format!("redis://127.0.0.1:{redis_port}"),
            pg_url: format!("postgres://loyalty@127.0.0.1:{}/postgres", pg.port),
            redis_port,
            redis_dir,
            redis: None,
            pg,
        };
        own.start_redis()?;
        own.pg.start()?;
        Ok(own)
    }

    fn start_redis(&mut self) -> anyhow::Result<()> {
        // Every write fsynced: a restart loses nothing a replica was told was stored.
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.redis_port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(&self.redis_dir)
            .stdout(Stdio::null())
            .spawn()
            .context("redis-server")?;
        self.redis = Some(child);
        wait_port(self.redis_port, "redis", Duration::from_secs(10))
    }

    /// SIGKILL, then the same Redis again on the same port (its append-only file reloaded).
    pub fn restart_redis(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.redis.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.start_redis()
    }

    /// `pg_ctl stop -m immediate` (no checkpoint: recovery on start), then start.
    pub fn restart_postgres(&mut self) -> anyhow::Result<()> {
        self.pg.stop("immediate")?;
        self.pg.start()
    }
}

impl Drop for OwnServices {
    fn drop(&mut self) {
        if let Some(mut child) = self.redis.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = self.pg.stop("immediate");
        let _ = std::fs::remove_dir_all(&self.pg.root);
    }
}

/// A Postgres cluster made with `initdb`, trust authentication for `loyalty`, on loopback.
struct PgCluster {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PgCluster {
    fn create() -> anyhow::Result<PgCluster> {
        let bin = pg_bin();
        let port = free_port()?;
        // Postgres refuses to run as root; as root it runs as the `postgres` system user.
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let root = PathBuf::from(format!(
            "/var/tmp/loyalty-chaos-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(root.join("sock"))?;
        let cluster = PgCluster {
            bin,
            root,
            port,
            as_postgres,
        };
        if as_postgres {
            let owned = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(&cluster.root)
                .status()?;
            anyhow::ensure!(owned.success(), "chown to postgres");
        }
        let data = cluster.root.join("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "loyalty",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        Ok(cluster)
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let tool = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&tool);
            c
        } else {
            Command::new(&tool)
        };
        let out = command
            .args(args)
            .current_dir("/")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", tool.display()))?;
        anyhow::ensure!(
            out.status.success(),
            "{} {args:?}: {}{}",
            tool.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    fn start(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200",
            self.port,
            self.root.join("sock").display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.root.join("data").to_string_lossy(),
                "-l",
                &self.root.join("log").to_string_lossy(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        )
    }

    fn stop(&self, mode: &str) -> anyhow::Result<()> {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.root.join("data").to_string_lossy(),
                "-m",
                mode,
                "-w",
                "stop",
            ],
        )
    }
}

/// The newest `/usr/lib/postgresql/<v>/bin`, else the tools from `PATH` (an empty directory: bare names).
fn pg_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_default()
}

/// SIGSTOP or SIGCONT to a process.
pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
}
