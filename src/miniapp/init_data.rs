//! Telegram Mini App `initData`: validation (every API call) and signing (the sandbox, which plays Telegram).
//!
//! Telegram's rule (<https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app>): the
//! fields of the query string except `hash`, URL-decoded, sorted by key and written `key=value` one per line form
//! the data-check-string; `secret_key = HMAC_SHA256(key = "WebAppData", msg = bot_token)`; the data is genuine when
//! `hash == hex(HMAC_SHA256(key = secret_key, msg = data_check_string))`. The comparison is constant-time
//! (`hmac`'s `verify_slice`), so a forger learns nothing from how long a refusal takes. `auth_date` must be at most
//! `max_age_s` old (and not from the future beyond a minute of clock skew), so a leaked initData stops working.

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How far in the future an `auth_date` may be (seconds): clocks of Telegram and ours differ a little.
const CLOCK_SKEW_S: i64 = 60;
/// Longest initData accepted (bytes); Telegram's are well under 2 KiB.
const INIT_DATA_MAX: usize = 8 * 1024;

/// What a valid initData says about the user who opened the Mini App.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAppUser {
    /// The Telegram user id: the only identity the API trusts.
    pub id: i64,
    pub first_name: String,
    /// The language of the user's Telegram app (`ru`, `en`, ...), if it says.
    pub language_code: Option<String>,
    /// Unix seconds when Telegram signed the data.
    pub auth_date: i64,
}

/// Why initData was refused; every variant is a 401 for the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InitDataError {
    #[error("no initData")]
    Missing,
    #[error("initData is not a well-formed query string")]
    Malformed,
    #[error("initData has no hash")]
    NoHash,
    #[error("initData signature does not match")]
    BadSignature,
    #[error("initData has no valid auth_date")]
    NoAuthDate,
    #[error("initData is expired")]
    Expired,
    #[error("initData has no valid user")]
    NoUser,
}

/// The fields of the `user` JSON the API uses; Telegram sends more.
#[derive(Deserialize)]
struct UserField {
    id: i64,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    language_code: Option<String>,
}

/// `HMAC_SHA256(key = "WebAppData", msg = bot_token)`: the key the data is signed with.
fn secret_key(bot_token: &str) -> HmacSha256 {
    // A HMAC key may have any length, so this cannot fail; the fallback only satisfies the type.
    let mut derive =
        HmacSha256::new_from_slice(b"WebAppData").unwrap_or_else(|_| unreachable!("any key size"));
    derive.update(bot_token.as_bytes());
    let key = derive.finalize().into_bytes();
    HmacSha256::new_from_slice(&key).unwrap_or_else(|_| unreachable!("any key size"))
}

/// The data-check-string of decoded `(key, value)` pairs: `hash` left out, sorted by key, `key=value` per line.
fn data_check_string(fields: &[(String, String)]) -> String {
    let mut lines: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k != "hash")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    lines.sort();
    lines.join("\n")
}

/// Checks `raw` (the query string Telegram hands the page as `Telegram.WebApp.initData`) against the bot's token
/// at `now_unix` (seconds); the user it names when genuine and fresh.
pub fn validate(
    raw: &str,
    bot_token: &str,
    now_unix: i64,
    max_age_s: u64,
) -> Result<WebAppUser, InitDataError> {
    if raw.trim().is_empty() {
        return Err(InitDataError::Missing);
    }
    if raw.len() > INIT_DATA_MAX || bot_token.is_empty() {
        return Err(InitDataError::Malformed);
    }
    let fields: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    // A repeated key would let two readers of the same string disagree on its value.
    let mut keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(InitDataError::Malformed);
    }
    let hash = fields
        .iter()
        .find(|(k, _)| k == "hash")
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
        .ok_or(InitDataError::NoHash)?;
    let expected = hex::decode(hash).map_err(|_| InitDataError::BadSignature)?;
    let mut mac = secret_key(bot_token);
    mac.update(data_check_string(&fields).as_bytes());
    mac.verify_slice(&expected)
        .map_err(|_| InitDataError::BadSignature)?;
    // Only signed data is read from here on.
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let auth_date: i64 = field("auth_date")
        .and_then(|v| v.parse().ok())
        .ok_or(InitDataError::NoAuthDate)?;
    let age = now_unix.saturating_sub(auth_date);
    if age > i64::try_from(max_age_s).unwrap_or(i64::MAX) || age < -CLOCK_SKEW_S {
        return Err(InitDataError::Expired);
    }
    let user: UserField = field("user")
        .and_then(|v| serde_json::from_str(v).ok())
        .ok_or(InitDataError::NoUser)?;
    if user.id <= 0 {
        return Err(InitDataError::NoUser);
    }
    Ok(WebAppUser {
        id: user.id,
        first_name: user.first_name,
        language_code: user.language_code,
        auth_date,
    })
}

