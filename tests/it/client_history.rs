//! `/history` in the client bot (issue 14): pages of five operations, newest first, with partner, signed points,
//! receipt and the date in the network's time zone; «Older» / «Newer» edit the page in place; a button naming
//! another client's operation reads nothing.

use std::time::{Duration, Instant};

use fsm::text::{ClientText, CommonText};
use fsm::{ClientId, Kopecks};
use serde_json::Value;

use crate::app::{TestApp, inline_button};
use crate::helpers::ru;
use crate::miniapp;
use crate::redeem::{COMPANY, PARTNER, join};

/// The number of bot messages in the chat once no more arrive for a while (accrual notices and NPS questions come
/// after the partner's confirmation).
async fn settled(app: &TestApp, user: i64) -> usize {
    let start = Instant::now();
    let mut last = app.bot_messages("client", user, 0).await.len();
    let mut since = Instant::now();
    while since.elapsed() < Duration::from_millis(700) && start.elapsed() < Duration::from_secs(15)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = app.bot_messages("client", user, 0).await.len();
        if now != last {
            last = now;
            since = Instant::now();
        }
    }
    last
}

/// The history page of `user` as the bot should write it: operations `skip..skip + take` newest first, their
/// dates in the network's time zone as Postgres computes them (an independent calendar).
async fn expected_page(app: &TestApp, user: i64, skip: i64, take: i64) -> String {
    let rows = app
        .db
        .query(
            "SELECT o.kind, o.points, o.receipt_kopecks,
                    to_char(o.created_at AT TIME ZONE $2, 'DD.MM.YYYY HH24:MI'), o.id
             FROM operations o JOIN clients c ON c.id = o.client_id
             WHERE c.telegram_id = $1 ORDER BY o.id DESC OFFSET $3 LIMIT $4",
            &[&user, &app.settings.network.time_zone, &skip, &take],
        )
        .await
        .expect("history");
    let mut text = ru(&ClientText::HistoryTitle);
    for row in rows {
        let when: String = row.get(3);
        let points: i64 = row.get(1);
        let line = match row.get::<_, &str>(0) {
            "accrual" => ClientText::HistoryLineReceipt {
                when: &when,
                partner: COMPANY,
                points,
                amount: Kopecks::new(row.get(2)).expect("receipt"),
            },
            "redemption" => ClientText::HistoryLine {
                when: &when,
                partner: COMPANY,
                points: -points,
            },
            "welcome_bonus" => ClientText::HistoryLineBonus {
                when: &when,
                points,
            },
            other => panic!("unexpected {other}"),
        };
        text.push('\n');
        text.push_str(&ru(&line));
        text.push_str(&format!(" · #{}", row.get::<_, i64>(4)));
    }
    text
}

