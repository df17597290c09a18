//! dev-db held to the protocol by the `libsql` crate's remote client, which no one here wrote:
//! what it writes and reads through the server must match what the embedded engine reads
//! from the same file.

use std::time::Duration;

use libsql::{Connection, Value, params};
use shiptrack_testkit::dev_db::{DevDb, DevDbConfig, RunningDevDb};
use tempfile::TempDir;

struct Fixture {
    server: RunningDevDb,
    dir: TempDir,
}

impl Fixture {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = DevDbConfig::new(dir.path().join("dev.db"));
        config.auth_token = Some("test-token".into());
        let server = DevDb::start(config).await.expect("dev-db starts");
        Self { server, dir }
    }

    async fn remote(&self) -> Connection {
        libsql::Builder::new_remote(self.server.url(), "test-token".into())
            .build()
            .await
            .expect("remote database")
            .connect()
            .expect("remote connection")
    }

    /// The embedded engine on the file the server serves, bypassing the server.
    async fn embedded(&self) -> Connection {
        libsql::Builder::new_local(self.dir.path().join("dev.db"))
            .build()
            .await
            .expect("local database")
            .connect()
            .expect("local connection")
    }
}

async fn all_rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut rows = conn.query(sql, ()).await.expect("query runs");
    let mut all = Vec::new();
    while let Some(row) = rows.next().await.expect("row") {
        let width = row.column_count();
        all.push(
            (0..width)
                .map(|idx| row.get_value(idx).expect("value"))
                .collect(),
        );
    }
    all
}

