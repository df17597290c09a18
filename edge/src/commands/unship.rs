//! `/unship launch`: removes one of the member's launches (a soft delete the digest and the
//! leaderboard respect); only its author, or a member with Manage Server, may. While the
//! member types, autocomplete offers their recent launches.

use chrono::{DateTime, Utc};
use shiptrack_core::{
    interaction::{AutocompleteRequest, CommandInvocation},
    replies::{self, RecentLaunch, UnshipOutcome},
    response::InteractionResponse,
    sql,
};
use twilight_model::id::{Id, marker::UserMarker};

use super::{
    Answer, Finish as CommandFinish, Plan, ephemeral, private, result, time_from_millis, unexpected,
};
use crate::hrana::{DbError, StmtResult, integer, statement, text};

#[derive(Debug)]
pub struct Finish {
    caller: Id<UserMarker>,
}

#[derive(Debug)]
pub struct ChoicesFinish {
    typed: String,
}

/// One pipeline: the guarded delete, then the owner lookup that explains an empty delete.
pub fn plan(invocation: &CommandInvocation, launch: &str, now: DateTime<Utc>) -> Plan {
    let Some(guild_id) = invocation.guild_id else {
        return ephemeral(&replies::works_in_servers());
    };
    // Autocomplete sends the row id; anything else typed by hand names no launch.
    let Ok(launch_id) = launch.parse::<i64>() else {
        return ephemeral(&replies::unship(&UnshipOutcome::NotFound));
    };
    let guild = guild_id.to_string();
    let caller = invocation.invoker.id;
    Plan::query(
        vec![
            statement(
                sql::SOFT_DELETE_LAUNCH_BY_ID,
                [
                    integer(launch_id),
                    text(&guild),
                    text(caller.to_string()),
                    integer(now.timestamp_millis()),
                    integer(i64::from(invocation.invoker.can_manage_guild())),
                ],
            ),
            statement(sql::LAUNCH_OWNER, [integer(launch_id), text(&guild)]),
        ],
        CommandFinish::Unship(Finish { caller }),
        Some(&invocation.token),
    )
}

impl Finish {
    pub fn answer(self, results: &[StmtResult]) -> Result<Answer, DbError> {
        let outcome = if let Some(removed) = result(results, 0)?.rows.first() {
            UnshipOutcome::Removed {
                text: removed
                    .text(2)
                    .ok_or_else(|| unexpected("launch text"))?
                    .to_owned(),
            }
        } else {
            match result(results, 1)?.rows.first() {
                Some(owner)
                    if owner.integer(1).is_none()
                        && owner.text(0) != Some(self.caller.to_string().as_str()) =>
                {
                    UnshipOutcome::NotYours
                }
                // Never existed here, or already removed.
                _ => UnshipOutcome::NotFound,
            }
        };
        Ok(private(replies::unship(&outcome)))
    }
}

/// Suggestions for the launch option: the caller's recent launches matching what they typed.
pub fn plan_choices(request: &AutocompleteRequest) -> Plan {
    let Some(guild_id) = request.guild_id else {
        return Plan::Reply(InteractionResponse::autocomplete([]));
    };
    Plan::query(
        vec![statement(
            sql::UNSHIP_AUTOCOMPLETE,
            [
                text(guild_id.to_string()),
                text(request.invoker.id.to_string()),
                text(sql::like_contains(request.focused.trim())),
            ],
        )],
        CommandFinish::UnshipChoices(ChoicesFinish {
            typed: request.focused.clone(),
        }),
        None,
    )
}

