//! The Telegram sandbox: a Bot API emulator served by our own HTTP server, plus a browser page to chat with the
//! three bots as any simulated user. `loyalty demo` runs the product on it with no token and no internet; the tests
//! and the load harness drive the same emulator over HTTP.

pub mod emulator;
mod page;
mod user_api;

pub use emulator::Emulator;

use actix_web::web;

/// Mounts the emulator's Bot API under `/tg` (so a bot's API URL is `http://host:port/tg`), the user-side API under
/// `/sandbox/api` and the page at `/sandbox`. The Bot API is the scope's default service, which splits
/// `/tg/bot<token>/<method>` itself: a pattern with parameters is matched by a regular expression, and under load
/// that ran on every call.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/tg").default_service(web::to(emulator::bot_api)))
        .service(web::scope("/sandbox/api").configure(user_api::configure))
        .service(web::resource("/sandbox").route(web::get().to(page::page)));
}
