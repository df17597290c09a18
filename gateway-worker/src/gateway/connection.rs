//! The connection state machine: one task per shard holds the WebSocket and walks it through
//! Discord's protocol, read top to bottom:
//!
//! [`run`]: connect, run the connection, learn from how it ended, back off, connect again,
//! until Discord closes with a fatal code or the shard is shut down.
//!
//! [`Connection::run`]: Hello, then IDENTIFY (after the identify queue) or RESUME, then READY or
//! RESUMED, then dispatches and heartbeats until the connection ends.
//!
//! Each transition carries the rule it follows (DESIGN.md, the gateway section). The decisions
//! themselves are functions of data in the other modules; this file does the I/O, in order.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::{Instant, Sleep, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use twilight_model::gateway::OpCode;
use twilight_model::gateway::payload::incoming::Hello;

use super::backoff::{Backoff, invalid_session_delay};
use super::close_code::{CloseAction, RESUMABLE_CLOSE, action_after_close};
use super::compression::Inflater;
use super::dispatch::{DispatchReader, UnreadableDispatch};
use super::envelope::{Envelope, ReadySession};
use super::heartbeat::{self, Due, Heartbeat};
use super::ratelimiter::{CommandRatelimiter, Sending};
use super::session::{Plan, Session};
use super::{
    Compression, FatalError, FatalErrorKind, ResumeState, SendError, ShardConfig, ShardEvent,
    ShardExit, ShardState, ShardStatus, command, url,
};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Turn<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// READY and GUILD_CREATE for big guilds run to many megabytes; tungstenite's default frame
/// limit (16 MiB) would drop the connection on them.
const MAX_MESSAGE_SIZE: usize = 64 << 20;
/// tungstenite zeroes up to this much of its read buffer before every read from the socket.
/// Its default (128 KiB) costs more than the few dispatches a read returns once the shard
/// keeps up with the stream; a big payload still arrives whole, over more reads.
const READ_BUFFER_SIZE: usize = 16 << 10;
/// How long our close handshake may take; a zombie never answers it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a payload may take to reach the socket before the connection counts as dead.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one shard until it is shut down or Discord refuses it for good.
pub async fn run<R: DispatchReader>(
    config: ShardConfig,
    reader: R,
    events: UnboundedSender<ShardEvent<R::Data>>,
    status: Arc<ShardStatus>,
    shutdown: CancellationToken,
) -> Result<ShardExit, FatalError> {
    let shard = config.shard;
    let fatal = |kind: FatalErrorKind| FatalError {
        shard,
        code: kind.close_code(),
        kind,
    };
    // Discord would close with 4010: an id at or past the count can never identify.
    if shard.number >= shard.total {
        status.set_state(ShardState::Stopped);
        return Err(fatal(FatalErrorKind::InvalidShard));
    }
    let mut session = Session::new(config.initial_session.clone());
    let mut backoff = Backoff::new(config.backoff);

    loop {
        let (url, resuming) = match session.plan(&config.gateway_url) {
            Plan::Resume { url, .. } => (url.to_owned(), true),
            Plan::Identify { url } => (url.to_owned(), false),
        };
        let outcome = Connection::open(&config, &reader, &events, &status, &mut session, &shutdown)
            .run(&url, resuming)
            .await;

        // A RESUME that never saw RESUMED is a failed resume; the third identifies afresh.
        if outcome.sent_resume && outcome.uptime.is_none() {
            session.resume_failed();
        }
        let mut wait_at_least = Duration::ZERO;
        let reason = match outcome.ending {
            Ending::Shutdown => {
                status.set_state(ShardState::Stopped);
                return Ok(ShardExit {
                    resume: session.into_current(),
                });
            }
            // Fatal close codes stop the shard: retrying fails the same way.
            Ending::Fatal(kind) => {
                status.set_state(ShardState::Stopped);
                let error = fatal(kind);
                tracing::error!(shard = %shard, "{error}");
                let _ = events.send(ShardEvent::Disconnected {
                    shard,
                    reason: error.to_string(),
                });
                return Err(error);
            }
            // "If the reconnect fails, open a new connection using the URL from Get Gateway Bot."
            Ending::Unreachable(reason) => {
                if resuming && url != config.gateway_url {
                    session.resume_url_unreachable();
                }
                reason
            }
            Ending::Resume(reason) => reason,
            // 4007, 4009: "reconnect and start a new session".
            Ending::NewSession(reason) => {
                session.invalidate();
                reason
            }
            // Op 9: wait 1 to 5 s; `d: true` resume, `d: false` identify afresh.
            Ending::InvalidSession { resumable } => {
                if !resumable {
                    session.invalidate();
                }
                wait_at_least = invalid_session_delay(heartbeat::jitter());
                format!("Discord invalidated the session (op 9, resumable: {resumable})")
            }
        };

        // Every reconnect backs off (more after a connection that did not stay up), so a down
        // Discord never sees a storm.
        let uptime = outcome.uptime.unwrap_or_default();
        let delay = backoff
            .next_delay(uptime, heartbeat::jitter())
            .max(wait_at_least);
        status.count_reconnect();
        status.set_state(ShardState::BackingOff);
        tracing::info!(shard = %shard, %reason, delay_ms = delay.as_millis() as u64, "reconnecting");
        let _ = events.send(ShardEvent::Disconnected { shard, reason });
        tokio::select! {
            () = shutdown.cancelled() => {
                status.set_state(ShardState::Stopped);
                return Ok(ShardExit { resume: session.into_current() });
            }
            () = sleep(delay) => {}
        }
    }
}

