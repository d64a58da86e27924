//! The session actor: one per (bot, chat), created on demand by the [`super::SessionRegistry`], stopped when idle.
//!
//! A session handles its chat's updates one at a time, in arrival order (`AtomicResponse`). For each: skip if
//! already processed, else load state and version from Redis (one round trip for both); run the dialogue
//! (`dialogue::run`); compare-and-set the new state together with the update's dedup mark and the replies (appended
//! to the outbox streams in the same script); on a conflict (another replica moved first) run again from the fresh
//! state. The actor itself
//! holds no conversation state: it can stop at any time, and another process can continue the dialogue.

use std::time::{Duration, Instant};

use actix::prelude::*;
use fsm::BotKind;
use fsm::chat::{Reply, Sender, UserInput};
use fsm::text::{CommonText, render};

use super::store::{CommitOutcome, SessionStore, StoreError};
use crate::dialogue::{self, DialogueEnv};
use crate::outgoing::Outgoing;

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
    /// For a button press: the message that carried the button (the dialogue may edit it).
    pub message_id: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// The transition is stored and the replies are queued.
    Processed { version: u64 },
    /// This update was processed before; nothing was done.
    Duplicate,
    /// The update failed in a way no retry can fix (a constraint, a bug): the user got an apology, the update is
    /// marked processed and the chat's state is unchanged.
    FailedPermanently,
}

/// The update was not durably processed, for a reason that may pass (a transient error): the transport lets
/// Telegram deliver it again, up to `telegram.update_attempts_max` times over at least `telegram.dead_letter_after_s`,
/// then parks it as a dead letter.
/// Permanent failures are not errors here: they end in [`Handled::FailedPermanently`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("state store unavailable")]
    StoreUnavailable,
    /// The cause (e.g. the SQLSTATE message) is kept, for the log and the dead letter.
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
    #[error("too much contention on this chat")]
    Contention,
    #[error("session stopped")]
    Stopped,
}

/// Shared by every session: where state lives (and, through its commit, the replies) and what the dialogues use.
#[derive(Clone)]
pub struct SessionDeps {
    pub store: SessionStore,
    pub env: DialogueEnv,
    /// The in-memory outbox: messages not tied to a commit (an apology), and replies when `durable_replies` is off.
    pub outbox: Recipient<Outgoing>,
    /// Sessions idle this long stop (their state stays in Redis).
    pub idle_stop: Duration,
    /// Replies go with the commit into the outbox streams (true); false sends them through `outbox`, from memory,
    /// after the commit: lost in a crash, only for the benchmark's measure of what durability costs
    /// (`sessions.durable_replies`).
    pub durable_replies: bool,
}

/// Owns nothing but its dependencies and when it last worked: the conversation state is in Redis.
pub struct SessionActor {
    pub(super) deps: SessionDeps,
    pub(super) last_active: Instant,
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
    let store_down = |e: StoreError| {
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
        let output = dialogue::run(
            &deps.env,
            msg.bot,
            &msg.sender,
            msg.input.clone(),
            msg.message_id,
            loaded.raw.as_deref(),
        )
        .await;
        let output = match output {
            Ok(output) => output,
            Err(e) if e.is_transient() => {
                tracing::warn!(
                    bot = msg.bot.as_str(),
                    update_id = msg.update_id,
                    error = %e,
                    "session: dialogue failed, will retry"
                );
                return Err(SessionError::DatabaseUnavailable(e.to_string()));
            }
            Err(e) => return fail_permanently(&deps, &msg, &e).await,
        };
        let committed = deps
            .store
            .commit(
                msg.bot,
                msg.sender.chat_id,
                msg.update_id,
                loaded.version,
                &output.state_json,
                if deps.durable_replies {
                    &output.outgoing
                } else {
                    &[]
                },
            )
            .await
            .map_err(store_down)?;
        match committed {
            // The replies were appended to the outbox streams by the commit itself: the outbox sends them.
            CommitOutcome::Stored(version) if deps.durable_replies => {
                return Ok(Handled::Processed { version });
            }
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

/// A permanent failure: logged with its cause and the update id, the update marked processed (so no redelivery runs
/// it again and the chat moves on), then a short apology from the catalogue. The state is left as it was.
async fn fail_permanently(
    deps: &SessionDeps,
    msg: &HandleUpdate,
    error: &dialogue::DialogueError,
) -> Result<Handled, SessionError> {
    tracing::error!(
        bot = msg.bot.as_str(),
        update_id = msg.update_id,
        chat_id = msg.sender.chat_id,
        error = %error,
        "session: update failed permanently; the user gets an apology"
    );
    deps.store
        .mark_processed(msg.bot, msg.sender.chat_id, msg.update_id)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "session: state store unavailable");
            SessionError::StoreUnavailable
        })?;
    let apology = Reply::new(render(msg.sender.lang, &CommonText::Apology));
    deps.outbox
        .do_send(Outgoing::send(msg.bot, msg.sender.chat_id, apology));
    Ok(Handled::FailedPermanently)
}
