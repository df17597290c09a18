//! Prepared bursts, for benchmarks that should time a gateway client rather than the simulator:
//! the messages of a stream are made beforehand, and each connection encodes its frames then
//! (compressed in its own zlib stream, if it asked for one), but writes them only on release.
//!
//! Preparing does what streaming does, in the same order: the same messages, authors and ids,
//! the world and the session buffers updated (a resume replays a prepared burst like any other
//! dispatch); only the moment each connection writes the frames differs. Everything else a
//! connection writes meanwhile queues behind the burst in the order it was encoded (see
//! `gateway::outbox`), so sequence numbers and the zlib stream stay in order.
use std::collections::HashMap;

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::community::{self, Stream, StreamMix, StreamSummary};
use super::error::SimError;
use super::gateway::registry::ConnCommand;
use super::gateway::sessions::Delivery;
use super::state::Sim;

/// Messages of a stream posted and encoded but not yet written; [`PreparedBurst::release`]
/// lets every connection write them. Dropping it releases them too, so no connection is left
/// holding a burst for good.
pub struct PreparedBurst {
    summary: StreamSummary,
    /// Every connection that was open while the burst was made, whether it holds any of it.
    connections: HashMap<u64, UnboundedSender<ConnCommand>>,
}

impl PreparedBurst {
    /// What the burst holds, as `stream_messages` would have reported it.
    pub fn summary(&self) -> &StreamSummary {
        &self.summary
    }

    /// Lets the connections write the burst, and what queued behind it; how many open
    /// connections the release reached.
    pub fn release(mut self) -> usize {
        self.release_all()
    }

    fn release_all(&mut self) -> usize {
        self.connections
            .drain()
            .filter(|(_, tx)| tx.send(ConnCommand::Release).is_ok())
            .count()
    }
}

impl Drop for PreparedBurst {
    fn drop(&mut self) {
        self.release_all();
    }
}

/// Posts `count` stream messages with their dispatches held, then waits until every open
/// connection has encoded what it was given.
pub(crate) async fn prepare(
    sim: &Sim,
    channel_id: u64,
    count: u64,
    mix: StreamMix,
) -> Result<PreparedBurst, SimError> {
    let mut stream = sim.read(|s| Stream::new(&s.world, channel_id, mix, Delivery::Held));
    let mut burst = PreparedBurst {
        summary: StreamSummary::default(),
        connections: HashMap::new(),
    };
    let mut posted = 0;
    while posted < count {
        let end = (posted + community::STREAM_CHUNK).min(count);
        sim.update(|s| {
            let now = Instant::now();
            let posting = (posted..end).try_for_each(|_| stream.post_next(s, now));
            // Recorded even when posting failed, so dropping the burst releases what was held.
            for (id, tx) in s.gateway.connections.senders() {
                burst.connections.entry(id).or_insert_with(|| tx.clone());
            }
            posting
        })?;
        posted = end;
        // The lock is free between chunks; let the bot's REST calls and the connections run.
        tokio::task::yield_now().await;
    }
    burst.summary = std::mem::take(&mut stream.summary);
    let encoded: Vec<oneshot::Receiver<()>> = burst
        .connections
        .values()
        .filter_map(|tx| {
            let (done, encoded) = oneshot::channel();
            tx.send(ConnCommand::Acknowledge(done))
                .ok()
                .map(|()| encoded)
        })
        .collect();
    for connection in encoded {
        // An error means the connection ended; it has nothing left to write.
        let _ = connection.await;
    }
    Ok(burst)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

    use super::*;
    use crate::discord_sim::config::{SimConfig, intents};
    use crate::discord_sim::gateway::registry::{ConnEntry, Frame};
    use crate::discord_sim::gateway::sessions::Attachment;
    use crate::discord_sim::records::{Endpoint, ShardId};
    use crate::discord_sim::{DiscordSim, ids};

    /// A connection of shard 0 as the registry and a session see it, without a socket: the
    /// test reads what it is told. Returns the session id.
    fn attach_connection(sim: &Sim, id: u64) -> (String, UnboundedReceiver<ConnCommand>) {
        let (tx, rx) = unbounded_channel();
        let shard = ShardId { id: 0, count: 1 };
        let session_id = sim.update(|s| {
            let session = s
                .gateway
                .sessions
                .create(shard, intents::GUILD_MESSAGES | intents::MESSAGE_CONTENT);
            session.attach(Attachment {
                connection_id: id,
                tx: tx.clone(),
            });
            let session_id = session.id.clone();
            s.gateway.connections.insert(
                id,
                ConnEntry {
                    tx,
                    endpoint: Endpoint::Main,
                    compressed: false,
                    shard: Some(shard),
                    session_id: Some(session_id.clone()),
                },
            );
            session_id
        });
        (session_id, rx)
    }

    /// What a connection was told until its burst was acknowledged, answering the acknowledgement.
    async fn held_until_acknowledged(rx: &mut UnboundedReceiver<ConnCommand>) -> Vec<Frame> {
        let mut held = Vec::new();
        loop {
            match rx.recv().await.expect("the connection is told") {
                ConnCommand::Hold(frame) => held.push(frame),
                ConnCommand::Acknowledge(done) => {
                    done.send(()).unwrap();
                    return held;
                }
                other => panic!("{other:?} while a burst was prepared"),
            }
        }
    }

    #[tokio::test]
    async fn a_prepared_burst_holds_every_dispatch_buffers_it_for_resume_and_is_released_once() {
        let running = DiscordSim::start(SimConfig::default()).await.unwrap();
        let sim = Arc::clone(&running.control().sim);
        let (session_id, mut rx) = attach_connection(&sim, 1);
        let connection = tokio::spawn(async move {
            let held = held_until_acknowledged(&mut rx).await;
            (held, rx)
        });

        let burst = prepare(&sim, ids::I_SHIPPED, 1200, StreamMix::default())
            .await
            .unwrap();
        let (held, mut rx) = connection.await.unwrap();
        assert_eq!(
            (
                burst.summary().count,
                burst.summary().launches,
                burst.summary().bot_messages
            ),
            (1200, 120, 60)
        );
        let buffered = sim.update(|s| {
            let session = s
                .gateway
                .sessions
                .live(&session_id, Instant::now())
                .unwrap();
            session.replay_after(0).unwrap()
        });
        assert_eq!(
            held, buffered,
            "held as the session buffered them, in order"
        );
        assert!(rx.try_recv().is_err(), "nothing else until the release");

        assert_eq!(burst.release(), 1);
        assert!(matches!(rx.try_recv(), Ok(ConnCommand::Release)));
        assert!(rx.try_recv().is_err(), "released once");
    }

    #[tokio::test]
    async fn a_dropped_burst_is_released_and_a_stream_after_it_is_sent_as_usual() {
        let running = DiscordSim::start(SimConfig::default()).await.unwrap();
        let control = running.control();
        let (_, mut rx) = attach_connection(&control.sim, 1);
        let connection = tokio::spawn(async move {
            held_until_acknowledged(&mut rx).await;
            rx
        });
        let burst = control
            .prepare_messages(ids::I_SHIPPED, 10, StreamMix::default())
            .await
            .unwrap();
        let mut rx = connection.await.unwrap();
        drop(burst);
        assert!(matches!(rx.try_recv(), Ok(ConnCommand::Release)));
        control
            .stream_messages(ids::I_SHIPPED, 3, StreamMix::default())
            .unwrap();
        for _ in 0..3 {
            assert!(matches!(rx.try_recv(), Ok(ConnCommand::Dispatch(_))));
        }
    }
}
