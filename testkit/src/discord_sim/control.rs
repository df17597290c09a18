//! `SimControl`: driving the simulator from a test in the same process. The community acts
//! (messages), the test reads back what the bot did (records), scripts faults (gateway and REST),
//! sends signed interactions, and waits for conditions instead of sleeping. The HTTP control API
//! (`control_http`) mirrors it for scripts and other processes.
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::burst::{self, PreparedBurst};
use super::community::{self, Stream, StreamMix, StreamSummary};
use super::config::SessionStartLimit;
use super::error::SimError;
use super::gateway::protocol::CloseCode;
use super::gateway::registry::{ConnCommand, LiveConnection};
use super::gateway::sessions::Delivery;
use super::interactions::{
    EndpointCheck, Interaction, InteractionKind, InteractionReply, InteractionSpec, SignatureFault,
    builders, delivery,
};
use super::records::{
    CloseRecord, Closer, CommandRegistration, ConnectionRecord, HeartbeatRecord, IdentifyOutcome,
    IdentifyRecord, InteractionRecord, PostedMessage, ReactionRecord, RestCall, ResumeRecord,
    WebhookCall, WebhookTarget,
};
use super::rest::faults::RestFault;
use super::state::Sim;

/// A handle on a running simulator; cheap to clone, usable from any task.
#[derive(Clone)]
pub struct SimControl {
    pub(crate) sim: Arc<Sim>,
}

impl SimControl {
    // ----- the community -----

    /// `author_id` posts `content` in `channel_id`: MESSAGE_CREATE to every session of the
    /// guild's shard. Returns the new message's id.
    pub fn post_message(
        &self,
        channel_id: u64,
        author_id: u64,
        content: &str,
    ) -> Result<u64, SimError> {
        self.sim.update(|s| {
            community::post_message(
                s,
                channel_id,
                author_id,
                content,
                Delivery::Now,
                Instant::now(),
            )
        })
    }

    /// MESSAGE_UPDATE with the new content and `edited_timestamp`.
    pub fn edit_message(&self, message_id: u64, content: &str) -> Result<(), SimError> {
        self.sim
            .update(|s| community::edit_message(s, message_id, content, Instant::now()))
    }

    /// MESSAGE_DELETE.
    pub fn delete_message(&self, message_id: u64) -> Result<(), SimError> {
        self.sim
            .update(|s| community::delete_message(s, message_id, Instant::now()))
    }

    /// `count` MESSAGE_CREATE events into `channel_id` as fast as the sim can make them, in the
    /// given mix. Takes the lock in chunks so the bot's REST calls are served meanwhile.
    pub fn stream_messages(
        &self,
        channel_id: u64,
        count: u64,
        mix: StreamMix,
    ) -> Result<StreamSummary, SimError> {
        let mut stream = self
            .sim
            .read(|s| Stream::new(&s.world, channel_id, mix, Delivery::Now));
        let mut posted = 0;
        while posted < count {
            let end = (posted + community::STREAM_CHUNK).min(count);
            self.sim.update(|s| {
                let now = Instant::now();
                (posted..end).try_for_each(|_| stream.post_next(s, now))
            })?;
            posted = end;
        }
        Ok(stream.summary)
    }

    /// The messages `stream_messages` would send, prepared instead: posted (the same contents,
    /// authors, world and session buffers, so a resume replays them) and encoded by every open
    /// connection, compressed if it uses zlib-stream, but written only when the returned burst
    /// is released (or dropped). Returns once every connection has encoded all of it, so a
    /// benchmark can time the delivery alone. Until the release a connection writes nothing
    /// else either, heartbeat ACKs included (they queue behind the burst), so release it well
    /// within a heartbeat interval.
    pub async fn prepare_messages(
        &self,
        channel_id: u64,
        count: u64,
        mix: StreamMix,
    ) -> Result<PreparedBurst, SimError> {
        burst::prepare(&self.sim, channel_id, count, mix).await
    }

