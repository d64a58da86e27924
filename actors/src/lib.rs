//! Actix actors: the ledger, which serializes and group-commits balance mutations, and (later) the chat sessions.
//!
//! Architecture invariant: this crate knows Postgres and the FSM, but nothing of HTTP or Telegram transports.

pub mod ledger;
pub mod ledger_audit;
pub mod ledger_types;

pub use ledger::{LedgerActor, LedgerConfig, LedgerMetrics};
pub use ledger_types::{
    IdempotencyKey, LedgerCommand, LedgerError, LedgerOp, LedgerOutcome, LedgerReply,
};
