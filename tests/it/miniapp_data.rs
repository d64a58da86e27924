//! What the Mini App's API lists, against seeded data: history pages, filters and totals; current promotions in the
//! network time zone; approved services split into affordable and saving up.

use std::collections::HashSet;

use fsm::text::MiniAppText;
use serde_json::Value;

use crate::app::TestApp;
use crate::helpers::ru;
use crate::miniapp::{accrue, client, get, node_sign, now_s, partner, redeem, user};

const TOKEN: &str = "sandbox-client";

/// Every page of the history under `filter`, following `next_before`; the pages' items in order and the totals.
async fn all_pages(app: &TestApp, data: &str, filter: &str) -> (Vec<Value>, Value, usize) {
    let mut items = Vec::new();
    let mut before: Option<i64> = None;
    let mut pages = 0;
    loop {
        let query = match before {
            Some(b) => format!("history?type={filter}&before={b}"),
            None => format!("history?type={filter}"),
        };
        let (status, body) = get(app, &query, Some(data)).await;
        assert_eq!(status, 200, "{query}: {body}");
        pages += 1;
        let page = body["items"].as_array().expect("items").clone();
        assert!(page.len() <= 3, "a page holds history_page_max items");
        items.extend(page);
        match body["next_before"].as_i64() {
            Some(next) => before = Some(next),
            None => return (items, body["totals"].clone(), pages),
        }
    }
}

#[actix_rt::test]
async fn history_pages_filters_and_totals_match_the_seeded_ledger() {
    let app = TestApp::spawn_with(|s| s.miniapp.history_page_max = 3).await;
    let me = client(&app, 4101).await;
    let other = client(&app, 4102).await;
    // Receipts of 1000.00, 500.00, 300.00, 200.00 at 5 %: 50, 25, 15, 10 points; two redemptions of 30 and 20.
    let mut accruals = Vec::new();
    for (i, kopecks) in [1_000_00, 500_00, 300_00, 200_00].into_iter().enumerate() {
        accruals.push(accrue(&app, me, kopecks, &format!("acc{i}")).await);
    }
    let redemptions = [
        redeem(&app, me, 30, "red0").await,
        redeem(&app, me, 20, "red1").await,
    ];
    accrue(&app, other, 900_00, "other").await;
    let data = node_sign(user(4101, "ru"), TOKEN, now_s());

    let (items, totals, pages) = all_pages(&app, &data, "all").await;
    assert_eq!(pages, 3, "7 operations in pages of 3");
    let ids: Vec<i64> = items
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    let mut newest_first = ids.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first, "newest first");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 7, "no repeats");
    assert_eq!(totals["points_in"], 100 + 50 + 25 + 15 + 10);
    assert_eq!(totals["points_out"], 50);
    assert_eq!(totals["count"], 7);
    assert_eq!(totals["in_text"], ru(&MiniAppText::TotalIn { n: 200 }));
    assert_eq!(totals["count_text"], ru(&MiniAppText::Operations { n: 7 }));

    let (items, totals, _) = all_pages(&app, &data, "accrual").await;
    let got: Vec<i64> = items
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    let mut want = accruals.clone();
    want.reverse();
    assert_eq!(got, want);
    assert_eq!(
        (totals["points_in"].as_i64(), totals["points_out"].as_i64()),
        (Some(100), Some(0))
    );
    let first = &items[0];
    assert_eq!(first["points_text"], ru(&MiniAppText::PointsIn { n: 10 }));
    assert_eq!(first["kind_text"], ru(&MiniAppText::KindAccrual));
    assert_eq!(first["partner"], loyalty::server::DEMO_PARTNER_NAME);
    let receipt = fsm::Kopecks::new(200_00).expect("amount");
    assert_eq!(
        first["receipt_text"],
        ru(&MiniAppText::Receipt { amount: receipt })
    );
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Moscow").expect("tz"))
        .date();
    assert_eq!(first["day"], today.to_string(), "the day in Moscow");

    let (items, totals, _) = all_pages(&app, &data, "redemption").await;
    let got: Vec<i64> = items
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(got, vec![redemptions[1], redemptions[0]]);
    assert_eq!(items[0]["points"], -20);
    assert_eq!(totals["points_out"], 50);

    let (items, totals, _) = all_pages(&app, &data, "bonus").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind_text"], ru(&MiniAppText::KindWelcomeBonus));
    assert_eq!(totals["points_in"], 100);

    let (status, body) = get(&app, "history?type=everything", Some(&data)).await;
    assert_eq!((status, body["error"].is_string()), (400, true));
}

