//! Conversation state in Redis: one hash per chat (`{ns}fsm:v1:{bot}:{chat}` with fields `v` version and `s` state
//! JSON) and one dedup key per processed update (`{ns}upd:v1:{bot}:{update_id}`), both with a TTL.
//!
//! A transition is written only by [`SessionStore::commit`], a Lua script that checks, atomically, that the update
//! was not processed already and that the version is the one the step started from; it then writes the new state,
//! bumps the version and marks the update processed. So two replicas handling the same chat can never lose a
//! transition, and an update is marked processed exactly when its transition is stored — never before (a crash in
//! between leaves it unprocessed, and Telegram's redelivery runs it).
//!
//! The replies of a transition are appended by the same script to the outbox streams
//! (`{ns}out:v1:{bot}:{shard}`, shard = `chat % streams_per_bot`, one field `m` holding the [`Outgoing`] as JSON):
//! stored together with the state or not at all, so a crash between the commit and the send loses no reply — the
//! outbox (in the binary) reads the streams with a consumer group and acknowledges after Telegram accepted.

use fsm::BotKind;
use redis::aio::ConnectionManager;
use redis::{self, Script};

use crate::outgoing::Outgoing;

/// Bound on an outbox stream's length (`XADD MAXLEN ~`), so a bot that cannot send for a long time does not fill
/// Redis: about 100 MB per stream at ~1 kB an entry. Entries beyond it (the oldest) are lost, unsent.
pub const OUTBOX_STREAM_MAXLEN: u64 = 100_000;

/// The outbox stream of `bot`'s shard `shard` under `namespace`.
pub fn outbox_stream_key(namespace: &str, bot: BotKind, shard: usize) -> String {
    format!("{namespace}out:v1:{}:{shard}", bot.as_str())
}

/// The shard (`0..streams`) of a chat: a chat always uses the same stream, so its replies keep their order.
pub fn outbox_shard(chat: i64, streams: usize) -> usize {
    (chat.unsigned_abs() % streams.max(1) as u64) as usize
}

/// Why a commit did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// Stored; the new version.
    Stored(u64),
    /// Another handler stored a transition first: reload and step again.
    Conflict,
    /// This update was already processed (redelivery, or another replica got it).
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("redis unavailable: {0}")]
    Unavailable(String),
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

/// A stored state: its version (0 when none) and the raw JSON, which may no longer parse after a deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub version: u64,
    pub raw: Option<String>,
}

const COMMIT_LUA: &str = r#"
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return -2 end
redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[4])
for i = 3, #KEYS do
  redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[5], '*', 'm', ARGV[i + 3])
end
return v + 1
"#;

#[derive(Clone)]
pub struct SessionStore {
    /// One multiplexed connection shared by every session (cloning it is cheap). Unlike a pool checkout, which
    /// costs an extra PING round trip, every operation here is a single round trip; the manager reconnects by
    /// itself after Redis comes back.
    conn: ConnectionManager,
    /// Prefix of every key: lets tests and several networks share one Redis.
    namespace: String,
    /// Abandoned dialogues expire after this long.
    pub state_ttl_s: u64,
    /// How long a processed update id is remembered (Telegram redelivers for up to a day).
    pub dedup_ttl_s: u64,
    /// Outbox streams per bot (at least 1); the outbox must read the same number.
    pub outbox_streams_per_bot: usize,
    commit: Script,
}

impl SessionStore {
    pub fn new(
        conn: ConnectionManager,
        namespace: impl Into<String>,
        state_ttl_s: u64,
        dedup_ttl_s: u64,
        outbox_streams_per_bot: usize,
    ) -> SessionStore {
        SessionStore {
            conn,
            namespace: namespace.into(),
            state_ttl_s,
            dedup_ttl_s,
            outbox_streams_per_bot: outbox_streams_per_bot.max(1),
            commit: Script::new(COMMIT_LUA),
        }
    }

