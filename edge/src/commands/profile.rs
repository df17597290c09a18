//! `/profile [user]`: a member's launch count, first and latest launch, and the newest few.

use shiptrack_core::{
    interaction::{CommandInvocation, NamedUser},
    replies::{self, PROFILE_RECENT_LAUNCHES, ProfileStats, RecentLaunch},
};
use twilight_model::id::{Id, marker::UserMarker};

use super::{
    Answer, Finish as CommandFinish, Plan, ephemeral, public, result, time_from_millis, unexpected,
};
use crate::hrana::{DbError, StmtResult, integer, statement, text};

#[derive(Debug)]
pub struct Finish {
    user_id: Id<UserMarker>,
}

pub fn plan(invocation: &CommandInvocation, user: Option<&NamedUser>) -> Plan {
    let Some(guild_id) = invocation.guild_id else {
        return ephemeral(&replies::works_in_servers());
    };
    let user_id = user.map_or(invocation.invoker.id, |user| user.id);
    let (guild, author) = (guild_id.to_string(), user_id.to_string());
    Plan::query(
        vec![
            statement(
                shiptrack_core::sql::PROFILE_STATS,
                [text(&guild), text(&author)],
            ),
            statement(
                shiptrack_core::sql::PROFILE_LATEST_LAUNCHES,
                [
                    text(&guild),
                    text(&author),
                    integer(PROFILE_RECENT_LAUNCHES as i64),
                ],
            ),
        ],
        CommandFinish::Profile(Finish { user_id }),
        Some(&invocation.token),
    )
}

impl Finish {
    pub fn answer(self, results: &[StmtResult]) -> Result<Answer, DbError> {
        let stats = result(results, 0)?
            .rows
            .first()
            .ok_or_else(|| unexpected("PROFILE_STATS returned no row"))?;
        let optional_time = |column| stats.integer(column).map(time_from_millis).transpose();
        let recent = result(results, 1)?
            .rows
            .iter()
            .map(|row| {
                Ok(RecentLaunch {
                    id: row.integer(0).ok_or_else(|| unexpected("launch id"))?,
                    text: row
                        .text(1)
                        .ok_or_else(|| unexpected("launch text"))?
                        .to_owned(),
                    url: row.text(2).map(str::to_owned),
                    created_at: time_from_millis(
                        row.integer(3).ok_or_else(|| unexpected("created_at"))?,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, DbError>>()?;
        let stats = ProfileStats {
            user_id: self.user_id,
            count: stats
                .integer(0)
                .and_then(|count| u64::try_from(count).ok())
                .ok_or_else(|| unexpected("launch_count"))?,
            first_at: optional_time(1)?,
            latest_at: optional_time(2)?,
            recent,
        };
        Ok(public(replies::profile(&stats)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{Answer, Interim};
    use chrono::DateTime;
    use serde_json::json;
    use shiptrack_core::{
        replies::{self, ProfileStats, RecentLaunch},
        response::Visibility,
    };
    use twilight_model::id::Id;

    const OTHER: &str = "80351110224678912";

    fn profile_of(user: Option<&str>) -> serde_json::Value {
        let options = user.map_or(
            json!([]),
            |id| json!([{"type": 6, "name": "user", "value": id}]),
        );
        let mut interaction = slash("profile", options);
        if let Some(id) = user {
            interaction["data"]["resolved"] = json!({"users": {id: {
                "id": id, "username": "grace", "global_name": "Grace", "avatar": null, "discriminator": "0"
            }}});
        }
        interaction
    }

    #[test]
    fn asks_for_the_callers_own_stats_and_latest_launches_by_default() {
        let query = expect_query(plan_command(profile_of(None)));
        assert_eq!(
            statement_json(&query, 0)["args"],
            json!([
                {"type": "text", "value": GUILD}, {"type": "text", "value": USER},
            ])
        );
        assert_eq!(
            statement_json(&query, 1)["args"][1],
            json!({"type": "text", "value": USER})
        );
        assert_eq!(query.interim(), Interim::Deferred(Visibility::Public));
    }

    #[test]
    fn asks_about_the_chosen_member() {
        let query = expect_query(plan_command(profile_of(Some(OTHER))));
        assert_eq!(
            statement_json(&query, 0)["args"][1],
            json!({"type": "text", "value": OTHER})
        );
    }

    #[test]
    fn renders_the_rows_through_the_core_reply() {
        let query = expect_query(plan_command(profile_of(None)));
        let answer = query.answer(Ok(vec![
            rows(vec![vec![
                int(2),
                int(1_700_000_000_000),
                int(1_763_000_000_000),
            ]]),
            rows(vec![
                vec![
                    int(9),
                    txt("v2 is live"),
                    txt("https://v2.example"),
                    int(1_763_000_000_000),
                ],
                vec![int(4), txt("launched v1"), null(), int(1_700_000_000_000)],
            ]),
        ]));
        let at = |ms| DateTime::from_timestamp_millis(ms).unwrap();
        let expected = replies::profile(&ProfileStats {
            user_id: Id::new(USER.parse().unwrap()),
            count: 2,
            first_at: Some(at(1_700_000_000_000)),
            latest_at: Some(at(1_763_000_000_000)),
            recent: vec![
                RecentLaunch {
                    id: 9,
                    text: "v2 is live".into(),
                    url: Some("https://v2.example".into()),
                    created_at: at(1_763_000_000_000),
                },
                RecentLaunch {
                    id: 4,
                    text: "launched v1".into(),
                    url: None,
                    created_at: at(1_700_000_000_000),
                },
            ],
        });
        assert_eq!(
            answer,
            Answer::Message {
                content: expected,
                visibility: Visibility::Public
            }
        );
    }

    #[test]
    fn a_member_without_launches_gets_the_empty_profile() {
        let query = expect_query(plan_command(profile_of(None)));
        let answer = query.answer(Ok(vec![
            rows(vec![vec![int(0), null(), null()]]),
            rows(vec![]),
        ]));
        let Answer::Message { content, .. } = answer else {
            panic!()
        };
        assert!(content.contains("hasn't logged a launch yet"), "{content}");
    }

    #[test]
    fn rows_of_the_wrong_shape_are_a_database_error() {
        let query = expect_query(plan_command(profile_of(None)));
        let answer = query.answer(Ok(vec![rows(vec![vec![txt("two")]]), rows(vec![])]));
        assert_eq!(answer, database_error_answer());
    }
}
