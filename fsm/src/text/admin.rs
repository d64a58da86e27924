//! Texts of the admin bot. Wording: `locales/*/admin.ftl`. `&str` fields are HTML, already escaped where they hold
//! user text; counts are Fluent numbers.

use fluent_bundle::FluentArgs;

use super::TextKey;
use crate::chat::Lang;

/// A text of the admin bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminText<'a> {
    /// The sender is not on the admin list.
    AdminOnly,
    Menu,
    /// What `/help` answers: what the bot does and its commands.
    Help,
    CmdPending,
    CmdStats,
    CmdRate,
    CmdReverse,
    CmdDashboard,
    CmdLanguage,
    CmdCancel,
    CmdHelp,
    BtnQueue,
    BtnStats,
    BtnRate,
    BtnReverse,
    BtnDashboard,
    BtnApprove,
    BtnReject,
    // --- Moderation ---
    QueueSummary {
        applications: i64,
        services: i64,
    },
    QueueEmpty,
    ApplicationCard {
        partner: i64,
        company: &'a str,
        contact: &'a str,
        phone: &'a str,
        city: &'a str,
        category: &'a str,
    },
    ServiceCard {
        id: i64,
        company: &'a str,
        title: &'a str,
        description: &'a str,
        price: i64,
    },
    StatusPending,
    StatusApproved,
    StatusRejected,
    StatusRejectedBecause {
        reason: &'a str,
    },
    AskReason {
        title: &'a str,
    },
    ReasonTooLong {
        max: i64,
    },
    DecidedApproved,
    DecidedRejected,
    DecidedAlready,
    DecidedNotFound,
    // --- Statistics ---
    Stats {
        clients: i64,
        active: i64,
        pending: i64,
        approved: i64,
        rejected: i64,
        accruals: i64,
        redemptions: i64,
        reversals: i64,
        turnover: &'a str,
        accrued: i64,
        bonus: i64,
        redeemed: i64,
        ratings: i64,
        promoters: i64,
        passives: i64,
        detractors: i64,
        nps: &'a str,
    },
    // --- Rate ---
    RateAskPartner,
    RateNoPartner,
    RateManyPartners {
        list: &'a str,
    },
    RateAskValue {
        company: &'a str,
        rate: &'a str,
        min: &'a str,
        max: &'a str,
    },
    RateBadValue {
        min: &'a str,
        max: &'a str,
    },
    RateConfirm {
        company: &'a str,
        from: &'a str,
        to: &'a str,
    },
    RateDone {
        company: &'a str,
        from: &'a str,
        to: &'a str,
    },
    RateUnchanged,
    /// The partner's notice, in the partner bot.
    RateNotice {
        rate: &'a str,
    },
    // --- Reversal ---
    ReverseAskOperation,
    ReverseBadId,
    ReverseNotFound,
    ReverseCard {
        id: i64,
        kind: &'a str,
        code: &'a str,
        company: &'a str,
        points: i64,
        receipt: &'a str,
        date: &'a str,
    },
    ReverseAlready,
    ReverseNotReversible,
    ReverseAskReason,
    ReverseConfirm,
    ReverseDone {
        reversal: i64,
        balance: i64,
    },
    ReverseInsufficient {
        balance: i64,
    },
    /// The client's notice, in the client bot.
    ReverseClientNotice {
        /// The signed change of the wallet, written with its sign (`+50`, `−50`).
        change: &'a str,
        balance: i64,
        reason: &'a str,
    },
    KindAccrual,
    KindRedemption,
    KindBonus,
    KindReversal,
    Cancelled,
    // --- Dashboard ---
    DashboardLink {
        url: &'a str,
        minutes: i64,
    },
    DashboardNotConfigured,
}

