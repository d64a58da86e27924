//! Dead letters (issue 12): an update that kept failing with a transient error is parked here after
//! `telegram.update_attempts_max` tries spread over at least `telegram.dead_letter_after_s`, so its chat and its bot
//! move on; an operator lists and replays it (`loyalty dead-letters list|replay`).
//!
//! In Redis, beside the sessions and under the same namespace:
//! - `{ns}attempts:v2:{bot}:{update_id}`: a hash of how many times the update failed transiently (`n`) and when it
//!   first did (`first_ms`, Redis's clock, so every replica measures from the same instant), with a TTL of
//!   `dedup_ttl_s`, the time Telegram may redeliver it; the counter of an update that then succeeds is left to
//!   expire (its dedup mark, of the same TTL, keeps it from being counted again);
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

/// How often an update has failed transiently, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// Failed tries so far, this one included (1 after the first failure).
    pub attempts: u64,
    /// Since the first failure, by Redis's clock.
    pub failing_for: std::time::Duration,
}

/// Counts a failure of KEYS[1] (the attempts hash) and answers {count, ms since the first failure}; ARGV[1] the TTL
/// in seconds.
const COUNT_FAILURE_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSETNX', KEYS[1], 'first_ms', now)
redis.call('EXPIRE', KEYS[1], ARGV[1])
local first = tonumber(redis.call('HGET', KEYS[1], 'first_ms'))
return {n, now - first}
";

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

    fn attempts_key(&self, bot: &str, update_id: i64) -> String {
        format!("{}attempts:v2:{bot}:{update_id}", self.namespace)
    }

    fn hash_key(&self) -> String {
        hash_key(&self.namespace)
    }

    fn field(bot: &str, update_id: i64) -> String {
        format!("{bot}:{update_id}")
    }

    /// Counts one more failed try of the update; returns the tries so far (1 after the first failure) and how long
    /// ago the first one was. One round trip (a script on one key).
    pub async fn count_failure(
        &self,
        bot: BotKind,
        update_id: i64,
    ) -> Result<Failures, StoreError> {
        let mut conn = self.conn.clone();
        let (attempts, failing_for_ms): (u64, i64) = redis::Script::new(COUNT_FAILURE_LUA)
            .key(self.attempts_key(bot.as_str(), update_id))
            .arg(self.attempts_ttl_s)
            .invoke_async(&mut conn)
            .await?;
        Ok(Failures {
            attempts,
            failing_for: std::time::Duration::from_millis(failing_for_ms.max(0) as u64),
        })
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
            .arg(self.attempts_key(&letter.bot, letter.update_id))
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
