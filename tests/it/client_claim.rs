//! The claim (issue 14, SPEC §3): a phone a partner enrolled becomes the Telegram user's who shares it as their own
//! contact: balance and history kept, one welcome bonus in all, one owner however many claim at once, and a
//! forwarded card claims nothing.

use fsm::text::{ClientText, PartnerText};
use fsm::{ClientId, Phone};

use crate::app::TestApp;
use crate::helpers::ru;
use crate::redeem::{PARTNER, assert_ledger_clean, balance_of, points};

const PHONE: &str = "+79995550101";

/// A record the demo partner enrolled with `phone` (no Telegram id), with 50 points accrued to it by `/accrue`.
async fn enrolled_with_points(app: &TestApp, phone: &str) -> i64 {
    let row = app
        .db
        .query_one(
            "INSERT INTO clients (phone, member_code, referred_by, registered_via)
             SELECT $1, 'ZZ2345', id, 'partner_enrolment' FROM partners WHERE telegram_id = $2
             RETURNING id",
            &[&phone, &PARTNER],
        )
        .await
        .expect("an enrolled record");
    let outcome = app.accrue(PARTNER, phone, "1000").await;
    assert_eq!(
        outcome["text"].as_str(),
        Some(
            ru(&PartnerText::Accrued {
                points: points(50),
                balance: 50,
            })
            .as_str()
        )
    );
    row.get(0)
}

/// `/start` by the demo partner's link: the fresh record with its 100 welcome points.
async fn start(app: &TestApp, user: i64) {
    app.send("client", user, &format!("/start {}", app.referral()))
        .await;
    app.nth_text("client", user, 1).await;
    assert_eq!(balance_of(app, user).await, 100);
}

async fn owner(app: &TestApp, client: i64) -> Option<i64> {
    app.db
        .query_one("SELECT telegram_id FROM clients WHERE id = $1", &[&client])
        .await
        .expect("client")
        .get(0)
}

/// Welcome bonuses granted to the person with Telegram id `user`, net of reversals, over every record.
async fn net_welcome_bonuses(app: &TestApp) -> i64 {
    app.count(
        "SELECT count(*) FROM operations o WHERE o.kind = 'welcome_bonus'
         AND NOT EXISTS (SELECT 1 FROM operations r WHERE r.reverses_operation_id = o.id)",
    )
    .await
}

#[actix_rt::test]
async fn sharing_the_own_phone_claims_the_enrolled_record_with_its_points_and_one_bonus() {
    let app = TestApp::spawn().await;
    let enrolled = enrolled_with_points(&app, PHONE).await;
    let user = 14_001;
    start(&app, user).await;
    app.share_contact("client", user, "+7 999 555-01-01", user)
        .await;
    // The enrolled 50 points stay; the person holds one welcome bonus (the fresh record's is moved, not doubled).
    app.expect_nth(
        "client",
        user,
        2,
        &ru(&ClientText::Claimed { balance: 150 }),
    )
    .await;
    assert_eq!(owner(&app, enrolled).await, Some(user));
    assert_eq!(balance_of(&app, user).await, 150);
    let row = app
        .db
        .query_one(
            "SELECT phone_verified, claimed_at IS NOT NULL, registered_via, member_code,
                    referred_by = (SELECT id FROM partners WHERE telegram_id = $2)
             FROM clients WHERE id = $1",
            &[&enrolled, &PARTNER],
        )
        .await
        .expect("claimed");
    assert!(row.get::<_, bool>(0), "the phone is verified now");
    assert!(row.get::<_, bool>(1));
    assert_eq!(row.get::<_, &str>(2), "partner_enrolment");
    assert_eq!(row.get::<_, &str>(3), "ZZ2345", "the member code stays");
    assert!(row.get::<_, bool>(4), "the referral stays");
    // The accrual is in the claimed record's history, as before the claim.
    let history = app
        .count(&format!(
            "SELECT count(*) FROM operations WHERE client_id = {enrolled} AND kind = 'accrual' AND points = 50"
        ))
        .await;
    assert_eq!(history, 1);
    assert_eq!(
        net_welcome_bonuses(&app).await,
        1,
        "one welcome bonus in all"
    );
    // The fresh record is retired into the claimed one, with nothing left in its wallet.
    let retired = app
        .count(&format!(
            "SELECT count(*) FROM clients c JOIN accounts a ON a.client_id = c.id AND a.kind = 'client_wallet'
             WHERE c.merged_into = {enrolled} AND c.telegram_id IS NULL AND a.balance = 0"
        ))
        .await;
    assert_eq!(retired, 1);
    // /start again: welcome back, still no second bonus.
    app.send("client", user, "/start").await;
    app.expect_nth("client", user, 3, &ru(&ClientText::WelcomeBack))
        .await;
    assert_eq!(balance_of(&app, user).await, 150);
    assert_eq!(net_welcome_bonuses(&app).await, 1);
    assert_ledger_clean(&app).await;
}

