//! The conversation engine through the real transport: the sandbox's Bot API over HTTP, long polling, webhooks,
//! Redis sessions and the ledger.

use std::sync::atomic::Ordering;

use fsm::callback::{Callback, DraftId};
use fsm::text::{ClientText, CommonText, PartnerText};
use fsm::{CashbackRate, Kopecks, Lang, Points};
use serde_json::json;

use crate::app::{TestApp, WEBHOOK_SECRET, inline_button, text_update};
use crate::helpers::{en, ru};

const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;
/// The demo partner's company as the server seeds it (nothing in it needs HTML escaping).
const COMPANY: &str = "Кофейня «Зерно»";
/// The demo client's phone +7 999 123-45-67 as a partner sees it.
const MASKED: &str = "+7 *** **4567";

fn points(n: i64) -> Points {
    Points::new(n).expect("positive")
}

fn partner_menu() -> String {
    ru(&PartnerText::Menu { company: COMPANY })
}

#[actix_rt::test]
async fn a_client_joins_by_link_and_a_partner_accrues_with_one_operation_for_a_double_tap() {
    let app = TestApp::spawn().await;
    let client = 2001;
    app.send("client", client, &format!("/start {}", app.referral()))
        .await;
    let welcome = app.nth_text("client", client, 1).await;
    let greeting = ru(&ClientText::WelcomeNew {
        bonus: points(100),
        partner: Some(COMPANY),
    });
    assert_eq!(
        welcome,
        format!("{greeting}\n\n{}", ru(&ClientText::AskContact))
    );
    // Someone else's card is refused; the user's own is accepted.
    app.share_contact("client", client, "+79991234567", 777)
        .await;
    assert_eq!(
        app.nth_text("client", client, 2).await,
        ru(&ClientText::ContactNotOwn)
    );
    app.share_contact("client", client, "+7 999 123-45-67", client)
        .await;
    assert_eq!(
        app.nth_text("client", client, 3).await,
        ru(&ClientText::ContactSaved)
    );

    app.send("partner", PARTNER, "/accrue").await;
    app.nth_text("partner", PARTNER, 1).await;
    app.send("partner", PARTNER, "8 999 123 45 67").await;
    assert_eq!(
        app.nth_text("partner", PARTNER, 2).await,
        ru(&PartnerText::AskAmount {
            client: MASKED,
            balance: 100,
            rate: CashbackRate::DEFAULT,
        })
    );
    app.send("partner", PARTNER, "1999,99").await;
    let confirm = app.bot_messages("partner", PARTNER, 3).await[2].clone();
    assert_eq!(
        confirm["text"].as_str().unwrap(),
        ru(&PartnerText::ConfirmAccrual {
            client: MASKED,
            amount: Kopecks::new(199_999).expect("positive"),
            points: points(99),
        })
    );
    let data = inline_button(&confirm, 0);
    let message_id = confirm["message_id"].as_i64().unwrap();
    app.press("partner", PARTNER, message_id, &data).await;
    app.press("partner", PARTNER, message_id, &data).await;
    // The confirm message itself turns into the outcome and loses its buttons; the menu keyboard never left.
    let done = app
        .expect_nth(
            "partner",
            PARTNER,
            3,
            &ru(&PartnerText::Accrued {
                points: points(99),
                balance: 199,
            }),
        )
        .await;
    assert_eq!(done["message_id"], confirm["message_id"]);
    assert!(
        done["reply_markup"].is_null(),
        "the outcome has no buttons: {done:#}"
    );
    assert_eq!(
        app.nth_text("partner", PARTNER, 4).await,
        ru(&CommonText::StaleButton),
        "the second tap is answered, not applied"
    );
    let notice = app.nth_text("client", client, 4).await;
    assert_eq!(
        notice,
        ru(&ClientText::AccrualNotice {
            partner: COMPANY,
            amount: Kopecks::new(199_999).expect("positive"),
            points: points(99),
            balance: 199
        })
    );
    assert_eq!(
        app.count("SELECT count(*) FROM operations WHERE kind = 'accrual'")
            .await,
        1
    );
    let balance = actors::db::clients::wallet_balance(
        &app.db,
        fsm::ClientId(
            app.db
                .query_one("SELECT id FROM clients WHERE telegram_id = $1", &[&client])
                .await
                .unwrap()
                .get(0),
        ),
    )
    .await
    .unwrap();
    assert_eq!(balance, 199);
}