impl ChoicesFinish {
    pub fn answer(self, results: &[StmtResult]) -> Result<Answer, DbError> {
        let launches = result(results, 0)?
            .rows
            .iter()
            .map(|row| {
                Ok(RecentLaunch {
                    id: row.integer(0).ok_or_else(|| unexpected("launch id"))?,
                    text: row
                        .text(1)
                        .ok_or_else(|| unexpected("launch text"))?
                        .to_owned(),
                    url: None,
                    created_at: time_from_millis(
                        row.integer(2).ok_or_else(|| unexpected("created_at"))?,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, DbError>>()?;
        Ok(Answer::Choices(replies::unship_choices(
            &launches,
            &self.typed,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{Answer, Interim};
    use serde_json::json;
    use shiptrack_core::{
        replies::{self, UnshipOutcome},
        response::Visibility,
    };

    fn unship(launch: &str) -> serde_json::Value {
        slash("unship", string_options(&[("launch", launch)]))
    }

    fn autocomplete(typed: &str) -> serde_json::Value {
        guild_interaction(
            4,
            json!({"id": "771825006014889984", "name": "unship", "type": 1, "options": [
                {"type": 3, "name": "launch", "value": typed, "focused": true}
            ]}),
        )
    }

    #[test]
    fn a_member_removes_only_as_author_unless_they_manage_the_server() {
        let member = expect_query(plan_command(unship("42")));
        let manager = expect_query(plan_command(with_permissions(unship("42"), MANAGE_GUILD)));
        assert_eq!(
            statement_json(&member, 0)["args"][4],
            json!({"type": "integer", "value": "0"})
        );
        assert_eq!(
            statement_json(&manager, 0)["args"][4],
            json!({"type": "integer", "value": "1"})
        );
        assert_eq!(
            statement_json(&member, 0)["args"][2],
            json!({"type": "text", "value": USER})
        );
        assert_eq!(member.interim(), Interim::Deferred(Visibility::Ephemeral));
    }

    #[test]
    fn a_removed_launch_is_confirmed_privately() {
        let query = expect_query(plan_command(unship("42")));
        let answer = query.answer(Ok(vec![
            rows(vec![vec![int(42), txt(USER), txt("shipped v1")]]),
            rows(vec![vec![txt(USER), int(NOW_MS)]]),
        ]));
        let expected = replies::unship(&UnshipOutcome::Removed {
            text: "shipped v1".into(),
        });
        assert_eq!(message_of(answer), (expected, Visibility::Ephemeral));
    }

    #[test]
    fn someone_elses_live_launch_is_refused() {
        let query = expect_query(plan_command(unship("42")));
        let answer = query.answer(Ok(vec![rows(vec![]), rows(vec![vec![txt("99"), null()]])]));
        assert_eq!(
            message_of(answer).0,
            replies::unship(&UnshipOutcome::NotYours)
        );
    }

    #[test]
    fn a_missing_or_already_removed_launch_is_not_found() {
        for owner in [vec![], vec![vec![txt("99"), int(NOW_MS)]]] {
            let query = expect_query(plan_command(unship("42")));
            let answer = query.answer(Ok(vec![rows(vec![]), rows(owner)]));
            assert_eq!(
                message_of(answer).0,
                replies::unship(&UnshipOutcome::NotFound)
            );
        }
    }

    #[test]
    fn a_launch_that_is_not_an_id_is_not_found_without_asking_the_database() {
        let reply = expect_reply(plan_command(unship("my app")));
        assert_eq!(
            reply["data"]["content"],
            replies::unship(&UnshipOutcome::NotFound)
        );
        assert_eq!(reply["data"]["flags"], 64);
    }

    #[test]
    fn autocomplete_searches_the_callers_launches_for_what_they_typed() {
        let query = expect_query(plan_command(autocomplete("50%")));
        assert_eq!(
            statement_json(&query, 0)["args"],
            json!([
                {"type": "text", "value": GUILD},
                {"type": "text", "value": USER},
                {"type": "text", "value": r"%50\%%"},
            ])
        );
        assert_eq!(query.interim(), Interim::NoChoices);
    }

    #[test]
    fn autocomplete_offers_each_launch_by_id() {
        let query = expect_query(plan_command(autocomplete("")));
        let answer = query.answer(Ok(vec![rows(vec![
            vec![int(7), txt("launched the app"), int(NOW_MS)],
            vec![int(3), txt("shipped docs"), int(NOW_MS - 86_400_000)],
        ])]));
        let Answer::Choices(choices) = answer else {
            panic!("expected choices")
        };
        let choices = serde_json::to_value(&choices).unwrap();
        assert_eq!(choices[0]["value"], "7");
        assert_eq!(choices[1]["value"], "3");
        assert_eq!(choices.as_array().unwrap().len(), 2);
    }

    #[test]
    fn autocomplete_in_a_dm_offers_nothing() {
        let reply = expect_reply(plan_command(in_dm(autocomplete("a"))));
        assert_eq!(reply, json!({"type": 8, "data": {"choices": []}}));
    }
}
