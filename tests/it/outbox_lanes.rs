//! The outbox under a user who floods a bot: Telegram lets a bot write to one chat about once a second, so that
//! user's replies back up; found by a reviewer, each failing before the per-chat lanes.

use std::time::Duration;

use actors::session::store::chat_group;

use crate::app::TestApp;
use crate::helpers::eventually;

/// Telegram's per-chat pace (1 message/s, no burst), so a backlog forms the way it does in production.
async fn app_with_telegram_pace(lease_ms: u64) -> TestApp {
    TestApp::spawn_with(|s| {
        s.telegram.sends_per_chat_per_s = 1;
        s.telegram.sends_burst_per_chat = 1;
        s.telegram.updates_per_user_per_s = 100;
        s.telegram.updates_burst_per_user = 100;
        s.telegram.outbox_lease_ms = lease_ms;
    })
    .await
}

/// Someone who is not a partner writes to the partner bot: every message is answered (with the application's first
/// question), one reply per update.
async fn flood(app: &TestApp, user: i64, messages: usize) {
    for i in 0..messages {
        app.send("partner", user, &format!("hi {i}")).await;
    }
}

#[actix_rt::test]
async fn a_chat_with_a_backlog_does_not_hold_back_another_chat_of_its_stream() {
    let app = app_with_telegram_pace(10_000).await;
    let streams = app
        .running
        .services
        .settings
        .telegram
        .outbox_streams_per_bot;
    let (noisy, quiet) = (9_004, 9_004 + streams as i64);
    assert_eq!(chat_group(noisy, streams), chat_group(quiet, streams));
    // The reviewer's input: a user writing four times a second; Telegram's pace lets one reply a second out.
    for i in 0..8 {
        app.send("partner", noisy, &format!("hi {i}")).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The noisy chat's replies now stored ahead of the quiet chat's, all in the same stream.
    let ahead = eventually(
        Duration::from_secs(20),
        "the 8 updates processed",
        || async { app.session("partner", noisy).await.0.filter(|v| *v >= 8) },
    )
    .await;
    app.send("partner", quiet, "/help").await;
    app.bot_messages("partner", quiet, 1).await;
    let noisy_got = app.bot_messages("partner", noisy, 0).await.len() as u64;
    assert!(
        noisy_got < ahead,
        "the other chat was answered only after the {ahead} replies ahead of it ({noisy_got} sent)"
    );
}

#[actix_rt::test]
async fn replies_waiting_longer_than_the_lease_are_sent_once() {
    // A lease of 1 s: the periodic takeover of idle entries runs every second while the backlog lasts ~6 s.
    let app = app_with_telegram_pace(1_000).await;
    let user = 9_005;
    flood(&app, user, 6).await;
    app.bot_messages("partner", user, 6).await;
    // Every takeover has had its chance to send something again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = app.bot_messages("partner", user, 0).await.len();
    assert_eq!(got, 6, "each reply exactly once");
}

/// Whether a bot message is the welcome of a client who joined without a partner's link.
fn is_welcome(reply: &serde_json::Value) -> bool {
    let welcome = crate::helpers::ru(&fsm::text::ClientText::WelcomeNew {
        bonus: fsm::Points::new(100).expect("points"),
        partner: None,
    });
    reply["text"]
        .as_str()
        .is_some_and(|t| t.starts_with(&welcome))
}

/// The Bot API answers a send with 500 "Internal Server Error: restart" (its server restarting): nothing was sent, and
/// the reply must still arrive, once. It was taken for a refusal and dropped (teloxide-core gives a 5xx's JSON as
/// `ApiError::Unknown`, and every API error was final). teloxide-core waits 10 s after a 5xx before it answers.
#[actix_rt::test]
async fn a_reply_outlasting_a_telegram_server_error_arrives_once() {
    let app = TestApp::spawn().await;
    let emulator = app.running.emulator.clone().expect("sandbox");
    let user = 9_102;
    assert!(emulator.server_errors("client", 1));
    app.send("client", user, "/start").await;
    let started = std::time::Instant::now();
    let mut replies = Vec::new();
    while replies.is_empty() && started.elapsed() < Duration::from_secs(25) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        replies = app.chat("client", user).await;
        replies.retain(|m| m["from"] == "bot");
    }
    assert!(
        replies.first().is_some_and(is_welcome),
        "the welcome after the server error: {replies:?}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(app.bot_messages("client", user, 1).await.len(), 1, "once");
}

/// The Bot API answers with an empty body, not JSON, six times in a row (the cluster failover test met "EOF while
/// parsing a value" once, and the reply was dropped as if Telegram had refused it): the reply still arrives, once.
/// (A 5xx would do as well, but teloxide waits 10 s after each.)
#[actix_rt::test]
async fn a_reply_outlasting_answers_that_are_not_json_arrives_once() {
    let app = TestApp::spawn().await;
    let emulator = app.running.emulator.clone().expect("sandbox");
    let user = 9_101;
    assert!(emulator.empty_answers("client", 6));
    app.send("client", user, "/start").await;
    let replies = app.bot_messages("client", user, 1).await;
    assert!(is_welcome(&replies[0]), "{replies:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(app.bot_messages("client", user, 1).await.len(), 1, "once");
}
