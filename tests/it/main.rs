//! The one integration test binary: every test gets its own database (cloned from a migrated template), its own
//! Redis key prefix and real servers. Start them with `scripts/services.sh start` (`make test` does).

mod admin_bot;
mod app;
mod backup;
mod browser;
mod client_claim;
mod client_history;
mod client_services;
mod cluster;
// --- The admins' web dashboard ---
mod dashboard;
mod dashboard_browser;
mod dashboard_data;
mod dashboard_moderation;
mod dashboard_session;
mod deploy;
mod driver;
mod durable;
mod engine;
mod error_reports;
mod hardening;
mod helpers;
mod keys;
mod language;
mod ledger;
mod ledger_model;
mod migrations;
mod miniapp;
mod miniapp_browser;
mod miniapp_data;
mod miniapp_writes;
mod ops;
mod outbox_lanes;
mod partner_backoffice;
mod poison;
mod polling;
// --- Partner money ---
mod nps_stats;
// --- Observability and shutdown ---
mod observability;
mod redeem;
mod redis_cluster;
mod replicas;
mod sandbox;
mod serving;
mod shared_limits;
mod shutdown;
mod webdriver;