#[actix_rt::test]
async fn every_update_delivered_three_times_is_handled_once() {
    // Sessions on two worker threads (the default on this 2-core box is the main thread): the copies of an update
    // reach the chat's one actor whichever thread hosts it.
    let app = TestApp::spawn_with(|s| s.sessions.worker_threads = 2).await;
    let user = 3001;
    for id in [50_000_001, 50_000_002] {
        let text = if id == 50_000_001 {
            "/start"
        } else {
            "/balance"
        };
        for _ in 0..3 {
            assert_eq!(
                app.webhook("client", &text_update(id, user, text), Some(WEBHOOK_SECRET))
                    .await,
                200
            );
        }
    }
    let replies = app.bot_messages("client", user, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.bot_messages("client", user, 2).await.len(),
        replies.len()
    );
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert_eq!(
        app.session("client", user).await.0,
        Some(2),
        "two transitions, one per distinct update"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM operations WHERE kind = 'welcome_bonus'")
            .await,
        1
    );
    let ingress = &app.running.bots.as_ref().unwrap().ingress.metrics;
    assert_eq!(ingress.duplicates.load(Ordering::Relaxed), 4);
}

#[actix_rt::test]
async fn a_webhook_with_a_wrong_or_missing_secret_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let user = 3002;
    for secret in [
        None,
        Some("wrong"),
        Some(&WEBHOOK_SECRET[..WEBHOOK_SECRET.len() - 1]),
    ] {
        assert_eq!(
            app.webhook("client", &text_update(60_000_001, user, "/start"), secret)
                .await,
            403
        );
    }
    assert_eq!(
        app.webhook(
            "nosuchbot",
            &text_update(60_000_002, user, "/start"),
            Some(WEBHOOK_SECRET)
        )
        .await,
        404
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.session("client", user).await, (None, None));
    assert!(app.chat("client", user).await.is_empty());
    assert_eq!(app.count("SELECT count(*) FROM clients").await, 0);
    // The same update with the right secret is then processed normally.
    assert_eq!(
        app.webhook(
            "client",
            &text_update(60_000_001, user, "/start"),
            Some(WEBHOOK_SECRET)
        )
        .await,
        200
    );
    assert_eq!(app.count("SELECT count(*) FROM clients").await, 1);
}

#[actix_rt::test]
async fn a_flood_from_one_user_is_cut_at_the_limit_counted_and_told_once() {
    let app = TestApp::spawn_with(|s| {
        s.telegram.updates_per_user_per_s = 1;
        s.telegram.updates_burst_per_user = 10;
    })
    .await;
    let user = 3003;
    let started = std::time::Instant::now();
    let updates: Vec<_> = (0..1_000)
        .map(|i| text_update(70_000_000 + i, user, "/balance"))
        .collect();
    let sends = updates
        .iter()
        .map(|u| app.webhook("client", u, Some(WEBHOOK_SECRET)));
    let statuses = futures_util::future::join_all(sends).await;
    let elapsed_s = started.elapsed().as_secs() + 1;
    assert!(
        statuses.iter().all(|s| *s == 200),
        "dropped updates are acknowledged, not retried"
    );
    let m = &app.running.bots.as_ref().unwrap().ingress.metrics;
    let processed = m.processed.load(Ordering::Relaxed);
    let dropped = m.dropped_rate_limited.load(Ordering::Relaxed);
    assert_eq!(processed + dropped, 1_000);
    // The burst, plus one per second the flood lasted: whatever the speed of the machine.
    assert!(
        processed <= 10 + elapsed_s,
        "{processed} reached the actors in {elapsed_s}s"
    );
    let slow_downs = app
        .bot_messages("client", user, 1)
        .await
        .iter()
        .filter(|m| m["text"].as_str() == Some(ru(&CommonText::SlowDown).as_str()))
        .count();
    assert_eq!(slow_downs, 1);
}

