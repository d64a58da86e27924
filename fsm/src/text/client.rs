//! Texts of the client bot. Wording: `locales/*/client.ftl`.

use fluent_bundle::FluentArgs;

use super::TextKey;
use crate::chat::Lang;
use crate::money::{Kopecks, Points};

/// A text of the client bot. `&str` fields are HTML, already escaped where they hold user text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientText<'a> {
    /// The first `/start`: the welcome bonus, and the partner whose link brought the client, if any.
    WelcomeNew {
        bonus: Points,
        partner: Option<&'a str>,
    },
    WelcomeBack,
    /// What `/help` answers: what the bot does and its commands.
    Help,
    AskContact,
    ContactNotOwn,
    ContactSaved,
    PhoneTaken,
    Balance {
        /// Points on the account (may be 0).
        balance: i64,
        code: &'a str,
    },
    MemberCode {
        code: &'a str,
    },
    NotRegistered,
    /// Sent to the client when a partner credited points.
    AccrualNotice {
        partner: &'a str,
        /// The receipt the points were credited for.
        amount: Kopecks,
        points: Points,
        balance: i64,
    },
    BtnBalance,
    BtnCode,
    BtnShareContact,
    CmdBalance,
    CmdHistory,
    CmdCode,
    CmdPromos,
    CmdServices,
    CmdLanguage,
    CmdCancel,
    CmdHelp,
}

/// The client bot's "/" menu, in order: command and its description.
pub(crate) const COMMANDS: [(&str, ClientText<'static>); 8] = [
    ("balance", ClientText::CmdBalance),
    ("history", ClientText::CmdHistory),
    ("code", ClientText::CmdCode),
    ("promos", ClientText::CmdPromos),
    ("services", ClientText::CmdServices),
    ("language", ClientText::CmdLanguage),
    ("cancel", ClientText::CmdCancel),
    ("help", ClientText::CmdHelp),
];

impl TextKey for ClientText<'_> {
    fn id(&self) -> &'static str {
        match self {
            Self::WelcomeNew { partner: None, .. } => "client-welcome-new",
            Self::WelcomeNew {
                partner: Some(_), ..
            } => "client-welcome-referred",
            Self::WelcomeBack => "client-welcome-back",
            Self::Help => "client-help",
            Self::AskContact => "client-ask-contact",
            Self::ContactNotOwn => "client-contact-not-own",
            Self::ContactSaved => "client-contact-saved",
            Self::PhoneTaken => "client-phone-taken",
            Self::Balance { .. } => "client-balance",
            Self::MemberCode { .. } => "client-member-code",
            Self::NotRegistered => "client-not-registered",
            Self::AccrualNotice { .. } => "client-accrual-notice",
            Self::BtnBalance => "client-btn-balance",
            Self::BtnCode => "client-btn-code",
            Self::BtnShareContact => "client-btn-share-contact",
            Self::CmdBalance => "client-cmd-balance",
            Self::CmdHistory => "client-cmd-history",
            Self::CmdCode => "client-cmd-code",
            Self::CmdPromos => "client-cmd-promos",
            Self::CmdServices => "client-cmd-services",
            Self::CmdLanguage => "client-cmd-language",
            Self::CmdCancel => "client-cmd-cancel",
            Self::CmdHelp => "client-cmd-help",
        }
    }

    fn args(&self, lang: Lang) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        match self {
            Self::WelcomeNew { bonus, partner } => {
                args.set("bonus", bonus.get());
                if let Some(partner) = partner {
                    args.set("partner", *partner);
                }
            }
            Self::Balance { balance, code } => {
                args.set("balance", *balance);
                args.set("code", *code);
            }
            Self::MemberCode { code } => args.set("code", *code),
            Self::AccrualNotice {
                partner,
                amount,
                points,
                balance,
            } => {
                args.set("partner", *partner);
                args.set("amount", super::format::money(lang, *amount));
                args.set("points", points.get());
                args.set("balance", *balance);
            }
            _ => {}
        }
        args
    }
}

#[cfg(test)]
impl ClientText<'static> {
    /// Every variant, with `n` wherever a count goes, for the catalogue test.
    pub(crate) fn samples(n: i64) -> Vec<ClientText<'static>> {
        let points = Points::new(n.max(1)).expect("positive");
        let mut all = vec![
            Self::WelcomeNew {
                bonus: points,
                partner: None,
            },
            Self::WelcomeNew {
                bonus: points,
                partner: Some("Кофейня"),
            },
            Self::WelcomeBack,
            Self::Help,
            Self::AskContact,
            Self::ContactNotOwn,
            Self::ContactSaved,
            Self::PhoneTaken,
            Self::Balance {
                balance: n,
                code: "K7M2QX",
            },
            Self::MemberCode { code: "K7M2QX" },
            Self::NotRegistered,
            Self::AccrualNotice {
                partner: "Кофейня",
                amount: Kopecks::new(199_999).expect("amount"),
                points,
                balance: n,
            },
            Self::BtnBalance,
            Self::BtnCode,
            Self::BtnShareContact,
        ];
        all.extend(COMMANDS.iter().map(|(_, key)| key.clone()));
        all
    }
}
