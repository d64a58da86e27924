//! The sandbox page: chat with any bot as any simulated user, in a browser.

use actix_web::HttpResponse;

pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("page.html"))
}
