//! Running statements on a stream's connection and shaping their results as sqld does:
//! `execute` and batch steps ([`execute`]), `describe` ([`describe`]), `sequence`
//! ([`sequence`]).
//!
//! The engine calls here block (SQLite waits for locks in its busy handler), so callers run
//! them on a blocking thread.

use std::time::Instant;

use libsql::params::Params;
use libsql_hrana::proto;

use super::error::StmtError;
use super::sql_analysis::{self, StmtKind};
use super::values;

/// A statement checked and ready to run: one statement of SQL text, its arguments.
#[derive(Debug)]
pub(super) struct PlannedStmt {
    sql: String,
    kind: StmtKind,
    args: Vec<proto::Value>,
    named_args: Vec<proto::NamedArg>,
    want_rows: bool,
}

impl PlannedStmt {
    /// `sql` is the statement's text, already looked up if the client sent a `sql_id`.
    pub(super) fn new(sql: &str, stmt: &proto::Stmt) -> Result<Self, StmtError> {
        if !stmt.args.is_empty() && !stmt.named_args.is_empty() {
            return Err(StmtError::ArgsBothPositionalAndNamed);
        }
        Ok(Self {
            sql: sql.to_owned(),
            kind: sql_analysis::single_statement(sql)?,
            args: stmt.args.clone(),
            named_args: stmt.named_args.clone(),
            // The protocol's default: rows are wanted unless the client says otherwise.
            want_rows: stmt.want_rows.unwrap_or(true),
        })
    }
}

/// Runs one statement to completion and reports it as a `StmtResult`.
pub(super) async fn execute(
    conn: &libsql::Connection,
    planned: &PlannedStmt,
) -> Result<proto::StmtResult, StmtError> {
    let started = Instant::now();
    let stmt = conn.prepare(&planned.sql).await?;
    let cols: Vec<proto::Col> = stmt
        .columns()
        .iter()
        .map(|col| proto::Col {
            name: Some(col.name().to_owned()),
            decltype: col.decl_type().map(str::to_owned),
        })
        .collect();
    let params = bind(&stmt, &planned.args, &planned.named_args)?;

    let mut rows = stmt.query(params).await?;
    let mut wire_rows = Vec::new();
    // Stop at the first `None`: stepping a finished statement would run it again.
    while let Some(row) = rows.next().await? {
        if planned.want_rows {
            let values = (0..cols.len())
                .map(|idx| row.get_value(idx as i32).map(values::to_wire))
                .collect::<Result<_, _>>()?;
            wire_rows.push(proto::Row { values });
        }
    }

    Ok(proto::StmtResult {
        cols,
        rows: wire_rows,
        affected_row_count: if planned.kind.changes_rows {
            conn.changes()
        } else {
            0
        },
        last_insert_rowid: planned.kind.is_insert.then(|| conn.last_insert_rowid()),
        replication_index: None,
        // sqld reads these from libSQL's per-statement counters, which the `libsql` crate
        // does not expose; clients only display them.
        rows_read: 0,
        rows_written: 0,
        query_duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// Prepares a statement without running it and reports its parameters and columns.
pub(super) async fn describe(
    conn: &libsql::Connection,
    sql: &str,
) -> Result<proto::DescribeResult, StmtError> {
    let kind = sql_analysis::single_statement(sql)?;
    let stmt = conn.prepare(sql).await?;
    let params = (1..=stmt.parameter_count() as i32)
        .map(|idx| proto::DescribeParam {
            name: stmt.parameter_name(idx).map(str::to_owned),
        })
        .collect();
    let cols = stmt
        .columns()
        .iter()
        .map(|col| proto::DescribeCol {
            name: col.name().to_owned(),
            decltype: col.decl_type().map(str::to_owned),
        })
        .collect();
    Ok(proto::DescribeResult {
        params,
        cols,
        is_explain: kind.is_explain,
        is_readonly: kind.is_readonly,
    })
}

/// Runs every statement of a text in order, ignoring rows, stopping at the first failure.
pub(super) async fn sequence(conn: &libsql::Connection, sql: &str) -> Result<(), StmtError> {
    sql_analysis::statements(sql)?;
    conn.execute_batch(sql).await?;
    Ok(())
}

/// Turns Hrana arguments into one value per SQL parameter, in parameter order.
///
/// Named arguments may omit the prefix (`@libsql/client` sends `{id: 1}` as `id`): the spec
/// has the server try `:`, `@` and `$`. An argument the statement does not take is an error; a
/// parameter no argument fills stays NULL, as SQLite leaves unbound parameters.
fn bind(
    stmt: &libsql::Statement,
    args: &[proto::Value],
    named_args: &[proto::NamedArg],
) -> Result<Params, StmtError> {
    let count = stmt.parameter_count();
    if args.len() > count {
        return Err(StmtError::ArgsInvalid(format!(
            "{} arguments given, the statement takes {count}",
            args.len()
        )));
    }
    let mut bound = vec![libsql::Value::Null; count];
    for (slot, arg) in bound.iter_mut().zip(args) {
        *slot = engine_value(arg)?;
    }
    for arg in named_args {
        let position = (1..=count)
            .find(|&idx| {
                stmt.parameter_name(idx as i32)
                    .is_some_and(|param| names_match(param, &arg.name))
            })
            .ok_or_else(|| {
                StmtError::ArgsInvalid(format!("the statement has no parameter `{}`", arg.name))
            })?;
        bound[position - 1] = engine_value(&arg.value)?;
    }
    Ok(Params::Positional(bound))
}

/// Whether an argument name given by a client names a SQL parameter (`:id`, `@id`, `$id`).
fn names_match(param: &str, given: &str) -> bool {
    param == given
        || (!given.starts_with([':', '@', '$', '?'])
            && param.len() == given.len() + 1
            && param.starts_with([':', '@', '$'])
            && param.ends_with(given))
}

fn engine_value(value: &proto::Value) -> Result<libsql::Value, StmtError> {
    values::to_engine(value)
        .ok_or_else(|| StmtError::ArgsInvalid("an argument has no recognised type".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_without_prefix_matches_any_prefixed_parameter() {
        assert!(names_match(":id", "id"));
        assert!(names_match("@id", "id"));
        assert!(names_match("$id", "id"));
        assert!(names_match(":id", ":id"));
    }

    #[test]
    fn a_prefixed_name_matches_only_itself() {
        assert!(!names_match(":id", "@id"));
        assert!(!names_match(":uid", "id"));
        assert!(!names_match(":id", "d"));
    }
}
