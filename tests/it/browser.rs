//! The sandbox page in a real browser: Debian's headless Chromium driven through chromedriver (WebDriver) with
//! fantoccini, at a phone's size (390×844) and a laptop's (1280×900). The demo walkthrough as a person does it:
//! the client joins by the referral line of the hint and shares their phone, the partner accrues 1999.99 ₽, the
//! client sees the notice. Texts are checked against the transcript API (what the bots sent), not hard-coded.
//! Screenshots land in `target/test-artifacts/browser/`.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};

use teloxide_core::payloads::setters::*;
use teloxide_core::prelude::Requester;
use teloxide_core::types::{ChatId, InputFile};

use crate::app::TestApp;
use crate::webdriver::{
    Driver, SHOW_WAIT, click, in_viewport, js, page_shows, screenshot, shown_text, type_into,
};

const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;

/// Acts as another user: the id in the switcher (on a phone, from the chat list).
async fn be(c: &Client, narrow: bool, user: i64) {
    if narrow
        && c.find(Locator::Css("#back"))
            .await
            .expect("back")
            .is_displayed()
            .await
            .expect("shown")
    {
        click(c, "#back").await;
    }
    let uid = c.find(Locator::Css("#uid")).await.expect("user id box");
    uid.clear().await.expect("clear");
    uid.send_keys(&format!("{user}{}", fantoccini::key::Key::Tab))
        .await
        .expect("typing the id");
}

async fn open(c: &Client, bot: &str) {
    click(c, &format!(".chat-item[data-bot=\"{bot}\"]")).await;
}

/// A Bot API call as a bot would make it; the answer's `result`.
async fn bot_call(app: &TestApp, bot: &str, method: &str, body: Value) -> Value {
    let answer: Value = app
        .http
        .post(format!("{}/tg/botsandbox-{bot}/{method}", app.base))
        .json(&body)
        .send()
        .await
        .expect("sandbox")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["ok"], true, "{method}: {answer}");
    answer["result"].clone()
}

