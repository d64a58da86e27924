//! Dashboard sessions: created by a redeemed one-time login link, kept server-side in Redis, named by a random id
//! in an HttpOnly, SameSite=Strict cookie (Secure unless the dashboard is plain http on loopback).
//!
//! Key `{ns}dash:v1:session:{sha256(id)}` → JSON [`SessionData`] with TTL `dashboard.session_idle_s`, renewed by
//! every request (`GETEX`, one round trip); a session older than `dashboard.session_absolute_s` is refused and
//! deleted however active. Redis holds the id's hash only, so reading Redis gives no usable cookie.
//!
//! Every request is checked by the [`Admin`] extractor: a live session AND its admin still on `telegram.admin_ids`.
//! Every POST also carries the session's CSRF token (compared in constant time): [`Admin::check_csrf`]. Neither
//! tokens nor cookies are ever logged.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{FromRequest, HttpRequest, web};
use fsm::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{DashError, Dashboard, lang_of};

/// The session cookie's name.
pub(super) const COOKIE: &str = "loyalty_dash";
/// Random bytes in a session id and in a CSRF token.
const SECRET_BYTES: usize = 32;

/// What a session holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SessionData {
    /// The admin's Telegram id.
    pub admin: i64,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    /// When the session was created, Unix seconds (the absolute expiry counts from it).
    pub created_s: i64,
}

fn random_hex() -> String {
    hex::encode(rand::random::<[u8; SECRET_BYTES]>())
}

fn key(dash: &Dashboard, id: &str) -> String {
    format!(
        "{}dash:v1:session:{}",
        dash.namespace,
        hex::encode(Sha256::digest(id.as_bytes()))
    )
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Opens a session for `admin`; the cookie to set.
pub(super) async fn create(dash: &Dashboard, admin: i64) -> Result<Cookie<'static>, DashError> {
    let id = random_hex();
    let data = SessionData {
        admin,
        csrf: random_hex(),
        created_s: now_s(),
    };
    let json = serde_json::to_string(&data).map_err(|_| DashError::Unavailable)?;
    let mut conn = dash.redis().await?;
    redis::cmd("SET")
        .arg(key(dash, &id))
        .arg(json)
        .arg("EX")
        .arg(dash.idle_s.max(1))
        .query_async::<()>(&mut conn)
        .await
        .map_err(DashError::redis)?;
    Ok(cookie(dash, id))
}

fn cookie(dash: &Dashboard, value: String) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/dashboard/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(dash.secure_cookie())
        .finish()
}

/// The cookie that removes the session cookie from the browser.
pub(super) fn removal(dash: &Dashboard) -> Cookie<'static> {
    let mut c = cookie(dash, String::new());
    c.make_removal();
    c
}

/// Ends the session named by the request's cookie, if any.
pub(super) async fn destroy(dash: &Dashboard, req: &HttpRequest) -> Result<(), DashError> {
    if let Some(c) = req.cookie(COOKIE) {
        let mut conn = dash.redis().await?;
        redis::cmd("DEL")
            .arg(key(dash, c.value()))
            .query_async::<()>(&mut conn)
            .await
            .map_err(DashError::redis)?;
    }
    Ok(())
}

/// The signed-in admin of a request.
#[derive(Debug, Clone)]
pub struct Admin {
    /// Telegram id.
    pub id: i64,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
    /// The page's language.
    pub lang: Lang,
}

impl Admin {
    /// Refuses a POST whose `csrf` field is missing or not this session's token (403, nothing done).
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), DashError> {
        let sent = sent.unwrap_or_default().as_bytes();
        if bool::from(sent.ct_eq(self.csrf.as_bytes())) && !sent.is_empty() {
            Ok(())
        } else {
            Err(DashError::Csrf(self.lang))
        }
    }
}

async fn load(req: HttpRequest) -> Result<Admin, DashError> {
    let lang = lang_of(&req);
    let is_post = req.method() == actix_web::http::Method::POST;
    let signed_out = || DashError::SignIn { lang, is_post };
    let dash = req
        .app_data::<web::Data<Dashboard>>()
        .ok_or(DashError::Unavailable)?;
    let Some(cookie) = req.cookie(COOKIE) else {
        return Err(signed_out());
    };
    let key = key(dash, cookie.value());
    let mut conn = dash.redis().await?;
    let raw: Option<String> = redis::cmd("GETEX")
        .arg(&key)
        .arg("EX")
        .arg(dash.idle_s.max(1))
        .query_async(&mut conn)
        .await
        .map_err(DashError::redis)?;
    let Some(data) = raw.and_then(|r| serde_json::from_str::<SessionData>(&r).ok()) else {
        return Err(signed_out());
    };
    let too_old = now_s().saturating_sub(data.created_s) >= dash.absolute_s as i64;
    let still_admin = dash.admins.contains(&data.admin);
    if too_old || !still_admin {
        redis::cmd("DEL")
            .arg(&key)
            .query_async::<()>(&mut conn)
            .await
            .map_err(DashError::redis)?;
        return Err(signed_out());
    }
    Ok(Admin {
        id: data.admin,
        csrf: data.csrf,
        lang,
    })
}

impl FromRequest for Admin {
    type Error = DashError;
    type Future = Pin<Box<dyn Future<Output = Result<Admin, DashError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(load(req.clone()))
    }
}
