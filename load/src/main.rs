//! `loyalty-load`: benchmarks and the synthetic-user harness.
//!
//! `cargo run -p load --release -- ledger` measures the ledger actor (ops/s, p50/p99) at several submitter counts and
//! runs `pgbench -N` against the same server at the same client counts in the same invocation, printing the ratio.
//! `cargo run -p load --release -- dialogue` measures the conversation engine end to end through the sandbox;
//! `dialogue-external` drives the same dialogue from another process (tgbench) speaking the Bot API. `run` is the
//! load harness (synthetic users through real flows against `loyalty serve` replicas, checked Jepsen-style).

mod dialogue_bench;
mod external_bench;
mod harness;
mod ledger_bench;

/// The product's allocator (see `src/main.rs`), so the benchmarks measure what runs in production.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "loyalty-load",
    about = "Benchmarks and load harness for the loyalty network"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ledger throughput and latency beside pgbench -N.
    Ledger(ledger_bench::Args),
    /// Dialogue steps/s and update->reply latency through the sandbox; memory after many chats.
    Dialogue(dialogue_bench::Args),
    /// The same dialogue driven from another process (tgbench) over the Bot API, by polling and by webhook.
    DialogueExternal(external_bench::Args),
    /// The synthetic-user load harness: real flows against `loyalty serve` replicas, a Jepsen-style check, a report.
    Run(harness::Args),
    /// Holds a run's database to its saved history (exit 1 on a violation).
    Check(harness::CheckArgs),
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    let system = actix_rt::System::new();
    let passed = |ok: bool| {
        if ok {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        }
    };
    Ok(match cli.command {
        Command::Ledger(args) => system
            .block_on(ledger_bench::run(args))
            .map(|()| passed(true))?,
        Command::Dialogue(args) => system
            .block_on(dialogue_bench::run(args))
            .map(|()| passed(true))?,
        Command::DialogueExternal(args) => system
            .block_on(external_bench::run(args))
            .map(|()| passed(true))?,
        Command::Run(args) => passed(system.block_on(harness::run(args))?),
        Command::Check(args) => passed(system.block_on(harness::check(args))?),
    })
}
