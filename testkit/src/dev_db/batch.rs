//! Hrana batches: steps run in order, each behind an optional condition on the steps before it
//! (`ok`, `error`, `not`, `and`, `or`, `is_autocommit`). Clients build transactions from them:
//! `BEGIN`, then each statement if the one before succeeded, `COMMIT` if all did, `ROLLBACK`
//! if the commit did not happen. The same run answers a `batch` request and a cursor.

use libsql_hrana::proto::{self, BatchCond};

use super::error::{EndpointError, StmtError};
use super::statement::{self, PlannedStmt};
use super::stored_sql::StoredSql;
use super::stream::Version;

/// A batch whose SQL texts are found and whose conditions only look back.
#[derive(Debug)]
pub(super) struct PlannedBatch {
    steps: Vec<(Option<BatchCond>, PlannedStmt)>,
}

/// What happened to one step.
#[derive(Debug)]
pub(super) enum StepOutcome {
    /// Its condition was false; it did not run.
    Skipped,
    Succeeded(proto::StmtResult),
    Failed(proto::Error),
}

/// Checks what makes the whole request invalid (a protocol error, as in sqld): SQL ids that
/// name nothing, conditions that look at the current or a later step, `is_autocommit` before
/// version 3. Then checks each statement; one that cannot run fails the whole batch.
pub(super) fn plan(
    batch: &proto::Batch,
    stored: &StoredSql,
    version: Version,
) -> Result<Result<PlannedBatch, StmtError>, EndpointError> {
    let mut texts = Vec::with_capacity(batch.steps.len());
    for (index, step) in batch.steps.iter().enumerate() {
        if let Some(cond) = &step.condition {
            check_condition(cond, index, version)?;
        }
        texts.push(stored.resolve(step.stmt.sql.as_deref(), step.stmt.sql_id)?);
    }
    Ok(batch
        .steps
        .iter()
        .zip(texts)
        .map(|(step, sql)| Ok((step.condition.clone(), PlannedStmt::new(sql, &step.stmt)?)))
        .collect::<Result<_, StmtError>>()
        .map(|steps| PlannedBatch { steps }))
}

/// Runs the steps in order; a failed step does not stop the batch, conditions decide.
pub(super) async fn run(conn: &libsql::Connection, batch: &PlannedBatch) -> Vec<StepOutcome> {
    let mut outcomes = Vec::with_capacity(batch.steps.len());
    for (condition, stmt) in &batch.steps {
        let enabled = condition
            .as_ref()
            .is_none_or(|cond| holds(cond, &outcomes, conn.is_autocommit()));
        let outcome = if !enabled {
            StepOutcome::Skipped
        } else {
            match statement::execute(conn, stmt).await {
                Ok(result) => StepOutcome::Succeeded(result),
                Err(err) => StepOutcome::Failed(err.to_wire()),
            }
        };
        outcomes.push(outcome);
    }
    outcomes
}

/// The `BatchResult` of a run: per step, a result if it succeeded, an error if it failed,
/// neither if it was skipped.
pub(super) fn to_batch_result(outcomes: Vec<StepOutcome>) -> proto::BatchResult {
    let (step_results, step_errors) = outcomes
        .into_iter()
        .map(|outcome| match outcome {
            StepOutcome::Skipped => (None, None),
            StepOutcome::Succeeded(result) => (Some(result), None),
            StepOutcome::Failed(error) => (None, Some(error)),
        })
        .unzip();
    proto::BatchResult {
        step_results,
        step_errors,
        replication_index: None,
    }
}

/// The cursor entries of a run: `step_begin`, one `row` per row and `step_end` for a step
/// that succeeded, `step_error` for one that failed, nothing for a skipped one.
pub(super) fn to_cursor_entries(outcomes: Vec<StepOutcome>) -> Vec<proto::CursorEntry> {
    let mut entries = Vec::new();
    for (step, outcome) in (0u32..).zip(outcomes) {
        match outcome {
            StepOutcome::Skipped => {}
            StepOutcome::Succeeded(result) => {
                entries.push(proto::CursorEntry::StepBegin(proto::StepBeginEntry {
                    step,
                    cols: result.cols,
                }));
                entries.extend(
                    result
                        .rows
                        .into_iter()
                        .map(|row| proto::CursorEntry::Row { row }),
                );
                entries.push(proto::CursorEntry::StepEnd(proto::StepEndEntry {
                    affected_row_count: result.affected_row_count,
                    last_insert_rowid: result.last_insert_rowid,
                }));
            }
            StepOutcome::Failed(error) => {
                entries.push(proto::CursorEntry::StepError(proto::StepErrorEntry {
                    step,
                    error,
                }));
            }
        }
    }
    entries
}

fn check_condition(cond: &BatchCond, index: usize, version: Version) -> Result<(), EndpointError> {
    match cond {
        BatchCond::None => Err(EndpointError::UnrecognizedType),
        BatchCond::Ok { step } | BatchCond::Error { step } => {
            if (*step as usize) < index {
                Ok(())
            } else {
                Err(EndpointError::BatchCondBadStep)
            }
        }
        BatchCond::Not { cond } => check_condition(cond, index, version),
        BatchCond::And(list) | BatchCond::Or(list) => list
            .conds
            .iter()
            .try_for_each(|cond| check_condition(cond, index, version)),
        BatchCond::IsAutocommit {} => match version {
            Version::V3 => Ok(()),
            Version::V2 => Err(EndpointError::NeedsVersion3 {
                what: "The `is_autocommit` condition",
            }),
        },
    }
}

