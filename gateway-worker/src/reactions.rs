//! The 🚀 on each newly logged launch. One task sends them through the REST client, so the
//! database pipeline never waits on Discord's rate limits, and a launch that was already
//! logged (a replay, an edit) is never sent here, so it never gets a second reaction.
//!
//! The reaction goes out after its row commits, so the row itself says the 🚀 is owed
//! (`launches.reaction = 'pending'`) until this task settles it: Discord accepted it, or
//! refused it for good. A process killed in between, or a Discord failing for longer than
//! the REST client retries, leaves the row pending, and the shard's next tenure queues it
//! again with [`Reactions::sweep`]. A PUT of the bot's own reaction is idempotent on
//! Discord's side, so the worst case of a lost mark is one repeated request, never a second
//! 🚀.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use twilight_model::id::{
    Id,
    marker::{ChannelMarker, MessageMarker},
};

use crate::db::connect::Database;
use crate::db::reused_connection::{Opening, ReusedConnection};
use crate::gateway::ShardId;
use crate::rest::{RestClient, RestError};
use crate::store::launches::{self, PendingReaction};

pub const ROCKET: &str = "🚀";

/// How far back the sweep looks: an older launch's moment has passed, and its row is left.
const SWEEP_WINDOW: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Most owed reactions one sweep queues; the rest wait for the next tenure.
const SWEEP_LIMIT: u32 = 1000;
/// Bound on marking one reaction settled, so a database that stopped answering does not
/// hold up the reactions behind it.
const MARK_TIMEOUT: Duration = Duration::from_secs(10);

type Target = (Id<ChannelMarker>, Id<MessageMarker>);

/// Where the reactions go; cheap to clone into every shard's pipeline.
#[derive(Clone)]
pub struct Reactions {
    queue: mpsc::UnboundedSender<Target>,
    /// Messages queued or being sent: a sweep that finds one of them still pending in the
    /// database does not queue it twice.
    in_flight: Arc<Mutex<HashSet<Id<MessageMarker>>>>,
}

impl Reactions {
    /// Starts the sending task. It ends once every [`Reactions`] is dropped and the queue is
    /// empty, so awaiting it on shutdown finishes the reactions already promised.
    pub fn start(rest: Arc<RestClient>, database: Arc<Database>) -> (Self, JoinHandle<()>) {
        let (queue, mut pending) = mpsc::unbounded_channel::<Target>();
        let in_flight: Arc<Mutex<HashSet<Id<MessageMarker>>>> = Arc::default();
        let reactions = Self {
            queue,
            in_flight: in_flight.clone(),
        };
        let task = tokio::spawn(async move {
            let mut marks = Marks::new(database);
            while let Some((channel, message)) = pending.recv().await {
                let result = rest.add_reaction(channel, message, ROCKET).await;
                let delivery = delivery(&result);
                log_delivery(channel, message, delivery, result.err());
                if delivery != Delivery::Failed {
                    marks.settle(message).await;
                }
                // After the mark, so a sweep sees either the settled row or the message here.
                lock(&in_flight).remove(&message);
            }
        });
        (reactions, task)
    }

    pub fn react(&self, channel: Id<ChannelMarker>, message: Id<MessageMarker>) {
        if !lock(&self.in_flight).insert(message) {
            return;
        }
        if self.queue.send((channel, message)).is_err() {
            lock(&self.in_flight).remove(&message);
            tracing::warn!(channel_id = %channel, message_id = %message, "the reaction task has stopped; this launch's 🚀 stays owed for the next start");
        }
    }

    /// Queues the 🚀 still owed to `shard`'s launches of the last week, oldest first; returns
    /// how many were found.
    pub async fn sweep(
        &self,
        database: &Database,
        shard: ShardId,
        now_ms: i64,
    ) -> anyhow::Result<usize> {
        let since = now_ms - SWEEP_WINDOW.as_millis() as i64;
        let owed = database
            .call_on_new_connection(move |conn| async move {
                launches::pending_reactions(&conn, shard.number, shard.total, since, SWEEP_LIMIT)
                    .await
            })
            .await?;
        for PendingReaction {
            channel_id,
            message_id,
            ..
        } in &owed
        {
            self.react(Id::new(*channel_id), Id::new(*message_id));
        }
        Ok(owed.len())
    }
}