#[actix_rt::test]
async fn a_state_that_no_longer_deserializes_resets_to_the_menu_with_a_message() {
    let app = TestApp::spawn().await;
    app.send("partner", PARTNER, "/accrue").await;
    app.nth_text("partner", PARTNER, 1).await;
    let key = actors::session::store::Keys {
        namespace: &app.settings.sessions.redis_namespace,
        groups: app.settings.telegram.outbox_streams(),
    }
    .state(fsm::BotKind::Partner, PARTNER);
    let mut conn = app.redis().await;
    let _: () = deadpool_redis::redis::cmd("HSET")
        .arg(&key)
        .arg("s")
        .arg(r#"{"state":"AccrueV0","legacy":true}"#)
        .query_async(&mut conn)
        .await
        .unwrap();
    app.send("partner", PARTNER, "+79991234567").await;
    let reset = app.nth_text("partner", PARTNER, 2).await;
    assert_eq!(reset, ru(&CommonText::StateReset));
    assert_eq!(app.nth_text("partner", PARTNER, 3).await, partner_menu());
    assert_eq!(
        app.session("partner", PARTNER).await.1.as_deref(),
        Some(r#"{"dialogue":"Menu"}"#)
    );
}

#[actix_rt::test]
async fn stray_input_in_a_dialogue_gets_an_answer_and_forged_buttons_do_nothing() {
    let app = TestApp::spawn().await;
    app.send("partner", PARTNER, "/accrue").await;
    app.nth_text("partner", PARTNER, 1).await;
    app.attachment("partner", PARTNER).await;
    assert_eq!(
        app.nth_text("partner", PARTNER, 2).await,
        ru(&CommonText::Unsupported)
    );
    app.send("partner", PARTNER, "/frobnicate").await;
    assert_eq!(
        app.nth_text("partner", PARTNER, 3).await,
        ru(&CommonText::UnknownCommand)
    );
    // A well-formed button of the current format naming a draft that was never shown.
    let forged = Callback::Accrual {
        draft: DraftId::from_u128(1),
        confirm: true,
    }
    .encode();
    app.press("partner", PARTNER, 1, &forged).await;
    assert_eq!(
        app.nth_text("partner", PARTNER, 4).await,
        ru(&CommonText::StaleButton)
    );
    // Still in the dialogue: the phone is taken as the client query (unknown: offered for enrolment).
    app.send("partner", PARTNER, "+79990000000").await;
    assert_eq!(
        app.nth_text("partner", PARTNER, 5).await,
        ru(&PartnerText::EnrolOffer {
            phone: "+7 *** **0000"
        })
    );
    app.send("partner", PARTNER, "/cancel").await;
    assert_eq!(app.nth_text("partner", PARTNER, 6).await, partner_menu());
    assert_eq!(app.count("SELECT count(*) FROM operations").await, 0);
}

#[actix_rt::test]
async fn a_429_from_the_bot_api_is_waited_out_and_the_reply_still_arrives() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .post(format!("{}/sandbox/api/throttle", app.base))
        .json(&json!({ "bot": "client", "count": 2, "retry_after": 1 }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    app.send("client", 3004, "/start").await;
    assert!(
        app.nth_text("client", 3004, 1)
            .await
            .starts_with(&ru(&ClientText::WelcomeNew {
                bonus: points(100),
                partner: None
            }))
    );
    let outbox = &app.running.bots.as_ref().unwrap().outbox_metrics;
    assert!(outbox.retry_after_waits.load(Ordering::Relaxed) >= 1);
    assert_eq!(outbox.failed.load(Ordering::Relaxed), 0);
}

#[actix_rt::test]
async fn a_client_switches_to_english_and_every_later_text_is_english() {
    let app = TestApp::spawn().await;
    let user = 3005;
    app.send("client", user, "/start").await;
    assert!(
        app.nth_text("client", user, 1)
            .await
            .starts_with(&ru(&ClientText::WelcomeNew {
                bonus: points(100),
                partner: None
            }))
    );
    app.send("client", user, "/language").await;
    let choose = app.bot_messages("client", user, 2).await[1].clone();
    let english = Callback::Language(Lang::En).encode();
    assert_eq!(inline_button(&choose, 1), english);
    app.press(
        "client",
        user,
        choose["message_id"].as_i64().unwrap(),
        &english,
    )
    .await;
    // The picker turns into the outcome, and the menu keyboard comes again, in English.
    app.expect_nth("client", user, 2, &en(&CommonText::LanguageSet))
        .await;
    // The "/" menu of this chat follows the choice too, though Telegram still reports Russian.
    let english_menu: Vec<String> = fsm::text::bot_commands(fsm::BotKind::Client, Lang::En)
        .into_iter()
        .map(|(_, description)| description)
        .collect();
    let start = std::time::Instant::now();
    loop {
        let listed: Vec<String> = app
            .sandbox_get(&format!(
                "commands?bot=client&language_code=ru&user_id={user}"
            ))
            .await
            .as_array()
            .expect("a list of commands")
            .iter()
            .map(|c| c["description"].as_str().unwrap_or_default().to_owned())
            .collect();
        if listed == english_menu {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "the chat's command menu stayed {listed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let menu = app
        .expect_nth("client", user, 3, &en(&CommonText::BackToMenu))
        .await;
    let labels: Vec<&str> = menu["reply_markup"]["keyboard"]
        .as_array()
        .expect("a reply keyboard")
        .iter()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .filter_map(|b| b["text"].as_str())
        .collect();
    assert!(
        labels.contains(&en(&ClientText::BtnBalance).as_str()),
        "{labels:?}"
    );
    app.send("client", user, "/balance").await;
    let code: String = app
        .db
        .query_one(
            "SELECT member_code FROM clients WHERE telegram_id = $1",
            &[&user],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        app.nth_text("client", user, 4).await,
        en(&ClientText::Balance {
            balance: 100,
            code: &code
        })
    );
    // A forged language in the button data changes nothing.
    app.press("client", user, 0, "1:lang:xx").await;
    assert_ne!(
        app.nth_text("client", user, 5).await,
        en(&CommonText::LanguageSet)
    );
}

#[actix_rt::test]
async fn metrics_report_updates_outbox_and_sessions() {
    let app = TestApp::spawn().await;
    app.send("client", 3006, "/start").await;
    app.nth_text("client", 3006, 1).await;
    let body = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "loyalty_updates_total{outcome=\"processed\"} 1",
        "loyalty_outbox_messages_total{result=\"sent\"} 1",
        "loyalty_outbox_queue_depth 0",
        "loyalty_sessions_live 1",
        "loyalty_ledger_commands_total 1",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in:\n{body}");
    }
}

#[actix_rt::test]
async fn a_restarted_sandbox_on_the_same_redis_loses_no_first_update() {
    // Two products one after the other on the same database namespace, as with `make demo` run twice.
    let first = TestApp::spawn().await;
    first.send("partner", PARTNER, "/start").await;
    assert_eq!(first.nth_text("partner", PARTNER, 1).await, partner_menu());
    let namespace = first.settings.sessions.redis_namespace.clone();
    // One after the other: the first stops (releasing its outbox streams) before the second starts.
    first.running.shutdown().await;
    let second = TestApp::spawn_with(|s| s.sessions.redis_namespace = namespace).await;
    second.send("partner", PARTNER, "/start").await;
    assert_eq!(
        second.nth_text("partner", PARTNER, 1).await,
        partner_menu(),
        "the new sandbox's first update was processed"
    );
}

#[actix_rt::test]
async fn a_partner_rejected_mid_dialogue_gets_no_accrual_and_loses_the_menu_once_the_cache_expires()
{
    let app = TestApp::spawn_with(|s| s.sessions.partner_cache_ms = 1_500).await;
    let client = 2101;
    app.send("client", client, "/start").await;
    app.nth_text("client", client, 1).await;
    app.share_contact("client", client, "+79997654321", client)
        .await;
    app.nth_text("client", client, 2).await;

    app.send("partner", PARTNER, "/accrue").await;
    app.nth_text("partner", PARTNER, 1).await;
    app.send("partner", PARTNER, "+79997654321").await;
    app.nth_text("partner", PARTNER, 2).await;
    app.send("partner", PARTNER, "1000").await;
    let confirm = app.bot_messages("partner", PARTNER, 3).await[2].clone();
    // An admin rejects the partner while the confirmation is on screen; this replica still remembers them as
    // approved, so the press reaches the ledger, which reads the status in its own transaction.
    app.db
        .execute(
            "UPDATE partners SET status = 'rejected' WHERE telegram_id = $1",
            &[&PARTNER],
        )
        .await
        .unwrap();
    app.press(
        "partner",
        PARTNER,
        confirm["message_id"].as_i64().unwrap(),
        &inline_button(&confirm, 0),
    )
    .await;
    app.expect_nth("partner", PARTNER, 3, &ru(&PartnerText::AccrualRefused))
        .await;
    assert_eq!(
        app.count("SELECT count(*) FROM operations WHERE kind = 'accrual'")
            .await,
        0
    );
    // Once the cached row is older than partner_cache_ms, the next message reads the status again.
    tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;
    app.send("partner", PARTNER, "/start").await;
    let now = app.nth_text("partner", PARTNER, 4).await;
    assert_eq!(now, ru(&PartnerText::ApplicationRejected));
}

#[actix_rt::test]
async fn every_bot_publishes_its_commands_in_russian_and_english() {
    let app = TestApp::spawn().await;
    for (bot, kind) in [
        ("partner", fsm::BotKind::Partner),
        ("client", fsm::BotKind::Client),
        ("admin", fsm::BotKind::Admin),
    ] {
        for (code, lang) in [("ru", Lang::Ru), ("en", Lang::En), ("de", Lang::Ru)] {
            // The admin bot lists its commands in its admins' chats only (the demo's admin here).
            let user = if bot == "admin" {
                loyalty::server::DEMO_ADMIN_ID
            } else {
                1
            };
            let listed: Vec<(String, String)> = app
                .sandbox_get(&format!(
                    "commands?bot={bot}&language_code={code}&user_id={user}"
                ))
                .await
                .as_array()
                .expect("a list of commands")
                .iter()
                .map(|c| {
                    (
                        c["command"].as_str().unwrap_or_default().to_owned(),
                        c["description"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            let expected: Vec<(String, String)> = fsm::text::bot_commands(kind, lang)
                .into_iter()
                .map(|(c, d)| (c.to_owned(), d))
                .collect();
            assert_eq!(listed, expected, "{bot} in {code}");
            assert!(listed.iter().any(|(c, _)| c == "help"), "{bot} lists /help");
        }
    }
    // A stranger is shown no admin commands (the review found them in everyone's "/" menu).
    let stranger = app
        .sandbox_get("commands?bot=admin&language_code=ru&user_id=4242")
        .await;
    assert_eq!(stranger, serde_json::json!([]), "{stranger:?}");
}
