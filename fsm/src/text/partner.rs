//! Texts of the partner bot. Wording: `locales/*/partner.ftl`.

use fluent_bundle::FluentArgs;

use super::{TextKey, format};
use crate::chat::Lang;
use crate::money::{AmountError, CashbackRate, Kopecks, Points};

/// A text of the partner bot. `&str` fields are HTML, already escaped where they hold user text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerText<'a> {
    Menu {
        company: &'a str,
    },
    NotAPartner,
    ApplicationPending,
    ApplicationRejected,
    /// What `/help` answers: what the bot does and its commands.
    Help,
    AskClient,
    ClientQueryInvalid,
    ClientNotFound,
    AskAmount {
        client: &'a str,
        /// The client's balance in points (may be 0).
        balance: i64,
        rate: CashbackRate,
    },
    /// Why the typed receipt amount was refused.
    AmountInvalid(&'a AmountError),
    NothingToAccrue {
        amount: Kopecks,
        rate: CashbackRate,
    },
    ConfirmAccrual {
        client: &'a str,
        amount: Kopecks,
        points: Points,
    },
    Accrued {
        points: Points,
        /// The client's balance after the accrual.
        balance: i64,
    },
    AccrualCancelled,
    AccrualRefused,
    BtnAccrue,
    BtnRedeem,
    BtnPromos,
    BtnServices,
    BtnInvite,
    BtnStats,
    BtnFind,
    BtnSettings,
    CmdAccrue,
    CmdRedeem,
    CmdInvite,
    CmdStats,
    CmdPromos,
    CmdServices,
    CmdFind,
    CmdSettings,
    CmdLanguage,
    CmdCancel,
    CmdHelp,
}

/// The partner bot's "/" menu, in order: command and its description.
pub(crate) const COMMANDS: [(&str, PartnerText<'static>); 11] = [
    ("accrue", PartnerText::CmdAccrue),
    ("redeem", PartnerText::CmdRedeem),
    ("invite", PartnerText::CmdInvite),
    ("stats", PartnerText::CmdStats),
    ("promos", PartnerText::CmdPromos),
    ("services", PartnerText::CmdServices),
    ("find", PartnerText::CmdFind),
    ("settings", PartnerText::CmdSettings),
    ("language", PartnerText::CmdLanguage),
    ("cancel", PartnerText::CmdCancel),
    ("help", PartnerText::CmdHelp),
];

impl TextKey for PartnerText<'_> {
    fn id(&self) -> &'static str {
        match self {
            Self::Menu { .. } => "partner-menu",
            Self::NotAPartner => "partner-not-a-partner",
            Self::ApplicationPending => "partner-application-pending",
            Self::ApplicationRejected => "partner-application-rejected",
            Self::Help => "partner-help",
            Self::AskClient => "partner-ask-client",
            Self::ClientQueryInvalid => "partner-client-query-invalid",
            Self::ClientNotFound => "partner-client-not-found",
            Self::AskAmount { .. } => "partner-ask-amount",
            Self::AmountInvalid(AmountError::Empty) => "partner-amount-empty",
            Self::AmountInvalid(AmountError::NotANumber) => "partner-amount-not-a-number",
            Self::AmountInvalid(AmountError::Negative) => "partner-amount-negative",
            Self::AmountInvalid(AmountError::Zero) => "partner-amount-zero",
            Self::AmountInvalid(AmountError::TooManyDecimals) => "partner-amount-too-many-decimals",
            Self::AmountInvalid(AmountError::TooLarge { .. }) => "partner-amount-too-large",
            Self::NothingToAccrue { .. } => "partner-nothing-to-accrue",
            Self::ConfirmAccrual { .. } => "partner-confirm-accrual",
            Self::Accrued { .. } => "partner-accrued",
            Self::AccrualCancelled => "partner-accrual-cancelled",
            Self::AccrualRefused => "partner-accrual-refused",
            Self::BtnAccrue => "partner-btn-accrue",
            Self::BtnRedeem => "partner-btn-redeem",
            Self::BtnPromos => "partner-btn-promos",
            Self::BtnServices => "partner-btn-services",
            Self::BtnInvite => "partner-btn-invite",
            Self::BtnStats => "partner-btn-stats",
            Self::BtnFind => "partner-btn-find",
            Self::BtnSettings => "partner-btn-settings",
            Self::CmdAccrue => "partner-cmd-accrue",
            Self::CmdRedeem => "partner-cmd-redeem",
            Self::CmdInvite => "partner-cmd-invite",
            Self::CmdStats => "partner-cmd-stats",
            Self::CmdPromos => "partner-cmd-promos",
            Self::CmdServices => "partner-cmd-services",
            Self::CmdFind => "partner-cmd-find",
            Self::CmdSettings => "partner-cmd-settings",
            Self::CmdLanguage => "partner-cmd-language",
            Self::CmdCancel => "partner-cmd-cancel",
            Self::CmdHelp => "partner-cmd-help",
        }
    }

    fn args(&self, lang: Lang) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        match self {
            Self::Menu { company } => args.set("company", *company),
            Self::AskAmount {
                client,
                balance,
                rate,
            } => {
                args.set("client", *client);
                args.set("balance", *balance);
                args.set("rate", format::rate(lang, *rate));
            }
            Self::AmountInvalid(AmountError::TooLarge { max }) => {
                args.set("max", format::money(lang, *max));
            }
            Self::NothingToAccrue { amount, rate } => {
                args.set("amount", format::money(lang, *amount));
                args.set("rate", format::rate(lang, *rate));
            }
            Self::ConfirmAccrual {
                client,
                amount,
                points,
            } => {
                args.set("client", *client);
                args.set("amount", format::money(lang, *amount));
                args.set("points", points.get());
            }
            Self::Accrued { points, balance } => {
                args.set("points", points.get());
                args.set("balance", *balance);
            }
            _ => {}
        }
        args
    }
}

