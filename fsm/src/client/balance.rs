//! Balance (`/balance`) and member code (`/code`), by command or menu button (SPEC §5).

use super::{ClientCtx, ClientProfile, ClientState, ClientStep, is_button, menu_reply, reply};
use crate::chat::UserInput;
use crate::text::{ClientText, render};

/// The answer when `input` asks for the balance or the code; `None` for anything else.
pub fn on_user(ctx: &ClientCtx, profile: &ClientProfile, input: &UserInput) -> Option<ClientStep> {
    let lang = ctx.lang;
    let wants = |command: &str, button: ClientText<'_>| match input {
        UserInput::Command { name, .. } => name == command,
        UserInput::Text(t) => is_button(t, &button),
        _ => false,
    };
    let msg = if wants("balance", ClientText::BtnBalance) {
        ClientText::Balance {
            balance: profile.balance,
            code: &profile.member_code,
        }
    } else if wants("code", ClientText::BtnCode) {
        ClientText::MemberCode {
            code: &profile.member_code,
        }
    } else {
        return None;
    };
    Some(reply(
        ClientState::Menu,
        menu_reply(ctx, lang, render(lang, &msg)),
    ))
}
