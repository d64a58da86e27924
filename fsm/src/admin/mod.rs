//! The admin bot (SPEC §6): only allow-listed admins, checked on every message and every button press; anyone
//! else gets a refusal and nothing changes. Its dialogues (moderation, statistics, reversal, the dashboard link)
//! are added as modules here, as the partner bot's are.

use serde::{Deserialize, Serialize};

use crate::chat::{Keyboard, Lang, Reply, Transition, UserInput};
use crate::dialogue::{self, Effect, Global, UserEvent};
use crate::text::{AdminText, CommonText, render};

/// What a step knows about the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminCtx {
    /// The sender's id is in `admin.admin_ids` (configuration), read for every update.
    pub is_admin: bool,
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "dialogue")]
pub enum AdminState {
    #[default]
    Menu,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminEvent {
    User(UserEvent),
}

impl From<UserEvent> for AdminEvent {
    fn from(e: UserEvent) -> Self {
        AdminEvent::User(e)
    }
}

/// The admin bot's own effects: none yet (moderation and the rest come with their dialogues).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCommand {}

pub type AdminStep = dialogue::Step<AdminState, AdminCommand>;

fn reply(r: Reply) -> AdminStep {
    Transition {
        next: AdminState::Menu,
        effects: vec![Effect::Reply(r)],
    }
}

fn menu_reply(lang: Lang) -> Reply {
    Reply::with(render(lang, &AdminText::Menu), Keyboard::Remove)
}

/// One step of the admin bot.
pub fn step(_state: &AdminState, ctx: &AdminCtx, event: AdminEvent) -> AdminStep {
    let lang = ctx.lang;
    let AdminEvent::User(ev) = event;
    if !ctx.is_admin {
        return reply(Reply::with(
            render(lang, &AdminText::AdminOnly),
            Keyboard::Remove,
        ));
    }
    match dialogue::global(&ev.input, |_| false) {
        Some(Global::Help) => reply(Reply::new(render(lang, &AdminText::Help))),
        Some(Global::AskLanguage) => reply(dialogue::language_picker(lang)),
        Some(Global::SetLanguage(new)) => Transition {
            next: AdminState::Menu,
            effects: dialogue::language_set(new, menu_reply(new)),
        },
        Some(Global::OutdatedButton) => {
            reply(Reply::new(render(lang, &CommonText::ButtonOutdated)))
        }
        Some(Global::Start(_) | Global::Menu) => reply(menu_reply(lang)),
        None => match &ev.input {
            // Listed in the "/" menu; their dialogues come with the admin bot's issue.
            UserInput::Command { name, .. } if name == "stats" || name == "dashboard" => {
                reply(Reply::new(render(lang, &CommonText::NotYet)))
            }
            UserInput::Command { .. } => {
                reply(Reply::new(render(lang, &CommonText::UnknownCommand)))
            }
            UserInput::Callback { .. } => reply(Reply::new(render(lang, &CommonText::StaleButton))),
            _ => reply(menu_reply(lang)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::DraftId;
    use crate::chat::{Sender, UserInput};

    fn event(text: &str) -> AdminEvent {
        AdminEvent::User(UserEvent {
            sender: Sender {
                user_id: 5,
                chat_id: 5,
                first_name: "Eve".into(),
                lang: Lang::En,
            },
            input: UserInput::from_text(text),
            fresh_draft: DraftId::parse(&"a".repeat(32)).expect("draft"),
        })
    }

    #[test]
    fn a_stranger_is_refused_whatever_they_send() {
        let ctx = AdminCtx {
            is_admin: false,
            lang: Lang::En,
        };
        for text in ["/start", "/help", "/language en", "/stats", "hello"] {
            let t = step(&AdminState::Menu, &ctx, event(text));
            assert_eq!(
                t.effects,
                vec![Effect::Reply(Reply::with(
                    render(Lang::En, &AdminText::AdminOnly),
                    Keyboard::Remove
                ))],
                "{text}"
            );
        }
    }

    #[test]
    fn an_admin_gets_help_in_their_language() {
        let ctx = AdminCtx {
            is_admin: true,
            lang: Lang::En,
        };
        let t = step(&AdminState::Menu, &ctx, event("/help"));
        assert_eq!(
            t.effects,
            vec![Effect::Reply(Reply::new(render(
                Lang::En,
                &AdminText::Help
            )))]
        );
    }

    #[test]
    fn an_admin_is_told_what_is_not_built_yet_and_what_does_not_exist() {
        let ctx = AdminCtx {
            is_admin: true,
            lang: Lang::En,
        };
        let says = |text: &str| step(&AdminState::Menu, &ctx, event(text)).effects;
        let reply = |key: CommonText| vec![Effect::Reply(Reply::new(render(Lang::En, &key)))];
        assert_eq!(says("/stats"), reply(CommonText::NotYet));
        assert_eq!(says("/dashboard"), reply(CommonText::NotYet));
        assert_eq!(says("/frobnicate"), reply(CommonText::UnknownCommand));
    }
}