/// How one connection ended, which decides the next.
#[derive(Debug)]
enum Ending {
    /// No WebSocket could be opened; nothing was said to Discord.
    Unreachable(String),
    /// Reconnect and resume: op 7, a zombie, a network error, a reconnectable close code, a timeout.
    Resume(String),
    /// Reconnect and identify: the session is gone (4007, 4009).
    NewSession(String),
    /// Op 9, with its `d`.
    InvalidSession {
        resumable: bool,
    },
    Fatal(FatalErrorKind),
    /// Shut down, or nobody listens any more: closed with 4000, so the session stays resumable.
    Shutdown,
}

/// What a connection did, for the decisions after it.
struct Outcome {
    ending: Ending,
    /// How long it was up after READY or RESUMED; `None` if it never got there.
    uptime: Option<Duration>,
    sent_resume: bool,
}

/// Where a connection is in the handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for Hello (op 10).
    Hello,
    /// Heartbeating, waiting for the identify queue.
    Queued,
    /// IDENTIFY sent, waiting for READY.
    Identifying,
    /// RESUME sent, waiting for RESUMED while Discord replays what we missed.
    Resuming,
    Connected {
        since: Instant,
    },
}

/// What woke the connection up.
enum Wake {
    Shutdown,
    HeartbeatDue,
    Deadline,
    IdentifyTurn,
    Message(Option<Result<Message, tungstenite::Error>>),
}

/// One connection's state.
struct Connection<'a, R: DispatchReader> {
    config: &'a ShardConfig,
    reader: &'a R,
    events: &'a UnboundedSender<ShardEvent<R::Data>>,
    status: &'a ShardStatus,
    session: &'a mut Session,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    phase: Phase,
    heartbeat: Option<Heartbeat>,
    limiter: Option<CommandRatelimiter>,
    /// When the heartbeat is due, or sending is allowed again.
    beat_timer: Pin<Box<Sleep>>,
    /// The timeout of the current handshake phase.
    deadline: Pin<Box<Sleep>>,
    turn: Option<Turn<'a>>,
    sent_resume: bool,
}

impl<'a, R: DispatchReader> Connection<'a, R> {
    fn open(
        config: &'a ShardConfig,
        reader: &'a R,
        events: &'a UnboundedSender<ShardEvent<R::Data>>,
        status: &'a ShardStatus,
        session: &'a mut Session,
        shutdown: &'a CancellationToken,
    ) -> Self {
        let now = Instant::now();
        Self {
            config,
            reader,
            events,
            status,
            session,
            cancelled: Box::pin(shutdown.clone().cancelled_owned()),
            phase: Phase::Hello,
            heartbeat: None,
            limiter: None,
            beat_timer: Box::pin(sleep_until(now)),
            deadline: Box::pin(sleep_until(now + config.timeouts.hello)),
            turn: None,
            sent_resume: false,
        }
    }

