//! NPS ratings (attributed through the operation, across a restart; one per operation), partner statistics from
//! the fixture, and `/find` (one answer for "not found" and "not yours", and a limit on lookups).

use fsm::Kopecks;
use fsm::partner::stats::PeriodStats;
use fsm::text::{ClientText, PartnerText};

use crate::app::TestApp;
use crate::helpers::ru;
use crate::redeem::{PARTNER, assert_ledger_clean, join, member_code, partner_menu, points};

/// A second approved partner, its id and Telegram id.
const OTHER: i64 = 1002;
const OTHER_COMPANY: &str = "Пекарня";

async fn other_partner(app: &TestApp) -> i64 {
    actors::db::partners::upsert_approved_partner(&app.db, OTHER, OTHER_COMPANY, 500)
        .await
        .expect("partner")
        .0
}

/// Partner `tg` accrues `amount` to the client with phone `phone` through the bot; its chat had `base` messages.

#[actix_rt::test]
async fn a_rating_after_a_restart_goes_to_the_operations_partner_and_a_second_one_is_refused() {
    let first = TestApp::spawn().await;
    let other = other_partner(&first).await;
    // The client came through the demo partner's link, and buys at the other partner.
    join(&first, 2201, "+7 999 220-11-01").await;
    first.send("partner", OTHER, "/start").await;
    first.nth_text("partner", OTHER, 1).await;
    first.accrue(OTHER, "+7 999 220-11-01", "1000").await;
    first
        .expect_nth(
            "client",
            2201,
            3,
            &ru(&ClientText::AccrualNotice {
                partner: OTHER_COMPANY,
                amount: Kopecks::new(100_000).expect("amount"),
                points: points(50),
                balance: 150,
            }),
        )
        .await;
    let question = first.bot_messages("client", 2201, 4).await[3].clone();
    assert_eq!(
        question["text"].as_str(),
        Some(
            ru(&ClientText::NpsAsk {
                partner: OTHER_COMPANY
            })
            .as_str()
        )
    );
    let nine = question["reply_markup"]["inline_keyboard"][1][3]["callback_data"]
        .as_str()
        .expect("the 9 button")
        .to_owned();
    let id = question["message_id"].as_i64().expect("id");
    // Restart: the first product stops, a second one starts on the same database and Redis namespace.
    let TestApp {
        running,
        db,
        settings,
        ..
    } = first;
    running.shutdown().await;
    let second = TestApp::spawn_with(|s| {
        s.database.url = settings.database.url.clone();
        s.sessions.redis_namespace = settings.sessions.redis_namespace.clone();
    })
    .await;
    second.press("client", 2201, id, &nine).await;
    // The new sandbox does not keep the old message, so the thank-you arrives as a new one.
    second
        .expect_nth("client", 2201, 1, &ru(&ClientText::NpsThanks { rating: 9 }))
        .await;
    second.press("client", 2201, id, &nine).await;
    second
        .expect_nth("client", 2201, 2, &ru(&ClientText::NpsAlreadyRated))
        .await;
    let rows = db
        .query("SELECT partner_id, rating FROM nps_ratings", &[])
        .await
        .expect("ratings");
    assert_eq!(rows.len(), 1, "one rating per operation");
    assert_eq!(rows[0].get::<_, i64>(0), other, "the operation's partner");
    assert_eq!(rows[0].get::<_, i16>(1), 9);
}