async fn count(conn: &Connection, table: &str) -> i64 {
    match all_rows(conn, &format!("SELECT count(*) FROM {table}")).await[..] {
        [ref row] => match row[..] {
            [Value::Integer(n)] => n,
            ref other => panic!("count returned {other:?}"),
        },
        ref other => panic!("count returned {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_value_type_round_trips_and_matches_the_embedded_engine() {
    let db = Fixture::start().await;
    let remote = db.remote().await;
    remote
        .execute(
            "CREATE TABLE vals (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)",
            (),
        )
        .await
        .expect("create");
    let written = vec![
        vec![
            Value::Integer(1),
            Value::Integer(i64::MIN),
            Value::Real(-1.5e-300),
            Value::Text("shipped 🚀 \"quoted\" \n newline".into()),
            Value::Blob(vec![0, 1, 2, 254, 255]),
            Value::Null,
        ],
        vec![
            Value::Integer(2),
            Value::Integer(i64::MAX),
            Value::Real(3.25),
            Value::Text(String::new()),
            Value::Blob(vec![]),
            Value::Null,
        ],
    ];
    for row in &written {
        remote
            .execute(
                "INSERT INTO vals VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                row.clone(),
            )
            .await
            .expect("insert with positional params");
    }
    remote
        .execute(
            "INSERT INTO vals (id, i, t) VALUES (:id, @i, $t)",
            params::Params::Named(vec![
                (":id".into(), Value::Integer(3)),
                ("@i".into(), Value::Integer(42)),
                ("$t".into(), Value::Text("named".into())),
            ]),
        )
        .await
        .expect("insert with named params");

    let through_server = all_rows(&remote, "SELECT * FROM vals ORDER BY id").await;
    let from_file = all_rows(&db.embedded().await, "SELECT * FROM vals ORDER BY id").await;
    assert_eq!(through_server[..2], written[..]);
    assert_eq!(
        through_server[2],
        [
            Value::Integer(3),
            Value::Integer(42),
            Value::Null,
            Value::Text("named".into()),
            Value::Null,
            Value::Null
        ]
    );
    assert_eq!(through_server, from_file);
}

#[tokio::test(flavor = "multi_thread")]
async fn execute_reports_changed_rows_and_the_last_insert_rowid() {
    let db = Fixture::start().await;
    let remote = db.remote().await;
    remote
        .execute(
            "CREATE TABLE launches (id INTEGER PRIMARY KEY, text TEXT)",
            (),
        )
        .await
        .expect("create");
    for text in ["a", "b", "c"] {
        assert_eq!(
            remote
                .execute("INSERT INTO launches (text) VALUES (?1)", [text])
                .await
                .expect("insert"),
            1
        );
    }
    assert_eq!(remote.last_insert_rowid(), 3);
    assert_eq!(
        remote
            .execute("UPDATE launches SET text = 'x' WHERE id >= 2", ())
            .await
            .expect("update"),
        2
    );
    assert_eq!(
        remote
            .execute("DELETE FROM launches", ())
            .await
            .expect("delete"),
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_runs_every_statement_and_a_transactional_batch_is_all_or_nothing() {
    let db = Fixture::start().await;
    let remote = db.remote().await;
    remote
        .execute_batch(
            "CREATE TABLE digests (week TEXT PRIMARY KEY, posted INTEGER);
             INSERT INTO digests VALUES ('2025-W01', 0);
             INSERT INTO digests VALUES ('2025-W02', 1);",
        )
        .await
        .expect("batch");
    assert_eq!(count(&remote, "digests").await, 2);

    let failed = remote
        .execute_transactional_batch(
            "INSERT INTO digests VALUES ('2025-W03', 0);
             INSERT INTO digests VALUES ('2025-W01', 0);",
        )
        .await;
    assert!(failed.is_err(), "duplicate week must fail the batch");
    assert_eq!(
        count(&remote, "digests").await,
        2,
        "the batch left nothing behind"
    );
    assert_eq!(count(&db.embedded().await, "digests").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_committed_transaction_spans_requests_and_becomes_visible_at_commit() {
    let db = Fixture::start().await;
    let writer = db.remote().await;
    let reader = db.remote().await;
    writer
        .execute(
            "CREATE TABLE sessions (shard INTEGER PRIMARY KEY, seq INTEGER)",
            (),
        )
        .await
        .expect("create");

    let tx = writer.transaction().await.expect("begin");
    tx.execute("INSERT INTO sessions VALUES (0, 10)", ())
        .await
        .expect("insert 0");
    tx.execute("INSERT INTO sessions VALUES (1, 20)", ())
        .await
        .expect("insert 1");
    tx.execute("UPDATE sessions SET seq = seq + 1", ())
        .await
        .expect("update");
    assert_eq!(
        count(&reader, "sessions").await,
        0,
        "uncommitted rows are invisible"
    );
    tx.commit().await.expect("commit");

    let expected = vec![
        vec![Value::Integer(0), Value::Integer(11)],
        vec![Value::Integer(1), Value::Integer(21)],
    ];
    assert_eq!(
        all_rows(&reader, "SELECT * FROM sessions ORDER BY shard").await,
        expected
    );
    assert_eq!(
        all_rows(
            &db.embedded().await,
            "SELECT * FROM sessions ORDER BY shard"
        )
        .await,
        expected
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolled_back_transaction_leaves_nothing() {
    let db = Fixture::start().await;
    let remote = db.remote().await;
    remote
        .execute(
            "CREATE TABLE leases (shard INTEGER PRIMARY KEY, holder TEXT)",
            (),
        )
        .await
        .expect("create");
    let tx = remote.transaction().await.expect("begin");
    tx.execute("INSERT INTO leases VALUES (0, 'worker-a')", ())
        .await
        .expect("insert");
    tx.rollback().await.expect("rollback");
    assert_eq!(count(&remote, "leases").await, 0);
    assert_eq!(count(&db.embedded().await, "leases").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_transaction_releases_its_write_lock() {
    let db = Fixture::start().await;
    let remote = db.remote().await;
    remote
        .execute(
            "CREATE TABLE leases (shard INTEGER PRIMARY KEY, holder TEXT)",
            (),
        )
        .await
        .expect("create");
    {
        let tx = remote.transaction().await.expect("begin");
        tx.execute("INSERT INTO leases VALUES (0, 'worker-a')", ())
            .await
            .expect("insert");
    }
    // The client rolls a dropped transaction back in the background, or the server rolls it
    // back when the stream expires; either way another writer gets in and sees no row.
    let other = db.remote().await;
    tokio::time::timeout(Duration::from_secs(20), async {
        other
            .execute("INSERT INTO leases VALUES (1, 'worker-b')", ())
            .await
            .expect("the second writer gets the lock");
    })
    .await
    .expect("the lock was released");
    assert_eq!(
        all_rows(&other, "SELECT holder FROM leases").await,
        vec![vec![Value::Text("worker-b".into())]]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unique_violation_is_reported_as_sqlite_constraint() {
    let db = Fixture::start().await;
    let remote = db.remote().await;
    remote
        .execute("CREATE TABLE launches (source_id TEXT UNIQUE)", ())
        .await
        .expect("create");
    remote
        .execute("INSERT INTO launches VALUES ('interaction-1')", ())
        .await
        .expect("first insert");
    let err = remote
        .execute("INSERT INTO launches VALUES ('interaction-1')", ())
        .await
        .expect_err("a replayed interaction must not make a second row")
        .to_string();
    assert!(err.contains("SQLITE_CONSTRAINT"), "{err}");
    assert!(err.contains("UNIQUE constraint failed"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prepared_statement_describes_its_columns_and_runs_repeatedly() {
    let db = Fixture::start().await;
    let remote = db.remote().await;
    remote
        .execute_batch(
            "CREATE TABLE launches (id INTEGER PRIMARY KEY, author TEXT);
             INSERT INTO launches (author) VALUES ('ada'), ('grace'), ('ada');",
        )
        .await
        .expect("seed");
    let stmt = remote
        .prepare("SELECT id, author FROM launches WHERE author = ?1 ORDER BY id")
        .await
        .expect("prepare");
    assert_eq!(stmt.column_count(), 2);
    let mut ids = Vec::new();
    for author in ["ada", "grace"] {
        let mut rows = stmt.query([author]).await.expect("query");
        while let Some(row) = rows.next().await.expect("row") {
            ids.push(row.get::<i64>(0).expect("id"));
        }
    }
    assert_eq!(ids, [1, 3, 2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_refused() {
    let db = Fixture::start().await;
    let intruder = libsql::Builder::new_remote(db.server.url(), "wrong".into())
        .build()
        .await
        .expect("remote database")
        .connect()
        .expect("remote connection");
    let err = intruder
        .execute("SELECT 1", ())
        .await
        .expect_err("wrong token")
        .to_string();
    assert!(err.contains("401"), "{err}");
}

/// Other crates' tests use the default `#[tokio::test]`, a single-threaded runtime; the server
/// must serve its own clients from there too.
#[tokio::test]
async fn the_server_runs_inside_a_single_threaded_test_runtime() {
    let db = Fixture::start().await;
    let remote = db.remote().await;
    let tx = remote.transaction().await.expect("begin");
    tx.execute("CREATE TABLE t (x)", ()).await.expect("create");
    tx.execute("INSERT INTO t VALUES (1)", ())
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(count(&remote, "t").await, 1);
}
