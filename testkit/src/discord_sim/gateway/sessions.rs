//! Gateway sessions: each has its own sequence numbers and a buffer of the dispatches it was
//! sent, so a client that lost its connection can Resume and be replayed everything after the
//! last sequence number it saw.
//!
//! A session is not a connection. It lives on after its connection drops (for `session_ttl`,
//! as Discord's "timeout after a few minutes"), keeps buffering the events routed to it while no
//! connection is attached, and ends only when it expires, the client closes with 1000/1001, or
//! Discord invalidates it. Every dispatch goes through [`Session::push`], so the buffer and the
//! socket always agree on what sequence number an event has.
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::protocol::op;
use super::registry::{ConnCommand, Frame};
use crate::discord_sim::config::intents;
use crate::discord_sim::ids;
use crate::discord_sim::records::ShardId;

/// The connection a session's dispatches are currently written to.
pub(crate) struct Attachment {
    pub connection_id: u64,
    pub tx: UnboundedSender<ConnCommand>,
}

pub(crate) struct Session {
    pub id: String,
    pub shard: ShardId,
    pub intents: u64,
    seq: u64,
    buffer: VecDeque<(u64, Frame)>,
    /// The highest sequence number dropped from the buffer for room.
    evicted_through: u64,
    capacity: usize,
    pub attached: Option<Attachment>,
    detached_at: Option<Instant>,
}

/// Why a Resume cannot be replayed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReplayRefused {
    /// The client claims a sequence number the session never sent: close 4007.
    Ahead,
    /// Events after that sequence number are no longer buffered: op 9, identify afresh.
    Evicted,
}

/// When a dispatch reaches the attached connection's socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// As soon as the connection gets to it.
    Now,
    /// Encoded by the connection at once, written when the prepared burst is released.
    Held,
}

impl Session {
    /// Numbers, buffers and (when a connection is attached) sends one dispatch.
    pub fn push(&mut self, event: &str, data: &str) {
        self.push_as(event, data, Delivery::Now);
    }

    /// `push`, held for a prepared burst if asked.
    pub fn push_as(&mut self, event: &str, data: &str, delivery: Delivery) {
        self.seq += 1;
        let frame = Frame::from(format!(
            r#"{{"op":{},"s":{},"t":"{event}","d":{data}}}"#,
            op::DISPATCH,
            self.seq
        ));
        self.buffer.push_back((self.seq, frame.clone()));
        while self.buffer.len() > self.capacity {
            if let Some((seq, _)) = self.buffer.pop_front() {
                self.evicted_through = seq;
            }
        }
        if let Some(attachment) = &self.attached {
            // A closed channel means the connection is ending; the frame stays buffered for a resume.
            let _ = attachment.tx.send(match delivery {
                Delivery::Now => ConnCommand::Dispatch(frame),
                Delivery::Held => ConnCommand::Hold(frame),
            });
        }
    }

    /// The dispatches after `seq`, in order.
    pub fn replay_after(&self, seq: u64) -> Result<Vec<Frame>, ReplayRefused> {
        if seq > self.seq {
            return Err(ReplayRefused::Ahead);
        }
        if seq < self.evicted_through {
            return Err(ReplayRefused::Evicted);
        }
        Ok(self
            .buffer
            .iter()
            .filter(|(s, _)| *s > seq)
            .map(|(_, f)| f.clone())
            .collect())
    }

    pub fn attach(&mut self, attachment: Attachment) {
        self.attached = Some(attachment);
        self.detached_at = None;
    }

    /// Stops writing to `connection_id` (if it is the attached one); the session keeps buffering.
    pub fn detach(&mut self, connection_id: u64, now: Instant) {
        if self
            .attached
            .as_ref()
            .is_some_and(|a| a.connection_id == connection_id)
        {
            self.attached = None;
            self.detached_at = Some(now);
        }
    }

    fn expired(&self, ttl: Duration, now: Instant) -> bool {
        self.detached_at
            .is_some_and(|at| now.duration_since(at) >= ttl)
    }

    /// Would Discord route an event of this guild (or a guild-less one) to this session?
    fn routes(&self, guild_id: Option<u64>) -> bool {
        match guild_id {
            Some(guild) => ids::shard_for(guild, self.shard.count) == self.shard.id,
            None => self.shard.id == 0,
        }
    }
}

/// A dispatch for every session it concerns. `data_without_content` is the same payload with
/// the message content fields emptied, for sessions that did not ask for MESSAGE_CONTENT.
pub(crate) struct DispatchEvent<'a> {
    pub name: &'static str,
    pub guild_id: Option<u64>,
    /// The intent a session needs to receive it.
    pub intent: u64,
    pub data: &'a str,
    pub data_without_content: Option<&'a str>,
    pub delivery: Delivery,
}

pub(crate) struct SessionStore {
    sessions: HashMap<String, Session>,
    ttl: Duration,
    capacity: usize,
}

