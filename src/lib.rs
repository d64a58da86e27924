//! The loyalty network's server: configuration, start-up, HTTP, Telegram transport and the wiring of the bots.
//!
//! Architecture invariant: this crate owns all IO wiring; the rules live in `fsm` and the serialized state in
//! `actors`. `main.rs` only parses the command line and calls in here.

pub mod app;
pub mod backup;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod dead_letters;
pub mod http;
pub mod metrics;
pub mod migrate;
pub mod miniapp;
pub mod stress;
pub mod telemetry;

pub use app::Services;
pub use config::{Secret, Settings};
pub mod sandbox;
pub mod server;
pub mod telegram;
