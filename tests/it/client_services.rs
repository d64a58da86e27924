//! Requesting a service for points (issue 14): the client taps an affordable approved service, confirms, the partner
//! accepts (one redemption however often tapped) or declines, both sides are told; a service withdrawn meanwhile
//! cannot be requested.

use fsm::text::{ClientText, PartnerText};

use crate::app::{TestApp, inline_button};
use crate::helpers::ru;
use crate::redeem::{COMPANY, PARTNER, assert_ledger_clean, balance_of, join, member_code};

async fn partner_count(app: &TestApp) -> usize {
    app.bot_messages("partner", PARTNER, 0).await.len()
}

/// Two approved services of the demo partner: «Кофе» for 80 points and «Торт» for 500. Returns the first's id.
pub(crate) async fn services(app: &TestApp) -> i64 {
    app.db
        .query_one(
            "WITH ins AS (
                 INSERT INTO services (partner_id, title, description, price_points, status)
                 SELECT id, t, '', price, 'approved' FROM partners,
                     (VALUES ('Кофе', 80), ('Торт', 500)) AS v(t, price)
                 WHERE telegram_id = $1 RETURNING id, title)
             SELECT id FROM ins WHERE title = 'Кофе'",
            &[&PARTNER],
        )
        .await
        .expect("services")
        .get(0)
}

/// Presses the first inline button of `message` in `user`'s chat with the client bot.
async fn press_first(app: &TestApp, user: i64, message: &serde_json::Value) {
    app.press(
        "client",
        user,
        message["message_id"].as_i64().expect("id"),
        &inline_button(message, 0),
    )
    .await;
}

/// `/services` (the client bot's message `n + 1`) and a tap on the only affordable service: its confirm screen,
/// message `n + 2`.
async fn confirm_screen(app: &TestApp, user: i64, n: usize) -> serde_json::Value {
    app.send("client", user, "/services").await;
    let list = app.bot_messages("client", user, n + 1).await[n].clone();
    let buttons = list["reply_markup"]["inline_keyboard"]
        .as_array()
        .expect("request buttons")
        .clone();
    assert_eq!(buttons.len(), 1, "only the affordable service: {list:#}");
    press_first(app, user, &list).await;
    app.bot_messages("client", user, n + 2).await[n + 1].clone()
}

/// Waits for the partner's message `n` to be the notice of a request of `title` for `points` by the client with
/// member code `code`, and returns it.
pub(crate) async fn partner_notice(
    app: &TestApp,
    n: usize,
    code: &str,
    title: &str,
    points: i64,
) -> serde_json::Value {
    let text = PartnerText::ServiceRequestNotice {
        client: code,
        title,
        points,
    };
    app.expect_nth("partner", PARTNER, n, &ru(&text)).await
}

/// `/services`, a tap on the only affordable service and Request: returns the partner's notice.
async fn request_coffee(app: &TestApp, user: i64, n: usize) -> serde_json::Value {
    confirm_screen(app, user, n).await;
    let confirm = app
        .expect_nth(
            "client",
            user,
            n + 2,
            &ru(&ClientText::ServiceConfirm {
                partner: COMPANY,
                title: "Кофе",
                price: 80,
                balance: 100,
            }),
        )
        .await;
    let before = partner_count(app).await;
    press_first(app, user, &confirm).await;
    app.expect_nth(
        "client",
        user,
        n + 2,
        &ru(&ClientText::ServiceRequested {
            partner: COMPANY,
            title: "Кофе",
        }),
    )
    .await;
    let code = member_code(app, user).await;
    partner_notice(app, before + 1, &code, "Кофе", 80).await
}