impl SessionStore {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            sessions: HashMap::new(),
            ttl,
            capacity: capacity.max(1),
        }
    }

    pub fn create(&mut self, shard: ShardId, intents: u64) -> &mut Session {
        let id = hex::encode(rand::random::<[u8; 16]>());
        let session = Session {
            id: id.clone(),
            shard,
            intents,
            seq: 0,
            buffer: VecDeque::new(),
            evicted_through: 0,
            capacity: self.capacity,
            attached: None,
            detached_at: None,
        };
        self.sessions.entry(id).or_insert(session)
    }

    /// The session, unless it never existed, ended, or expired.
    pub fn live(&mut self, id: &str, now: Instant) -> Option<&mut Session> {
        if self
            .sessions
            .get(id)
            .is_some_and(|s| s.expired(self.ttl, now))
        {
            self.sessions.remove(id);
        }
        self.sessions.get_mut(id)
    }

    pub fn remove(&mut self, id: &str) {
        self.sessions.remove(id);
    }

    pub fn clear(&mut self) {
        self.sessions.clear();
    }

    /// Detaches every session from its connection (the connections are going away).
    pub fn detach_all(&mut self, now: Instant) {
        for session in self.sessions.values_mut() {
            if session.attached.take().is_some() {
                session.detached_at = Some(now);
            }
        }
    }

    /// Whether some session did not ask for this intent (so a payload without it is needed).
    pub fn any_without(&self, intent: u64) -> bool {
        self.sessions.values().any(|s| s.intents & intent == 0)
    }

    /// Routes a dispatch to each live session of the right shard and intents; how many got it.
    pub fn dispatch(&mut self, event: &DispatchEvent<'_>, now: Instant) -> usize {
        let ttl = self.ttl;
        self.sessions.retain(|_, s| !s.expired(ttl, now));
        let mut delivered = 0;
        for session in self.sessions.values_mut() {
            if !session.routes(event.guild_id) || session.intents & event.intent == 0 {
                continue;
            }
            let data = match event.data_without_content {
                Some(hidden) if session.intents & intents::MESSAGE_CONTENT == 0 => hidden,
                _ => event.data,
            };
            session.push_as(event.name, data, event.delivery);
            delivered += 1;
        }
        delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(capacity: usize) -> SessionStore {
        SessionStore::new(Duration::from_secs(60), capacity)
    }

    #[test]
    fn replay_returns_exactly_the_dispatches_after_the_given_sequence() {
        let mut sessions = store(100);
        let session = sessions.create(ShardId { id: 0, count: 1 }, intents::GUILD_MESSAGES);
        for i in 0..5 {
            session.push("MESSAGE_CREATE", &format!("{{\"n\":{i}}}"));
        }
        let replay = session.replay_after(3).unwrap();
        assert_eq!(replay.len(), 2);
        assert!(replay[0].as_str().starts_with(r#"{"op":0,"s":4,"#));
        assert_eq!(session.replay_after(5).unwrap().len(), 0);
        assert_eq!(session.replay_after(6), Err(ReplayRefused::Ahead));
    }

    #[test]
    fn a_resume_from_before_the_buffer_is_refused() {
        let mut sessions = store(3);
        let session = sessions.create(ShardId { id: 0, count: 1 }, intents::GUILD_MESSAGES);
        for _ in 0..5 {
            session.push("MESSAGE_CREATE", "{}");
        }
        assert_eq!(session.replay_after(1), Err(ReplayRefused::Evicted));
        assert_eq!(session.replay_after(2).unwrap().len(), 3);
    }

    #[test]
    fn dispatches_go_to_the_shard_of_the_guild_and_honour_message_content() {
        let mut sessions = store(100);
        let with_content = sessions
            .create(
                ShardId { id: 1, count: 2 },
                intents::GUILD_MESSAGES | intents::MESSAGE_CONTENT,
            )
            .id
            .clone();
        let without = sessions
            .create(ShardId { id: 1, count: 2 }, intents::GUILD_MESSAGES)
            .id
            .clone();
        let other_shard = sessions
            .create(ShardId { id: 0, count: 2 }, intents::GUILD_MESSAGES)
            .id
            .clone();
        let event = DispatchEvent {
            name: "MESSAGE_CREATE",
            guild_id: Some(ids::guild(1)),
            intent: intents::GUILD_MESSAGES,
            data: r#"{"content":"shipped"}"#,
            data_without_content: Some(r#"{"content":""}"#),
            delivery: Delivery::Now,
        };
        let now = Instant::now();
        assert_eq!(sessions.dispatch(&event, now), 2);
        let frame = |sessions: &mut SessionStore, id: &str| {
            sessions.live(id, now).unwrap().replay_after(0).unwrap()
        };
        assert!(
            frame(&mut sessions, &with_content)[0]
                .as_str()
                .contains("shipped")
        );
        assert!(
            frame(&mut sessions, &without)[0]
                .as_str()
                .contains(r#""content":"""#)
        );
        assert!(frame(&mut sessions, &other_shard).is_empty());
    }

    #[test]
    fn a_held_dispatch_is_numbered_and_buffered_as_one_sent_now_and_handed_over_to_hold() {
        let mut sessions = store(10);
        let session = sessions.create(ShardId { id: 0, count: 1 }, intents::GUILD_MESSAGES);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        session.attach(Attachment {
            connection_id: 7,
            tx,
        });
        session.push_as("MESSAGE_CREATE", "{}", Delivery::Now);
        session.push_as("MESSAGE_CREATE", "{}", Delivery::Held);
        let buffered = session.replay_after(0).unwrap();
        assert!(matches!(rx.try_recv(), Ok(ConnCommand::Dispatch(f)) if f == buffered[0]));
        assert!(matches!(rx.try_recv(), Ok(ConnCommand::Hold(f)) if f == buffered[1]));
        assert!(buffered[1].as_str().starts_with(r#"{"op":0,"s":2,"#));
    }

    #[test]
    fn a_detached_session_expires_after_its_ttl() {
        let mut sessions = store(10);
        let id = sessions.create(ShardId { id: 0, count: 1 }, 0).id.clone();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let now = Instant::now();
        sessions.live(&id, now).unwrap().attach(Attachment {
            connection_id: 7,
            tx,
        });
        sessions.live(&id, now).unwrap().detach(7, now);
        assert!(sessions.live(&id, now + Duration::from_secs(59)).is_some());
        assert!(sessions.live(&id, now + Duration::from_secs(60)).is_none());
    }
}
