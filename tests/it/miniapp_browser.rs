//! The Mini App in a real browser (Debian's headless Chromium through chromedriver), opened as a person does: the
//! sandbox page, the client bot's chat, its menu button. The app shows the balance, the member code's QR, the
//! history (grouped by day, filtered), services, promotions and the profile; Telegram's back button (drawn by the
//! sandbox page) leads home. A service is requested from the services screen (the partner bot gets the request) and
//! English is chosen in the profile. Texts are compared with the API's answers and the catalogue, not typed here.
//! Screenshots at 390×844: `target/test-artifacts/browser/miniapp-*.png`.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::json;

use fsm::text::MiniAppText;

use crate::app::TestApp;
use crate::helpers::{en, ru};
use crate::miniapp::{accrue, client, get, now_s, partner, redeem};
use crate::redeem::PARTNER;
use loyalty::miniapp::init_data::sign_for_user;

use crate::webdriver::{Driver, SHOW_WAIT, click, js, screenshot};

const CLIENT: i64 = 2001;

/// Waits until `script` (run in the current frame) returns true.
async fn until(c: &Client, what: &str, script: &str) {
    let start = Instant::now();
    while js(c, script).await != json!(true) {
        assert!(
            start.elapsed() < SHOW_WAIT,
            "the Mini App does not show {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The texts of the elements matching `css` in the current frame.
async fn texts(c: &Client, css: &str) -> Vec<String> {
    let v = js(
        c,
        &format!("return [...document.querySelectorAll('{css}')].map(e => e.textContent)"),
    )
    .await;
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn seed(app: &TestApp) {
    let me = client(app, CLIENT).await;
    accrue(app, me, 1_999_99, "acc-1").await;
    accrue(app, me, 450_00, "acc-2").await;
    redeem(app, me, 30, "red-1").await;
    let demo = partner(app).await;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Moscow").expect("tz"))
        .date();
    let until_day = today
        .checked_add(jiff::Span::new().days(12))
        .expect("date")
        .to_string();
    for (title, discount) in [
        ("Второй капучино в подарок", "1+1"),
        ("Завтраки до 11:00", "−20 %"),
    ] {
        app.db
            .execute(
                "INSERT INTO promotions (partner_id, title, description, discount_text, starts_on, ends_on)
                 VALUES ($1, $2, 'По будням, при заказе в кофейне.', $3, $4::text::date, $5::text::date)",
                &[&demo.0, &title, &discount, &today.to_string(), &until_day],
            )
            .await
            .expect("promotion");
    }
    for (title, price) in [("Капучино", 90_i64), ("Круассан", 120), ("Завтрак", 400)]
    {
        app.db
            .execute(
                "INSERT INTO services (partner_id, title, description, price_points, status)
                 VALUES ($1, $2, 'Любой размер', $3, 'approved')",
                &[&demo.0, &title, &price],
            )
            .await
            .expect("service");
    }
}

async fn walk(app: &TestApp, c: &Client) {
    c.goto(&format!("{}/sandbox", app.base))
        .await
        .expect("page");
    // The simulated user is the client; on a phone the list comes first.
    let uid = c
        .wait()
        .at_most(SHOW_WAIT)
        .for_element(Locator::Css("#uid"))
        .await
        .expect("user box");
    uid.clear().await.expect("clear");
    uid.send_keys(&format!("{CLIENT}{}", fantoccini::key::Key::Tab))
        .await
        .expect("typing");
    click(c, ".chat-item[data-bot=\"client\"]").await;
    // The client bot set its menu button at start-up: it opens the Mini App.
    let label = ru(&MiniAppText::MenuButton);
    until(c, "the menu button", &format!(
        "const b = document.getElementById('menu-app'); return !b.hidden && b.textContent === {}",
        json!(label)
    ))
    .await;
    click(c, "#menu-app").await;
    let frame = c.find(Locator::Css("#webapp-frame")).await.expect("frame");
    frame.enter_frame().await.expect("into the Mini App");

    let data =
        loyalty::miniapp::init_data::sign_for_user(CLIENT, "Анна", "ru", "sandbox-client", now_s());
    let (_, home) = get(app, "home", Some(&data)).await;
    let balance = home["balance_text"].as_str().expect("balance").to_owned();
    until(
        c,
        "the balance",
        &format!(
            "const b = document.getElementById('balance'); return !!b && b.textContent === {}",
            json!(balance)
        ),
    )
    .await;
    assert_eq!(
        balance,
        ru(&MiniAppText::Points {
            n: 100 + 99 + 22 - 30
        })
    );
    until(
        c,
        "the QR",
        "return !!document.querySelector('#qr svg path')",
    )
    .await;
    assert_eq!(
        texts(c, "#member-code").await,
        [home["member_code"].as_str().expect("code")]
    );
    until(
        c,
        "the promotions",
        "return document.querySelectorAll('#home-promos .cell').length === 2",
    )
    .await;
    let width = js(
        c,
        "return document.documentElement.scrollWidth <= innerWidth",
    )
    .await;
    assert_eq!(width, json!(true), "nothing wider than the screen");
    c.enter_parent_frame().await.expect("back to the page");
    screenshot(c, "miniapp-1-home").await;

    frame.enter_frame().await.expect("into the Mini App");
    click(c, ".tab[data-tab=\"history\"]").await;
    // Pages of 3 (the test's setting): the fourth operation comes with "show more", under the same day.
    until(
        c,
        "the first page",
        "return document.querySelectorAll('#history .op').length === 3 && !document.getElementById('load-more').hidden",
    )
    .await;
    click(c, "#load-more").await;
    until(
        c,
        "the whole history",
        "return document.querySelectorAll('#history .op').length === 4 && document.getElementById('load-more').hidden",
    )
    .await;
    let (_, first) = get(app, "history", Some(&data)).await;
    let before = first["next_before"].as_i64().expect("a second page");
    let (_, second) = get(app, &format!("history?before={before}"), Some(&data)).await;
    let want: Vec<String> = [first, second]
        .iter()
        .flat_map(|page| page["items"].as_array().expect("items").clone())
        .map(|i| i["points_text"].as_str().expect("points").to_owned())
        .collect();
    assert_eq!(
        texts(c, "#history .op .side").await,
        want,
        "newest first, signed"
    );
    assert_eq!(
        texts(c, "#history .day").await.len(),
        1,
        "one day, one header"
    );
    assert_eq!(
        texts(c, "#totals .count").await,
        [ru(&MiniAppText::Operations { n: 4 })]
    );
    c.enter_parent_frame().await.expect("page");
    screenshot(c, "miniapp-2-history").await;

    frame.enter_frame().await.expect("into the Mini App");
    click(c, ".filter[data-type=\"redemption\"]").await;
    until(c, "the redemptions only", "return document.querySelectorAll('#history .op').length === 1 && document.querySelector('#history .op').dataset.kind === 'redemption'").await;
    assert_eq!(
        texts(c, "#history .op .side").await,
        [ru(&MiniAppText::PointsOut { n: 30 })]
    );
    assert_eq!(
        texts(c, "#totals span").await,
        [
            ru(&MiniAppText::Operations { n: 1 }),
            ru(&MiniAppText::TotalOut { n: 30 })
        ],
        "only what the filter has"
    );
    c.enter_parent_frame().await.expect("page");
    screenshot(c, "miniapp-3-history-redemptions").await;

    frame.enter_frame().await.expect("into the Mini App");
    click(c, ".tab[data-tab=\"services\"]").await;
    until(
        c,
        "the services",
        "return document.querySelectorAll('.service').length === 3",
    )
    .await;
    assert_eq!(
        texts(c, "#services-affordable .title").await,
        ["Капучино", "Круассан"]
    );
    assert_eq!(
        texts(c, "#services-saving .missing").await,
        [ru(&MiniAppText::PointsMissing { n: 400 - 191 })]
    );
    c.enter_parent_frame().await.expect("page");
    screenshot(c, "miniapp-4-services").await;

    // Requesting the cappuccino: the outcome shows under it, and the partner is asked in the partner bot.
    frame.enter_frame().await.expect("into the Mini App");
    let partner_before = app.bot_messages("partner", PARTNER, 0).await.len();
    click(c, "#services-affordable .service .request").await;
    until(
        c,
        "the request sent",
        &format!(
            "const s = document.querySelector('#services-affordable .request-status.ok'); return !!s && !s.hidden && s.textContent === {}",
            json!(ru(&MiniAppText::RequestSent))
        ),
    )
    .await;
    let code = crate::redeem::member_code(app, CLIENT).await;
    crate::client_services::partner_notice(app, partner_before + 1, &code, "Капучино", 90).await;
    c.enter_parent_frame().await.expect("page");
    screenshot(c, "miniapp-4b-service-requested").await;

    frame.enter_frame().await.expect("into the Mini App");
    click(c, ".tab[data-tab=\"promos\"]").await;
    until(
        c,
        "the promotions",
        "return document.querySelectorAll('#promos .cell').length === 2",
    )
    .await;
    click(c, ".tab[data-tab=\"profile\"]").await;
    until(
        c,
        "the profile",
        "return !!document.querySelector('#profile .row-referral')",
    )
    .await;
    assert_eq!(
        texts(c, "#profile .row-referral .title").await,
        [loyalty::server::DEMO_PARTNER_NAME]
    );
    c.enter_parent_frame().await.expect("page");
    screenshot(c, "miniapp-5-profile").await;

    // English from the profile: the app is drawn again in it, and it is stored as the client bot's /language.
    frame.enter_frame().await.expect("into the Mini App");
    click(c, "#profile .lang[data-lang=\"en\"]").await;
    until(
        c,
        "the app in English",
        &format!(
            "return document.querySelector('.tab[data-tab=\"profile\"] span').textContent === {} && document.querySelector('#profile .lang.active').dataset.lang === 'en'",
            json!(en(&MiniAppText::TabProfile))
        ),
    )
    .await;
    let (_, profile) = get(app, "profile", Some(&data)).await;
    assert_eq!(profile["language"], "en");
    c.enter_parent_frame().await.expect("page");
    screenshot(c, "miniapp-5b-profile-en").await;

    // Telegram's back button, drawn by the sandbox page for the app, leads home.
    click(c, "#webapp-back").await;
    frame.enter_frame().await.expect("into the Mini App");
    until(c, "home again", "return document.body.dataset.screen === 'home' && !document.getElementById('screen-home').hidden").await;
    c.enter_parent_frame().await.expect("page");
    until(
        c,
        "no back button at home",
        "return document.getElementById('webapp-back').hidden",
    )
    .await;
}

/// Telegram's dark theme as its web client passes it.
const DARK: &str = r##"{"bg_color":"#212121","text_color":"#ffffff","hint_color":"#aaaaaa","link_color":"#8774e1","button_color":"#8774e1","button_text_color":"#ffffff","secondary_bg_color":"#0f0f0f","header_bg_color":"#212121","accent_text_color":"#8774e1","section_bg_color":"#212121","section_header_text_color":"#aaaaaa","subtitle_text_color":"#aaaaaa","destructive_text_color":"#ff595a"}"##;

/// The app opened directly with launch parameters, on a 360 px phone in the dark theme: it follows the theme's
/// colours and no screen is wider than the phone.
async fn narrow_and_dark(app: &TestApp, c: &Client) {
    let data =
        loyalty::miniapp::init_data::sign_for_user(CLIENT, "Анна", "ru", "sandbox-client", now_s());
    let launch = form_urlencoded::Serializer::new(String::new())
        .append_pair("tgWebAppData", &data)
        .append_pair("tgWebAppVersion", "8.0")
        .append_pair("tgWebAppThemeParams", DARK)
        .finish();
    // Someone who never started the bot is sent there; data that is not Telegram's shows the way back too.
    for (who, text, shot) in [
        (
            sign_for_user(2999, "Гость", "ru", "sandbox-client", now_s()),
            ru(&MiniAppText::NotRegistered),
            "miniapp-7-not-registered",
        ),
        (
            sign_for_user(CLIENT, "Анна", "ru", "another-bot", now_s()),
            ru(&MiniAppText::AuthFailed),
            "miniapp-8-unauthorized",
        ),
    ] {
        let launch = form_urlencoded::Serializer::new(String::new())
            .append_pair("tgWebAppData", &who)
            .append_pair("tgWebAppThemeParams", DARK)
            .finish();
        // Only the fragment would differ from the page before: load it afresh, as a new launch does.
        c.goto("about:blank").await.expect("blank");
        c.goto(&format!("{}/app/#{launch}", app.base))
            .await
            .expect("app");
        until(
            c,
            &text,
            &format!(
                "return document.getElementById('notice-text').textContent === {}",
                json!(text)
            ),
        )
        .await;
        screenshot(c, shot).await;
    }
    // This client chose English with /language: the app speaks it too.
    app.db
        .execute(
            "UPDATE clients SET language_override = 'en' WHERE telegram_id = $1",
            &[&CLIENT],
        )
        .await
        .expect("language");
    c.goto("about:blank").await.expect("blank");
    c.goto(&format!("{}/app/#{launch}", app.base))
        .await
        .expect("app");
    until(
        c,
        "the balance",
        "const b = document.getElementById('balance'); return !!b && b.textContent !== ''",
    )
    .await;
    assert_eq!(
        texts(c, ".tab[data-tab=\"history\"] span").await,
        [en(&MiniAppText::TabHistory)]
    );
    let background = js(c, "return getComputedStyle(document.body).backgroundColor").await;
    assert_eq!(
        background,
        json!("rgb(15, 15, 15)"),
        "the theme's secondary background"
    );
    for tab in ["home", "promos", "services", "history", "profile"] {
        click(c, &format!(".tab[data-tab=\"{tab}\"]")).await;
        until(
            c,
            tab,
            &format!("return document.body.dataset.screen === '{tab}'"),
        )
        .await;
        let fits = js(
            c,
            "return document.documentElement.scrollWidth <= innerWidth",
        )
        .await;
        assert_eq!(fits, json!(true), "{tab} fits 360 px");
        if tab == "history" || tab == "home" {
            screenshot(c, &format!("miniapp-6-dark-360-en-{tab}")).await;
        }
    }
}

#[actix_rt::test]
async fn the_mini_app_opens_from_the_client_bots_menu_button_and_shows_balance_and_history() {
    let app = TestApp::spawn_with(|s| s.miniapp.history_page_max = 3).await;
    seed(&app).await;
    let driver = Driver::start().await;
    let browser = driver.browser(390, 844).await;
    let run = std::panic::AssertUnwindSafe(walk(&app, &browser))
        .catch_unwind()
        .await;
    if run.is_err() {
        let _ = browser.enter_parent_frame().await;
        screenshot(&browser, "miniapp-failed").await;
    }
    let _ = browser.close().await;
    if let Err(panic) = run {
        std::panic::resume_unwind(panic);
    }
    let phone = driver.browser(360, 780).await;
    let run = std::panic::AssertUnwindSafe(narrow_and_dark(&app, &phone))
        .catch_unwind()
        .await;
    if run.is_err() {
        screenshot(&phone, "miniapp-failed-360").await;
    }
    let _ = phone.close().await;
    if let Err(panic) = run {
        std::panic::resume_unwind(panic);
    }
}
