//! Connection pools for Postgres and Redis, built from the settings.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use actors::redis_conn::{RedisClient, SharedRedis};

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
    config.options(format!("-c lock_timeout={}", settings.lock_timeout_ms));
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

/// Where Redis is, from `[redis]`: the single node at `url`, or the cluster of `cluster_urls` when any is given.
/// Errors: a URL that does not parse (the message names the setting, never the URL, which may hold a password).
pub fn redis_client(settings: &RedisSettings) -> anyhow::Result<RedisClient> {
    let cluster: Vec<String> = settings
        .cluster_urls
        .iter()
        .map(|u| u.expose().clone())
        .collect();
    RedisClient::open(settings.url.expose(), &cluster).map_err(|e| {
        let which = if cluster.is_empty() {
            "redis.url"
        } else {
            "redis.cluster_urls"
        };
        anyhow::anyhow!("invalid {which}: {:?}", e.kind())
    })
}

/// The process's shared Redis connection, made on first use (so commands that never touch Redis run without it).
/// Errors: as [`redis_client`].
pub fn redis_pool(settings: &RedisSettings) -> anyhow::Result<SharedRedis> {
    Ok(SharedRedis::new(redis_client(settings)?))
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