/// Signs `fields` (without `hash`) as Telegram does for the bot with `bot_token`: the query string with `hash`
/// appended. The sandbox uses it to open the Mini App for a simulated user; the tests also check it against an
/// independent implementation.
pub fn sign(fields: &[(&str, &str)], bot_token: &str) -> String {
    let owned: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut mac = secret_key(bot_token);
    mac.update(data_check_string(&owned).as_bytes());
    let hash = hex::encode(mac.finalize().into_bytes());
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        query.append_pair(k, v);
    }
    query.append_pair("hash", &hash);
    query.finish()
}

/// initData for a simulated user, signed now: `user` (id, first name, language), `auth_date`, a `query_id`.
pub fn sign_for_user(
    user_id: i64,
    first_name: &str,
    language_code: &str,
    bot_token: &str,
    now_unix: i64,
) -> String {
    let user = serde_json::json!({
        "id": user_id,
        "first_name": first_name,
        "language_code": language_code,
        "allows_write_to_pm": true,
    })
    .to_string();
    let auth_date = now_unix.to_string();
    let query_id = format!("sandbox-{user_id}-{now_unix}");
    sign(
        &[
            ("query_id", &query_id),
            ("user", &user),
            ("auth_date", &auth_date),
        ],
        bot_token,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:test-token";
    const NOW: i64 = 1_800_000_000;

    fn signed(now: i64) -> String {
        sign_for_user(42, "Анна", "ru", TOKEN, now)
    }

    #[test]
    fn signed_data_is_accepted_and_names_the_user() {
        let user = validate(&signed(NOW), TOKEN, NOW + 10, 3_600).expect("valid");
        assert_eq!(user.id, 42);
        assert_eq!(user.first_name, "Анна");
        assert_eq!(user.language_code.as_deref(), Some("ru"));
        assert_eq!(user.auth_date, NOW);
    }

    /// Telegram's documented construction, spelled out by hand for one fixed input: the same hash as `sign`.
    #[test]
    fn the_hash_is_telegrams_construction() {
        let raw = sign(&[("b", "2"), ("a", "1 +&")], "t");
        let mut derive = HmacSha256::new_from_slice(b"WebAppData").expect("key");
        derive.update(b"t");
        let key = derive.finalize().into_bytes();
        let mut mac = HmacSha256::new_from_slice(&key).expect("key");
        mac.update(b"a=1 +&\nb=2");
        let hash = hex::encode(mac.finalize().into_bytes());
        assert!(raw.ends_with(&format!("&hash={hash}")), "{raw}");
        assert!(raw.starts_with("b=2&a=1+%2B%26&"), "{raw}");
    }

    #[test]
    fn another_bots_token_is_refused() {
        assert_eq!(
            validate(&signed(NOW), "654321:other", NOW, 3_600),
            Err(InitDataError::BadSignature)
        );
    }

    #[test]
    fn every_single_field_changed_is_refused() {
        let raw = signed(NOW);
        let fields: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for i in 0..fields.len() {
            let mut tampered = fields.clone();
            tampered[i].1.push('0');
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(tampered.iter())
                .finish();
            assert!(
                validate(&query, TOKEN, NOW, 3_600).is_err(),
                "{} changed",
                fields[i].0
            );
        }
    }

    #[test]
    fn old_future_missing_and_malformed_data_are_refused() {
        assert_eq!(
            validate(&signed(NOW - 3_601), TOKEN, NOW, 3_600),
            Err(InitDataError::Expired)
        );
        assert!(validate(&signed(NOW - 3_600), TOKEN, NOW, 3_600).is_ok());
        assert_eq!(
            validate(&signed(NOW + 3_600), TOKEN, NOW, 3_600),
            Err(InitDataError::Expired)
        );
        assert_eq!(validate("", TOKEN, NOW, 3_600), Err(InitDataError::Missing));
        let no_hash = signed(NOW)
            .split('&')
            .filter(|p| !p.starts_with("hash="))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            validate(&no_hash, TOKEN, NOW, 3_600),
            Err(InitDataError::NoHash)
        );
        let doubled = format!("{}&auth_date={NOW}", signed(NOW));
        assert_eq!(
            validate(&doubled, TOKEN, NOW, 3_600),
            Err(InitDataError::Malformed)
        );
        let no_user = sign(&[("auth_date", &NOW.to_string())], TOKEN);
        assert_eq!(
            validate(&no_user, TOKEN, NOW, 3_600),
            Err(InitDataError::NoUser)
        );
        let no_date = sign(&[("user", r#"{"id":1}"#)], TOKEN);
        assert_eq!(
            validate(&no_date, TOKEN, NOW, 3_600),
            Err(InitDataError::NoAuthDate)
        );
        assert_eq!(
            validate(&signed(NOW), "", NOW, 3_600),
            Err(InitDataError::Malformed)
        );
    }
}
