//! Redemption requests (SPEC §2): a partner's request waits for the client's consent; the ledger moves points only
//! after the approval, under the request's own idempotency key.
//!
//! Every change of a request is one conditional `UPDATE` on its status, so two presses, two replicas or a press and
//! the expiry sweeper racing each other leave exactly one outcome:
//! - Approve first *claims* the request (`decided_at` set while it is still pending and not expired); a claimed
//!   request no longer expires or accepts Decline, and a retry after a crash finds its own claim and carries on
//!   (the ledger key makes the redemption happen once). Then `finish` moves it from pending to its outcome.
//! - Decline and expiry move an unclaimed pending request in one statement.
//! - The sweeper takes expired unclaimed requests with `FOR UPDATE SKIP LOCKED`, so each goes to one replica.

use fsm::client::consent::ConsentParty;
use fsm::text::escape;
use fsm::{ClientId, Kopecks, Lang, PartnerId, Points};
use tokio_postgres::GenericClient;

/// What creating a request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Pending (created now, or found again for the same key).
    Pending {
        request: i64,
        balance: i64,
    },
    Insufficient {
        balance: i64,
    },
    /// The client has no Telegram id: nobody can consent.
    NoTelegram,
    NoClient,
}

/// Creates the pending request named `key` (`redeem:<draft>`) unless it exists: checked against the wallet now
/// (more points than it holds: nothing is written), expiring `ttl_s` seconds from now.
pub async fn create(
    db: &impl GenericClient,
    key: &str,
    client: ClientId,
    partner: PartnerId,
    points: Points,
    receipt: Option<Kopecks>,
    ttl_s: u64,
) -> Result<Created, tokio_postgres::Error> {
    let Some(row) = db
        .query_opt(
            "SELECT c.telegram_id, COALESCE(a.balance, 0) FROM clients c
             LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id WHERE c.id = $1",
            &[&client.0],
        )
        .await?
    else {
        return Ok(Created::NoClient);
    };
    let (telegram, balance): (Option<i64>, i64) = (row.get(0), row.get(1));
    let existing = db
        .query_opt(
            "SELECT id FROM redemption_requests WHERE idempotency_key = $1",
            &[&key],
        )
        .await?;
    if let Some(existing) = existing {
        return Ok(Created::Pending {
            request: existing.get(0),
            balance,
        });
    }
    if telegram.is_none() {
        return Ok(Created::NoTelegram);
    }
    if points.get() > balance {
        return Ok(Created::Insufficient { balance });
    }
    let row = db
        .query_one(
            "WITH ins AS (
                 INSERT INTO redemption_requests
                     (client_id, partner_id, points, receipt_kopecks, idempotency_key, expires_at)
                 VALUES ($1, $2, $3, $4, $5, now() + $6::float8 * interval '1 second')
                 ON CONFLICT (idempotency_key) DO NOTHING
                 RETURNING id)
             SELECT id FROM ins UNION ALL SELECT id FROM redemption_requests WHERE idempotency_key = $5
             LIMIT 1",
            &[
                &client.0,
                &partner.0,
                &points.get(),
                &receipt.map(Kopecks::get),
                &key,
                &(ttl_s as f64),
            ],
        )
        .await?;
    Ok(Created::Pending {
        request: row.get(0),
        balance,
    })
}

/// A request as a consent press needs it.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: i64,
    pub client: ClientId,
    pub partner: PartnerId,
    /// The client's Telegram id: the only one who may answer.
    pub client_telegram: Option<i64>,
    pub points: Points,
    pub receipt: Option<Kopecks>,
    /// pending, approved, declined, expired or failed.
    pub status: String,
    /// Claimed by an approval under way.
    pub claimed: bool,
    /// The ledger's idempotency key for the approval.
    pub key: String,
    /// Who is told what.
    pub party: ConsentParty,
}

const REQUEST_SELECT: &str = "SELECT r.id, r.client_id, r.partner_id, c.telegram_id, r.points, r.receipt_kopecks, r.status,
        r.decided_at IS NOT NULL, r.idempotency_key, p.company_name, p.telegram_id,
        COALESCE(p.language_override, p.language), c.member_code
    FROM redemption_requests r JOIN clients c ON c.id = r.client_id JOIN partners p ON p.id = r.partner_id";

fn request_row(row: &tokio_postgres::Row) -> Option<RequestRow> {
    let points = Points::new(row.get(4)).ok()?;
    Some(RequestRow {
        id: row.get(0),
        client: ClientId(row.get(1)),
        partner: PartnerId(row.get(2)),
        client_telegram: row.get(3),
        points,
        receipt: row.get::<_, Option<i64>>(5).and_then(Kopecks::new),
        status: row.get(6),
        claimed: row.get(7),
        key: row.get(8),
        party: ConsentParty {
            company: escape(row.get(9)),
            partner_chat: row.get(10),
            partner_lang: Lang::parse(row.get(11)).unwrap_or_default(),
            client_label: escape(row.get(12)),
            points,
        },
    })
}

