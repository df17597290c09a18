//! The two kinds of database our SQL must work on, for tests that run once on each: an
//! embedded libSQL file, and `testkit dev-db` spoken to over HTTP by the `libsql` crate's
//! remote client (which re-serialises every statement before sending it, as the edge's
//! Hrana client sends our text to Turso).

use shiptrack_gateway_worker::db::{config::DatabaseConfig, connect::Database};
use shiptrack_testkit::dev_db::{DevDb, DevDbConfig, RunningDevDb};
use tempfile::TempDir;

/// An empty database and whatever keeps it alive.
pub struct Backend {
    pub database: Database,
    pub conn: libsql::Connection,
    _dir: TempDir,
    _server: Option<RunningDevDb>,
}

impl Backend {
    async fn open(url: String, dir: TempDir, server: Option<RunningDevDb>) -> Self {
        let config = DatabaseConfig::parse(Some(&url), None).unwrap();
        let database = Database::open(&config).await.unwrap();
        let conn = database.connect().unwrap();
        Self {
            database,
            conn,
            _dir: dir,
            _server: server,
        }
    }
}

pub async fn embedded_file() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file:{}", dir.path().join("test.db").display());
    Backend::open(url, dir, None).await
}

pub async fn dev_db_over_http() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let server = DevDb::start(DevDbConfig::new(dir.path().join("served.db")))
        .await
        .unwrap();
    Backend::open(server.url(), dir, Some(server)).await
}

/// Declares each test once per backend, as `embedded_file::NAME` and `dev_db_over_http::NAME`;
/// `setup` prepares the fresh backend before the test gets it.
macro_rules! on_every_backend {
    (setup = $setup:path; $($test:ident),* $(,)?) => {
        mod embedded_file {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test($setup(super::backends::embedded_file().await).await).await;
            })*
        }
        mod dev_db_over_http {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test($setup(super::backends::dev_db_over_http().await).await).await;
            })*
        }
    };
}
pub(crate) use on_every_backend;
