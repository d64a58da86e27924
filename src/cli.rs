//! The command line: `serve`, `migrate`, `check-ledger`, `demo`, `stress-ledger`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::{Services, db, http, migrate, stress, telemetry};

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
    /// Apply the database migrations and exit.
    Migrate,
    /// Check every ledger invariant; exits 1 if any is violated.
    CheckLedger,
    /// Run the product locally on the built-in Telegram sandbox (no token, no internet).
    Demo,
    /// Drive random ledger traffic at the database (run several at once to play replicas).
    StressLedger(stress::StressArgs),
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
    telemetry::init(&settings.log.level);
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
            println!(
                "migrations applied: {}",
                if applied.is_empty() {
                    "none (up to date)".into()
                } else {
                    applied.join(", ")
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckLedger => check_ledger(&settings).await,
        Command::Serve => serve(settings, false).await,
        Command::Demo => serve(settings, true).await,
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

async fn check_ledger(settings: &Settings) -> anyhow::Result<ExitCode> {
    let client = db::connect(&settings.database).await?;
    let checks = actors::ledger_audit::check(&client).await?;
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
    let listen = settings.http.listen.clone();
    let workers = settings.http.workers;
    let services = Services::start(settings).await?;
    let data = actix_web::web::Data::new(services);
    let mut server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .configure(http::configure)
    })
    .bind(&listen)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    for addr in server.addrs() {
        if demo {
            println!(
                "loyalty demo is running: http://{addr}/healthz (readiness: http://{addr}/readyz)"
            );
        } else {
            tracing::info!(%addr, "listening");
        }
    }
    server.run().await?;
    Ok(ExitCode::SUCCESS)
}
