//! The sandbox page in a real browser: Debian's headless Chromium driven through chromedriver (WebDriver) with
//! fantoccini, at a phone's size (390×844) and a laptop's (1280×900). The demo walkthrough as a person does it:
//! the client joins by the referral line of the hint and shares their phone, the partner accrues 1999.99 ₽, the
//! client sees the notice. Texts are checked against the transcript API (what the bots sent), not hard-coded.
//! Screenshots land in `target/test-artifacts/browser/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};

use crate::app::TestApp;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;
/// How long the page may take to show what the bots sent.
const SHOW_WAIT: Duration = Duration::from_secs(15);

/// chromedriver on a free loopback port, killed when dropped (its Chromium ends with the session).
struct Driver {
    child: Child,
    url: String,
    profiles: PathBuf,
}

impl Driver {
    async fn start() -> Driver {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                std::path::Path::new(path).exists(),
                "{path} is missing: the browser test needs Debian's Chromium and chromedriver; install them with \
                 `sudo apt-get install -y chromium chromium-driver` (scripts/services.sh does it) ({package})"
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "chromedriver answers"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profiles =
            std::env::temp_dir().join(format!("loyalty-chromium-{}", std::process::id()));
        Driver {
            child,
            url,
            profiles,
        }
    }

    /// A fresh headless Chromium (own profile, so a first visit) with a viewport of `width`×`height`.
    async fn browser(&self, width: u32, height: u32) -> Client {
        let profile = self.profiles.join(format!("{width}x{height}"));
        let _ = std::fs::remove_dir_all(&profile);
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ]
        .map(String::from)
        .into_iter()
        .chain([
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={width},{height}"),
        ])
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session");
        // The window's size includes what is not page; size it so the page itself is width×height.
        let inner = client
            .execute(
                "return [outerWidth - innerWidth, outerHeight - innerHeight]",
                vec![],
            )
            .await
            .expect("window metrics");
        let extra = |i: usize| inner[i].as_u64().unwrap_or(0) as u32;
        client
            .set_window_size(width + extra(0), height + extra(1))
            .await
            .expect("window size");
        client
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profiles);
    }
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts/browser");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(artifacts().join(format!("{name}.png")), png).expect("write screenshot");
}

/// What a bubble shows for a bot's HTML text: the text without its tags, entities decoded.
fn shown_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.expect("script runs")
}

/// Waits until a bubble in the open chat shows `text`.
async fn page_shows(c: &Client, text: &str) {
    let start = Instant::now();
    loop {
        let texts = js(
            c,
            "return [...document.querySelectorAll('#messages .msg .text')].map(e => e.innerText)",
        )
        .await;
        if texts
            .as_array()
            .is_some_and(|t| t.iter().any(|s| s.as_str() == Some(text)))
        {
            return;
        }
        assert!(
            start.elapsed() < SHOW_WAIT,
            "the page does not show {text:?}; it shows {texts:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The element's box is inside the viewport (fully visible without scrolling).
async fn in_viewport(c: &Client, selector: &str) -> bool {
    let script = format!(
        "const r = document.querySelector('{selector}').getBoundingClientRect(); \
         return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth"
    );
    js(c, &script).await == json!(true)
}

async fn click(c: &Client, css: &str) {
    c.wait()
        .at_most(SHOW_WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} appears: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{css} is clickable: {e}"));
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let input = c.find(Locator::Css(css)).await.expect("input");
    input.send_keys(text).await.expect("typing");
}

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

    click(c, "#keyboard button").await;
    let phone = c
        .find(Locator::Css("#contact-phone"))
        .await
        .expect("phone box");
    let own: Value = app
        .http
        .get(format!("{}/sandbox/api/user?user_id={client}", app.base))
        .send()
        .await
        .expect("user")
        .json()
        .await
        .expect("json");
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
    assert!(
        frame.is_displayed().await.expect("shown"),
        "the web app panel"
    );
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
}

#[actix_rt::test]
async fn the_demo_walkthrough_in_a_real_browser_on_a_phone_and_a_laptop() {
    let app = TestApp::spawn().await;
    // What the partner bot sets up, should the product not (yet): a "/" menu and a web app menu button.
    let commands: Value = app
        .http
        .get(format!(
            "{}/sandbox/api/commands?bot=partner&language_code=ru",
            app.base
        ))
        .send()
        .await
        .expect("commands")
        .json()
        .await
        .expect("json");
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