#[actix_rt::test]
async fn a_requested_service_is_redeemed_once_when_the_partner_accepts() {
    let app = TestApp::spawn().await;
    let user = 14_201;
    join(&app, user, "+79995550301").await;
    services(&app).await;
    let notice = request_coffee(&app, user, 2).await;
    let id = notice["message_id"].as_i64().expect("id");
    let accept = inline_button(&notice, 0);
    // A double tap: one redemption.
    tokio::join!(
        app.press("partner", PARTNER, id, &accept),
        app.press("partner", PARTNER, id, &accept)
    );
    let code = member_code(&app, user).await;
    crate::helpers::eventually(std::time::Duration::from_secs(15), "accepted", || async {
        let msgs = app.bot_messages("partner", PARTNER, 0).await;
        msgs.iter()
            .any(|m| {
                m["message_id"].as_i64() == Some(id)
                    && m["text"].as_str()
                        == Some(
                            ru(&PartnerText::ServiceRequestAccepted {
                                client: &code,
                                title: "Кофе",
                                points: 80,
                            })
                            .as_str(),
                        )
            })
            .then_some(())
    })
    .await;
    app.expect_nth(
        "client",
        user,
        5,
        &ru(&ClientText::ServiceAccepted {
            partner: COMPANY,
            title: "Кофе",
            points: 80,
            balance: 20,
        }),
    )
    .await;
    // As after every completed redemption, the client is asked to rate the partner for it (review finding).
    let question = app.bot_messages("client", user, 6).await[5].clone();
    assert_eq!(
        question["text"],
        ru(&ClientText::NpsAsk { partner: COMPANY }).as_str()
    );
    let op = app
        .count("SELECT max(id) FROM operations WHERE kind = 'redemption'")
        .await;
    assert!(
        inline_button(&question, 0).ends_with(&format!("nps:{op}:0")),
        "the rating names the redemption: {question:#}"
    );
    assert_eq!(balance_of(&app, user).await, 20);
    let redemptions = app
        .count("SELECT count(*) FROM operations WHERE kind = 'redemption' AND points = 80")
        .await;
    assert_eq!(redemptions, 1);
    let request = app
        .count(
            "SELECT count(*) FROM redemption_requests WHERE service_id IS NOT NULL AND status = 'approved'
             AND operation_id IS NOT NULL",
        )
        .await;
    assert_eq!(request, 1);
    assert_ledger_clean(&app).await;
}

#[actix_rt::test]
async fn a_declined_request_moves_nothing_and_a_withdrawn_service_cannot_be_requested() {
    let app = TestApp::spawn().await;
    let user = 14_211;
    join(&app, user, "+79995550311").await;
    let coffee = services(&app).await;
    let notice = request_coffee(&app, user, 2).await;
    app.press(
        "partner",
        PARTNER,
        notice["message_id"].as_i64().expect("id"),
        &inline_button(&notice, 1),
    )
    .await;
    app.expect_nth(
        "client",
        user,
        5,
        &ru(&ClientText::ServiceDeclined {
            partner: COMPANY,
            title: "Кофе",
        }),
    )
    .await;
    assert_eq!(balance_of(&app, user).await, 100);
    // The confirm screen of a service withdrawn before Request is pressed.
    let confirm = confirm_screen(&app, user, 5).await;
    app.db
        .execute(
            "UPDATE services SET deleted_at = now() WHERE id = $1",
            &[&coffee],
        )
        .await
        .expect("withdrawn");
    press_first(&app, user, &confirm).await;
    app.expect_nth("client", user, 7, &ru(&ClientText::ServiceUnavailable))
        .await;
    assert_eq!(
        app.count("SELECT count(*) FROM redemption_requests WHERE status = 'pending'")
            .await,
        0
    );
    assert_eq!(balance_of(&app, user).await, 100);
    assert_ledger_clean(&app).await;
}

