//! Driving Debian's headless Chromium through chromedriver (WebDriver) with fantoccini, for `browser.rs`:
//! starting and stopping them, and the few things a test does with a page (click, type, wait for a text, check that
//! an element is on screen, save a screenshot).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long the page may take to show what the bots sent.
pub const SHOW_WAIT: Duration = Duration::from_secs(15);

/// chromedriver on a free loopback port, killed when dropped (its Chromium ends with the session).
pub struct Driver {
    child: Child,
    url: String,
    profiles: PathBuf,
}

impl Driver {
    pub async fn start() -> Driver {
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
    pub async fn browser(&self, width: u32, height: u32) -> Client {
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

/// Runs `walk` in a fresh browser of `width`×`height`. If it panics, the page is saved as `<failed_shot>.png` first;
/// the browser is closed either way and the panic goes on.
pub async fn walk_in<F, Fut>(driver: &Driver, width: u32, height: u32, failed_shot: &str, walk: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures_util::FutureExt;
    let browser = driver.browser(width, height).await;
    let run = std::panic::AssertUnwindSafe(walk(browser.clone()))
        .catch_unwind()
        .await;
    if run.is_err() {
        let _ = browser.enter_parent_frame().await;
        screenshot(&browser, failed_shot).await;
    }
    let _ = browser.close().await;
    if let Err(panic) = run {
        std::panic::resume_unwind(panic);
    }
}

pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts/browser");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

pub async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(artifacts().join(format!("{name}.png")), png).expect("write screenshot");
}

/// What a bubble shows for a bot's HTML text: the text without its tags, entities decoded.
pub fn shown_text(html: &str) -> String {
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

pub async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.expect("script runs")
}

/// Waits until `script` (run in the current frame) returns true; `what` names it in the failure.
pub async fn until(c: &Client, what: &str, script: &str) {
    let start = Instant::now();
    while js(c, script).await != json!(true) {
        assert!(start.elapsed() < SHOW_WAIT, "the page does not show {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until a bubble in the open chat shows `text`.
pub async fn page_shows(c: &Client, text: &str) {
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
pub async fn in_viewport(c: &Client, selector: &str) -> bool {
    let script = format!(
        "const r = document.querySelector('{selector}').getBoundingClientRect(); \
         return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth"
    );
    js(c, &script).await == json!(true)
}

pub async fn click(c: &Client, css: &str) {
    // The page redraws as messages arrive; an element replaced between finding and clicking is found again.
    let start = Instant::now();
    loop {
        let clicked = match c
            .wait()
            .at_most(SHOW_WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element.click().await,
            Err(e) => Err(e),
        };
        match clicked {
            Ok(()) => return,
            Err(e) if start.elapsed() > SHOW_WAIT => panic!("{css} cannot be clicked: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

pub async fn type_into(c: &Client, css: &str, text: &str) {
    let input = c.find(Locator::Css(css)).await.expect("input");
    input.send_keys(text).await.expect("typing");
}
