//! One Redis connection type for a single node or a Redis Cluster (issue 17), so the session store, the outbox
//! readers, the dead letters, the limiters and the dashboard run unchanged on either.
//!
//! - [`RedisClient`]: where Redis is (one URL, or the seed URLs of a cluster); makes connections.
//! - [`Redis`]: a connection, cheap to clone, that implements [`redis::aio::ConnectionLike`] by delegating to a
//!   [`ConnectionManager`] (single node: reconnects by itself), a [`MultiplexedConnection`] (single node, a
//!   reader's dedicated connection) or a [`ClusterConnection`] (routes each command to the master of its key's hash
//!   slot, follows `MOVED`/`ASK` and refreshes the slot map after a failover).
//! - [`SharedRedis`]: the process's shared connection, made on first use, so commands that never touch Redis
//!   (`migrate`, `backup`) do not need it to be up.
//!
//! On a cluster every command of a pipeline or a Lua script must address one hash slot (redis-rs refuses a
//! pipeline across slots with `CrossSlot`; Redis refuses a script's): the key layout puts every key of one chat
//! group under one hash tag (`actors::session::store`).

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// Connect timeout of every connection: while Redis is down an update must fail fast (webhook 503), not hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Answer timeout of the shared connection (no command on it blocks).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where Redis is: a single node, or a cluster reached through any of its seed nodes (cheap to clone).
#[derive(Clone)]
pub enum RedisClient {
    /// One node (`redis.url`).
    Single(redis::Client),
    /// A Redis Cluster (`redis.cluster_urls`, any reachable subset of its nodes: the client learns the rest).
    Cluster {
        /// The seed URLs, kept to build dedicated clients with another answer timeout.
        seeds: Vec<String>,
    },
}

impl RedisClient {
    /// A single node at `url`, or, when `cluster_urls` is not empty, the cluster they belong to (`url` unused).
    /// Errors: a URL that does not parse.
    pub fn open(url: &str, cluster_urls: &[String]) -> RedisResult<RedisClient> {
        if cluster_urls.is_empty() {
            return Ok(RedisClient::Single(redis::Client::open(url)?));
        }
        // Parsed now, so a typo is reported at start-up rather than at the first command.
        cluster_client(cluster_urls, RESPONSE_TIMEOUT)?;
        Ok(RedisClient::Cluster {
            seeds: cluster_urls.to_vec(),
        })
    }

    /// Whether this is a cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self, RedisClient::Cluster { .. })
    }

    /// The connection every non-blocking command shares: 1 s to connect, 2 s per answer, two retries.
    /// Errors: Redis (or every seed node) unreachable.
    pub async fn shared(&self) -> RedisResult<Redis> {
        match self {
            RedisClient::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT))
                    .set_number_of_retries(2);
                Ok(Redis::Managed(
                    client.get_connection_manager_with_config(config).await?,
                ))
            }
            RedisClient::Cluster { seeds } => Ok(Redis::Cluster(
                cluster_client(seeds, RESPONSE_TIMEOUT)?
                    .get_async_connection()
                    .await?,
            )),
        }
    }

    /// A connection of its own, for a command that blocks (`XREADGROUP ... BLOCK`): a multiplexed connection
    /// answers in order, so a blocked read would hold every command queued behind it. `response_timeout` must
    /// exceed the block. It does not reconnect by itself: make a new one after an error.
    pub async fn dedicated(&self, response_timeout: Duration) -> RedisResult<Redis> {
        match self {
            RedisClient::Single(client) => {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(response_timeout));
                Ok(Redis::Multiplexed(
                    client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                ))
            }
            RedisClient::Cluster { seeds } => Ok(Redis::Cluster(
                cluster_client(seeds, response_timeout)?
                    .get_async_connection()
                    .await?,
            )),
        }
    }
}

/// A cluster client over `seeds`: 1 s to connect, `response_timeout` per answer, a few retries (a failover's
/// `MOVED`, `TRYAGAIN` or `CLUSTERDOWN` is retried after refreshing the slot map).
fn cluster_client(seeds: &[String], response_timeout: Duration) -> RedisResult<ClusterClient> {
    ClusterClient::builder(seeds.iter().map(String::as_str))
        .connection_timeout(CONNECT_TIMEOUT)
        .response_timeout(response_timeout)
        .retries(4)
        .build()
}

/// A Redis connection of either kind, cheap to clone (every clone shares the same sockets).
#[derive(Clone)]
pub enum Redis {
    /// Single node, reconnecting by itself.
    Managed(ConnectionManager),
    /// Single node, one socket that does not reconnect.
    Multiplexed(MultiplexedConnection),
    /// A cluster: one socket per node, commands routed by hash slot.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Redis {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Redis::Managed(c) => c.req_packed_command(cmd),
            Redis::Multiplexed(c) => c.req_packed_command(cmd),
            Redis::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Redis::Managed(c) => c.req_packed_commands(cmd, offset, count),
            Redis::Multiplexed(c) => c.req_packed_commands(cmd, offset, count),
            Redis::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Redis::Managed(c) => c.get_db(),
            Redis::Multiplexed(c) => c.get_db(),
            Redis::Cluster(c) => c.get_db(),
        }
    }
}

/// The process's shared connection, made on first use and then kept (cheap to clone; clones share it).
#[derive(Clone)]
pub struct SharedRedis {
    client: RedisClient,
    conn: Arc<tokio::sync::OnceCell<Redis>>,
}

impl SharedRedis {
    /// Nothing is connected yet.
    pub fn new(client: RedisClient) -> SharedRedis {
        SharedRedis {
            client,
            conn: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// Where it connects.
    pub fn client(&self) -> &RedisClient {
        &self.client
    }

    /// The shared connection; the first call connects (a failed attempt is tried again by the next call).
    /// Errors: Redis unreachable on that first connection.
    pub async fn get(&self) -> RedisResult<Redis> {
        self.conn
            .get_or_try_init(|| self.client.shared())
            .await
            .cloned()
    }
}