#[cfg(test)]
impl PartnerText<'static> {
    /// Every variant (each amount error too), with `n` wherever a count goes, for the catalogue test.
    pub(crate) fn samples(n: i64) -> Vec<PartnerText<'static>> {
        static ERRORS: [AmountError; 6] = [
            AmountError::Empty,
            AmountError::NotANumber,
            AmountError::Negative,
            AmountError::Zero,
            AmountError::TooManyDecimals,
            AmountError::TooLarge {
                max: Kopecks::DEFAULT_RECEIPT_MAX,
            },
        ];
        let points = Points::new(n.max(1)).expect("positive");
        let amount = Kopecks::new(199_999).expect("positive");
        let rate = CashbackRate::DEFAULT;
        let mut all = vec![
            Self::Menu {
                company: "Кофейня"
            },
            Self::NotAPartner,
            Self::ApplicationPending,
            Self::ApplicationRejected,
            Self::Help,
            Self::AskClient,
            Self::ClientQueryInvalid,
            Self::ClientNotFound,
            Self::AskAmount {
                client: "+7 *** **4567",
                balance: n,
                rate,
            },
            Self::NothingToAccrue { amount, rate },
            Self::ConfirmAccrual {
                client: "K7M2QX",
                amount,
                points,
            },
            Self::Accrued { points, balance: n },
            Self::AccrualCancelled,
            Self::AccrualRefused,
            Self::BtnAccrue,
            Self::BtnRedeem,
            Self::BtnPromos,
            Self::BtnServices,
            Self::BtnInvite,
            Self::BtnStats,
            Self::BtnFind,
            Self::BtnSettings,
        ];
        all.extend(ERRORS.iter().map(Self::AmountInvalid));
        all.extend(COMMANDS.iter().map(|(_, key)| key.clone()));
        all
    }
}
