//! The Mini App's writes on the whole product (sandbox, real Postgres and Redis): a service requested from the app
//! reaches the partner bot once per key and is redeemed through the partner's Accept; every bad request is refused
//! with a text in the client's language and changes nothing; one client's initData never acts for another; the
//! language chosen in the app is the client bot's too.

use fsm::text::{ClientText, MiniAppText};
use serde_json::json;

use crate::app::{TestApp, inline_button};
use crate::client_services::{partner_notice, services};
use crate::helpers::{en, eventually, ru};
use crate::miniapp::{client, get, node_sign, now_s, post, user};
use crate::redeem::{PARTNER, balance_of, join, member_code};

const TOKEN: &str = "sandbox-client";

async fn partner_count(app: &TestApp) -> usize {
    app.bot_messages("partner", PARTNER, 0).await.len()
}

async fn requests(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM redemption_requests").await
}

/// A key as the page mints it: 32 hex digits.
fn key(n: u8) -> String {
    format!("{n:02x}").repeat(16)
}

#[actix_rt::test]
async fn a_service_requested_in_the_app_reaches_the_partner_once_and_is_redeemed_on_accept() {
    let app = TestApp::spawn().await;
    let me = 4301;
    client(&app, me).await;
    let coffee = services(&app).await;
    let data = node_sign(user(me, "ru"), TOKEN, now_s());
    let before = partner_count(&app).await;
    let body = json!({ "service": coffee, "key": key(1) });
    // A double tap: the same key twice at once.
    let ((s1, b1), (s2, b2)) = tokio::join!(
        post(&app, "services/request", &data, &body),
        post(&app, "services/request", &data, &body)
    );
    assert_eq!((s1, s2), (200, 200), "{b1} {b2}");
    assert_eq!(b1["request"], b2["request"], "one request for one key");
    assert_eq!(b1["text"], ru(&MiniAppText::RequestSent));
    assert_eq!(requests(&app).await, 1);
    let code = member_code(&app, me).await;
    let notice = partner_notice(&app, before + 1, &code, "Кофе", 80).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(partner_count(&app).await, before + 1, "one notice");
    // The partner's Accept redeems through the consent path, as for a request from the bot.
    app.press(
        "partner",
        PARTNER,
        notice["message_id"].as_i64().expect("id"),
        &inline_button(&notice, 0),
    )
    .await;
    // The request is marked approved just after the ledger moved the points.
    eventually(std::time::Duration::from_secs(15), "redeemed", || async {
        let approved = app
            .count("SELECT count(*) FROM redemption_requests WHERE status = 'approved' AND operation_id IS NOT NULL")
            .await;
        (approved == 1).then_some(())
    })
    .await;
    assert_eq!(balance_of(&app, me).await, 20);
}

#[actix_rt::test]
async fn bad_requests_are_refused_in_the_clients_language_and_change_nothing() {
    let app = TestApp::spawn().await;
    let me = 4311;
    client(&app, me).await;
    let coffee = services(&app).await;
    let cake = coffee + 1;
    let hidden: i64 = app
        .db
        .query_one(
            "INSERT INTO services (partner_id, title, description, price_points, status)
             SELECT id, 'Чай', '', 10, 'pending' FROM partners WHERE telegram_id = $1 RETURNING id",
            &[&PARTNER],
        )
        .await
        .expect("pending service")
        .get(0);
    let gone: i64 = app
        .db
        .query_one(
            "INSERT INTO services (partner_id, title, description, price_points, status, deleted_at)
             SELECT id, 'Сок', '', 10, 'approved', now() FROM partners WHERE telegram_id = $1 RETURNING id",
            &[&PARTNER],
        )
        .await
        .expect("deleted service")
        .get(0);
    let data = node_sign(user(me, "en"), TOKEN, now_s());
    // The client's language is the stored one (Russian, from registration), whatever the app's user says.
    let refused = |service: i64, n: u8| {
        let data = data.clone();
        let app = &app;
        async move {
            post(
                app,
                "services/request",
                &data,
                &json!({ "service": service, "key": key(n) }),
            )
            .await
        }
    };
    let before = partner_count(&app).await;
    for (service, code, text) in [
        (999_999, "unavailable", MiniAppText::RequestUnavailable),
        (hidden, "unavailable", MiniAppText::RequestUnavailable),
        (gone, "unavailable", MiniAppText::RequestUnavailable),
        (cake, "unaffordable", MiniAppText::RequestUnaffordable),
    ] {
        let (status, body) = refused(service, 2).await;
        assert_eq!(status, 409, "{service}: {body}");
        assert_eq!(body["error"], code);
        assert_eq!(body["text"], ru(&text));
    }
    for (body, what) in [
        (json!({ "service": coffee, "key": "short" }), "a short key"),
        (json!({ "service": coffee, "key": "not a key!" }), "spaces"),
        (json!({ "service": "coffee", "key": key(3) }), "a word"),
        (json!({ "key": key(3) }), "no service"),
    ] {
        let (status, answer) = post(&app, "services/request", &data, &body).await;
        assert_eq!(status, 400, "{what}: {answer}");
    }
    assert_eq!(requests(&app).await, 0, "nothing written");
    // A request waiting for the partner: another of the same service is refused.
    assert_eq!(refused(coffee, 4).await.0, 200);
    let (status, body) = refused(coffee, 5).await;
    assert_eq!((status, &body["error"]), (409, &json!("pending")), "{body}");
    assert_eq!(body["text"], ru(&MiniAppText::RequestPending));
    assert_eq!(requests(&app).await, 1);
    // In English once the client chose it.
    app.db
        .execute(
            "UPDATE clients SET language_override = 'en' WHERE telegram_id = $1",
            &[&me],
        )
        .await
        .expect("language");
    let (_, body) = refused(cake, 6).await;
    assert_eq!(body["text"], en(&MiniAppText::RequestUnaffordable));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        partner_count(&app).await,
        before + 1,
        "the partner heard of the one request"
    );
    assert_eq!(balance_of(&app, me).await, 100);
}