#[actix_rt::test]
async fn a_second_request_of_a_service_waiting_for_the_partner_is_refused() {
    let app = TestApp::spawn().await;
    let user = 14_221;
    join(&app, user, "+79995550321").await;
    services(&app).await;
    request_coffee(&app, user, 2).await;
    let told = partner_count(&app).await;
    // The same service again while the first request waits: a new confirm screen, and Request is refused.
    let confirm = confirm_screen(&app, user, 4).await;
    press_first(&app, user, &confirm).await;
    app.expect_nth("client", user, 6, &ru(&ClientText::ServiceAlreadyRequested))
        .await;
    assert_eq!(
        app.count("SELECT count(*) FROM redemption_requests").await,
        1
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(partner_count(&app).await, told, "the partner is asked once");
}

#[actix_rt::test]
async fn a_service_withdrawn_before_the_partner_accepts_moves_nothing_and_labels_are_plain_text() {
    let app = TestApp::spawn().await;
    let user = 14_231;
    join(&app, user, "+79995550331").await;
    let coffee = services(&app).await;
    let notice = request_coffee(&app, user, 2).await;
    // The admin re-decides the service (rejected) while the request waits for the partner.
    app.db
        .execute(
            "UPDATE services SET status = 'rejected' WHERE id = $1",
            &[&coffee],
        )
        .await
        .expect("withdrawn");
    app.press(
        "partner",
        PARTNER,
        notice["message_id"].as_i64().expect("id"),
        &inline_button(&notice, 0),
    )
    .await;
    crate::helpers::eventually(std::time::Duration::from_secs(15), "closed", || async {
        let msgs = app.bot_messages("partner", PARTNER, 0).await;
        msgs.iter()
            .any(|m| m["text"].as_str() == Some(ru(&PartnerText::ServiceRequestClosed).as_str()))
            .then_some(())
    })
    .await;
    assert_eq!(balance_of(&app, user).await, 100);
    assert_eq!(
        app.count("SELECT count(*) FROM operations WHERE kind = 'redemption'")
            .await,
        0
    );

    // A title with HTML's special characters: the list shows it escaped, the button (plain text) as it is.
    app.db
        .execute(
            "UPDATE services SET title = 'Tea & <Cake>', status = 'approved' WHERE id = $1",
            &[&coffee],
        )
        .await
        .expect("renamed");
    let n = app.bot_messages("client", user, 0).await.len();
    app.send("client", user, "/services").await;
    let list = app.bot_messages("client", user, n + 1).await[n].clone();
    assert!(
        list["text"]
            .as_str()
            .expect("text")
            .contains("Tea &amp; &lt;Cake&gt;"),
        "{list:#}"
    );
    let label = list["reply_markup"]["inline_keyboard"][0][0]["text"]
        .as_str()
        .expect("button");
    assert!(label.contains("Tea & <Cake>"), "{label}");
}

/// The review's finding: another client pressing a copy of the owner's Request data was told "sent" while nothing
/// was created for them (the key collided with the owner's request). Keys now name the presser: the copy is the
/// presser's own request, for their own points, and the owner's request is untouched.
#[actix_rt::test]
async fn a_confirm_copied_into_another_chat_is_the_pressers_own_request_never_the_owners() {
    let app = TestApp::spawn().await;
    let (owner, other) = (14_241, 14_242);
    join(&app, owner, "+79995550341").await;
    join(&app, other, "+79995550342").await;
    services(&app).await;
    let confirm = confirm_screen(&app, owner, 2).await;
    let data = inline_button(&confirm, 0);
    press_first(&app, owner, &confirm).await;
    app.expect_nth(
        "client",
        owner,
        4,
        &ru(&ClientText::ServiceRequested {
            partner: COMPANY,
            title: "Кофе",
        }),
    )
    .await;
    let before = app.bot_messages("client", other, 0).await.len();
    let mine = app.bot_messages("client", other, before).await[before - 1].clone();
    app.press(
        "client",
        other,
        mine["message_id"].as_i64().expect("id"),
        &data,
    )
    .await;
    let requests = "SELECT c.telegram_id FROM redemption_requests r JOIN clients c ON c.id = r.client_id ORDER BY r.id";
    let owners = crate::helpers::eventually(
        std::time::Duration::from_secs(15),
        "the copy handled",
        || async {
            let rows = app.db.query(requests, &[]).await.expect("requests");
            let owners: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
            (owners.len() == 2).then_some(owners)
        },
    )
    .await;
    assert_eq!(
        owners,
        vec![owner, other],
        "one request each, the copy the presser's own"
    );
    assert_eq!(
        balance_of(&app, owner).await,
        100,
        "nothing moved before the partner accepts"
    );
}
