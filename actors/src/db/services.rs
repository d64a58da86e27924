//! Services, always of one partner (the partner id comes from the server's context and is matched with the row):
//! creation pending moderation, the own list with statuses, soft deletion.

use fsm::partner::{Service, ServiceStatus};
use fsm::{PartnerId, Points};
use tokio_postgres::GenericClient;

const COLUMNS: &str = "id, title, description, price_points, status, reject_reason";

fn from_row(row: &tokio_postgres::Row) -> Option<Service> {
    let status = match row.get::<_, &str>(4) {
        "approved" => ServiceStatus::Approved,
        "rejected" => ServiceStatus::Rejected { reason: row.get(5) },
        _ => ServiceStatus::Pending,
    };
    Some(Service {
        id: row.get(0),
        title: row.get(1),
        description: row.get(2),
        price: Points::new(row.get(3)).ok()?,
        status,
    })
}

/// The partner's services not deleted, the newest first.
pub async fn list(
    db: &impl GenericClient,
    partner: PartnerId,
) -> Result<Vec<Service>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM services WHERE partner_id = $1 AND deleted_at IS NULL ORDER BY id DESC LIMIT 50"
    );
    let rows = db.query(&sql, &[&partner.0]).await?;
    Ok(rows.iter().filter_map(from_row).collect())
}

/// The partner's own service `id` (not deleted); `None` when there is none such.
pub async fn own(
    db: &impl GenericClient,
    partner: PartnerId,
    id: i64,
) -> Result<Option<Service>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM services WHERE id = $1 AND partner_id = $2 AND deleted_at IS NULL"
    );
    let row = db.query_opt(&sql, &[&id, &partner.0]).await?;
    Ok(row.as_ref().and_then(from_row))
}

/// Creates the service pending moderation, once per `draft`; returns its id (the existing one on a second call).
pub async fn create(
    db: &impl GenericClient,
    partner: PartnerId,
    draft: &str,
    title: &str,
    description: &str,
    price: Points,
) -> Result<i64, tokio_postgres::Error> {
    let row = db
        .query_one(
            "WITH new AS (
                INSERT INTO services (partner_id, title, description, price_points, draft)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (draft) DO NOTHING RETURNING id)
             SELECT id FROM new UNION ALL SELECT id FROM services WHERE draft = $5 LIMIT 1",
            &[&partner.0, &title, &description, &price.get(), &draft],
        )
        .await?;
    Ok(row.get(0))
}

/// Soft-deletes the partner's own service `id`; false when there is none such (or it was deleted already).
pub async fn delete(
    db: &impl GenericClient,
    partner: PartnerId,
    id: i64,
) -> Result<bool, tokio_postgres::Error> {
    let n = db
        .execute(
            "UPDATE services SET deleted_at = now() WHERE id = $1 AND partner_id = $2 AND deleted_at IS NULL",
            &[&id, &partner.0],
        )
        .await?;
    Ok(n == 1)
}
