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
    /// The own contact card, yet a number no country allocates: not the "someone else's number" text.
    PhoneUnreadable,
    ContactSaved,
    /// The shared phone was a record a partner enrolled; it is the client's now. `balance` is the wallet after.
    Claimed {
        balance: i64,
    },
    PhoneTaken,
    // --- /history (issue 14) ---
    HistoryTitle,
    HistoryEmpty,
    /// An accrual or redemption with its receipt; `points` signed (+ in, − out).
    HistoryLineReceipt {
        when: &'a str,
        partner: &'a str,
        points: i64,
        amount: Kopecks,
    },
    /// A redemption without a receipt amount.
    HistoryLine {
        when: &'a str,
        partner: &'a str,
        points: i64,
    },
    HistoryLineBonus {
        when: &'a str,
        points: i64,
    },
    HistoryLineReversal {
        when: &'a str,
        points: i64,
    },
    BtnOlder,
    BtnNewer,
    // --- /promos and /services (issue 14); all `&str` fields escaped ---
    PromosTitle,
    PromosEmpty,
    PromoLine {
        partner: &'a str,
        title: &'a str,
        discount: &'a str,
        /// The last day, `dd.mm.yyyy`.
        ends: &'a str,
    },
    /// `balance`: the wallet now.
    ServicesTitle {
        balance: i64,
    },
    ServicesEmpty,
    ServicesAffordable,
    ServicesSaving,
    ServiceLine {
        partner: &'a str,
        title: &'a str,
        price: i64,
    },
    // --- A service for points (issue 14); `&str` fields escaped ---
    /// The button of an affordable service under `/services`.
    BtnServiceRequest {
        title: &'a str,
        price: i64,
    },
    ServiceConfirm {
        partner: &'a str,
        title: &'a str,
        price: i64,
        balance: i64,
    },
    BtnRequest,
    ServiceRequested {
        partner: &'a str,
        title: &'a str,
    },
    ServiceUnavailable,
    /// A request of this service by this client waits for the partner already.
    ServiceAlreadyRequested,
    ServiceRequestCancelled,
    ServiceAccepted {
        partner: &'a str,
        title: &'a str,
        points: i64,
        balance: i64,
    },
    ServiceDeclined {
        partner: &'a str,
        title: &'a str,
    },
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
    // --- Partner money: redemption consent and NPS (SPEC §2, §5) ---
    /// A partner asks to redeem points: Approve / Decline buttons under it.
    ConsentAsk {
        partner: &'a str,
        points: Points,
        receipt: Option<Kopecks>,
        /// The wallet now.
        balance: i64,
        /// How long the request stays open.
        minutes: i64,
    },
    BtnApprove,
    BtnDecline,
    ConsentApproved {
        partner: &'a str,
        points: Points,
        balance: i64,
    },
    ConsentDeclined {
        partner: &'a str,
        points: Points,
    },
    ConsentExpired {
        partner: &'a str,
        points: Points,
    },
    /// Approved, but the wallet holds less by now: nothing was redeemed.
    ConsentInsufficient {
        points: Points,
        balance: i64,
    },
    /// Approved, but the ledger refused (the partner is no longer active...): nothing was redeemed.
    ConsentFailed,
    /// A second press on a request that was answered already.
    ConsentAlreadyAnswered,
    /// After an accrual or a redemption: rate the partner 0..=10.
    NpsAsk {
        partner: &'a str,
    },
    NpsThanks {
        rating: u8,
    },
    NpsAlreadyRated,
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
            Self::PhoneUnreadable => "client-phone-unreadable",
            Self::ContactSaved => "client-contact-saved",
            Self::Claimed { .. } => "client-claimed",
            Self::HistoryTitle => "client-history-title",
            Self::HistoryEmpty => "client-history-empty",
            Self::HistoryLineReceipt { .. } => "client-history-line-receipt",
            Self::HistoryLine { .. } => "client-history-line",
            Self::HistoryLineBonus { .. } => "client-history-line-bonus",
            Self::HistoryLineReversal { .. } => "client-history-line-reversal",
            Self::BtnOlder => "client-btn-older",
            Self::BtnNewer => "client-btn-newer",
            Self::BtnServiceRequest { .. } => "client-btn-service-request",
            Self::ServiceConfirm { .. } => "client-service-confirm",
            Self::BtnRequest => "client-btn-request",
            Self::ServiceRequested { .. } => "client-service-requested",
            Self::ServiceUnavailable => "client-service-unavailable",
            Self::ServiceAlreadyRequested => "client-service-already-requested",
            Self::ServiceRequestCancelled => "client-service-request-cancelled",
            Self::ServiceAccepted { .. } => "client-service-accepted",
            Self::ServiceDeclined { .. } => "client-service-declined",
            Self::PromosTitle => "client-promos-title",
            Self::PromosEmpty => "client-promos-empty",
            Self::PromoLine { .. } => "client-promo-line",
            Self::ServicesTitle { .. } => "client-services-title",
            Self::ServicesEmpty => "client-services-empty",
            Self::ServicesAffordable => "client-services-affordable",
            Self::ServicesSaving => "client-services-saving",
            Self::ServiceLine { .. } => "client-service-line",
            Self::PhoneTaken => "client-phone-taken",
            Self::Balance { .. } => "client-balance",
            Self::MemberCode { .. } => "client-member-code",
            Self::NotRegistered => "client-not-registered",
            Self::AccrualNotice { .. } => "client-accrual-notice",
            // --- Partner money ---
            Self::ConsentAsk { receipt: None, .. } => "client-consent-ask",
            Self::ConsentAsk {
                receipt: Some(_), ..
            } => "client-consent-ask-receipt",
            Self::BtnApprove => "client-btn-approve",
            Self::BtnDecline => "client-btn-decline",
            Self::ConsentApproved { .. } => "client-consent-approved",
            Self::ConsentDeclined { .. } => "client-consent-declined",
            Self::ConsentExpired { .. } => "client-consent-expired",
            Self::ConsentInsufficient { .. } => "client-consent-insufficient",
            Self::ConsentFailed => "client-consent-failed",
            Self::ConsentAlreadyAnswered => "client-consent-already-answered",
            Self::NpsAsk { .. } => "client-nps-ask",
            Self::NpsThanks { .. } => "client-nps-thanks",
            Self::NpsAlreadyRated => "client-nps-already-rated",
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
            Self::Claimed { balance } | Self::ServicesTitle { balance } => {
                args.set("balance", *balance);
            }
            Self::PromoLine {
                partner,
                title,
                discount,
                ends,
            } => {
                args.set("partner", *partner);
                args.set("title", *title);
                args.set("discount", *discount);
                args.set("ends", *ends);
            }
            Self::BtnServiceRequest { title, price } => {
                args.set("title", *title);
                args.set("price", *price);
            }
            Self::ServiceConfirm {
                partner,
                title,
                price,
                balance,
            } => {
                args.set("partner", *partner);
                args.set("title", *title);
                args.set("price", *price);
                args.set("balance", *balance);
            }
            Self::ServiceRequested { partner, title }
            | Self::ServiceDeclined { partner, title } => {
                args.set("partner", *partner);
                args.set("title", *title);
            }
            Self::ServiceAccepted {
                partner,
                title,
                points,
                balance,
            } => {
                args.set("partner", *partner);
                args.set("title", *title);
                args.set("points", *points);
                args.set("balance", *balance);
            }
            Self::ServiceLine {
                partner,
                title,
                price,
            } => {
                args.set("partner", *partner);
                args.set("title", *title);
                args.set("price", *price);
            }
            Self::HistoryLineReceipt {
                when,
                partner,
                points,
                amount,
            } => {
                args.set("when", *when);
                args.set("partner", *partner);
                args.set("points", signed(lang, *points));
                args.set("amount", super::format::money(lang, *amount));
            }
            Self::HistoryLine {
                when,
                partner,
                points,
            } => {
                args.set("when", *when);
                args.set("partner", *partner);
                args.set("points", signed(lang, *points));
            }
            Self::HistoryLineBonus { when, points }
            | Self::HistoryLineReversal { when, points } => {
                args.set("when", *when);
                args.set("points", signed(lang, *points));
            }
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
            // --- Partner money ---
            Self::ConsentAsk {
                partner,
                points,
                receipt,
                balance,
                minutes,
            } => {
                args.set("partner", *partner);
                args.set("points", points.get());
                if let Some(receipt) = receipt {
                    args.set("amount", super::format::money(lang, *receipt));
                }
                args.set("balance", *balance);
                args.set("minutes", *minutes);
            }
            Self::ConsentApproved {
                partner,
                points,
                balance,
            } => {
                args.set("partner", *partner);
                args.set("points", points.get());
                args.set("balance", *balance);
            }
            Self::ConsentDeclined { partner, points }
            | Self::ConsentExpired { partner, points } => {
                args.set("partner", *partner);
                args.set("points", points.get());
            }
            Self::ConsentInsufficient { points, balance } => {
                args.set("points", points.get());
                args.set("balance", *balance);
            }
            Self::NpsAsk { partner } => args.set("partner", *partner),
            Self::NpsThanks { rating } => args.set("rating", *rating),
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
            Self::PhoneUnreadable,
            Self::ContactSaved,
            Self::Claimed { balance: n },
            Self::PhoneTaken,
            Self::HistoryTitle,
            Self::HistoryEmpty,
            Self::HistoryLineReceipt {
                when: "29.11.2026 14:05",
                partner: "Кофейня",
                points: n,
                amount: Kopecks::new(199_999).expect("amount"),
            },
            Self::HistoryLine {
                when: "29.11.2026 14:05",
                partner: "Кофейня",
                points: -n,
            },
            Self::HistoryLineBonus {
                when: "29.11.2026 14:05",
                points: n,
            },
            Self::HistoryLineReversal {
                when: "29.11.2026 14:05",
                points: -n,
            },
            Self::BtnOlder,
            Self::BtnNewer,
            Self::BtnServiceRequest {
                title: "Капучино",
                price: n,
            },
            Self::ServiceConfirm {
                partner: "Кофейня",
                title: "Капучино",
                price: n,
                balance: n,
            },
            Self::BtnRequest,
            Self::ServiceRequested {
                partner: "Кофейня",
                title: "Капучино",
            },
            Self::ServiceUnavailable,
            Self::ServiceAlreadyRequested,
            Self::ServiceRequestCancelled,
            Self::ServiceAccepted {
                partner: "Кофейня",
                title: "Капучино",
                points: n,
                balance: n,
            },
            Self::ServiceDeclined {
                partner: "Кофейня",
                title: "Капучино",
            },
            Self::PromosTitle,
            Self::PromosEmpty,
            Self::PromoLine {
                partner: "Кофейня",
                title: "Капучино",
                discount: "−20 %",
                ends: "31.12.2026",
            },
            Self::ServicesTitle { balance: n },
            Self::ServicesEmpty,
            Self::ServicesAffordable,
            Self::ServicesSaving,
            Self::ServiceLine {
                partner: "Кофейня",
                title: "Капучино",
                price: n,
            },
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
            // --- Partner money ---
            Self::ConsentAsk {
                partner: "Кофейня",
                points,
                receipt: None,
                balance: n,
                minutes: n,
            },
            Self::ConsentAsk {
                partner: "Кофейня",
                points,
                receipt: Some(Kopecks::new(199_999).expect("amount")),
                balance: n,
                minutes: n,
            },
            Self::BtnApprove,
            Self::BtnDecline,
            Self::ConsentApproved {
                partner: "Кофейня",
                points,
                balance: n,
            },
            Self::ConsentDeclined {
                partner: "Кофейня",
                points,
            },
            Self::ConsentExpired {
                partner: "Кофейня",
                points,
            },
            Self::ConsentInsufficient { points, balance: n },
            Self::ConsentFailed,
            Self::ConsentAlreadyAnswered,
            Self::NpsAsk {
                partner: "Кофейня"
            },
            Self::NpsThanks {
                rating: u8::try_from(n.clamp(0, 10)).unwrap_or(10),
            },
            Self::NpsAlreadyRated,
            Self::BtnBalance,
            Self::BtnCode,
            Self::BtnShareContact,
        ];
        all.extend(COMMANDS.iter().map(|(_, key)| key.clone()));
        all
    }
}

/// Points with their direction: `+50`, `−30` (a true minus sign), digits grouped as the language groups them.
fn signed(lang: Lang, points: i64) -> String {
    let sign = if points < 0 { '−' } else { '+' };
    let magnitude = i64::try_from(points.unsigned_abs()).unwrap_or(i64::MAX);
    format!("{sign}{}", super::format::integer(lang, magnitude))
}
