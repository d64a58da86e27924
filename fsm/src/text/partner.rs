//! Texts of the partner bot. Wording: `locales/*/partner.ftl`.

use fluent_bundle::FluentArgs;

use super::{TextKey, format};
use crate::chat::Lang;
use crate::money::{AmountError, CashbackRate, Kopecks, Points, PointsError};
use crate::partner::stats::PeriodStats;

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
    // --- Partner money: enrolment, redemption, find, statistics (SPEC §2-§4) ---
    /// An unknown, well-formed phone in `/accrue`: offer to enrol it. `phone` is masked.
    EnrolOffer {
        phone: &'a str,
    },
    BtnEnrol,
    /// The enrol screen turned into this once the record exists; the amount question follows.
    Enrolled {
        phone: &'a str,
    },
    EnrolCancelled,
    /// The client record is the partner's own (same Telegram id): no accrual or redemption to oneself.
    OwnClientRecord,
    RedeemAskPoints {
        client: &'a str,
        /// The client's balance in points (may be 0).
        balance: i64,
    },
    PointsInvalid(&'a PointsError),
    /// More points than the wallet holds: refused at once, nothing changes.
    OverBalance {
        points: Points,
        balance: i64,
    },
    RedeemAskReceipt {
        /// `money.redeem_cap_percent`.
        cap_percent: u32,
    },
    BtnNoReceipt,
    /// More points than `cap_percent` of the receipt allows (a point pays one rouble).
    OverCap {
        points: Points,
        amount: Kopecks,
        /// The most points this receipt takes.
        max: i64,
    },
    ConfirmRedemption {
        client: &'a str,
        points: Points,
        receipt: Option<Kopecks>,
    },
    // --- A client's service request (issue 14); `&str` fields escaped ---
    ServiceRequestNotice {
        client: &'a str,
        title: &'a str,
        points: i64,
    },
    BtnServiceAccept,
    BtnServiceDecline,
    ServiceRequestAccepted {
        client: &'a str,
        title: &'a str,
        points: i64,
    },
    ServiceRequestDeclined {
        client: &'a str,
        title: &'a str,
    },
    /// Answered before, expired, or the client's wallet no longer covers it: nothing moved.
    ServiceRequestClosed,
    /// The request is in the client bot; it expires after `minutes`.
    RedemptionRequested {
        minutes: i64,
    },
    RedemptionCancelled,
    /// The client has no Telegram account linked yet, so nobody can consent.
    RedemptionNoTelegram,
    /// The outcome of a request, sent to the partner when the client answers (or the request expires).
    RedemptionDone {
        client: &'a str,
        points: Points,
        balance: i64,
    },
    RedemptionDeclined {
        client: &'a str,
        points: Points,
    },
    RedemptionExpired {
        client: &'a str,
        points: Points,
    },
    RedemptionInsufficient {
        client: &'a str,
        points: Points,
        balance: i64,
    },
    RedemptionFailed {
        client: &'a str,
        points: Points,
    },
    /// The same words whether the client does not exist or has not dealt with this partner.
    FindNotFound,
    FindTooMany,
    FindCard {
        client: &'a str,
        balance: i64,
        /// Accruals and redemptions with this partner.
        operations: i64,
        /// DD.MM.YYYY in the network time zone, when there was an operation.
        last_visit: Option<&'a str>,
    },
    /// The statistics message: three periods.
    Stats {
        today: &'a PeriodStats,
        month: &'a PeriodStats,
        all: &'a PeriodStats,
    },
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
            // --- Partner money ---
            Self::EnrolOffer { .. } => "partner-enrol-offer",
            Self::BtnEnrol => "partner-enrol-button",
            Self::Enrolled { .. } => "partner-enrolled",
            Self::EnrolCancelled => "partner-enrol-cancelled",
            Self::OwnClientRecord => "partner-own-client-record",
            Self::RedeemAskPoints { .. } => "partner-redeem-ask-points",
            Self::PointsInvalid(PointsError::NotANumber) => "partner-points-not-a-number",
            Self::PointsInvalid(PointsError::NotPositive) => "partner-points-not-positive",
            Self::PointsInvalid(PointsError::TooLarge { .. }) => "partner-points-too-large",
            Self::OverBalance { .. } => "partner-over-balance",
            Self::RedeemAskReceipt { .. } => "partner-redeem-ask-receipt",
            Self::BtnNoReceipt => "partner-no-receipt-button",
            Self::OverCap { .. } => "partner-over-cap",
            Self::ConfirmRedemption { receipt: None, .. } => "partner-confirm-redemption",
            Self::ConfirmRedemption {
                receipt: Some(_), ..
            } => "partner-confirm-redemption-receipt",
            Self::RedemptionRequested { .. } => "partner-redemption-requested",
            Self::RedemptionCancelled => "partner-redemption-cancelled",
            Self::RedemptionNoTelegram => "partner-redemption-no-telegram",
            Self::RedemptionDone { .. } => "partner-redemption-done",
            Self::RedemptionDeclined { .. } => "partner-redemption-declined",
            Self::ServiceRequestNotice { .. } => "partner-service-request-notice",
            Self::BtnServiceAccept => "partner-service-btn-accept",
            Self::BtnServiceDecline => "partner-service-btn-decline",
            Self::ServiceRequestAccepted { .. } => "partner-service-request-accepted",
            Self::ServiceRequestDeclined { .. } => "partner-service-request-declined",
            Self::ServiceRequestClosed => "partner-service-request-closed",
            Self::RedemptionExpired { .. } => "partner-redemption-expired",
            Self::RedemptionInsufficient { .. } => "partner-redemption-insufficient",
            Self::RedemptionFailed { .. } => "partner-redemption-failed",
            Self::FindNotFound => "partner-find-not-found",
            Self::FindTooMany => "partner-find-too-many",
            Self::FindCard {
                last_visit: None, ..
            } => "partner-find-card-new",
            Self::FindCard {
                last_visit: Some(_),
                ..
            } => "partner-find-card",
            Self::Stats { .. } => "partner-stats",
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
            // --- Partner money ---
            _ => money_args(self, lang, &mut args),
        }
        args
    }
}

