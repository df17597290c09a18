//! Opens the database named by a [`DatabaseConfig`] with the `libsql` crate: embedded for a
//! file, the remote (Hrana over HTTP) client for a server. Callers then run the same SQL on
//! either.

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
        Ok(Self {
            inner,
            location,
            local,
        })
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

    /// The path or URL, for messages (never the token).
    pub fn location(&self) -> &str {
        &self.location
    }
}
