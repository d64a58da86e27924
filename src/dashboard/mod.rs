//! The admins' web dashboard (SPEC §8), served by this very server under `/dashboard/`: overview, charts,
//! moderation, the partners and clients tables with CSV export, and the ledger audit.
//!
//! Server-rendered pages (minijinja templates embedded in the binary, [`templates`]), texts in Russian and English
//! from `fsm/locales/*/dashboard.ftl`, plain responsive CSS and Chart.js (vendored from npm, `assets/`), all served
//! from here: no CDN. Every chart has its figures in a table under it, which the page reads to draw it, so the
//! page is readable without JavaScript.
//!
//! Sign-in is by the admin bot's one-time link (`/dashboard` in the admin bot, [`login`]), then a server-side
//! session ([`auth`]); every page checks the session and the allow-list, every form carries a CSRF token.

mod auth;
mod login;
mod moderation;
mod pages;
mod tables;
mod templates;

use std::sync::OnceLock;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use fsm::Lang;
use minijinja::{Value, context};

use actors::session::store::SessionStore;

pub use auth::Admin;

use crate::config::Settings;

/// The language cookie (`ru` or `en`), set by the language switch.
const LANG_COOKIE: &str = "loyalty_dash_lang";

/// What the flash message after a redirect may say (`?flash=<id without the prefix>`).
pub(crate) const FLASH_IDS: [&str; 5] = [
    "dash-flash-approved",
    "dash-flash-rejected",
    "dash-flash-unchanged",
    "dash-flash-not-found",
    "dash-flash-reason-too-long",
];

/// What the dashboard's handlers share.
pub struct Dashboard {
    pg: deadpool_postgres::Pool,
    redis: actors::redis_conn::SharedRedis,
    /// The prefix of the sessions' Redis keys (`sessions.redis_namespace`).
    namespace: String,
    /// `telegram.admin_ids`, checked on every request.
    admins: Vec<i64>,
    idle_s: u64,
    absolute_s: u64,
    time_zone: jiff::tz::TimeZone,
    /// Known once the bots run: see [`Dashboard::wire`].
    wired: OnceLock<Wired>,
}

/// What the dashboard needs from the running bots.
struct Wired {
    /// The sessions' store: login tokens live beside it, and moderation's notices go through its outbox streams.
    store: SessionStore,
    /// Whether the session cookie is `Secure`: always, unless the dashboard is plain http on a loopback host.
    secure: bool,
}

impl Dashboard {
    /// From the settings and the product's pools; [`Dashboard::wire`] completes it once the bots run.
    pub fn new(
        settings: &Settings,
        pg: deadpool_postgres::Pool,
        redis: actors::redis_conn::SharedRedis,
    ) -> anyhow::Result<Dashboard> {
        let time_zone = fsm::calendar::time_zone(&settings.network.time_zone).map_err(|e| {
            anyhow::anyhow!("network.time_zone {:?}: {e}", settings.network.time_zone)
        })?;
        Ok(Dashboard {
            pg,
            redis,
            namespace: settings.sessions.redis_namespace.clone(),
            admins: settings.telegram.admin_ids.clone(),
            idle_s: settings.dashboard.session_idle_s,
            absolute_s: settings.dashboard.session_absolute_s,
            time_zone,
            wired: OnceLock::new(),
        })
    }

    /// Gives the dashboard the sessions' store and its own address (`dashboard.url`, or `telegram.public_url` +
    /// `/dashboard`), which decides whether its cookie is `Secure`.
    pub fn wire(&self, store: SessionStore, url: &str) {
        let secure = !is_http_loopback(url);
        let _ = self.wired.set(Wired { store, secure });
    }

    fn store(&self) -> Result<&SessionStore, DashError> {
        self.wired
            .get()
            .map(|w| &w.store)
            .ok_or(DashError::Unavailable)
    }

    fn secure_cookie(&self) -> bool {
        self.wired.get().is_none_or(|w| w.secure)
    }

    async fn redis(&self) -> Result<actors::redis_conn::Redis, DashError> {
        self.redis.get().await.map_err(|e| {
            tracing::warn!(error = %e, "dashboard: Redis unavailable");
            DashError::Unavailable
        })
    }

    async fn db(&self) -> Result<deadpool_postgres::Client, DashError> {
        self.pg.get().await.map_err(|e| {
            tracing::warn!(error = %e, "dashboard: Postgres unavailable");
            DashError::Unavailable
        })
    }
}

/// Plain http on localhost or a loopback address: the one case a `Secure` cookie would never come back.
fn is_http_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default();
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    url.scheme() == "http"
        && (host.eq_ignore_ascii_case("localhost")
            || ip
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()))
}

/// Why a request was refused. Pages say it in the admin's language; no internal detail is shown.
#[derive(Debug, thiserror::Error)]
pub enum DashError {
    /// No live session, or its admin left the allow-list: a GET is sent to the sign-in page, a POST refused (401).
    #[error("not signed in")]
    SignIn { lang: Lang, is_post: bool },
    /// A POST without this session's CSRF token: 403, nothing done.
    #[error("bad CSRF token")]
    Csrf(Lang),
    #[error("not found")]
    NotFound(Lang),
    #[error("temporarily unavailable")]
    Unavailable,
}

impl DashError {
    fn redis(e: redis::RedisError) -> DashError {
        tracing::warn!(error = %e, "dashboard: Redis command failed");
        DashError::Unavailable
    }

    fn pg(e: impl std::fmt::Display) -> DashError {
        tracing::warn!(error = %e, "dashboard: query failed");
        DashError::Unavailable
    }
}

