//! Telegram, as the harness plays it: the product's own Bot API emulator (`loyalty::sandbox`), served by this process
//! on loopback, so the replicas under test call it over HTTP exactly as they call api.telegram.org; and, in webhook
//! mode, a deliverer that pushes each queued update to one of the live replicas with the secret header, as
//! Telegram's servers do behind a load balancer (round robin; a refused or failed push is retried on the next
//! replica, so a killed replica's share moves to the survivors).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use loyalty::sandbox::Emulator;

/// The bots' names and tokens the replicas are configured with.
pub const BOTS: [(&str, &str); 3] = [
    ("partner", "load-partner"),
    ("client", "load-client"),
    ("admin", "load-admin"),
];

/// The emulator, served on `127.0.0.1:0`; returns it and its address.
pub async fn serve()
-> anyhow::Result<(Emulator, std::net::SocketAddr, actix_web::dev::ServerHandle)> {
    let emulator = Emulator::new();
    for (i, (name, token)) in BOTS.iter().enumerate() {
        emulator.add_bot(name, token, 9_100 + i as i64);
    }
    let data = actix_web::web::Data::new(emulator.clone());
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .configure(loyalty::sandbox::configure)
    })
    .disable_signals()
    .workers(2)
    .bind("127.0.0.1:0")?;
    let addr = *server
        .addrs()
        .first()
        .ok_or_else(|| anyhow::anyhow!("the emulator is bound to no address"))?;
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    Ok((emulator, addr, handle))
}

/// One replica as the deliverer sees it.
pub struct Target {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// Cleared when the replica was killed: no more pushes go there.
    pub alive: AtomicBool,
    /// Updates this replica accepted.
    pub delivered: AtomicU64,
}

/// What the deliverer counted.
#[derive(Default)]
pub struct DeliveryStats {
    /// Pushes refused or failed (each was retried elsewhere).
    pub failed: AtomicU64,
    /// Updates pushed a second time after one replica accepted them (`--redeliver`).
    pub redelivered: AtomicU64,
}

/// Pushes queued updates to the replicas until `stop` is set, with `concurrency` pushes in flight. Every
/// `redeliver_every`-th update (0: none) is pushed once more, to the next live replica, after one accepted it: as
/// Telegram does when an answer is lost.
pub async fn deliver(
    emulator: Emulator,
    targets: Arc<Vec<Target>>,
    secret: String,
    concurrency: usize,
    redeliver_every: u64,
    stats: Arc<DeliveryStats>,
    stop: Arc<AtomicBool>,
) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap_or_default();
    let next = Arc::new(AtomicUsize::new(0));
    let mut counted = 0u64;
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    while !stop.load(Relaxed) {
        let batch = emulator.take_webhook_batch();
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        }
        for (url, _secret, update, token) in batch {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let (client, targets, next, emulator, secret, stats) = (
                client.clone(),
                targets.clone(),
                next.clone(),
                emulator.clone(),
                secret.clone(),
                stats.clone(),
            );
            // The path the replica registered (`/webhook/<bot>`), on whichever replica takes this push.
            let path = url
                .find("/webhook/")
                .map_or_else(String::new, |i| url[i..].to_string());
            counted += 1;
            let mut pushes = if redeliver_every > 0 && counted.is_multiple_of(redeliver_every) {
                2
            } else {
                1
            };
            actix_rt::spawn(async move {
                let _permit = permit;
                for _ in 0..targets.len() * 20 {
                    let i = next.fetch_add(1, Relaxed) % targets.len();
                    let target = &targets[i];
                    if !target.alive.load(Relaxed) {
                        continue;
                    }
                    let pushed = client
                        .post(format!("{}{path}", target.base))
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .header("X-Telegram-Bot-Api-Secret-Token", &secret)
                        .body(update.json.clone())
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await;
                    if matches!(&pushed, Ok(r) if r.status().is_success()) {
                        target.delivered.fetch_add(1, Relaxed);
                        pushes -= 1;
                        if pushes == 0 {
                            return;
                        }
                        stats.redelivered.fetch_add(1, Relaxed);
                        continue;
                    }
                    stats.failed.fetch_add(1, Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // Nobody took it: back in the queue, as Telegram keeps an update until a webhook accepts it.
                emulator.requeue(&token, update);
            });
        }
    }
}
