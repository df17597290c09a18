//! "Log as launch" (message command): logs the target message with its author as the
//! shipper, keyed by the message id, so this command and the gateway worker never log the
//! same message twice.

use shiptrack_core::{
    interaction::{CommandInvocation, TargetMessage},
    launch::ShipWords,
    replies, sql,
};

use super::new_launch::{self, NewLaunch};
use super::{Answer, Finish as CommandFinish, Plan, ephemeral};
use crate::hrana::{DbError, StmtResult};

#[derive(Debug)]
pub struct Finish {
    author_name: String,
}

pub fn plan(invocation: &CommandInvocation, message: &TargetMessage) -> Plan {
    let Some(guild_id) = invocation.guild_id else {
        return ephemeral(&replies::works_in_servers());
    };
    if message.author_is_bot {
        return ephemeral(&replies::bot_message());
    }
    // The same rule as the gateway worker's, with the default words: the edge has no
    // per-guild settings on this path, and a custom list only ever adds words.
    let words = ShipWords::default();
    let Some(url) = words.launch_url(&message.content) else {
        return ephemeral(&replies::not_a_launch(&words));
    };
    let insert = NewLaunch {
        guild_id: guild_id.get(),
        channel_id: message.channel_id.get(),
        author_id: message.author.id.get(),
        author_name: &message.author.display_name,
        text: &message.content,
        url: Some(url),
        source: sql::LaunchSource::ContextMenu,
        source_id: message.id.get(),
        // The message's own time, so the launch lands in the week it was posted.
        created_at_ms: message.timestamp.timestamp_millis(),
    }
    .insert();
    Plan::query(
        vec![insert],
        CommandFinish::LogAsLaunch(Finish {
            author_name: message.author.display_name.clone(),
        }),
        Some(&invocation.token),
    )
}

impl Finish {
    pub fn answer(self, results: &[StmtResult]) -> Result<Answer, DbError> {
        new_launch::answer(results, || replies::message_logged(&self.author_name))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Answer;
    use super::super::test_support::*;
    use serde_json::{Value, json};
    use shiptrack_core::{launch::ShipWords, replies, response::Visibility};

    const MESSAGE: &str = "867793854505943041";
    const AUTHOR: &str = "80351110224678912";

    fn log_as_launch(content: &str, bot: bool) -> Value {
        guild_interaction(
            2,
            json!({
                "id": "866818195033292851",
                "name": "Log as launch",
                "type": 3,
                "target_id": MESSAGE,
                "resolved": {"messages": {MESSAGE: {
                    "attachments": [], "components": [], "embeds": [], "mentions": [], "mention_roles": [],
                    "author": {"id": AUTHOR, "username": "grace", "global_name": "Grace", "avatar": null, "discriminator": "0", "bot": bot},
                    "channel_id": "772908445358620702",
                    "content": content,
                    "edited_timestamp": null,
                    "flags": 0,
                    "id": MESSAGE,
                    "mention_everyone": false,
                    "pinned": false,
                    "timestamp": "2021-07-22T15:42:57.744000+00:00",
                    "tts": false,
                    "type": 0
                }}}
            }),
        )
    }

    #[test]
    fn logs_the_message_by_its_author_keyed_by_the_message_id() {
        let query = expect_query(plan_command(log_as_launch(
            "we just launched https://example.com 🚀",
            false,
        )));
        assert_eq!(
            statement_json(&query, 0)["args"],
            json!([
                {"type": "text", "value": GUILD},
                {"type": "text", "value": "772908445358620702"},
                {"type": "text", "value": AUTHOR},
                {"type": "text", "value": "Grace"},
                {"type": "text", "value": "we just launched https://example.com 🚀"},
                {"type": "text", "value": "https://example.com"},
                {"type": "text", "value": "context_menu"},
                {"type": "text", "value": MESSAGE},
                {"type": "integer", "value": "1626968577744"},
            ])
        );
        let answer = query.answer(Ok(vec![rows(vec![vec![int(5)]])]));
        assert_eq!(
            answer,
            Answer::Message {
                content: replies::message_logged("Grace"),
                visibility: Visibility::Public
            }
        );
    }

    #[test]
    fn a_message_already_logged_is_not_logged_again() {
        let query = expect_query(plan_command(log_as_launch(
            "launched https://example.com",
            false,
        )));
        let answer = query.answer(Ok(vec![rows(vec![])]));
        assert_eq!(
            answer,
            Answer::Message {
                content: replies::already_logged(),
                visibility: Visibility::Ephemeral
            }
        );
    }

    #[test]
    fn a_message_that_is_not_launch_shaped_is_explained() {
        let reply = expect_reply(plan_command(log_as_launch(
            "good morning https://example.com",
            false,
        )));
        assert_eq!(
            reply["data"]["content"],
            replies::not_a_launch(&ShipWords::default())
        );
    }

    #[test]
    fn a_bots_message_is_refused() {
        let reply = expect_reply(plan_command(log_as_launch(
            "launched https://example.com",
            true,
        )));
        assert_eq!(reply["data"]["content"], replies::bot_message());
    }
}
