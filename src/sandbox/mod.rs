//! The Telegram sandbox: a Bot API emulator served by our own HTTP server, plus a browser page to chat with the
//! three bots as any simulated user. `loyalty demo` runs the product on it with no token and no internet; the tests
//! and the load harness drive the same emulator over HTTP.

pub mod emulator;
mod page;
mod user_api;

pub use emulator::Emulator;

use actix_web::web;

/// Mounts the emulator's Bot API under `/tg` (so a bot's API URL is `http://host:port/tg`), the user-side API under
/// `/sandbox/api` and the page at `/sandbox`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tg/{bot_token}/{method}").route(web::route().to(emulator::bot_api)),
    )
    .service(web::scope("/sandbox/api").configure(user_api::configure))
    .service(web::resource("/sandbox").route(web::get().to(page::page)));
}
