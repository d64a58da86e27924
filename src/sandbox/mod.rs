//! The Telegram sandbox: a Bot API emulator served by our own HTTP server, plus a browser page to chat with the
//! three bots as any simulated user. `loyalty demo` runs the product on it with no token and no internet; the tests
//! and the load harness drive the same emulator over HTTP.

mod bot_api;
mod delivery;
pub mod emulator;
mod messages;
mod page;
mod params;
mod settings;
mod updates;
mod user_api;
mod views;

pub use emulator::{Emulator, default_phone};

use actix_web::web;

/// Largest Bot API request body: Telegram takes photos up to 10 MB.
const UPLOAD_MAX: usize = 10 * 1024 * 1024;

/// Mounts the emulator's Bot API under `/tg` (so a bot's API URL is `http://host:port/tg`), the user-side API under
/// `/sandbox/api` and the page at `/sandbox` (with its `/sandbox/page.css` and `/sandbox/page.js`). The Bot API is
/// the scope's default service, which splits `/tg/bot<token>/<method>` itself: a pattern with parameters is
/// matched by a regular expression, and under load that ran on every call.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/tg")
            .app_data(web::PayloadConfig::new(UPLOAD_MAX))
            .default_service(web::to(emulator::bot_api)),
    )
    .service(web::scope("/sandbox/api").configure(user_api::configure))
    .service(web::resource(["/sandbox", "/sandbox/"]).route(web::get().to(page::page)))
    .service(web::resource("/sandbox/page.css").route(web::get().to(page::css)))
    .service(web::resource("/sandbox/page.js").route(web::get().to(page::js)));
}