// --- Partner money: the arguments of its texts ---

/// The variables of the partner-money texts (enrolment, redemption, find, statistics).
fn money_args<'a>(key: &'a PartnerText<'a>, lang: Lang, args: &mut FluentArgs<'a>) {
    use PartnerText as T;
    match key {
        T::EnrolOffer { phone } | T::Enrolled { phone } => args.set("phone", *phone),
        T::RedeemAskPoints { client, balance } => {
            args.set("client", *client);
            args.set("balance", *balance);
        }
        T::PointsInvalid(PointsError::TooLarge { max }) => args.set("max", *max),
        T::OverBalance { points, balance } => {
            args.set("points", points.get());
            args.set("balance", *balance);
        }
        T::RedeemAskReceipt { cap_percent } => args.set("cap", *cap_percent),
        T::OverCap {
            points,
            amount,
            max,
        } => {
            args.set("points", points.get());
            args.set("amount", format::money(lang, *amount));
            args.set("max", *max);
        }
        T::ConfirmRedemption {
            client,
            points,
            receipt,
        } => {
            args.set("client", *client);
            args.set("points", points.get());
            if let Some(receipt) = receipt {
                args.set("amount", format::money(lang, *receipt));
            }
        }
        T::RedemptionRequested { minutes } => args.set("minutes", *minutes),
        T::RedemptionDone {
            client,
            points,
            balance,
        }
        | T::RedemptionInsufficient {
            client,
            points,
            balance,
        } => {
            args.set("client", *client);
            args.set("points", points.get());
            args.set("balance", *balance);
        }
        T::RedemptionDeclined { client, points }
        | T::RedemptionExpired { client, points }
        | T::RedemptionFailed { client, points } => {
            args.set("client", *client);
            args.set("points", points.get());
        }
        T::ServiceRequestNotice {
            client,
            title,
            points,
        }
        | T::ServiceRequestAccepted {
            client,
            title,
            points,
        } => {
            args.set("client", *client);
            args.set("title", *title);
            args.set("points", *points);
        }
        T::ServiceRequestDeclined { client, title } => {
            args.set("client", *client);
            args.set("title", *title);
        }
        T::FindCard {
            client,
            balance,
            operations,
            last_visit,
        } => {
            args.set("client", *client);
            args.set("balance", *balance);
            args.set("operations", *operations);
            if let Some(visit) = last_visit {
                args.set("visit", *visit);
            }
        }
        T::Stats { today, month, all } => {
            for (prefix, stats) in [("today", today), ("month", month), ("all", all)] {
                period_args(lang, prefix, stats, args);
            }
        }
        _ => {}
    }
}

