//! What the client Mini App reads: the client behind a Telegram id, current promotions, approved services and the
//! client's own history. Read-only: the Mini App writes nothing, least of all the ledger.
//!
//! Every query about a client takes the client's id, which the HTTP layer found from the Telegram user id of
//! validated `initData`; nothing here accepts an id that came from a request.

use fsm::{ClientId, Lang};
use tokio_postgres::types::ToSql;

use super::read_row;

/// Promotions listed at most (the home screen shows the first three).
pub const PROMOTIONS_MAX: i64 = 50;
/// Services listed at most.
pub const SERVICES_MAX: i64 = 200;

/// The client who opened the Mini App.
#[derive(Debug, Clone)]
pub struct MiniAppClient {
    pub id: ClientId,
    pub first_name: Option<String>,
    /// E.164, if shared (or enrolled by a partner).
    pub phone: Option<String>,
    pub member_code: String,
    /// Points in the wallet (0 before the first operation).
    pub balance: i64,
    /// The language of the client's texts: the `/language` choice, else Telegram's latest `language_code`.
    pub lang: Lang,
    /// Registration time, Unix seconds.
    pub created_at_unix_s: i64,
    /// Company name of the partner whose link brought the client, if any.
    pub referred_by: Option<String>,
}

/// The registered client with Telegram id `telegram_id`, if any.
pub async fn client_by_telegram(
    db: &deadpool_postgres::Client,
    telegram_id: i64,
) -> Result<Option<MiniAppClient>, tokio_postgres::Error> {
    let row = read_row(
        db,
        "SELECT c.id, c.first_name, c.phone, c.member_code, COALESCE(a.balance, 0),
                COALESCE(c.language_override, c.language), floor(extract(epoch FROM c.created_at))::bigint,
                p.company_name
         FROM clients c
         LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id
         LEFT JOIN partners p ON p.id = c.referred_by
         WHERE c.telegram_id = $1",
        &[&telegram_id],
    )
    .await?;
    Ok(row.map(|row| MiniAppClient {
        id: ClientId(row.get(0)),
        first_name: row.get(1),
        phone: row.get(2),
        member_code: row.get(3),
        balance: row.get(4),
        lang: Lang::parse(row.get::<_, &str>(5)).unwrap_or_default(),
        created_at_unix_s: row.get(6),
        referred_by: row.get(7),
    }))
}

/// A promotion running today.
#[derive(Debug, Clone)]
pub struct PromotionRow {
    pub id: i64,
    pub partner: String,
    pub title: String,
    pub description: String,
    pub discount_text: String,
    /// The last day, `YYYY-MM-DD` (inclusive, in the network time zone).
    pub ends_on: String,
}

/// Promotions of approved partners with `starts_on <= today <= ends_on` (`today` is `YYYY-MM-DD` in the network
/// time zone): first those of the partners the client has dealt with (referred by, or an operation with them),
/// then the ones ending soonest.
pub async fn current_promotions(
    db: &deadpool_postgres::Client,
    client: ClientId,
    today: &str,
    limit: i64,
) -> Result<Vec<PromotionRow>, tokio_postgres::Error> {
    let statement = db
        .prepare_cached(
            "SELECT pr.id, p.company_name, pr.title, pr.description, pr.discount_text, pr.ends_on::text,
                    (p.id = c.referred_by OR EXISTS (
                        SELECT 1 FROM operations o WHERE o.client_id = c.id AND o.partner_id = p.id)) AS dealt
             FROM promotions pr
             JOIN partners p ON p.id = pr.partner_id AND p.status = 'approved'
             CROSS JOIN clients c
             WHERE c.id = $1 AND pr.starts_on <= $2::text::date AND pr.ends_on >= $2::text::date
             ORDER BY dealt DESC, pr.ends_on, pr.id
             LIMIT $3",
        )
        .await?;
    let rows = db
        .query(&statement, &[&client.0, &today, &limit.min(PROMOTIONS_MAX)])
        .await?;
    Ok(rows
        .iter()
        .map(|row| PromotionRow {
            id: row.get(0),
            partner: row.get(1),
            title: row.get(2),
            description: row.get(3),
            discount_text: row.get(4),
            ends_on: row.get(5),
        })
        .collect())
}

/// A service clients may take for points.
#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub id: i64,
    pub partner: String,
    pub title: String,
    pub description: String,
    pub price_points: i64,
}

/// Approved, not deleted services of approved partners, cheapest first.
pub async fn approved_services(
    db: &deadpool_postgres::Client,
) -> Result<Vec<ServiceRow>, tokio_postgres::Error> {
    let statement = db
        .prepare_cached(
            "SELECT s.id, p.company_name, s.title, s.description, s.price_points
             FROM services s JOIN partners p ON p.id = s.partner_id AND p.status = 'approved'
             WHERE s.status = 'approved' AND s.deleted_at IS NULL
             ORDER BY s.price_points, s.id
             LIMIT $1",
        )
        .await?;
    let rows = db.query(&statement, &[&SERVICES_MAX]).await?;
    Ok(rows
        .iter()
        .map(|row| ServiceRow {
            id: row.get(0),
            partner: row.get(1),
            title: row.get(2),
            description: row.get(3),
            price_points: row.get(4),
        })
        .collect())
}

