//! The ledger: the actor that serializes and group-commits balance mutations (`actor`), its commands and outcomes
//! (`types`), and the invariants as counting queries (`audit`, `loyalty check-ledger`).

mod actor;
pub mod audit;
pub mod types;

pub use actor::{LedgerActor, LedgerConfig, LedgerMetrics};
pub use types::{IdempotencyKey, LedgerCommand, LedgerError, LedgerOp, LedgerOutcome, LedgerReply};