impl ResponseError for DashError {
    fn status_code(&self) -> StatusCode {
        match self {
            DashError::SignIn { .. } => StatusCode::UNAUTHORIZED,
            DashError::Csrf(_) => StatusCode::FORBIDDEN,
            DashError::NotFound(_) => StatusCode::NOT_FOUND,
            DashError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (lang, title, text) = match self {
            DashError::SignIn { is_post: false, .. } => {
                return HttpResponse::SeeOther()
                    .insert_header(("location", "/dashboard/signin"))
                    .insert_header(("cache-control", "no-store"))
                    .finish();
            }
            DashError::SignIn { lang, .. } => (*lang, "dash-signin-title", "dash-signin-text"),
            DashError::Csrf(lang) => (*lang, "dash-csrf-title", "dash-csrf-text"),
            DashError::NotFound(lang) => (*lang, "dash-not-found-title", "dash-not-found-text"),
            DashError::Unavailable => (Lang::Ru, "dash-unavailable-title", "dash-unavailable-text"),
        };
        message(self.status_code(), lang, title, text)
    }
}

/// A page with a title and a sentence, no session needed (sign-in, refusals, errors).
pub(crate) fn message(status: StatusCode, lang: Lang, title: &str, text: &str) -> HttpResponse {
    let ctx = context! { lang => lang.as_str(), other_lang => other(lang).as_str(),
    path => "/dashboard/", title_id => title, text_id => text };
    html(status, templates::render("message.html", ctx))
}

fn other(lang: Lang) -> Lang {
    match lang {
        Lang::Ru => Lang::En,
        Lang::En => Lang::Ru,
    }
}

/// The page's language: the language switch's cookie, else the browser's first choice, else Russian.
pub(crate) fn lang_of(req: &HttpRequest) -> Lang {
    if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    let accept = req
        .headers()
        .get("accept-language")
        .and_then(|v| v.to_str().ok());
    Lang::from_code(accept)
}

/// What the dashboard may load: its own files only; no inline script, no frames, forms to itself.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn html(status: StatusCode, body: Result<String, minijinja::Error>) -> HttpResponse {
    match body {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("cache-control", "no-store"))
            .insert_header(("content-security-policy", CONTENT_SECURITY_POLICY))
            .insert_header(("referrer-policy", "no-referrer"))
            .insert_header(("x-content-type-options", "nosniff"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "dashboard template failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A signed-in page: template `name` (with `nav` marked current) and the page's own `extra` values.
pub(crate) fn page(
    admin: &Admin,
    req: &HttpRequest,
    name: &str,
    nav: &str,
    extra: Value,
) -> HttpResponse {
    let flash = req
        .uri()
        .query()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "flash"))
        .map(|(_, v)| format!("dash-flash-{v}"))
        .filter(|id| FLASH_IDS.contains(&id.as_str()));
    let ctx = context! { lang => admin.lang.as_str(), other_lang => other(admin.lang).as_str(),
    csrf => admin.csrf.clone(), admin => admin.id, nav => nav, path => req.uri().to_string(), flash => flash,
    ..extra };
    html(StatusCode::OK, templates::render(name, ctx))
}

/// Mounts everything under `/dashboard/`.
pub fn configure(cfg: &mut web::ServiceConfig, dashboard: web::Data<Dashboard>) {
    // Before the scope, which would otherwise take `/dashboard` and find nothing in it.
    cfg.route(
        "/dashboard",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("location", "/dashboard/"))
                .finish()
        }),
    )
    .service(
        web::scope("/dashboard")
            .app_data(dashboard)
            // A query, form or path that does not parse gets a plain 400, never the framework's own words.
            .app_data(web::QueryConfig::default().error_handler(|e, _| bad_request(e)))
            .app_data(web::FormConfig::default().error_handler(|e, _| bad_request(e)))
            .app_data(web::PathConfig::default().error_handler(|e, _| bad_request(e)))
            .configure(login::configure)
            .configure(pages::configure)
            .configure(moderation::configure)
            .configure(tables::configure)
            .route("/assets/{name}", web::get().to(asset)),
    );
}

/// The answer to a request that does not parse: 400 with a short text in both languages (the cause is logged at
/// debug level only; it may quote what the client sent).
fn bad_request(e: impl std::fmt::Display + std::fmt::Debug + 'static) -> actix_web::Error {
    tracing::debug!(error = %e, "dashboard: a request that does not parse");
    let response = HttpResponse::BadRequest()
        .content_type("text/plain; charset=utf-8")
        .body("400 — Неверный запрос / Bad request");
    actix_web::error::InternalError::from_response(e, response).into()
}

/// The dashboard's static files, embedded.
async fn asset(name: web::Path<String>) -> HttpResponse {
    let (kind, body): (&str, &'static str) = match name.as_str() {
        "dashboard.css" => (
            "text/css; charset=utf-8",
            include_str!("assets/dashboard.css"),
        ),
        "dashboard.js" => (
            "text/javascript; charset=utf-8",
            include_str!("assets/dashboard.js"),
        ),
        "chart.umd.min.js" => (
            "text/javascript; charset=utf-8",
            include_str!("assets/chart.umd.min.js"),
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header(("cache-control", "public, max-age=3600"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::is_http_loopback;

    #[test]
    fn the_cookie_is_secure_except_on_plain_http_to_a_loopback_host() {
        for (url, loopback) in [
            ("http://127.0.0.1:8080/dashboard", true),
            ("http://localhost/dashboard", true),
            ("http://[::1]:80/dashboard", true),
            ("https://127.0.0.1/dashboard", false),
            ("http://bots.example.com/dashboard", false),
            ("https://bots.example.com/dashboard", false),
            ("", false),
        ] {
            assert_eq!(is_http_loopback(url), loopback, "{url}");
        }
    }
}
