//! Balance (`/balance`) and member code (`/code`, as text and as a QR photo), by command or menu button (SPEC §5).

use super::{ClientCtx, ClientProfile, ClientState, ClientStep, is_button, menu_reply, reply};
use crate::chat::{Photo, UserInput};
use crate::text::{ClientText, render};

/// The answer when `input` asks for the balance or the code; `None` for anything else.
pub fn on_user(ctx: &ClientCtx, profile: &ClientProfile, input: &UserInput) -> Option<ClientStep> {
    let lang = ctx.lang;
    let wants = |command: &str, button: ClientText<'_>| match input {
        UserInput::Command { name, .. } => name == command,
        UserInput::Text(t) => is_button(t, &button),
        _ => false,
    };
    let mut answer = if wants("balance", ClientText::BtnBalance) {
        let msg = ClientText::Balance {
            balance: profile.balance,
            code: &profile.member_code,
        };
        menu_reply(ctx, lang, render(lang, &msg))
    } else if wants("code", ClientText::BtnCode) {
        let msg = ClientText::MemberCode {
            code: &profile.member_code,
        };
        menu_reply(ctx, lang, render(lang, &msg))
    } else {
        return None;
    };
    if wants("code", ClientText::BtnCode) {
        // The code as a QR a partner's till can scan; the text code stays in the caption for typing.
        answer.photo = Some(Photo::Qr(profile.member_code.clone()));
    }
    Some(reply(ClientState::Menu, answer))
}
