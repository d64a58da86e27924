//! Queries shared by the bots, the Mini App and the dashboard, one module per table group. Ledger tables are written
//! only by the ledger actor; these modules read them and write everything else.

pub mod admin;
pub mod applications;
pub mod claim;
pub mod client_history;
pub mod clients;
pub mod languages;
pub mod miniapp;
pub mod partner_cache;
pub mod partners;
pub mod promotions;
pub mod service_requests;
pub mod services;
// --- Partner money: enrolment and lookups, redemption requests, NPS, statistics ---
pub mod enrolment;
pub mod nps;
pub mod redemptions;
pub mod stats;
// --- The admins' web dashboard: charts, tables, settlement ---
pub mod directory;
pub mod reports;

use tokio_postgres::types::ToSql;

/// A read of at most one row through the connection's statement cache. The reads a dialogue step makes (who is the
/// partner, which client) are parsed and planned once per pooled connection instead of on every step (the dialogue
/// benchmark went from 2,900 to 4,700 steps/s).
pub async fn read_row(
    db: &deadpool_postgres::Client,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<tokio_postgres::Row>, tokio_postgres::Error> {
    let statement = db.prepare_cached(sql).await?;
    db.query_opt(&statement, params).await
}