    async fn run(mut self, url: &str, resuming: bool) -> Outcome {
        let ending = self.drive(url, resuming).await;
        let uptime = match self.phase {
            Phase::Connected { since } => Some(since.elapsed()),
            _ => None,
        };
        Outcome {
            ending,
            uptime,
            sent_resume: self.sent_resume,
        }
    }

    async fn drive(&mut self, url: &str, resuming: bool) -> Ending {
        let shard = self.config.shard;
        self.status.set_state(ShardState::Connecting);
        // Connect (TCP, TLS, WebSocket upgrade) within the connect timeout.
        let connected = tokio::select! {
            connected = connect(url, self.config) => connected,
            () = self.cancelled.as_mut() => return Ending::Shutdown,
        };
        let mut socket = match connected {
            Ok(socket) => socket,
            Err(reason) => return Ending::Unreachable(reason),
        };
        tracing::debug!(shard = %shard, url, "connected");
        // zlib-stream: one inflate context for the whole connection.
        let mut inflater = (self.config.compression == Compression::ZlibStream).then(Inflater::new);
        self.deadline
            .as_mut()
            .reset(Instant::now() + self.config.timeouts.hello);

        loop {
            let wake = {
                let Self {
                    cancelled,
                    heartbeat,
                    phase,
                    beat_timer,
                    deadline,
                    turn,
                    ..
                } = self;
                tokio::select! {
                    biased;
                    () = cancelled.as_mut() => Wake::Shutdown,
                    () = beat_timer.as_mut(), if heartbeat.is_some() => Wake::HeartbeatDue,
                    () = deadline.as_mut(), if phase.has_deadline() => Wake::Deadline,
                    () = async { turn.as_mut().expect("guarded by is_some").await }, if turn.is_some() => {
                        Wake::IdentifyTurn
                    }
                    message = socket.next() => Wake::Message(message),
                }
            };
            let step = match wake {
                // Shutdown: close with 4000, not 1000, so the stored session can be resumed.
                Wake::Shutdown => Err(Ending::Shutdown),
                Wake::HeartbeatDue => self.heartbeat_due(&mut socket).await,
                Wake::Deadline => Err(Ending::Resume(format!(
                    "no {} in time",
                    self.phase.awaiting()
                ))),
                Wake::IdentifyTurn => self.identify(&mut socket).await,
                // tungstenite has checked that a text message is UTF-8.
                Wake::Message(Some(Ok(Message::Text(text)))) => {
                    self.on_payload(&mut socket, resuming, text.as_str()).await
                }
                Wake::Message(Some(Ok(Message::Binary(bytes)))) => match &mut inflater {
                    Some(inflater) => match inflater.inflate(&bytes) {
                        Ok(Some(json)) => match utf8(json) {
                            Ok(json) => self.on_payload(&mut socket, resuming, json).await,
                            Err(ending) => Err(ending),
                        },
                        // The payload continues in the next message.
                        Ok(None) => Ok(()),
                        Err(error) => Err(Ending::Resume(error.to_string())),
                    },
                    None => match utf8(&bytes) {
                        Ok(json) => self.on_payload(&mut socket, resuming, json).await,
                        Err(ending) => Err(ending),
                    },
                },
                // Discord closed: its close code decides (resume, new session, or stop).
                Wake::Message(Some(Ok(Message::Close(frame)))) => {
                    let code = frame.map(|frame| u16::from(frame.code));
                    let reason = match code {
                        Some(code) => format!("Discord closed the connection with {code}"),
                        None => "Discord closed the connection without a code".to_owned(),
                    };
                    finish_close(&mut socket).await;
                    return match action_after_close(code) {
                        CloseAction::Resume => Ending::Resume(reason),
                        CloseAction::NewSession => Ending::NewSession(reason),
                        CloseAction::Fatal(kind) => Ending::Fatal(kind),
                    };
                }
                // Pings are answered by tungstenite.
                Wake::Message(Some(Ok(_))) => Ok(()),
                // A network error or a dropped TCP connection: no close code, so resume.
                Wake::Message(Some(Err(error))) => {
                    return Ending::Resume(format!("connection failed: {error}"));
                }
                Wake::Message(None) => {
                    return Ending::Resume("connection dropped without a close frame".into());
                }
            };
            if let Err(ending) = step {
                // We end it: close with 4000, never 1000 or 1001, which would end the session.
                close(&mut socket, RESUMABLE_CLOSE).await;
                return ending;
            }
        }
    }

