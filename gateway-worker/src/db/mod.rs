//! The database: where it is (`DATABASE_URL`), opening it with the `libsql` crate, and
//! bringing its schema up to date from `migrations/`.

pub mod config;
pub mod connect;
pub mod migrate;
pub mod reused_connection;
#[cfg(test)]
pub(crate) mod test_support;

use anyhow::Context;

/// Opens the database `config` names and brings its schema up to date with the migrations
/// built into this binary: what `gateway-worker migrate` does, and how tests and benchmarks
/// get a database with the current schema.
pub async fn open_migrated(
    config: &config::DatabaseConfig,
) -> anyhow::Result<(connect::Database, migrate::Report)> {
    let database = connect::Database::open(config).await?;
    let report = migrate::apply(&database.connect()?, &migrate::embedded())
        .await
        .with_context(|| format!("migrating {}", database.location()))?;
    Ok((database, report))
}