    /// The shared Redis connection (cheap to clone), for the few keys kept beside the sessions (dashboard login
    /// tokens, `crate::dashboard_login`).
    pub fn redis(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// The prefix of every key.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn state_key(&self, bot: BotKind, chat: i64) -> String {
        format!("{}fsm:v1:{}:{chat}", self.namespace, bot.as_str())
    }

    pub fn dedup_key(&self, bot: BotKind, update_id: i64) -> String {
        format!("{}upd:v1:{}:{update_id}", self.namespace, bot.as_str())
    }

    /// The chat's state, or `None` when this update was processed already (a fast path; `commit` decides for
    /// certain). Both reads go in one round trip.
    pub async fn load_unless_seen(
        &self,
        bot: BotKind,
        chat: i64,
        update_id: i64,
    ) -> Result<Option<Loaded>, StoreError> {
        let mut conn = self.conn.clone();
        let (seen, (version, raw)): (i64, (Option<u64>, Option<String>)) = redis::pipe()
            .cmd("EXISTS")
            .arg(self.dedup_key(bot, update_id))
            .cmd("HMGET")
            .arg(self.state_key(bot, chat))
            .arg("v")
            .arg("s")
            .query_async(&mut conn)
            .await?;
        Ok((seen == 0).then(|| Loaded {
            version: version.unwrap_or(0),
            raw,
        }))
    }

    /// Marks `update_id` processed without touching the chat's state: for an update that failed permanently and
    /// was answered with an apology, so no redelivery runs it again.
    pub async fn mark_processed(&self, bot: BotKind, update_id: i64) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: Option<String> = redis::cmd("SET")
            .arg(self.dedup_key(bot, update_id))
            .arg("1")
            .arg("EX")
            .arg(self.dedup_ttl_s)
            .arg("NX")
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Appends `outgoing` to the outbox streams, in order, in one round trip: for messages no transition carries
    /// (the redemption expiry sweeper's notices, `crate::sweeper`). At least once: the caller commits its own change
    /// only after this returned.
    pub async fn append(&self, outgoing: &[Outgoing]) -> Result<(), StoreError> {
        if outgoing.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for out in outgoing {
            let shard = outbox_shard(out.chat_id, self.outbox_streams_per_bot);
            let json = serde_json::to_string(out)
                .map_err(|e| StoreError::Unavailable(format!("reply not serialisable: {e}")))?;
            pipe.cmd("XADD")
                .arg(outbox_stream_key(&self.namespace, out.bot, shard))
                .arg("MAXLEN")
                .arg("~")
                .arg(OUTBOX_STREAM_MAXLEN)
                .arg("*")
                .arg("m")
                .arg(json)
                .ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await?;
        Ok(())
    }

    /// Stores `state_json` as version `expected_version + 1` and marks `update_id` processed, unless either check
    /// fails; when it stores, `outgoing` is appended, in order, to the outbox streams in the same atomic script.
    pub async fn commit(
        &self,
        bot: BotKind,
        chat: i64,
        update_id: i64,
        expected_version: u64,
        state_json: &str,
        outgoing: &[Outgoing],
    ) -> Result<CommitOutcome, StoreError> {
        let mut conn = self.conn.clone();
        let mut invocation = self.commit.key(self.state_key(bot, chat));
        invocation
            .key(self.dedup_key(bot, update_id))
            .arg(expected_version)
            .arg(state_json)
            .arg(self.state_ttl_s)
            .arg(self.dedup_ttl_s)
            .arg(OUTBOX_STREAM_MAXLEN);
        for out in outgoing {
            let shard = outbox_shard(out.chat_id, self.outbox_streams_per_bot);
            let json = serde_json::to_string(out)
                .map_err(|e| StoreError::Unavailable(format!("reply not serialisable: {e}")))?;
            invocation
                .key(outbox_stream_key(&self.namespace, out.bot, shard))
                .arg(json);
        }
        let result: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(match result {
            -1 => CommitOutcome::Duplicate,
            -2 => CommitOutcome::Conflict,
            v => CommitOutcome::Stored(u64::try_from(v).unwrap_or(0)),
        })
    }
}