    /// One payload from Discord, by opcode.
    async fn on_payload(
        &mut self,
        socket: &mut Socket,
        resuming: bool,
        json: &str,
    ) -> Result<(), Ending> {
        let shard = self.config.shard;
        // A payload we cannot read means a broken stream; Discord replays from our sequence.
        let envelope = Envelope::parse(json, self.reader)
            .map_err(|error| Ending::Resume(format!("unreadable payload: {error}")))?;
        let Some(op) = OpCode::from(envelope.op) else {
            tracing::debug!(shard = %shard, op = envelope.op, "ignoring an unknown opcode");
            return Ok(());
        };
        match op {
            OpCode::Dispatch => self.on_dispatch(envelope),
            // Hello: start heartbeating (the first beat jittered), then resume or queue to identify.
            OpCode::Hello if self.phase == Phase::Hello => {
                let hello: Hello = envelope
                    .data()
                    .map_err(|error| Ending::Resume(format!("unreadable Hello: {error}")))?;
                let interval = Duration::from_millis(hello.heartbeat_interval);
                let now = Instant::now();
                let heartbeat = Heartbeat::new(interval, heartbeat::jitter(), now);
                self.beat_timer.as_mut().reset(heartbeat.next_beat());
                self.heartbeat = Some(heartbeat);
                self.limiter = Some(CommandRatelimiter::new(interval));
                self.status.set_heartbeat_interval(interval);
                if resuming {
                    self.resume(socket).await
                } else {
                    // Identifies go through the shared queue (max_concurrency per 5 s, daily budget);
                    // heartbeats go on while we wait.
                    self.phase = Phase::Queued;
                    self.status.set_state(ShardState::Identifying);
                    let config: &'a ShardConfig = self.config;
                    self.turn = Some(config.identify_queue.wait_turn(shard));
                    Ok(())
                }
            }
            // Op 1: Discord wants a heartbeat now, without waiting for the rest of the interval.
            OpCode::Heartbeat => match &mut self.heartbeat {
                Some(heartbeat) => {
                    heartbeat.request();
                    self.heartbeat_due(socket).await
                }
                None => Ok(()),
            },
            OpCode::HeartbeatAck => {
                if let Some(latency) = self
                    .heartbeat
                    .as_mut()
                    .and_then(|h| h.acknowledged(Instant::now()))
                {
                    self.status.record_ack(latency);
                }
                Ok(())
            }
            // Op 7: close, reconnect, resume.
            OpCode::Reconnect => Err(Ending::Resume("Discord asked to reconnect (op 7)".into())),
            // Op 9: the session is invalid; `d` says whether it can still be resumed.
            OpCode::InvalidSession => {
                let resumable = envelope
                    .data::<Option<bool>>()
                    .ok()
                    .flatten()
                    .unwrap_or(false);
                Err(Ending::InvalidSession { resumable })
            }
            _ => Ok(()),
        }
    }

