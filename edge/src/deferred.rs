//! Answers within Discord's 3 seconds however slow the database is.
//!
//! The query runs inside `ctx.wait_until`, so it outlives the HTTP response. If its answer
//! arrives within [`DEFER_AFTER`], it is the response; otherwise the response is the query's
//! interim ("thinking…", type 5) and the answer, when it comes, replaces it through
//! `PATCH /webhooks/{application_id}/{token}/messages/@original`.

use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use shiptrack_core::response::{InteractionResponse, WebhookEdit};
use worker::{Context, Delay};

use crate::commands::{Answer, Interim, Query};
use crate::config::Settings;
use crate::{fetch, hrana};

/// Leaves a second of Discord's three for the network between Discord and the Worker.
pub const DEFER_AFTER: Duration = Duration::from_secs(2);

/// Runs `query` and answers with its result, or with its interim when the database is slow.
pub async fn answer(mut query: Query, settings: &Settings, ctx: &Context) -> InteractionResponse {
    let interim = query.interim();
    let webhook = query.token.take().map(|token| {
        format!(
            "{}/webhooks/{}/{token}/messages/@original",
            settings.discord_api_base, settings.discord_application_id
        )
    });
    let database = settings.database.clone();
    let (sender, mut receiver) = oneshot::channel::<Answer>();

    ctx.wait_until(async move {
        let statements = std::mem::take(&mut query.statements);
        let results = hrana::http::run(&database, statements).await;
        if let Err(error) = &results {
            worker::console_error!("database: {error}");
        }
        // A closed channel means Discord already had the interim: a command's "thinking…" is
        // finished through the webhook; an autocomplete already got no choices.
        if let Err(late) = sender.send(query.answer(results))
            && let (Some(edit), Some(url)) = (late.into_webhook_edit(), webhook)
        {
            edit_original(&url, &edit).await;
        }
    });

    match select(&mut receiver, Delay::from(DEFER_AFTER)).await {
        Either::Left((Ok(answer), _)) => answer.into_response(),
        // The query task ended without answering (it cannot, short of a crash): say nothing was saved.
        Either::Left((Err(oneshot::Canceled), _)) => query_lost(),
        Either::Right(((), _)) => {
            // Close first, so an answer that lands from now on goes through the webhook.
            receiver.close();
            match receiver.try_recv() {
                Ok(Some(answer)) => answer.into_response(),
                _ => match interim {
                    Interim::Deferred(visibility) => InteractionResponse::deferred(visibility),
                    Interim::NoChoices => InteractionResponse::autocomplete([]),
                },
            }
        }
    }
}

fn query_lost() -> InteractionResponse {
    InteractionResponse::message(
        &shiptrack_core::replies::database_error(),
        shiptrack_core::response::Visibility::Ephemeral,
    )
}

/// Replaces the deferred "thinking…" with the answer. Failures are logged: the interaction
/// token lives 15 minutes and nothing else can reach the member.
async fn edit_original(url: &str, edit: &WebhookEdit) {
    let sent = match serde_json::to_string(edit) {
        Ok(body) => {
            let headers = [("content-type", "application/json")];
            fetch::send("PATCH", url, &headers, &body)
                .await
                .map(|reply| reply.status)
        }
        Err(error) => Err(error.to_string()),
    };
    match sent {
        Ok(status) if (200..300).contains(&status) => {}
        Ok(status) => {
            worker::console_error!("finishing a deferred answer: Discord answered {status}")
        }
        Err(error) => worker::console_error!("finishing a deferred answer: {error}"),
    }
}
