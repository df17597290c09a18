//! `/ship text [url]`: logs a launch keyed by the interaction id, so a retried request
//! never makes a second row, and thanks the member publicly.

use chrono::{DateTime, Utc};
use shiptrack_core::{interaction::CommandInvocation, replies, sql};

use super::new_launch::{self, NewLaunch};
use super::{Answer, Finish as CommandFinish, Plan, ephemeral};
use crate::hrana::{DbError, StmtResult};

#[derive(Debug)]
pub struct Finish {
    name: String,
}

pub fn plan(
    invocation: &CommandInvocation,
    launch: &str,
    url: Option<&str>,
    now: DateTime<Utc>,
) -> Plan {
    let Some(guild_id) = invocation.guild_id else {
        return ephemeral(&replies::works_in_servers());
    };
    let insert = NewLaunch {
        guild_id: guild_id.get(),
        channel_id: invocation.channel_id.get(),
        author_id: invocation.invoker.id.get(),
        author_name: &invocation.invoker.display_name,
        text: launch,
        url,
        source: sql::LaunchSource::Command,
        source_id: invocation.id.get(),
        created_at_ms: now.timestamp_millis(),
    }
    .insert();
    Plan::query(
        vec![insert],
        CommandFinish::Ship(Finish {
            name: invocation.invoker.display_name.clone(),
        }),
        Some(&invocation.token),
    )
}

impl Finish {
    pub fn answer(self, results: &[StmtResult]) -> Result<Answer, DbError> {
        new_launch::answer(results, || replies::ship_logged(&self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{Answer, Interim, Plan};
    use serde_json::json;
    use shiptrack_core::{replies, response::Visibility};

    #[test]
    fn stores_the_launch_keyed_by_the_interaction_id() {
        let query = expect_query(plan_command(ship(&[
            ("text", "shipped my app"),
            ("url", "https://a.example"),
        ])));
        assert_eq!(
            statement_json(&query, 0)["args"],
            json!([
                {"type": "text", "value": GUILD},
                {"type": "text", "value": CHANNEL},
                {"type": "text", "value": USER},
                {"type": "text", "value": "Ada"},
                {"type": "text", "value": "shipped my app"},
                {"type": "text", "value": "https://a.example"},
                {"type": "text", "value": "command"},
                {"type": "text", "value": INTERACTION},
                {"type": "integer", "value": NOW_MS.to_string()},
            ])
        );
        assert_eq!(query.statements.len(), 1);
        assert_eq!(query.interim(), Interim::Deferred(Visibility::Public));
    }

    #[test]
    fn a_new_row_is_thanked_publicly_by_name() {
        let query = expect_query(plan_command(ship(&[("text", "shipped")])));
        assert_eq!(
            query.answer(Ok(vec![rows(vec![vec![int(1)]])])),
            Answer::Message {
                content: replies::ship_logged("Ada"),
                visibility: Visibility::Public
            }
        );
    }

    #[test]
    fn a_retried_interaction_says_it_is_already_logged() {
        let query = expect_query(plan_command(ship(&[("text", "shipped")])));
        assert_eq!(
            query.answer(Ok(vec![rows(vec![])])),
            Answer::Message {
                content: replies::already_logged(),
                visibility: Visibility::Ephemeral
            }
        );
    }

    #[test]
    fn a_database_failure_never_claims_the_launch_was_logged() {
        let query = expect_query(plan_command(ship(&[("text", "shipped")])));
        assert_eq!(query.answer(Err(unreachable())), database_error_answer());
    }

    #[test]
    fn in_a_dm_it_explains_that_launches_belong_to_servers() {
        let plan = plan_command(in_dm(ship(&[("text", "shipped")])));
        let Plan::Reply(response) = plan else {
            panic!("expected a reply, got {plan:?}")
        };
        assert_eq!(
            serde_json::to_value(&response).unwrap()["data"]["content"],
            replies::works_in_servers()
        );
    }
}
