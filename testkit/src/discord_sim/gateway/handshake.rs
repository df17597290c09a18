//! Identify and Resume: the checks Discord makes, in its order, and the session each starts or
//! continues. Runs under the state lock, so a dispatch can never fall between a resume's replay
//! and its attach.
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::identify_limit::IdentifyVerdict;
use super::protocol::{CloseCode, Identify, Resume};
use super::registry::{ConnCommand, Frame};
use super::sessions::{Attachment, ReplayRefused};
use crate::discord_sim::config::{SimConfig, intents};
use crate::discord_sim::ids;
use crate::discord_sim::payloads;
use crate::discord_sim::records::{
    Endpoint, IdentifyOutcome, IdentifyRecord, ResumeOutcome, ResumeRecord, ShardId,
};
use crate::discord_sim::state::{State, Urls};

/// The connection asking.
pub(crate) struct Caller<'a> {
    pub connection_id: u64,
    pub tx: &'a UnboundedSender<ConnCommand>,
    pub endpoint: Endpoint,
    /// It already identified or resumed.
    pub identified: bool,
}

#[derive(Debug)]
pub(crate) enum Handshake {
    /// The session is attached; its READY or RESUMED is on the way through the connection's
    /// channel, after `replay` (a resume's missed dispatches), which the connection writes first.
    Started {
        session_id: String,
        shard: ShardId,
        replay: Vec<Frame>,
    },
    /// Answer op 9 `d: false`.
    InvalidSession,
    Close(CloseCode),
}

fn token_accepted(state: &State, config: &SimConfig, token: &str) -> bool {
    let token = token.strip_prefix("Bot ").unwrap_or(token);
    !state.gateway.token_revoked && token == config.bot_token
}

/// `application.flags` in READY: the "limited" gateway intent flags of an unverified app.
fn application_flags(config: &SimConfig) -> u64 {
    let mut flags = 0;
    if config.privileged_intents & intents::GUILD_PRESENCES != 0 {
        flags |= 1 << 13;
    }
    if config.privileged_intents & intents::GUILD_MEMBERS != 0 {
        flags |= 1 << 15;
    }
    if config.privileged_intents & intents::MESSAGE_CONTENT != 0 {
        flags |= 1 << 19;
    }
    flags
}

pub(crate) fn identify(
    state: &mut State,
    config: &SimConfig,
    urls: &Urls,
    caller: &Caller<'_>,
    identify: &Identify,
    now: Instant,
) -> Handshake {
    let shard = ShardId {
        id: identify.shard[0],
        count: identify.shard[1],
    };
    let (outcome, handshake) = decide_identify(state, config, urls, caller, identify, shard, now);
    let session_id = match &handshake {
        Handshake::Started { session_id, .. } => Some(session_id.clone()),
        _ => None,
    };
    state.records.identifies.push(IdentifyRecord {
        connection_id: caller.connection_id,
        shard,
        intents: identify.intents,
        outcome,
        session_id,
        at_ms: ids::now_ms(),
    });
    handshake
}

