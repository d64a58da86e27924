//! Pure domain: money and identity types, and the dialogue state machines of the three bots.
//!
//! This crate does no IO (no tokio, Redis or Postgres; it depends on serde, thiserror and fluent-bundle, whose `.ftl`
//! files are embedded at compile time), so every rule here is tested as plain functions, and the session actors in
//! `actors` only load a state, call `step`, run the effects it names and store the result. Every user-facing text
//! comes from the catalogue in [`text`].

pub mod admin;
pub mod calendar;
pub mod callback;
pub mod chat;
pub mod client;
pub mod dialogue;
pub mod identity;
pub mod ids;
pub mod money;
pub mod partner;
pub mod text;

pub use chat::{BotKind, Lang};
pub use identity::{IdentityError, MemberCode, Phone};
pub use ids::{ClientId, OperationId, PartnerId};
pub use money::{
    AmountError, CashbackRate, Kopecks, Points, PointsError, accrual_points, parse_amount,
};
