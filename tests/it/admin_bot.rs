//! The admin bot end to end through the sandbox (SPEC §6): only allow-listed admins act, by message or by button;
//! moderation of applications and services with the partner told through the partner bot, re-decisions with their
//! audit rows; network statistics that match a seeded fixture; a rate change within the bounds; a reversal that
//! keeps `check-ledger` clean and tells the client; the one-time dashboard link.

use fsm::admin::{Card, Subject};
use fsm::callback::Callback;
use fsm::text::AdminText;
use fsm::{Lang, PartnerId};
use serde_json::Value;

use crate::app::{TestApp, inline_button};
use crate::helpers::ru;
use crate::partner_backoffice::{ADMINS, Chat, fill_in, form, with_admins};

const ADMIN: i64 = ADMINS[0];
const STRANGER: i64 = 4242;
const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;

async fn scalar(app: &TestApp, sql: &str, arg: i64) -> i64 {
    app.db.query_one(sql, &[&arg]).await.expect(sql).get(0)
}

async fn status_of(app: &TestApp, telegram_id: i64) -> String {
    app.db
        .query_one(
            "SELECT status FROM partners WHERE telegram_id = $1",
            &[&telegram_id],
        )
        .await
        .expect("partner")
        .get(0)
}

/// The card of `subject` as the admin bot shows it now, in Russian.
async fn card_text(app: &TestApp, subject: Subject) -> String {
    let card: Card = actors::moderation::card(&app.db, subject)
        .await
        .expect("card")
        .expect("exists");
    fsm::admin::moderation::card_reply(Lang::Ru, &card).html
}

fn refusal() -> String {
    ru(&AdminText::AdminOnly)
}

#[actix_rt::test]
async fn an_application_is_approved_then_re_decided_with_a_reason_and_the_partner_hears_each_time()
{
    let app = TestApp::spawn_with(with_admins).await;
    let user = 5101;
    let mut applicant = Chat::new(&app, "partner", user);
    let summary = fill_in(&mut applicant, "/start").await;
    applicant.press(&summary, &inline_button(&summary, 0)).await;
    applicant.next().await; // "application sent" (the summary edited) and the pending status
    let partner = scalar(&app, "SELECT id FROM partners WHERE telegram_id = $1", user).await;
    let subject = Subject::Application(partner);

    let mut admin = Chat::new(&app, "admin", ADMIN);
    let card = admin.next().await;
    assert_eq!(card["text"], card_text(&app, subject).await.as_str());
    let approve = Callback::Moderate {
        subject,
        approve: true,
    }
    .encode();
    assert_eq!(inline_button(&card, 0), approve);

    // A stranger who forges the admin's buttons or types commands is refused, and nothing changes.
    let mut stranger = Chat::new(&app, "admin", STRANGER);
    app.press(
        "admin",
        STRANGER,
        card["message_id"].as_i64().expect("id"),
        &approve,
    )
    .await;
    assert_eq!(stranger.next_text().await, refusal());
    for text in ["/pending", "/stats", "/rate 1", "/dashboard"] {
        assert_eq!(stranger.say(text).await, refusal(), "{text}");
    }
    assert_eq!(status_of(&app, user).await, "pending");

    // Approve: the card turns to "approved" with a Reject button, the applicant gets the partner menu.
    admin.press(&card, &approve).await;
    assert_eq!(admin.next_text().await, ru(&AdminText::DecidedApproved));
    admin.edited(&card, &card_text(&app, subject).await).await;
    assert_eq!(status_of(&app, user).await, "approved");
    let company = form(user).company;
    let welcome = fsm::partner::onboarding::decision_notice(Lang::Ru, &company, true, None);
    assert_eq!(applicant.next_text().await, welcome.html);

    // Re-decided: Reject asks for the reason; the partner reads it; two decisions, two audit rows.
    let reject = Callback::Moderate {
        subject,
        approve: false,
    }
    .encode();
    admin.press(&card, &reject).await;
    assert!(admin.next_text().await.starts_with("❌"));
    // Typed, not pressed: the card comes again as a new message with its new status, then the outcome.
    assert_eq!(
        admin.say("Нет документов <b>").await,
        card_text(&app, subject).await
    );
    assert_eq!(admin.next_text().await, ru(&AdminText::DecidedRejected));
    assert_eq!(status_of(&app, user).await, "rejected");
    let rejected = fsm::partner::onboarding::decision_notice(
        Lang::Ru,
        &company,
        false,
        Some("Нет документов <b>"),
    );
    assert_eq!(applicant.next_text().await, rejected.html);
    let events = "SELECT count(*) FROM partner_application_events WHERE partner_id = $1 AND decided_by IS NOT NULL";
    assert_eq!(scalar(&app, events, partner).await, 2);
    let audit =
        "SELECT count(*) FROM admin_audit_log WHERE subject = 'partner:' || $1::bigint::text";
    assert_eq!(scalar(&app, audit, partner).await, 2);

    // The same decision again (an old button, a double tap): nothing changes and nobody is told twice.
    admin.press(&card, &reject).await;
    admin.next().await;
    assert_eq!(admin.say("/skip").await, card_text(&app, subject).await);
    assert_eq!(admin.next_text().await, ru(&AdminText::DecidedAlready));
    assert_eq!(scalar(&app, audit, partner).await, 2);
    applicant.quiet().await;
}

