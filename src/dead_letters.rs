//! `loyalty dead-letters list|replay`: the operator's side of the dead-letter store (issue 12, see
//! `actors::session::dead_letter`). `list` prints one JSON object per parked update, oldest first; `replay` runs
//! parked updates again through the ingress, sessions and outbox of this process (no polling, no webhook: the
//! serving process keeps the transport), removes each one that is now accepted, and exits 1 if any still fails.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use actors::session::dead_letter::{DeadLetter, DeadLetters};
use anyhow::Context;
use clap::Subcommand;
use fsm::BotKind;
use teloxide_core::types::Update;

use crate::Services;
use crate::config::Settings;

/// How long `replay` waits for the replies of the replayed updates to be sent before it exits.
const SEND_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Subcommand)]
pub enum DeadLetterCommand {
    /// Print the parked updates, one JSON object a line: bot, update_id, chat_id, attempts, error,
    /// parked_at_unix_s, update.
    List,
    /// Run parked updates again once their cause is fixed; each one accepted is removed.
    Replay {
        /// Only this bot's updates (partner, client or admin).
        #[arg(long)]
        bot: Option<String>,
        /// Only this update (with --bot).
        #[arg(long)]
        update_id: Option<i64>,
    },
}

async fn store(settings: &Settings) -> anyhow::Result<DeadLetters> {
    let conn = crate::db::redis_client(&settings.redis)?
        .shared()
        .await
        .context("connecting to Redis")?;
    Ok(DeadLetters::new(
        conn,
        settings.sessions.redis_namespace.clone(),
        settings.sessions.dedup_ttl_s,
    ))
}

/// Runs one `dead-letters` subcommand.
pub async fn run(command: DeadLetterCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let letters = store(&settings).await?;
    match command {
        DeadLetterCommand::List => {
            for letter in letters.list().await? {
                println!("{}", serde_json::to_string(&letter)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        DeadLetterCommand::Replay { bot, update_id } => {
            let chosen: Vec<DeadLetter> = letters
                .list()
                .await?
                .into_iter()
                .filter(|l| bot.as_deref().is_none_or(|b| b == l.bot))
                .filter(|l| update_id.is_none_or(|id| id == l.update_id))
                .collect();
            replay(settings, &letters, chosen).await
        }
    }
}

async fn replay(
    settings: Settings,
    letters: &DeadLetters,
    chosen: Vec<DeadLetter>,
) -> anyhow::Result<ExitCode> {
    if chosen.is_empty() {
        println!("replayed 0, still failing 0");
        return Ok(ExitCode::SUCCESS);
    }
    let telegram = settings.telegram.clone();
    let services = Services::start(settings).await?;
    let bots = services.start_bots(&telegram, false).await?;
    let (mut replayed, mut failing) = (0, 0);
    for letter in chosen {
        let parsed =
            BotKind::parse(&letter.bot).zip(serde_json::from_str::<Update>(&letter.update).ok());
        let Some((bot, update)) = parsed else {
            println!(
                "{} {}: not a stored update; left",
                letter.bot, letter.update_id
            );
            failing += 1;
            continue;
        };
        match bots.ingress.replay(bot, &update).await {
            Ok(outcome) => {
                letters.remove(&letter.bot, letter.update_id).await?;
                println!("{} {}: {outcome:?}", letter.bot, letter.update_id);
                replayed += 1;
            }
            Err(e) => {
                println!("{} {}: {e}; left", letter.bot, letter.update_id);
                failing += 1;
            }
        }
    }
    // The replies were handed to the outbox: let them go out before the process ends.
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    while bots.outbox_metrics.depth() > 0 && started.elapsed() < SEND_GRACE {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("replayed {replayed}, still failing {failing}");
    Ok(if failing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
