//! Starting and stopping the server, in-process for other crates' tests, or under the
//! `testkit dev-db` command.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::http::{self, AppState};
use super::streams::Streams;

/// sqld's idle timeout for a stream.
const DEFAULT_STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to listen, which file to serve, and who may use it.
#[derive(Debug, Clone)]
pub struct DevDbConfig {
    /// Port 0 picks a free port; [`RunningDevDb::addr`] tells which.
    pub listen: SocketAddr,
    /// The libSQL database file, created if missing; the server switches it to WAL.
    pub db_path: PathBuf,
    /// When set, Hrana requests need `Authorization: Bearer <token>`.
    pub auth_token: Option<String>,
    /// How long a stream may sit idle before it is closed and its open transaction rolled back.
    pub stream_idle_timeout: Duration,
}

impl DevDbConfig {
    /// Serves `db_path` on a free loopback port, without a token, with sqld's 10 s idle timeout.
    pub fn new(db_path: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            db_path: db_path.into(),
            auth_token: None,
            stream_idle_timeout: DEFAULT_STREAM_IDLE_TIMEOUT,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DevDbError {
    #[error("cannot listen on {addr}: {source} (is another server using the port?)")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot open the database {path}: {source} (does its folder exist and is it writable?)"
    )]
    OpenDatabase {
        path: PathBuf,
        #[source]
        source: libsql::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
    #[error("a server task panicked: {0}")]
    TaskPanicked(#[from] tokio::task::JoinError),
}

/// The local libSQL server: Hrana over HTTP on an embedded libSQL file.
pub struct DevDb;

impl DevDb {
    /// Opens the database, binds the listener and starts serving; returns once requests are
    /// accepted.
    pub async fn start(config: DevDbConfig) -> Result<RunningDevDb, DevDbError> {
        let db = open_database(&config).await?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| DevDbError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| DevDbError::Listen {
            addr: config.listen,
            source,
        })?;

        let state = Arc::new(AppState {
            streams: Streams::new(db, config.stream_idle_timeout),
            auth_token: config.auth_token,
        });
        let (stop, stopped) = watch::channel(());
        let expiry = tokio::spawn(expire_idle_streams(
            state.clone(),
            sweep_interval(config.stream_idle_timeout),
            stopped.clone(),
        ));
        let server = tokio::spawn(async move {
            axum::serve(listener, http::router(state))
                .with_graceful_shutdown(wait_for_stop(stopped))
                .await
                .map_err(DevDbError::Serve)
        });
        tracing::info!(%addr, path = %config.db_path.display(), "dev-db serving");
        Ok(RunningDevDb {
            addr,
            stop,
            server,
            expiry,
        })
    }
}

/// A started server. Dropping it stops it too (the tasks see the stop signal's sender go);
/// [`RunningDevDb::shutdown`] also waits until it has stopped.
pub struct RunningDevDb {
    addr: SocketAddr,
    stop: watch::Sender<()>,
    server: JoinHandle<Result<(), DevDbError>>,
    expiry: JoinHandle<()>,
}

impl RunningDevDb {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL clients connect to, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets those in flight finish, closes every stream (rolling
    /// back their open transactions) and waits for all of it.
    pub async fn shutdown(self) -> Result<(), DevDbError> {
        // Receivers live as long as the tasks; a send error only means they already ended.
        let _ = self.stop.send(());
        self.expiry.await?;
        self.server.await?
    }
}

async fn open_database(config: &DevDbConfig) -> Result<libsql::Database, DevDbError> {
    let open_error = |source| DevDbError::OpenDatabase {
        path: config.db_path.clone(),
        source,
    };
    let db = libsql::Builder::new_local(&config.db_path)
        .build()
        .await
        .map_err(open_error)?;
    // WAL lets readers go on while one stream holds a write transaction, as on sqld; the
    // mode is stored in the file, so one connection sets it for all.
    let conn = db.connect().map_err(open_error)?;
    conn.query("PRAGMA journal_mode = WAL", ())
        .await
        .map_err(open_error)?;
    Ok(db)
}

/// Checks often enough that a stream outlives its timeout by a fraction of it at most.
fn sweep_interval(idle_timeout: Duration) -> Duration {
    (idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

async fn expire_idle_streams(
    state: Arc<AppState>,
    every: Duration,
    mut stopped: watch::Receiver<()>,
) {
    let mut ticks = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                let expired = state.streams.expire_idle();
                if !expired.is_empty() {
                    tracing::debug!(count = expired.len(), "closing idle streams");
                    // Closing rolls back open transactions: disk work, off the async workers.
                    tokio::task::spawn_blocking(move || drop(expired));
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

/// Resolves on the stop signal, or when the [`RunningDevDb`] holding its sender is dropped.
async fn wait_for_stop(mut stopped: watch::Receiver<()>) {
    // Either outcome means stop: a value was sent, or the sender is gone.
    let _ = stopped.changed().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_streams_are_swept_at_a_quarter_of_the_timeout_within_bounds() {
        assert_eq!(
            sweep_interval(Duration::from_secs(10)),
            Duration::from_secs(1)
        );
        assert_eq!(
            sweep_interval(Duration::from_millis(400)),
            Duration::from_millis(100)
        );
        assert_eq!(
            sweep_interval(Duration::from_millis(8)),
            Duration::from_millis(10)
        );
    }
}