#[actix_rt::test]
async fn statistics_of_the_fixture_show_turnover_points_and_nps() {
    // Sixteen partner updates in quick succession: above the default per-user flood limit.
    let app = TestApp::spawn_with(|s| {
        s.telegram.updates_per_user_per_s = 100;
        s.telegram.updates_burst_per_user = 100;
    })
    .await;
    // Two clients referred by the demo partner (welcome bonuses of 100 each: not the partner's points).
    join(&app, 2301, "+7 999 230-11-01").await;
    join(&app, 2302, "+7 999 230-11-02").await;
    let receipts = [
        ("+7 999 230-11-01", "1000.00"),
        ("+7 999 230-11-02", "500.00"),
        ("+7 999 230-11-01", "300.00"),
        ("+7 999 230-11-02", "200.00"),
    ];
    for (phone, amount) in receipts {
        app.accrue(PARTNER, phone, amount).await;
    }
    // Each client rates each of their operations with the buttons they got.
    for (user, rates) in [(2301, [10, 7]), (2302, [9, 3])] {
        for (k, rating) in rates.iter().enumerate() {
            // Client messages: joined (2), then per accrual a notice and a question.
            let n = 2 + 2 * (k + 1);
            let question = app.bot_messages("client", user, n).await[n - 1].clone();
            let row = if *rating <= 5 { 0 } else { 1 };
            let col = if *rating <= 5 { *rating } else { rating - 6 };
            let data = question["reply_markup"]["inline_keyboard"][row][col]["callback_data"]
                .as_str()
                .expect("rating button")
                .to_owned();
            let id = question["message_id"].as_i64().expect("id");
            app.press("client", user, id, &data).await;
            app.expect_nth(
                "client",
                user,
                n,
                &ru(&ClientText::NpsThanks {
                    rating: u8::try_from(*rating).expect("rating"),
                }),
            )
            .await;
        }
    }
    app.send("partner", PARTNER, "/stats").await;
    let fixture = PeriodStats {
        referred: 2,
        operations: 4,
        turnover_kopecks: 200_000,
        points_issued: 100,
        points_redeemed: 0,
        ratings: 4,
        rating_sum: 29,
        promoters: 2,
        detractors: 1,
    };
    let expected = ru(&PartnerText::Stats {
        today: &fixture,
        month: &fixture,
        all: &fixture,
    });
    // Three messages per accrual (the last one edited into the outcome), then the statistics.
    let text = app.nth_text("partner", PARTNER, 13).await;
    assert_eq!(text, expected);
    assert!(text.contains("Оборот: 2\u{a0}000,00\u{a0}₽"), "{text}");
    assert!(text.contains("Начислено баллов: 100\n"), "{text}");
    assert!(text.contains("NPS: 25"), "{text}");
    assert_ledger_clean(&app).await;
}

#[actix_rt::test]
async fn find_answers_not_found_and_not_yours_alike_and_shows_own_clients() {
    let app = TestApp::spawn().await;
    // A client of the demo partner, and one who joined without any partner.
    join(&app, 2401, "+7 999 240-11-01").await;
    app.send("client", 2402, "/start").await;
    app.nth_text("client", 2402, 1).await;
    app.share_contact("client", 2402, "+7 999 240-11-02", 2402)
        .await;
    app.expect_nth("client", 2402, 2, &ru(&ClientText::ContactSaved))
        .await;
    let stranger = member_code(&app, 2402).await;
    app.send("partner", PARTNER, "/find").await;
    app.expect_nth("partner", PARTNER, 1, &ru(&PartnerText::AskClient))
        .await;
    app.send("partner", PARTNER, "+7 999 240-11-02").await;
    let not_yours = app.nth_text("partner", PARTNER, 2).await;
    app.send("partner", PARTNER, "+7 999 240-99-99").await;
    let not_found = app.nth_text("partner", PARTNER, 3).await;
    app.send("partner", PARTNER, &stranger).await;
    let not_yours_by_code = app.nth_text("partner", PARTNER, 4).await;
    assert_eq!(not_yours, ru(&PartnerText::FindNotFound));
    assert_eq!(not_found.as_bytes(), not_yours.as_bytes());
    assert_eq!(not_yours_by_code.as_bytes(), not_yours.as_bytes());
    app.send("partner", PARTNER, "+7 999 240-11-01").await;
    app.expect_nth(
        "partner",
        PARTNER,
        5,
        &ru(&PartnerText::FindCard {
            client: "+7 *** **1101",
            balance: 100,
            operations: 0,
            last_visit: None,
        }),
    )
    .await;
    app.expect_nth("partner", PARTNER, 6, &partner_menu()).await;
}

#[actix_rt::test]
async fn phone_enumeration_is_stopped_by_the_lookup_limit() {
    let app = TestApp::spawn_with(|s| s.partners.find_lookups_per_hour = 3).await;
    join(&app, 2501, "+7 999 250-11-01").await;
    app.send("partner", PARTNER, "/find").await;
    app.nth_text("partner", PARTNER, 1).await;
    for (i, phone) in ["+7 999 250-00-01", "+7 999 250-00-02", "+7 999 250-00-03"]
        .iter()
        .enumerate()
    {
        app.send("partner", PARTNER, phone).await;
        app.expect_nth("partner", PARTNER, i + 2, &ru(&PartnerText::FindNotFound))
            .await;
    }
    // The fourth lookup is refused before any lookup, even for the partner's own client.
    app.send("partner", PARTNER, "+7 999 250-11-01").await;
    app.expect_nth("partner", PARTNER, 5, &ru(&PartnerText::FindTooMany))
        .await;
    app.expect_nth("partner", PARTNER, 6, &partner_menu()).await;
    app.send("partner", PARTNER, "/find").await;
    app.nth_text("partner", PARTNER, 7).await;
    app.send("partner", PARTNER, "+7 999 250-11-01").await;
    app.expect_nth("partner", PARTNER, 8, &ru(&PartnerText::FindTooMany))
        .await;
}
