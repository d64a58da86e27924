//! The client bot's `/history` pages (issue 14): keyset pages of the client's operations in both directions, with
//! the sign from the journal (points credited to the client's wallet came in). The Mini App pages only backwards
//! (`miniapp::history_page`); the bot's «Newer» button needs the other direction too.

use fsm::ClientId;
use fsm::callback::HistoryCursor;

use super::miniapp::OperationRow;

/// The select list and joins both directions share (a literal, so each statement is a constant).
macro_rules! select {
    () => {
        "SELECT o.id, o.kind,
                CASE WHEN je.credit_account_id = w.id THEN o.points ELSE -o.points END,
                p.company_name, o.receipt_kopecks, floor(extract(epoch FROM o.created_at))::bigint
         FROM operations o
         JOIN journal_entries je ON je.operation_id = o.id
         LEFT JOIN accounts w ON w.kind = 'client_wallet' AND w.client_id = o.client_id
         LEFT JOIN partners p ON p.id = o.partner_id
         WHERE o.client_id = $1 "
    };
}

/// A page of at most `limit` operations of `client`, newest first, at `cursor` (`None`: the newest), and whether
/// operations exist beyond it in each direction: `(rows, older_exist, newer_exist)`.
pub async fn page(
    db: &deadpool_postgres::Client,
    client: ClientId,
    cursor: Option<HistoryCursor>,
    limit: i64,
) -> Result<(Vec<OperationRow>, bool, bool), tokio_postgres::Error> {
    const LATEST: &str = concat!(select!(), "ORDER BY o.id DESC LIMIT $2");
    const BEFORE: &str = concat!(select!(), "AND o.id < $3 ORDER BY o.id DESC LIMIT $2");
    const AFTER: &str = concat!(select!(), "AND o.id > $3 ORDER BY o.id ASC LIMIT $2");
    let rows = match cursor {
        None => {
            db.query(&db.prepare_cached(LATEST).await?, &[&client.0, &limit])
                .await?
        }
        Some(HistoryCursor::Before(id)) => {
            db.query(&db.prepare_cached(BEFORE).await?, &[&client.0, &limit, &id])
                .await?
        }
        Some(HistoryCursor::After(id)) => {
            db.query(&db.prepare_cached(AFTER).await?, &[&client.0, &limit, &id])
                .await?
        }
    };
    let mut rows: Vec<OperationRow> = rows
        .iter()
        .map(|row| OperationRow {
            id: row.get(0),
            kind: row.get(1),
            points: row.get(2),
            partner: row.get(3),
            receipt_kopecks: row.get(4),
            created_at_unix_s: row.get(5),
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    let (Some(newest), Some(oldest)) = (rows.first().map(|r| r.id), rows.last().map(|r| r.id))
    else {
        return Ok((rows, false, false));
    };
    let beyond = db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM operations WHERE client_id = $1 AND id < $2),
                    EXISTS (SELECT 1 FROM operations WHERE client_id = $1 AND id > $3)",
            &[&client.0, &oldest, &newest],
        )
        .await?;
    Ok((rows, beyond.get(0), beyond.get(1)))
}

/// Whether operation `operation` is `client`'s: a history button's cursor must be.
pub async fn owns(
    db: &deadpool_postgres::Client,
    client: ClientId,
    operation: i64,
) -> Result<bool, tokio_postgres::Error> {
    let row = db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM operations WHERE id = $1 AND client_id = $2)",
            &[&operation, &client.0],
        )
        .await?;
    Ok(row.get(0))
}
