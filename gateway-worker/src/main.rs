//! `gateway-worker`: ShipTrack's native binary. Parses arguments and hands off.
use clap::{Parser, Subcommand};
use shiptrack_gateway_worker::commands;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gateway-worker",
    version,
    about = "ShipTrack's gateway worker and operator commands"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Connect to Discord's gateway, log launches and react to them (the default).
    Run,
    /// Apply pending migrations from migrations/ to DATABASE_URL.
    Migrate,
    /// Replace the application's slash commands with ShipTrack's (needs DISCORD_APPLICATION_ID).
    RegisterCommands(shiptrack_gateway_worker::commands::register_commands::Args),
    /// Print the weekly digest a guild would get (`--dry-run`), from the cron's queries and renderer.
    Digest(shiptrack_gateway_worker::commands::digest::Args),
}

/// One runtime thread unless `TOKIO_WORKER_THREADS` (tokio's own variable) asks for more: a
/// shard's work per event is a few microseconds, and every database call runs on tokio's
/// blocking threads, so a second runtime thread mostly adds wake-ups between the two — in
/// the gateway benchmark, more CPU per event and no more events per second. A process that
/// runs many shards on a machine with many cores can set the variable.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(1);
    }
    builder.enable_all().build()
}

fn main() -> ExitCode {
    shiptrack_gateway_worker::logging::init();
    let cli = Cli::parse();
    match runtime() {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(error) => {
            eprintln!("gateway-worker: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command.unwrap_or(Command::Run) {
        Command::Run => shiptrack_gateway_worker::commands::run::main().await,
        Command::Migrate => shiptrack_gateway_worker::commands::migrate::main().await,
        Command::RegisterCommands(args) => {
            shiptrack_gateway_worker::commands::register_commands::main(args).await
        }
        Command::Digest(args) => shiptrack_gateway_worker::commands::digest::main(args).await,
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("gateway-worker: {err:#}");
            if err.is::<commands::BadConfiguration>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
