//! `gateway-worker migrate` and the migration runner behind it, on an embedded file and
//! through `testkit dev-db`: every file applied once, a second run a no-op, the same schema
//! on both, and a failing or edited migration leaving the database as it was.

mod backends;

use std::process::Output;

use backends::Backend;
use fallible_iterator::FallibleIterator;
use libsql_sqlite3_parser::lexer::sql::Parser;
use shiptrack_gateway_worker::db::migrate::{self, MigrateError, Migration};

async fn fresh(backend: Backend) -> Backend {
    backend
}

backends::on_every_backend!(
    setup = super::fresh;
    migrate_applies_every_file_once_then_reports_up_to_date,
    two_migrate_processes_at_once_apply_each_migration_once,
    a_failing_migration_leaves_the_database_as_it_was,
    a_failing_first_migration_leaves_a_fresh_database_empty,
    an_edited_migration_is_refused_and_nothing_else_is_applied,
    a_database_with_a_migration_this_build_lacks_is_refused,
    a_new_migration_numbered_before_applied_ones_is_refused,
);

/// Runs the real binary's `migrate` against `url`.
async fn run_migrate(url: &str) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-worker"))
        .arg("migrate")
        .env("DATABASE_URL", url)
        .env_remove("DATABASE_AUTH_TOKEN")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "migrate failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Every schema object and every row of every table, as text: equal snapshots mean an
/// unchanged database.
async fn snapshot(conn: &libsql::Connection) -> Vec<String> {
    let mut lines = Vec::new();
    let mut tables = Vec::new();
    let mut objects = conn
        .query(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
            (),
        )
        .await
        .unwrap();
    while let Some(row) = objects.next().await.unwrap() {
        let (kind, name): (String, String) = (row.get(0).unwrap(), row.get(1).unwrap());
        let sql: Option<String> = row.get(3).unwrap();
        lines.push(format!(
            "{kind} {name} on {}: {sql:?}",
            row.get::<String>(2).unwrap()
        ));
        if kind == "table" {
            tables.push(name);
        }
    }
    for table in tables {
        let mut rows = conn
            .query(&format!("SELECT * FROM \"{table}\" ORDER BY rowid"), ())
            .await
            .unwrap();
        while let Some(row) = rows.next().await.unwrap() {
            let values: Vec<String> = (0..row.column_count())
                .map(|index| format!("{:?}", row.get_value(index).unwrap()))
                .collect();
            lines.push(format!("{table}: {}", values.join(", ")));
        }
    }
    lines
}

/// The schema with each statement in one canonical spelling. The `libsql` crate's remote
/// client re-serialises statements before sending them, so a server stores equivalent SQL
/// spelled differently (no comments, other spacing) from what the embedded file stores.
async fn canonical_schema(
    conn: &libsql::Connection,
) -> Vec<(String, String, String, Option<String>)> {
    let mut schema = Vec::new();
    let mut rows = conn
        .query(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
            (),
        )
        .await
        .unwrap();
    while let Some(row) = rows.next().await.unwrap() {
        let sql = row.get::<Option<String>>(3).unwrap().map(|sql| {
            let command = Parser::new(sql.as_bytes()).next().unwrap().unwrap();
            command.to_string()
        });
        schema.push((
            row.get(0).unwrap(),
            row.get(1).unwrap(),
            row.get(2).unwrap(),
            sql,
        ));
    }
    schema
}

async fn applied_versions(conn: &libsql::Connection) -> Vec<i64> {
    let mut rows = conn
        .query("SELECT version FROM schema_migrations ORDER BY version", ())
        .await
        .unwrap();
    let mut versions = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        versions.push(row.get(0).unwrap());
    }
    versions
}

fn with_extra(sql_files: &[(&str, &str)]) -> Vec<Migration> {
    let mut migrations = migrate::embedded();
    migrations.extend(
        sql_files
            .iter()
            .map(|(file, sql)| Migration::from_file(file, sql).unwrap()),
    );
    migrations
}