#[actix_rt::test]
async fn promotions_current_in_moscow_and_approved_services_affordable_first() {
    let app = TestApp::spawn().await;
    client(&app, 4201).await;
    let demo = partner(&app).await;
    let pending: i64 = app
        .db
        .query_one(
            "INSERT INTO partners (telegram_id, contact_name, company_name, referral_code, status)
             VALUES (1999, 'Ivan', 'Pending Co', 'p_pending', 'pending') RETURNING id",
            &[],
        )
        .await
        .expect("pending partner")
        .get(0);
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Moscow").expect("tz"))
        .date();
    let day = |offset: i64| {
        today
            .checked_add(jiff::Span::new().days(offset))
            .expect("date")
            .to_string()
    };
    for (partner, title, from, to) in [
        (demo.0, "Today only", day(0), day(0)),
        (demo.0, "This month", day(-3), day(20)),
        (demo.0, "Ended yesterday", day(-10), day(-1)),
        (demo.0, "Starts tomorrow", day(1), day(5)),
        (pending, "Of a pending partner", day(-1), day(1)),
    ] {
        app.db
            .execute(
                "INSERT INTO promotions (partner_id, title, description, discount_text, starts_on, ends_on)
                 VALUES ($1, $2, 'd', '-10%', $3::text::date, $4::text::date)",
                &[&partner, &title, &from, &to],
            )
            .await
            .expect("promotion");
    }
    for (title, price, status, deleted) in [
        ("Coffee", 80, "approved", false),
        ("Cake", 100, "approved", false),
        ("Lunch", 250, "approved", false),
        ("Dinner", 900, "approved", false),
        ("Pending one", 10, "pending", false),
        ("Deleted one", 10, "approved", true),
    ] {
        app.db
            .execute(
                "INSERT INTO services (partner_id, title, description, price_points, status, deleted_at)
                 VALUES ($1, $2, 'd', $3, $4, CASE WHEN $5 THEN now() END)",
                &[&demo.0, &title, &i64::from(price), &status, &deleted],
            )
            .await
            .expect("service");
    }
    let data = node_sign(user(4201, "ru"), TOKEN, now_s());
    let (_, body) = get(&app, "promotions", Some(&data)).await;
    let titles: Vec<&str> = body["promotions"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles, ["Today only", "This month"], "ending soonest first");
    let (_, home) = get(&app, "home", Some(&data)).await;
    assert_eq!(home["promotions"].as_array().map(Vec::len), Some(2));

    let (_, services) = get(&app, "services", Some(&data)).await;
    let titles = |list: &Value| -> Vec<String> {
        list.as_array()
            .expect("list")
            .iter()
            .map(|s| s["title"].as_str().expect("title").to_owned())
            .collect()
    };
    assert_eq!(titles(&services["affordable"]), ["Coffee", "Cake"]);
    assert_eq!(titles(&services["saving_up"]), ["Lunch", "Dinner"]);
    assert_eq!(
        services["saving_up"][0]["missing_text"],
        ru(&MiniAppText::PointsMissing { n: 150 })
    );
}

/// The boundary: a promotion is shown on its last day at 23:30 Moscow time and gone at 00:30, whatever the
/// server's own zone (the date comes from `network.time_zone`, the filter from the same query the Mini App uses).
#[actix_rt::test]
async fn a_promotion_is_current_on_its_last_day_at_23_30_moscow_and_gone_at_00_30() {
    let app = TestApp::spawn().await;
    let id = client(&app, 4202).await;
    let demo = partner(&app).await;
    app.db
        .execute(
            "INSERT INTO promotions (partner_id, title, description, discount_text, starts_on, ends_on)
             VALUES ($1, 'Last day', 'd', '-10%', '2027-03-01', '2027-03-05')",
            &[&demo.0],
        )
        .await
        .expect("promotion");
    let moscow = fsm::calendar::time_zone("Europe/Moscow").expect("tz");
    let db = app.running.services.pg.get().await.expect("pool");
    let shown_at = |utc: &'static str| {
        let day = fsm::calendar::date_at(&moscow, utc.parse().expect("timestamp")).to_string();
        let db = &db;
        async move {
            actors::db::miniapp::current_promotions(db, id, &day, 10)
                .await
                .expect("promotions")
                .into_iter()
                .map(|p| p.title)
                .collect::<Vec<_>>()
        }
    };
    // 20:30 UTC is 23:30 in Moscow on the 5th, the last day; 21:30 UTC is 00:30 on the 6th.
    assert_eq!(shown_at("2027-03-05T20:30:00Z").await, ["Last day"]);
    assert!(shown_at("2027-03-05T21:30:00Z").await.is_empty());
}
