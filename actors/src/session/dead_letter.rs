//! Dead letters (issue 12): an update that kept failing with a transient error is parked here after
//! `telegram.update_attempts_max` tries, so its chat and its bot move on; an operator lists and replays it
//! (`loyalty dead-letters list|replay`).
//!
//! In Redis, beside the sessions and under the same namespace:
//! - `{ns}attempts:v1:{bot}:{update_id}`: how many times the update failed transiently (a counter with a TTL of
//!   `dedup_ttl_s`, the time Telegram may redeliver it);
//! - `{ns}dead:v1`: one hash for the whole network, field `{bot}:{update_id}`, value a [`DeadLetter`] as JSON.
//!
//! Redis rather than a Postgres table: the failures counted here include Postgres being down, and the update itself
//! is Telegram's JSON, which the product never stores in Postgres.

use fsm::BotKind;
use serde::{Deserialize, Serialize};

use super::store::StoreError;
use crate::redis_conn::Redis;

/// One parked update, as stored and as `loyalty dead-letters list` prints it (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// `partner`, `client` or `admin`.
    pub bot: String,
    /// Telegram's update id.
    pub update_id: i64,
    /// The chat it came from.
    pub chat_id: i64,
    /// How many times it failed.
    pub attempts: u64,
    /// The last error (its cause, e.g. the SQLSTATE message).
    pub error: String,
    /// When it was parked, seconds since the Unix epoch.
    pub parked_at_unix_s: u64,
    /// The update as Telegram's JSON, to run again on replay. Kept as text, not a JSON value: teloxide reads an
    /// update only when `update_id` comes before its content, and a JSON value would sort the keys.
    pub update: String,
}

/// The hash holding every dead letter of the network under `namespace` (`HLEN` of it is their number).
pub fn hash_key(namespace: &str) -> String {
    format!("{namespace}dead:v1")
}

/// The attempt counters and the dead-letter hash of one network (cheap to clone).
#[derive(Clone)]
pub struct DeadLetters {
    conn: Redis,
    namespace: String,
    /// How long an attempt counter lives (Telegram redelivers an update for up to a day).
    attempts_ttl_s: u64,
}

impl DeadLetters {
    pub fn new(conn: Redis, namespace: impl Into<String>, attempts_ttl_s: u64) -> DeadLetters {
        DeadLetters {
            conn,
            namespace: namespace.into(),
            attempts_ttl_s,
        }
    }

    fn attempts_key(&self, bot: BotKind, update_id: i64) -> String {
        format!("{}attempts:v1:{}:{update_id}", self.namespace, bot.as_str())
    }

    fn hash_key(&self) -> String {
        hash_key(&self.namespace)
    }

    fn field(bot: &str, update_id: i64) -> String {
        format!("{bot}:{update_id}")
    }

    /// Counts one more failed try of the update; returns the count so far (1 after the first failure).
    pub async fn count_failure(&self, bot: BotKind, update_id: i64) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        let (count, _): (u64, i64) = redis::pipe()
            .cmd("INCR")
            .arg(self.attempts_key(bot, update_id))
            .cmd("EXPIRE")
            .arg(self.attempts_key(bot, update_id))
            .arg(self.attempts_ttl_s)
            .query_async(&mut conn)
            .await?;
        Ok(count)
    }

    /// Forgets the update's failures (it was processed, or it is parked).
    pub async fn clear_failures(&self, bot: BotKind, update_id: i64) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::cmd("DEL")
            .arg(self.attempts_key(bot, update_id))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Parks `letter` (replacing an earlier copy of the same update) and resets its attempt counter: two round
    /// trips, as the two keys may live on different cluster nodes (a counter left behind expires by itself).
    pub async fn park(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let json = serde_json::to_string(letter)
            .map_err(|e| StoreError::Unavailable(format!("dead letter as JSON: {e}")))?;
        let mut conn = self.conn.clone();
        let _: i64 = redis::cmd("HSET")
            .arg(self.hash_key())
            .arg(Self::field(&letter.bot, letter.update_id))
            .arg(json)
            .query_async(&mut conn)
            .await?;
        let _: i64 = redis::cmd("DEL")
            .arg(format!(
                "{}attempts:v1:{}:{}",
                self.namespace, letter.bot, letter.update_id
            ))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Every parked update, oldest first. An entry that no longer parses is skipped with a warning.
    pub async fn list(&self) -> Result<Vec<DeadLetter>, StoreError> {
        let mut conn = self.conn.clone();
        let raw: Vec<String> = redis::cmd("HVALS")
            .arg(self.hash_key())
            .query_async(&mut conn)
            .await?;
        let mut letters: Vec<DeadLetter> = raw
            .iter()
            .filter_map(|json| match serde_json::from_str(json) {
                Ok(letter) => Some(letter),
                Err(e) => {
                    tracing::warn!(error = %e, "dead letters: an entry does not parse");
                    None
                }
            })
            .collect();
        letters.sort_by_key(|l| (l.parked_at_unix_s, l.update_id));
        Ok(letters)
    }

    /// Removes one parked update (after a successful replay); false when it was not there.
    pub async fn remove(&self, bot: &str, update_id: i64) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let removed: i64 = redis::cmd("HDEL")
            .arg(self.hash_key())
            .arg(Self::field(bot, update_id))
            .query_async(&mut conn)
            .await?;
        Ok(removed > 0)
    }
}