async fn migrate_applies_every_file_once_then_reports_up_to_date(backend: Backend) {
    let first = stdout(&run_migrate(backend.database.location()).await);
    let names: Vec<String> = migrate::embedded()
        .into_iter()
        .map(|migration| migration.name)
        .collect();
    let mut expected: Vec<String> = names.iter().map(|name| format!("applied {name}")).collect();
    expected.push(format!(
        "{} is up to date ({} migrations, {} applied now)",
        backend.database.location(),
        names.len(),
        names.len()
    ));
    assert_eq!(first.lines().collect::<Vec<_>>(), expected);
    let after_first = snapshot(&backend.conn).await;

    let second = stdout(&run_migrate(backend.database.location()).await);
    assert_eq!(
        second.trim_end(),
        format!(
            "{} is up to date ({} migrations)",
            backend.database.location(),
            names.len()
        )
    );
    assert_eq!(
        snapshot(&backend.conn).await,
        after_first,
        "a second run changed the database"
    );
    assert_eq!(applied_versions(&backend.conn).await, vec![1, 2, 3, 4, 5]);
}

async fn two_migrate_processes_at_once_apply_each_migration_once(backend: Backend) {
    let (one, two) = tokio::join!(
        run_migrate(backend.database.location()),
        run_migrate(backend.database.location())
    );
    let both = stdout(&one) + &stdout(&two);
    for migration in migrate::embedded() {
        let line = format!("applied {}", migration.name);
        assert_eq!(
            both.lines().filter(|printed| *printed == line).count(),
            1,
            "{both}"
        );
    }
    assert_eq!(applied_versions(&backend.conn).await, vec![1, 2, 3, 4, 5]);
}

async fn a_failing_migration_leaves_the_database_as_it_was(backend: Backend) {
    let conn = &backend.conn;
    migrate::apply(conn, &migrate::embedded()).await.unwrap();
    conn.execute(
        "INSERT INTO launches (guild_id, author_id, author_name, text, source, source_id, created_at)
         VALUES ('1', '2', 'Ada', 'shipped', 'command', '3', 4)",
        (),
    )
    .await
    .unwrap();
    let before = snapshot(conn).await;

    // Its first statements succeed (a table, an index, a row, a column); the last fails.
    let broken = with_extra(&[(
        "0006_broken.sql",
        "CREATE TABLE extra (x INTEGER);
         CREATE INDEX launches_by_text ON launches (text);
         INSERT INTO launches (guild_id, author_id, author_name, text, source, source_id, created_at)
         VALUES ('1', '2', 'Ada', 'again', 'command', '5', 6);
         ALTER TABLE launches ADD COLUMN surprise TEXT;
         CREATE TABLE launches (y INTEGER);",
    )]);
    let error = migrate::apply(conn, &broken).await.unwrap_err();
    assert!(
        matches!(&error, MigrateError::Failed { name, .. } if name == "0006_broken"),
        "{error}"
    );
    assert_eq!(snapshot(conn).await, before);

    // Fixed, the same number applies on the next run.
    let fixed = with_extra(&[("0006_fixed.sql", "CREATE TABLE extra (x INTEGER);")]);
    let report = migrate::apply(conn, &fixed).await.unwrap();
    assert_eq!(
        report
            .applied
            .iter()
            .map(|applied| applied.version)
            .collect::<Vec<_>>(),
        vec![6]
    );
    assert_eq!(report.total, 6);
}

async fn a_failing_first_migration_leaves_a_fresh_database_empty(backend: Backend) {
    let broken = vec![
        Migration::from_file("0001_broken.sql", "CREATE TABLE a (x); CREATE TABLE a (y);").unwrap(),
    ];
    assert!(matches!(
        migrate::apply(&backend.conn, &broken).await,
        Err(MigrateError::Failed { .. })
    ));
    assert_eq!(snapshot(&backend.conn).await, Vec::<String>::new());
}

