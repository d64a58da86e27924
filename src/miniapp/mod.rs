//! The client Mini App: a small web app the client bot's menu button opens inside Telegram, served by this very
//! server under `/app/` (SPEC §7).
//!
//! The page is plain HTML, CSS and JavaScript embedded in the binary (`index.html`, `app.css`, `app.js`; no CDN,
//! no build step). In real Telegram it loads Telegram's own `https://telegram.org/js/telegram-web-app.js`; when the
//! product runs on its sandbox the server writes the local stand-in `/app/telegram-web-app.js` into the page
//! instead, which reads the same launch parameters (`#tgWebAppData=...&tgWebAppThemeParams=...` in the URL's
//! fragment) that the sandbox page puts there when it opens the app. Which one is decided here, by whether the
//! server runs on the sandbox, so a real deployment can never be served the stand-in.
//!
//! Its JSON API (`/app/api/...`, [`api`]) authenticates every call by Telegram's signed `initData`
//! ([`init_data`]) and only ever shows the client that data names.

pub mod api;
pub mod init_data;
mod views;
mod writes;

use actix_web::{HttpResponse, web};

use crate::config::{MiniAppSettings, Secret, Settings, TelegramSettings};

/// Telegram's script for Mini Apps, loaded by the page in real Telegram.
const TELEGRAM_JS: &str = "https://telegram.org/js/telegram-web-app.js";
/// The sandbox's stand-in for it.
const STAND_IN_JS: &str = "/app/telegram-web-app.js";

/// What the Mini App's handlers share.
pub struct MiniApp {
    /// The client bot's token: the key Telegram signs `initData` with.
    pub(crate) bot_token: Secret<String>,
    /// Oldest `initData` accepted, seconds since its `auth_date`.
    pub(crate) init_data_max_age_s: u64,
    /// The network's time zone: today's promotions, history days.
    pub(crate) time_zone: jiff::tz::TimeZone,
    /// Operations per page of history.
    pub(crate) history_page_max: u32,
    /// How long a service request waits for the partner (`money.redemption_consent_ttl_s`), seconds.
    pub(crate) consent_ttl_s: u64,
    /// The outbox streams, once the bots run (`server::start`); without them a write answers 503.
    pub(crate) outbox: std::sync::OnceLock<actors::session::store::SessionStore>,
    /// The Mini App's own address ([`url`]), set with `outbox`: a language chosen here also relabels the chat's
    /// menu button. Unset (no public address): the button stays as it is.
    pub(crate) menu_url: std::sync::OnceLock<String>,
    /// The page as served: with Telegram's script, or the sandbox's stand-in.
    page: String,
}

impl MiniApp {
    /// From the settings; `sandbox` serves the stand-in script instead of Telegram's.
    pub fn new(settings: &Settings, sandbox: bool) -> anyhow::Result<MiniApp> {
        let m = &settings.miniapp;
        // The network's calendar (`network.time_zone`): current promotions, history grouped by day.
        let time_zone = fsm::calendar::time_zone(&settings.network.time_zone).map_err(|e| {
            anyhow::anyhow!("network.time_zone {:?}: {e}", settings.network.time_zone)
        })?;
        let script = if sandbox { STAND_IN_JS } else { TELEGRAM_JS };
        Ok(MiniApp {
            bot_token: settings.telegram.client_token.clone(),
            init_data_max_age_s: m.init_data_max_age_s,
            time_zone,
            history_page_max: m.history_page_max,
            consent_ttl_s: settings.money.redemption_consent_ttl_s.max(1),
            outbox: std::sync::OnceLock::new(),
            menu_url: std::sync::OnceLock::new(),
            page: include_str!("index.html").replace("{{TELEGRAM_JS}}", script),
        })
    }
}

/// The address the client bot's menu button opens: `miniapp.url`, else `telegram.public_url` + `/app/`; None
/// when neither is set (the bot then keeps Telegram's default menu button).
pub fn url(miniapp: &MiniAppSettings, telegram: &TelegramSettings) -> Option<String> {
    let m = miniapp.url.trim();
    if !m.is_empty() {
        return Some(m.to_owned());
    }
    let public = telegram.public_url.trim().trim_end_matches('/');
    (!public.is_empty()).then(|| format!("{public}/app/"))
}

/// Sets the client bot's menu button (default scope, every chat) to open the Mini App at `url`, labelled in
/// Russian, the network's default language (the button has one text for all users). A failure is logged, not
/// fatal: the bot works without it.
pub async fn publish_menu_button(bot: &teloxide_core::Bot, url: &str) {
    use teloxide_core::payloads::SetChatMenuButtonSetters;
    use teloxide_core::requests::Requester;
    use teloxide_core::types::{MenuButton, WebAppInfo};

    let Ok(url) = reqwest::Url::parse(url) else {
        tracing::warn!(
            url,
            "miniapp.url is not a URL; the client bot keeps its default menu button"
        );
        return;
    };
    let button = MenuButton::WebApp {
        text: fsm::text::render(fsm::Lang::Ru, &fsm::text::MiniAppText::MenuButton),
        web_app: WebAppInfo { url },
    };
    if let Err(e) = bot.set_chat_menu_button().menu_button(button).await {
        tracing::warn!(error = %e, "setChatMenuButton failed; the client bot keeps its default menu button");
    }
}

/// Mounts the page and its assets under `/app/` and the API under `/app/api/`.
pub fn configure(cfg: &mut web::ServiceConfig, app: web::Data<MiniApp>) {
    cfg.service(
        web::scope("/app")
            .app_data(app)
            .configure(api::configure)
            .route("/", web::get().to(page))
            .route("/app.css", web::get().to(css))
            .route("/app.js", web::get().to(js))
            .route("/telegram-web-app.js", web::get().to(stand_in)),
    )
    .route(
        "/app",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("location", "/app/"))
                .finish()
        }),
    );
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("cache-control", "no-cache"))
        .body(body)
}

/// What the page may load: its own files, Telegram's script, and its own API; styles inline too (the progress
/// bars' widths). Nothing else, so injected markup could neither run nor send data anywhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' https://telegram.org; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

async fn page(app: web::Data<MiniApp>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("content-security-policy", CONTENT_SECURITY_POLICY))
        .body(app.page.clone())
}

async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", include_str!("app.css"))
}

async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", include_str!("app.js"))
}

async fn stand_in() -> HttpResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("telegram-web-app.js"),
    )
}