/// The admin bot's "/" menu, in order: command and its description.
pub(crate) const COMMANDS: [(&str, AdminText<'static>); 8] = [
    ("pending", AdminText::CmdPending),
    ("stats", AdminText::CmdStats),
    ("rate", AdminText::CmdRate),
    ("reverse", AdminText::CmdReverse),
    ("dashboard", AdminText::CmdDashboard),
    ("language", AdminText::CmdLanguage),
    ("cancel", AdminText::CmdCancel),
    ("help", AdminText::CmdHelp),
];

impl TextKey for AdminText<'_> {
    fn id(&self) -> &'static str {
        match self {
            Self::AdminOnly => "admin-only",
            Self::Menu => "admin-menu",
            Self::Help => "admin-help",
            Self::CmdPending => "admin-cmd-pending",
            Self::CmdStats => "admin-cmd-stats",
            Self::CmdRate => "admin-cmd-rate",
            Self::CmdReverse => "admin-cmd-reverse",
            Self::CmdDashboard => "admin-cmd-dashboard",
            Self::CmdLanguage => "admin-cmd-language",
            Self::CmdCancel => "admin-cmd-cancel",
            Self::CmdHelp => "admin-cmd-help",
            Self::BtnQueue => "admin-btn-queue",
            Self::BtnStats => "admin-btn-stats",
            Self::BtnRate => "admin-btn-rate",
            Self::BtnReverse => "admin-btn-reverse",
            Self::BtnDashboard => "admin-btn-dashboard",
            Self::BtnApprove => "admin-btn-approve",
            Self::BtnReject => "admin-btn-reject",
            Self::QueueSummary { .. } => "admin-queue-summary",
            Self::QueueEmpty => "admin-queue-empty",
            Self::ApplicationCard { .. } => "admin-application-card",
            Self::ServiceCard { .. } => "admin-service-card",
            Self::StatusPending => "admin-status-pending",
            Self::StatusApproved => "admin-status-approved",
            Self::StatusRejected => "admin-status-rejected",
            Self::StatusRejectedBecause { .. } => "admin-status-rejected-because",
            Self::AskReason { .. } => "admin-ask-reason",
            Self::ReasonTooLong { .. } => "admin-reason-too-long",
            Self::DecidedApproved => "admin-decided-approved",
            Self::DecidedRejected => "admin-decided-rejected",
            Self::DecidedAlready => "admin-decided-already",
            Self::DecidedNotFound => "admin-decided-not-found",
            Self::Stats { .. } => "admin-stats",
            Self::RateAskPartner => "admin-rate-ask-partner",
            Self::RateNoPartner => "admin-rate-no-partner",
            Self::RateManyPartners { .. } => "admin-rate-many-partners",
            Self::RateAskValue { .. } => "admin-rate-ask-value",
            Self::RateBadValue { .. } => "admin-rate-bad-value",
            Self::RateConfirm { .. } => "admin-rate-confirm",
            Self::RateDone { .. } => "admin-rate-done",
            Self::RateUnchanged => "admin-rate-unchanged",
            Self::RateNotice { .. } => "admin-rate-notice",
            Self::ReverseAskOperation => "admin-reverse-ask-operation",
            Self::ReverseBadId => "admin-reverse-bad-id",
            Self::ReverseNotFound => "admin-reverse-not-found",
            Self::ReverseCard { .. } => "admin-reverse-card",
            Self::ReverseAlready => "admin-reverse-already",
            Self::ReverseNotReversible => "admin-reverse-not-reversible",
            Self::ReverseAskReason => "admin-reverse-ask-reason",
            Self::ReverseConfirm => "admin-reverse-confirm",
            Self::ReverseDone { .. } => "admin-reverse-done",
            Self::ReverseInsufficient { .. } => "admin-reverse-insufficient",
            Self::ReverseClientNotice { .. } => "admin-reverse-client-notice",
            Self::KindAccrual => "admin-kind-accrual",
            Self::KindRedemption => "admin-kind-redemption",
            Self::KindBonus => "admin-kind-bonus",
            Self::KindReversal => "admin-kind-reversal",
            Self::Cancelled => "admin-cancelled",
            Self::DashboardLink { .. } => "admin-dashboard-link",
            Self::DashboardNotConfigured => "admin-dashboard-not-configured",
        }
    }

    fn args(&self, _lang: Lang) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        match self {
            Self::QueueSummary {
                applications,
                services,
            } => {
                args.set("applications", *applications);
                args.set("services", *services);
            }
            Self::ApplicationCard {
                partner,
                company,
                contact,
                phone,
                city,
                category,
            } => {
                args.set("partner", *partner);
                args.set("company", *company);
                args.set("contact", *contact);
                args.set("phone", *phone);
                args.set("city", *city);
                args.set("category", *category);
            }
            Self::ServiceCard {
                id,
                company,
                title,
                description,
                price,
            } => {
                args.set("id", *id);
                args.set("company", *company);
                args.set("title", *title);
                args.set("description", *description);
                args.set("price", *price);
            }
            Self::StatusRejectedBecause { reason } => args.set("reason", *reason),
            Self::AskReason { title } => args.set("title", *title),
            Self::ReasonTooLong { max } => args.set("max", *max),
            Self::Stats {
                clients,
                active,
                pending,
                approved,
                rejected,
                accruals,
                redemptions,
                reversals,
                turnover,
                accrued,
                bonus,
                redeemed,
                ratings,
                promoters,
                passives,
                detractors,
                nps,
            } => {
                for (name, n) in [
                    ("clients", clients),
                    ("active", active),
                    ("pending", pending),
                    ("approved", approved),
                    ("rejected", rejected),
                    ("accruals", accruals),
                    ("redemptions", redemptions),
                    ("reversals", reversals),
                    ("accrued", accrued),
                    ("bonus", bonus),
                    ("redeemed", redeemed),
                    ("ratings", ratings),
                    ("promoters", promoters),
                    ("passives", passives),
                    ("detractors", detractors),
                ] {
                    args.set(name, *n);
                }
                args.set("turnover", *turnover);
                args.set("nps", *nps);
            }
            Self::RateManyPartners { list } => args.set("list", *list),
            Self::RateAskValue {
                company,
                rate,
                min,
                max,
            } => {
                args.set("company", *company);
                args.set("rate", *rate);
                args.set("min", *min);
                args.set("max", *max);
            }
            Self::RateBadValue { min, max } => {
                args.set("min", *min);
                args.set("max", *max);
            }
            Self::RateConfirm { company, from, to } | Self::RateDone { company, from, to } => {
                args.set("company", *company);
                args.set("from", *from);
                args.set("to", *to);
            }
            Self::RateNotice { rate } => args.set("rate", *rate),
            Self::ReverseCard {
                id,
                kind,
                code,
                company,
                points,
                receipt,
                date,
            } => {
                args.set("id", *id);
                args.set("kind", *kind);
                args.set("code", *code);
                args.set("company", *company);
                args.set("points", *points);
                args.set("receipt", *receipt);
                args.set("date", *date);
            }
            Self::ReverseDone { reversal, balance } => {
                args.set("reversal", *reversal);
                args.set("balance", *balance);
            }
            Self::ReverseInsufficient { balance } => args.set("balance", *balance),
            Self::ReverseClientNotice {
                change,
                balance,
                reason,
            } => {
                args.set("change", *change);
                args.set("balance", *balance);
                args.set("reason", *reason);
            }
            Self::DashboardLink { url, minutes } => {
                args.set("url", *url);
                args.set("minutes", *minutes);
            }
            _ => {}
        }
        args
    }
}

