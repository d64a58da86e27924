//! Start-up: builds the pools, applies migrations and starts the actors every command shares.

use actix::{Actor, Addr};
use anyhow::Context;
use std::sync::Arc;

use crate::config::Settings;
use crate::{db, migrate};
use actors::{LedgerActor, LedgerMetrics};

/// What the running product holds on to; cheap to clone into HTTP handlers.
#[derive(Clone)]
pub struct Services {
    pub settings: Arc<Settings>,
    pub pg: deadpool_postgres::Pool,
    pub redis: deadpool_redis::Pool,
    pub ledger: Addr<LedgerActor>,
    pub ledger_metrics: Arc<LedgerMetrics>,
}

impl Services {
    /// Migrates the database and starts the ledger actor on the current actix system.
    pub async fn start(settings: Settings) -> anyhow::Result<Services> {
        let mut client = db::connect(&settings.database).await?;
        let applied = migrate::migrate(&mut client)
            .await
            .context("migrating the database")?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
        let pg = db::pg_pool(&settings.database, settings.database.pool_size_max)?;
        let ledger_pg = db::pg_pool(&settings.database, settings.database.ledger_pool_size_max)?;
        let redis = db::redis_pool(&settings.redis)?;
        let actor = LedgerActor::new(ledger_pg, settings.ledger.clone());
        let ledger_metrics = actor.metrics();
        let ledger = actor.start();
        Ok(Services {
            settings: Arc::new(settings),
            pg,
            redis,
            ledger,
            ledger_metrics,
        })
    }
}
