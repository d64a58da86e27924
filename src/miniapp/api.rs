//! The Mini App's JSON API, `/app/api/...`. Every call sends Telegram's `initData` in `Authorization: tma
//! <initData>`; it is validated before anything is read ([`super::init_data::validate`]): missing, tampered,
//! signed for another bot, expired, without hash → 401 `{"error": "..."}`. The client is the one whose Telegram id
//! the signed `user` field names; no id in a URL or body is read, so nobody can see another client's data. A
//! Telegram user who is not a client yet → 404 `{"error": "not registered, open the bot", "text": ...}`.
//!
//! Answers (texts rendered in the client's language, plain text):
//! - `GET texts` → `{lang, texts: {name: text}}` (every label the page needs; also for unregistered users)
//! - `GET home` → `{first_name, balance, balance_text, member_code, qr_svg, promotions: [promotion; ≤ 3]}`
//! - `GET promotions` → `{promotions: [{id, partner, title, description, discount, ends_on, until_text}]}`
//! - `GET services` → `{balance, affordable: [service], saving_up: [service]}`, a service being
//!   `{id, partner, title, description, price_points, price_text, missing_points, missing_text}`
//! - `GET history?type=all|accrual|redemption|bonus&before=<operation id>` → `{type, items: [{id, kind, kind_text,
//!   points, points_text, partner, receipt_text, day, day_text, time}], next_before, totals: {points_in,
//!   points_out, count, in_text, out_text, count_text}}`, newest first, `next_before` null on the last page
//! - `GET profile` → `{first_name, phone_masked, member_code, member_since, referred_by, language, language_name}`
//!
//! The writes (`POST services/request`, `POST language`) are in [`super::writes`].

use actix_web::{HttpRequest, HttpResponse, ResponseError, http::StatusCode, web};
use fsm::Lang;
use fsm::text::{MINIAPP_LABELS, MiniAppText, render};
use serde::Deserialize;
use serde_json::{Value, json};

use actors::db::miniapp::{self as queries, HistoryFilter, MiniAppClient};

use super::MiniApp;
use super::init_data::{self, InitDataError, WebAppUser};
use super::views;
use crate::Services;

/// The scheme word Telegram's docs use for init data in `Authorization`.
const AUTH_SCHEME: &str = "tma ";
/// Promotions on the home screen.
const HOME_PROMOTIONS: i64 = 3;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .route("/texts", web::get().to(texts))
            .route("/home", web::get().to(home))
            .route("/promotions", web::get().to(promotions))
            .route("/services", web::get().to(services))
            .route("/history", web::get().to(history))
            .route("/profile", web::get().to(profile))
            .route(
                "/services/request",
                web::post().to(super::writes::request_service),
            )
            .route("/language", web::post().to(super::writes::language))
            .default_service(web::to(|| async {
                HttpResponse::NotFound().json(json!({ "error": "no such endpoint" }))
            })),
    );
}

/// Why a call was refused. The body never carries internal detail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(InitDataError, Lang),
    #[error("not registered, open the bot")]
    NotRegistered(Lang),
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A write refused by a rule (`code` names which), `text` saying why in the client's language; nothing changed.
    #[error("{code}")]
    Refused {
        code: &'static str,
        text: MiniAppText,
        lang: Lang,
    },
    #[error("temporarily unavailable")]
    Unavailable,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(..) => StatusCode::UNAUTHORIZED,
            Self::NotRegistered(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Refused { .. } => StatusCode::CONFLICT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let text = match self {
            Self::Unauthorized(_, lang) => Some(render(*lang, &MiniAppText::AuthFailed)),
            Self::NotRegistered(lang) => Some(render(*lang, &MiniAppText::NotRegistered)),
            Self::Refused { text, lang, .. } => Some(render(*lang, text)),
            _ => None,
        };
        let mut body = json!({ "error": self.to_string() });
        if let Some(text) = text {
            body["text"] = json!(text);
        }
        HttpResponse::build(self.status_code())
            .insert_header(("cache-control", "no-store"))
            .json(body)
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        tracing::warn!(error = %e, "mini app query failed");
        ApiError::Unavailable
    }
}

/// The language of a refusal, before anything is trusted: what the (unverified) `user` field claims, for the
/// wording of the error only.
fn claimed_lang(raw: &str) -> Lang {
    let code = form_urlencoded::parse(raw.as_bytes())
        .find(|(k, _)| k == "user")
        .and_then(|(_, v)| serde_json::from_str::<Value>(&v).ok())
        .and_then(|u| u["language_code"].as_str().map(str::to_owned));
    Lang::from_code(code.as_deref())
}

/// The Telegram user of a request, from validated `initData`.
pub(super) fn web_app_user(req: &HttpRequest, app: &MiniApp) -> Result<WebAppUser, ApiError> {
    let raw = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix(AUTH_SCHEME))
        .unwrap_or_default();
    let now = jiff::Timestamp::now().as_second();
    init_data::validate(raw, app.bot_token.expose(), now, app.init_data_max_age_s)
        .map_err(|e| ApiError::Unauthorized(e, claimed_lang(raw)))
}

/// The registered client behind a request, with a pooled connection for the reads that follow.
pub(super) async fn client(
    req: &HttpRequest,
    app: &MiniApp,
    services: &Services,
) -> Result<(MiniAppClient, deadpool_postgres::Client), ApiError> {
    let user = web_app_user(req, app)?;
    client_of(&user, services).await
}

