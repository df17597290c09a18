//! The open gateway connections, and the commands the rest of the simulator sends them (a
//! dispatch to write, or a scripted fault to act out).
use std::collections::HashMap;

use axum::extract::ws::Utf8Bytes;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use crate::discord_sim::records::{Endpoint, ShardId};

/// One serialized gateway payload, shared between a session's replay buffer and the socket.
pub(crate) type Frame = Utf8Bytes;

#[derive(Debug)]
pub(crate) enum ConnCommand {
    /// Write this dispatch (READY, GUILD_CREATE, MESSAGE_CREATE, RESUMED…).
    Dispatch(Frame),
    /// Encode this dispatch of a prepared burst now, write it on `Release` (see `outbox`).
    Hold(Frame),
    /// Answer once every command before this one was acted on: the burst so far is encoded.
    Acknowledge(oneshot::Sender<()>),
    /// Write what is held, and what queued behind it, in order.
    Release,
    /// Send op 7 Reconnect.
    Reconnect,
    /// Send op 9 Invalid Session with this `d`.
    InvalidSession(bool),
    /// Send op 1: ask for a heartbeat now.
    RequestHeartbeat,
    /// Stop (or resume) sending anything at all: no ACKs, no dispatches.
    Zombie(bool),
    /// End the TCP connection without a close frame.
    DropTcp,
    /// Close with this code and reason.
    Close(u16, String),
}

pub(crate) struct ConnEntry {
    pub tx: UnboundedSender<ConnCommand>,
    pub endpoint: Endpoint,
    pub compressed: bool,
    pub shard: Option<ShardId>,
    pub session_id: Option<String>,
}

/// An open connection, as `SimControl::live_connections` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiveConnection {
    pub id: u64,
    pub endpoint: Endpoint,
    pub compressed: bool,
    /// Set once the connection identified or resumed.
    pub shard: Option<ShardId>,
    pub session_id: Option<String>,
}

#[derive(Default)]
pub(crate) struct Registry {
    connections: HashMap<u64, ConnEntry>,
}

impl Registry {
    pub fn insert(&mut self, id: u64, entry: ConnEntry) {
        self.connections.insert(id, entry);
    }

    pub fn remove(&mut self, id: u64) {
        self.connections.remove(&id);
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut ConnEntry> {
        self.connections.get_mut(&id)
    }

    /// Sends a command to every connection serving `shard_id`; how many there were.
    pub fn send_to_shard(&self, shard_id: u32, command: impl Fn() -> ConnCommand) -> usize {
        self.on_shard(shard_id)
            .filter(|(_, entry)| entry.tx.send(command()).is_ok())
            .count()
    }

    pub fn on_shard(&self, shard_id: u32) -> impl Iterator<Item = (u64, &ConnEntry)> {
        self.connections
            .iter()
            .filter(move |(_, e)| e.shard.is_some_and(|s| s.id == shard_id))
            .map(|(id, e)| (*id, e))
    }

    /// Every open connection's command channel.
    pub fn senders(&self) -> impl Iterator<Item = (u64, &UnboundedSender<ConnCommand>)> {
        self.connections.iter().map(|(id, e)| (*id, &e.tx))
    }

    pub fn send_to_all(&self, command: impl Fn() -> ConnCommand) {
        for entry in self.connections.values() {
            // A connection whose task already ended has nothing left to close.
            let _ = entry.tx.send(command());
        }
    }

    pub fn live(&self) -> Vec<LiveConnection> {
        let mut live: Vec<LiveConnection> = self
            .connections
            .iter()
            .map(|(id, e)| LiveConnection {
                id: *id,
                endpoint: e.endpoint,
                compressed: e.compressed,
                shard: e.shard,
                session_id: e.session_id.clone(),
            })
            .collect();
        live.sort_by_key(|c| c.id);
        live
    }
}
