//! Signing in and out, and the language switch.
//!
//! `GET /login?token=…` only shows a page with a "Sign in" button that POSTs the token: Telegram's link preview or
//! a prefetcher that opens the link cannot burn it. `POST /login` redeems the token (`actors::dashboard_login`,
//! single use, short-lived), re-checks the admin against the allow-list and opens a session. The token's own
//! secrecy is what protects this POST, so it carries no CSRF token (there is no session yet to bind one to).

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use super::{
    Admin, DashError, Dashboard, LANG_COOKIE, auth, html, lang_of, message, other, templates,
};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/signin", web::get().to(signin))
        .route("/lang", web::get().to(switch_lang));
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    token: String,
}

async fn login_page(req: HttpRequest, query: web::Query<TokenForm>) -> HttpResponse {
    let lang = lang_of(&req);
    let ctx = context! { lang => lang.as_str(), other_lang => other(lang).as_str(),
    path => req.uri().to_string(), token => query.token.clone() };
    html(StatusCode::OK, templates::render("login.html", ctx))
}

async fn login(
    req: HttpRequest,
    dash: web::Data<Dashboard>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, DashError> {
    let lang = lang_of(&req);
    let store = dash.store()?;
    let admin = actors::dashboard_login::redeem(store, &form.token)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "dashboard: login token not redeemed, Redis unavailable");
            DashError::Unavailable
        })?;
    let Some(admin) = admin else {
        return Ok(message(
            StatusCode::UNAUTHORIZED,
            lang,
            "dash-link-invalid-title",
            "dash-link-invalid-text",
        ));
    };
    if !dash.admins.contains(&admin) {
        tracing::warn!(
            admin,
            "dashboard: a login link of someone no longer an admin"
        );
        return Ok(message(
            StatusCode::FORBIDDEN,
            lang,
            "dash-not-admin-title",
            "dash-not-admin-text",
        ));
    }
    let cookie = auth::create(&dash, admin).await?;
    tracing::info!(admin, "dashboard: signed in");
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header(("location", "/dashboard/"))
        .insert_header(("cache-control", "no-store"))
        .finish())
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    pub csrf: Option<String>,
}

async fn logout(
    req: HttpRequest,
    dash: web::Data<Dashboard>,
    admin: Admin,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, DashError> {
    admin.check_csrf(form.csrf.as_deref())?;
    auth::destroy(&dash, &req).await?;
    tracing::info!(admin = admin.id, "dashboard: signed out");
    Ok(HttpResponse::SeeOther()
        .cookie(auth::removal(&dash))
        .insert_header(("location", "/dashboard/signin?out=1"))
        .finish())
}

/// Where a request without a session lands: sign in from the admin bot (401).
async fn signin(req: HttpRequest) -> HttpResponse {
    let out = req.query_string().contains("out=1");
    let title = if out {
        "dash-signed-out-title"
    } else {
        "dash-signin-title"
    };
    message(
        StatusCode::UNAUTHORIZED,
        lang_of(&req),
        title,
        "dash-signin-text",
    )
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
    #[serde(default)]
    back: String,
}

/// Sets the language cookie and goes back to the page it came from (only a dashboard page: no open redirect).
async fn switch_lang(query: web::Query<LangQuery>) -> HttpResponse {
    let lang = fsm::Lang::parse(&query.to).unwrap_or(fsm::Lang::Ru);
    // Only a dashboard page, and nothing a header cannot carry (a CR/LF or other control would fail the response).
    let back = if query.back.starts_with("/dashboard/")
        && !query.back.contains("//")
        && !query.back.chars().any(char::is_control)
    {
        query.back.as_str()
    } else {
        "/dashboard/"
    };
    let cookie = Cookie::build(LANG_COOKIE, lang.as_str())
        .path("/dashboard/")
        .same_site(actix_web::cookie::SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header(("location", back))
        .finish()
}
