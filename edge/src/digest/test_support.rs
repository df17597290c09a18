//! Hrana results and a scripted [`Io`] for the digest's native tests: the database answers each
//! statement as its documentation in `shiptrack_core::sql` promises, Discord answers from a
//! script (by default: posted, with a fresh id), and time moves only when the run sleeps.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::Duration;

use libsql_hrana::proto::Stmt;
use shiptrack_core::sql;

use super::post::{NewMessage, Reply};
use super::run::Io;
use crate::hrana::{ColumnValue, DbError, Row, StmtResult};

pub fn rows(rows: Vec<Vec<ColumnValue>>) -> StmtResult {
    StmtResult {
        rows: rows.into_iter().map(|values| Row { values }).collect(),
        affected_row_count: 0,
    }
}

/// The result of a write that changed `count` rows.
pub fn affected(count: u64) -> StmtResult {
    StmtResult {
        affected_row_count: count,
        ..rows(vec![])
    }
}

pub fn int(value: i64) -> ColumnValue {
    ColumnValue::Integer(value)
}

pub fn txt(value: &str) -> ColumnValue {
    ColumnValue::Text(value.to_owned())
}

pub fn null() -> ColumnValue {
    ColumnValue::Null
}

/// Drives a future whose every await is ready at once, as the fake's are.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the fake Io never waits"),
    }
}

/// What the fake database holds and how it misbehaves.
#[derive(Default)]
pub struct FakeDb {
    /// Rows of `DIGEST_GUILDS`.
    pub guilds: Vec<Vec<ColumnValue>>,
    /// The row of `GUILD_SETTINGS`, if any.
    pub settings: Option<Vec<ColumnValue>>,
    /// `CLAIM_DIGEST`: the ids an earlier run recorded when the claim is held; `None` when taken.
    pub claim: Option<Vec<String>>,
    /// Rows of `DIGEST_LAUNCHES`.
    pub launches: Vec<Vec<ColumnValue>>,
    /// From this write on (counting from 0), writes find the claim lost.
    pub lose_claim_at_write: Option<usize>,
    /// Statements with this text fail as an unreachable database would.
    pub unreachable_for: Option<&'static str>,
}

/// One statement the run sent, with its arguments as JSON.
#[derive(Clone, Debug)]
pub struct Executed {
    pub sql: String,
    pub args: serde_json::Value,
}

pub struct FakeIo {
    pub db: RefCell<FakeDb>,
    /// Discord's answers, in order; once empty every post succeeds.
    pub replies: RefCell<VecDeque<Result<Reply, String>>>,
    pub executed: RefCell<Vec<Executed>>,
    /// Every post attempt: channel and body.
    pub posts: RefCell<Vec<(u64, NewMessage)>>,
    pub sleeps: RefCell<Vec<Duration>>,
    pub clock_ms: Cell<i64>,
    writes: Cell<usize>,
    next_id: Cell<u64>,
}

/// 2026-11-30T09:00:00Z, when the tests' cron fires.
pub const START_MS: i64 = 1_796_029_200_000;

impl FakeIo {
    pub fn new(db: FakeDb) -> Self {
        Self {
            db: RefCell::new(db),
            replies: RefCell::new(VecDeque::new()),
            executed: RefCell::new(Vec::new()),
            posts: RefCell::new(Vec::new()),
            sleeps: RefCell::new(Vec::new()),
            clock_ms: Cell::new(START_MS),
            writes: Cell::new(0),
            next_id: Cell::new(1_000),
        }
    }

    pub fn reply(&self, reply: Result<Reply, String>) {
        self.replies.borrow_mut().push_back(reply);
    }

    /// The statements run with this SQL text, in order.
    pub fn executed(&self, sql: &str) -> Vec<Executed> {
        self.executed
            .borrow()
            .iter()
            .filter(|executed| executed.sql == sql)
            .cloned()
            .collect()
    }

    /// The text argument `index` of each statement run with this SQL text.
    pub fn text_args(&self, sql: &str, index: usize) -> Vec<String> {
        self.executed(sql)
            .iter()
            .map(|executed| {
                executed.args[index]["value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    pub fn posted_nonces(&self) -> Vec<String> {
        self.posts
            .borrow()
            .iter()
            .map(|(_, message)| message.nonce.clone())
            .collect()
    }

    fn answer(&self, statement: &Stmt) -> Result<StmtResult, DbError> {
        let sql = statement.sql.as_deref().unwrap_or_default();
        let db = self.db.borrow();
        if db.unreachable_for == Some(sql) {
            return Err(DbError::Unreachable("connection refused".to_owned()));
        }
        let write = |db: &FakeDb| {
            let index = self.writes.get();
            self.writes.set(index + 1);
            affected(u64::from(
                db.lose_claim_at_write.is_none_or(|lost| index < lost),
            ))
        };
        Ok(match sql {
            sql::DIGEST_GUILDS => rows(db.guilds.clone()),
            sql::GUILD_SETTINGS => rows(db.settings.iter().cloned().collect()),
            sql::CLAIM_DIGEST => rows(
                db.claim
                    .iter()
                    .map(|ids| vec![txt(&serde_json::to_string(ids).unwrap())])
                    .collect(),
            ),
            sql::DIGEST_LAUNCHES => rows(db.launches.clone()),
            sql::RECORD_DIGEST_MESSAGE
            | sql::REFRESH_DIGEST_CLAIM
            | sql::FINISH_DIGEST
            | sql::FAIL_DIGEST => write(&db),
            other => panic!("the digest ran a statement it never should: {other}"),
        })
    }
}

impl Io for FakeIo {
    async fn database(&self, statements: Vec<Stmt>) -> Result<Vec<StmtResult>, DbError> {
        statements
            .iter()
            .map(|statement| {
                let json = serde_json::to_value(statement).unwrap();
                self.executed.borrow_mut().push(Executed {
                    sql: statement.sql.clone().unwrap_or_default(),
                    args: json["args"].clone(),
                });
                self.answer(statement)
            })
            .collect()
    }

    async fn post(&self, channel_id: u64, message: &NewMessage) -> Result<Reply, String> {
        self.posts.borrow_mut().push((channel_id, message.clone()));
        self.replies.borrow_mut().pop_front().unwrap_or_else(|| {
            let id = self.next_id.get();
            self.next_id.set(id + 1);
            Ok(created(&id.to_string()))
        })
    }

    async fn sleep(&self, duration: Duration) {
        self.sleeps.borrow_mut().push(duration);
        self.clock_ms
            .set(self.clock_ms.get() + i64::try_from(duration.as_millis()).unwrap());
    }

    fn now_ms(&self) -> i64 {
        self.clock_ms.get()
    }

    fn jitter(&self) -> f64 {
        0.0
    }
}

/// Discord's 200 for a created message, with its bucket not yet empty.
pub fn created(id: &str) -> Reply {
    Reply {
        status: 200,
        remaining: Some(4),
        reset_after: Some(Duration::from_secs(5)),
        retry_after: None,
        body: serde_json::json!({"id": id}).to_string(),
    }
}

/// Discord's answer with `status` and a JSON body.
pub fn answer(status: u16, body: serde_json::Value) -> Reply {
    Reply {
        status,
        remaining: None,
        reset_after: None,
        retry_after: None,
        body: body.to_string(),
    }
}