#[actix_rt::test]
async fn two_people_claiming_one_phone_at_once_leave_one_owner() {
    let app = TestApp::spawn().await;
    let enrolled = enrolled_with_points(&app, PHONE).await;
    let (a, b) = (14_011, 14_012);
    start(&app, a).await;
    start(&app, b).await;
    // The sandbox accepts a contact card from its owner only; Telegram would too. The race is in the bot.
    tokio::join!(
        app.share_contact("client", a, PHONE, a),
        app.share_contact("client", b, PHONE, b),
    );
    let (ta, tb) = tokio::join!(app.nth_text("client", a, 2), app.nth_text("client", b, 2));
    let claimed = ru(&ClientText::Claimed { balance: 150 });
    let taken = ru(&ClientText::PhoneTaken);
    let winner = match (ta == claimed, tb == claimed) {
        (true, false) => a,
        (false, true) => b,
        other => panic!("exactly one claim must win: {other:?}\n{ta}\n{tb}"),
    };
    let loser = if winner == a { b } else { a };
    assert_eq!(
        if winner == a { &tb } else { &ta },
        &taken,
        "the other is told the number is taken"
    );
    assert_eq!(owner(&app, enrolled).await, Some(winner));
    assert_eq!(balance_of(&app, winner).await, 150);
    assert_eq!(
        balance_of(&app, loser).await,
        100,
        "the loser keeps their own record"
    );
    assert_eq!(net_welcome_bonuses(&app).await, 2, "one each");
    assert_ledger_clean(&app).await;
}

#[actix_rt::test]
async fn concurrent_claims_in_the_database_leave_one_owner() {
    let app = TestApp::spawn().await;
    let enrolled = enrolled_with_points(&app, PHONE).await;
    let phone = Phone::parse(PHONE).expect("phone");
    let users: Vec<i64> = (14_021..14_029).collect();
    for &u in &users {
        start(&app, u).await;
    }
    let pool = app.running.services.pg.clone();
    let tasks = users.iter().map(|&u| {
        let pool = pool.clone();
        let phone = phone.clone();
        async move {
            let mut db = pool.get().await.expect("connection");
            actors::db::claim::claim(&mut db, u, &phone)
                .await
                .expect("claim runs")
        }
    });
    let outcomes = futures_util::future::join_all(tasks).await;
    let won: Vec<_> = outcomes
        .iter()
        .filter(|o| {
            **o == actors::db::claim::Claim::Claimed {
                into: ClientId(enrolled),
            }
        })
        .collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            actors::db::claim::Claim::Claimed { .. } | actors::db::claim::Claim::NotEnrolled
        )),
        "{outcomes:?}"
    );
    let owner = owner(&app, enrolled).await.expect("an owner");
    assert!(users.contains(&owner));
    let owners = app
        .count("SELECT count(*) FROM clients WHERE telegram_id BETWEEN 14021 AND 14028")
        .await;
    assert_eq!(owners, 8, "every user still has exactly one record");
}

#[actix_rt::test]
async fn a_forwarded_card_of_the_enrolled_number_claims_nothing() {
    let app = TestApp::spawn().await;
    let enrolled = enrolled_with_points(&app, PHONE).await;
    let user = 14_031;
    start(&app, user).await;
    // Someone else's card (contact.user_id is not the sender) with the enrolled number.
    app.share_contact("client", user, PHONE, 777).await;
    app.expect_nth("client", user, 2, &ru(&ClientText::ContactNotOwn))
        .await;
    assert_eq!(owner(&app, enrolled).await, None);
    assert_eq!(balance_of(&app, user).await, 100);
    assert_ledger_clean(&app).await;
}

#[actix_rt::test]
async fn a_fresh_record_with_its_own_operations_is_not_merged() {
    let app = TestApp::spawn().await;
    let enrolled = enrolled_with_points(&app, PHONE).await;
    let user = 14_041;
    start(&app, user).await;
    let own = ClientId(
        app.db
            .query_one("SELECT id FROM clients WHERE telegram_id = $1", &[&user])
            .await
            .expect("own record")
            .get(0),
    );
    // A partner accrued to the new member code before the phone was shared: folding that record into another
    // would move journal rows, so the claim is refused and nothing changes.
    crate::miniapp::accrue(&app, own, 20_000, "claim:own-accrual").await;
    app.share_contact("client", user, PHONE, user).await;
    app.expect_nth("client", user, 2, &ru(&ClientText::PhoneTaken))
        .await;
    assert_eq!(owner(&app, enrolled).await, None);
    assert_eq!(balance_of(&app, user).await, 110);
    assert_ledger_clean(&app).await;
}