    // ----- what the bot did -----

    pub fn reactions(&self) -> Vec<ReactionRecord> {
        self.sim.read(|s| s.records.reactions.clone())
    }

    /// Messages the bot created in `channel_id` (deduplicated `enforce_nonce` retries not repeated).
    pub fn posted_messages(&self, channel_id: u64) -> Vec<PostedMessage> {
        self.sim.read(|s| {
            s.records
                .posted_messages
                .iter()
                .filter(|m| m.channel_id == channel_id)
                .cloned()
                .collect()
        })
    }

    pub fn all_posted_messages(&self) -> Vec<PostedMessage> {
        self.sim.read(|s| s.records.posted_messages.clone())
    }

    /// `PATCH` calls on interaction webhooks (`@original` and follow-up edits).
    pub fn webhook_edits(&self) -> Vec<WebhookCall> {
        self.sim.read(|s| {
            s.records
                .webhook_calls
                .iter()
                .filter(|c| c.target != WebhookTarget::FollowUp)
                .cloned()
                .collect()
        })
    }

    /// Follow-up messages (`POST /webhooks/{app}/{token}`).
    pub fn webhook_posts(&self) -> Vec<WebhookCall> {
        self.sim.read(|s| {
            s.records
                .webhook_calls
                .iter()
                .filter(|c| c.target == WebhookTarget::FollowUp)
                .cloned()
                .collect()
        })
    }

    /// Every Identify, whatever came of it.
    pub fn identifies(&self) -> Vec<IdentifyRecord> {
        self.sim.read(|s| s.records.identifies.clone())
    }

    /// Identifies answered with READY: the sessions started.
    pub fn ready_identifies(&self) -> Vec<IdentifyRecord> {
        self.sim.read(|s| {
            s.records
                .identifies
                .iter()
                .filter(|i| i.outcome == IdentifyOutcome::Ready)
                .cloned()
                .collect()
        })
    }

    pub fn resumes(&self) -> Vec<ResumeRecord> {
        self.sim.read(|s| s.records.resumes.clone())
    }

    /// How connections ended from the client's side: its close frames (code `None`: it went
    /// away without one).
    pub fn close_codes_received(&self) -> Vec<CloseRecord> {
        self.sim.read(|s| {
            s.records
                .closes
                .iter()
                .filter(|c| c.by == Closer::Client)
                .cloned()
                .collect()
        })
    }

    /// Closes the sim sent (code `None`: it dropped the TCP connection).
    pub fn closes_sent(&self) -> Vec<CloseRecord> {
        self.sim.read(|s| {
            s.records
                .closes
                .iter()
                .filter(|c| c.by == Closer::Sim)
                .cloned()
                .collect()
        })
    }

    pub fn heartbeats(&self) -> Vec<HeartbeatRecord> {
        self.sim.read(|s| s.records.heartbeats.clone())
    }

    /// Every REST call with method, path, body, auth check and status.
    pub fn rest_calls(&self) -> Vec<RestCall> {
        self.sim.read(|s| s.records.rest_calls.clone())
    }

    pub fn command_registrations(&self) -> Vec<CommandRegistration> {
        self.sim.read(|s| s.records.command_registrations.clone())
    }

    /// Every WebSocket connection attempt, refused ones included.
    pub fn connections(&self) -> Vec<ConnectionRecord> {
        self.sim.read(|s| s.records.connections.clone())
    }

    /// Connections open now.
    pub fn live_connections(&self) -> Vec<LiveConnection> {
        self.sim.read(|s| s.gateway.connections.live())
    }

    /// Interactions the sim delivered and what came back.
    pub fn interactions(&self) -> Vec<InteractionRecord> {
        self.sim.read(|s| s.records.interactions.clone())
    }