/// Evaluates a checked condition against the steps run so far. A skipped step is neither
/// `ok` nor `error`, as the spec says.
fn holds(cond: &BatchCond, outcomes: &[StepOutcome], is_autocommit: bool) -> bool {
    let outcome = |step: &u32| outcomes.get(*step as usize);
    match cond {
        BatchCond::Ok { step } => matches!(outcome(step), Some(StepOutcome::Succeeded(_))),
        BatchCond::Error { step } => matches!(outcome(step), Some(StepOutcome::Failed(_))),
        BatchCond::Not { cond } => !holds(cond, outcomes, is_autocommit),
        BatchCond::And(list) => list
            .conds
            .iter()
            .all(|cond| holds(cond, outcomes, is_autocommit)),
        BatchCond::Or(list) => list
            .conds
            .iter()
            .any(|cond| holds(cond, outcomes, is_autocommit)),
        BatchCond::IsAutocommit {} => is_autocommit,
        BatchCond::None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::BatchCondList;

    fn succeeded() -> StepOutcome {
        StepOutcome::Succeeded(proto::StmtResult::default())
    }

    fn failed() -> StepOutcome {
        StepOutcome::Failed(proto::Error::default())
    }

    fn ok(step: u32) -> BatchCond {
        BatchCond::Ok { step }
    }

    fn error(step: u32) -> BatchCond {
        BatchCond::Error { step }
    }

    #[test]
    fn ok_and_error_follow_the_step_they_name_and_a_skipped_step_is_neither() {
        let outcomes = [succeeded(), failed(), StepOutcome::Skipped];
        assert!(holds(&ok(0), &outcomes, true));
        assert!(!holds(&error(0), &outcomes, true));
        assert!(holds(&error(1), &outcomes, true));
        assert!(!holds(&ok(1), &outcomes, true));
        assert!(!holds(&ok(2), &outcomes, true));
        assert!(!holds(&error(2), &outcomes, true));
    }

    #[test]
    fn not_and_or_combine_conditions() {
        let outcomes = [succeeded(), failed()];
        let both = |conds| BatchCond::And(BatchCondList { conds });
        let either = |conds| BatchCond::Or(BatchCondList { conds });
        assert!(holds(&both(vec![ok(0), error(1)]), &outcomes, true));
        assert!(!holds(&both(vec![ok(0), ok(1)]), &outcomes, true));
        assert!(holds(&either(vec![ok(1), ok(0)]), &outcomes, true));
        assert!(!holds(&either(vec![]), &outcomes, true));
        assert!(holds(&both(vec![]), &outcomes, true));
        assert!(holds(
            &BatchCond::Not {
                cond: Box::new(ok(1))
            },
            &outcomes,
            true
        ));
    }

    #[test]
    fn is_autocommit_reads_the_connection_state() {
        assert!(holds(&BatchCond::IsAutocommit {}, &[], true));
        assert!(!holds(&BatchCond::IsAutocommit {}, &[], false));
    }

    #[test]
    fn a_condition_may_only_look_at_earlier_steps() {
        assert!(check_condition(&ok(1), 2, Version::V3).is_ok());
        assert!(matches!(
            check_condition(&ok(2), 2, Version::V3),
            Err(EndpointError::BatchCondBadStep)
        ));
        let nested = BatchCond::Not {
            cond: Box::new(BatchCond::Or(BatchCondList {
                conds: vec![ok(0), error(5)],
            })),
        };
        assert!(matches!(
            check_condition(&nested, 3, Version::V3),
            Err(EndpointError::BatchCondBadStep)
        ));
    }

    #[test]
    fn is_autocommit_is_a_version_3_condition() {
        assert!(check_condition(&BatchCond::IsAutocommit {}, 0, Version::V3).is_ok());
        assert!(matches!(
            check_condition(&BatchCond::IsAutocommit {}, 0, Version::V2),
            Err(EndpointError::NeedsVersion3 { .. })
        ));
    }

    #[test]
    fn a_skipped_step_has_neither_result_nor_error() {
        let result = to_batch_result(vec![succeeded(), StepOutcome::Skipped, failed()]);
        assert_eq!(
            result
                .step_results
                .iter()
                .map(Option::is_some)
                .collect::<Vec<_>>(),
            [true, false, false]
        );
        assert_eq!(
            result
                .step_errors
                .iter()
                .map(Option::is_some)
                .collect::<Vec<_>>(),
            [false, false, true]
        );
    }

    #[test]
    fn cursor_entries_frame_each_run_step_and_omit_skipped_ones() {
        let rows = vec![
            proto::Row {
                values: vec![proto::Value::Null],
            },
            proto::Row {
                values: vec![proto::Value::Null],
            },
        ];
        let result = proto::StmtResult {
            rows,
            ..proto::StmtResult::default()
        };
        let entries = to_cursor_entries(vec![
            StepOutcome::Succeeded(result),
            StepOutcome::Skipped,
            failed(),
        ]);
        let kinds: Vec<_> = entries
            .iter()
            .map(|entry| match entry {
                proto::CursorEntry::StepBegin(begin) => format!("begin {}", begin.step),
                proto::CursorEntry::Row { .. } => "row".to_owned(),
                proto::CursorEntry::StepEnd(_) => "end".to_owned(),
                proto::CursorEntry::StepError(err) => format!("error {}", err.step),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds, ["begin 0", "row", "row", "end", "error 2"]);
    }
}
