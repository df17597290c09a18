//! dev-db's Hrana over HTTP, byte for byte: the JSON shapes, batons, stream expiry, batch
//! conditions, stored SQL, errors and HTTP statuses that sqld gives, driven with raw requests.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shiptrack_testkit::dev_db::{DevDb, DevDbConfig, RunningDevDb};
use tempfile::TempDir;

const TOKEN: &str = "s3cret";

struct Server {
    running: RunningDevDb,
    http: reqwest::Client,
    _dir: TempDir,
}

impl Server {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut DevDbConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = DevDbConfig::new(dir.path().join("dev.db"));
        config.auth_token = Some(TOKEN.into());
        adjust(&mut config);
        Self {
            running: DevDb::start(config).await.expect("dev-db starts"),
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    async fn post_as(
        &self,
        path: &str,
        authorization: Option<&str>,
        body: String,
    ) -> (StatusCode, String) {
        let mut request = self.http.post(self.url(path)).body(body);
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let response = request.send().await.expect("request reaches dev-db");
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    /// POSTs a JSON body with the right token; returns the status and the JSON body.
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (status, text) = self
            .post_as(path, Some(&format!("Bearer {TOKEN}")), body.to_string())
            .await;
        let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body: {text}"));
        (status, json)
    }

    /// A v3 pipeline that must succeed at the HTTP level.
    async fn pipeline(&self, baton: Value, requests: Value) -> Value {
        let (status, body) = self
            .post(
                "/v3/pipeline",
                json!({"baton": baton, "requests": requests}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

fn execute(sql: &str) -> Value {
    json!({"type": "execute", "stmt": {"sql": sql}})
}

fn execute_with(sql: &str, args: Value) -> Value {
    json!({"type": "execute", "stmt": {"sql": sql, "args": args}})
}

fn close() -> Value {
    json!({"type": "close"})
}

/// The `response.result` of each result in a pipeline response, which must all be `ok`.
fn ok_results(body: &Value) -> Vec<Value> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| {
            assert_eq!(result["type"], "ok", "{result}");
            result["response"]["result"].clone()
        })
        .collect()
}

async fn row_count(server: &Server, table: &str) -> Value {
    let body = server
        .pipeline(
            json!(null),
            json!([execute(&format!("SELECT count(*) FROM {table}")), close()]),
        )
        .await;
    ok_results(&body)[0]["rows"][0][0]["value"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_version_probes_answer_without_a_token_and_protobuf_is_not_offered() {
    let server = Server::start().await;
    for path in ["/health", "/v2", "/v3"] {
        let status = server
            .http
            .get(server.url(path))
            .send()
            .await
            .expect("probe")
            .status();
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let protobuf = server
        .http
        .get(server.url("/v3-protobuf"))
        .send()
        .await
        .expect("probe");
    assert_eq!(protobuf.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn hrana_requests_without_the_bearer_token_are_401() {
    let server = Server::start().await;
    let body = json!({"baton": null, "requests": [execute("SELECT 1")]}).to_string();
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some("Basic czNjcmV0"),
        Some(TOKEN),
    ] {
        for path in ["/v2/pipeline", "/v3/pipeline", "/v3/cursor"] {
            let (status, text) = server.post_as(path, authorization, body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} {authorization:?}");
            let error: Value = serde_json::from_str(&text).expect("JSON error");
            assert_eq!(error["code"], "UNAUTHORIZED");
        }
    }
    let (status, _) = server
        .post_as("/v2/pipeline", Some(&format!("Bearer {TOKEN}")), body)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_configured_token_no_credential_is_needed() {
    let server = Server::start_with(|config| config.auth_token = None).await;
    let body = json!({"baton": null, "requests": [execute("SELECT 1"), close()]}).to_string();
    let (status, _) = server.post_as("/v2/pipeline", None, body).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn values_columns_and_counts_are_typed_as_hrana_specifies() {
    let server = Server::start().await;
    let body = server
        .pipeline(
            json!(null),
            json!([
                execute(
                    "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, x TEXT, b BLOB)"
                ),
                execute_with(
                    "INSERT INTO t (i, r, x, b) VALUES (?, ?, ?, ?)",
                    json!([
                        {"type": "integer", "value": "-9223372036854775808"},
                        {"type": "float", "value": 0.5},
                        {"type": "text", "value": "ünï 🚀"},
                        {"type": "blob", "base64": "AAH+/w=="}
                    ])
                ),
                execute("SELECT id, i, r, x, b, NULL AS empty, 1 + 1 AS two FROM t"),
                close()
            ]),
        )
        .await;
    assert_eq!(body["baton"], Value::Null, "a closed stream gets no baton");
    assert_eq!(body["base_url"], Value::Null);
    let results = ok_results(&body);

    let insert = &results[1];
    assert_eq!(insert["affected_row_count"], 1);
    assert_eq!(insert["last_insert_rowid"], "1");
    assert_eq!(insert["cols"], json!([]));

    let select = &results[2];
    assert_eq!(
        select["cols"],
        json!([
            {"name": "id", "decltype": "INTEGER"},
            {"name": "i", "decltype": "INTEGER"},
            {"name": "r", "decltype": "REAL"},
            {"name": "x", "decltype": "TEXT"},
            {"name": "b", "decltype": "BLOB"},
            {"name": "empty", "decltype": null},
            {"name": "two", "decltype": null}
        ])
    );
    assert_eq!(
        select["rows"],
        json!([[
            {"type": "integer", "value": "1"},
            {"type": "integer", "value": "-9223372036854775808"},
            {"type": "float", "value": 0.5},
            {"type": "text", "value": "ünï 🚀"},
            {"type": "blob", "base64": "AAH+/w"},
            {"type": "null"},
            {"type": "integer", "value": "2"}
        ]])
    );
    // A SELECT after an INSERT reports neither the INSERT's count nor its rowid, as sqld.
    assert_eq!(select["affected_row_count"], 0);
    assert_eq!(select["last_insert_rowid"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn want_rows_false_runs_the_statement_but_returns_no_rows() {
    let server = Server::start().await;
    let body = server
        .pipeline(
            json!(null),
            json!([
                {"type": "execute", "stmt": {"sql": "SELECT 1 AS one", "want_rows": false}},
                close()
            ]),
        )
        .await;
    let result = &ok_results(&body)[0];
    assert_eq!(result["rows"], json!([]));
    assert_eq!(result["cols"][0]["name"], "one");
}

#[tokio::test(flavor = "multi_thread")]
async fn named_arguments_bind_with_or_without_their_prefix() {
    let server = Server::start().await;
    let body = server
        .pipeline(
            json!(null),
            json!([
                {"type": "execute", "stmt": {
                    "sql": "SELECT :a || @b || $c",
                    "named_args": [
                        {"name": "a", "value": {"type": "text", "value": "x"}},
                        {"name": "@b", "value": {"type": "text", "value": "y"}},
                        {"name": "c", "value": {"type": "text", "value": "z"}}
                    ]
                }},
                {"type": "execute", "stmt": {
                    "sql": "SELECT :a",
                    "named_args": [{"name": "zzz", "value": {"type": "null"}}]
                }},
                {"type": "execute", "stmt": {
                    "sql": "SELECT ?", "args": [{"type": "null"}, {"type": "null"}]
                }},
                {"type": "execute", "stmt": {
                    "sql": "SELECT ?, :a",
                    "args": [{"type": "null"}],
                    "named_args": [{"name": "a", "value": {"type": "null"}}]
                }},
                close()
            ]),
        )
        .await;
    let results = body["results"].as_array().expect("results");
    assert_eq!(
        results[0]["response"]["result"]["rows"][0][0]["value"],
        "xyz"
    );
    assert_eq!(results[1]["error"]["code"], "ARGS_INVALID");
    assert_eq!(results[2]["error"]["code"], "ARGS_INVALID");
    assert_eq!(
        results[3]["error"]["code"],
        "ARGS_BOTH_POSITIONAL_AND_NAMED"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_baton_carries_a_transaction_from_one_http_request_to_the_next() {
    let server = Server::start().await;
    server
        .pipeline(json!(null), json!([execute("CREATE TABLE t (x)"), close()]))
        .await;

    let first = server
        .pipeline(
            json!(null),
            json!([execute("BEGIN"), execute("INSERT INTO t VALUES (1)")]),
        )
        .await;
    let baton = first["baton"]
        .as_str()
        .expect("an open stream gets a baton")
        .to_owned();
    assert_eq!(
        row_count(&server, "t").await,
        "0",
        "the insert is not committed yet"
    );

    let second = server
        .pipeline(
            json!(baton),
            json!([{"type": "get_autocommit"}, execute("COMMIT")]),
        )
        .await;
    let next_baton = second["baton"].as_str().expect("still open");
    assert_ne!(next_baton, baton, "each response carries a fresh baton");
    assert_eq!(
        second["results"][0]["response"],
        json!({"type": "get_autocommit", "is_autocommit": false})
    );
    assert_eq!(row_count(&server, "t").await, "1");

    let last = server.pipeline(json!(next_baton), json!([close()])).await;
    assert_eq!(last["baton"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_or_spent_baton_is_a_400_json_error() {
    let server = Server::start().await;
    let (status, error) = server
        .post(
            "/v3/pipeline",
            json!({"baton": "not-a-baton", "requests": [execute("SELECT 1")]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "BATON_INVALID");
    assert!(error["message"].is_string());

    let open = server
        .pipeline(json!(null), json!([execute("SELECT 1")]))
        .await;
    let baton = open["baton"].clone();
    server
        .pipeline(baton.clone(), json!([execute("SELECT 1")]))
        .await;
    let (status, error) = server
        .post(
            "/v3/pipeline",
            json!({"baton": baton, "requests": [execute("SELECT 1")]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a baton works once");
    assert_eq!(error["code"], "BATON_INVALID");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_stream_expires_and_its_open_transaction_is_rolled_back() {
    let server = Server::start_with(|config| {
        config.stream_idle_timeout = Duration::from_millis(300);
    })
    .await;
    server
        .pipeline(json!(null), json!([execute("CREATE TABLE t (x)"), close()]))
        .await;
    let abandoned = server
        .pipeline(
            json!(null),
            json!([
                execute("BEGIN IMMEDIATE"),
                execute("INSERT INTO t VALUES (1)")
            ]),
        )
        .await;

    tokio::time::sleep(Duration::from_millis(800)).await;

    // The write lock is free again: an insert on another stream succeeds at once.
    let writer = server
        .pipeline(
            json!(null),
            json!([execute("INSERT INTO t VALUES (2)"), close()]),
        )
        .await;
    ok_results(&writer);
    assert_eq!(
        row_count(&server, "t").await,
        "1",
        "the abandoned insert was rolled back"
    );

    let (status, error) = server
        .post(
            "/v3/pipeline",
            json!({"baton": abandoned["baton"], "requests": [execute("COMMIT")]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "STREAM_EXPIRED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_writer_waits_for_another_streams_transaction_instead_of_failing() {
    let server = Server::start().await;
    server
        .pipeline(json!(null), json!([execute("CREATE TABLE t (x)"), close()]))
        .await;
    let holder = server
        .pipeline(
            json!(null),
            json!([
                execute("BEGIN IMMEDIATE"),
                execute("INSERT INTO t VALUES (1)")
            ]),
        )
        .await;

    // Readers are not blocked by the open write transaction (WAL) and see the last commit.
    assert_eq!(row_count(&server, "t").await, "0");

    let waiting_writer = tokio::spawn({
        let http = server.http.clone();
        let url = server.url("/v3/pipeline");
        async move {
            let body =
                json!({"baton": null, "requests": [execute("INSERT INTO t VALUES (2)"), close()]});
            let response = http
                .post(url)
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
                .await
                .expect("request");
            response.json::<Value>().await.expect("JSON")
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting_writer.is_finished(),
        "the second writer waits for the lock"
    );

    server
        .pipeline(holder["baton"].clone(), json!([execute("COMMIT"), close()]))
        .await;
    let waited = tokio::time::timeout(Duration::from_secs(5), waiting_writer)
        .await
        .expect("the writer proceeds once the lock is free")
        .expect("task");
    ok_results(&waited);
    assert_eq!(row_count(&server, "t").await, "2");
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_steps_run_by_their_conditions() {
    let server = Server::start().await;
    let step = |sql: &str, condition: Value| json!({"condition": condition, "stmt": {"sql": sql}});
    let body = server
        .pipeline(
            json!(null),
            json!([
                {"type": "batch", "batch": {"steps": [
                    step("SELECT 0", Value::Null),
                    step("SELECT * FROM missing", Value::Null),
                    step("SELECT 2", json!({"type": "ok", "step": 0})),
                    step("SELECT 3", json!({"type": "ok", "step": 1})),
                    step("SELECT 4", json!({"type": "error", "step": 1})),
                    step("SELECT 5", json!({"type": "not", "cond": {"type": "ok", "step": 0}})),
                    step("SELECT 6", json!({"type": "and", "conds": [
                        {"type": "ok", "step": 0}, {"type": "error", "step": 1}]})),
                    step("SELECT 7", json!({"type": "or", "conds": [
                        {"type": "ok", "step": 1}, {"type": "ok", "step": 3}]})),
                    step("SELECT 8", json!({"type": "is_autocommit"})),
                    step("SELECT 9", json!({"type": "error", "step": 3}))
                ]}},
                close()
            ]),
        )
        .await;
    let result = &ok_results(&body)[0];
    let ran: Vec<bool> = result["step_results"]
        .as_array()
        .expect("step_results")
        .iter()
        .map(|result| !result.is_null())
        .collect();
    let failed: Vec<bool> = result["step_errors"]
        .as_array()
        .expect("step_errors")
        .iter()
        .map(|error| !error.is_null())
        .collect();
    assert_eq!(
        ran,
        [
            true, false, true, false, true, false, true, false, true, false
        ]
    );
    assert_eq!(
        failed,
        [
            false, true, false, false, false, false, false, false, false, false
        ]
    );
    assert_eq!(result["step_errors"][1]["code"], "SQLITE_UNKNOWN");
    assert!(
        result["step_errors"][1]["message"]
            .as_str()
            .expect("message")
            .contains("no such table: missing")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_batch_rolls_back_when_a_statement_fails() {
    let server = Server::start().await;
    server
        .pipeline(
            json!(null),
            json!([
                execute("CREATE TABLE t (x UNIQUE)"),
                execute("INSERT INTO t VALUES (1)"),
                close()
            ]),
        )
        .await;
    // The shape both clients send for a batch: BEGIN, each step if the previous succeeded and
    // the transaction is still open, COMMIT, and ROLLBACK if the COMMIT did not run.
    let guarded = |sql: &str, after: u32| {
        json!({"stmt": {"sql": sql}, "condition": {"type": "and", "conds": [
            {"type": "ok", "step": after},
            {"type": "not", "cond": {"type": "is_autocommit"}}
        ]}})
    };
    let body = server
        .pipeline(
            json!(null),
            json!([
                {"type": "batch", "batch": {"steps": [
                    {"stmt": {"sql": "BEGIN DEFERRED"}},
                    guarded("INSERT INTO t VALUES (2)", 0),
                    guarded("INSERT INTO t VALUES (1)", 1),
                    guarded("COMMIT", 2),
                    {"stmt": {"sql": "ROLLBACK"}, "condition": {"type": "not", "cond": {"type": "ok", "step": 3}}}
                ]}},
                {"type": "get_autocommit"},
                close()
            ]),
        )
        .await;
    let result = &ok_results(&body)[0];
    assert_eq!(result["step_errors"][2]["code"], "SQLITE_CONSTRAINT");
    assert!(result["step_results"][3].is_null(), "COMMIT skipped");
    assert!(result["step_results"][4].is_object(), "ROLLBACK ran");
    assert_eq!(body["results"][1]["response"]["is_autocommit"], true);
    assert_eq!(row_count(&server, "t").await, "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn protocol_violations_fail_the_whole_request_with_400() {
    let server = Server::start().await;
    let cases = [
        (
            "/v3/pipeline",
            json!({"baton": null, "requests": [
            {"type": "batch", "batch": {"steps": [
                {"stmt": {"sql": "SELECT 1"}, "condition": {"type": "ok", "step": 0}}]}}]}),
        ),
        (
            "/v3/pipeline",
            json!({"baton": null, "requests": [
            {"type": "execute", "stmt": {"sql_id": 9}}]}),
        ),
        (
            "/v3/pipeline",
            json!({"baton": null, "requests": [
            {"type": "execute", "stmt": {"sql": "SELECT 1", "sql_id": 1}}]}),
        ),
        (
            "/v3/pipeline",
            json!({"baton": null, "requests": [close(), execute("SELECT 1")]}),
        ),
        (
            "/v2/pipeline",
            json!({"baton": null, "requests": [{"type": "get_autocommit"}]}),
        ),
        (
            "/v2/pipeline",
            json!({"baton": null, "requests": [
            {"type": "batch", "batch": {"steps": [
                {"stmt": {"sql": "SELECT 1"}, "condition": {"type": "is_autocommit"}}]}}]}),
        ),
        (
            "/v3/pipeline",
            json!({"baton": null, "requests": [{"type": "no_such_request"}]}),
        ),
        ("/v3/pipeline", json!({"requests": "not a list"})),
    ];
    for (path, body) in cases {
        let (status, error) = server.post(path, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}");
        assert_eq!(error["code"], "PROTOCOL_ERROR", "{path} {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_are_refused_as_sqld_refuses_them_without_failing_the_pipeline() {
    let server = Server::start().await;
    let body = server
        .pipeline(
            json!(null),
            json!([
                execute("SELECT 1; SELECT 2"),
                execute("   "),
                execute("SELEKT 1"),
                execute("SELECT 1"),
                close()
            ]),
        )
        .await;
    let results = body["results"].as_array().expect("results");
    assert_eq!(results[0]["error"]["code"], "SQL_MANY_STATEMENTS");
    assert_eq!(results[1]["error"]["code"], "SQL_NO_STATEMENT");
    assert_eq!(results[2]["error"]["code"], "SQL_PARSE_ERROR");
    assert_eq!(results[3]["type"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_sql_is_used_by_id_until_closed() {
    let server = Server::start().await;
    let first = server
        .pipeline(
            json!(null),
            json!([
                {"type": "store_sql", "sql_id": 1, "sql": "SELECT ? * 2"},
                {"type": "execute", "stmt": {"sql_id": 1, "args": [{"type": "integer", "value": "21"}]}},
                {"type": "close_sql", "sql_id": 1},
                {"type": "close_sql", "sql_id": 1},
            ]),
        )
        .await;
    let results = ok_results(&first);
    assert_eq!(
        results[1]["rows"][0][0],
        json!({"type": "integer", "value": "42"})
    );

    let (status, _) = server
        .post(
            "/v3/pipeline",
            json!({"baton": first["baton"], "requests": [{"type": "execute", "stmt": {"sql_id": 1}}]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a closed sql_id names nothing"
    );

    let (status, _) = server
        .post(
            "/v3/pipeline",
            json!({"baton": null, "requests": [
                {"type": "store_sql", "sql_id": 1, "sql": "SELECT 1"},
                {"type": "store_sql", "sql_id": 1, "sql": "SELECT 2"}
            ]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an sql_id in use cannot be stored again"
    );

    let too_long = format!("SELECT '{}'", "x".repeat(5_000));
    let body = server
        .pipeline(
            json!(null),
            json!([{"type": "store_sql", "sql_id": 1, "sql": too_long}, close()]),
        )
        .await;
    assert_eq!(body["results"][0]["error"]["code"], "SQL_STORE_TOO_LARGE");
}

#[tokio::test(flavor = "multi_thread")]
async fn sequence_runs_statements_in_order_and_stops_at_the_first_failure() {
    let server = Server::start().await;
    let body = server
        .pipeline(
            json!(null),
            json!([
                {"type": "sequence", "sql": "CREATE TABLE t (x); INSERT INTO t VALUES (1); SELECT * FROM t;"},
                {"type": "sequence", "sql": "INSERT INTO t VALUES (2); INSERT INTO nowhere VALUES (3); INSERT INTO t VALUES (4);"},
                execute("SELECT group_concat(x) FROM t"),
                close()
            ]),
        )
        .await;
    assert_eq!(body["results"][0]["response"], json!({"type": "sequence"}));
    assert_eq!(body["results"][1]["type"], "error");
    assert_eq!(
        body["results"][2]["response"]["result"]["rows"][0][0]["value"],
        "1,2"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_reports_parameters_columns_and_statement_kind() {
    let server = Server::start().await;
    let body = server
        .pipeline(
            json!(null),
            json!([
                execute("CREATE TABLE launches (id INTEGER PRIMARY KEY, text TEXT)"),
                {"type": "describe", "sql": "SELECT id, text AS body FROM launches WHERE id = :id OR id = ?"},
                {"type": "describe", "sql": "INSERT INTO launches (text) VALUES (?)"},
                {"type": "describe", "sql": "EXPLAIN SELECT 1"},
                close()
            ]),
        )
        .await;
    let results = ok_results(&body);
    assert_eq!(
        results[1],
        json!({
            "params": [{"name": ":id"}, {"name": null}],
            "cols": [{"name": "id", "decltype": "INTEGER"}, {"name": "body", "decltype": "TEXT"}],
            "is_explain": false,
            "is_readonly": true
        })
    );
    assert_eq!(results[2]["is_readonly"], false);
    assert_eq!(results[2]["cols"], json!([]));
    assert_eq!(results[3]["is_explain"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cursor_streams_json_lines_of_step_entries() {
    let server = Server::start().await;
    server
        .pipeline(
            json!(null),
            json!([
                execute("CREATE TABLE t (x TEXT)"),
                execute("INSERT INTO t VALUES ('a'), ('b')"),
                close()
            ]),
        )
        .await;
    let request = json!({"baton": null, "batch": {"steps": [
        {"stmt": {"sql": "SELECT x FROM t ORDER BY x"}},
        {"stmt": {"sql": "SELECT * FROM missing"}},
        {"stmt": {"sql": "SELECT 1"}, "condition": {"type": "ok", "step": 1}},
        {"stmt": {"sql": "INSERT INTO t VALUES ('c')"}}
    ]}});
    let (status, text) = server
        .post_as(
            "/v3/cursor",
            Some(&format!("Bearer {TOKEN}")),
            request.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON value per line"))
        .collect();
    assert!(lines[0]["baton"].is_string(), "the head carries the baton");
    assert_eq!(lines[0]["base_url"], Value::Null);
    assert_eq!(
        lines[1..],
        [
            json!({"type": "step_begin", "step": 0, "cols": [{"name": "x", "decltype": "TEXT"}]}),
            json!({"type": "row", "row": [{"type": "text", "value": "a"}]}),
            json!({"type": "row", "row": [{"type": "text", "value": "b"}]}),
            json!({"type": "step_end", "affected_row_count": 0, "last_insert_rowid": null}),
            json!({"type": "step_error", "step": 1, "error": {
                "message": "SQLite error: no such table: missing", "code": "SQLITE_UNKNOWN"}}),
            json!({"type": "step_begin", "step": 3, "cols": []}),
            // A number, not the spec's string: sqld serialises `libsql_hrana`'s entry as is
            // (the `libsql` crate reads a differently named field and ignores this one).
            json!({"type": "step_end", "affected_row_count": 1, "last_insert_rowid": 3}),
        ]
    );

    // The cursor's baton continues the stream like a pipeline's.
    let after = server
        .pipeline(
            lines[0]["baton"].clone(),
            json!([{"type": "get_autocommit"}, close()]),
        )
        .await;
    assert_eq!(after["results"][0]["response"]["is_autocommit"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_v2_pipeline_serves_version_2_requests() {
    let server = Server::start().await;
    let (status, body) = server
        .post(
            "/v2/pipeline",
            json!({"requests": [
                {"type": "store_sql", "sql_id": 3, "sql": "SELECT 'v2'"},
                {"type": "batch", "batch": {"steps": [{"stmt": {"sql_id": 3}}]}},
                close()
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let results = ok_results(&body);
    assert_eq!(results[1]["step_results"][0]["rows"][0][0]["value"], "v2");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_closes_streams_and_stops_listening() {
    let server = Server::start().await;
    server
        .pipeline(json!(null), json!([execute("CREATE TABLE t (x)"), close()]))
        .await;
    server
        .pipeline(
            json!(null),
            json!([
                execute("BEGIN IMMEDIATE"),
                execute("INSERT INTO t VALUES (1)")
            ]),
        )
        .await;
    let url = server.url("/health");
    let Server {
        running,
        http,
        _dir: dir,
    } = server;
    running.shutdown().await.expect("clean shutdown");
    assert!(
        http.get(url).send().await.is_err(),
        "nothing listens any more"
    );

    // The open transaction was rolled back and its lock released.
    let local = libsql::Builder::new_local(dir.path().join("dev.db"))
        .build()
        .await
        .expect("local database")
        .connect()
        .expect("local connection");
    local
        .execute("INSERT INTO t VALUES (2)", ())
        .await
        .expect("lock is free");
    let mut rows = local
        .query("SELECT count(*) FROM t", ())
        .await
        .expect("count");
    let row = rows.next().await.expect("row").expect("one row");
    assert_eq!(row.get::<i64>(0).expect("count"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_announces_its_address_serves_and_stops_on_sigterm() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_testkit"))
        .args([
            "dev-db",
            "--listen",
            "127.0.0.1:0",
            "--auth-token",
            TOKEN,
            "--db",
        ])
        .arg(dir.path().join("cli.db"))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("testkit runs");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), stdout.next_line())
        .await
        .expect("the startup line comes promptly")
        .expect("stdout readable")
        .expect("a startup line");
    let url = line
        .strip_prefix("dev-db listening on ")
        .unwrap_or_else(|| panic!("unexpected startup line: {line}"));
    assert!(!url.ends_with(":0"), "the line shows the real port: {url}");

    let http = reqwest::Client::new();
    let response = http
        .post(format!("{url}/v2/pipeline"))
        .bearer_auth(TOKEN)
        .json(&json!({"baton": null, "requests": [execute("SELECT 'up'"), close()]}))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), StatusCode::OK);

    let pid = child.id().expect("running").to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("it stops promptly")
        .expect("exit status");
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_handle_stops_the_server() {
    let server = Server::start().await;
    let url = server.url("/health");
    let Server {
        running,
        http,
        _dir,
    } = server;
    drop(running);
    let stopped = async {
        while http.get(&url).send().await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), stopped)
        .await
        .expect("the server stops once its handle is dropped");
}
