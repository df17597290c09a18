//! The 🚀 on each newly logged launch. One task sends them through the REST client, so the
//! database pipeline never waits on Discord's rate limits, and a launch that was already
//! logged (a replay, an edit) is never sent here, so it never gets a second reaction.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use twilight_model::id::{
    Id,
    marker::{ChannelMarker, MessageMarker},
};

use crate::rest::RestClient;

pub const ROCKET: &str = "🚀";

/// Where the reactions go; cheap to clone into every shard's pipeline.
#[derive(Clone)]
pub struct Reactions {
    queue: mpsc::UnboundedSender<(Id<ChannelMarker>, Id<MessageMarker>)>,
}

impl Reactions {
    /// Starts the sending task. It ends once every [`Reactions`] is dropped and the queue is
    /// empty, so awaiting it on shutdown finishes the reactions already promised.
    pub fn start(rest: Arc<RestClient>) -> (Self, JoinHandle<()>) {
        let (queue, mut pending) =
            mpsc::unbounded_channel::<(Id<ChannelMarker>, Id<MessageMarker>)>();
        let task = tokio::spawn(async move {
            while let Some((channel, message)) = pending.recv().await {
                match rest.add_reaction(channel, message, ROCKET).await {
                    Ok(()) => {
                        tracing::debug!(channel_id = %channel, message_id = %message, "reacted to a launch")
                    }
                    Err(error) => {
                        tracing::warn!(channel_id = %channel, message_id = %message, %error, "could not react to a launch; the launch itself is logged")
                    }
                }
            }
        });
        (Self { queue }, task)
    }

    pub fn react(&self, channel: Id<ChannelMarker>, message: Id<MessageMarker>) {
        if self.queue.send((channel, message)).is_err() {
            tracing::warn!(channel_id = %channel, message_id = %message, "the reaction task has stopped; this launch gets no reaction");
        }
    }
}
