//! A real `loyalty serve` for the observability and shutdown tests: a process polling the test's sandbox, its
//! stderr captured, with secrets set that must never come out.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{db_url, redis_url};
use crate::replicas::Sandbox;

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

/// `loyalty serve` polling `sandbox` on `port`, stderr captured, with `extra` environment on top.
pub(crate) fn serve(
    sandbox: &Sandbox,
    database: &str,
    namespace: &str,
    port: u16,
    extra: &[(&str, String)],
) -> Child {
    // The password is not checked (trust), but it is in the URL, where it must stay.
    let url = db_url(database).replacen("loyalty@", &format!("loyalty:{DB_PASSWORD}@"), 1);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loyalty"));
    cmd.arg("serve")
        .env_remove("LOYALTY_CONFIG")
        .env_remove("SENTRY_DSN")
        .env("LOYALTY__DATABASE__URL", url)
        .env("LOYALTY__REDIS__URL", redis_url())
        .env("LOYALTY__HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("LOYALTY__HTTP__WORKERS", "1")
        .env("LOYALTY__LOG__LEVEL", "warn")
        .env("LOYALTY__SESSIONS__REDIS_NAMESPACE", namespace)
        .env("LOYALTY__TELEGRAM__API_URL", format!("{}/tg", sandbox.base))
        .env("LOYALTY__TELEGRAM__PARTNER_TOKEN", "sandbox-partner")
        .env("LOYALTY__TELEGRAM__CLIENT_TOKEN", "sandbox-client")
        .env("LOYALTY__TELEGRAM__WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("LOYALTY__TELEGRAM__POLL_TIMEOUT_S", "1")
        .env("LOYALTY__TELEGRAM__SENDS_PER_CHAT_PER_S", "100")
        .env("LOYALTY__TELEGRAM__SENDS_BURST_PER_CHAT", "100")
        .env("LOYALTY__TELEGRAM__UPDATES_PER_USER_PER_S", "1000")
        .env("LOYALTY__TELEGRAM__UPDATES_BURST_PER_USER", "1000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in extra {
        cmd.env(key, value);
    }
    cmd.spawn().expect("spawn loyalty serve")
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
pub(crate) fn stderr_of(mut child: Child) -> String {
    child.kill().ok();
    let out = child.wait_with_output().expect("reaped");
    String::from_utf8_lossy(&out.stderr).into_owned()
}