#[cfg(test)]
impl AdminText<'static> {
    /// Every variant, for the catalogue test.
    pub(crate) fn samples(n: i64) -> Vec<AdminText<'static>> {
        let mut all = vec![
            Self::AdminOnly,
            Self::Menu,
            Self::Help,
            Self::BtnQueue,
            Self::BtnStats,
            Self::BtnRate,
            Self::BtnReverse,
            Self::BtnDashboard,
            Self::BtnApprove,
            Self::BtnReject,
            Self::QueueSummary {
                applications: n,
                services: n,
            },
            Self::QueueEmpty,
            Self::ApplicationCard {
                partner: n,
                company: "x",
                contact: "x",
                phone: "x",
                city: "x",
                category: "x",
            },
            Self::ServiceCard {
                id: n,
                company: "x",
                title: "x",
                description: "x",
                price: n,
            },
            Self::StatusPending,
            Self::StatusApproved,
            Self::StatusRejected,
            Self::StatusRejectedBecause { reason: "x" },
            Self::AskReason { title: "x" },
            Self::ReasonTooLong { max: n },
            Self::DecidedApproved,
            Self::DecidedRejected,
            Self::DecidedAlready,
            Self::DecidedNotFound,
            Self::Stats {
                clients: n,
                active: n,
                pending: n,
                approved: n,
                rejected: n,
                accruals: n,
                redemptions: n,
                reversals: n,
                turnover: "x",
                accrued: n,
                bonus: n,
                redeemed: n,
                ratings: n,
                promoters: n,
                passives: n,
                detractors: n,
                nps: "x",
            },
            Self::RateAskPartner,
            Self::RateNoPartner,
            Self::RateManyPartners { list: "x" },
            Self::RateAskValue {
                company: "x",
                rate: "x",
                min: "x",
                max: "x",
            },
            Self::RateBadValue { min: "x", max: "x" },
            Self::RateConfirm {
                company: "x",
                from: "x",
                to: "x",
            },
            Self::RateDone {
                company: "x",
                from: "x",
                to: "x",
            },
            Self::RateUnchanged,
            Self::RateNotice { rate: "x" },
            Self::ReverseAskOperation,
            Self::ReverseBadId,
            Self::ReverseNotFound,
            Self::ReverseCard {
                id: n,
                kind: "x",
                code: "x",
                company: "x",
                points: n,
                receipt: "x",
                date: "x",
            },
            Self::ReverseAlready,
            Self::ReverseNotReversible,
            Self::ReverseAskReason,
            Self::ReverseConfirm,
            Self::ReverseDone {
                reversal: n,
                balance: n,
            },
            Self::ReverseInsufficient { balance: n },
            Self::ReverseClientNotice {
                change: "x",
                balance: n,
                reason: "x",
            },
            Self::KindAccrual,
            Self::KindRedemption,
            Self::KindBonus,
            Self::KindReversal,
            Self::Cancelled,
            Self::DashboardLink {
                url: "x",
                minutes: n,
            },
            Self::DashboardNotConfigured,
        ];
        all.extend(COMMANDS.iter().map(|(_, key)| key.clone()));
        all
    }
}