    /// Op 0: READY and RESUMED move the state machine; every other dispatch goes to the consumer.
    fn on_dispatch(&mut self, envelope: Envelope<'_, R::Data>) -> Result<(), Ending> {
        let shard = self.config.shard;
        if let Some(sequence) = envelope.s {
            self.session.set_sequence(sequence);
        }
        let event_type = envelope.t.as_deref().unwrap_or_default();
        match event_type {
            // READY: a new session; keep its id and resume URL for every later resume.
            "READY" => {
                let ready: ReadySession = envelope
                    .data()
                    .map_err(|error| Ending::Resume(format!("unreadable READY: {error}")))?;
                let session = ResumeState {
                    session_id: ready.session_id,
                    resume_gateway_url: ready.resume_gateway_url,
                    sequence: envelope.s.unwrap_or_default(),
                };
                self.session.started(session.clone());
                self.connected();
                tracing::info!(shard = %shard, "ready: new session");
                self.emit(ShardEvent::Ready { shard, session })
            }
            // RESUMED: the replay is over; what follows is new.
            "RESUMED" => {
                self.session.resumed();
                self.status.count_resume();
                self.connected();
                tracing::info!(shard = %shard, "resumed");
                self.emit(ShardEvent::Resumed { shard })
            }
            _ => {
                let (Some(sequence), Some(data)) = (envelope.s, envelope.dispatch) else {
                    return Ok(());
                };
                // A long replay is progress, not a stuck resume.
                if self.phase == Phase::Resuming {
                    self.deadline
                        .as_mut()
                        .reset(Instant::now() + self.config.timeouts.ready);
                }
                self.status.count_dispatch();
                self.emit(ShardEvent::Dispatch {
                    shard,
                    sequence,
                    data: data.map_err(|error| UnreadableDispatch {
                        event_type: event_type.to_owned(),
                        error,
                    }),
                })
            }
        }
    }

    fn connected(&mut self) {
        self.phase = Phase::Connected {
            since: Instant::now(),
        };
        self.status.set_state(ShardState::Connected);
    }

    /// The consumer gone means nothing can be delivered any more: stop, resumably.
    fn emit(&self, event: ShardEvent<R::Data>) -> Result<(), Ending> {
        self.events.send(event).map_err(|_| Ending::Shutdown)
    }

    /// The heartbeat timer fired or Discord asked for a beat: beat, or close a zombie.
    async fn heartbeat_due(&mut self, socket: &mut Socket) -> Result<(), Ending> {
        let (Some(heartbeat), Some(limiter)) = (&mut self.heartbeat, &mut self.limiter) else {
            return Ok(());
        };
        let sending = match heartbeat.due() {
            Due::Scheduled => Sending::ScheduledHeartbeat,
            Due::Requested => Sending::Other,
            // No ACK since the last beat: a zombie. Close with 4000 and resume.
            Due::Zombie => {
                return Err(Ending::Resume(
                    "zombie connection: no heartbeat ACK since the last beat".into(),
                ));
            }
        };
        let now = Instant::now();
        // At most 120 sends per 60 s, with room kept for the scheduled beats: an op 1 over the
        // limit is declined (the scheduled beat still goes), a scheduled beat waits for room.
        let allowed_at = limiter.available_at(sending, now);
        if allowed_at > now {
            let retry_at = match sending {
                Sending::Other => {
                    heartbeat.decline_request();
                    heartbeat.next_beat()
                }
                Sending::ScheduledHeartbeat => allowed_at,
            };
            self.beat_timer.as_mut().reset(retry_at);
            return Ok(());
        }
        // Each heartbeat carries the last sequence number, or null before the first dispatch.
        let payload =
            command::heartbeat(self.session.current().map(|s| s.sequence)).map_err(send_failed)?;
        send(socket, payload).await.map_err(send_failed)?;
        limiter.record(now);
        heartbeat.sent(now);
        self.beat_timer.as_mut().reset(heartbeat.next_beat());
        Ok(())
    }

    /// Our turn in the identify queue: IDENTIFY, then wait for READY.
    async fn identify(&mut self, socket: &mut Socket) -> Result<(), Ending> {
        self.turn = None;
        let config = self.config;
        let payload =
            command::identify(&config.token, config.shard, config.intents).map_err(send_failed)?;
        self.send_command(socket, payload).await?;
        self.status.count_identify();
        self.phase = Phase::Identifying;
        self.deadline
            .as_mut()
            .reset(Instant::now() + config.timeouts.ready);
        tracing::info!(shard = %config.shard, "identifying");
        Ok(())
    }

