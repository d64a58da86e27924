//! What the admin bot and the dashboard show and decide: moderation subjects and their cards, the network's
//! statistics, partners and operations as an admin sees them. Plain data (serde for the dashboard's templates); the
//! queries that fill it are `actors::moderation` and `actors::db::admin`.

use serde::{Deserialize, Serialize};

use crate::chat::Lang;
use crate::money::CashbackRate;

/// What is moderated (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// The application of the partner with this id (`partners.id`).
    Application(i64),
    /// The service with this id (`services.id`).
    Service(i64),
}

/// An admin's decision on a [`Subject`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Approve,
    /// With the reason the partner is told, if any (raw text, at most [`REASON_MAX_CHARS`]).
    Reject {
        reason: Option<String>,
    },
}

/// The most characters a rejection's or a reversal's reason may have (the tables' CHECKs).
pub const REASON_MAX_CHARS: usize = 1_000;

impl Verdict {
    /// The status this verdict sets (`partners.status`, `services.status`).
    pub fn status(&self) -> &'static str {
        match self {
            Verdict::Approve => "approved",
            Verdict::Reject { .. } => "rejected",
        }
    }
}

/// The outcome of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decided {
    /// Stored, audited, the partner's notice queued; `previous` was the status before.
    Done { previous: String },
    /// The item already had this status (a double tap, or another admin was first): nothing changed.
    Unchanged,
    /// No such application, or the service does not exist or was deleted.
    NotFound,
    /// The reason is longer than [`REASON_MAX_CHARS`]: nothing changed.
    ReasonTooLong,
}

/// A partner application as a moderation card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationCard {
    /// `partners.id`.
    pub partner: i64,
    pub company: String,
    pub contact: String,
    /// E.164, verified by Telegram's contact button.
    pub phone: Option<String>,
    pub city: String,
    pub category: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// The reason of the latest rejection, if any.
    pub reason: Option<String>,
    /// When the latest application was submitted (Unix seconds).
    pub submitted_at_unix_s: i64,
}

/// A partner's service as a moderation card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCard {
    /// `services.id`.
    pub id: i64,
    /// `partners.id` of the service's partner.
    pub partner: i64,
    pub company: String,
    pub title: String,
    pub description: String,
    /// Price in points.
    pub price_points: i64,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    /// Unix seconds.
    pub created_at_unix_s: i64,
}

/// One moderation card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Card {
    Application(ApplicationCard),
    Service(ServiceCard),
}

/// The moderation queues: what waits for a decision, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub applications: Vec<ApplicationCard>,
    pub services: Vec<ServiceCard>,
}

/// The network's statistics (`/stats` of the admin bot, the dashboard's overview; SPEC §6). Operations are accruals
/// and redemptions; points issued are accrual points and welcome bonuses. A reversed operation counts nowhere;
/// `reversals` counts the reversals admins made (not the system's, e.g. a claimed duplicate's bonus).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkStats {
    /// Client records in use (claimed duplicates not counted).
    pub clients: i64,
    /// Clients with an accrual or a redemption in the last 30 days (network calendar).
    pub active_clients_30d: i64,
    pub partners_pending: i64,
    pub partners_approved: i64,
    pub partners_rejected: i64,
    pub accruals: i64,
    pub redemptions: i64,
    pub reversals: i64,
    /// Sum of accrual receipts, kopecks.
    pub turnover_kopecks: i64,
    /// Points accrued by partners.
    pub points_accrued: i64,
    /// Points granted as welcome bonuses.
    pub points_bonus: i64,
    pub points_redeemed: i64,
    /// NPS ratings given, and their split (promoters 9–10, passives 7–8, detractors 0–6).
    pub ratings: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

impl NetworkStats {
    /// NPS = (promoters − detractors) / ratings × 100, rounded half away from zero; `None` without ratings.
    pub fn nps(&self) -> Option<i64> {
        crate::partner::stats::nps_score(self.promoters, self.detractors, self.ratings)
    }
}

/// A partner as the rate dialogue finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerRow {
    /// `partners.id`.
    pub id: i64,
    pub company: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub rate: CashbackRate,
    /// The partner's Telegram id and language, for their notice of a new rate.
    pub telegram_id: i64,
    pub lang: Lang,
}

/// A ledger operation as the reversal dialogue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationCard {
    /// `operations.id`.
    pub id: i64,
    /// `accrual`, `redemption`, `welcome_bonus` or `reversal`.
    pub kind: String,
    /// The client's member code.
    pub member_code: String,
    /// The client's Telegram id (none for a client enrolled by phone who never opened the bot) and language.
    pub client_chat: Option<i64>,
    pub client_lang: Lang,
    /// The partner's company, if the operation has a partner.
    pub company: Option<String>,
    pub points: i64,
    pub receipt_kopecks: Option<i64>,
    /// When it happened, `DD.MM.YYYY HH:MM` in the network time zone.
    pub date: String,
    /// The reversal of this operation, if it was reversed.
    pub reversed_by: Option<i64>,
}

/// The outcome of a rate change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RateChanged {
    Done {
        previous: CashbackRate,
    },
    /// The partner already has this rate.
    Unchanged,
    NotFound,
}

/// The outcome of a reversal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reversed {
    /// The compensating operation `reversal`; the client's wallet holds `balance` afterwards.
    Done {
        reversal: i64,
        balance: i64,
    },
    AlreadyReversed,
    /// A reversal is not reversed.
    NotReversible,
    NotFound,
    /// Reversing would take the client's wallet below zero: it holds `balance`.
    InsufficientPoints {
        balance: i64,
    },
}