/// One period's statistics as variables `{prefix}-referred`, `{prefix}-turnover`, ...
fn period_args(lang: Lang, prefix: &str, s: &PeriodStats, args: &mut FluentArgs<'_>) {
    let var = |name: &str| format!("{prefix}-{name}");
    args.set(var("referred"), s.referred);
    args.set(var("operations"), s.operations);
    args.set(var("turnover"), money_total(lang, s.turnover_kopecks));
    args.set(var("issued"), s.points_issued);
    args.set(var("redeemed"), s.points_redeemed);
    args.set(var("ratings"), s.ratings);
    args.set(
        var("average"),
        s.average_tenths()
            .map_or_else(|| "—".to_owned(), |t| tenths(lang, t)),
    );
    args.set(
        var("nps"),
        s.nps()
            .map_or_else(|| "—".to_owned(), |n| format::integer(lang, n)),
    );
}

/// A sum of money that may be zero (a period without purchases): `0,00 ₽`, `2 000,00 ₽`.
fn money_total(lang: Lang, kopecks: i64) -> String {
    match Kopecks::new(kopecks) {
        Some(k) => format::money(lang, k),
        None => format!("0{}00\u{a0}₽", decimal_separator(lang)),
    }
}

/// Tenths as a decimal: `8,5` / `8.5`.
fn tenths(lang: Lang, t: i64) -> String {
    format!(
        "{}{}{}",
        format::integer(lang, t / 10),
        decimal_separator(lang),
        (t % 10).abs()
    )
}

fn decimal_separator(lang: Lang) -> char {
    match lang {
        Lang::Ru => ',',
        Lang::En => '.',
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
            // --- Partner money ---
            Self::EnrolOffer {
                phone: "+7 *** **4567",
            },
            Self::BtnEnrol,
            Self::Enrolled {
                phone: "+7 *** **4567",
            },
            Self::EnrolCancelled,
            Self::OwnClientRecord,
            Self::RedeemAskPoints {
                client: "K7M2QX",
                balance: n,
            },
            Self::OverBalance { points, balance: n },
            Self::RedeemAskReceipt { cap_percent: 50 },
            Self::BtnNoReceipt,
            Self::OverCap {
                points,
                amount,
                max: n,
            },
            Self::ConfirmRedemption {
                client: "K7M2QX",
                points,
                receipt: None,
            },
            Self::ConfirmRedemption {
                client: "K7M2QX",
                points,
                receipt: Some(amount),
            },
            Self::RedemptionRequested { minutes: n },
            Self::RedemptionCancelled,
            Self::RedemptionNoTelegram,
            Self::RedemptionDone {
                client: "K7M2QX",
                points,
                balance: n,
            },
            Self::ServiceRequestNotice {
                client: "K7M2QX",
                title: "Капучино",
                points: n,
            },
            Self::BtnServiceAccept,
            Self::BtnServiceDecline,
            Self::ServiceRequestAccepted {
                client: "K7M2QX",
                title: "Капучино",
                points: n,
            },
            Self::ServiceRequestDeclined {
                client: "K7M2QX",
                title: "Капучино",
            },
            Self::ServiceRequestClosed,
            Self::RedemptionDeclined {
                client: "K7M2QX",
                points,
            },
            Self::RedemptionExpired {
                client: "K7M2QX",
                points,
            },
            Self::RedemptionInsufficient {
                client: "K7M2QX",
                points,
                balance: n,
            },
            Self::RedemptionFailed {
                client: "K7M2QX",
                points,
            },
            Self::FindNotFound,
            Self::FindTooMany,
            Self::FindCard {
                client: "K7M2QX",
                balance: n,
                operations: n,
                last_visit: None,
            },
            Self::FindCard {
                client: "K7M2QX",
                balance: n,
                operations: n,
                last_visit: Some("29.11.2026"),
            },
            Self::Stats {
                today: PeriodStats::sample(n),
                month: PeriodStats::sample(n),
                all: PeriodStats::sample(0),
            },
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
        // --- Partner money ---
        static POINTS_ERRORS: [PointsError; 3] = [
            PointsError::NotANumber,
            PointsError::NotPositive,
            PointsError::TooLarge { max: Points::MAX },
        ];
        all.extend(POINTS_ERRORS.iter().map(Self::PointsInvalid));
        all.extend(COMMANDS.iter().map(|(_, key)| key.clone()));
        all
    }
}
