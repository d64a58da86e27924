//! One-time login links to the admins' web dashboard (SPEC §6 `/dashboard`, §8): the admin bot issues a random
//! token bound to the admin's Telegram id; the dashboard redeems it once (`GETDEL`), within its time to live, and
//! opens a session. Tokens are secrets: never logged.
//!
//! Redis key: `{namespace}dashboard:login:{token}` → the admin's Telegram id, with `EX ttl`.

use std::fmt::Write;

use crate::session::store::{SessionStore, StoreError};

/// Bytes of randomness in a token (shown as twice as many hex digits).
pub const TOKEN_BYTES: usize = 32;

fn key(namespace: &str, token: &str) -> String {
    format!("{namespace}dashboard:login:{token}")
}

/// A new single-use token for `admin_id`, valid for `ttl_s` seconds.
///
/// Errors: Redis unavailable.
pub async fn issue(store: &SessionStore, admin_id: i64, ttl_s: u64) -> Result<String, StoreError> {
    let bytes: [u8; TOKEN_BYTES] = rand::random();
    let mut token = String::with_capacity(TOKEN_BYTES * 2);
    for b in bytes {
        let _ = write!(token, "{b:02x}");
    }
    let mut conn = store.redis();
    redis::cmd("SET")
        .arg(key(store.namespace(), &token))
        .arg(admin_id)
        .arg("EX")
        .arg(ttl_s.max(1))
        .query_async::<()>(&mut conn)
        .await?;
    Ok(token)
}

/// The admin `token` was issued to, and the token is gone: a second call, an unknown or an expired token gives
/// `None`. A token that is not 64 hex digits is refused without asking Redis.
///
/// Errors: Redis unavailable (the token is then left as it was).
pub async fn redeem(store: &SessionStore, token: &str) -> Result<Option<i64>, StoreError> {
    if token.len() != TOKEN_BYTES * 2 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let mut conn = store.redis();
    let admin: Option<i64> = redis::cmd("GETDEL")
        .arg(key(store.namespace(), token))
        .query_async(&mut conn)
        .await?;
    Ok(admin)
}

/// The link an admin opens: `{base}/login?token={token}` (`base`: the dashboard's address, no trailing `/`).
pub fn login_url(base: &str, token: &str) -> String {
    format!("{base}/login?token={token}")
}
