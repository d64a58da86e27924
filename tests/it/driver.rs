//! The one dialogue pipeline with a dialogue of the test's own: what any bot gets from it.

use actors::dialogue::driver::{Dialogue, StepFn, drive};
use actors::dialogue::{DialogueEnv, DialogueError};
use actors::outgoing::{Outgoing, OutgoingMessage};
use fsm::chat::{Reply, Sender, Transition, UserInput};
use fsm::dialogue::{Effect, UserEvent};
use fsm::{BotKind, Lang};
use serde::{Deserialize, Serialize};

use crate::app::TestApp;
use crate::helpers::dialogue_env;

/// Counts the results it got back.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Tally {
    results: Vec<String>,
}

enum Event {
    /// The user's input (its content does not matter here).
    User,
    Done(String),
}

impl From<UserEvent> for Event {
    fn from(_: UserEvent) -> Self {
        Event::User
    }
}

/// A dialogue whose user step asks for two commands at once, each answered with an event.
struct TwoCommands;

impl Dialogue for TwoCommands {
    const BOT: BotKind = BotKind::Admin;
    type State = Tally;
    type Ctx = ();
    type Event = Event;
    type Command = String;

    async fn context(_env: &DialogueEnv, _sender: &mut Sender) -> Result<(), DialogueError> {
        Ok(())
    }

    const STEP: StepFn<Self> = step;

    async fn run(
        _env: &DialogueEnv,
        _ctx: &mut (),
        _sender: &Sender,
        command: String,
    ) -> Result<Option<Event>, DialogueError> {
        Ok(Some(Event::Done(command)))
    }

    async fn save_language(
        _env: &DialogueEnv,
        _sender: &Sender,
        _lang: Lang,
    ) -> Result<(), DialogueError> {
        Ok(())
    }
}

fn step(state: &Tally, _ctx: &(), event: Event) -> Transition<Tally, Effect<String>> {
    match event {
        Event::User => Transition {
            next: Tally::default(),
            effects: vec![
                Effect::Command("first".into()),
                Effect::Command("second".into()),
            ],
        },
        Event::Done(name) => {
            let mut results = state.results.clone();
            results.push(name.clone());
            Transition {
                next: Tally { results },
                effects: vec![Effect::Reply(Reply::new(format!("done: {name}")))],
            }
        }
    }
}

#[actix_rt::test]
async fn two_follow_up_commands_of_one_step_both_run_and_both_results_are_stepped() {
    let app = TestApp::spawn().await;
    let services = &app.running.services;
    let env = dialogue_env(services, &[]);
    let sender = Sender {
        user_id: 9,
        chat_id: 9,
        first_name: "T".into(),
        lang: Lang::En,
    };
    let out = drive::<TwoCommands>(&env, &sender, UserInput::from_text("go"), None, None)
        .await
        .expect("the pipeline runs");
    let state: Tally = serde_json::from_str(&out.state_json).expect("state");
    assert_eq!(state.results, vec!["first", "second"]);
    let texts: Vec<&str> = out
        .outgoing
        .iter()
        .filter_map(|o: &Outgoing| match &o.message {
            OutgoingMessage::Send(r) => Some(r.html.as_str()),
            OutgoingMessage::Edit { reply, .. } => Some(reply.html.as_str()),
            OutgoingMessage::Commands(_) | OutgoingMessage::MenuButton { .. } => None,
        })
        .collect();
    assert_eq!(texts, vec!["done: first", "done: second"]);
}
