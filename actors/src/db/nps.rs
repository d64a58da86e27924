//! NPS ratings (SPEC §5): one per operation (`nps_ratings.operation_id` is unique), for the partner of that
//! operation as the `operations` row names it — never from a button or a process's memory (prototype defect D9).

use tokio_postgres::GenericClient;

/// What rating an operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rated {
    Stored,
    /// The operation has its rating already.
    Already,
    /// No accrual or redemption with this id belongs to the client with this Telegram id.
    NotTheirs,
}

/// Stores `rating` (0..=10) for `operation` when it is an accrual or redemption of the client with Telegram id
/// `telegram_id`.
pub async fn rate(
    db: &impl GenericClient,
    operation: i64,
    telegram_id: i64,
    rating: u8,
) -> Result<Rated, tokio_postgres::Error> {
    let rating = i16::from(rating.min(10));
    let stored = db
        .execute(
            "INSERT INTO nps_ratings (operation_id, client_id, partner_id, rating)
             SELECT o.id, o.client_id, o.partner_id, $3 FROM operations o JOIN clients c ON c.id = o.client_id
             WHERE o.id = $1 AND c.telegram_id = $2 AND o.kind IN ('accrual', 'redemption')
                 AND o.partner_id IS NOT NULL
             ON CONFLICT (operation_id) DO NOTHING",
            &[&operation, &telegram_id, &rating],
        )
        .await?;
    if stored > 0 {
        return Ok(Rated::Stored);
    }
    let theirs = db
        .query_opt(
            "SELECT 1 FROM operations o JOIN clients c ON c.id = o.client_id
             WHERE o.id = $1 AND c.telegram_id = $2 AND o.kind IN ('accrual', 'redemption')",
            &[&operation, &telegram_id],
        )
        .await?;
    Ok(if theirs.is_some() {
        Rated::Already
    } else {
        Rated::NotTheirs
    })
}
