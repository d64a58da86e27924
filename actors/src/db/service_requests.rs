//! A client's request of a service for points (issue 14): a `redemption_requests` row with `service_id` set, created
//! by the client's own tap (their consent) and decided by the partner. The approval path is the one of
//! `redemptions.rs` (claim, ledger under the request's key, finish), so a double tap or two replicas redeem once.

use fsm::{ClientId, Lang, PartnerId};
use tokio_postgres::GenericClient;

/// A service the client may request now: approved, not deleted, its partner approved.
#[derive(Debug, Clone)]
pub struct Requestable {
    pub service: i64,
    pub partner: PartnerId,
    pub company: String,
    pub title: String,
    pub price: i64,
    pub partner_chat: i64,
    pub partner_lang: Lang,
    /// The client behind the Telegram id, their wallet and member code.
    pub client: ClientId,
    pub balance: i64,
    pub member_code: String,
}

/// Service `service` as the client with Telegram id `telegram_id` may request it; `None` when the service is not
/// approved, deleted, its partner not approved, or the sender is no client.
pub async fn requestable(
    db: &impl GenericClient,
    service: i64,
    telegram_id: i64,
) -> Result<Option<Requestable>, tokio_postgres::Error> {
    let row = db
        .query_opt(
            "SELECT s.id, p.id, p.company_name, s.title, s.price_points, p.telegram_id,
                    COALESCE(p.language_override, p.language), c.id, COALESCE(a.balance, 0), c.member_code
             FROM services s JOIN partners p ON p.id = s.partner_id AND p.status = 'approved'
             CROSS JOIN clients c
             LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id
             WHERE s.id = $1 AND s.status = 'approved' AND s.deleted_at IS NULL AND c.telegram_id = $2",
            &[&service, &telegram_id],
        )
        .await?;
    Ok(row.map(|r| Requestable {
        service: r.get(0),
        partner: PartnerId(r.get(1)),
        company: r.get(2),
        title: r.get(3),
        price: r.get(4),
        partner_chat: r.get(5),
        partner_lang: Lang::parse(r.get::<_, &str>(6)).unwrap_or_default(),
        client: ClientId(r.get(7)),
        balance: r.get(8),
        member_code: r.get(9),
    }))
}

/// Creates the pending request named `key` (`service:<draft>`) for `s`, expiring `ttl_s` seconds from now. Returns
/// its id and whether this call created it (a repeated tap finds the first).
pub async fn create(
    db: &impl GenericClient,
    key: &str,
    s: &Requestable,
    ttl_s: u64,
) -> Result<(i64, bool), tokio_postgres::Error> {
    let inserted = db
        .query_opt(
            "INSERT INTO redemption_requests
                 (client_id, partner_id, service_id, points, idempotency_key, expires_at)
             VALUES ($1, $2, $3, $4, $5, now() + $6::float8 * interval '1 second')
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING id",
            &[
                &s.client.0,
                &s.partner.0,
                &s.service,
                &s.price,
                &key,
                &(ttl_s as f64),
            ],
        )
        .await?;
    if let Some(row) = inserted {
        return Ok((row.get(0), true));
    }
    let row = db
        .query_one(
            "SELECT id FROM redemption_requests WHERE idempotency_key = $1",
            &[&key],
        )
        .await?;
    Ok((row.get(0), false))
}

/// A request found by its key.
#[derive(Debug, Clone)]
pub struct Made {
    pub request: i64,
    /// None for a partner's redemption request (not a service's).
    pub service: Option<i64>,
    pub company: String,
    pub title: String,
    pub points: i64,
}

/// The request named `key`, if it exists.
pub async fn by_key(
    db: &impl GenericClient,
    key: &str,
) -> Result<Option<Made>, tokio_postgres::Error> {
    let row = db
        .query_opt(
            "SELECT r.id, r.service_id, p.company_name, COALESCE(s.title, ''), r.points
             FROM redemption_requests r JOIN partners p ON p.id = r.partner_id
             LEFT JOIN services s ON s.id = r.service_id WHERE r.idempotency_key = $1",
            &[&key],
        )
        .await?;
    Ok(row.map(|r| Made {
        request: r.get(0),
        service: r.get(1),
        company: r.get(2),
        title: r.get(3),
        points: r.get(4),
    }))
}

/// Whether `client` has a request of `service` waiting for the partner (pending, not yet expired) under another key
/// than `key`: the request of this very key (a concurrent double tap that committed first) is no obstacle, the
/// insert finds it.
pub async fn pending(
    db: &impl GenericClient,
    client: ClientId,
    service: i64,
    key: &str,
) -> Result<bool, tokio_postgres::Error> {
    let row = db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM redemption_requests
                 WHERE client_id = $1 AND service_id = $2 AND status = 'pending' AND expires_at > now()
                     AND idempotency_key <> $3)",
            &[&client.0, &service, &key],
        )
        .await?;
    Ok(row.get(0))
}

/// What the partner's decision needs besides `redemptions::load`: the service title, the client's language, and
/// whether the service is still offered (approved, not deleted).
pub async fn details(
    db: &impl GenericClient,
    request: i64,
) -> Result<Option<(String, Lang, bool)>, tokio_postgres::Error> {
    let row = db
        .query_opt(
            "SELECT s.title, COALESCE(c.language_override, c.language),
                    s.status = 'approved' AND s.deleted_at IS NULL
             FROM redemption_requests r JOIN services s ON s.id = r.service_id
             JOIN clients c ON c.id = r.client_id WHERE r.id = $1",
            &[&request],
        )
        .await?;
    Ok(row.map(|r| {
        (
            r.get(0),
            Lang::parse(r.get::<_, &str>(1)).unwrap_or_default(),
            r.get(2),
        )
    }))
}
