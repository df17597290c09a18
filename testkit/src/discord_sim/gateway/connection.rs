//! One gateway connection, from Hello to close: reads the client's payloads under Discord's
//! limits, answers heartbeats, runs the handshake, writes its session's dispatches (a prepared
//! burst's encoded at once and written on release, through the `outbox`), and acts out the
//! faults a test scripts. When it ends, its session is detached (still resumable) or ended, by
//! the close code, as Discord does.
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::{Instant, sleep_until};

use super::compression::ZlibStream;
use super::handshake::{self, Caller, Handshake};
use super::heartbeat::HeartbeatDeadline;
use super::outbox::Outbox;
use super::protocol::{ClientCommand, CloseCode, decode, op};
use super::registry::{ConnCommand, ConnEntry, Frame};
use super::send_limit::{MAX_PAYLOAD_BYTES, SendLimit};
use crate::discord_sim::ids;
use crate::discord_sim::records::{CloseRecord, Closer, Endpoint, HeartbeatRecord, ShardId};
use crate::discord_sim::state::Sim;

/// Dispatches written before one flush, so a burst costs one syscall rather than hundreds.
const BATCH: usize = 256;
/// Released payloads written before one flush; the client's payloads are read between batches.
const RELEASE_BATCH: usize = 1024;

pub(crate) struct ConnectionParams {
    pub id: u64,
    pub endpoint: Endpoint,
    pub compressed: bool,
    pub version_ok: bool,
}

/// How a connection ended.
enum Exit {
    /// The client sent a close frame (with this code, if any).
    ClientClosed(Option<u16>, String),
    /// The client's side went away without a close frame.
    Vanished,
    /// The sim sent a close frame.
    SimClosed(u16, String),
    /// The sim ended the TCP connection without a close frame (scripted, restart, shutdown).
    Dropped,
}

struct Connection {
    sim: Arc<Sim>,
    id: u64,
    endpoint: Endpoint,
    socket: WebSocket,
    tx: UnboundedSender<ConnCommand>,
    zlib: Option<ZlibStream>,
    /// Encoded payloads waiting for a prepared burst's release, or behind one.
    outbox: Outbox<Message>,
    /// Sends nothing at all while set: a half-open connection, as far as the client can tell.
    zombie: bool,
    /// The session and shard once identified or resumed.
    session: Option<(String, ShardId)>,
}

pub(crate) async fn run(sim: Arc<Sim>, socket: WebSocket, params: ConnectionParams) {
    let (tx, rx) = unbounded_channel();
    sim.update(|s| {
        let entry = ConnEntry {
            tx: tx.clone(),
            endpoint: params.endpoint,
            compressed: params.compressed,
            shard: None,
            session_id: None,
        };
        s.gateway.connections.insert(params.id, entry);
    });
    let mut connection = Connection {
        sim,
        id: params.id,
        endpoint: params.endpoint,
        socket,
        tx,
        zlib: params.compressed.then(ZlibStream::default),
        outbox: Outbox::default(),
        zombie: false,
        session: None,
    };
    let exit = if params.version_ok {
        connection.serve(rx).await
    } else {
        connection
            .close(
                CloseCode::InvalidApiVersion.code(),
                CloseCode::InvalidApiVersion.reason(),
            )
            .await
    };
    if matches!(exit, Exit::ClientClosed(..)) {
        // Completes the closing handshake: the client's close frame is answered with ours.
        let _ = connection.socket.close().await;
    }
    connection.finish(exit);
}

