//! Brings a database's schema up to date from the numbered files in `migrations/`.
//!
//! The files are embedded at build time, so a deployed binary carries exactly the schema its
//! queries expect. Each applied file is recorded in `schema_migrations` with a checksum: a
//! file edited after it ran is refused rather than silently diverging between databases.
//! Each pending file runs in its own transaction together with its record, so a file that
//! fails leaves no trace (SQLite's DDL is transactional) and the next run tries it again.

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use thiserror::Error;

/// The bookkeeping table. It is created inside the first migration's transaction, so even a
/// first migration that fails leaves a fresh database empty.
const CREATE_BOOKKEEPING: &str = "\
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    checksum   TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
)";
const BOOKKEEPING_EXISTS: &str =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
const APPLIED: &str = "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
const APPLIED_CHECKSUM: &str = "SELECT checksum FROM schema_migrations WHERE version = ?1";
const RECORD: &str =
    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)";

/// The migration files, in numeric order. A test checks this list against the directory, so a
/// new file cannot be forgotten here.
macro_rules! embed {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/", $file)))),*]
    };
}
const EMBEDDED: &[(&str, &str)] = embed![
    "0001_launches.sql",
    "0002_digests.sql",
    "0003_gateway.sql",
    "0004_guild_settings.sql",
    "0005_launch_reactions.sql",
];

/// One numbered schema change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    /// The file name without `.sql`, e.g. `0003_gateway`.
    pub name: String,
    /// The statements; they must not open or close transactions themselves.
    pub sql: String,
}

impl Migration {
    /// A migration from its file name (`NNNN_words.sql`) and text; `None` when the name has no
    /// leading number.
    pub fn from_file(file_name: &str, sql: &str) -> Option<Self> {
        let name = file_name.strip_suffix(".sql")?;
        let (number, _) = name.split_once('_')?;
        let version = number.parse().ok()?;
        Some(Self {
            version,
            name: name.to_owned(),
            sql: sql.to_owned(),
        })
    }

    /// SHA-256 of the text, hex. Line endings are normalised first, so a checkout that turned
    /// `\n` into `\r\n` does not look like an edited migration.
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.replace("\r\n", "\n").as_bytes()))
    }
}

/// The migrations built into this binary, in order.
pub fn embedded() -> Vec<Migration> {
    EMBEDDED
        .iter()
        .map(|(file, sql)| {
            Migration::from_file(file, sql)
                .expect("embedded migration files are named NNNN_name.sql")
        })
        .collect()
}

/// A migration that was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    pub name: String,
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Migrations applied by this run, in order; empty when the database was up to date.
    pub applied: Vec<Applied>,
    /// How many migrations the database has now.
    pub total: usize,
}

/// Why the schema could not be brought up to date. Every migration applied before the error
/// stays applied; the one that failed left nothing behind.
#[derive(Debug, Error)]
pub enum MigrateError {
    #[error(
        "migrations must be numbered in increasing order, but {name} follows {previous}: renumber it"
    )]
    Unordered { previous: String, name: String },
    #[error("cannot read the applied migrations: {0}")]
    Bookkeeping(#[source] libsql::Error),
    #[error(
        "migration {name} was changed after it was applied (checksum {applied} in the database, {current} in this build): restore the file and put the change in a new migration"
    )]
    ChecksumMismatch {
        name: String,
        applied: String,
        current: String,
    },
    #[error(
        "the database has migration {version} ({name}), which this build does not know: run a gateway-worker built from a newer checkout"
    )]
    UnknownApplied { version: i64, name: String },
    #[error(
        "migration {name} is pending but the later migration {later} is already applied: renumber {name} after {later}"
    )]
    PendingBeforeApplied { name: String, later: String },
    #[error("migration {name} failed, and the database was left as it was before it: {source}")]
    Failed { name: String, source: libsql::Error },
}

/// Applies every migration in `migrations` that the database lacks, in order.
pub async fn apply(
    conn: &libsql::Connection,
    migrations: &[Migration],
) -> Result<Report, MigrateError> {
    for pair in migrations.windows(2) {
        if pair[1].version <= pair[0].version {
            return Err(MigrateError::Unordered {
                previous: pair[0].name.clone(),
                name: pair[1].name.clone(),
            });
        }
    }
    let applied = read_applied(conn)
        .await
        .map_err(MigrateError::Bookkeeping)?;
    for (version, name, checksum) in &applied {
        let Some(known) = migrations
            .iter()
            .find(|migration| migration.version == *version)
        else {
            return Err(MigrateError::UnknownApplied {
                version: *version,
                name: name.clone(),
            });
        };
        check_unchanged(known, checksum)?;
    }
    let pending: Vec<&Migration> = migrations
        .iter()
        .filter(|migration| {
            !applied
                .iter()
                .any(|(version, ..)| *version == migration.version)
        })
        .collect();
    if let (Some(first), Some((_, later, _))) = (pending.first(), applied.last()) {
        // Applying an older number after newer ones would give databases the same records
        // but different histories; make the author renumber instead.
        if applied.iter().any(|(version, ..)| *version > first.version) {
            return Err(MigrateError::PendingBeforeApplied {
                name: first.name.clone(),
                later: later.clone(),
            });
        }
    }
    let mut report = Report {
        applied: Vec::new(),
        total: applied.len(),
    };
    for migration in pending {
        if apply_one(conn, migration).await? {
            report.applied.push(Applied {
                version: migration.version,
                name: migration.name.clone(),
            });
        }
        report.total += 1;
    }
    Ok(report)
}