    /// The identify budget as `GET /gateway/bot` would report it now.
    pub fn session_start_limit(&self) -> SessionStartLimit {
        self.sim
            .update(|s| s.gateway.identify.snapshot(Instant::now()))
    }

    // ----- gateway faults; each returns how many open connections of the shard it reached -----

    /// op 7 Reconnect. The session stops writing to that connection at once; what follows is
    /// replayed on resume.
    pub fn send_reconnect(&self, shard_id: u32) -> usize {
        self.detach_and_send(shard_id, || ConnCommand::Reconnect)
    }

    /// op 9 Invalid Session; `resumable: false` also ends the session.
    pub fn send_invalid_session(&self, shard_id: u32, resumable: bool) -> usize {
        self.sim.update(|s| {
            let now = Instant::now();
            for (connection_id, entry) in s
                .gateway
                .connections
                .on_shard(shard_id)
                .map(|(id, e)| (id, e.session_id.clone()))
                .collect::<Vec<_>>()
            {
                if let Some(session_id) = entry {
                    if resumable {
                        if let Some(session) = s.gateway.sessions.live(&session_id, now) {
                            session.detach(connection_id, now);
                        }
                    } else {
                        s.gateway.sessions.remove(&session_id);
                    }
                }
            }
            s.gateway
                .connections
                .send_to_shard(shard_id, || ConnCommand::InvalidSession(resumable))
        })
    }

    /// A zombie sends nothing (no heartbeat ACKs, no dispatches) but keeps reading; its
    /// session still buffers every event for the resume that should follow.
    pub fn set_zombie(&self, shard_id: u32, on: bool) -> usize {
        self.sim.update(|s| {
            s.gateway
                .connections
                .send_to_shard(shard_id, || ConnCommand::Zombie(on))
        })
    }

    /// Ends the TCP connection without a close frame; the session stays resumable.
    pub fn drop_tcp(&self, shard_id: u32) -> usize {
        self.detach_and_send(shard_id, || ConnCommand::DropTcp)
    }

    /// Closes with `code` (any code: 4000 keeps the session, 4009 ends it, 4004 is fatal…).
    pub fn close(&self, shard_id: u32, code: u16) -> usize {
        let reason = reason_for(code);
        self.detach_and_send(shard_id, || ConnCommand::Close(code, reason.clone()))
    }

    /// op 1 from the sim: the client must heartbeat at once.
    pub fn request_heartbeat(&self, shard_id: u32) -> usize {
        self.sim.update(|s| {
            s.gateway
                .connections
                .send_to_shard(shard_id, || ConnCommand::RequestHeartbeat)
        })
    }

    /// Every connection dropped at once, as when a gateway node restarts; the sessions survive
    /// (and can be resumed) only with `keep_sessions`.
    pub fn restart(&self, keep_sessions: bool) {
        self.sim.update(|s| {
            if keep_sessions {
                s.gateway.sessions.detach_all(Instant::now());
            } else {
                s.gateway.sessions.clear();
            }
            s.gateway.connections.send_to_all(|| ConnCommand::DropTcp);
        });
    }

    /// While on, WebSocket upgrades on the main gateway URL answer 503.
    pub fn refuse_gateway(&self, on: bool) {
        self.sim.update(|s| s.gateway.refuse_main = on);
    }

    /// While on, WebSocket upgrades on the resume URL answer 503 (the main URL still works).
    pub fn refuse_resume_url(&self, on: bool) {
        self.sim.update(|s| s.gateway.refuse_resume = on);
    }

    /// Sets `remaining` of the identify budget, and un-revokes a token reset by overspending it.
    pub fn set_session_start_remaining(&self, remaining: u32) {
        self.sim.update(|s| {
            s.gateway.identify.set_remaining(remaining);
            s.gateway.token_revoked = false;
        });
    }

    /// Whether overspending the identify budget reset the token.
    pub fn token_revoked(&self) -> bool {
        self.sim.read(|s| s.gateway.token_revoked)
    }

