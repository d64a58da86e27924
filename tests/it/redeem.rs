//! Partner money through the sandbox (issue 13): enrolment by phone, redemption with the client's consent
//! (approved, declined, expired, a double tap, two concurrent presses, a forged press), with the ledger audited
//! after each.

use std::time::Duration;

use actors::dialogue::DialogueEnv;
use fsm::callback::Callback;
use fsm::chat::{Sender, UserInput};
use fsm::text::{ClientText, CommonText, PartnerText};
use fsm::{BotKind, CashbackRate, Kopecks, Lang, Points};
use serde_json::Value;

use crate::app::{TestApp, inline_button};
use crate::helpers::{dialogue_env, eventually, ru};

pub(crate) const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;
/// The demo partner's company as the server seeds it (nothing in it needs HTML escaping).
pub(crate) const COMPANY: &str = "Кофейня «Зерно»";

pub(crate) fn points(n: i64) -> Points {
    Points::new(n).expect("positive")
}

pub(crate) fn partner_menu() -> String {
    ru(&PartnerText::Menu { company: COMPANY })
}

/// A client who joined by the demo partner's link (100 welcome points) and shared `phone` as their own; returns
/// their member code.
pub(crate) async fn join(app: &TestApp, user: i64, phone: &str) -> String {
    app.send("client", user, &format!("/start {}", app.referral()))
        .await;
    app.nth_text("client", user, 1).await;
    app.share_contact("client", user, phone, user).await;
    app.expect_nth("client", user, 2, &ru(&ClientText::ContactSaved))
        .await;
    member_code(app, user).await
}

pub(crate) async fn member_code(app: &TestApp, user: i64) -> String {
    app.db
        .query_one(
            "SELECT member_code FROM clients WHERE telegram_id = $1",
            &[&user],
        )
        .await
        .expect("client")
        .get(0)
}

pub(crate) async fn balance_of(app: &TestApp, user: i64) -> i64 {
    app.db
        .query_one(
            "SELECT COALESCE(a.balance, 0) FROM clients c
             LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id WHERE c.telegram_id = $1",
            &[&user],
        )
        .await
        .expect("client")
        .get(0)
}

pub(crate) async fn assert_ledger_clean(app: &TestApp) {
    let checks = actors::ledger::audit::check(&app.db)
        .await
        .expect("audit runs");
    let violated: Vec<_> = checks.iter().filter(|c| c.violations != 0).collect();
    assert!(
        violated.is_empty(),
        "ledger invariants violated: {violated:?}"
    );
}

/// The partner's messages so far (0 when none).
async fn partner_count(app: &TestApp) -> usize {
    app.chat("partner", PARTNER)
        .await
        .into_iter()
        .filter(|m| m["from"] == "bot")
        .count()
}

/// From the menu: `/redeem`, the client's phone, `points`, no receipt; returns the confirm screen (message `base + 4`
/// of the partner's chat, `base` being the count before).
async fn redemption_screen(app: &TestApp, phone: &str, points: &str) -> (Value, usize) {
    let base = partner_count(app).await;
    app.send("partner", PARTNER, "/redeem").await;
    app.expect_nth("partner", PARTNER, base + 1, &ru(&PartnerText::AskClient))
        .await;
    app.send("partner", PARTNER, phone).await;
    app.nth_text("partner", PARTNER, base + 2).await;
    app.send("partner", PARTNER, points).await;
    app.nth_text("partner", PARTNER, base + 3).await;
    app.send("partner", PARTNER, &ru(&PartnerText::BtnNoReceipt))
        .await;
    let screen = app.bot_messages("partner", PARTNER, base + 4).await[base + 3].clone();
    (screen, base + 4)
}

/// A redemption request sent to `user`: the partner confirms, and the client's request message (the client's
/// message `n`) is returned.
async fn request(app: &TestApp, user: i64, phone: &str, pts: i64, n: usize) -> Value {
    let (screen, at) = redemption_screen(app, phone, &pts.to_string()).await;
    let id = screen["message_id"].as_i64().expect("id");
    app.press("partner", PARTNER, id, &inline_button(&screen, 0))
        .await;
    app.expect_nth(
        "partner",
        PARTNER,
        at,
        &ru(&PartnerText::RedemptionRequested { minutes: 5 }),
    )
    .await;
    app.expect_nth("partner", PARTNER, at + 1, &partner_menu())
        .await;
    app.bot_messages("client", user, n).await[n - 1].clone()
}

