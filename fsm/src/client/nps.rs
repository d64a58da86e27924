//! NPS after each accrual or redemption (SPEC §5): the client rates the partner 0..=10 under the question, once per
//! operation. The button names only the operation; the server reads the partner from the `operations` row and checks
//! the operation is this client's, so the rating survives restarts and lands on the right partner on any replica
//! (prototype defect D9).

use super::{ClientCommand, ClientCtx, ClientState, ClientStep, reply};
use crate::callback::Callback;
use crate::chat::{InlineButton, Keyboard, Lang, Reply, Transition};
use crate::dialogue::Effect;
use crate::ids::OperationId;
use crate::text::{ClientText, CommonText, render};

/// The question after an operation: its text and the 0..=10 buttons in two rows (0–5, 6–10).
pub fn question(lang: Lang, company: &str, operation: OperationId) -> Reply {
    let button = |rating: u8| InlineButton {
        text: rating.to_string(),
        data: Callback::Nps {
            operation: operation.0,
            rating,
        }
        .encode(),
    };
    Reply::with(
        render(lang, &ClientText::NpsAsk { partner: company }),
        Keyboard::Inline(vec![
            (0..=5).map(button).collect(),
            (6..=10).map(button).collect(),
        ]),
    )
}

/// Answered with `NpsEvent::Rated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NpsCommand {
    /// Store `rating` for `operation` (`operations.id`, as the button claims) if it is the sender's.
    Rate { operation: i64, rating: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NpsResult {
    Rated {
        rating: u8,
    },
    /// This operation has its rating already.
    AlreadyRated,
    /// No such operation of this client (a forged or foreign button).
    NotYours,
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NpsEvent {
    Rated(NpsResult),
}

/// A press on a rating button.
pub fn on_press(state: &ClientState, operation: i64, rating: u8) -> ClientStep {
    Transition {
        next: state.clone(),
        effects: vec![Effect::Command(ClientCommand::Nps(NpsCommand::Rate {
            operation,
            rating,
        }))],
    }
}

/// The stored rating turns the question into a thank-you; anything else is answered below it.
pub fn on_result(state: &ClientState, ctx: &ClientCtx, event: NpsEvent) -> ClientStep {
    let lang = ctx.lang;
    let NpsEvent::Rated(result) = event;
    match result {
        NpsResult::Rated { rating } => Transition {
            next: state.clone(),
            effects: vec![Effect::Edit(Reply::new(render(
                lang,
                &ClientText::NpsThanks { rating },
            )))],
        },
        NpsResult::AlreadyRated => reply(
            state.clone(),
            Reply::new(render(lang, &ClientText::NpsAlreadyRated)),
        ),
        NpsResult::NotYours => reply(
            state.clone(),
            Reply::new(render(lang, &CommonText::StaleButton)),
        ),
        NpsResult::Unavailable => reply(
            state.clone(),
            Reply::new(render(lang, &CommonText::TryAgainLater)),
        ),
    }
}