async fn an_edited_migration_is_refused_and_nothing_else_is_applied(backend: Backend) {
    let conn = &backend.conn;
    migrate::apply(conn, &migrate::embedded()).await.unwrap();
    let before = snapshot(conn).await;
    let mut edited = with_extra(&[("0006_new.sql", "CREATE TABLE extra (x INTEGER);")]);
    edited[1]
        .sql
        .push_str("\nCREATE TABLE sneaked_in (x INTEGER);\n");

    let error = migrate::apply(conn, &edited).await.unwrap_err();
    assert!(
        matches!(&error, MigrateError::ChecksumMismatch { name, .. } if name == "0002_digests"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("put the change in a new migration"),
        "{error}"
    );
    assert_eq!(snapshot(conn).await, before);
}

async fn a_database_with_a_migration_this_build_lacks_is_refused(backend: Backend) {
    let conn = &backend.conn;
    migrate::apply(
        conn,
        &with_extra(&[("0006_newer.sql", "CREATE TABLE extra (x INTEGER);")]),
    )
    .await
    .unwrap();
    let error = migrate::apply(conn, &migrate::embedded())
        .await
        .unwrap_err();
    assert!(
        matches!(error, MigrateError::UnknownApplied { version: 6, .. }),
        "{error}"
    );
}

async fn a_new_migration_numbered_before_applied_ones_is_refused(backend: Backend) {
    let conn = &backend.conn;
    migrate::apply(
        conn,
        &with_extra(&[("0007_later.sql", "CREATE TABLE later (x INTEGER);")]),
    )
    .await
    .unwrap();
    let before = snapshot(conn).await;
    let error = migrate::apply(
        conn,
        &with_extra(&[
            ("0006_earlier.sql", "CREATE TABLE earlier (x INTEGER);"),
            ("0007_later.sql", "CREATE TABLE later (x INTEGER);"),
        ]),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, MigrateError::PendingBeforeApplied { name, later } if name == "0006_earlier" && later == "0007_later"),
        "{error}"
    );
    assert_eq!(snapshot(conn).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_and_dev_db_get_the_same_schema() {
    let file = backends::embedded_file().await;
    let server = backends::dev_db_over_http().await;
    stdout(&run_migrate(file.database.location()).await);
    stdout(&run_migrate(server.database.location()).await);

    let schema = canonical_schema(&file.conn).await;
    assert_eq!(canonical_schema(&server.conn).await, schema);
    let tables: Vec<&str> = schema
        .iter()
        .filter(|(kind, ..)| kind == "table")
        .map(|(_, name, ..)| name.as_str())
        .collect();
    assert_eq!(
        tables,
        [
            "digests",
            "gateway_leases",
            "gateway_sessions",
            "guild_settings",
            "launches",
            "schema_migrations",
            "ship_channels"
        ]
    );
    let checksums = |conn: libsql::Connection| async move {
        let mut rows = conn
            .query(
                "SELECT name, checksum FROM schema_migrations ORDER BY version",
                (),
            )
            .await
            .unwrap();
        let mut found = Vec::new();
        while let Some(row) = rows.next().await.unwrap() {
            found.push((row.get::<String>(0).unwrap(), row.get::<String>(1).unwrap()));
        }
        found
    };
    assert_eq!(
        checksums(file.database.connect().unwrap()).await,
        checksums(server.database.connect().unwrap()).await
    );
}

#[tokio::test]
async fn migrations_run_in_order_or_not_at_all() {
    let backend = backends::embedded_file().await;
    let unordered = vec![
        Migration::from_file("0002_b.sql", "CREATE TABLE b (x);").unwrap(),
        Migration::from_file("0001_a.sql", "CREATE TABLE a (x);").unwrap(),
    ];
    let error = migrate::apply(&backend.conn, &unordered).await.unwrap_err();
    assert!(matches!(error, MigrateError::Unordered { .. }), "{error}");
    assert_eq!(snapshot(&backend.conn).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_bad_database_url_exits_with_2_naming_the_variable() {
    let output = run_migrate("postgres://localhost/shiptrack").await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("DATABASE_URL=\"postgres://localhost/shiptrack\""),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_unreachable_server_fails_naming_its_url() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let output = run_migrate(&url).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("migrating {url}")), "{stderr}");
}