/// An app whose consent requests expire after 1 s, swept every `sweep_ms`, where `user` joined with `phone` and the
/// partner confirmed a redemption of `pts` from them. Returns the app, the client's member code, and the partner's
/// message count once the confirm screen was sent (as [`redemption_screen`]).
async fn expiring_request(
    sweep_ms: u64,
    user: i64,
    phone: &str,
    pts: &str,
) -> (TestApp, String, usize) {
    let app = TestApp::spawn_with(|s| {
        s.money.redemption_consent_ttl_s = 1;
        s.partners.redemption_sweep_ms = sweep_ms;
    })
    .await;
    let code = join(&app, user, phone).await;
    let (screen, at) = redemption_screen(&app, phone, pts).await;
    let id = screen["message_id"].as_i64().expect("id");
    app.press("partner", PARTNER, id, &inline_button(&screen, 0))
        .await;
    (app, code, at)
}

/// The partner's message `n` tells them the request to the client `code` for `pts` expired.
async fn expect_partner_told_expired(app: &TestApp, n: usize, code: &str, pts: i64) {
    app.expect_nth(
        "partner",
        PARTNER,
        n,
        &ru(&PartnerText::RedemptionExpired {
            client: code,
            points: points(pts),
        }),
    )
    .await;
}

async fn request_status(app: &TestApp) -> Vec<(String, Option<i64>)> {
    app.db
        .query(
            "SELECT status, operation_id FROM redemption_requests ORDER BY id",
            &[],
        )
        .await
        .expect("requests")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn redemptions(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM operations WHERE kind = 'redemption'")
        .await
}

#[actix_rt::test]
async fn an_unknown_phone_is_enrolled_by_the_partner_and_accrued_to_at_once() {
    let app = TestApp::spawn().await;
    app.send("partner", PARTNER, "/accrue").await;
    app.nth_text("partner", PARTNER, 1).await;
    app.send("partner", PARTNER, "+7 999 555-44-33").await;
    let offer = app.bot_messages("partner", PARTNER, 2).await[1].clone();
    assert_eq!(
        offer["text"].as_str(),
        Some(
            ru(&PartnerText::EnrolOffer {
                phone: "+7 *** **4433"
            })
            .as_str()
        )
    );
    let id = offer["message_id"].as_i64().expect("id");
    app.press("partner", PARTNER, id, &inline_button(&offer, 0))
        .await;
    app.expect_nth(
        "partner",
        PARTNER,
        2,
        &ru(&PartnerText::Enrolled {
            phone: "+7 *** **4433",
        }),
    )
    .await;
    app.expect_nth(
        "partner",
        PARTNER,
        3,
        &ru(&PartnerText::AskAmount {
            client: "+7 *** **4433",
            balance: 0,
            rate: CashbackRate::DEFAULT,
        }),
    )
    .await;
    app.send("partner", PARTNER, "1000").await;
    let confirm = app.bot_messages("partner", PARTNER, 4).await[3].clone();
    let id = confirm["message_id"].as_i64().expect("id");
    app.press("partner", PARTNER, id, &inline_button(&confirm, 0))
        .await;
    app.expect_nth(
        "partner",
        PARTNER,
        4,
        &ru(&PartnerText::Accrued {
            points: points(50),
            balance: 50,
        }),
    )
    .await;
    let row = app
        .db
        .query_one(
            "SELECT c.telegram_id, c.phone_verified, c.registered_via, c.referred_by = p.id, a.balance
             FROM clients c JOIN partners p ON p.telegram_id = $2
             JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id WHERE c.phone = $1",
            &[&"+79995554433", &PARTNER],
        )
        .await
        .expect("the enrolled client");
    assert_eq!(
        row.get::<_, Option<i64>>(0),
        None,
        "no Telegram id, no fake one"
    );
    assert!(!row.get::<_, bool>(1), "the phone is not verified yet");
    assert_eq!(row.get::<_, &str>(2), "partner_enrolment");
    assert!(row.get::<_, bool>(3), "referred by the enrolling partner");
    assert_eq!(row.get::<_, i64>(4), 50);
    assert_ledger_clean(&app).await;
}

#[actix_rt::test]
async fn a_partner_cannot_accrue_or_redeem_to_their_own_client_record() {
    let app = TestApp::spawn().await;
    // The partner's own Telegram account is also a client (with the default sandbox phone).
    app.send("client", PARTNER, "/start").await;
    app.nth_text("client", PARTNER, 1).await;
    app.share_contact("client", PARTNER, "+7 999 000-10-01", PARTNER)
        .await;
    app.expect_nth("client", PARTNER, 2, &ru(&ClientText::ContactSaved))
        .await;
    app.send("partner", PARTNER, "/accrue").await;
    app.nth_text("partner", PARTNER, 1).await;
    app.send("partner", PARTNER, "+7 999 000-10-01").await;
    app.expect_nth("partner", PARTNER, 2, &ru(&PartnerText::OwnClientRecord))
        .await;
    app.send("partner", PARTNER, "/redeem").await;
    app.nth_text("partner", PARTNER, 3).await;
    app.send("partner", PARTNER, &member_code(&app, PARTNER).await)
        .await;
    app.expect_nth("partner", PARTNER, 4, &ru(&PartnerText::OwnClientRecord))
        .await;
    assert_eq!(
        app.count("SELECT count(*) FROM operations WHERE kind <> 'welcome_bonus'")
            .await,
        0
    );
}

#[actix_rt::test]
async fn a_redemption_above_the_balance_is_refused_with_the_balance_and_nothing_changes() {
    let app = TestApp::spawn().await;
    join(&app, 2101, "+7 999 210-11-01").await;
    app.send("partner", PARTNER, "/redeem").await;
    app.nth_text("partner", PARTNER, 1).await;
    app.send("partner", PARTNER, "+7 999 210-11-01").await;
    app.expect_nth(
        "partner",
        PARTNER,
        2,
        &ru(&PartnerText::RedeemAskPoints {
            client: "+7 *** **1101",
            balance: 100,
        }),
    )
    .await;
    app.send("partner", PARTNER, "150").await;
    app.expect_nth(
        "partner",
        PARTNER,
        3,
        &ru(&PartnerText::OverBalance {
            points: points(150),
            balance: 100,
        }),
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) FROM redemption_requests").await,
        0
    );
    assert_eq!(redemptions(&app).await, 0);
    assert_eq!(balance_of(&app, 2101).await, 100);
    // Nothing reached the client beyond joining.
    assert_eq!(app.bot_messages("client", 2101, 2).await.len(), 2);
}