/// The walkthrough at one size, as `client`; `tag` names the screenshots.
async fn walkthrough(app: &TestApp, c: &Client, client: i64, width: u32, height: u32) {
    let tag = format!("{width}x{height}");
    let narrow = width < 800;
    c.goto(&format!("{}/sandbox", app.base))
        .await
        .expect("page opens");
    c.wait()
        .at_most(SHOW_WAIT)
        .for_element(Locator::Css(".chat-item[data-bot=\"client\"]"))
        .await
        .expect("the chat list");
    let header_height = js(
        c,
        "return document.querySelector('#who').getBoundingClientRect().height",
    )
    .await;
    assert!(
        header_height.as_f64().is_some_and(|h| h <= 60.0),
        "the header is one row: {header_height}"
    );
    screenshot(c, &format!("{tag}-1-list")).await;

    be(c, narrow, client).await;
    open(c, "client").await;
    let referral = c.find(Locator::Css("#hint-referral")).await.expect("hint");
    assert!(
        referral.is_displayed().await.expect("shown"),
        "the first-visit hint"
    );
    assert_eq!(
        referral.text().await.expect("text"),
        format!("/start {}", app.referral())
    );
    screenshot(c, &format!("{tag}-2-hint")).await;
    referral.click().await.expect("click the referral line");
    let welcome = app.nth_text("client", client, 1).await;
    page_shows(c, &shown_text(&welcome)).await;

    // The contact button asks first; Cancel sends nothing.
    let held = app.chat("client", client).await.len();
    click(c, "#keyboard button").await;
    click(c, "#contact-cancel").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.chat("client", client).await.len(),
        held,
        "a cancelled prompt sends nothing"
    );
    click(c, "#keyboard button").await;
    let phone = c
        .find(Locator::Css("#contact-phone"))
        .await
        .expect("phone box");
    let own = app.sandbox_get(&format!("user?user_id={client}")).await;
    assert_eq!(
        phone.prop("value").await.expect("value").as_deref(),
        own["phone_number"].as_str()
    );
    screenshot(c, &format!("{tag}-3-contact")).await;
    click(c, "#contact-share").await;
    let confirmed = app.nth_text("client", client, 2).await;
    page_shows(c, &shown_text(&confirmed)).await;
    if narrow {
        assert!(
            in_viewport(c, "#text").await,
            "the message box is on screen"
        );
    }

    be(c, narrow, PARTNER).await;
    open(c, "partner").await;
    // The partner's chat goes on from the earlier run: count from what it holds now.
    let before = app.bot_messages("partner", PARTNER, 0).await.len();
    let enter = fantoccini::key::Key::Enter;
    // "/" lists the bot's commands; a click sends one.
    type_into(c, "#text", "/").await;
    let accrue = c
        .wait()
        .at_most(SHOW_WAIT)
        .for_element(Locator::XPath(
            "//div[@id='commands']/div[@class='cmd'][b='/accrue']",
        ))
        .await
        .expect("/accrue in the command menu");
    screenshot(c, &format!("{tag}-4-commands")).await;
    accrue.click().await.expect("pick /accrue");
    app.bot_messages("partner", PARTNER, before + 1).await;
    let phone_number = own["phone_number"].as_str().expect("phone").to_owned();
    type_into(c, "#text", &format!("{phone_number}{enter}")).await;
    app.bot_messages("partner", PARTNER, before + 2).await;
    type_into(c, "#text", &format!("1999.99{enter}")).await;
    let confirm = app.bot_messages("partner", PARTNER, before + 3).await[before + 2].clone();
    page_shows(c, &shown_text(confirm["text"].as_str().expect("text"))).await;
    if narrow {
        assert!(
            in_viewport(c, "#text").await,
            "the message box is on screen"
        );
    }
    screenshot(c, &format!("{tag}-5-confirm")).await;
    let id = confirm["message_id"].as_i64().expect("id");
    click(c, &format!(".msg[data-id=\"{id}\"] .inline button")).await;
    // The result: a new message, or the confirmation edited in place.
    let start = Instant::now();
    let result = loop {
        let bot: Vec<Value> = app.bot_messages("partner", PARTNER, 0).await;
        let edited = bot
            .iter()
            .find(|m| m["message_id"] == id && m["edited"] == true);
        if let Some(done) = edited.or(bot.get(before + 3)) {
            break done.clone();
        }
        assert!(
            start.elapsed() < SHOW_WAIT,
            "no result after Confirm: {bot:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    page_shows(c, &shown_text(result["text"].as_str().expect("text"))).await;
    screenshot(c, &format!("{tag}-6-accrued")).await;

    // The menu button's web app opens beside the chat (over it on a phone) and closes.
    click(c, "#menu-app").await;
    let frame = c
        .find(Locator::Css("#webapp-frame"))
        .await
        .expect("web app frame");
    // The page signs the launch data first (a request to the sandbox), then shows the panel.
    let start = std::time::Instant::now();
    while !frame.is_displayed().await.expect("shown") {
        assert!(start.elapsed() < SHOW_WAIT, "the web app panel");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(in_viewport(c, "#webapp-close").await, "its close button");
    if narrow {
        let covers = js(c, "const r = document.querySelector('#webapp').getBoundingClientRect(); return r.width >= innerWidth && r.height >= innerHeight").await;
        assert_eq!(
            covers,
            json!(true),
            "on a phone the web app covers the chat"
        );
    }
    screenshot(c, &format!("{tag}-6-webapp")).await;
    click(c, "#webapp-close").await;
    assert!(!frame.is_displayed().await.expect("state"), "closed");

    let notice = app.nth_text("client", client, 3).await;
    be(c, narrow, client).await;
    c.wait()
        .at_most(SHOW_WAIT)
        .for_element(Locator::Css(".chat-item[data-bot=\"client\"] .badge"))
        .await
        .expect("the client chat counts the unseen notice");
    open(c, "client").await;
    page_shows(c, &shown_text(&notice)).await;
    if narrow {
        assert!(
            in_viewport(c, "#text").await,
            "the message box is on screen"
        );
        assert!(
            in_viewport(c, "#keyboard").await
                || js(
                    c,
                    "return document.querySelector('#keyboard').children.length"
                )
                .await
                    == json!(0)
        );
    }
    screenshot(c, &format!("{tag}-7-notice")).await;

    // A bot's edit changes the bubble in place.
    let last = app.bot_messages("client", client, 3).await[2].clone();
    let edited = format!("{} ✓", last["text"].as_str().expect("text"));
    bot_call(
        app,
        "client",
        "EditMessageText",
        json!({ "chat_id": client, "message_id": last["message_id"], "text": edited, "parse_mode": "HTML" }),
    )
    .await;
    page_shows(c, &shown_text(&edited)).await;
    let bubbles = js(
        c,
        "return document.querySelectorAll('#messages .msg').length",
    )
    .await;
    assert_eq!(
        bubbles,
        json!(app.chat("client", client).await.len()),
        "no bubble added"
    );
    let meta = js(
        c,
        &format!(
            "return document.querySelector('.msg[data-id=\"{}\"] .meta').innerText",
            last["message_id"]
        ),
    )
    .await;
    assert!(
        meta.as_str().is_some_and(|m| m.contains("edited")),
        "{meta}"
    );

    // A photo from a bot shows in a bubble with its caption.
    let url = reqwest::Url::parse(&format!("{}/tg", app.base)).expect("url");
    teloxide_core::Bot::new("sandbox-client")
        .set_api_url(url)
        .send_photo(
            ChatId(client),
            InputFile::memory(crate::sandbox::PNG).file_name("card.png"),
        )
        .caption("Photo from the browser test")
        .await
        .expect("sendPhoto");
    page_shows(c, "Photo from the browser test").await;
    let start = Instant::now();
    // Loaded, and scrolled into view above the keyboard.
    let photo_shown = "const i = document.querySelector('#messages .msg:last-child img'); \
        if (!i || !i.complete || i.naturalWidth !== 8) return false; \
        const r = i.getBoundingClientRect(); \
        return r.top >= 0 && r.bottom <= document.getElementById('log').getBoundingClientRect().bottom";
    while js(c, photo_shown).await != json!(true) {
        assert!(start.elapsed() < SHOW_WAIT, "the photo is not shown");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(c, &format!("{tag}-8-photo")).await;
}

#[actix_rt::test]
async fn the_demo_walkthrough_in_a_real_browser_on_a_phone_and_a_laptop() {
    let app = TestApp::spawn().await;
    // What the partner bot sets up, should the product not (yet): a "/" menu and a web app menu button.
    let commands = app
        .sandbox_get("commands?bot=partner&language_code=ru")
        .await;
    if commands.as_array().is_none_or(Vec::is_empty) {
        let list = json!([
            { "command": "accrue", "description": "Начислить баллы" },
            { "command": "help", "description": "Помощь" },
        ]);
        bot_call(
            &app,
            "partner",
            "SetMyCommands",
            json!({ "commands": list }),
        )
        .await;
    }
    let web_app = json!({ "type": "web_app", "text": "Web app", "web_app": { "url": format!("{}/healthz", app.base) } });
    bot_call(
        &app,
        "partner",
        "SetChatMenuButton",
        json!({ "chat_id": PARTNER, "menu_button": web_app }),
    )
    .await;
    let driver = Driver::start().await;
    for (client, width, height) in [(2001, 390, 844), (2002, 1280, 900)] {
        let browser = driver.browser(width, height).await;
        let run = std::panic::AssertUnwindSafe(walkthrough(&app, &browser, client, width, height))
            .catch_unwind()
            .await;
        if run.is_err() {
            screenshot(&browser, &format!("{width}x{height}-failed")).await;
        }
        let _ = browser.close().await;
        if let Err(panic) = run {
            std::panic::resume_unwind(panic);
        }
    }
}
