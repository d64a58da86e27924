//! The Mini App's writes, authenticated like every call of [`super::api`] (`Authorization: tma <initData>` validated
//! first, the client the one the signed `user` names; no client or Telegram id is read from the body). Bodies are
//! JSON; a refusal by a rule is 409 `{"error": code, "text"}` in the client's language, and nothing changed.
//!
//! - `POST services/request` `{service: <id>, key: <8-64 of A-Za-z0-9_->}` → `{request, text}`. The key is minted by
//!   the page once per service shown, so a double tap (or a retry after a lost answer) makes one request; it is
//!   bound to the client (stored as `miniapp:c<client>:<key>`), so nobody else's key can be reused. The request goes
//!   the client bot's way (`actors::dialogue::service_requests::request`): the partner gets Accept / Decline in the
//!   partner bot, and an acceptance redeems once under the request's key. Refusals: `unavailable` (unknown, not
//!   approved, deleted, partner not approved), `unaffordable`, `pending` (a request of it waits already).
//! - `POST language` `{language: "ru" | "en"}` → `{language}`: stored as the client bot's `/language` stores it
//!   (`clients.language_override`), so the page and the bot speak it from then on.

use actix_web::{HttpRequest, HttpResponse, web};
use fsm::Lang;
use fsm::text::{MiniAppText, render};
use serde::Deserialize;
use serde_json::json;

use actors::app_writes;
use actors::db::miniapp::MiniAppClient;
use actors::dialogue::service_requests::Refusal;
use actors::session::store::SessionStore;

use super::MiniApp;
use super::api::{ApiError, client_of, ok, web_app_user};
use super::init_data::WebAppUser;
use crate::Services;

/// Shortest and longest request key the page may send.
const KEY_LEN: std::ops::RangeInclusive<usize> = 8..=64;

#[derive(Debug, Deserialize)]
struct ServiceRequestBody {
    service: i64,
    key: String,
}

#[derive(Debug, Deserialize)]
struct LanguageBody {
    language: String,
}

/// A write's caller and what they sent: the signed Telegram user, their client record and the JSON body (`what` is
/// the 400's explanation when it does not parse). Authentication comes first: a bad body of an unsigned call is 401.
async fn signed<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    bytes: &[u8],
    app: &MiniApp,
    services: &Services,
    what: &'static str,
) -> Result<(WebAppUser, MiniAppClient, T), ApiError> {
    let user = web_app_user(req, app)?;
    let (me, _) = client_of(&user, services).await?;
    let body = serde_json::from_slice(bytes).map_err(|_| ApiError::BadRequest(what))?;
    Ok((user, me, body))
}

fn outbox(app: &MiniApp) -> Result<&SessionStore, ApiError> {
    app.outbox.get().ok_or(ApiError::Unavailable)
}

fn transient(e: anyhow::Error) -> ApiError {
    tracing::warn!(error = %e, "mini app write failed");
    ApiError::Unavailable
}

/// `POST /app/api/services/request`.
pub(super) async fn request_service(
    req: HttpRequest,
    bytes: web::Bytes,
    app: web::Data<MiniApp>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let (user, me, b): (_, _, ServiceRequestBody) = signed(
        &req,
        &bytes,
        &app,
        &services,
        "expected {service: number, key: string}",
    )
    .await?;
    let key_ok = KEY_LEN.contains(&b.key.len())
        && b.key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    if !key_ok {
        return Err(ApiError::BadRequest("key is 8-64 of A-Za-z0-9_-"));
    }
    let key = format!("miniapp:c{}:{}", me.id.0, b.key);
    let made = app_writes::request_service(
        &services.pg,
        outbox(&app)?,
        user.id,
        b.service,
        &key,
        app.consent_ttl_s,
    )
    .await
    .map_err(transient)?;
    let lang = me.lang;
    match made {
        Ok(r) => Ok(ok(json!({
            "request": r.request,
            "text": render(lang, &MiniAppText::RequestSent),
        }))),
        Err(refusal) => {
            let (code, text) = match refusal {
                Refusal::Unavailable => ("unavailable", MiniAppText::RequestUnavailable),
                Refusal::Unaffordable => ("unaffordable", MiniAppText::RequestUnaffordable),
                Refusal::Pending => ("pending", MiniAppText::RequestPending),
            };
            Err(ApiError::Refused { code, text, lang })
        }
    }
}

/// `POST /app/api/language`.
pub(super) async fn language(
    req: HttpRequest,
    bytes: web::Bytes,
    app: web::Data<MiniApp>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let (user, me, b): (_, _, LanguageBody) = signed(
        &req,
        &bytes,
        &app,
        &services,
        "expected {language: \"ru\" | \"en\"}",
    )
    .await?;
    let lang = Lang::parse(&b.language).ok_or(ApiError::BadRequest("language is ru or en"))?;
    if !app_writes::set_language(
        &services.pg,
        outbox(&app)?,
        user.id,
        lang,
        app.menu_url.get().map(String::as_str),
    )
    .await
    .map_err(transient)?
    {
        return Err(ApiError::NotRegistered(me.lang));
    }
    Ok(ok(json!({ "language": lang.as_str() })))
}