async fn read_applied(
    conn: &libsql::Connection,
) -> Result<Vec<(i64, String, String)>, libsql::Error> {
    if conn
        .query(BOOKKEEPING_EXISTS, ())
        .await?
        .next()
        .await?
        .is_none()
    {
        return Ok(Vec::new());
    }
    let mut rows = conn.query(APPLIED, ()).await?;
    let mut applied = Vec::new();
    while let Some(row) = rows.next().await? {
        applied.push((row.get(0)?, row.get(1)?, row.get(2)?));
    }
    Ok(applied)
}

fn check_unchanged(migration: &Migration, applied_checksum: &str) -> Result<(), MigrateError> {
    let current = migration.checksum();
    if current == applied_checksum {
        Ok(())
    } else {
        Err(MigrateError::ChecksumMismatch {
            name: migration.name.clone(),
            applied: applied_checksum.to_owned(),
            current,
        })
    }
}

/// What [`apply_one`] found inside its transaction.
enum Outcome {
    Applied,
    /// Another process applied it meanwhile: the immediate transaction waited for that
    /// process's commit, then saw its record.
    AlreadyRecorded,
}

/// Runs one migration and its record in one transaction; true when this call applied it.
async fn apply_one(conn: &libsql::Connection, migration: &Migration) -> Result<bool, MigrateError> {
    let failed = |source| MigrateError::Failed {
        name: migration.name.clone(),
        source,
    };
    let tx = conn
        .transaction_with_behavior(libsql::TransactionBehavior::Immediate)
        .await
        .map_err(failed)?;
    match run_in(&tx, migration).await {
        Ok(Outcome::Applied) => {
            tx.commit().await.map_err(failed)?;
            Ok(true)
        }
        Ok(Outcome::AlreadyRecorded) => {
            tx.rollback().await.map_err(failed)?;
            Ok(false)
        }
        Err(error) => {
            // Should the rollback fail too (the connection dropped), nothing was committed
            // either: a server rolls back a transaction whose stream is gone.
            let _ = tx.rollback().await;
            Err(error)
        }
    }
}

/// The body of [`apply_one`]'s transaction.
async fn run_in(tx: &libsql::Transaction, migration: &Migration) -> Result<Outcome, MigrateError> {
    let failed = |source| MigrateError::Failed {
        name: migration.name.clone(),
        source,
    };
    tx.execute(CREATE_BOOKKEEPING, ()).await.map_err(failed)?;
    let recorded = {
        let mut rows = tx
            .query(APPLIED_CHECKSUM, [migration.version])
            .await
            .map_err(failed)?;
        match rows.next().await.map_err(failed)? {
            Some(row) => Some(row.get::<String>(0).map_err(failed)?),
            None => None,
        }
    };
    if let Some(checksum) = recorded {
        check_unchanged(migration, &checksum)?;
        return Ok(Outcome::AlreadyRecorded);
    }
    tx.execute_batch(&migration.sql).await.map_err(failed)?;
    tx.execute(
        RECORD,
        libsql::params![
            migration.version,
            migration.name.as_str(),
            migration.checksum(),
            now_ms()
        ],
    )
    .await
    .map_err(failed)?;
    Ok(Outcome::Applied)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_gives_version_and_name() {
        let migration = Migration::from_file("0012_more_things.sql", "SELECT 1").unwrap();
        assert_eq!(migration.version, 12);
        assert_eq!(migration.name, "0012_more_things");
    }

    #[test]
    fn a_file_name_without_a_number_is_not_a_migration() {
        assert_eq!(Migration::from_file("launches.sql", ""), None);
        assert_eq!(Migration::from_file("x1_launches.sql", ""), None);
        assert_eq!(Migration::from_file("0001_launches.txt", ""), None);
    }

    #[test]
    fn the_checksum_changes_with_the_text_but_not_with_line_endings() {
        let unix = Migration::from_file("0001_a.sql", "CREATE TABLE a (x);\nCREATE TABLE b (y);\n")
            .unwrap();
        let windows = Migration::from_file(
            "0001_a.sql",
            "CREATE TABLE a (x);\r\nCREATE TABLE b (y);\r\n",
        )
        .unwrap();
        let edited =
            Migration::from_file("0001_a.sql", "CREATE TABLE a (z);\nCREATE TABLE b (y);\n")
                .unwrap();
        assert_eq!(unix.checksum(), windows.checksum());
        assert_ne!(unix.checksum(), edited.checksum());
        assert_eq!(unix.checksum().len(), 64);
    }

    #[test]
    fn embedded_migrations_are_numbered_in_increasing_order() {
        let versions: Vec<i64> = embedded()
            .iter()
            .map(|migration| migration.version)
            .collect();
        assert!(
            versions.windows(2).all(|pair| pair[0] < pair[1]),
            "{versions:?}"
        );
        assert_eq!(versions.first(), Some(&1));
    }

    #[test]
    fn embedded_migrations_match_the_migrations_directory() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
        let mut on_disk: Vec<Migration> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
            .map(|path| {
                let file = path.file_name().unwrap().to_str().unwrap().to_owned();
                Migration::from_file(&file, &std::fs::read_to_string(&path).unwrap())
                    .unwrap_or_else(|| panic!("{file} is not named NNNN_name.sql"))
            })
            .collect();
        on_disk.sort_by_key(|migration| migration.version);
        assert_eq!(
            embedded(),
            on_disk,
            "add every file in migrations/ to EMBEDDED, in order"
        );
    }
}
