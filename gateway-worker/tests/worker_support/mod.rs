//! Shared by the `worker_*` tests: the Discord simulator in process, a migrated database, and
//! the real `gateway-worker` binary spawned with environment variables and killed when the
//! test ends. Timings are shortened through the worker's tuning variables (`LEASE_TTL_MS`,
//! `LEASE_RENEW_MS`, `SESSION_SAVE_MS`) and the simulator's heartbeat interval.

#![allow(dead_code, unused_imports)] // Each test binary uses its own part of this module.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use shiptrack_gateway_worker::db::{self, config::DatabaseConfig, connect::Database};
use shiptrack_testkit::discord_sim::{DiscordSim, RunningSim, SimConfig, ids};
use tempfile::TempDir;

pub use shiptrack_testkit::discord_sim::ids::{ALICE, GENERAL, HELPER_BOT, I_SHIPPED};

/// The simulator as these tests want it: heartbeats every second, so a lost connection shows
/// in seconds.
pub fn sim_config() -> SimConfig {
    SimConfig {
        heartbeat_interval: Duration::from_millis(1000),
        ..SimConfig::default()
    }
}

/// A simulator, a scratch folder and the database the workers share.
pub struct Stack {
    pub sim: RunningSim,
    pub dir: TempDir,
    pub database_url: String,
    database: Database,
}

impl Stack {
    /// A simulator and a migrated embedded database file.
    pub async fn start(config: SimConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file:{}", dir.path().join("shiptrack.db").display());
        Self::with_database(config, dir, url).await
    }

    /// A simulator and the database at `url` (migrated here).
    pub async fn with_database(config: SimConfig, dir: TempDir, database_url: String) -> Self {
        let sim = DiscordSim::start(config).await.unwrap();
        let (database, _) =
            db::open_migrated(&DatabaseConfig::parse(Some(&database_url), None).unwrap())
                .await
                .unwrap();
        Self {
            sim,
            dir,
            database_url,
            database,
        }
    }

