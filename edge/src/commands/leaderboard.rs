//! `/leaderboard [period]`: the most active shippers of a rolling period, ties broken stably.

use chrono::{DateTime, Utc};
use shiptrack_core::{
    interaction::CommandInvocation,
    period::Period,
    replies::{self, LEADERBOARD_SIZE, LeaderboardRow},
    sql,
};
use twilight_model::id::Id;

use super::{
    Answer, Finish as CommandFinish, Plan, ephemeral, public, result, time_from_millis, unexpected,
};
use crate::hrana::{DbError, StmtResult, integer, statement, text};

#[derive(Debug)]
pub struct Finish {
    period: Period,
}

pub fn plan(invocation: &CommandInvocation, period: Period, now: DateTime<Utc>) -> Plan {
    let Some(guild_id) = invocation.guild_id else {
        return ephemeral(&replies::works_in_servers());
    };
    let since = period
        .since(now)
        .map_or(0, |since| since.timestamp_millis());
    Plan::query(
        vec![statement(
            sql::LEADERBOARD,
            [
                text(guild_id.to_string()),
                integer(since),
                integer(LEADERBOARD_SIZE as i64),
            ],
        )],
        CommandFinish::Leaderboard(Finish { period }),
        Some(&invocation.token),
    )
}

impl Finish {
    pub fn answer(self, results: &[StmtResult]) -> Result<Answer, DbError> {
        let rows = result(results, 0)?
            .rows
            .iter()
            .map(|row| {
                Ok(LeaderboardRow {
                    user_id: row
                        .text(0)
                        .and_then(|id| id.parse().ok())
                        .and_then(Id::new_checked)
                        .ok_or_else(|| unexpected("author_id"))?,
                    count: row
                        .integer(2)
                        .and_then(|count| u64::try_from(count).ok())
                        .ok_or_else(|| unexpected("launch_count"))?,
                    latest_at: time_from_millis(
                        row.integer(3).ok_or_else(|| unexpected("latest_at"))?,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, DbError>>()?;
        Ok(public(replies::leaderboard(self.period, &rows)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Answer;
    use super::super::test_support::*;
    use chrono::TimeDelta;
    use serde_json::json;
    use shiptrack_core::response::Visibility;

    fn leaderboard(period: Option<&str>) -> serde_json::Value {
        slash(
            "leaderboard",
            period.map_or(json!([]), |period| string_options(&[("period", period)])),
        )
    }

    #[test]
    fn counts_launches_since_the_start_of_the_period() {
        let week = expect_query(plan_command(leaderboard(None)));
        let quarter = expect_query(plan_command(leaderboard(Some("quarter"))));
        let all = expect_query(plan_command(leaderboard(Some("all"))));
        let since = |days| {
            (now() - TimeDelta::days(days))
                .timestamp_millis()
                .to_string()
        };
        assert_eq!(
            statement_json(&week, 0)["args"][1],
            json!({"type": "integer", "value": since(7)})
        );
        assert_eq!(
            statement_json(&quarter, 0)["args"][1],
            json!({"type": "integer", "value": since(90)})
        );
        assert_eq!(
            statement_json(&all, 0)["args"][1],
            json!({"type": "integer", "value": "0"})
        );
    }

    #[test]
    fn ranks_the_rows_with_mentions_and_counts() {
        let query = expect_query(plan_command(leaderboard(Some("month"))));
        let answer = query.answer(Ok(vec![rows(vec![
            vec![txt("11"), txt("Ada"), int(3), int(NOW_MS - 1000)],
            vec![txt("22"), txt("Grace"), int(3), int(NOW_MS - 2000)],
        ])]));
        let Answer::Message {
            content,
            visibility,
        } = answer
        else {
            panic!()
        };
        assert_eq!(visibility, Visibility::Public);
        let first = content.find("<@22>").unwrap();
        let second = content.find("<@11>").unwrap();
        assert!(
            first < second,
            "the earlier latest launch ranks first on a tie: {content}"
        );
        assert!(content.contains("last 30 days"), "{content}");
    }
}
