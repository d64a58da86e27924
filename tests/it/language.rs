//! Which language people read (issue 12, item 7): notices follow the language Telegram reports now, a choice made
//! with /language wins and survives registration, and admins keep theirs.

use fsm::Lang;
use fsm::callback::Callback;
use fsm::text::{AdminText, ClientText, CommonText, MiniAppText};
use fsm::{Kopecks, Points};

use crate::app::TestApp;
use crate::helpers::{en, ru};

const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;

/// The partner accrues a 1,000.00 ₽ receipt to `phone` (50 points) through the real dialogue.
async fn accrue_1000(app: &TestApp, phone: &str) {
    app.accrue(PARTNER, phone, "1000").await;
}

#[actix_rt::test]
async fn a_client_registered_in_russian_who_now_writes_in_english_gets_english_notices() {
    let app = TestApp::spawn().await;
    let client = 7001;
    app.send_in("client", client, "ru", "/start").await;
    app.nth_text("client", client, 1).await;
    app.share_contact("client", client, "+79990007001", client)
        .await;
    assert_eq!(
        app.nth_text("client", client, 2).await,
        ru(&ClientText::ContactSaved)
    );
    // The user switched their Telegram app to English.
    app.send_in("client", client, "en", "/balance").await;
    let code: String = app
        .db
        .query_one(
            "SELECT member_code FROM clients WHERE telegram_id = $1",
            &[&client],
        )
        .await
        .expect("the client")
        .get(0);
    assert_eq!(
        app.nth_text("client", client, 3).await,
        en(&ClientText::Balance {
            balance: 100,
            code: &code
        })
    );
    accrue_1000(&app, "+79990007001").await;
    let notice = app.nth_text("client", client, 4).await;
    assert_eq!(
        notice,
        en(&ClientText::AccrualNotice {
            partner: "Кофейня «Зерно»",
            amount: Kopecks::new(100_000).expect("amount"),
            points: Points::new(50).expect("points"),
            balance: 150,
        })
    );
}

#[actix_rt::test]
async fn a_language_chosen_before_registering_is_kept_after_it() {
    let app = TestApp::spawn().await;
    let user = 7002;
    app.send_in("client", user, "ru", "/language").await;
    let picker = app.bot_messages("client", user, 1).await[0].clone();
    app.press(
        "client",
        user,
        picker["message_id"].as_i64().expect("message id"),
        &Callback::Language(Lang::En).encode(),
    )
    .await;
    app.expect_nth("client", user, 1, &en(&CommonText::LanguageSet))
        .await;
    app.nth_text("client", user, 2).await;
    // Telegram still says Russian; the choice wins, through registration and after.
    app.send_in("client", user, "ru", "/start").await;
    let welcome = app.nth_text("client", user, 3).await;
    assert!(
        welcome.starts_with(&en(&ClientText::WelcomeNew {
            bonus: Points::new(100).expect("points"),
            partner: None,
        })),
        "{welcome}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM clients WHERE telegram_id = {user} AND language_override = 'en'"
        ))
        .await,
        1
    );
}

#[actix_rt::test]
async fn an_admin_keeps_the_language_they_chose() {
    let app = TestApp::spawn().await;
    let admin = loyalty::server::DEMO_ADMIN_ID;
    app.send_in("admin", admin, "ru", "/language").await;
    let picker = app.bot_messages("admin", admin, 1).await[0].clone();
    app.press(
        "admin",
        admin,
        picker["message_id"].as_i64().expect("message id"),
        &Callback::Language(Lang::En).encode(),
    )
    .await;
    app.expect_nth("admin", admin, 1, &en(&CommonText::LanguageSet))
        .await;
    app.send_in("admin", admin, "ru", "/help").await;
    assert_eq!(app.nth_text("admin", admin, 3).await, en(&AdminText::Help));
    // Someone not on the allow-list is refused, whatever they send.
    app.send_in("admin", 7003, "en", "/language en").await;
    assert_eq!(
        app.nth_text("admin", 7003, 1).await,
        en(&AdminText::AdminOnly)
    );
}

#[actix_rt::test]
async fn the_mini_app_button_is_labelled_in_the_clients_language() {
    let app = TestApp::spawn().await;
    let (anna, boris) = (7021, 7022);
    // Registered from an English Telegram: their chat gets its own button, in English.
    app.send_in("client", anna, "en", "/start").await;
    app.nth_text("client", anna, 1).await;
    app.expect_menu_button(anna, &en(&MiniAppText::MenuButton))
        .await;
    // A Russian client keeps the bot-wide button, in Russian.
    app.send_in("client", boris, "ru", "/start").await;
    app.nth_text("client", boris, 1).await;
    app.expect_menu_button(boris, &ru(&MiniAppText::MenuButton))
        .await;
    // Boris chooses English with /language, then Russian again: the button follows both times.
    for (n, lang, text) in [
        (2, Lang::En, en(&MiniAppText::MenuButton)),
        (4, Lang::Ru, ru(&MiniAppText::MenuButton)),
    ] {
        app.send_in("client", boris, "ru", "/language").await;
        let picker = app.bot_messages("client", boris, n).await[n - 1].clone();
        app.press(
            "client",
            boris,
            picker["message_id"].as_i64().expect("message id"),
            &Callback::Language(lang).encode(),
        )
        .await;
        app.expect_menu_button(boris, &text).await;
        app.nth_text("client", boris, n + 1).await;
    }
}