/// Request `id` with its parties, if it exists.
pub async fn load(
    db: &impl GenericClient,
    id: i64,
) -> Result<Option<RequestRow>, tokio_postgres::Error> {
    let row = db
        .query_opt(&format!("{REQUEST_SELECT} WHERE r.id = $1"), &[&id])
        .await?;
    Ok(row.as_ref().and_then(request_row))
}

async fn changed(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<bool, tokio_postgres::Error> {
    Ok(db.execute(sql, params).await? > 0)
}

/// Claims a pending request for an approval: true when it is pending and either still open or already claimed
/// (a retry of the same approval).
pub async fn claim(db: &impl GenericClient, id: i64) -> Result<bool, tokio_postgres::Error> {
    changed(
        db,
        "UPDATE redemption_requests SET decided_at = COALESCE(decided_at, now())
         WHERE id = $1 AND status = 'pending' AND (decided_at IS NOT NULL OR expires_at > now())",
        &[&id],
    )
    .await
}

/// Moves a pending request to `status` (`approved` with its operation, or `failed`); true for the one caller that
/// did it.
pub async fn finish(
    db: &impl GenericClient,
    id: i64,
    status: &str,
    operation: Option<i64>,
) -> Result<bool, tokio_postgres::Error> {
    changed(
        db,
        "UPDATE redemption_requests SET status = $2, operation_id = $3, decided_at = COALESCE(decided_at, now())
         WHERE id = $1 AND status = 'pending'",
        &[&id, &status, &operation],
    )
    .await
}

/// Declines an open, unclaimed request; true when this call did it.
pub async fn decline(db: &impl GenericClient, id: i64) -> Result<bool, tokio_postgres::Error> {
    changed(
        db,
        "UPDATE redemption_requests SET status = 'declined', decided_at = now()
         WHERE id = $1 AND status = 'pending' AND decided_at IS NULL AND expires_at > now()",
        &[&id],
    )
    .await
}

/// Marks an unclaimed request past its `expires_at` expired; true when this call did it.
pub async fn expire(db: &impl GenericClient, id: i64) -> Result<bool, tokio_postgres::Error> {
    changed(
        db,
        "UPDATE redemption_requests SET status = 'expired', decided_at = now()
         WHERE id = $1 AND status = 'pending' AND decided_at IS NULL AND expires_at <= now()",
        &[&id],
    )
    .await
}

/// Remembers `message_id`, the consent request message of request `id` as sent to the client, for the expiry to
/// edit. Only the first id is kept: an outbox that sent the message twice (at least once) edits the first.
pub async fn set_consent_message(
    db: &impl GenericClient,
    id: i64,
    message_id: i32,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "UPDATE redemption_requests SET consent_message_id = $2 WHERE id = $1 AND consent_message_id IS NULL",
        &[&id, &message_id],
    )
    .await
    .map(drop)
}

/// An expired request the sweeper marked, with whom to tell.
#[derive(Debug, Clone)]
pub struct Swept {
    pub client_chat: Option<i64>,
    /// The client's consent request message, when its id was recorded: edited to the outcome.
    pub consent_message: Option<i32>,
    pub client_lang: Lang,
    pub party: ConsentParty,
}

/// Marks up to `limit` unclaimed pending requests past their `expires_at` expired and returns them. Run it in a
/// transaction and commit after the notices are queued: rows locked by another replica's sweep are skipped, so each
/// request is swept (and announced) by one replica.
pub async fn sweep(
    db: &impl GenericClient,
    limit: i64,
) -> Result<Vec<Swept>, tokio_postgres::Error> {
    let rows = db
        .query(
            "WITH due AS (
                 SELECT id FROM redemption_requests
                 WHERE status = 'pending' AND decided_at IS NULL AND expires_at <= now()
                 ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED),
             done AS (
                 UPDATE redemption_requests r SET status = 'expired', decided_at = now()
                 FROM due WHERE r.id = due.id RETURNING r.id)
             SELECT r.id, r.client_id, r.partner_id, c.telegram_id, r.points, r.receipt_kopecks, 'expired',
                 true, r.idempotency_key, p.company_name, p.telegram_id,
                 COALESCE(p.language_override, p.language), c.member_code,
                 COALESCE(c.language_override, c.language), r.consent_message_id
             FROM done JOIN redemption_requests r ON r.id = done.id
             JOIN clients c ON c.id = r.client_id JOIN partners p ON p.id = r.partner_id",
            &[&limit],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let req = request_row(row)?;
            Some(Swept {
                client_chat: req.client_telegram,
                consent_message: row.get(14),
                client_lang: Lang::parse(row.get(13)).unwrap_or_default(),
                party: req.party,
            })
        })
        .collect())
}
