//! Texts every bot uses: fallbacks, errors, language choice, shared buttons. Wording: `locales/*/common.ftl`.

use fluent_bundle::FluentArgs;

use super::TextKey;
use crate::chat::Lang;

/// A text shared by the bots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommonText {
    /// The input was a sticker, photo, ... where only text and buttons are understood.
    Unsupported,
    BackToMenu,
    /// The stored dialogue could not be read after an upgrade and was reset.
    StateReset,
    /// The rate limit dropped the user's update.
    SlowDown,
    /// A dependency did not answer; the user may retry.
    TryAgainLater,
    /// An unexpected failure on our side (a bug or an outage), after which nothing the user does will help now.
    Apology,
    /// A callback button of an old or finished screen.
    StaleButton,
    NotYet,
    /// Asked in both languages at once, since the user may not read the current one.
    ChooseLanguage,
    LanguageSet,
    UnknownCommand,
    /// Text typed while a screen waits for its buttons.
    UseTheButtons,
    /// A button from an older deploy's format (the callback codec's version differs).
    ButtonOutdated,
    BtnConfirm,
    BtnCancel,
    /// The language buttons name each language in itself, the same in every catalogue.
    BtnRussian,
    BtnEnglish,
}

impl TextKey for CommonText {
    fn id(&self) -> &'static str {
        match self {
            Self::Unsupported => "unsupported",
            Self::BackToMenu => "back-to-menu",
            Self::StateReset => "state-reset",
            Self::SlowDown => "slow-down",
            Self::TryAgainLater => "try-again-later",
            Self::Apology => "apology",
            Self::StaleButton => "stale-button",
            Self::NotYet => "not-yet",
            Self::ChooseLanguage => "choose-language",
            Self::LanguageSet => "language-set",
            Self::UnknownCommand => "unknown-command",
            Self::UseTheButtons => "use-the-buttons",
            Self::ButtonOutdated => "button-outdated",
            Self::BtnConfirm => "btn-confirm",
            Self::BtnCancel => "btn-cancel",
            Self::BtnRussian => "btn-russian",
            Self::BtnEnglish => "btn-english",
        }
    }

    fn args(&self, _lang: Lang) -> FluentArgs<'_> {
        FluentArgs::new()
    }
}

#[cfg(test)]
impl CommonText {
    /// Every variant, for the catalogue test.
    pub(crate) fn samples(_n: i64) -> Vec<CommonText> {
        vec![
            Self::Unsupported,
            Self::BackToMenu,
            Self::StateReset,
            Self::SlowDown,
            Self::TryAgainLater,
            Self::Apology,
            Self::StaleButton,
            Self::NotYet,
            Self::ChooseLanguage,
            Self::LanguageSet,
            Self::UnknownCommand,
            Self::UseTheButtons,
            Self::ButtonOutdated,
            Self::BtnConfirm,
            Self::BtnCancel,
            Self::BtnRussian,
            Self::BtnEnglish,
        ]
    }
}