/// Which operations the history shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryFilter {
    /// Everything, reversals included.
    All,
    Accrual,
    Redemption,
    /// Welcome bonuses.
    Bonus,
}

impl HistoryFilter {
    /// From the API's `type` parameter: `all` (or absent), `accrual`, `redemption`, `bonus`.
    pub fn parse(s: Option<&str>) -> Option<HistoryFilter> {
        match s.unwrap_or("all") {
            "all" => Some(Self::All),
            "accrual" => Some(Self::Accrual),
            "redemption" => Some(Self::Redemption),
            "bonus" => Some(Self::Bonus),
            _ => None,
        }
    }

    /// The `operations.kind` it keeps; None keeps every kind.
    fn kind(self) -> Option<&'static str> {
        match self {
            Self::All => None,
            Self::Accrual => Some("accrual"),
            Self::Redemption => Some("redemption"),
            Self::Bonus => Some("welcome_bonus"),
        }
    }
}

/// One operation of the client's history.
#[derive(Debug, Clone)]
pub struct OperationRow {
    pub id: i64,
    /// `accrual`, `redemption`, `welcome_bonus` or `reversal`.
    pub kind: String,
    /// What it did to the wallet: positive in, negative out (a reversal goes the other way of its original).
    pub points: i64,
    /// The partner's company name (none for a welcome bonus).
    pub partner: Option<String>,
    pub receipt_kopecks: Option<i64>,
    /// Unix seconds.
    pub created_at_unix_s: i64,
}

/// The client's operations under `filter`, newest first, older than operation `before` when given (keyset paging:
/// a page never repeats or skips an operation booked meanwhile). The sign comes from the journal entry: points
/// credited to the client's wallet came in.
pub async fn history_page(
    db: &deadpool_postgres::Client,
    client: ClientId,
    filter: HistoryFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<OperationRow>, tokio_postgres::Error> {
    let statement = db
        .prepare_cached(
            "SELECT o.id, o.kind,
                    CASE WHEN je.credit_account_id = w.id THEN o.points ELSE -o.points END,
                    p.company_name, o.receipt_kopecks, floor(extract(epoch FROM o.created_at))::bigint
             FROM operations o
             JOIN journal_entries je ON je.operation_id = o.id
             LEFT JOIN accounts w ON w.kind = 'client_wallet' AND w.client_id = o.client_id
             LEFT JOIN partners p ON p.id = o.partner_id
             WHERE o.client_id = $1 AND ($2::text IS NULL OR o.kind = $2) AND ($3::bigint IS NULL OR o.id < $3)
             ORDER BY o.id DESC
             LIMIT $4",
        )
        .await?;
    let params: [&(dyn ToSql + Sync); 4] = [&client.0, &filter.kind(), &before, &limit];
    let rows = db.query(&statement, &params).await?;
    Ok(rows
        .iter()
        .map(|row| OperationRow {
            id: row.get(0),
            kind: row.get(1),
            points: row.get(2),
            partner: row.get(3),
            receipt_kopecks: row.get(4),
            created_at_unix_s: row.get(5),
        })
        .collect())
}

/// Totals of the client's operations under a filter, over all pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryTotals {
    /// Points that came into the wallet.
    pub points_in: i64,
    /// Points that went out (positive).
    pub points_out: i64,
    pub count: i64,
}

/// The totals of [`history_page`]'s operations under `filter`, all pages together.
pub async fn history_totals(
    db: &deadpool_postgres::Client,
    client: ClientId,
    filter: HistoryFilter,
) -> Result<HistoryTotals, tokio_postgres::Error> {
    let row = read_row(
        db,
        "SELECT COALESCE(sum(o.points) FILTER (WHERE je.credit_account_id = w.id), 0)::bigint,
                COALESCE(sum(o.points) FILTER (WHERE je.credit_account_id <> w.id), 0)::bigint,
                count(*)
         FROM operations o
         JOIN journal_entries je ON je.operation_id = o.id
         JOIN accounts w ON w.kind = 'client_wallet' AND w.client_id = o.client_id
         WHERE o.client_id = $1 AND ($2::text IS NULL OR o.kind = $2)",
        &[&client.0, &filter.kind()],
    )
    .await?;
    Ok(
        row.map_or_else(HistoryTotals::default, |row| HistoryTotals {
            points_in: row.get(0),
            points_out: row.get(1),
            count: row.get(2),
        }),
    )
}
