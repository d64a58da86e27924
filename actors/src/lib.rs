//! Actix actors and what they run: the ledger, which serializes and group-commits balance mutations; the chat
//! sessions, which run the bots' dialogues with their state in Redis; the queries the bots share.
//!
//! Architecture invariant: this crate knows Postgres, Redis and the FSM, but nothing of HTTP or Telegram transports:
//! sessions receive transport-neutral updates and emit [`outgoing::Outgoing`] messages.

pub mod app_writes;
pub mod dashboard_login;
pub mod db;
pub mod dialogue;
pub mod ledger;
pub mod moderation;
pub mod outgoing;
pub mod redis_conn;
pub mod session;
// --- Partner money: expiry of redemption requests ---
pub mod sweeper;

pub use ledger::{
    IdempotencyKey, LedgerActor, LedgerCommand, LedgerConfig, LedgerError, LedgerMetrics, LedgerOp,
    LedgerOutcome, LedgerReply,
};
