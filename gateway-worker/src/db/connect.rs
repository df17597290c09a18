//! Opens the database named by a [`DatabaseConfig`] with the `libsql` crate: embedded for a
//! file, the remote (Hrana over HTTP) client for a server. Callers then run the same SQL on
//! either.
//!
//! An embedded file is SQLite underneath libsql's async API: a call does its work (parsing,
//! B-tree updates, waiting for the disk) synchronously inside the first poll of its future.
//! [`Database::call`] therefore runs such calls on tokio's blocking threads, so no runtime
//! worker, and no shard reading its socket on one, ever waits for the database.

use std::future::Future;
use std::time::Duration;

use thiserror::Error;

use super::config::{DatabaseConfig, DatabaseLocation};

/// How long a statement on an embedded file waits for another process's write lock (a
/// second worker, `migrate` run beside a worker) before failing with "database is locked".
const LOCAL_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The database could not be opened.
#[derive(Debug, Error)]
pub enum ConnectError {
    #[error("cannot open the database {location}: {source}")]
    Open {
        location: String,
        source: libsql::Error,
    },
    #[error("cannot connect to the database {location}: {source}")]
    Connect {
        location: String,
        source: libsql::Error,
    },
}

/// An opened database, from which connections are made.
pub struct Database {
    inner: libsql::Database,
    location: String,
    local: bool,
}

impl Database {
    /// Opens the database; an embedded file is created if missing. A server is not contacted
    /// until the first statement runs.
    pub async fn open(config: &DatabaseConfig) -> Result<Self, ConnectError> {
        let location = config.describe();
        let (built, local) = match &config.location {
            DatabaseLocation::File(path) => (libsql::Builder::new_local(path).build().await, true),
            DatabaseLocation::Remote { url } => {
                let token = config.auth_token.clone().unwrap_or_default();
                (
                    libsql::Builder::new_remote(url.clone(), token)
                        .build()
                        .await,
                    false,
                )
            }
        };
        let inner = built.map_err(|source| ConnectError::Open {
            location: location.clone(),
            source,
        })?;
        let database = Self {
            inner,
            location,
            local,
        };
        if local {
            database.use_write_ahead_log().await;
        }
        Ok(database)
    }

    /// Switches an embedded file to WAL journaling (a setting stored in the file, so this is
    /// a no-op after the first open): readers and the writer no longer block each other, and
    /// a commit appends to one log instead of creating, syncing and deleting a rollback
    /// journal. A file system without the shared memory WAL needs keeps the rollback journal,
    /// which works, only slower.
    async fn use_write_ahead_log(&self) {
        let switched = async {
            let conn = self.connect()?;
            let mut rows = conn.query("PRAGMA journal_mode = WAL", ()).await?;
            let mode = match rows.next().await? {
                Some(row) => row.get::<String>(0)?,
                None => String::new(),
            };
            anyhow::Ok(mode)
        };
        match switched.await {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => {}
            Ok(mode) => {
                tracing::warn!(database = %self.location, mode, "the database file stays in its journal mode instead of WAL; writes are slower")
            }
            Err(error) => {
                tracing::warn!(database = %self.location, error = %format!("{error:#}"), "could not switch the database file to WAL; writes are slower")
            }
        }
    }

    /// A new connection. On an embedded file each connection waits for locks held by others.
    pub fn connect(&self) -> Result<libsql::Connection, ConnectError> {
        let connect_error = |source| ConnectError::Connect {
            location: self.location.clone(),
            source,
        };
        let connection = self.inner.connect().map_err(connect_error)?;
        if self.local {
            connection
                .busy_timeout(LOCAL_BUSY_TIMEOUT)
                .map_err(connect_error)?;
        }
        Ok(connection)
    }

    /// A connection for the event pipeline's stream of small transactions (launch rows, then
    /// the session's stored sequence). On an embedded file in WAL mode its commits do not
    /// wait for the disk (`synchronous = NORMAL`): a killed process loses nothing committed,
    /// and a power cut can only lose the newest commits, in commit order, because WAL
    /// recovery keeps a prefix of the log. The session's sequence is committed after the rows
    /// it covers, so it is lost with them: the next start resumes from an older sequence and
    /// Discord replays those events, whose rows are keyed by message id. A replay, never a
    /// loss. (A server decides its own durability; the setting only applies to a file.)
    pub async fn connect_for_event_writes(&self) -> Result<libsql::Connection, ConnectError> {
        let connection = self.connect()?;
        if self.local {
            connection
                .execute("PRAGMA synchronous = NORMAL", ())
                .await
                .map_err(|source| ConnectError::Connect {
                    location: self.location.clone(),
                    source,
                })?;
        }
        Ok(connection)
    }

    /// Awaits `call`, a database call made on a connection of this database, on a blocking
    /// thread when the database is an embedded file (see the module comment), and right here
    /// for a server, whose calls are network I/O that yields.
    pub async fn call<T, F>(&self, call: F) -> T
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        if !self.local {
            return call.await;
        }
        let runtime = tokio::runtime::Handle::current();
        match tokio::task::spawn_blocking(move || runtime.block_on(call)).await {
            Ok(output) => output,
            Err(error) => match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(error) => panic!("a database call did not run: {error}"),
            },
        }
    }

    /// [`Database::call`] on a connection opened for it: the whole of a one-off database call.
    pub async fn call_on_new_connection<T, E, F, Fut>(&self, call: F) -> anyhow::Result<T>
    where
        F: FnOnce(libsql::Connection) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Into<anyhow::Error> + Send + 'static,
    {
        let conn = self.connect()?;
        self.call(call(conn)).await.map_err(Into::into)
    }

    /// An embedded file, rather than a server.
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// The path or URL, for messages (never the token).
    pub fn location(&self) -> &str {
        &self.location
    }
}