#[actix_rt::test]
async fn a_receipt_caps_the_points_at_the_configured_share() {
    let app = TestApp::spawn_with(|s| s.money.redeem_cap_percent = 50).await;
    join(&app, 2102, "+7 999 210-11-02").await;
    app.send("partner", PARTNER, "/redeem").await;
    app.nth_text("partner", PARTNER, 1).await;
    app.send("partner", PARTNER, "+7 999 210-11-02").await;
    app.nth_text("partner", PARTNER, 2).await;
    app.send("partner", PARTNER, "80").await;
    app.expect_nth(
        "partner",
        PARTNER,
        3,
        &ru(&PartnerText::RedeemAskReceipt { cap_percent: 50 }),
    )
    .await;
    // 50 % of 100.00 ₽ is 50 points.
    app.send("partner", PARTNER, "100").await;
    app.expect_nth(
        "partner",
        PARTNER,
        4,
        &ru(&PartnerText::OverCap {
            points: points(80),
            amount: Kopecks::new(10_000).expect("amount"),
            max: 50,
        }),
    )
    .await;
    app.send("partner", PARTNER, "160").await;
    app.expect_nth(
        "partner",
        PARTNER,
        5,
        &ru(&PartnerText::ConfirmRedemption {
            client: "+7 *** **1102",
            points: points(80),
            receipt: Kopecks::new(16_000),
        }),
    )
    .await;
}

#[actix_rt::test]
async fn an_approved_redemption_moves_points_once_for_a_double_tap_and_tells_both_sides() {
    let app = TestApp::spawn().await;
    let code = join(&app, 2103, "+7 999 210-11-03").await;
    let asked = request(&app, 2103, "+7 999 210-11-03", 40, 3).await;
    assert_eq!(
        asked["text"].as_str(),
        Some(
            ru(&ClientText::ConsentAsk {
                partner: COMPANY,
                points: points(40),
                receipt: None,
                balance: 100,
                minutes: 5,
            })
            .as_str()
        )
    );
    let id = asked["message_id"].as_i64().expect("id");
    let approve = inline_button(&asked, 0);
    app.press("client", 2103, id, &approve).await;
    app.press("client", 2103, id, &approve).await;
    let done = app
        .expect_nth(
            "client",
            2103,
            3,
            &ru(&ClientText::ConsentApproved {
                partner: COMPANY,
                points: points(40),
                balance: 60,
            }),
        )
        .await;
    assert!(done["reply_markup"].is_null(), "the outcome has no buttons");
    let nps = app.bot_messages("client", 2103, 4).await[3].clone();
    assert_eq!(
        nps["text"].as_str(),
        Some(ru(&ClientText::NpsAsk { partner: COMPANY }).as_str())
    );
    app.expect_nth("client", 2103, 5, &ru(&ClientText::ConsentAlreadyAnswered))
        .await;
    app.expect_nth(
        "partner",
        PARTNER,
        6,
        &ru(&PartnerText::RedemptionDone {
            client: &code,
            points: points(40),
            balance: 60,
        }),
    )
    .await;
    assert_eq!(redemptions(&app).await, 1);
    let status = request_status(&app).await;
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].0, "approved");
    assert!(status[0].1.is_some(), "the request names its operation");
    assert_eq!(balance_of(&app, 2103).await, 60);
    assert_ledger_clean(&app).await;
}

