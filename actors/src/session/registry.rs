//! The session registry: finds or starts the session actor of a chat, spreads sessions over worker threads by
//! chat, and forgets stopped ones so its map stays as small as the set of active chats.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix::prelude::*;
use fsm::BotKind;

use super::actor::{HandleUpdate, Handled, SessionActor, SessionDeps, SessionError};

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
