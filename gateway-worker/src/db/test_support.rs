//! A migrated embedded database in a temporary folder, for the unit tests of modules that
//! read and write through the store.

use super::{config::DatabaseConfig, connect::Database, open_migrated};

/// Opens `db` inside `dir` as an embedded `file:` database and applies every migration.
pub async fn migrated_file_database(dir: &tempfile::TempDir) -> Database {
    let url = format!("file:{}", dir.path().join("db").display());
    let (database, _) = open_migrated(&DatabaseConfig::parse(Some(&url), None).unwrap())
        .await
        .unwrap();
    database
}

/// A migrated embedded database and a connection to it; keep the folder alive as long as the connection.
pub async fn migrated_connection() -> (tempfile::TempDir, libsql::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = migrated_file_database(&dir).await.connect().unwrap();
    (dir, conn)
}