#[actix_rt::test]
async fn a_declined_redemption_moves_nothing_and_tells_the_partner() {
    let app = TestApp::spawn().await;
    let code = join(&app, 2104, "+7 999 210-11-04").await;
    let asked = request(&app, 2104, "+7 999 210-11-04", 30, 3).await;
    let id = asked["message_id"].as_i64().expect("id");
    app.press("client", 2104, id, &inline_button(&asked, 1))
        .await;
    app.expect_nth(
        "client",
        2104,
        3,
        &ru(&ClientText::ConsentDeclined {
            partner: COMPANY,
            points: points(30),
        }),
    )
    .await;
    app.expect_nth(
        "partner",
        PARTNER,
        6,
        &ru(&PartnerText::RedemptionDeclined {
            client: &code,
            points: points(30),
        }),
    )
    .await;
    // Approve after the decline changes nothing.
    app.press("client", 2104, id, &inline_button(&asked, 0))
        .await;
    app.expect_nth("client", 2104, 4, &ru(&ClientText::ConsentAlreadyAnswered))
        .await;
    assert_eq!(request_status(&app).await, vec![("declined".into(), None)]);
    assert_eq!(redemptions(&app).await, 0);
    assert_eq!(balance_of(&app, 2104).await, 100);
}

#[actix_rt::test]
async fn a_press_after_expiry_answers_expired_marks_it_and_tells_the_partner() {
    // A sweeper too slow to get there first: the press itself finds the request expired.
    let (app, code, at) = expiring_request(3_600_000, 2105, "+7 999 210-11-05", "20").await;
    app.expect_nth(
        "partner",
        PARTNER,
        at,
        &ru(&PartnerText::RedemptionRequested { minutes: 1 }),
    )
    .await;
    let asked = app.bot_messages("client", 2105, 3).await[2].clone();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let id = asked["message_id"].as_i64().expect("id");
    app.press("client", 2105, id, &inline_button(&asked, 0))
        .await;
    app.expect_nth(
        "client",
        2105,
        3,
        &ru(&ClientText::ConsentExpired {
            partner: COMPANY,
            points: points(20),
        }),
    )
    .await;
    expect_partner_told_expired(&app, at + 2, &code, 20).await;
    assert_eq!(request_status(&app).await, vec![("expired".into(), None)]);
    assert_eq!(redemptions(&app).await, 0);
    assert_eq!(balance_of(&app, 2105).await, 100);
}

#[actix_rt::test]
async fn the_sweeper_expires_an_unanswered_request_by_editing_its_message_and_tells_the_partner() {
    let (app, code, at) = expiring_request(200, 2106, "+7 999 210-11-06", "25").await;
    let asked = app.bot_messages("client", 2106, 3).await[2].clone();
    assert!(
        !asked["reply_markup"].is_null(),
        "the consent request has Approve / Decline: {asked:#}"
    );
    // The consent request itself turns into the outcome and loses its buttons; no second message.
    let expired_text = ru(&ClientText::ConsentExpired {
        partner: COMPANY,
        points: points(25),
    });
    let expired = app.expect_nth("client", 2106, 3, &expired_text).await;
    assert_eq!(expired["message_id"], asked["message_id"]);
    assert!(
        expired["reply_markup"].is_null(),
        "no buttons under an expired request: {expired:#}"
    );
    expect_partner_told_expired(&app, at + 2, &code, 25).await;
    // The notices are queued just before the sweep commits.
    eventually(
        Duration::from_secs(5),
        "the request marked expired",
        || async {
            (request_status(&app).await == vec![("expired".to_owned(), None)]).then_some(())
        },
    )
    .await;
    // A late Approve on the request's message: it says expired, the partner is not told twice, nothing moves.
    let id = asked["message_id"].as_i64().expect("id");
    app.press("client", 2106, id, &inline_button(&asked, 0))
        .await;
    app.expect_nth("client", 2106, 3, &expired_text).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        partner_count(&app).await,
        at + 2,
        "the partner is told once"
    );
    assert_eq!(
        app.bot_messages("client", 2106, 3).await.len(),
        3,
        "the expiry edited the request, it sent no new message"
    );
    assert_eq!(redemptions(&app).await, 0);
}

