//! Session actors: one per (bot, chat), created on demand by the [`SessionRegistry`], stopped when idle.
//!
//! A session handles its chat's updates one at a time, in arrival order (`AtomicResponse`). For each: skip if
//! already processed, else load state and version from Redis (one round trip for both); run the dialogue
//! (`bots::run`); compare-and-set the new state together with the update's dedup mark; on a conflict (another
//! replica moved first) run again from the fresh state; only then hand the replies to the outbox. The actor itself
//! holds no conversation state: it can stop at any time, and another process can continue the dialogue.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix::prelude::*;
use fsm::BotKind;
use fsm::chat::{Sender, UserInput};

use crate::bots::{self, BotEnv, Outgoing};
use crate::session_store::{CommitOutcome, SessionStore};

/// How many times one update is re-run after losing a compare-and-set race before giving up (unavailable).
const CAS_ATTEMPTS_MAX: usize = 8;

/// One incoming update for a chat, already deduplicated at the door and rate-limited.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Handled, SessionError>")]
pub struct HandleUpdate {
    pub bot: BotKind,
    pub update_id: i64,
    pub sender: Sender,
    pub input: UserInput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// The transition is stored and the replies are queued.
    Processed { version: u64 },
    /// This update was processed before; nothing was done.
    Duplicate,
}

/// The update was not durably processed; the transport must let Telegram deliver it again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("state store unavailable")]
    StoreUnavailable,
    #[error("database unavailable")]
    DatabaseUnavailable,
    #[error("too much contention on this chat")]
    Contention,
    #[error("session stopped")]
    Stopped,
}

/// Shared by every session: where state lives, what the dialogues use, where replies go.
#[derive(Clone)]
pub struct SessionDeps {
    pub store: SessionStore,
    pub env: BotEnv,
    pub outbox: Recipient<Outgoing>,
    /// Sessions idle this long stop (their state stays in Redis).
    pub idle_stop: Duration,
}

pub struct SessionActor {
    deps: SessionDeps,
    last_active: Instant,
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let check = (self.deps.idle_stop / 2).max(Duration::from_millis(50));
        ctx.run_interval(check, |actor, ctx| {
            if actor.last_active.elapsed() >= actor.deps.idle_stop {
                ctx.stop();
            }
        });
    }
}

impl Handler<HandleUpdate> for SessionActor {
    type Result = AtomicResponse<Self, Result<Handled, SessionError>>;

    fn handle(&mut self, msg: HandleUpdate, _ctx: &mut Self::Context) -> Self::Result {
        self.last_active = Instant::now();
        let deps = self.deps.clone();
        AtomicResponse::new(Box::pin(process(deps, msg).into_actor(self).map(
            |result, actor, _| {
                actor.last_active = Instant::now();
                result
            },
        )))
    }
}

/// Runs one update to a stored transition (or a reason it could not be stored).
pub async fn process(deps: SessionDeps, msg: HandleUpdate) -> Result<Handled, SessionError> {
    let store_down = |e: crate::session_store::StoreError| {
        tracing::warn!(error = %e, "session: state store unavailable");
        SessionError::StoreUnavailable
    };
    for _ in 0..CAS_ATTEMPTS_MAX {
        // Before every attempt: after a conflict, another replica may have finished this very update, and then
        // there is nothing to redo. The dedup check and the state read share one round trip.
        let Some(loaded) = deps
            .store
            .load_unless_seen(msg.bot, msg.sender.chat_id, msg.update_id)
            .await
            .map_err(store_down)?
        else {
            return Ok(Handled::Duplicate);
        };
        let output = bots::run(
            &deps.env,
            msg.bot,
            &msg.sender,
            msg.input.clone(),
            msg.update_id,
            loaded.raw.as_deref(),
        )
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "session: dialogue could not run");
            SessionError::DatabaseUnavailable
        })?;
        let committed = deps
            .store
            .commit(
                msg.bot,
                msg.sender.chat_id,
                msg.update_id,
                loaded.version,
                &output.state_json,
            )
            .await
            .map_err(store_down)?;
        match committed {
            CommitOutcome::Stored(version) => {
                for out in output.outgoing {
                    deps.outbox.do_send(out);
                }
                return Ok(Handled::Processed { version });
            }
            CommitOutcome::Duplicate => return Ok(Handled::Duplicate),
            CommitOutcome::Conflict => continue,
        }
    }
    Err(SessionError::Contention)
}

/// Finds or starts the session actor of a chat and forwards the update to it. Sessions are spread over worker
/// threads (one arbiter each) by chat, so dialogues use every core while one chat stays on one actor, in order.
pub struct SessionRegistry {
    deps: SessionDeps,
    sessions: HashMap<(BotKind, i64), Addr<SessionActor>>,
    /// Worker threads the sessions run on; empty means the registry's own thread.
    workers: Vec<actix::ArbiterHandle>,
    /// Kept so the worker threads live as long as the registry.
    _arbiters: Vec<actix::Arbiter>,
}

impl SessionRegistry {
    /// `worker_threads` arbiters host the sessions (0 or 1: the current thread).
    pub fn new(deps: SessionDeps, worker_threads: usize) -> SessionRegistry {
        let arbiters: Vec<actix::Arbiter> = if worker_threads > 1 {
            (0..worker_threads).map(|_| actix::Arbiter::new()).collect()
        } else {
            Vec::new()
        };
        let workers = arbiters.iter().map(|a| a.handle()).collect();
        SessionRegistry {
            deps,
            sessions: HashMap::new(),
            workers,
            _arbiters: arbiters,
        }
    }

    fn start_session(&self, chat: i64) -> Addr<SessionActor> {
        let deps = self.deps.clone();
        let make = move |_: &mut Context<SessionActor>| SessionActor {
            deps,
            last_active: Instant::now(),
        };
        if self.workers.is_empty() {
            SessionActor::create(make)
        } else {
            let shard = chat.unsigned_abs() as usize % self.workers.len();
            SessionActor::start_in_arbiter(&self.workers[shard], make)
        }
    }
}

/// How many session actors are alive (for metrics and the memory benchmark).
#[derive(Debug, Message)]
#[rtype(result = "usize")]
pub struct SessionCount;

impl Actor for SessionRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(100_000);
        // Forget stopped sessions so the map stays as small as the set of active chats.
        ctx.run_interval(
            self.deps.idle_stop.max(Duration::from_millis(100)),
            |registry, _| {
                registry.sessions.retain(|_, addr| addr.connected());
            },
        );
    }
}

impl Handler<HandleUpdate> for SessionRegistry {
    type Result = ResponseFuture<Result<Handled, SessionError>>;

    fn handle(&mut self, msg: HandleUpdate, _ctx: &mut Self::Context) -> Self::Result {
        let key = (msg.bot, msg.sender.chat_id);
        let addr = match self.sessions.get(&key) {
            Some(addr) if addr.connected() => addr.clone(),
            _ => {
                let addr = self.start_session(msg.sender.chat_id);
                self.sessions.insert(key, addr.clone());
                addr
            }
        };
        Box::pin(async move { addr.send(msg).await.unwrap_or(Err(SessionError::Stopped)) })
    }
}

impl Handler<SessionCount> for SessionRegistry {
    type Result = usize;

    fn handle(&mut self, _: SessionCount, _ctx: &mut Self::Context) -> usize {
        self.sessions.values().filter(|a| a.connected()).count()
    }
}