#[actix_rt::test]
async fn pending_lists_services_and_a_decision_reaches_the_partner() {
    let app = TestApp::spawn_with(with_admins).await;
    let db = &app.db;
    let id = actors::db::services::create(
        db,
        PartnerId(
            scalar(
                &app,
                "SELECT id FROM partners WHERE telegram_id = $1",
                PARTNER,
            )
            .await,
        ),
        &"c".repeat(32),
        "Капучино",
        "Большой",
        fsm::Points::new(150).expect("points"),
    )
    .await
    .expect("service");
    let mut admin = Chat::new(&app, "admin", ADMIN);
    let summary = admin.say("/pending").await;
    assert_eq!(
        summary,
        ru(&AdminText::QueueSummary {
            applications: 0,
            services: 1
        })
    );
    let card = admin.next().await;
    assert_eq!(
        card["text"],
        card_text(&app, Subject::Service(id)).await.as_str()
    );
    admin.press(&card, &inline_button(&card, 0)).await;
    assert_eq!(admin.next_text().await, ru(&AdminText::DecidedApproved));
    let mut partner = Chat::new(&app, "partner", PARTNER);
    let notice = fsm::partner::services::decision_notice(Lang::Ru, "Капучино", true, None);
    assert_eq!(partner.next_text().await, notice.html);
    let status: String = db
        .query_one("SELECT status FROM services WHERE id = $1", &[&id])
        .await
        .expect("service")
        .get(0);
    assert_eq!(status, "approved");
    assert_eq!(admin.say("/pending").await, ru(&AdminText::QueueEmpty));
}

/// The n-th message of the chat as JSON, once it has no buttons left (an outcome edited into a confirm screen).
async fn settled(app: &TestApp, bot: &str, user: i64, n: usize) -> Value {
    crate::helpers::eventually(std::time::Duration::from_secs(10), "an outcome", || async {
        let m = app.bot_messages(bot, user, n).await[n - 1].clone();
        m["reply_markup"]["inline_keyboard"].is_null().then_some(m)
    })
    .await
}

