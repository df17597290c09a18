//! `testkit dev-db`: a local libSQL server over HTTP, because sqld (Turso's server) cannot be
//! installed here. It speaks Hrana over HTTP, versions 2 and 3 in JSON (`/v2/pipeline`,
//! `/v3/pipeline`, `/v3/cursor`), on an embedded libSQL file, and behaves as sqld does in what
//! our clients rely on: typed values, batons that hold a transaction across requests, idle
//! streams expiring and rolling back, batch conditions, stored SQL, sqld's error codes.
//!
//! It is held to the protocol by clients no one here wrote: the `libsql` crate's remote client
//! and `@libsql/client` (see `testkit/tests/dev_db_*.rs`). It is not a production server:
//! no replication, no protobuf encoding, no WebSocket Hrana.
//!
//! Other crates' tests start it in-process with [`DevDb::start`]; the `dev-db` subcommand runs
//! it for local development.

mod auth;
mod batch;
mod batons;
mod error;
mod http;
mod server;
mod sql_analysis;
mod statement;
mod stored_sql;
mod stream;
mod streams;
mod values;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

pub use server::{DevDb, DevDbConfig, DevDbError, RunningDevDb};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on; port 0 picks a free one (the startup line shows which).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The libSQL database file to serve; created if missing.
    #[arg(long)]
    db: PathBuf,
    /// Require `Authorization: Bearer <TOKEN>` on every Hrana request.
    #[arg(long, value_name = "TOKEN")]
    auth_token: Option<String>,
    /// Seconds a stream may sit idle before it is closed and its open transaction rolled back.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    stream_idle_timeout: u64,
}

/// Serves until SIGINT or SIGTERM. Prints `dev-db listening on http://HOST:PORT` on stdout
/// once requests are accepted; scripts wait for that line.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = DevDbConfig {
        listen: args.listen,
        db_path: args.db,
        auth_token: args.auth_token,
        stream_idle_timeout: Duration::from_secs(args.stream_idle_timeout),
    };
    let running = DevDb::start(config)
        .await
        .context("dev-db could not start")?;
    println!("dev-db listening on {}", running.url());
    stop_signal()
        .await
        .context("dev-db could not listen for SIGINT/SIGTERM")?;
    running
        .shutdown()
        .await
        .context("dev-db did not stop cleanly")
}

async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted,
        _ = terminate.recv() => Ok(()),
    }
}