impl Connection {
    async fn serve(&mut self, mut rx: UnboundedReceiver<ConnCommand>) -> Exit {
        let config = &self.sim.config;
        let hello = json!({"op": op::HELLO, "d": {"heartbeat_interval": config.heartbeat_interval.as_millis(), "_trace": ["[\"shiptrack-discord-sim\"]"]}, "s": null, "t": null});
        let mut heartbeat = HeartbeatDeadline::new(
            config.heartbeat_interval,
            config.heartbeat_grace,
            Instant::now(),
        );
        if let Err(exit) = self.send(&hello.to_string()).await {
            return exit;
        }
        let mut limit = SendLimit::default();
        let mut shutdown = self.sim.shutdown.subscribe();
        loop {
            let step = tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    None | Some(Err(_)) => Err(Exit::Vanished),
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame.map_or((None, String::new()), |f| (Some(f.code), f.reason.to_string()));
                        Err(Exit::ClientClosed(code, reason))
                    }
                    Some(Ok(Message::Text(text))) => self.receive(text.as_bytes(), &mut heartbeat, &mut limit).await,
                    Some(Ok(Message::Binary(bytes))) => self.receive(&bytes, &mut heartbeat, &mut limit).await,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
                },
                command = rx.recv() => match command {
                    Some(command) => self.commands(command, &mut rx).await,
                    None => Err(Exit::Dropped),
                },
                // A zombie writes nothing; what it encoded before waits, so the zlib stream stays whole.
                () = std::future::ready(()), if self.outbox.ready() && !self.zombie => self.write_released().await,
                () = sleep_until(heartbeat.deadline()) => {
                    // Discord: "If your app fails to send a heartbeat event in time, your connection will be
                    // closed and you will be forced to Resume" — so a code that keeps the session.
                    Err(self.close(CloseCode::UnknownError.code(), "Heartbeat timed out.").await)
                }
                _ = shutdown.changed() => Err(Exit::Dropped),
            };
            if let Err(exit) = step {
                return exit;
            }
        }
    }

    /// One payload from the client.
    async fn receive(
        &mut self,
        bytes: &[u8],
        heartbeat: &mut HeartbeatDeadline,
        limit: &mut SendLimit,
    ) -> Result<(), Exit> {
        let now = Instant::now();
        if bytes.len() > MAX_PAYLOAD_BYTES {
            return Err(self
                .close(CloseCode::DecodeError.code(), "Payload too large.")
                .await);
        }
        if !limit.allow(now) {
            return Err(self
                .close(
                    CloseCode::RateLimited.code(),
                    CloseCode::RateLimited.reason(),
                )
                .await);
        }
        let command = match decode(bytes) {
            Ok(command) => command,
            Err(error) => {
                let code = error.close_code();
                return Err(self.close(code.code(), code.reason()).await);
            }
        };
        match command {
            ClientCommand::Heartbeat(seq) => {
                heartbeat.beat(now);
                let acked = !self.zombie;
                let shard = self.session.as_ref().map(|(_, shard)| *shard);
                let record = HeartbeatRecord {
                    connection_id: self.id,
                    shard,
                    seq,
                    acked,
                    at_ms: ids::now_ms(),
                };
                self.sim.update(|s| s.records.heartbeats.push(record));
                if acked {
                    self.send(
                        &json!({"op": op::HEARTBEAT_ACK, "d": null, "s": null, "t": null})
                            .to_string(),
                    )
                    .await?;
                }
                Ok(())
            }
            ClientCommand::Identify(identify) => {
                let caller = self.caller();
                let sim = Arc::clone(&self.sim);
                let outcome = sim.update(|s| {
                    handshake::identify(s, &sim.config, &sim.urls, &caller, &identify, now)
                });
                self.after_handshake(outcome).await
            }
            ClientCommand::Resume(resume) => {
                let caller = self.caller();
                let sim = Arc::clone(&self.sim);
                let outcome =
                    sim.update(|s| handshake::resume(s, &sim.config, &caller, &resume, now));
                self.after_handshake(outcome).await
            }
            ClientCommand::Other(_) if self.session.is_none() => Err(self
                .close(
                    CloseCode::NotAuthenticated.code(),
                    CloseCode::NotAuthenticated.reason(),
                )
                .await),
            ClientCommand::Other(_) => Ok(()),
        }
    }

    fn caller(&self) -> Caller<'_> {
        Caller {
            connection_id: self.id,
            tx: &self.tx,
            endpoint: self.endpoint,
            identified: self.session.is_some(),
        }
    }

    async fn after_handshake(&mut self, outcome: Handshake) -> Result<(), Exit> {
        match outcome {
            Handshake::Started {
                session_id,
                shard,
                replay,
            } => {
                self.session = Some((session_id, shard));
                self.write_frames(&replay).await
            }
            Handshake::InvalidSession => self.send(&invalid_session(false)).await,
            Handshake::Close(code) => Err(self.close(code.code(), code.reason()).await),
        }
    }

    /// Acts on one command, then on whatever else is already queued, and flushes once.
    async fn commands(
        &mut self,
        first: ConnCommand,
        rx: &mut UnboundedReceiver<ConnCommand>,
    ) -> Result<(), Exit> {
        self.command(first).await?;
        for _ in 0..BATCH {
            match rx.try_recv() {
                Ok(next) => self.command(next).await?,
                Err(_) => break,
            }
        }
        self.socket.flush().await.map_err(|_| Exit::Vanished)
    }

    async fn command(&mut self, command: ConnCommand) -> Result<(), Exit> {
        match command {
            ConnCommand::Dispatch(frame) => self.feed(frame).await,
            ConnCommand::Hold(frame) => self.hold(frame),
            ConnCommand::Acknowledge(done) => {
                // The burst's preparer may have stopped waiting; nothing depends on the answer.
                let _ = done.send(());
                Ok(())
            }
            ConnCommand::Release => {
                self.outbox.release();
                Ok(())
            }
            ConnCommand::Reconnect => {
                self.feed_text(
                    &json!({"op": op::RECONNECT, "d": null, "s": null, "t": null}).to_string(),
                )
                .await
            }
            ConnCommand::InvalidSession(resumable) => {
                // The connection may identify or resume again, as after any op 9.
                self.session = None;
                self.feed_text(&invalid_session(resumable)).await
            }
            ConnCommand::RequestHeartbeat => {
                self.feed_text(
                    &json!({"op": op::HEARTBEAT, "d": null, "s": null, "t": null}).to_string(),
                )
                .await
            }
            ConnCommand::Zombie(on) => {
                self.zombie = on;
                Ok(())
            }
            ConnCommand::DropTcp => Err(Exit::Dropped),
            ConnCommand::Close(code, reason) => Err(self.close(code, &reason).await),
        }
    }

    async fn write_frames(&mut self, frames: &[Frame]) -> Result<(), Exit> {
        for frame in frames {
            self.feed(frame.clone()).await?;
        }
        self.socket.flush().await.map_err(|_| Exit::Vanished)
    }

    async fn send(&mut self, text: &str) -> Result<(), Exit> {
        self.feed_text(text).await?;
        self.socket.flush().await.map_err(|_| Exit::Vanished)
    }

    async fn feed_text(&mut self, text: &str) -> Result<(), Exit> {
        self.feed(Utf8Bytes::from(text)).await
    }

    /// Queues one payload on the socket, or behind a held burst (see `outbox`).
    async fn feed(&mut self, frame: Frame) -> Result<(), Exit> {
        if self.zombie {
            return Ok(());
        }
        let message = self.encode(frame)?;
        match self.outbox.pass(message) {
            Some(message) => self.socket.feed(message).await.map_err(|_| Exit::Vanished),
            None => Ok(()),
        }
    }

    /// Encodes one dispatch of a prepared burst now and holds it until the release.
    fn hold(&mut self, frame: Frame) -> Result<(), Exit> {
        if self.zombie {
            return Ok(());
        }
        let message = self.encode(frame)?;
        self.outbox.hold(message);
        Ok(())
    }

    /// One payload as it goes on the wire: compressed into the connection's zlib stream if
    /// asked, which makes the order of encoding the order the client must read them in.
    fn encode(&mut self, frame: Frame) -> Result<Message, Exit> {
        match &mut self.zlib {
            Some(zlib) => match zlib.compress(frame.as_bytes()) {
                Ok(bytes) => Ok(Message::Binary(bytes.into())),
                Err(error) => {
                    tracing::error!(connection = self.id, %error, "dropping the connection");
                    Err(Exit::Dropped)
                }
            },
            None => Ok(Message::Text(frame)),
        }
    }

    /// Writes the next batch of released payloads, flushing once.
    async fn write_released(&mut self) -> Result<(), Exit> {
        for message in self.outbox.take(RELEASE_BATCH) {
            self.socket
                .feed(message)
                .await
                .map_err(|_| Exit::Vanished)?;
        }
        self.socket.flush().await.map_err(|_| Exit::Vanished)
    }

    /// Closes at once: what the outbox still holds is not written (the session keeps it for a
    /// resume), and a close frame is not compressed, so the zlib stream is not disturbed.
    async fn close(&mut self, code: u16, reason: &str) -> Exit {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(reason),
        };
        // The client may already be gone; the close is recorded either way.
        let _ = self.socket.send(Message::Close(Some(frame))).await;
        Exit::SimClosed(code, reason.to_owned())
    }

    /// Leaves the registry; the session ends or waits for a resume, by the close code.
    fn finish(self, exit: Exit) {
        let (by, code, reason) = match exit {
            Exit::ClientClosed(code, reason) => (Closer::Client, code, reason),
            Exit::Vanished => (
                Closer::Client,
                None,
                "connection ended without a close frame".to_owned(),
            ),
            Exit::SimClosed(code, reason) => (Closer::Sim, Some(code), reason),
            Exit::Dropped => (Closer::Sim, None, "TCP connection dropped".to_owned()),
        };
        let now = Instant::now();
        let shard = self.session.as_ref().map(|(_, shard)| *shard);
        self.sim.update(|s| {
            s.gateway.connections.remove(self.id);
            if let Some((session_id, _)) = &self.session {
                if code.is_some_and(CloseCode::ends_session) {
                    s.gateway.sessions.remove(session_id);
                } else if let Some(session) = s.gateway.sessions.live(session_id, now) {
                    session.detach(self.id, now);
                }
            }
            s.records.closes.push(CloseRecord {
                connection_id: self.id,
                shard,
                by,
                code,
                reason,
                at_ms: ids::now_ms(),
            });
        });
    }
}

fn invalid_session(resumable: bool) -> String {
    json!({"op": op::INVALID_SESSION, "d": resumable, "s": null, "t": null}).to_string()
}