fn decide_identify(
    state: &mut State,
    config: &SimConfig,
    urls: &Urls,
    caller: &Caller<'_>,
    identify: &Identify,
    shard: ShardId,
    now: Instant,
) -> (IdentifyOutcome, Handshake) {
    let reject = |code: CloseCode| {
        (
            IdentifyOutcome::Rejected(code.code()),
            Handshake::Close(code),
        )
    };
    if caller.identified {
        return reject(CloseCode::AlreadyAuthenticated);
    }
    if !token_accepted(state, config, &identify.token) {
        return reject(CloseCode::AuthenticationFailed);
    }
    if shard.count == 0 || shard.id >= shard.count {
        return reject(CloseCode::InvalidShard);
    }
    if identify.intents & !intents::KNOWN != 0 {
        return reject(CloseCode::InvalidIntents);
    }
    if identify.intents & intents::PRIVILEGED & !config.privileged_intents != 0 {
        return reject(CloseCode::DisallowedIntents);
    }
    match state.gateway.identify.check(shard.id, now) {
        IdentifyVerdict::TooSoon => {
            return (
                IdentifyOutcome::ConcurrencyLimited,
                Handshake::InvalidSession,
            );
        }
        IdentifyVerdict::Exhausted => {
            // Discord: "all active sessions for the app will be terminated, the bot token will be reset".
            state.gateway.token_revoked = true;
            state.gateway.sessions.clear();
            let reason =
                "Authentication failed: the identify budget is spent and the token was reset.";
            state.gateway.connections.send_to_all(|| {
                ConnCommand::Close(CloseCode::AuthenticationFailed.code(), reason.to_owned())
            });
            return (
                IdentifyOutcome::BudgetExhausted,
                Handshake::Close(CloseCode::AuthenticationFailed),
            );
        }
        IdentifyVerdict::Allowed => {}
    }

    let guild_ids: Vec<u64> = state
        .world
        .guilds
        .iter()
        .map(|g| g.id)
        .filter(|&g| ids::shard_for(g, shard.count) == shard.id)
        .collect();
    let session = state.gateway.sessions.create(shard, identify.intents);
    session.attach(Attachment {
        connection_id: caller.connection_id,
        tx: caller.tx.clone(),
    });
    let session_id = session.id.clone();
    let ready = payloads::ready(
        &state.world,
        &session_id,
        &urls.resume_gateway,
        [shard.id, shard.count],
        &guild_ids,
        application_flags(config),
    );
    session.push("READY", &ready.to_string());
    if identify.intents & intents::GUILDS != 0 {
        for guild in state
            .world
            .guilds
            .iter()
            .filter(|g| guild_ids.contains(&g.id))
        {
            session.push(
                "GUILD_CREATE",
                &payloads::guild_create(&state.world, guild).to_string(),
            );
        }
    }
    register(state, caller.connection_id, shard, &session_id);
    (
        IdentifyOutcome::Ready,
        Handshake::Started {
            session_id,
            shard,
            replay: Vec::new(),
        },
    )
}

pub(crate) fn resume(
    state: &mut State,
    config: &SimConfig,
    caller: &Caller<'_>,
    resume: &Resume,
    now: Instant,
) -> Handshake {
    let mut record = ResumeRecord {
        connection_id: caller.connection_id,
        session_id: resume.session_id.clone(),
        seq: resume.seq,
        shard: None,
        outcome: ResumeOutcome::InvalidSession,
        via_resume_url: caller.endpoint == Endpoint::Resume,
        took_over: false,
        at_ms: ids::now_ms(),
    };
    let handshake = decide_resume(state, config, caller, resume, now, &mut record);
    state.records.resumes.push(record);
    handshake
}

fn decide_resume(
    state: &mut State,
    config: &SimConfig,
    caller: &Caller<'_>,
    resume: &Resume,
    now: Instant,
    record: &mut ResumeRecord,
) -> Handshake {
    let reject = |record: &mut ResumeRecord, code: CloseCode| {
        record.outcome = ResumeOutcome::Rejected(code.code());
        Handshake::Close(code)
    };
    if caller.identified {
        return reject(record, CloseCode::AlreadyAuthenticated);
    }
    if !token_accepted(state, config, &resume.token) {
        return reject(record, CloseCode::AuthenticationFailed);
    }
    let Some(session) = state.gateway.sessions.live(&resume.session_id, now) else {
        return Handshake::InvalidSession;
    };
    record.shard = Some(session.shard);
    let replay = match session.replay_after(resume.seq) {
        Ok(replay) => replay,
        Err(ReplayRefused::Ahead) => {
            state.gateway.sessions.remove(&resume.session_id);
            return reject(record, CloseCode::InvalidSeq);
        }
        Err(ReplayRefused::Evicted) => {
            state.gateway.sessions.remove(&resume.session_id);
            return Handshake::InvalidSession;
        }
    };
    if let Some(previous) = session.attached.take() {
        record.took_over = true;
        // The old connection loses the session; it is closed so it cannot keep reading events.
        let _ = previous.tx.send(ConnCommand::Close(
            CloseCode::UnknownError.code(),
            "Session resumed on another connection.".to_owned(),
        ));
    }
    session.attach(Attachment {
        connection_id: caller.connection_id,
        tx: caller.tx.clone(),
    });
    session.push("RESUMED", "{}");
    let shard = session.shard;
    record.outcome = ResumeOutcome::Resumed {
        replayed: replay.len() as u64,
    };
    register(state, caller.connection_id, shard, &resume.session_id);
    Handshake::Started {
        session_id: resume.session_id.clone(),
        shard,
        replay,
    }
}

fn register(state: &mut State, connection_id: u64, shard: ShardId, session_id: &str) {
    if let Some(entry) = state.gateway.connections.get_mut(connection_id) {
        entry.shard = Some(shard);
        entry.session_id = Some(session_id.to_owned());
    }
}