    /// RESUME with the session id and last sequence; Discord replays, then RESUMED.
    async fn resume(&mut self, socket: &mut Socket) -> Result<(), Ending> {
        let config = self.config;
        let Some(session) = self.session.current() else {
            return Err(Ending::NewSession("no session to resume".into()));
        };
        let payload = command::resume(&config.token, session).map_err(send_failed)?;
        tracing::info!(shard = %config.shard, sequence = session.sequence, "resuming");
        self.send_command(socket, payload).await?;
        self.sent_resume = true;
        self.phase = Phase::Resuming;
        self.status.set_state(ShardState::Resuming);
        self.deadline
            .as_mut()
            .reset(Instant::now() + config.timeouts.ready);
        Ok(())
    }

    /// A command other than a heartbeat, within the send limit's non-reserved share (with one
    /// IDENTIFY or RESUME per connection, the share is never used up and this never waits).
    async fn send_command(&mut self, socket: &mut Socket, payload: String) -> Result<(), Ending> {
        let limiter = self
            .limiter
            .as_mut()
            .expect("commands are sent after Hello");
        let allowed_at = limiter.available_at(Sending::Other, Instant::now());
        sleep_until(allowed_at).await;
        send(socket, payload).await.map_err(send_failed)?;
        limiter.record(Instant::now());
        Ok(())
    }
}

impl Phase {
    /// Hello, READY and RESUMED each have a timeout; the identify queue may take as long as it takes.
    fn has_deadline(self) -> bool {
        matches!(self, Self::Hello | Self::Identifying | Self::Resuming)
    }

    fn awaiting(self) -> &'static str {
        match self {
            Self::Hello => "Hello",
            Self::Identifying => "READY",
            Self::Resuming => "RESUMED",
            Self::Queued | Self::Connected { .. } => "payload",
        }
    }
}

/// Opens the WebSocket within the connect timeout, with limits large enough for big payloads.
async fn connect(url: &str, config: &ShardConfig) -> Result<Socket, String> {
    let url = url::connect_url(url, config.compression);
    let websocket = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_SIZE)
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE));
    let connecting =
        tokio_tungstenite::connect_async_tls_with_config(url.as_str(), Some(websocket), true, None);
    match timeout(config.timeouts.connect, connecting).await {
        Ok(Ok((socket, _response))) => Ok(socket),
        Ok(Err(error)) => Err(format!("could not connect to the gateway: {error}")),
        Err(_) => Err(format!(
            "could not connect to the gateway within {:?}",
            config.timeouts.connect
        )),
    }
}

async fn send(socket: &mut Socket, payload: String) -> Result<(), SendError> {
    match timeout(SEND_TIMEOUT, socket.send(Message::text(payload))).await {
        Ok(sent) => Ok(sent?),
        Err(_) => Err(SendError::Timeout(SEND_TIMEOUT)),
    }
}

/// A binary payload as text: gateway JSON is UTF-8, and anything else is a broken stream.
fn utf8(json: &[u8]) -> Result<&str, Ending> {
    std::str::from_utf8(json)
        .map_err(|error| Ending::Resume(format!("unreadable payload: {error}")))
}

fn send_failed(error: SendError) -> Ending {
    match error {
        SendError::InvalidShard(_) => Ending::Fatal(FatalErrorKind::InvalidShard),
        error => Ending::Resume(error.to_string()),
    }
}

/// Closes with `code` and waits briefly for Discord's side of the handshake.
async fn close(socket: &mut Socket, code: u16) {
    let frame = CloseFrame {
        code: code.into(),
        reason: "".into(),
    };
    if let Ok(Ok(())) = timeout(CLOSE_TIMEOUT, socket.close(Some(frame))).await {
        finish_close(socket).await;
    }
}

/// Reads until the socket ends, which sends tungstenite's answer to a close frame.
async fn finish_close(socket: &mut Socket) {
    let _ = timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
}