    fn detach_and_send(&self, shard_id: u32, command: impl Fn() -> ConnCommand) -> usize {
        self.sim.update(|s| {
            let now = Instant::now();
            let attached: Vec<(u64, Option<String>)> = s
                .gateway
                .connections
                .on_shard(shard_id)
                .map(|(id, e)| (id, e.session_id.clone()))
                .collect();
            for (connection_id, session_id) in attached {
                if let Some(session) = session_id.and_then(|id| s.gateway.sessions.live(&id, now)) {
                    session.detach(connection_id, now);
                }
            }
            s.gateway.connections.send_to_shard(shard_id, command)
        })
    }

    // ----- REST faults -----

    pub fn rest_fault(&self, fault: RestFault) {
        self.sim
            .update(|s| s.rest.faults.add(fault, Instant::now()));
    }

    pub fn clear_rest_faults(&self) {
        self.sim.update(|s| s.rest.faults.clear());
    }

    /// Delays every REST answer by `delay` (zero: no delay).
    pub fn slow_rest(&self, delay: Duration) {
        self.sim.update(|s| s.rest.slow = delay);
    }

    // ----- interactions -----

    /// Starts an interaction of `kind`, by default from Alice in the first guild channel.
    pub fn interaction(&self, kind: InteractionKind) -> InteractionBuilder {
        InteractionBuilder {
            control: self.clone(),
            spec: InteractionSpec::new(kind),
        }
    }

    /// Builds an interaction and registers its token for the webhook routes.
    pub fn build_interaction(&self, spec: &InteractionSpec) -> Result<Interaction, SimError> {
        self.sim
            .update(|s| builders::build(s, spec, Instant::now()))
    }

    /// Where interactions go by default from now on.
    pub fn set_interactions_url(&self, url: &str) {
        self.sim
            .update(|s| s.interactions.url = Some(url.to_owned()));
    }

    /// POSTs a correctly signed interaction to the interactions URL.
    pub async fn deliver(&self, interaction: &Interaction) -> Result<InteractionReply, SimError> {
        let url = self.interactions_url()?;
        delivery::deliver(&self.sim, &url, interaction, None).await
    }

    /// POSTs to `url`, signed correctly or with `fault`.
    pub async fn deliver_to(
        &self,
        url: &str,
        interaction: &Interaction,
        fault: Option<SignatureFault>,
    ) -> Result<InteractionReply, SimError> {
        delivery::deliver(&self.sim, url, interaction, fault).await
    }

    /// POSTs to the interactions URL with a signature that must not verify.
    pub async fn deliver_with_fault(
        &self,
        interaction: &Interaction,
        fault: SignatureFault,
    ) -> Result<InteractionReply, SimError> {
        let url = self.interactions_url()?;
        delivery::deliver(&self.sim, &url, interaction, Some(fault)).await
    }

    /// Discord's check when an endpoint URL is saved: a valid PING must get `{"type":1}` and a
    /// badly signed one a 401.
    pub async fn endpoint_check(&self, url: &str) -> Result<EndpointCheck, SimError> {
        let ping = self.build_interaction(&InteractionSpec::new(InteractionKind::Ping))?;
        let valid_ping = delivery::deliver(&self.sim, url, &ping, None).await?;
        let invalid_ping =
            delivery::deliver(&self.sim, url, &ping, Some(SignatureFault::BadSignature)).await?;
        let accepted = valid_ping.problems.is_empty() && invalid_ping.problems.is_empty();
        Ok(EndpointCheck {
            valid_ping,
            invalid_ping,
            accepted,
        })
    }

    /// `X-Signature-Ed25519` for a body and timestamp, for tests that craft their own requests.
    pub fn sign(&self, body: &[u8], timestamp: &str) -> String {
        self.sim.signer.sign(timestamp, body)
    }

    pub fn public_key_hex(&self) -> String {
        self.sim.signer.public_key_hex()
    }

