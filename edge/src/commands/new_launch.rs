//! The launch row both logging commands write (`/ship` and "Log as launch"): the one place on
//! the edge that knows `INSERT_LAUNCH`'s parameters, and how its result reads.

use libsql_hrana::proto::Stmt;
use shiptrack_core::{replies, sql};

use super::{Answer, private, public, result};
use crate::hrana::{DbError, StmtResult, integer, optional_text, statement, text};

/// A launch as the edge logs it.
pub struct NewLaunch<'a> {
    pub guild_id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    pub author_name: &'a str,
    pub text: &'a str,
    pub url: Option<&'a str>,
    pub source: sql::LaunchSource,
    /// The Discord id that keys the row: a retried request or a message logged from either
    /// side never makes a second one.
    pub source_id: u64,
    pub created_at_ms: i64,
}

impl NewLaunch<'_> {
    pub fn insert(&self) -> Stmt {
        statement(
            sql::INSERT_LAUNCH,
            [
                text(self.guild_id.to_string()),
                text(self.channel_id.to_string()),
                text(self.author_id.to_string()),
                text(self.author_name),
                text(self.text),
                optional_text(self.url),
                text(self.source.as_str()),
                text(self.source_id.to_string()),
                integer(self.created_at_ms),
            ],
        )
    }
}

/// `INSERT … RETURNING id` gives a row only when the launch is new: then `logged` publicly,
/// otherwise "already logged" to the member alone.
pub fn answer(results: &[StmtResult], logged: impl FnOnce() -> String) -> Result<Answer, DbError> {
    Ok(if result(results, 0)?.rows.is_empty() {
        private(replies::already_logged())
    } else {
        public(logged())
    })
}
