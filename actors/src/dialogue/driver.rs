//! The one dialogue pipeline, for any bot that implements [`Dialogue`]: read the context (access, stored
//! language), parse the stored state (or reset it with a notice), step, run the effects and feed their results
//! back as events until none is left, serialize the next state.
//!
//! Everything here may run more than once for one update (a compare-and-set conflict re-runs it), so every effect
//! is idempotent: ledger commands carry keys minted with their drafts, registrations are upserts.

use std::collections::VecDeque;

use fsm::callback::DraftId;
use fsm::chat::{Reply, Sender, Transition, UserInput};
use fsm::dialogue::{Effect, UserEvent};
use fsm::text::{CommonText, render};
use fsm::{BotKind, Lang};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{DialogueEnv, DialogueError, StepOutput};
use crate::outgoing::{Outgoing, OutgoingMessage};

/// How many steps one update may take (the user's input, then one per command result): a bound against a dialogue
/// that keeps asking, not a budget (accrual takes at most three).
pub const STEPS_PER_UPDATE_MAX: usize = 16;

/// A bot, as the driver sees it: its state, what a step needs to know, how a step is made and how its own
/// commands run. Implemented once per bot in `dialogue::{partner, client, admin}`.
pub trait Dialogue {
    const BOT: BotKind;
    /// The conversation state kept in Redis between updates.
    type State: Serialize + DeserializeOwned + Default;
    /// What a step knows about the sender, read before the first step of every update.
    type Ctx;
    /// What a step reacts to.
    type Event: From<UserEvent>;
    /// The bot's own effects.
    type Command;

    /// Reads the sender's context; `sender.lang` is set to the language they chose with `/language`, if any.
    fn context(
        env: &DialogueEnv,
        sender: &mut Sender,
    ) -> impl Future<Output = Result<Self::Ctx, DialogueError>>;

    /// The pure step (`fsm::<bot>::step`).
    const STEP: StepFn<Self>;

    /// Runs one command; its result, if the dialogue waits for one, comes back as the next event. May refresh
    /// `ctx` (a registration changes what the dialogue knows about the client).
    fn run(
        env: &DialogueEnv,
        ctx: &mut Self::Ctx,
        sender: &Sender,
        command: Self::Command,
    ) -> impl Future<Output = Result<Option<Self::Event>, DialogueError>>;

    /// Stores the language the user chose with `/language`.
    fn save_language(
        env: &DialogueEnv,
        sender: &Sender,
        lang: Lang,
    ) -> impl Future<Output = Result<(), DialogueError>>;
}

/// A bot's pure step function: state, context and event in, the next state and the effects out.
pub type StepFn<D> = fn(
    &<D as Dialogue>::State,
    &<D as Dialogue>::Ctx,
    <D as Dialogue>::Event,
) -> Transition<<D as Dialogue>::State, Effect<<D as Dialogue>::Command>>;

/// A fresh draft id: a UUIDv7 (time-ordered, 74 random bits).
fn mint_draft() -> DraftId {
    DraftId::from_u128(uuid::Uuid::now_v7().as_u128())
}

/// Runs one user input through bot `D`. `raw_state` is what Redis held: None, or JSON that may no longer parse
/// (then the dialogue starts from its default state and the user is told). `message_id` is the message whose
/// inline button was pressed, if this input is a button press.
pub async fn drive<D: Dialogue>(
    env: &DialogueEnv,
    sender: &Sender,
    input: UserInput,
    message_id: Option<i32>,
    raw_state: Option<&str>,
) -> Result<StepOutput, DialogueError> {
    let mut sender = sender.clone();
    let mut ctx = D::context(env, &mut sender).await?;
    let mut outgoing = Vec::new();
    let mut state = match raw_state.map(serde_json::from_str::<D::State>) {
        None => D::State::default(),
        Some(Ok(state)) => state,
        Some(Err(_)) => {
            outgoing.push(Outgoing::send(
                D::BOT,
                sender.chat_id,
                Reply::new(render(sender.lang, &CommonText::StateReset)),
            ));
            D::State::default()
        }
    };
    let first = UserEvent {
        sender: sender.clone(),
        input,
        fresh_draft: mint_draft(),
    };
    // Every command's result is queued: none replaces another, and they are stepped in the order asked.
    let mut events: VecDeque<D::Event> = VecDeque::from([D::Event::from(first)]);
    let mut steps = 0;
    while let Some(event) = events.pop_front() {
        steps += 1;
        if steps > STEPS_PER_UPDATE_MAX {
            return Err(DialogueError::TooManySteps(STEPS_PER_UPDATE_MAX));
        }
        let t = (D::STEP)(&state, &ctx, event);
        state = t.next;
        for effect in t.effects {
            match effect {
                Effect::Reply(reply) => {
                    outgoing.push(Outgoing::send(D::BOT, sender.chat_id, reply))
                }
                Effect::Edit(reply) => outgoing.push(Outgoing {
                    bot: D::BOT,
                    chat_id: sender.chat_id,
                    message: match message_id {
                        Some(message_id) => OutgoingMessage::Edit { message_id, reply },
                        None => OutgoingMessage::Send(reply),
                    },
                }),
                Effect::Notify {
                    bot,
                    chat_id,
                    reply,
                } => outgoing.push(Outgoing::send(bot, chat_id, reply)),
                Effect::SetLanguage(lang) => {
                    D::save_language(env, &sender, lang).await?;
                    outgoing.push(Outgoing {
                        bot: D::BOT,
                        chat_id: sender.chat_id,
                        message: OutgoingMessage::Commands(lang),
                    });
                }
                Effect::Command(command) => {
                    if let Some(event) = D::run(env, &mut ctx, &sender, command).await? {
                        events.push_back(event);
                    }
                }
            }
        }
    }
    Ok(StepOutput {
        state_json: serde_json::to_string(&state).map_err(|e| DialogueError::Bug(e.to_string()))?,
        outgoing,
    })
}
