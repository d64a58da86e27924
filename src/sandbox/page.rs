//! The sandbox page: chat with any bot as any simulated user, in a browser. Plain HTML, CSS and JavaScript built
//! into the binary (no CDN, no build step).

use actix_web::HttpResponse;

/// `GET /sandbox`.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("page.html"))
}

/// `GET /sandbox/page.css`.
pub async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("page.css"))
}

/// `GET /sandbox/page.js`.
pub async fn js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("page.js"))
}
