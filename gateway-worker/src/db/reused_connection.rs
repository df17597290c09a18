//! One connection kept for a stream of calls (the event pipeline's writes, the reaction task's
//! marks): opened when first needed, each call bounded in time and run through
//! [`Database::call`], and dropped after a failure so the next call starts on a fresh one (a
//! restarted server forgets old streams).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::connect::Database;

/// How the kept connection is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// [`Database::connect`].
    Plain,
    /// [`Database::connect_for_event_writes`].
    ForEventWrites,
}

pub struct ReusedConnection {
    database: Arc<Database>,
    opening: Opening,
    timeout: Duration,
    connection: Option<libsql::Connection>,
}

impl ReusedConnection {
    pub fn new(database: Arc<Database>, opening: Opening, timeout: Duration) -> Self {
        Self {
            database,
            opening,
            timeout,
            connection: None,
        }
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Runs `call` on the kept connection; an error, or no answer within the timeout, is
    /// an `Err`, after which the connection is opened afresh.
    pub async fn call<T, F, Fut>(&mut self, call: F) -> anyhow::Result<T>
    where
        F: FnOnce(libsql::Connection) -> Fut,
        Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let conn = match &self.connection {
            Some(conn) => conn.clone(),
            None => {
                let conn = match self.opening {
                    Opening::Plain => self.database.connect()?,
                    Opening::ForEventWrites => self.database.connect_for_event_writes().await?,
                };
                self.connection.insert(conn).clone()
            }
        };
        let result = match tokio::time::timeout(self.timeout, self.database.call(call(conn))).await
        {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!(
                "no answer within {} s",
                self.timeout.as_secs()
            )),
        };
        if result.is_err() {
            self.connection = None;
        }
        result
    }
}
