//! What every bot's dialogue shares: the effects a step may ask for, the user event a step starts from, and the
//! global commands every bot answers the same way (Telegram's conventions: `/start`, `/menu`, `/cancel`, `/help`,
//! `/language`).
//!
//! A bot's top-level `step` checks access, answers the global commands and delegates the rest to the module of the
//! dialogue the user is in (`partner::accrue`, `client::join`, ...).

use crate::callback::{Callback, Decoded, DraftId};
use crate::chat::{BotKind, Lang, Reply, Sender, UserInput};

/// One thing a step asks the driver to do. `C` is the bot's own command type: a command's result comes back to the
/// dialogue as an event, and every command of a round runs (none replaces another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect<C> {
    /// A new message in this chat.
    Reply(Reply),
    /// Replace the message whose inline button was pressed (text, and no buttons unless the reply has some); a new
    /// message when the input was not a button press. Telegram's "message is not modified" is no error.
    Edit(Reply),
    /// A message to another chat, possibly of another bot (the client's notice of an accrual).
    Notify {
        bot: BotKind,
        chat_id: i64,
        reply: Reply,
    },
    /// Store the language the user chose with `/language`; it wins over Telegram's `language_code` from now on.
    SetLanguage(Lang),
    /// The bot's own effect (a lookup, a ledger command...).
    Command(C),
}

/// A step's result: the next state and what to do.
pub type Step<S, C> = crate::chat::Transition<S, Effect<C>>;

/// A step that only answers: the next state and one reply in this chat.
pub fn reply<S, C>(next: S, r: Reply) -> Step<S, C> {
    crate::chat::Transition {
        next,
        effects: vec![Effect::Reply(r)],
    }
}

/// The update a step starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEvent {
    pub sender: Sender,
    pub input: UserInput,
    /// A fresh random id, minted by the driver for this update: a step that shows a confirm screen names it with
    /// this id (its buttons carry it and the ledger key is built from it).
    pub fresh_draft: DraftId,
}

/// A command or button every bot answers the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Global {
    /// `/start` with its payload (possibly empty).
    Start(String),
    /// `/menu`, `/cancel` or the Cancel reply button: leave any dialogue.
    Menu,
    /// `/help`: what this bot does, in the user's language.
    Help,
    /// `/language` without a valid argument: show the picker.
    AskLanguage,
    /// `/language en` or a language button: switch.
    SetLanguage(Lang),
    /// A button from an older deploy.
    OutdatedButton,
}

/// The global command this input is, if any. `cancel_labels` are the Cancel reply button's labels in every
/// language (a user may have switched language since the keyboard was sent).
pub fn global(input: &UserInput, is_cancel_button: impl Fn(&str) -> bool) -> Option<Global> {
    match input {
        UserInput::Command { name, args } => match name.as_str() {
            "start" => Some(Global::Start(args.clone())),
            "menu" | "cancel" => Some(Global::Menu),
            "help" => Some(Global::Help),
            "language" | "lang" => {
                Some(Lang::parse(args).map_or(Global::AskLanguage, Global::SetLanguage))
            }
            _ => None,
        },
        UserInput::Text(t) if is_cancel_button(t) => Some(Global::Menu),
        UserInput::Callback { data } => match Callback::decode(data) {
            Decoded::Current(Callback::Language(lang)) => Some(Global::SetLanguage(lang)),
            Decoded::Outdated => Some(Global::OutdatedButton),
            _ => None,
        },
        _ => None,
    }
}

/// The `/language` picker: one button per language, each label in its own language.
pub fn language_picker(lang: Lang) -> Reply {
    use crate::chat::{InlineButton, Keyboard};
    use crate::text::{CommonText, render};
    let button = |text: &str, to: Lang| InlineButton {
        text: text.into(),
        data: Callback::Language(to).encode(),
    };
    Reply::with(
        render(lang, &CommonText::ChooseLanguage),
        Keyboard::Inline(vec![vec![
            button("Русский", Lang::Ru),
            button("English", Lang::En),
        ]]),
    )
}

/// Switching to `new`: store it, turn the picker into "Language: …" (no buttons), then send `menu` (built in the
/// new language) so the reply keyboard changes language too.
pub fn language_set<C>(new: Lang, menu: Reply) -> Vec<Effect<C>> {
    use crate::text::{CommonText, render};
    vec![
        Effect::SetLanguage(new),
        Effect::Edit(Reply::new(render(new, &CommonText::LanguageSet))),
        Effect::Reply(menu),
    ]
}
