//! Graceful shutdown (issue 17): SIGTERM under traffic, a reply held up by Telegram's 429 beyond the grace. The
//! process exits 0 within `http.shutdown_grace_ms`; the restarted one answers every update, each exactly once —
//! the replies left in the streams and the updates Telegram delivers again.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::replicas::{Sandbox, seeded_database};
use crate::serving::{free_port, ready, serve};

const GRACE_MS: u64 = 2_000;
/// How late the process may be on its grace: the exit itself (threads, sockets) on a loaded two-core machine.
const EXIT_SLACK: Duration = Duration::from_millis(700);
const LEASE_MS: u64 = 1_000;
const WAIT: Duration = Duration::from_secs(30);

fn bot_messages(sandbox: &Sandbox, user: i64) -> usize {
    sandbox
        .emulator
        .transcript("client", user)
        .into_iter()
        .filter(|e| e.from == "bot")
        .count()
}

#[actix_rt::test]
async fn sigterm_under_traffic_exits_within_the_grace_and_the_restarted_process_answers_every_update_once()
 {
    let sandbox = Sandbox::start();
    let database = seeded_database().await;
    let namespace = format!("test:{database}:");
    let settings = [
        ("LOYALTY__HTTP__SHUTDOWN_GRACE_MS", GRACE_MS.to_string()),
        ("LOYALTY__TELEGRAM__OUTBOX_LEASE_MS", LEASE_MS.to_string()),
    ];
    let port = free_port();
    let mut first = serve(&sandbox, &database, &namespace, port, &settings);
    ready(port).await;

    // How many messages a new client's /start gets.
    sandbox.send("client", 7300, "/start");
    sandbox.bot_messages("client", 7300, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let per_start = bot_messages(&sandbox, 7300);

    // A reply Telegram holds up for longer than the grace: committed, its send waiting out a 429.
    let before = sandbox.emulator.calls("client", "sendMessage");
    assert!(sandbox.emulator.throttle("client", 1, 4));
    sandbox.send("client", 7301, "/start");
    let start = Instant::now();
    while sandbox.emulator.calls("client", "sendMessage") <= before {
        assert!(start.elapsed() < WAIT, "the held-up reply was never tried");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Traffic: thirty more clients, SIGTERM once a few are answered.
    let users: Vec<i64> = (7302..7332).collect();
    for &user in &users {
        sandbox.send("client", user, "/start");
    }
    while users
        .iter()
        .filter(|&&u| bot_messages(&sandbox, u) > 0)
        .count()
        < 3
    {
        assert!(start.elapsed() < WAIT, "no traffic answered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = loop {
        if let Some(status) = first.try_wait().expect("wait") {
            break status;
        }
        assert!(signalled.elapsed() < WAIT, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let took = signalled.elapsed();
    let held_up_sent_by_first = bot_messages(&sandbox, 7301);
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took <= Duration::from_millis(GRACE_MS) + EXIT_SLACK,
        "took {took:?} to exit"
    );

    let port = free_port();
    let mut second = serve(&sandbox, &database, &namespace, port, &settings);
    ready(port).await;
    let everyone: Vec<i64> = std::iter::once(7301).chain(users.iter().copied()).collect();
    let start = Instant::now();
    while everyone
        .iter()
        .any(|&u| bot_messages(&sandbox, u) < per_start)
    {
        let missing: Vec<i64> = everyone
            .iter()
            .copied()
            .filter(|&u| bot_messages(&sandbox, u) < per_start)
            .collect();
        assert!(start.elapsed() < WAIT, "never answered: {missing:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Longer than a lease: a copy sent twice would have arrived by now.
    tokio::time::sleep(Duration::from_millis(2 * LEASE_MS)).await;
    second.stop();
    for &user in &everyone {
        assert_eq!(
            bot_messages(&sandbox, user),
            per_start,
            "client {user}: {:#?}",
            sandbox.emulator.transcript("client", user)
        );
    }
    assert_eq!(
        held_up_sent_by_first, 0,
        "the held-up reply was left in the stream by the first process"
    );
}

#[actix_rt::test]
async fn once_the_shutdown_begins_the_webhook_and_readyz_answer_503() {
    use crate::app::{TestApp, WEBHOOK_SECRET, text_update};
    let app = TestApp::spawn().await;
    let first = text_update(95_000_001, 7401, "/start");
    assert_eq!(
        app.webhook("client", &first, Some(WEBHOOK_SECRET)).await,
        200
    );
    app.running
        .webhook
        .shutting_down
        .store(true, std::sync::atomic::Ordering::Release);
    let second = text_update(95_000_002, 7402, "/start");
    assert_eq!(
        app.webhook("client", &second, Some(WEBHOOK_SECRET)).await,
        503,
        "Telegram delivers it again, to another replica"
    );
    let readyz = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(readyz.status().as_u16(), 503);
    let body: serde_json::Value = readyz.json().await.expect("json");
    assert_eq!(body["shutting_down"], true, "{body}");
    assert_eq!(body["postgres"], "ok");
}
