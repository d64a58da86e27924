//! Connection pools for Postgres and Redis, built from the settings.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::config::{DatabaseSettings, RedisSettings};

/// The same server URL naming another database (`postgres://u@h:p/a` -> `postgres://u@h:p/b`).
pub fn url_with_database(url: &str, database: &str) -> String {
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    format!("{base}/{database}")
}

/// A Postgres pool of at most `size` connections.
pub fn pg_pool(settings: &DatabaseSettings, size: usize) -> anyhow::Result<Pool> {
    let mut config =
        tokio_postgres::Config::from_str(settings.url.expose()).context("invalid database.url")?;
    config.connect_timeout(Duration::from_millis(settings.connect_timeout_ms));
    config.application_name("loyalty");
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_millis(settings.connect_timeout_ms)))
        .create_timeout(Some(Duration::from_millis(settings.connect_timeout_ms)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .context("building the Postgres pool")
}

pub fn redis_pool(settings: &RedisSettings) -> anyhow::Result<deadpool_redis::Pool> {
    deadpool_redis::Config::from_url(settings.url.expose().as_str())
        .builder()
        .context("invalid redis.url")?
        .max_size(settings.pool_size_max)
        .wait_timeout(Some(Duration::from_secs(2)))
        .create_timeout(Some(Duration::from_secs(2)))
        .runtime(deadpool_redis::Runtime::Tokio1)
        .build()
        .context("building the Redis pool")
}

/// One plain connection, for the CLI's one-shot commands and migrations.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<tokio_postgres::Client> {
    let mut config =
        tokio_postgres::Config::from_str(settings.url.expose()).context("invalid database.url")?;
    config.connect_timeout(Duration::from_millis(settings.connect_timeout_ms));
    let (client, connection) = config
        .connect(NoTls)
        .await
        .context("cannot reach Postgres (is it running? `scripts/services.sh start`)")?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "postgres connection closed");
        }
    });
    Ok(client)
}
