//! What the ledger is asked to do and what it answers: commands with idempotency keys, and outcomes as a precise enum.

use fsm::{CashbackRate, ClientId, Kopecks, OperationId, PartnerId, Points};
use serde::{Deserialize, Serialize};

/// Names one intended operation; replaying the same key returns the first result, never a second operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const LEN_MAX: usize = 200;

    /// 1..=200 printable ASCII characters (the keys are built by our code from ids, never typed by people).
    pub fn new(key: impl Into<String>) -> Option<IdempotencyKey> {
        let key = key.into();
        let ok = !key.is_empty()
            && key.len() <= Self::LEN_MAX
            && key.bytes().all(|b| b.is_ascii_graphic());
        ok.then_some(IdempotencyKey(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IdempotencyKey::new(s).ok_or("idempotency key must be 1..=200 printable ASCII characters")
    }
}

impl From<IdempotencyKey> for String {
    fn from(k: IdempotencyKey) -> String {
        k.0
    }
}

/// One balance mutation. Points for an accrual are computed from the receipt and the rate the partner confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedgerOp {
    Accrue {
        client: ClientId,
        partner: PartnerId,
        receipt: Kopecks,
        rate: CashbackRate,
    },
    Redeem {
        client: ClientId,
        partner: PartnerId,
        points: Points,
        receipt: Option<Kopecks>,
    },
    /// Granted once per client; `referrer` is the partner whose link brought them, kept for statistics.
    WelcomeBonus {
        client: ClientId,
        referrer: Option<PartnerId>,
        points: Points,
    },
    /// A compensating operation; the original stays in the journal.
    Reverse {
        operation: OperationId,
        admin_id: i64,
        reason: String,
    },
}

/// A ledger command: an operation and the key that makes it happen at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerCommand {
    pub key: IdempotencyKey,
    pub op: LedgerOp,
}

impl actix::Message for LedgerCommand {
    type Result = Result<LedgerReply, LedgerError>;
}

/// The final word on a command. Checked in this order: key reuse, unknown parties, inactive partner, reversal rules,
/// once-only bonus, balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedgerOutcome {
    /// Points moved. `balance` is the client's wallet afterwards.
    Applied {
        operation: OperationId,
        points: Points,
        balance: i64,
    },
    /// The key was used before for a different operation; nothing happened.
    KeyReusedWithOtherParams,
    ClientNotFound,
    PartnerNotFound,
    /// The partner is pending or rejected and may not move points.
    PartnerNotActive,
    OperationNotFound,
    /// A reversal cannot itself be reversed.
    NotReversible,
    AlreadyReversed,
    WelcomeAlreadyGranted {
        balance: i64,
    },
    /// The wallet holds less than asked; `balance` is what it holds.
    InsufficientPoints {
        balance: i64,
    },
    /// The receipt earns zero points at this rate (e.g. 19.99 at 5 %).
    NothingToAccrue,
    /// A constraint refused the command (a bug upstream, never user input that was validated).
    Rejected,
}

/// The reply to a command: its outcome, and whether this was a replay of an earlier submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerReply {
    pub outcome: LedgerOutcome,
    pub replayed: bool,
}

/// The command did not get a final outcome. Each one is safe to retry with the same key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The actor's queue is at `ledger_queue_max`.
    #[error("ledger queue is full")]
    Overloaded,
    /// Postgres could not be reached, or the commit's outcome is unknown.
    #[error("ledger storage unavailable")]
    Unavailable,
    /// The actor stopped before answering.
    #[error("ledger actor stopped")]
    Stopped,
}

impl LedgerError {
    /// Every ledger error is transient: idempotency keys make a retry with the same key safe.
    pub fn is_transient(&self) -> bool {
        true
    }
}

impl LedgerOp {
    /// The kind name stored in `operations.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            LedgerOp::Accrue { .. } => "accrual",
            LedgerOp::Redeem { .. } => "redemption",
            LedgerOp::WelcomeBonus { .. } => "welcome_bonus",
            LedgerOp::Reverse { .. } => "reversal",
        }
    }

    /// A canonical text of every parameter, stored with the key so a reuse with other parameters is refused.
    pub fn fingerprint(&self) -> String {
        match self {
            LedgerOp::Accrue {
                client,
                partner,
                receipt,
                rate,
            } => {
                format!(
                    "accrual|c={client}|p={partner}|k={}|bp={}",
                    receipt.get(),
                    rate.basis_points()
                )
            }
            LedgerOp::Redeem {
                client,
                partner,
                points,
                receipt,
            } => {
                let receipt = receipt.map_or(0, Kopecks::get);
                format!("redemption|c={client}|p={partner}|pts={points}|k={receipt}")
            }
            LedgerOp::WelcomeBonus {
                client,
                referrer,
                points,
            } => {
                let referrer = referrer.map_or(0, |p| p.0);
                format!("welcome_bonus|c={client}|p={referrer}|pts={points}")
            }
            LedgerOp::Reverse {
                operation,
                admin_id,
                reason,
            } => {
                format!(
                    "reversal|op={operation}|a={admin_id}|r={:016x}",
                    fnv1a(reason.as_bytes())
                )
            }
        }
    }
}

/// FNV-1a: a hash that stays the same across Rust releases, because fingerprints are stored for good.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
