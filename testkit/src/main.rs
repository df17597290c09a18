//! `testkit`: local stand-ins for Discord and Turso, for development and tests.
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "testkit",
    version,
    about = "ShipTrack's local stand-ins for Discord and Turso"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A local libSQL server over HTTP (Hrana v2/v3), backed by an embedded libSQL file.
    DevDb(shiptrack_testkit::dev_db::Args),
    /// A Discord simulator: gateway WebSocket, REST routes, signed interactions, scripted faults.
    DiscordSim(shiptrack_testkit::discord_sim::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::DevDb(args) => shiptrack_testkit::dev_db::run(args).await,
        Command::DiscordSim(args) => shiptrack_testkit::discord_sim::run(args).await,
    }
}
