//! A real `loyalty serve` for the tests that run the product as an OS process: [`Serve`] builds its environment
//! (pointed at the test's database, Redis and sandbox), [`Server`] kills it when the test is done, and [`serve`] is
//! the observability and shutdown tests' process, its stderr captured, with secrets set that must never come out.

use std::ffi::OsStr;
use std::io::Read;
use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{db_url, redis_url};
use crate::replicas::{Sandbox, seeded_database};

pub(crate) const WAIT: Duration = Duration::from_secs(20);
pub(crate) const WEBHOOK_SECRET: &str = "obs-webhook-secret-0123456789";
pub(crate) const DB_PASSWORD: &str = "obs-db-pass-31415";

/// A port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The environment of one `loyalty serve`: each test says every setting it relies on, and nothing else is set
/// (no config file, so the defaults fill the rest).
pub(crate) struct Serve {
    cmd: Command,
}

impl Serve {
    /// On `database`, talking to `sandbox`'s Bot API, HTTP on a port of the system's choosing, `warn` logs, stdout
    /// dropped and stderr shown with the test's output.
    pub(crate) fn new(sandbox: &Sandbox, database: &str) -> Serve {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_loyalty"));
        cmd.arg("serve")
            .env_remove("LOYALTY_CONFIG")
            .env("LOYALTY__DATABASE__URL", db_url(database))
            .env("LOYALTY__HTTP__LISTEN", "127.0.0.1:0")
            .env("LOYALTY__LOG__LEVEL", "warn")
            .env("LOYALTY__TELEGRAM__API_URL", format!("{}/tg", sandbox.base))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        Serve { cmd }
    }

    /// Sets one variable (a later value for the same key wins).
    pub(crate) fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Serve {
        self.cmd.env(key, value);
        self
    }

    /// The test Redis, its keys under `namespace` (the test's own, so tests on one Redis do not meet).
    pub(crate) fn shared_redis(self, namespace: &str) -> Serve {
        self.env("LOYALTY__REDIS__URL", redis_url())
            .env("LOYALTY__SESSIONS__REDIS_NAMESPACE", namespace)
    }

    /// HTTP on 127.0.0.1:`port`, for a test that calls it.
    pub(crate) fn listen(self, port: u16) -> Serve {
        self.env("LOYALTY__HTTP__LISTEN", format!("127.0.0.1:{port}"))
    }

    /// The sandbox bots named in `bots` (`"partner"`, `"client"`) served by long polling of 1 s, with one HTTP worker
    /// (nothing but probes calls it).
    pub(crate) fn polling(mut self, bots: &[&str]) -> Serve {
        for bot in bots {
            let key = format!("LOYALTY__TELEGRAM__{}_TOKEN", bot.to_uppercase());
            self.cmd.env(key, format!("sandbox-{bot}"));
        }
        self.env("LOYALTY__HTTP__WORKERS", "1")
            .env("LOYALTY__TELEGRAM__POLL_TIMEOUT_S", "1")
    }

    /// 100 sends a second to one chat: the tests' dialogues reply faster than Telegram's pace for a chat.
    pub(crate) fn sends_unthrottled(self) -> Serve {
        self.env("LOYALTY__TELEGRAM__SENDS_PER_CHAT_PER_S", "100")
            .env("LOYALTY__TELEGRAM__SENDS_BURST_PER_CHAT", "100")
    }

    /// 1000 updates a second from one user: these tests send bursts on purpose; flood limiting has its own test.
    pub(crate) fn bursts(self) -> Serve {
        self.env("LOYALTY__TELEGRAM__UPDATES_PER_USER_PER_S", "1000")
            .env("LOYALTY__TELEGRAM__UPDATES_BURST_PER_USER", "1000")
    }

    /// How long an outbox stream stays with a process that stopped renewing it, in milliseconds.
    pub(crate) fn lease_ms(self, ms: u64) -> Serve {
        self.env("LOYALTY__TELEGRAM__OUTBOX_LEASE_MS", ms.to_string())
    }

    /// Stderr to a pipe the test reads ([`stderr_of`]) or closes.
    pub(crate) fn stderr_piped(mut self) -> Serve {
        self.cmd.stderr(Stdio::piped());
        self
    }

    pub(crate) fn spawn(mut self) -> Server {
        Server(self.cmd.spawn().expect("spawn loyalty serve"))
    }
}

/// A running `loyalty serve`, SIGKILLed and reaped when dropped (a failing test leaves no process behind).
pub(crate) struct Server(Child);

impl Server {
    /// SIGKILL, whatever state it is in, and reaped.
    pub(crate) fn stop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

impl Deref for Server {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `loyalty serve` polling `sandbox` on `port`, stderr captured, with `extra` environment on top.
pub(crate) fn serve(
    sandbox: &Sandbox,
    database: &str,
    namespace: &str,
    port: u16,
    extra: &[(&str, String)],
) -> Server {
    // The password is not checked (trust), but it is in the URL, where it must stay.
    let url = db_url(database).replacen("loyalty@", &format!("loyalty:{DB_PASSWORD}@"), 1);
    let mut serve = Serve::new(sandbox, database)
        .env("LOYALTY__DATABASE__URL", url)
        .shared_redis(namespace)
        .listen(port)
        .polling(&["partner", "client"])
        .sends_unthrottled()
        .bursts()
        .env("LOYALTY__TELEGRAM__WEBHOOK_SECRET", WEBHOOK_SECRET)
        .stderr_piped();
    serve.cmd.env_remove("SENTRY_DSN");
    for (key, value) in extra {
        serve = serve.env(key, value);
    }
    serve.spawn()
}

/// A sandbox and a seeded database with a ready [`serve`] process on them, in a Redis namespace of the database's
/// name: the observability and error-report tests' world.
pub(crate) struct Served {
    pub(crate) sandbox: Sandbox,
    pub(crate) database: String,
    pub(crate) port: u16,
    pub(crate) server: Server,
}

impl Served {
    /// Starts it all, with the environment `extra` gives for the process's port on top, and waits for `/readyz`.
    pub(crate) async fn start(extra: impl FnOnce(u16) -> Vec<(&'static str, String)>) -> Served {
        let sandbox = Sandbox::start();
        let database = seeded_database().await;
        let namespace = format!("test:{database}:");
        let port = free_port();
        let server = serve(&sandbox, &database, &namespace, port, &extra(port));
        ready(port).await;
        Served {
            sandbox,
            database,
            port,
            server,
        }
    }
}

/// Waits for `/readyz` of the process on `port` to answer 200.
pub(crate) async fn ready(port: u16) {
    let start = Instant::now();
    let http = reqwest::Client::new();
    loop {
        let answer = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await;
        if answer.is_ok_and(|a| a.status().is_success()) {
            return;
        }
        assert!(start.elapsed() < WAIT, "loyalty serve never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stops the process (SIGKILL) and returns everything it wrote to stderr.
pub(crate) fn stderr_of(mut server: Server) -> String {
    let mut pipe = server.stderr.take().expect("stderr piped");
    server.stop();
    let mut out = Vec::new();
    pipe.read_to_end(&mut out).expect("stderr read");
    String::from_utf8_lossy(&out).into_owned()
}
