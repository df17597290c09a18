//! What the server must know about a SQL text before it runs it, read with the SQLite grammar
//! sqld itself parses with (`libsql-sqlite3-parser`): how many statements the text holds, and
//! what kind each one is.
//!
//! sqld answers from this parse, not from SQLite's own counters: `sqlite3_changes()` and
//! `sqlite3_last_insert_rowid()` keep the values of the last INSERT, UPDATE or DELETE, so a
//! SELECT would otherwise report rows it never touched. Parsing first also rejects what sqld
//! rejects (a text with two statements where one is expected), so a mistake that would fail on
//! Turso fails here too.

use fallible_iterator::FallibleIterator;
use libsql_sqlite3_parser::ast::{Cmd, Stmt};
use libsql_sqlite3_parser::lexer::sql::Parser;

/// The facts about one statement that shape its Hrana result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StmtKind {
    /// INSERT, UPDATE or DELETE: only these report an `affected_row_count`.
    pub changes_rows: bool,
    /// INSERT: only these report a `last_insert_rowid`.
    pub is_insert: bool,
    /// `EXPLAIN` or `EXPLAIN QUERY PLAN`.
    pub is_explain: bool,
    /// Leaves the database file as it was (what `describe` calls `is_readonly`).
    pub is_readonly: bool,
}

/// Why a SQL text cannot run as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum SqlTextError {
    #[error("SQL string could not be parsed: {0}")]
    Parse(String),
    #[error("SQL string does not contain any statement")]
    NoStatement,
    #[error("SQL string contains more than one statement")]
    ManyStatements,
}

/// Classifies a text that must hold exactly one statement (`execute`, batch steps, `describe`).
pub(super) fn single_statement(sql: &str) -> Result<StmtKind, SqlTextError> {
    let mut kinds = statements(sql)?.into_iter();
    match (kinds.next(), kinds.next()) {
        (None, _) => Err(SqlTextError::NoStatement),
        (Some(kind), None) => Ok(kind),
        (Some(_), Some(_)) => Err(SqlTextError::ManyStatements),
    }
}

/// Classifies every statement of a text (`sequence` runs several); an empty text has none.
pub(super) fn statements(sql: &str) -> Result<Vec<StmtKind>, SqlTextError> {
    // The parser is large; sqld keeps it off the stack for the same reason.
    let mut parser = Box::new(Parser::new(sql.as_bytes()));
    let mut kinds = Vec::new();
    while let Some(cmd) = parser
        .next()
        .map_err(|err| SqlTextError::Parse(err.to_string()))?
    {
        kinds.push(classify(&cmd));
    }
    Ok(kinds)
}

fn classify(cmd: &Cmd) -> StmtKind {
    let (stmt, is_explain) = match cmd {
        Cmd::Explain(stmt) | Cmd::ExplainQueryPlan(stmt) => (stmt, true),
        Cmd::Stmt(stmt) => (stmt, false),
    };
    StmtKind {
        changes_rows: !is_explain
            && matches!(
                stmt,
                Stmt::Insert { .. } | Stmt::Update { .. } | Stmt::Delete { .. }
            ),
        is_insert: !is_explain && matches!(stmt, Stmt::Insert { .. }),
        is_explain,
        is_readonly: is_explain || is_readonly(stmt),
    }
}

/// Mirrors `sqlite3_stmt_readonly()` for the statements a client sends: queries, transaction
/// control (SQLite counts BEGIN and COMMIT as read-only) and pragmas that only read a value.
fn is_readonly(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Select(_)
        | Stmt::Begin(..)
        | Stmt::Commit(_)
        | Stmt::Rollback { .. }
        | Stmt::Savepoint(_)
        | Stmt::Release(_) => true,
        Stmt::Pragma(_, body) => body.is_none(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(sql: &str) -> StmtKind {
        single_statement(sql).expect("one statement")
    }

    #[test]
    fn only_insert_update_and_delete_report_changed_rows() {
        assert!(kind("INSERT INTO t VALUES (1)").changes_rows);
        assert!(kind("UPDATE t SET a = 1").changes_rows);
        assert!(kind("DELETE FROM t").changes_rows);
        assert!(!kind("SELECT * FROM t").changes_rows);
        assert!(!kind("CREATE TABLE t (a)").changes_rows);
        assert!(!kind("EXPLAIN INSERT INTO t VALUES (1)").changes_rows);
    }

    #[test]
    fn only_insert_reports_a_last_insert_rowid() {
        assert!(kind("INSERT INTO t VALUES (1) RETURNING a").is_insert);
        assert!(!kind("UPDATE t SET a = 1").is_insert);
        assert!(!kind("SELECT last_insert_rowid()").is_insert);
    }

    #[test]
    fn explain_and_query_plan_are_explain_and_read_only() {
        let plain = kind("EXPLAIN SELECT 1");
        let plan = kind("EXPLAIN QUERY PLAN DELETE FROM t");
        assert!(plain.is_explain && plain.is_readonly);
        assert!(plan.is_explain && plan.is_readonly);
        assert!(!kind("SELECT 1").is_explain);
    }

    #[test]
    fn queries_and_transaction_control_are_read_only_and_writes_are_not() {
        for sql in [
            "SELECT 1",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "PRAGMA user_version",
        ] {
            assert!(kind(sql).is_readonly, "{sql}");
        }
        for sql in [
            "INSERT INTO t VALUES (1)",
            "CREATE TABLE t (a)",
            "DROP TABLE t",
            "PRAGMA user_version = 3",
        ] {
            assert!(!kind(sql).is_readonly, "{sql}");
        }
    }

    #[test]
    fn a_single_statement_may_end_with_a_semicolon_and_a_comment() {
        assert_eq!(kind("SELECT 1; -- done"), kind("SELECT 1"));
    }

    #[test]
    fn two_statements_where_one_is_expected_are_refused() {
        assert_eq!(
            single_statement("SELECT 1; SELECT 2"),
            Err(SqlTextError::ManyStatements)
        );
    }

    #[test]
    fn an_empty_or_comment_only_text_has_no_statement() {
        assert_eq!(single_statement("  "), Err(SqlTextError::NoStatement));
        assert_eq!(
            single_statement("-- nothing"),
            Err(SqlTextError::NoStatement)
        );
        assert_eq!(statements(""), Ok(vec![]));
    }

    #[test]
    fn a_syntax_error_is_a_parse_error() {
        assert!(matches!(
            single_statement("SELEC 1"),
            Err(SqlTextError::Parse(_))
        ));
    }

    #[test]
    fn a_sequence_classifies_every_statement() {
        let kinds = statements("CREATE TABLE t (a); INSERT INTO t VALUES (1); SELECT * FROM t;")
            .expect("three statements");
        assert_eq!(kinds.len(), 3);
        assert!(kinds[1].is_insert);
    }
}
