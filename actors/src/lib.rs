//! Actix actors: the ledger, which serializes and group-commits balance mutations, and the chat sessions, which run
//! the dialogues with their state in Redis.
//!
//! Architecture invariant: this crate knows Postgres, Redis and the FSM, but nothing of HTTP or Telegram transports:
//! sessions receive transport-neutral updates and emit [`bots::Outgoing`] messages.

pub mod bots;
pub mod ledger;
pub mod ledger_audit;
pub mod ledger_types;
pub mod partner_cache;
pub mod session;
pub mod session_store;
pub mod store;

pub use ledger::{LedgerActor, LedgerConfig, LedgerMetrics};
pub use ledger_types::{
    IdempotencyKey, LedgerCommand, LedgerError, LedgerOp, LedgerOutcome, LedgerReply,
};