#[actix_rt::test]
async fn one_clients_init_data_never_requests_for_another() {
    let app = TestApp::spawn().await;
    let (anna, boris) = (4321, 4322);
    let anna_id = client(&app, anna).await;
    let boris_id = client(&app, boris).await;
    let coffee = services(&app).await;
    let body = json!({ "service": coffee, "key": key(7) });
    // Signed with another bot's token, or not at all: 401, nothing written.
    let forged = node_sign(user(anna, "ru"), "sandbox-partner", now_s());
    assert_eq!(post(&app, "services/request", &forged, &body).await.0, 401);
    assert_eq!(post(&app, "services/request", "", &body).await.0, 401);
    assert_eq!(requests(&app).await, 0);
    // Anna's key used by Boris is Boris's own request: keys are bound to the client who signs.
    let anna_data = node_sign(user(anna, "ru"), TOKEN, now_s());
    let boris_data = node_sign(user(boris, "ru"), TOKEN, now_s());
    let (s1, a) = post(&app, "services/request", &anna_data, &body).await;
    let (s2, b) = post(&app, "services/request", &boris_data, &body).await;
    assert_eq!((s1, s2), (200, 200), "{a} {b}");
    assert_ne!(a["request"], b["request"]);
    let owners: Vec<i64> = app
        .db
        .query("SELECT client_id FROM redemption_requests ORDER BY id", &[])
        .await
        .expect("requests")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(owners, vec![anna_id.0, boris_id.0]);
}

#[actix_rt::test]
async fn the_language_chosen_in_the_app_is_the_bots_too() {
    let app = TestApp::spawn().await;
    let me = 4331;
    let code = join(&app, me, "+79995554331").await;
    let data = node_sign(user(me, "ru"), TOKEN, now_s());
    for bad in [json!({ "language": "de" }), json!({})] {
        let (status, body) = post(&app, "language", &data, &bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    assert_eq!(
        post(&app, "language", "", &json!({ "language": "en" }))
            .await
            .0,
        401
    );
    let (status, body) = post(&app, "language", &data, &json!({ "language": "en" })).await;
    assert_eq!(status, 200, "{body}");
    let (_, texts) = get(&app, "texts", Some(&data)).await;
    assert_eq!(texts["lang"], "en");
    assert_eq!(texts["texts"]["tab_home"], en(&MiniAppText::TabHome));
    let (_, profile) = get(&app, "profile", Some(&data)).await;
    assert_eq!(profile["language"], "en");
    // The chat's menu button is relabelled too (the bot-wide one is Russian).
    app.expect_menu_button(me, &en(&MiniAppText::MenuButton))
        .await;
    // The client bot answers in it from now on.
    let n = app.bot_messages("client", me, 0).await.len();
    app.send("client", me, "/balance").await;
    app.expect_nth(
        "client",
        me,
        n + 1,
        &en(&ClientText::Balance {
            balance: 100,
            code: &code,
        }),
    )
    .await;
}