#[actix_rt::test]
async fn a_forged_consent_press_by_another_client_does_nothing() {
    let app = TestApp::spawn().await;
    join(&app, 2107, "+7 999 210-11-07").await;
    join(&app, 2108, "+7 999 210-11-08").await;
    request(&app, 2107, "+7 999 210-11-07", 50, 3).await;
    let request_id: i64 = app
        .db
        .query_one("SELECT id FROM redemption_requests", &[])
        .await
        .expect("request")
        .get(0);
    let forged = Callback::Consent {
        request: request_id,
        approve: true,
    }
    .encode();
    app.press("client", 2108, 1, &forged).await;
    app.expect_nth("client", 2108, 3, &ru(&CommonText::StaleButton))
        .await;
    assert_eq!(request_status(&app).await, vec![("pending".into(), None)]);
    assert_eq!(redemptions(&app).await, 0);
    assert_eq!(balance_of(&app, 2107).await, 100);
}

/// The client dialogue for `user` pressing `data`, run directly (as two replicas would, each with its own session).
async fn press_directly(env: &DialogueEnv, user: i64, data: &str) -> actors::dialogue::StepOutput {
    let sender = Sender {
        user_id: user,
        chat_id: user,
        first_name: "Анна".into(),
        lang: Lang::Ru,
    };
    let input = UserInput::Callback { data: data.into() };
    actors::dialogue::run(env, BotKind::Client, &sender, input, Some(3), None)
        .await
        .expect("the press runs")
}

#[actix_rt::test]
async fn two_concurrent_approvals_make_one_operation_and_one_partner_notice() {
    let app = TestApp::spawn().await;
    join(&app, 2109, "+7 999 210-11-09").await;
    let asked = request(&app, 2109, "+7 999 210-11-09", 70, 3).await;
    let approve = inline_button(&asked, 0);
    let services = &app.running.services;
    let env = dialogue_env(services, &[]);
    let (a, b) = tokio::join!(
        press_directly(&env, 2109, &approve),
        press_directly(&env, 2109, &approve)
    );
    let told_partner = [a, b]
        .iter()
        .filter(|out| out.outgoing.iter().any(|o| o.bot == BotKind::Partner))
        .count();
    assert_eq!(told_partner, 1, "one press decides, the other is answered");
    assert_eq!(redemptions(&app).await, 1);
    assert_eq!(balance_of(&app, 2109).await, 30);
    assert_eq!(request_status(&app).await[0].0, "approved");
    assert_ledger_clean(&app).await;
}

/// Found by review: a partner could enrol the phone of their own application, a record that becomes their own
/// client account once claimed.
#[actix_rt::test]
async fn a_partner_cannot_enrol_their_own_phone() {
    let app = TestApp::spawn().await;
    app.db
        .execute(
            "UPDATE partners SET phone = '+79135335289' WHERE telegram_id = $1",
            &[&PARTNER],
        )
        .await
        .expect("phone");
    app.send("partner", PARTNER, "/accrue").await;
    app.nth_text("partner", PARTNER, 1).await;
    app.send("partner", PARTNER, "+7 913 533-52-89").await;
    app.expect_nth("partner", PARTNER, 2, &ru(&PartnerText::OwnClientRecord))
        .await;
    assert_eq!(
        app.count("SELECT count(*) FROM clients WHERE phone = '+79135335289'")
            .await,
        0
    );
}

/// Found by review: `/accrue` and `/redeem` looked up any phone or member code without limit, a way around `/find`'s.
#[actix_rt::test]
async fn client_lookups_at_the_till_are_limited_per_partner() {
    let app = TestApp::spawn_with(|s| s.partners.till_lookups_per_hour = 2).await;
    for (i, phone) in ["+7 999 555-00-01", "+7 999 555-00-02", "+7 999 555-00-03"]
        .into_iter()
        .enumerate()
    {
        app.send("partner", PARTNER, "/accrue").await;
        app.nth_text("partner", PARTNER, 2 * i + 1).await;
        app.send("partner", PARTNER, phone).await;
        let answer = app.nth_text("partner", PARTNER, 2 * i + 2).await;
        assert_eq!(
            answer == ru(&PartnerText::FindTooMany),
            i == 2,
            "lookup {i}: {answer}"
        );
    }
    app.send("partner", PARTNER, "/redeem").await;
    app.nth_text("partner", PARTNER, 7).await;
    app.send("partner", PARTNER, "+7 999 555-00-01").await;
    app.expect_nth("partner", PARTNER, 8, &ru(&PartnerText::FindTooMany))
        .await;
}