    /// The environment of a worker for shard 0 of 1 against this stack.
    pub fn env(&self, name: &str) -> Vec<(String, String)> {
        [
            ("DISCORD_BOT_TOKEN", self.sim.bot_token().to_owned()),
            ("DISCORD_API_BASE", self.sim.api_base().to_owned()),
            ("DATABASE_URL", self.database_url.clone()),
            ("SHIP_CHANNEL_IDS", I_SHIPPED.to_string()),
            ("HEALTH_ADDR", free_addr().to_string()),
            (
                "SPOOL_DIR",
                self.dir
                    .path()
                    .join(format!("spool-{name}"))
                    .display()
                    .to_string(),
            ),
            ("LEASE_TTL_MS", "3000".to_owned()),
            ("LEASE_RENEW_MS", "500".to_owned()),
            ("SESSION_SAVE_MS", "200".to_owned()),
            ("RUST_LOG", "info".to_owned()),
            ("NO_COLOR", "1".to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
    }

    /// Spawns `gateway-worker run` with [`Stack::env`] plus `overrides`.
    pub fn spawn_worker(&self, name: &str, overrides: &[(&str, &str)]) -> Worker {
        let mut env = self.env(name);
        for (key, value) in overrides {
            env.retain(|(existing, _)| existing != key);
            env.push(((*key).to_owned(), (*value).to_owned()));
        }
        Worker::spawn(&self.dir, name, &["run"], &env)
    }

    /// Every launch row: (message id, soft-deleted).
    pub async fn launches(&self) -> Vec<(u64, bool)> {
        let conn = self.database.connect().unwrap();
        let mut rows = conn
            .query(
                "SELECT source_id, deleted_at IS NOT NULL FROM launches ORDER BY id",
                (),
            )
            .await
            .unwrap();
        let mut launches = Vec::new();
        while let Some(row) = rows.next().await.unwrap() {
            launches.push((
                row.get::<String>(0).unwrap().parse().unwrap(),
                row.get::<i64>(1).unwrap() != 0,
            ));
        }
        launches
    }

    /// The stored session of shard 0/1: (session id, sequence).
    pub async fn stored_session(&self) -> Option<(String, u64)> {
        let conn = self.database.connect().unwrap();
        let mut rows = conn
            .query("SELECT session_id, sequence FROM gateway_sessions WHERE shard_id = 0 AND shard_count = 1", ())
            .await
            .unwrap();
        rows.next()
            .await
            .unwrap()
            .map(|row| (row.get(0).unwrap(), row.get::<i64>(1).unwrap() as u64))
    }

    /// Posts a message as Alice (or `author`) in `channel`; returns its id.
    pub fn post(&self, channel: u64, author: u64, content: &str) -> u64 {
        self.sim
            .control()
            .post_message(channel, author, content)
            .unwrap()
    }

    /// Rocket reactions per message id, as the simulator received them.
    pub fn rockets_on(&self, message: u64) -> usize {
        self.sim
            .control()
            .reactions()
            .iter()
            .filter(|reaction| reaction.message_id == message && reaction.emoji == "🚀")
            .count()
    }

    /// `PUT` reactions on a message that the simulator answered with a 5xx.
    pub fn failed_reaction_puts(&self, message: u64) -> usize {
        let on_message = format!("/messages/{message}/reactions/");
        self.sim
            .control()
            .rest_calls()
            .iter()
            .filter(|call| {
                call.method == "PUT" && call.path.contains(&on_message) && call.status >= 500
            })
            .count()
    }

    /// `launches.reaction` of the launch logged from a message: `None` when NULL.
    pub async fn reaction_state(&self, message: u64) -> Option<String> {
        let conn = self.database.connect().unwrap();
        let mut rows = conn
            .query(
                "SELECT reaction FROM launches WHERE source_id = ?1",
                [message.to_string()],
            )
            .await
            .unwrap();
        rows.next()
            .await
            .unwrap()
            .expect("a launch row")
            .get(0)
            .unwrap()
    }

    pub fn reaction_count(&self) -> usize {
        self.sim.control().reactions().len()
    }

    /// Identifies that got a READY.
    pub fn ready_identifies(&self) -> usize {
        self.sim.control().ready_identifies().len()
    }

    /// Waits until there are at least `count` launch rows.
    /// Posts `content` as Alice in #i-shipped and waits for its 🚀; returns the message id.
    pub async fn launch_and_wait_for_rocket(&self, content: &str, timeout: Duration) -> u64 {
        let message = self.post(I_SHIPPED, ALICE, content);
        eventually("the first rocket", timeout, || async {
            self.rockets_on(message) == 1
        })
        .await;
        message
    }

    /// Waits until a session is stored with a sequence of at least `at_least`; returns the
    /// stored sequence as read afterwards.
    pub async fn wait_for_stored_sequence(&self, at_least: u64, timeout: Duration) -> u64 {
        eventually(
            &format!("a stored session at sequence {at_least} or later"),
            timeout,
            || async {
                self.stored_session()
                    .await
                    .is_some_and(|(_, sequence)| sequence >= at_least)
            },
        )
        .await;
        self.stored_session().await.unwrap().1
    }

    pub async fn wait_for_launches(&self, count: usize, timeout: Duration) {
        eventually(&format!("{count} launch rows"), timeout, || async {
            self.launches().await.len() >= count
        })
        .await;
    }
}

/// Polls `condition` every 50 ms until it holds, or panics after `timeout` naming `what`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if condition().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A loopback address nothing listens on yet.
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A spawned `gateway-worker`, killed (SIGKILL) and reaped when dropped.
pub struct Worker {
    child: Child,
    pub name: String,
    pub health_addr: Option<SocketAddr>,
    log_path: PathBuf,
}

impl Worker {
    /// Runs the binary with exactly `env` (nothing inherited but PATH), stderr to a log file.
    pub fn spawn(dir: &TempDir, name: &str, args: &[&str], env: &[(String, String)]) -> Self {
        let log_path = dir.path().join(format!("{name}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gateway-worker"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().map(|(key, value)| (key, value)))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let health_addr = env
            .iter()
            .find(|(key, _)| key == "HEALTH_ADDR")
            .and_then(|(_, value)| value.parse().ok());
        Self {
            child,
            name: name.to_owned(),
            health_addr,
            log_path,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the worker printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// `kill -9`: no chance to store anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The exit status, once the process exits within `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {timeout:?}; log:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `GET` a path of the health endpoint: (status, body); `None` while nothing answers.
    pub async fn health_get(&self, path: &str) -> Option<(u16, String)> {
        let url = format!(
            "http://{}{path}",
            self.health_addr.expect("HEALTH_ADDR set")
        );
        let response = reqwest::get(url).await.ok()?;
        let status = response.status().as_u16();
        Some((status, response.text().await.ok()?))
    }

    /// Waits for `/healthz` to answer 200.
    pub async fn wait_healthy(&self, timeout: Duration) {
        eventually(&format!("{} to be healthy", self.name), timeout, || async {
            matches!(self.health_get("/healthz").await, Some((200, body)) if body.contains("connected"))
        })
        .await;
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The simulator's default guild, for tests that name it.
pub const GUILD: u64 = ids::GUILD;
