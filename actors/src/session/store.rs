//! Conversation state in Redis: one hash per chat (`{ns}fsm:v2:{<g>}:{bot}:{chat}` with fields `v` version and `s`
//! state JSON) and one dedup key per processed update (`{ns}upd:v2:{<g>}:{bot}:{update_id}`), both with a TTL.
//!
//! A transition is written only by [`SessionStore::commit`], a Lua script that checks, atomically, that the update
//! was not processed already and that the version is the one the step started from; it then writes the new state,
//! bumps the version and marks the update processed. So two replicas handling the same chat can never lose a
//! transition, and an update is marked processed exactly when its transition is stored — never before (a crash in
//! between leaves it unprocessed, and Telegram's redelivery runs it).
//!
//! The replies of a transition are appended by the same script to the outbox streams
//! (`{ns}out:v2:{<g>}:{bot}`, one field `m` holding the [`Outgoing`] as JSON): stored together with the state or
//! not at all, so a crash between the commit and the send loses no reply — the outbox (in the binary) reads the
//! streams with a consumer group and acknowledges after Telegram accepted.
//!
//! Redis Cluster (issue 17): `<g>` is the chat's *group*, `chat % groups` ([`chat_group`], `groups` being the
//! outbox streams per bot), written as a hash tag (`{3}`), so a chat's state, its dedup marks and its group's
//! streams all hash to one slot and the commit script touches one slot. Every reply of a commit goes to the stream
//! of the *committing* chat's group (for the bot it is sent by), also a notice to another chat or bot: the entry
//! carries its bot and chat. So a chat's own replies keep their order; a notice caused by another chat's step rides
//! that chat's stream and may overtake, or be overtaken by, the receiving chat's own replies.
//! On a single node the same layout is used (the tags are inert).

use fsm::BotKind;
use redis::{self, Script};

use crate::outgoing::Outgoing;
use crate::redis_conn::Redis;

/// Bound on an outbox stream's length (`XADD MAXLEN ~`), so a bot that cannot send for a long time does not fill
/// Redis: about 100 MB per stream at ~1 kB an entry. Entries beyond it (the oldest) are lost, unsent.
pub const OUTBOX_STREAM_MAXLEN: u64 = 100_000;

/// The outbox stream of `bot` for the chat group `group` under `namespace`: `{ns}out:v2:{<group>}:{bot}`.
pub fn outbox_stream_key(namespace: &str, bot: BotKind, group: usize) -> String {
    format!("{namespace}out:v2:{}:{}", group_tag(group), bot.as_str())
}

/// The group (`0..groups`) of a chat: its keys and the streams its commits append to share the group's hash slot,
/// and a chat always uses the same streams, so its replies keep their order.
pub fn chat_group(chat: i64, groups: usize) -> usize {
    (chat.unsigned_abs() % groups.max(1) as u64) as usize
}

/// The hash tag of a group, `{<group>}`: Redis Cluster hashes only what is between the braces.
fn group_tag(group: usize) -> String {
    format!("{{{group}}}")
}

/// The names of a chat's keys under a namespace with `groups` chat groups (the outbox streams per bot).
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    /// The prefix of every key (`sessions.redis_namespace`).
    pub namespace: &'a str,
    /// Chat groups: the outbox streams per bot (at least 1).
    pub groups: usize,
}

impl Keys<'_> {
    /// The hash of `bot`'s dialogue with `chat`: `{ns}fsm:v2:{<group>}:{bot}:{chat}`.
    pub fn state(&self, bot: BotKind, chat: i64) -> String {
        let tag = group_tag(chat_group(chat, self.groups));
        format!("{}fsm:v2:{tag}:{}:{chat}", self.namespace, bot.as_str())
    }

    /// The mark of `bot`'s update `update_id`, which came from `chat`: `{ns}upd:v2:{<group>}:{bot}:{update_id}`
    /// (in the chat's group, so the commit script can check and set it beside the state).
    pub fn dedup(&self, bot: BotKind, chat: i64, update_id: i64) -> String {
        let tag = group_tag(chat_group(chat, self.groups));
        format!(
            "{}upd:v2:{tag}:{}:{update_id}",
            self.namespace,
            bot.as_str()
        )
    }

    /// The stream a commit of `chat` appends `bot`'s replies to (whichever chat they go to).
    pub fn stream(&self, bot: BotKind, chat: i64) -> String {
        outbox_stream_key(self.namespace, bot, chat_group(chat, self.groups))
    }
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
    /// One multiplexed connection shared by every session (cloning it is cheap): a single node's connection
    /// manager or a cluster connection. Unlike a pool checkout, which costs an extra PING round trip, every
    /// operation here is a single round trip; both reconnect by themselves after Redis comes back.
    conn: Redis,
    /// Prefix of every key: lets tests and several networks share one Redis. Holds no `{` (a hash tag).
    namespace: String,
    /// Abandoned dialogues expire after this long.
    pub state_ttl_s: u64,
    /// How long a processed update id is remembered (Telegram redelivers for up to a day).
    pub dedup_ttl_s: u64,
    /// Outbox streams per bot (at least 1), which is also the number of chat groups (hash slots on a cluster);
    /// the outbox must read the same number.
    pub outbox_streams_per_bot: usize,
    commit: Script,
}

impl SessionStore {
    /// A store under `namespace` (which must not contain `{` or `}`: the configuration refuses it).
    pub fn new(
        conn: Redis,
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
    pub fn redis(&self) -> Redis {
        self.conn.clone()
    }

    /// The prefix of every key.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn group(&self, chat: i64) -> usize {
        chat_group(chat, self.outbox_streams_per_bot)
    }