/// The registered client whose Telegram account signed `user`.
pub(super) async fn client_of(
    user: &WebAppUser,
    services: &Services,
) -> Result<(MiniAppClient, deadpool_postgres::Client), ApiError> {
    let db = services.pg.get().await.map_err(|e| {
        tracing::warn!(error = %e, "mini app: no database connection");
        ApiError::Unavailable
    })?;
    match queries::client_by_telegram(&db, user.id).await? {
        Some(client) => Ok((client, db)),
        None => Err(ApiError::NotRegistered(Lang::from_code(
            user.language_code.as_deref(),
        ))),
    }
}

pub(super) fn ok(body: Value) -> HttpResponse {
    // Personal data: never kept by a cache between the client and us.
    HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(body)
}

/// `GET /app/api/texts`: the labels in the client's language (Telegram's language for a user not registered yet).
async fn texts(
    req: HttpRequest,
    app: web::Data<MiniApp>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let lang = match client(&req, &app, &services).await {
        Ok((client, _)) => client.lang,
        Err(ApiError::NotRegistered(lang)) => lang,
        Err(e) => return Err(e),
    };
    let texts: serde_json::Map<String, Value> = MINIAPP_LABELS
        .iter()
        .map(|(name, key)| ((*name).to_owned(), json!(render(lang, key))))
        .collect();
    Ok(ok(json!({ "lang": lang.as_str(), "texts": texts })))
}

async fn home(
    req: HttpRequest,
    app: web::Data<MiniApp>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let (client, db) = client(&req, &app, &services).await?;
    let today = views::today(&app.time_zone);
    let promotions =
        queries::current_promotions(&db, client.id, &today.to_string(), HOME_PROMOTIONS).await?;
    Ok(ok(json!({
        "first_name": client.first_name,
        "balance": client.balance,
        "balance_text": render(client.lang, &MiniAppText::Points { n: client.balance }),
        "member_code": client.member_code,
        "qr_svg": views::qr_svg(&client.member_code),
        "promotions": promotions.iter().map(|p| views::promotion(client.lang, p)).collect::<Vec<_>>(),
    })))
}

async fn promotions(
    req: HttpRequest,
    app: web::Data<MiniApp>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let (client, db) = client(&req, &app, &services).await?;
    let today = views::today(&app.time_zone);
    let list =
        queries::current_promotions(&db, client.id, &today.to_string(), queries::PROMOTIONS_MAX)
            .await?;
    Ok(ok(json!({
        "promotions": list.iter().map(|p| views::promotion(client.lang, p)).collect::<Vec<_>>(),
    })))
}

async fn services(
    req: HttpRequest,
    app: web::Data<MiniApp>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let (client, db) = client(&req, &app, &services).await?;
    let list = queries::approved_services(&db).await?;
    let (affordable, saving_up) = views::split_services(client.lang, client.balance, &list);
    Ok(ok(json!({
        "balance": client.balance,
        "affordable": affordable,
        "saving_up": saving_up,
    })))
}

/// The history's query: a filter and where the page starts. Nothing else is read from the query string.
#[derive(Debug, Deserialize)]
struct HistoryQuery {
    #[serde(rename = "type")]
    filter: Option<String>,
    before: Option<i64>,
}

async fn history(
    req: HttpRequest,
    app: web::Data<MiniApp>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let (client, db) = client(&req, &app, &services).await?;
    let query = web::Query::<HistoryQuery>::from_query(req.query_string())
        .map_err(|_| ApiError::BadRequest("type must be a word and before a number"))?;
    let filter = HistoryFilter::parse(query.filter.as_deref()).ok_or(ApiError::BadRequest(
        "type is all, accrual, redemption or bonus",
    ))?;
    let page_max = i64::from(app.history_page_max);
    // One more than a page tells whether another page follows.
    let mut rows =
        queries::history_page(&db, client.id, filter, query.before, page_max + 1).await?;
    let more = rows.len() > app.history_page_max as usize;
    rows.truncate(app.history_page_max as usize);
    let totals = queries::history_totals(&db, client.id, filter).await?;
    let lang = client.lang;
    let items: Vec<Value> = rows
        .iter()
        .map(|op| views::operation(lang, &app.time_zone, op))
        .collect();
    Ok(ok(json!({
        "type": query.filter.as_deref().unwrap_or("all"),
        "items": items,
        "next_before": if more { rows.last().map(|r| r.id) } else { None },
        "totals": {
            "points_in": totals.points_in,
            "points_out": totals.points_out,
            "count": totals.count,
            "in_text": render(lang, &MiniAppText::TotalIn { n: totals.points_in }),
            "out_text": render(lang, &MiniAppText::TotalOut { n: totals.points_out }),
            "count_text": render(lang, &MiniAppText::Operations { n: totals.count }),
        },
    })))
}

async fn profile(
    req: HttpRequest,
    app: web::Data<MiniApp>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let (client, _) = client(&req, &app, &services).await?;
    let lang = client.lang;
    Ok(ok(json!({
        "first_name": client.first_name,
        "phone_masked": client.phone.as_deref().map(views::mask_phone),
        "member_code": client.member_code,
        "member_since": views::date_text(lang, &app.time_zone, client.created_at_unix_s),
        "referred_by": client.referred_by,
        "language": lang.as_str(),
        "language_name": render(lang, &match lang {
            Lang::Ru => MiniAppText::LanguageRu,
            Lang::En => MiniAppText::LanguageEn,
        }),
    })))
}