    fn interactions_url(&self) -> Result<String, SimError> {
        self.sim
            .read(|s| s.interactions.url.clone())
            .ok_or(SimError::NoInteractionsUrl)
    }

    // ----- waiting -----

    /// Returns once `condition` holds, checking after every change to the sim's state.
    pub async fn wait_until(
        &self,
        condition: impl Fn(&SimControl) -> bool,
        timeout: Duration,
    ) -> Result<(), SimError> {
        let mut changes = self.sim.changes();
        let deadline = Instant::now() + timeout;
        loop {
            changes.mark_unchanged();
            if condition(self) {
                return Ok(());
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => {
                    return if condition(self) {
                        Ok(())
                    } else {
                        Err(SimError::Timeout(timeout))
                    };
                }
            }
        }
    }

    /// Until a connection of `shard_id` is identified or resumed and open.
    pub async fn wait_for_shard(&self, shard_id: u32, timeout: Duration) -> Result<(), SimError> {
        self.wait_until(
            |c| {
                c.live_connections()
                    .iter()
                    .any(|l| l.shard.is_some_and(|s| s.id == shard_id))
            },
            timeout,
        )
        .await
    }

    /// Until at least `count` reactions were made.
    pub async fn wait_for_reactions(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<(), SimError> {
        self.wait_until(
            |c| c.sim.read(|s| s.records.reactions.len()) >= count,
            timeout,
        )
        .await
    }

    /// Until the bot posted at least `count` messages in `channel_id`.
    pub async fn wait_for_posted_messages(
        &self,
        channel_id: u64,
        count: usize,
        timeout: Duration,
    ) -> Result<(), SimError> {
        self.wait_until(|c| c.posted_messages(channel_id).len() >= count, timeout)
            .await
    }
}

fn reason_for(code: u16) -> String {
    let known = [
        CloseCode::UnknownError,
        CloseCode::UnknownOpcode,
        CloseCode::DecodeError,
        CloseCode::NotAuthenticated,
        CloseCode::AuthenticationFailed,
        CloseCode::AlreadyAuthenticated,
        CloseCode::InvalidSeq,
        CloseCode::RateLimited,
        CloseCode::InvalidShard,
        CloseCode::InvalidApiVersion,
        CloseCode::InvalidIntents,
        CloseCode::DisallowedIntents,
    ];
    known.iter().find(|c| c.code() == code).map_or_else(
        || format!("Closed by the simulator ({code})."),
        |c| c.reason().to_owned(),
    )
}

/// An interaction being put together: who, where, with what permissions.
pub struct InteractionBuilder {
    control: SimControl,
    spec: InteractionSpec,
}

impl InteractionBuilder {
    /// From this user (default: Alice).
    pub fn by(mut self, user_id: u64) -> Self {
        self.spec.user_id = Some(user_id);
        self
    }

    /// In this guild channel (default: the first guild's first channel).
    pub fn in_channel(mut self, channel_id: u64) -> Self {
        self.spec.channel_id = Some(channel_id);
        self
    }

    /// In a DM with the bot: `user` instead of `member`, no guild.
    pub fn in_dm(mut self) -> Self {
        self.spec.in_dm = true;
        self
    }

    /// Overrides the member's permissions (e.g. 0, to lack Manage Server).
    pub fn with_permissions(mut self, permissions: u64) -> Self {
        self.spec.permissions = Some(permissions);
        self
    }

    pub fn with_locale(mut self, locale: &str) -> Self {
        self.spec.locale = Some(locale.to_owned());
        self
    }

    pub fn build(self) -> Result<Interaction, SimError> {
        self.control.build_interaction(&self.spec)
    }

    /// Builds, signs and POSTs it to the interactions URL.
    pub async fn send(self) -> Result<InteractionReply, SimError> {
        let control = self.control.clone();
        let interaction = self.build()?;
        control.deliver(&interaction).await
    }
}