fn buttons(message: &Value) -> Vec<String> {
    message["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .map(|row| {
            row.iter()
                .map(|b| b["text"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[actix_rt::test]
async fn history_pages_back_and_forth_and_refuses_another_clients_cursor() {
    let app = TestApp::spawn().await;
    let user = 14_101;
    let phone = "+79995550201";
    join(&app, user, phone).await;
    // Five accruals and a redemption after the welcome bonus: seven operations, two pages.
    let client = ClientId(
        app.db
            .query_one("SELECT id FROM clients WHERE telegram_id = $1", &[&user])
            .await
            .expect("client")
            .get(0),
    );
    for (i, kopecks) in [10_000, 20_000, 30_000, 40_000, 50_000]
        .into_iter()
        .enumerate()
    {
        miniapp::accrue(&app, client, kopecks, &format!("h:acc:{i}")).await;
    }
    miniapp::redeem(&app, client, 30, "h:red").await;
    let n = settled(&app, user).await;
    app.send("client", user, "/history").await;
    let first = expected_page(&app, user, 0, 5).await;
    let page = app.expect_nth("client", user, n + 1, &first).await;
    assert!(
        first.contains("<b>−30</b>"),
        "the redemption, newest: {first}"
    );
    assert!(first.contains("<b>+25</b>"), "{first}");
    assert_eq!(
        buttons(&page),
        [ru(&ClientText::BtnOlder)],
        "the newest page"
    );
    let id = page["message_id"].as_i64().expect("id");

    app.press("client", user, id, &inline_button(&page, 0))
        .await;
    let second = expected_page(&app, user, 5, 5).await;
    let page = app.expect_nth("client", user, n + 1, &second).await;
    assert!(
        second.contains("<b>+100</b>"),
        "the welcome bonus, oldest: {second}"
    );
    assert_eq!(
        buttons(&page),
        [ru(&ClientText::BtnNewer)],
        "the oldest page"
    );

    app.press("client", user, id, &inline_button(&page, 0))
        .await;
    let page = app.expect_nth("client", user, n + 1, &first).await;
    assert_eq!(buttons(&page), [ru(&ClientText::BtnOlder)]);

    // Another client's operation as the cursor (a forged button): nothing of theirs is read.
    let other = 14_102;
    join(&app, other, "+79995550202").await;
    let theirs: i64 = app
        .db
        .query_one(
            "SELECT o.id FROM operations o JOIN clients c ON c.id = o.client_id WHERE c.telegram_id = $1",
            &[&other],
        )
        .await
        .expect("their bonus")
        .get(0);
    app.press("client", user, id, &format!("1:his:o:{theirs}"))
        .await;
    app.expect_nth("client", user, n + 2, &ru(&CommonText::StaleButton))
        .await;
    assert_eq!(
        app.bot_messages("client", user, n + 2).await[n]["text"].as_str(),
        Some(first.as_str()),
        "the page is left as it was"
    );
}

#[actix_rt::test]
async fn code_comes_as_a_qr_photo_with_the_code_in_its_caption() {
    let app = TestApp::spawn().await;
    let user = 14_111;
    let code = join(&app, user, "+79995550211").await;
    app.send("client", user, "/code").await;
    let msg = app
        .expect_nth(
            "client",
            user,
            3,
            &ru(&ClientText::MemberCode { code: &code }),
        )
        .await;
    let url = msg["photo"].as_str().expect("sent as a photo");
    let png = app
        .http
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .expect("the photo")
        .bytes()
        .await
        .expect("its bytes");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
}

#[actix_rt::test]
async fn promos_and_services_list_what_is_current_and_affordable_first() {
    let app = TestApp::spawn().await;
    let user = 14_121;
    join(&app, user, "+79995550221").await;
    app.send("client", user, "/promos").await;
    app.expect_nth("client", user, 3, &ru(&ClientText::PromosEmpty))
        .await;
    app.db
        .batch_execute(&format!(
            "INSERT INTO promotions (partner_id, title, description, discount_text, starts_on, ends_on)
             SELECT id, 'Капучино <дня>', '', '−20 %', current_date - 1, DATE '2099-12-31'
             FROM partners WHERE telegram_id = {PARTNER};
             INSERT INTO promotions (partner_id, title, description, discount_text, starts_on, ends_on)
             SELECT id, 'Прошедшая', '', '−5 %', DATE '2020-01-01', DATE '2020-01-31'
             FROM partners WHERE telegram_id = {PARTNER};
             INSERT INTO services (partner_id, title, description, price_points, status)
             SELECT id, t, '', price, st FROM partners,
                 (VALUES ('Торт', 500, 'approved'), ('Кофе', 80, 'approved'), ('Чай', 50, 'pending'))
                     AS v(t, price, st)
             WHERE telegram_id = {PARTNER};"
        ))
        .await
        .expect("offers");
    app.send("client", user, "/promos").await;
    let promos = format!(
        "{}\n\n{}",
        ru(&ClientText::PromosTitle),
        ru(&ClientText::PromoLine {
            partner: COMPANY,
            title: "Капучино &lt;дня&gt;",
            discount: "−20 %",
            ends: "31.12.2099",
        })
    );
    app.expect_nth("client", user, 4, &promos).await;
    app.send("client", user, "/services").await;
    let line = |title, price| {
        ru(&ClientText::ServiceLine {
            partner: COMPANY,
            title,
            price,
        })
    };
    let services = format!(
        "{}\n\n{}\n{}\n\n{}\n{}",
        ru(&ClientText::ServicesTitle { balance: 100 }),
        ru(&ClientText::ServicesAffordable),
        line("Кофе", 80),
        ru(&ClientText::ServicesSaving),
        line("Торт", 500),
    );
    app.expect_nth("client", user, 5, &services).await;
}
