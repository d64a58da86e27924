//! The partners and clients tables of the admins' web dashboard (SPEC §8): a search over names, phones and member
//! codes, pages, and the same rows for the CSV export. Read-only.
//!
//! A search is a case-insensitive substring of the company or contact name (partners), the first name (clients),
//! the phone (its digits, so "+7 999" and "7999" both find "+79990001122") or the member code. The pattern is a
//! bind parameter with `%`, `_` and `\` escaped, never SQL text.

use std::time::SystemTime;

use serde::Serialize;
use tokio_postgres::GenericClient;

/// A partner row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerRow {
    pub id: i64,
    pub company: String,
    pub contact: String,
    /// E.164.
    pub phone: Option<String>,
    pub city: Option<String>,
    pub category: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Basis points: 500 = 5 %.
    pub cashback_bp: i32,
    /// Clients the partner referred (link or enrolment).
    pub clients: i64,
    /// Accrual receipts of all time, kopecks.
    pub turnover_kopecks: i64,
    /// Accruals and redemptions of all time.
    pub operations: i64,
    #[serde(skip)]
    pub created_at: SystemTime,
}

/// A client row (retired rows of a claim left out: they are a part of another row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientRow {
    pub id: i64,
    pub member_code: String,
    pub first_name: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub phone_verified: bool,
    /// Whether a Telegram user holds the record (false: enrolled by a partner by phone, not claimed yet).
    pub in_telegram: bool,
    /// The referring partner's company.
    pub referred_by: Option<String>,
    /// The wallet's balance, points.
    pub balance: i64,
    #[serde(skip)]
    pub created_at: SystemTime,
}

/// One page of a table and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// `search` as an `ILIKE` substring pattern (empty: everything), and its digits alone for phones (None when it has
/// none, so a name search does not match every phone).
fn patterns(search: &str) -> (String, Option<String>) {
    let mut like = String::from("%");
    for c in search.trim().chars() {
        if matches!(c, '%' | '_' | '\\') {
            like.push('\\');
        }
        like.push(c);
    }
    like.push('%');
    let digits: String = search.chars().filter(char::is_ascii_digit).collect();
    let phone = (!digits.is_empty()).then(|| format!("%{digits}%"));
    (like, phone)
}

/// A table's search: how many rows of `table` (its name and alias) `matcher` keeps, and the page `select` (which
/// filters by `matcher` and ends in `OFFSET $3 LIMIT $4`) returns, each made a `T` by `row`. `place` is the search,
/// the offset and the limit. `$1` is the name pattern, `$2` the phone digits' pattern.
async fn search_page<T>(
    db: &impl GenericClient,
    (search, offset, limit): (&str, i64, i64),
    table: &str,
    matcher: &str,
    select: &str,
    row: impl Fn(&tokio_postgres::Row) -> T,
) -> Result<Page<T>, tokio_postgres::Error> {
    let (like, phone) = patterns(search);
    let total: i64 = db
        .query_one(
            &format!("SELECT count(*) FROM {table} WHERE {matcher}"),
            &[&like, &phone],
        )
        .await?
        .get(0);
    let rows = db
        .query(select, &[&like, &phone, &offset.max(0), &limit.max(0)])
        .await?;
    Ok(Page {
        total,
        rows: rows.iter().map(row).collect(),
    })
}

/// Partners matching `search`, by company name, `limit` from `offset`.
pub async fn partners(
    db: &impl GenericClient,
    search: &str,
    offset: i64,
    limit: i64,
) -> Result<Page<PartnerRow>, tokio_postgres::Error> {
    const MATCH: &str = "(p.company_name ILIKE $1 OR p.contact_name ILIKE $1 OR p.phone LIKE $2)";
    let select = format!(
        "SELECT p.id, p.company_name, p.contact_name, p.phone, p.city, p.category, p.status, p.cashback_bp,
                (SELECT count(*) FROM clients c WHERE c.referred_by = p.id AND c.merged_into IS NULL),
                COALESCE(o.turnover, 0), COALESCE(o.operations, 0), p.created_at
         FROM partners p
         LEFT JOIN LATERAL (
             SELECT sum(receipt_kopecks) FILTER (WHERE kind = 'accrual')::bigint AS turnover,
                    count(*) AS operations
             FROM operations x WHERE x.partner_id = p.id AND x.kind IN ('accrual', 'redemption')
               AND NOT EXISTS (SELECT 1 FROM operations r WHERE r.reverses_operation_id = x.id)) o ON true
         WHERE {MATCH}
         ORDER BY p.company_name, p.id OFFSET $3 LIMIT $4");
    let place = (search, offset, limit);
    search_page(db, place, "partners p", MATCH, &select, |r| PartnerRow {
        id: r.get(0),
        company: r.get(1),
        contact: r.get(2),
        phone: r.get(3),
        city: r.get(4),
        category: r.get(5),
        status: r.get(6),
        cashback_bp: r.get(7),
        clients: r.get(8),
        turnover_kopecks: r.get(9),
        operations: r.get(10),
        created_at: r.get(11),
    })
    .await
}

/// Clients matching `search` (name, phone, member code), newest first, `limit` from `offset`.
pub async fn clients(
    db: &impl GenericClient,
    search: &str,
    offset: i64,
    limit: i64,
) -> Result<Page<ClientRow>, tokio_postgres::Error> {
    const MATCH: &str = "c.merged_into IS NULL
        AND (c.first_name ILIKE $1 OR c.member_code ILIKE $1 OR c.phone LIKE $2)";
    let select = format!(
        "SELECT c.id, c.member_code, c.first_name, c.phone, c.phone_verified, c.telegram_id IS NOT NULL,
                p.company_name, COALESCE(a.balance, 0), c.created_at
         FROM clients c
         LEFT JOIN partners p ON p.id = c.referred_by
         LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id
         WHERE {MATCH}
         ORDER BY c.created_at DESC, c.id DESC OFFSET $3 LIMIT $4");
    let place = (search, offset, limit);
    search_page(db, place, "clients c", MATCH, &select, |r| ClientRow {
        id: r.get(0),
        member_code: r.get(1),
        first_name: r.get(2),
        phone: r.get(3),
        phone_verified: r.get(4),
        in_telegram: r.get(5),
        referred_by: r.get(6),
        balance: r.get(7),
        created_at: r.get(8),
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::patterns;

    #[test]
    fn a_search_is_a_literal_substring_and_its_digits_search_phones() {
        assert_eq!(
            patterns(" 50%_off\\ "),
            (r"%50\%\_off\\%".into(), Some("%50%".into()))
        );
        assert_eq!(patterns("Зерно"), ("%Зерно%".into(), None));
        assert_eq!(
            patterns("+7 999"),
            ("%+7 999%".into(), Some("%7999%".into()))
        );
    }
}
