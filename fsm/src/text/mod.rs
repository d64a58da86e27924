//! The message catalogue: every text a user sees, in Russian (default) and English, from one place (STYLE rule 10).
//!
//! The wording lives in Fluent files, `fsm/locales/{ru,en}/{common,partner,client,admin,miniapp}.ftl`, embedded at compile
//! time. Code names a text by a typed key — [`CommonText`], [`PartnerText`], [`ClientText`], [`AdminText`], [`MiniAppText`] (plain text for the Mini App) — whose
//! variants carry what the text needs (points, money, names), and [`render`] turns a key into the text of a language.
//! Plurals follow CLDR through Fluent selectors («1 балл, 2 балла, 5 баллов»); numbers, money and rates are written
//! per language by [`format`] («1 999,99 ₽», "1,999.99 ₽").
//!
//! Texts are Telegram HTML. Anything a user typed (names, company titles) goes through [`escape`] before it is
//! placed in a key, so a stray `<` or `&` can never break a send (prototype defect D21).

mod admin;
mod catalog;
mod client;
mod common;
mod dashboard;
pub mod format;
mod miniapp;
mod office;
mod partner;
#[cfg(test)]
mod tests;

pub use admin::AdminText;
pub use client::ClientText;
pub use common::CommonText;
pub use dashboard::{dashboard_has, dashboard_text};
pub use fluent_bundle::FluentArgs;
pub use miniapp::{MINIAPP_LABELS, MiniAppText};
pub use office::OfficeText;
pub use partner::PartnerText;

use crate::chat::{BotKind, Lang};

/// Escapes text for Telegram's HTML parse mode: `<`, `>`, `&` and `"` become entities, the set Telegram's "HTML
/// style" section names (core.telegram.org/bots/api#html-style), `"` included so the text is safe inside an
/// attribute too. Done by the `html-escape` crate.
pub fn escape(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

/// A text of the catalogue: the Fluent message it names and the variables that message uses.
pub trait TextKey {
    /// The Fluent message id, e.g. `partner-menu`.
    fn id(&self) -> &'static str;
    /// The message's variables. Counts are Fluent numbers (they pick the plural form and are shown grouped per
    /// language); money and rates are strings already written per `lang`; user text is already escaped.
    fn args(&self, lang: Lang) -> FluentArgs<'_>;
}

/// The text of `key` in `lang`.
///
/// Never panics: a message missing from the catalogue, or one Fluent cannot format, yields the message id itself, so
/// the gap is visible to whoever sees it (the catalogue test in this module fails on any such gap first).
pub fn render(lang: Lang, key: &impl TextKey) -> String {
    catalog::format(lang, key.id(), &key.args(lang)).unwrap_or_else(|_| key.id().to_owned())
}

/// The commands a bot shows in Telegram's "/" menu (`setMyCommands`), in order, with their descriptions in `lang`:
/// `(command without the slash, description of at most 256 characters)`.
pub fn bot_commands(bot: BotKind, lang: Lang) -> Vec<(&'static str, String)> {
    fn list<K: TextKey>(lang: Lang, keys: &[(&'static str, K)]) -> Vec<(&'static str, String)> {
        keys.iter()
            .map(|(command, key)| (*command, render(lang, key)))
            .collect()
    }
    match bot {
        BotKind::Partner => list(lang, &partner::COMMANDS),
        BotKind::Client => list(lang, &client::COMMANDS),
        BotKind::Admin => list(lang, &admin::COMMANDS),
    }
}
