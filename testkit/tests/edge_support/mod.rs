//! The edge's end-to-end stack, started once per test binary: the built Worker under
//! `wrangler dev` (workerd), the in-process dev-db as its database (migrated by the gateway
//! worker's own migration runner) behind a proxy that can slow or fail chosen requests, and
//! the in-process Discord simulator as Discord (its key signs every interaction, its REST
//! routes take the Worker's webhook calls).
//!
//! Binaries using it set `harness = false` and run their trials with `libtest-mimic`, so
//! [`EdgeStack::shutdown`] runs after the last trial whatever failed, and wrangler's process
//! group is killed even if setup panics (see `wrangler.rs`). Nothing reaches outside the
//! machine: every URL is loopback and wrangler runs with telemetry off.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of the shared harness"
)]

pub mod db_proxy;
pub mod wrangler;

use std::future::Future;
use std::path::{Path, PathBuf};

use libsql::{Database, Value};
use shiptrack_testkit::dev_db::{DevDb, DevDbConfig, RunningDevDb};
use shiptrack_testkit::discord_sim::{DiscordSim, RunningSim, SimConfig};
use tokio::runtime::Runtime;

use db_proxy::DbProxy;
use wrangler::WranglerDev;

/// The seed of the simulated application's signing key, fixed so that a signer outside Rust
/// (Node's `node:crypto`) can sign with the same key.
pub const SIGNING_SEED: [u8; 32] = [7; 32];

/// Everything the Worker talks to, and the Worker.
pub struct EdgeStack {
    pub sim: RunningSim,
    pub db: RunningDevDb,
    pub proxy: DbProxy,
    pub worker: WranglerDev,
    database: Database,
    runtime: Runtime,
    _dir: tempfile::TempDir,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit sits in the repository root")
        .to_path_buf()
}

impl EdgeStack {
    /// Starts the stack with a simulator of `guilds` communities (tests that count rows take a
    /// community of their own) and extra Worker vars.
    pub fn start(guilds: u32, extra_vars: &[(&str, &str)]) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let dir = tempfile::tempdir().expect("a temporary directory");

        let (sim, db, proxy, database) = runtime.block_on(async {
            let sim = DiscordSim::start(SimConfig {
                public_key_seed: Some(SIGNING_SEED),
                ..SimConfig::default().with_guilds(guilds)
            })
            .await
            .expect("the Discord simulator starts");
            let db = DevDb::start(DevDbConfig::new(dir.path().join("edge.db")))
                .await
                .expect("the dev-db starts");
            let database = libsql::Builder::new_remote(db.url(), String::new())
                .build()
                .await
                .expect("a libsql client for the dev-db");
            let conn = database.connect().expect("a connection to the dev-db");
            shiptrack_gateway_worker::db::migrate::apply(
                &conn,
                &shiptrack_gateway_worker::db::migrate::embedded(),
            )
            .await
            .expect("the migrations apply");
            let proxy = DbProxy::start(db.url())
                .await
                .expect("the database proxy starts");
            (sim, db, proxy, database)
        });

        let env_file = dir.path().join("edge.env");
        let mut vars = vec![
            ("DISCORD_PUBLIC_KEY".to_owned(), sim.public_key_hex()),
            (
                "DISCORD_APPLICATION_ID".to_owned(),
                sim.application_id().to_string(),
            ),
            ("DISCORD_API_BASE".to_owned(), sim.api_base().to_owned()),
            ("DISCORD_BOT_TOKEN".to_owned(), sim.bot_token().to_owned()),
            ("DATABASE_URL".to_owned(), proxy.url().to_owned()),
        ];
        vars.extend(
            extra_vars
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        let lines: String = vars
            .iter()
            .map(|(name, value)| format!("{name}={value}\n"))
            .collect();
        std::fs::write(&env_file, lines).expect("the Worker's env file is written");

        let worker = WranglerDev::start(
            &repo_root(),
            &env_file,
            dir.path(),
            dir.path().join("wrangler.log"),
        )
        .unwrap_or_else(|error| panic!("the Worker does not start: {error}"));
        sim.control()
            .set_interactions_url(&format!("{}/interactions", worker.url()));

        EdgeStack {
            sim,
            db,
            proxy,
            worker,
            database,
            runtime,
            _dir: dir,
        }
    }

    /// Runs async test code on the stack's runtime; trials call it from their own threads.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub fn interactions_url(&self) -> String {
        format!("{}/interactions", self.worker.url())
    }

    /// Rows of a query against the Worker's database, read directly (not through the proxy).
    /// Each call takes its own connection (its own Hrana stream): trials run in parallel, and
    /// the server expires a stream left idle.
    pub async fn rows(
        &self,
        sql: &str,
        params: impl libsql::params::IntoParams,
    ) -> Vec<Vec<Value>> {
        let conn = self.database.connect().expect("a connection to the dev-db");
        let mut rows = conn.query(sql, params).await.expect("the query runs");
        let mut all = Vec::new();
        while let Some(row) = rows.next().await.expect("a row") {
            all.push(
                (0..row.column_count())
                    .map(|index| row.get_value(index).expect("a value"))
                    .collect(),
            );
        }
        all
    }

    /// Stops the Worker (its whole process group), then the simulator and the database.
    pub fn shutdown(self) {
        let EdgeStack {
            sim,
            db,
            proxy,
            worker,
            database,
            runtime,
            _dir,
        } = self;
        drop(worker);
        drop(database);
        drop(proxy);
        runtime.block_on(async {
            sim.shutdown().await;
            db.shutdown().await.expect("the dev-db stops cleanly");
        });
    }
}

/// Runs named trials in parallel against one shared stack, prints the Worker's last output when
/// one fails, stops the stack, and exits with libtest's status.
pub fn run_trials(
    args: &libtest_mimic::Arguments,
    stack: std::sync::Arc<EdgeStack>,
    trials: impl IntoIterator<Item = (&'static str, fn(&EdgeStack))>,
) -> ! {
    let trials = trials
        .into_iter()
        .map(|(name, trial)| {
            let stack = std::sync::Arc::clone(&stack);
            libtest_mimic::Trial::test(name, move || {
                trial(&stack);
                Ok(())
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(args, trials);
    if conclusion.has_failed() {
        eprintln!(
            "--- the Worker's last output ---\n{}",
            stack.worker.log_tail()
        );
    }
    std::sync::Arc::into_inner(stack)
        .expect("every trial has finished with the stack")
        .shutdown();
    conclusion.exit();
}
