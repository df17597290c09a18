//! `gateway-worker`: ShipTrack's native binary. Parses arguments and hands off.
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "gateway-worker", version, about = "ShipTrack's gateway worker and operator commands")]
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
}

#[tokio::main]
async fn main() -> ExitCode {
    shiptrack_gateway_worker::logging::init();
    let result = match Cli::parse().command.unwrap_or(Command::Run) {
        Command::Run => shiptrack_gateway_worker::commands::run::main().await,
        Command::Migrate => shiptrack_gateway_worker::commands::migrate::main().await,
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("gateway-worker: {err:#}");
            ExitCode::FAILURE
        }
    }
}
