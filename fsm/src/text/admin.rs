//! Texts of the admin bot. Wording: `locales/*/admin.ftl`.

use fluent_bundle::FluentArgs;

use super::TextKey;
use crate::chat::Lang;

/// A text of the admin bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminText {
    /// The sender is not on the admin list.
    AdminOnly,
    Menu,
    /// What `/help` answers: what the bot does and its commands.
    Help,
    CmdStats,
    CmdDashboard,
    CmdLanguage,
    CmdCancel,
    CmdHelp,
}

/// The admin bot's "/" menu, in order: command and its description.
pub(crate) const COMMANDS: [(&str, AdminText); 5] = [
    ("stats", AdminText::CmdStats),
    ("dashboard", AdminText::CmdDashboard),
    ("language", AdminText::CmdLanguage),
    ("cancel", AdminText::CmdCancel),
    ("help", AdminText::CmdHelp),
];

impl TextKey for AdminText {
    fn id(&self) -> &'static str {
        match self {
            Self::AdminOnly => "admin-only",
            Self::Menu => "admin-menu",
            Self::Help => "admin-help",
            Self::CmdStats => "admin-cmd-stats",
            Self::CmdDashboard => "admin-cmd-dashboard",
            Self::CmdLanguage => "admin-cmd-language",
            Self::CmdCancel => "admin-cmd-cancel",
            Self::CmdHelp => "admin-cmd-help",
        }
    }

    fn args(&self, _lang: Lang) -> FluentArgs<'_> {
        FluentArgs::new()
    }
}

#[cfg(test)]
impl AdminText {
    /// Every variant, for the catalogue test.
    pub(crate) fn samples(_n: i64) -> Vec<AdminText> {
        let mut all = vec![Self::AdminOnly, Self::Menu, Self::Help];
        all.extend(COMMANDS.iter().map(|(_, key)| *key));
        all
    }
}
