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

#[tokio::main]
async fn main() -> ExitCode {
    shiptrack_gateway_worker::logging::init();
    let result = match Cli::parse().command.unwrap_or(Command::Run) {
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