/// The set holds plain ids, so a panic while it was held left it consistent.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What one attempt at a reaction came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Delivery {
    Reacted,
    /// Discord will never take it: the bot may not react there, or the message is gone.
    Refused,
    /// Worth another try later (5xx or 429 past the retries, the network, a timeout).
    Failed,
}

fn delivery(result: &Result<(), RestError>) -> Delivery {
    match result {
        Ok(()) => Delivery::Reacted,
        Err(RestError::Refused { status, .. })
            if matches!(*status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) =>
        {
            Delivery::Refused
        }
        Err(_) => Delivery::Failed,
    }
}

fn log_delivery(
    channel: Id<ChannelMarker>,
    message: Id<MessageMarker>,
    delivery: Delivery,
    error: Option<RestError>,
) {
    let error = error.map(|error| error.to_string()).unwrap_or_default();
    match delivery {
        Delivery::Reacted => {
            tracing::debug!(channel_id = %channel, message_id = %message, "reacted to a launch")
        }
        Delivery::Refused => {
            tracing::warn!(channel_id = %channel, message_id = %message, %error, "Discord refused the launch's 🚀 for good; the launch itself is logged")
        }
        Delivery::Failed => {
            tracing::warn!(channel_id = %channel, message_id = %message, %error, "could not react to a launch; the launch is logged and its 🚀 is retried on the next start")
        }
    }
}

/// Marks settled reactions in the database over one kept connection.
struct Marks(ReusedConnection);

impl Marks {
    fn new(database: Arc<Database>) -> Self {
        Self(ReusedConnection::new(
            database,
            Opening::Plain,
            MARK_TIMEOUT,
        ))
    }

    /// A failure is logged and left: the row stays pending, and the next sweep sends one
    /// more, idempotent, PUT.
    async fn settle(&mut self, message: Id<MessageMarker>) {
        let marked = self
            .0
            .call(|conn| async move {
                launches::mark_reacted(&conn, message.get())
                    .await
                    .map_err(anyhow::Error::from)
            })
            .await;
        if let Err(error) = marked {
            tracing::warn!(message_id = %message, error = %format!("{error:#}"), "could not record the launch's 🚀 as settled; the next start may send it again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: StatusCode) -> Result<(), RestError> {
        Err(RestError::Refused {
            route: "PUT /channels/1/messages/2/reactions/🚀/@me".to_owned(),
            status,
            message: "no".to_owned(),
            hint: "",
        })
    }

    #[test]
    fn a_reaction_discord_accepted_is_settled() {
        assert_eq!(delivery(&Ok(())), Delivery::Reacted);
    }

    #[test]
    fn missing_access_and_an_unknown_message_are_refusals_for_good() {
        assert_eq!(delivery(&refused(StatusCode::FORBIDDEN)), Delivery::Refused);
        assert_eq!(delivery(&refused(StatusCode::NOT_FOUND)), Delivery::Refused);
    }

    #[test]
    fn server_errors_rate_limits_and_other_refusals_are_tried_again_later() {
        let server_error = Err(RestError::ServerError {
            route: "PUT /channels".to_owned(),
            status: StatusCode::SERVICE_UNAVAILABLE,
            attempts: 4,
        });
        let rate_limited = Err(RestError::RateLimited {
            route: "PUT /channels".to_owned(),
            attempts: 6,
        });
        assert_eq!(delivery(&server_error), Delivery::Failed);
        assert_eq!(delivery(&rate_limited), Delivery::Failed);
        assert_eq!(
            delivery(&refused(StatusCode::UNAUTHORIZED)),
            Delivery::Failed
        );
    }
}
