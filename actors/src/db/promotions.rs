//! Promotions, always of one partner: every query takes the partner id from the server's context and matches it
//! with the row, so an id from a forged button names nothing (SPEC §4, "authorization on every press").

use fsm::PartnerId;
use fsm::partner::Promo;
use jiff::civil::Date;
use tokio_postgres::GenericClient;

/// Postgres `date` ↔ jiff: the text form `YYYY-MM-DD` both read and write (no chrono in between).
fn to_sql(date: Date) -> String {
    date.to_string()
}

fn from_row(row: &tokio_postgres::Row) -> Option<Promo> {
    let date = |i: usize| row.get::<_, String>(i).parse::<Date>().ok();
    Some(Promo {
        id: row.get(0),
        title: row.get(1),
        description: row.get(2),
        discount: row.get(3),
        starts: date(4)?,
        ends: date(5)?,
    })
}

const COLUMNS: &str = "id, title, description, discount_text, starts_on::text, ends_on::text";

/// The partner's promotions, the latest ending first.
pub async fn list(
    db: &impl GenericClient,
    partner: PartnerId,
) -> Result<Vec<Promo>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM promotions WHERE partner_id = $1 ORDER BY ends_on DESC, id DESC LIMIT 50"
    );
    let rows = db.query(&sql, &[&partner.0]).await?;
    Ok(rows.iter().filter_map(from_row).collect())
}

/// The partner's own promotion `id`; `None` when it does not exist or is another partner's.
pub async fn own(
    db: &impl GenericClient,
    partner: PartnerId,
    id: i64,
) -> Result<Option<Promo>, tokio_postgres::Error> {
    let sql = format!("SELECT {COLUMNS} FROM promotions WHERE id = $1 AND partner_id = $2");
    let row = db.query_opt(&sql, &[&id, &partner.0]).await?;
    Ok(row.as_ref().and_then(from_row))
}

/// Creates the promotion once per `draft` (a second call with the same draft changes nothing).
pub async fn create(
    db: &impl GenericClient,
    partner: PartnerId,
    draft: &str,
    p: &Promo,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "INSERT INTO promotions (partner_id, title, description, discount_text, starts_on, ends_on, draft)
         VALUES ($1, $2, $3, $4, $5::text::date, $6::text::date, $7)
         ON CONFLICT (draft) DO NOTHING",
        &[&partner.0, &p.title, &p.description, &p.discount, &to_sql(p.starts), &to_sql(p.ends), &draft],
    )
    .await
    .map(drop)
}

/// Writes every field of the partner's own promotion `p.id`; false when there is none such.
pub async fn update(
    db: &impl GenericClient,
    partner: PartnerId,
    p: &Promo,
) -> Result<bool, tokio_postgres::Error> {
    let n = db
        .execute(
            "UPDATE promotions SET title = $3, description = $4, discount_text = $5,
                    starts_on = $6::text::date, ends_on = $7::text::date
             WHERE id = $1 AND partner_id = $2",
            &[
                &p.id,
                &partner.0,
                &p.title,
                &p.description,
                &p.discount,
                &to_sql(p.starts),
                &to_sql(p.ends),
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Deletes the partner's own promotion `id`; false when there is none such (or it was deleted already).
pub async fn delete(
    db: &impl GenericClient,
    partner: PartnerId,
    id: i64,
) -> Result<bool, tokio_postgres::Error> {
    let n = db
        .execute(
            "DELETE FROM promotions WHERE id = $1 AND partner_id = $2",
            &[&id, &partner.0],
        )
        .await?;
    Ok(n == 1)
}
