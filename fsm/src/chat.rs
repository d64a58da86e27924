//! What a dialogue sees and says, independent of any transport: user input in, replies and keyboards out.

use serde::{Deserialize, Serialize};

/// The three bots of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BotKind {
    Partner,
    Client,
    Admin,
}

impl BotKind {
    pub const ALL: [BotKind; 3] = [BotKind::Partner, BotKind::Client, BotKind::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            BotKind::Partner => "partner",
            BotKind::Client => "client",
            BotKind::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<BotKind> {
        BotKind::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// The user's language for our texts: Russian unless Telegram says English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ru,
    En,
}

impl Lang {
    /// From Telegram's `language_code` (`en`, `en-US`, `ru`, ...); anything else gets the default, Russian.
    pub fn from_code(code: Option<&str>) -> Lang {
        match code {
            Some(c) if c.to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Ru,
        }
    }
}

/// One thing a user did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserInput {
    /// `/start abc` is `Command { name: "start", args: "abc" }`; a `@botname` suffix is dropped.
    Command {
        name: String,
        args: String,
    },
    Text(String),
    /// An inline button; `data` comes from the client and is never trusted.
    Callback {
        data: String,
    },
    /// A shared contact; `user_id` is whose contact it is (Telegram sets it only for a user's own card or a contact
    /// of a Telegram user).
    Contact {
        phone: String,
        user_id: Option<i64>,
    },
    /// A photo, sticker, voice message, ...: answered with a hint, never swallowed.
    Unsupported,
}

impl UserInput {
    /// Splits a message text into a command or plain text.
    pub fn from_text(text: &str) -> UserInput {
        let trimmed = text.trim();
        if let Some(rest) = trimmed.strip_prefix('/') {
            let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let name = head
                .split('@')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return UserInput::Command {
                    name,
                    args: args.trim().to_owned(),
                };
            }
        }
        UserInput::Text(trimmed.to_owned())
    }
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" | "русский" => Some(Lang::Ru),
            "en" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Who did it, as Telegram says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub user_id: i64,
    pub chat_id: i64,
    pub first_name: String,
    pub lang: Lang,
}

/// A button under the input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyButton {
    Text(String),
    /// Asks Telegram to share the user's own phone number.
    RequestContact(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineButton {
    pub text: String,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Keyboard {
    /// Leave whatever keyboard the user has.
    #[default]
    Keep,
    Remove,
    Reply(Vec<Vec<ReplyButton>>),
    Inline(Vec<Vec<InlineButton>>),
}

/// A message to send. `html` is already escaped where it contains user text (see [`crate::text::escape`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub html: String,
    pub keyboard: Keyboard,
    /// A picture to send with `html` as its caption (`sendPhoto`; Telegram allows 1024 characters of caption).
    /// Absent in replies stored before photos existed, hence the serde default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<Photo>,
    /// What the sent message is, for the transport to report its Telegram message id once sent (so a later
    /// outcome can edit it). None for most replies; serde default for replies stored before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<Tracked>,
}

/// A message whose id is remembered after it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tracked {
    /// The client's consent request (Approve / Decline) of `redemption_requests.id`: its expiry edits it.
    ConsentRequest(i64),
}

/// A picture a reply carries, described rather than drawn: the transport makes the image when it sends, so the
/// dialogue stays pure and the stored reply small.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Photo {
    /// A QR code of this text (a link), as a PNG.
    Qr(String),
}

impl Reply {
    pub fn new(html: String) -> Reply {
        Reply {
            html,
            keyboard: Keyboard::Keep,
            photo: None,
            track: None,
        }
    }

    pub fn with(html: String, keyboard: Keyboard) -> Reply {
        Reply {
            html,
            keyboard,
            photo: None,
            track: None,
        }
    }

    /// This reply, its sent message id to be remembered as `track`.
    pub fn tracked(self, track: Tracked) -> Reply {
        Reply {
            track: Some(track),
            ..self
        }
    }

    /// A photo with `caption` (HTML) under it.
    pub fn photo(caption: String, photo: Photo) -> Reply {
        Reply {
            html: caption,
            keyboard: Keyboard::Keep,
            photo: Some(photo),
            track: None,
        }
    }
}

/// The result of one step: the next state and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition<S, E> {
    pub next: S,
    pub effects: Vec<E>,
}