#[actix_rt::test]
async fn stats_match_the_fixture_a_rate_changes_within_bounds_and_a_reversal_keeps_the_ledger_clean()
 {
    let app = TestApp::spawn_with(with_admins).await;
    let client = 2201;
    crate::redeem::join(&app, client, "+7 999 220-11-01").await;
    app.accrue(PARTNER, "+79992201101", "1000").await;
    let mut admin = Chat::new(&app, "admin", ADMIN);

    // Statistics: one client (welcome bonus 100), one accrual of 1000.00 at 5 % = 50 points.
    let stats = actors::db::admin::network_stats(
        &app.db,
        jiff::Timestamp::now(),
        &jiff::tz::TimeZone::get("Europe/Moscow").expect("tz"),
    )
    .await
    .expect("stats");
    assert_eq!(
        (
            stats.clients,
            stats.active_clients_30d,
            stats.accruals,
            stats.turnover_kopecks
        ),
        (1, 1, 1, 100_000)
    );
    assert_eq!(
        (
            stats.points_accrued,
            stats.points_bonus,
            stats.points_redeemed
        ),
        (50, 100, 0)
    );
    assert_eq!(
        admin.say("/stats").await,
        fsm::admin::tools::stats_text(Lang::Ru, &stats)
    );

    // The rate: out of bounds is asked again; 7,5 % is confirmed, stored, audited, and the partner is told.
    assert_eq!(admin.say("/rate").await, ru(&AdminText::RateAskPartner));
    let asked = admin.say("Зерно").await;
    assert!(asked.contains("5"), "{asked}");
    assert_eq!(
        admin.say("35").await,
        ru(&AdminText::RateBadValue {
            min: "1\u{a0}%",
            max: "30\u{a0}%"
        })
    );
    admin.say("7,5").await;
    let n = admin.seen;
    let confirm = app.bot_messages("admin", ADMIN, n).await[n - 1].clone();
    admin.press(&confirm, &inline_button(&confirm, 0)).await;
    settled(&app, "admin", ADMIN, n).await;
    let bp = scalar(
        &app,
        "SELECT cashback_bp::bigint FROM partners WHERE telegram_id = $1",
        PARTNER,
    )
    .await;
    assert_eq!(bp, 750);
    let rate_audit =
        "SELECT count(*) FROM admin_audit_log WHERE action = 'partner.rate' AND admin_id = $1";
    assert_eq!(scalar(&app, rate_audit, ADMIN).await, 1);
    let partner_msgs = app.chat("partner", PARTNER).await;
    let told = partner_msgs
        .iter()
        .filter_map(|m| m["text"].as_str())
        .any(|t| t == ru(&AdminText::RateNotice { rate: "7,5\u{a0}%" }));
    assert!(told, "the partner hears of the new rate");

    // A reversal of the accrual: a compensating entry, the client's wallet 150 → 100, the client told.
    let op = app
        .count("SELECT max(id) FROM operations WHERE kind = 'accrual'")
        .await;
    admin.next().await; // the menu after the rate
    let card = admin.say(&format!("/reverse {op}")).await;
    assert!(card.contains(&format!("#{op}")), "{card}");
    admin.say("Двойной чек").await;
    let n = admin.seen;
    let confirm = app.bot_messages("admin", ADMIN, n).await[n - 1].clone();
    admin.press(&confirm, &inline_button(&confirm, 0)).await;
    let done = settled(&app, "admin", ADMIN, n).await;
    let reversal = scalar(
        &app,
        "SELECT id FROM operations WHERE reverses_operation_id = $1",
        op,
    )
    .await;
    assert_eq!(
        done["text"],
        ru(&AdminText::ReverseDone {
            reversal,
            balance: 100
        })
        .as_str()
    );
    crate::redeem::assert_ledger_clean(&app).await;
    let client_msgs = app.chat("client", client).await;
    let notice = client_msgs
        .iter()
        .filter_map(|m| m["text"].as_str())
        .find(|t| t.contains("Двойной чек"));
    assert!(
        notice.is_some_and(|t| t.contains("−50") && t.contains("100")),
        "{client_msgs:#?}"
    );
    // Once only: the same operation again is refused, nothing moves.
    admin.next().await;
    let again = admin.say(&format!("/reverse {op}")).await;
    assert!(again.ends_with(&ru(&AdminText::ReverseAlready)), "{again}");
    assert_eq!(
        app.count("SELECT count(*) FROM operations WHERE kind = 'reversal'")
            .await,
        1
    );
}

#[actix_rt::test]
async fn dashboard_answers_with_a_single_use_link_for_this_admin() {
    let app = TestApp::spawn_with(with_admins).await;
    let mut admin = Chat::new(&app, "admin", ADMIN);
    let text = admin.say("/dashboard").await;
    let href = text
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link");
    assert!(
        href.starts_with(&format!("{}/dashboard/login?token=", app.base)),
        "{href}"
    );
    let token = href.rsplit('=').next().expect("token");
    assert_eq!(token.len(), 64);
    let key = format!(
        "{}dashboard:login:{token}",
        app.settings.sessions.redis_namespace
    );
    let mut redis = app.redis().await;
    let owner: Option<i64> = deadpool_redis::redis::cmd("GETDEL")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .expect("redis");
    assert_eq!(owner, Some(ADMIN), "the token names the admin who asked");
    let ttl: i64 = deadpool_redis::redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .expect("redis");
    assert_eq!(ttl, -2, "taken once, the token is gone");
    // A second /dashboard mints another link.
    let other = admin.say("/dashboard").await;
    assert_ne!(other, text);
}