    /// The key layout of this store.
    pub fn keys(&self) -> Keys<'_> {
        Keys {
            namespace: &self.namespace,
            groups: self.outbox_streams_per_bot,
        }
    }

    fn state_key(&self, bot: BotKind, chat: i64) -> String {
        self.keys().state(bot, chat)
    }

    fn dedup_key(&self, bot: BotKind, chat: i64, update_id: i64) -> String {
        self.keys().dedup(bot, chat, update_id)
    }

    fn stream_key(&self, bot: BotKind, chat: i64) -> String {
        self.keys().stream(bot, chat)
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
            .arg(self.dedup_key(bot, chat, update_id))
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
    /// was answered with an apology, so no redelivery runs it again. `chat` is the chat it came from.
    pub async fn mark_processed(
        &self,
        bot: BotKind,
        chat: i64,
        update_id: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: Option<String> = redis::cmd("SET")
            .arg(self.dedup_key(bot, chat, update_id))
            .arg("1")
            .arg("EX")
            .arg(self.dedup_ttl_s)
            .arg("NX")
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Appends `outgoing` to the outbox streams, each to its receiving chat's group, in order: for messages no
    /// transition carries (the redemption expiry sweeper's notices, `crate::sweeper`; the Mini App's and the
    /// dashboard's notices). One atomic round trip per group (one hash slot each on a cluster), the groups in the
    /// order they first appear. At least once: the caller commits its own change only after this returned; a
    /// failure after some groups leaves those appended, and the retry appends them again.
    pub async fn append(&self, outgoing: &[Outgoing]) -> Result<(), StoreError> {
        let mut by_group: Vec<(usize, redis::Pipeline)> = Vec::new();
        for out in outgoing {
            let group = self.group(out.chat_id);
            let json = serde_json::to_string(out)
                .map_err(|e| StoreError::Unavailable(format!("reply not serialisable: {e}")))?;
            let at = match by_group.iter().position(|(g, _)| *g == group) {
                Some(at) => at,
                None => {
                    let mut pipe = redis::pipe();
                    pipe.atomic();
                    by_group.push((group, pipe));
                    by_group.len() - 1
                }
            };
            by_group[at]
                .1
                .cmd("XADD")
                .arg(outbox_stream_key(&self.namespace, out.bot, group))
                .arg("MAXLEN")
                .arg("~")
                .arg(OUTBOX_STREAM_MAXLEN)
                .arg("*")
                .arg("m")
                .arg(json)
                .ignore();
        }
        let mut conn = self.conn.clone();
        for (_, pipe) in by_group {
            pipe.query_async::<()>(&mut conn).await?;
        }
        Ok(())
    }

    /// Stores `state_json` as version `expected_version + 1` and marks `update_id` processed, unless either check
    /// fails; when it stores, `outgoing` is appended, in order, to the outbox streams of `chat`'s group (one per
    /// bot) in the same atomic script, whose keys therefore all share one hash slot.
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
            .key(self.dedup_key(bot, chat, update_id))
            .arg(expected_version)
            .arg(state_json)
            .arg(self.state_ttl_s)
            .arg(self.dedup_ttl_s)
            .arg(OUTBOX_STREAM_MAXLEN);
        for out in outgoing {
            let json = serde_json::to_string(out)
                .map_err(|e| StoreError::Unavailable(format!("reply not serialisable: {e}")))?;
            invocation.key(self.stream_key(out.bot, chat)).arg(json);
        }
        let result: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(match result {
            -1 => CommitOutcome::Duplicate,
            -2 => CommitOutcome::Conflict,
            v => CommitOutcome::Stored(u64::try_from(v).unwrap_or(0)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::cluster_routing::Slot;

    const BOTS: [BotKind; 3] = [BotKind::Partner, BotKind::Client, BotKind::Admin];

    /// Everything the commit script touches for a chat (state, dedup mark, the group's stream of every bot, and
    /// the stream's lease) hashes to one slot, whatever the chat, bot, update or namespace.
    #[test]
    fn every_key_of_a_commit_shares_the_chats_slot() {
        for namespace in ["loyalty:", "it-42:", ""] {
            for groups in [1, 3, 8, 16] {
                let keys = Keys { namespace, groups };
                for chat in [0, 1, 7, -100_123_456_789, 5_000_000_001, i64::MIN, i64::MAX] {
                    let slot = Slot::for_key(keys.state(BotKind::Client, chat));
                    for bot in BOTS {
                        assert_eq!(Slot::for_key(keys.state(bot, chat)), slot);
                        assert_eq!(Slot::for_key(keys.dedup(bot, chat, 981_234)), slot);
                        assert_eq!(Slot::for_key(keys.stream(bot, chat)), slot);
                        let lease = format!("{}:lease", keys.stream(bot, chat));
                        assert_eq!(Slot::for_key(lease), slot);
                    }
                }
            }
        }
    }

    /// The default eight groups use eight slots (that they land on every master of a three-master cluster is
    /// checked against a real one, `tests/it/cluster.rs`).
    #[test]
    fn the_default_groups_use_distinct_slots() {
        let keys = Keys {
            namespace: "loyalty:",
            groups: 8,
        };
        let slots: std::collections::HashSet<Slot> = (0..8)
            .map(|chat| Slot::for_key(keys.state(BotKind::Partner, chat)))
            .collect();
        assert_eq!(slots.len(), 8, "eight groups, eight distinct slots");
    }

    #[test]
    fn a_chat_keeps_its_group_and_negative_chats_have_one() {
        assert_eq!(chat_group(-7, 8), 7);
        assert_eq!(chat_group(15, 8), 7);
        assert_eq!(chat_group(i64::MIN, 8), 0);
        assert_eq!(chat_group(5, 0), 0);
    }
}
