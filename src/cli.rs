//! The command line: `serve`, `migrate`, `check-ledger`, `demo`, `stress-ledger`, `partner-add`, `dead-letters`,
//! `backup`, `restore`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::{Services, db, migrate, stress, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "loyalty",
    version,
    about = "Loyalty-points network: partner, client and admin Telegram bots"
)]
pub struct Cli {
    /// A TOML configuration file; environment variables LOYALTY__SECTION__KEY override it.
    #[arg(long, global = true, env = "LOYALTY_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, then run the bots and the HTTP server.
    Serve,
    /// Apply the database migrations and the changed SQL functions, and exit.
    Migrate,
    /// Check every ledger invariant; exits 1 if any is violated.
    CheckLedger,
    /// Run the product locally on the built-in Telegram sandbox (no token, no internet).
    Demo,
    /// Drive random ledger traffic at the database (run several at once to play replicas).
    StressLedger(stress::StressArgs),
    /// Create (or re-approve) a partner until the admin bot approves applications.
    PartnerAdd {
        /// The partner's Telegram user id.
        #[arg(long)]
        telegram_id: i64,
        /// Company name as clients see it.
        #[arg(long)]
        company: String,
        /// Cashback in basis points (500 = 5 %).
        #[arg(long, default_value_t = 500)]
        cashback_bp: i32,
    },
    /// List or replay the updates parked after repeated transient failures.
    #[command(subcommand)]
    DeadLetters(crate::dead_letters::DeadLetterCommand),
    /// Dump the database (pg_dump, custom format) to a timestamped file, keeping the newest --keep.
    Backup(crate::backup::BackupArgs),
    /// Restore a backup into the configured (empty) database, then check the ledger.
    Restore(crate::backup::RestoreArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("loyalty: configuration: {e:#}");
            return ExitCode::from(2);
        }
    };
    // Held to the end: dropping it sends the error reports still queued.
    let _reports = telemetry::init(&settings);
    let system = actix_rt::System::new();
    let result = system.block_on(run(cli.command, settings));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loyalty: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Migrate => {
            let mut client = db::connect(&settings.database).await?;
            let applied = migrate::migrate(&mut client).await?;
            println!("migrations applied: {applied}");
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckLedger => check_ledger(&settings).await,
        Command::Backup(args) => crate::backup::backup(&settings, &args),
        Command::Restore(args) => crate::backup::restore(&settings, &args).await,
        Command::DeadLetters(command) => crate::dead_letters::run(command, settings).await,
        Command::Serve => serve(settings, false).await,
        Command::Demo => serve(settings, true).await,
        Command::PartnerAdd {
            telegram_id,
            company,
            cashback_bp,
        } => {
            let m = &settings.money;
            let in_bounds = u32::try_from(cashback_bp)
                .is_ok_and(|bp| (m.cashback_min_bp..=m.cashback_max_bp).contains(&bp));
            anyhow::ensure!(
                in_bounds,
                "cashback must be within {}..={} basis points",
                m.cashback_min_bp,
                m.cashback_max_bp
            );
            let mut client = db::connect(&settings.database).await?;
            migrate::migrate(&mut client).await?;
            let id = actors::db::partners::upsert_approved_partner(
                &client,
                telegram_id,
                &company,
                cashback_bp,
            )
            .await?;
            let code: String = client
                .query_one("SELECT referral_code FROM partners WHERE id = $1", &[&id.0])
                .await?
                .get(0);
            println!("partner {id} approved; client bot link payload: /start {code}");
            Ok(ExitCode::SUCCESS)
        }
        Command::StressLedger(args) => {
            let services = Services::start(settings).await?;
            let summary = stress::run(&services.pg, &services.ledger, &args).await?;
            println!("{}", serde_json::to_string(&summary)?);
            let clean = summary.replays_mismatched == 0 && summary.unresolved == 0;
            Ok(if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// Prints every ledger invariant with its number of violations; exit code 1 if any is violated.
pub(crate) async fn check_ledger(settings: &Settings) -> anyhow::Result<ExitCode> {
    let client = db::connect(&settings.database).await?;
    let checks = actors::ledger::audit::check(&client).await?;
    let mut violated = 0;
    for check in &checks {
        let mark = if check.violations == 0 {
            "ok  "
        } else {
            "FAIL"
        };
        println!(
            "{mark} {:<28} {:>6}  {}",
            check.name, check.violations, check.description
        );
        if check.violations != 0 {
            violated += 1;
        }
    }
    println!("{} invariants, {violated} violated", checks.len());
    Ok(if violated == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<ExitCode> {
    let running = crate::server::start(settings, demo).await?;
    match &running.demo_referral {
        Some(code) => {
            let addr = running.addr;
            println!(
                "loyalty demo is running on the built-in Telegram sandbox (no token, no internet)."
            );
            println!("  open  http://{addr}/sandbox");
            println!(
                "  partner bot: user id {} is the approved partner «Кофейня «Зерно»»; try /accrue",
                crate::server::DEMO_PARTNER_ID
            );
            println!(
                "  client bot:  any other user id; /start {code} registers through the partner's link"
            );
            println!("  health: http://{addr}/readyz");
        }
        None => tracing::info!(addr = %running.addr, "listening"),
    }
    let mut running = running;
    tokio::select! {
        stopped = &mut running.task => {
            // The HTTP server ended by itself: that is a failure to report, not a shutdown.
            stopped.context("server task")??;
            anyhow::bail!("the HTTP server stopped");
        }
        signal = shutdown_signal() => {
            signal?;
            tracing::info!("shutting down");
        }
    }
    // The shutdown keeps to the grace by itself; this is the backstop (a step stuck past it is cut: its update is
    // delivered again).
    let grace = running.grace;
    if tokio::time::timeout(grace, running.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_ms = grace.as_millis() as u64,
            "shutdown: the grace ran out; exiting"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM (what `docker stop` and systemd send).
async fn shutdown_signal() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted.context("listening for Ctrl-C"),
        _ = term.recv() => Ok(()),
    }
}
