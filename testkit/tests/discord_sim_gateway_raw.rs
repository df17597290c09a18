//! The gateway seen through a raw WebSocket client (tokio-tungstenite), payload by payload:
//! Hello and heartbeats, the handshake and each close code it can end with, the send limits,
//! dispatch routing and MESSAGE_CONTENT gating, resume and replay, the identify budget,
//! zlib-stream, and every scripted fault. Payloads are checked by deserialising them with
//! `twilight-model`.
use std::time::{Duration, Instant};

use flate2::{Decompress, FlushDecompress};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use shiptrack_testkit::discord_sim::config::intents;
use shiptrack_testkit::discord_sim::{
    Closer, DiscordSim, Endpoint, IdentifyOutcome, ResumeOutcome, RunningSim, SessionStartLimit,
    SimConfig, StreamMix, StreamSummary, ZlibStream, ids,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

const WAIT: Duration = Duration::from_secs(5);
const ALL_WE_USE: u64 = intents::GUILDS | intents::GUILD_MESSAGES | intents::MESSAGE_CONTENT;

/// What arrived next on a connection.
#[derive(Debug, PartialEq)]
enum Got {
    Payload(Value),
    /// A close frame with this code, or (`None`) the connection ended without one.
    Closed(Option<u16>),
}

struct Raw {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    inflate: Option<Decompress>,
    /// Every binary frame ended with the zlib sync-flush suffix.
    suffixes_ok: bool,
    /// A fresh zlib stream of the kind the sim keeps per connection, fed what was inflated.
    mirror: Option<ZlibStream>,
    /// Every binary frame was byte for byte what compressing the payloads received so far, in
    /// order, in one fresh context gives: what the sim would send streaming them.
    mirror_ok: bool,
    /// The text of the last payload, as sent (after inflating).
    last_text: String,
}

impl Raw {
    async fn open(base: &str, query: &str) -> Self {
        let (ws, _) = connect_async(format!("{base}/?{query}"))
            .await
            .expect("gateway accepts the connection");
        let inflate = query
            .contains("compress=zlib-stream")
            .then(|| Decompress::new(true));
        let mirror = inflate.is_some().then(ZlibStream::default);
        Self {
            ws,
            inflate,
            suffixes_ok: true,
            mirror,
            mirror_ok: true,
            last_text: String::new(),
        }
    }

    /// Connected and past Hello.
    async fn connect(base: &str) -> Self {
        let mut raw = Self::open(base, "v=10&encoding=json").await;
        assert_eq!(raw.payload().await["op"], 10);
        raw
    }

    async fn send(&mut self, payload: Value) {
        self.ws
            .send(Message::text(payload.to_string()))
            .await
            .unwrap();
    }

    async fn send_text(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    fn decompress(&mut self, bytes: &[u8]) -> String {
        self.suffixes_ok &= bytes.ends_with(&[0, 0, 0xff, 0xff]);
        let inflate = self
            .inflate
            .as_mut()
            .expect("binary frames only with compress=zlib-stream");
        let mut out = Vec::with_capacity(bytes.len() * 8 + 1024);
        let start = inflate.total_in();
        loop {
            let consumed = (inflate.total_in() - start) as usize;
            inflate
                .decompress_vec(&bytes[consumed..], &mut out, FlushDecompress::Sync)
                .unwrap();
            if (inflate.total_in() - start) as usize == bytes.len() && out.len() < out.capacity() {
                break;
            }
            out.reserve(out.capacity());
        }
        let again = self.mirror.as_mut().unwrap().compress(&out).unwrap();
        self.mirror_ok &= again == bytes;
        String::from_utf8(out).unwrap()
    }

    async fn next(&mut self) -> Got {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("the gateway said something in time");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    self.last_text = text.to_string();
                    return Got::Payload(serde_json::from_str(&text).unwrap());
                }
                Some(Ok(Message::Binary(bytes))) => {
                    self.last_text = self.decompress(&bytes);
                    return Got::Payload(serde_json::from_str(&self.last_text).unwrap());
                }
                Some(Ok(Message::Close(frame))) => {
                    return Got::Closed(frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Got::Closed(None),
            }
        }
    }

    async fn payload(&mut self) -> Value {
        match self.next().await {
            Got::Payload(payload) => payload,
            Got::Closed(code) => panic!("closed ({code:?}) while a payload was expected"),
        }
    }

    /// The next dispatch of this type, skipping others.
    async fn dispatch(&mut self, event: &str) -> Value {
        loop {
            let payload = self.payload().await;
            if payload["op"] == 0 && payload["t"] == event {
                return payload;
            }
        }
    }

    async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Got::Closed(code) = self.next().await {
                return code;
            }
        }
    }

    /// True if nothing arrives for `quiet`.
    async fn silent_for(&mut self, quiet: Duration) -> bool {
        tokio::time::timeout(quiet, self.ws.next()).await.is_err()
    }

    async fn identify(&mut self, intents: u64, shard: [u32; 2]) {
        self.send(identify("sim-bot-token", intents, shard)).await;
    }

    /// Identified: READY's `d`.
    async fn ready(&mut self, intents: u64, shard: [u32; 2]) -> Value {
        self.identify(intents, shard).await;
        self.dispatch("READY").await["d"].clone()
    }

    async fn resume(&mut self, session_id: &str, seq: u64) {
        self.send(
            json!({"op": 6, "d": {"token": "sim-bot-token", "session_id": session_id, "seq": seq}}),
        )
        .await;
    }
}

fn identify(token: &str, intents: u64, shard: [u32; 2]) -> Value {
    json!({"op": 2, "d": {"token": token, "intents": intents, "shard": shard, "properties": {"os": "linux", "browser": "raw-test", "device": "raw-test"}}})
}

/// No heartbeat deadline and no identify pacing to get in the way of tests about something else.
fn quiet_heartbeat() -> SimConfig {
    SimConfig {
        heartbeat_interval: Duration::from_secs(60),
        identify_window: Duration::ZERO,
        ..SimConfig::default()
    }
}

async fn start(config: SimConfig) -> RunningSim {
    DiscordSim::start(config).await.unwrap()
}

#[tokio::test]
async fn hello_gives_the_configured_interval_and_each_heartbeat_is_acked_and_recorded() {
    let sim = start(SimConfig {
        heartbeat_interval: Duration::from_millis(1234),
        ..SimConfig::default()
    })
    .await;
    let mut raw = Raw::open(sim.gateway_url(), "v=10&encoding=json").await;
    let hello: twilight_model::gateway::payload::incoming::Hello =
        serde_json::from_value(raw.payload().await["d"].clone()).unwrap();
    assert_eq!(hello.heartbeat_interval, 1234);
    raw.send(json!({"op": 1, "d": null})).await;
    assert_eq!(raw.payload().await["op"], 11);
    raw.ready(ALL_WE_USE, [0, 1]).await;
    raw.send(json!({"op": 1, "d": 2})).await;
    assert_eq!(raw.dispatch_or_ack().await, 11);
    let beats = sim.control().heartbeats();
    assert_eq!(
        beats.iter().map(|b| b.seq).collect::<Vec<_>>(),
        [None, Some(2)]
    );
    assert!(beats.iter().all(|b| b.acked));
    assert_eq!(beats[1].shard.map(|s| s.id), Some(0));
}

impl Raw {
    /// The op of the next non-dispatch payload.
    async fn dispatch_or_ack(&mut self) -> u64 {
        loop {
            let payload = self.payload().await;
            if payload["op"] != 0 {
                return payload["op"].as_u64().unwrap();
            }
        }
    }
}

#[tokio::test]
async fn identify_is_answered_by_ready_and_guild_create_in_discords_shapes() {
    let sim = start(quiet_heartbeat()).await;
    let mut raw = Raw::connect(sim.gateway_url()).await;
    raw.identify(ALL_WE_USE, [0, 1]).await;
    let ready = raw.payload().await;
    assert_eq!(
        (
            ready["op"].as_u64(),
            ready["s"].as_u64(),
            ready["t"].as_str()
        ),
        (Some(0), Some(1), Some("READY"))
    );
    let parsed: twilight_model::gateway::payload::incoming::Ready =
        serde_json::from_value(ready["d"].clone()).unwrap();
    assert_eq!(parsed.version, 10);
    assert_eq!(parsed.user.id.get(), ids::APPLICATION);
    assert!(parsed.user.bot);
    assert_eq!(parsed.application.id.get(), ids::APPLICATION);
    assert_eq!(
        parsed
            .guilds
            .iter()
            .map(|g| (g.id.get(), g.unavailable))
            .collect::<Vec<_>>(),
        [(ids::GUILD, true)]
    );
    assert_eq!(parsed.shard.map(|s| (s.number(), s.total())), Some((0, 1)));
    assert_eq!(parsed.resume_gateway_url, sim.resume_gateway_url());
    assert_ne!(parsed.resume_gateway_url, sim.gateway_url());

    let guild_create = raw.payload().await;
    assert_eq!(
        (guild_create["s"].as_u64(), guild_create["t"].as_str()),
        (Some(2), Some("GUILD_CREATE"))
    );
    let guild: twilight_model::gateway::payload::incoming::GuildCreate =
        serde_json::from_value(guild_create["d"].clone()).unwrap();
    let twilight_model::gateway::payload::incoming::GuildCreate::Available(guild) = guild else {
        panic!("guild unavailable")
    };
    assert_eq!(guild.id.get(), ids::GUILD);
    assert!(
        guild
            .channels
            .iter()
            .any(|c| c.id.get() == ids::I_SHIPPED && c.name.as_deref() == Some("i-shipped"))
    );
    assert!(guild.members.iter().any(|m| m.user.id.get() == ids::ALICE));

    let identifies = sim.control().identifies();
    assert_eq!(identifies.len(), 1);
    assert_eq!(
        (identifies[0].outcome.clone(), identifies[0].intents),
        (IdentifyOutcome::Ready, ALL_WE_USE)
    );
    assert_eq!(
        identifies[0].session_id.as_deref(),
        Some(parsed.session_id.as_str())
    );
}

#[tokio::test]
async fn message_create_carries_content_only_for_sessions_with_the_message_content_intent() {
    let sim = start(quiet_heartbeat()).await;
    let mut with_intent = Raw::connect(sim.gateway_url()).await;
    with_intent.ready(ALL_WE_USE, [0, 1]).await;
    let mut without = Raw::connect(sim.gateway_url()).await;
    without
        .ready(intents::GUILDS | intents::GUILD_MESSAGES, [0, 1])
        .await;
    let control = sim.control();
    let id = control
        .post_message(
            ids::I_SHIPPED,
            ids::ALICE,
            "We shipped rivet https://rivet.dev <@&1246255704986091520>",
        )
        .unwrap();

    let event = with_intent.dispatch("MESSAGE_CREATE").await["d"].clone();
    let parsed: twilight_model::gateway::payload::incoming::MessageCreate =
        serde_json::from_value(event.clone()).unwrap();
    assert_eq!(parsed.id.get(), id);
    assert_eq!(
        parsed.content,
        "We shipped rivet https://rivet.dev <@&1246255704986091520>"
    );
    assert_eq!(parsed.guild_id.map(|g| g.get()), Some(ids::GUILD));
    assert_eq!(parsed.channel_id.get(), ids::I_SHIPPED);
    assert_eq!(parsed.author.id.get(), ids::ALICE);
    assert!(!parsed.author.bot);
    assert!(parsed.member.is_some());
    assert_eq!(parsed.mention_roles.len(), 1);
    assert!(
        ids::timestamp_ms(id).abs_diff(ids::now_ms()) < 5_000,
        "ids are stamped now"
    );

    let hidden = without.dispatch("MESSAGE_CREATE").await["d"].clone();
    assert_eq!(hidden["content"], "");
    assert_eq!(hidden["id"], event["id"]);

    control
        .post_message(
            ids::I_SHIPPED,
            ids::BOB,
            &format!("<@{}> look", ids::APPLICATION),
        )
        .unwrap();
    assert_ne!(
        without.dispatch("MESSAGE_CREATE").await["d"]["content"],
        "",
        "a message that mentions the bot is readable"
    );
    with_intent.dispatch("MESSAGE_CREATE").await;
    control
        .post_message(
            ids::I_SHIPPED,
            ids::HELPER_BOT,
            "released build 7 https://ci.dev",
        )
        .unwrap();
    let from_bot = with_intent.dispatch("MESSAGE_CREATE").await["d"].clone();
    assert_eq!(from_bot["author"]["bot"], true);
}

#[tokio::test]
async fn edits_and_deletes_are_dispatched_as_message_update_and_message_delete() {
    let sim = start(quiet_heartbeat()).await;
    let mut raw = Raw::connect(sim.gateway_url()).await;
    raw.ready(ALL_WE_USE, [0, 1]).await;
    let control = sim.control();
    let id = control
        .post_message(ids::I_SHIPPED, ids::ALICE, "working on it")
        .unwrap();
    control
        .edit_message(id, "shipped it https://it.dev")
        .unwrap();
    control.delete_message(id).unwrap();
    let update = raw.dispatch("MESSAGE_UPDATE").await["d"].clone();
    let parsed: twilight_model::gateway::payload::incoming::MessageUpdate =
        serde_json::from_value(update).unwrap();
    assert_eq!(parsed.content, "shipped it https://it.dev");
    assert!(parsed.edited_timestamp.is_some());
    let delete: twilight_model::gateway::payload::incoming::MessageDelete =
        serde_json::from_value(raw.dispatch("MESSAGE_DELETE").await["d"].clone()).unwrap();
    assert_eq!(
        (
            delete.id.get(),
            delete.channel_id.get(),
            delete.guild_id.map(|g| g.get())
        ),
        (id, ids::I_SHIPPED, Some(ids::GUILD))
    );
    assert!(control.edit_message(id, "gone").is_err());
}

#[tokio::test]
async fn each_guilds_events_go_only_to_its_shard() {
    let sim = start(
        SimConfig {
            recommended_shards: 2,
            ..quiet_heartbeat()
        }
        .with_guilds(2),
    )
    .await;
    let mut shard0 = Raw::connect(sim.gateway_url()).await;
    let ready0 = shard0.ready(ALL_WE_USE, [0, 2]).await;
    let mut shard1 = Raw::connect(sim.gateway_url()).await;
    let ready1 = shard1.ready(ALL_WE_USE, [1, 2]).await;
    assert_eq!(ready0["guilds"][0]["id"], ids::guild(0).to_string());
    assert_eq!(ready1["guilds"][0]["id"], ids::guild(1).to_string());
    assert_eq!(
        shard1.dispatch("GUILD_CREATE").await["d"]["id"],
        ids::guild(1).to_string()
    );
    let channel_of_guild_1 = sim.config().guilds[1].channels[0].id;
    sim.control()
        .post_message(channel_of_guild_1, ids::ALICE, "hello shard one")
        .unwrap();
    assert_eq!(
        shard1.dispatch("MESSAGE_CREATE").await["d"]["guild_id"],
        ids::guild(1).to_string()
    );
    assert_eq!(
        shard0.dispatch("GUILD_CREATE").await["d"]["id"],
        ids::guild(0).to_string()
    );
    assert!(
        shard0.silent_for(Duration::from_millis(200)).await,
        "shard 0 gets nothing of guild 1"
    );
}

#[tokio::test]
async fn a_client_that_stops_heartbeating_is_closed_with_4000_and_may_resume() {
    let config = SimConfig {
        heartbeat_interval: Duration::from_millis(200),
        heartbeat_grace: Duration::from_millis(100),
        ..SimConfig::default()
    };
    let sim = start(config).await;
    let mut raw = Raw::connect(sim.gateway_url()).await;
    let ready = raw.ready(ALL_WE_USE, [0, 1]).await;
    let started = Instant::now();
    assert_eq!(raw.closed().await, Some(4000));
    assert!(started.elapsed() < Duration::from_millis(600));
    let sent = sim.control().closes_sent();
    assert_eq!(
        (sent[0].code, sent[0].reason.as_str()),
        (Some(4000), "Heartbeat timed out.")
    );

    let mut again = Raw::connect(sim.resume_gateway_url()).await;
    again.resume(ready["session_id"].as_str().unwrap(), 2).await;
    again.dispatch("RESUMED").await;
}

#[tokio::test]
async fn a_zombie_gets_no_acks_or_dispatches_and_a_resume_replays_what_it_missed() {
    let sim = start(quiet_heartbeat()).await;
    let control = sim.control();
    let mut raw = Raw::connect(sim.gateway_url()).await;
    let ready = raw.ready(ALL_WE_USE, [0, 1]).await;
    raw.dispatch("GUILD_CREATE").await;
    assert_eq!(control.set_zombie(0, true), 1);
    control
        .post_message(
            ids::I_SHIPPED,
            ids::ALICE,
            "shipped during the zombie https://z.dev",
        )
        .unwrap();
    raw.send(json!({"op": 1, "d": 2})).await;
    assert!(
        raw.silent_for(Duration::from_millis(300)).await,
        "no ACK and no dispatch from a zombie"
    );
    assert!(!control.heartbeats()[0].acked);

    raw.ws
        .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: 4000u16.into(),
            reason: "zombie".into(),
        }))
        .await
        .unwrap();
    let mut fresh = Raw::connect(sim.resume_gateway_url()).await;
    fresh.resume(ready["session_id"].as_str().unwrap(), 2).await;
    let replayed = fresh.payload().await;
    assert_eq!(
        (replayed["t"].as_str(), replayed["s"].as_u64()),
        (Some("MESSAGE_CREATE"), Some(3))
    );
    assert_eq!(fresh.payload().await["t"], "RESUMED");
    control
        .wait_until(
            |c| {
                c.close_codes_received()
                    .iter()
                    .any(|r| r.code == Some(4000))
            },
            WAIT,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn each_refused_identify_closes_with_discords_code() {
    let sim = start(SimConfig {
        privileged_intents: 0,
        ..quiet_heartbeat()
    })
    .await;
    let cases: [(Value, u16); 5] = [
        (
            identify(
                "wrong-token",
                ALL_WE_USE & !intents::MESSAGE_CONTENT,
                [0, 1],
            ),
            4004,
        ),
        (identify("sim-bot-token", intents::GUILDS, [1, 1]), 4010),
        (identify("sim-bot-token", intents::GUILDS, [0, 0]), 4010),
        (identify("sim-bot-token", 1 << 30, [0, 1]), 4013),
        (identify("sim-bot-token", ALL_WE_USE, [0, 1]), 4014),
    ];
    for (payload, code) in cases {
        let mut raw = Raw::connect(sim.gateway_url()).await;
        raw.send(payload.clone()).await;
        assert_eq!(raw.closed().await, Some(code), "{payload}");
    }
    let outcomes: Vec<IdentifyOutcome> = sim
        .control()
        .identifies()
        .into_iter()
        .map(|i| i.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [4004, 4010, 4010, 4013, 4014].map(IdentifyOutcome::Rejected)
    );
}

#[tokio::test]
async fn protocol_errors_close_with_4001_to_4005_and_a_bad_version_with_4012() {
    let sim = start(quiet_heartbeat()).await;
    let mut twice = Raw::connect(sim.gateway_url()).await;
    twice.ready(ALL_WE_USE, [0, 1]).await;
    twice.identify(ALL_WE_USE, [0, 1]).await;
    assert_eq!(twice.closed().await, Some(4005));

    let mut early = Raw::connect(sim.gateway_url()).await;
    early.send(json!({"op": 3, "d": {"since": null, "activities": [], "status": "online", "afk": false}})).await;
    assert_eq!(early.closed().await, Some(4003));

    let mut garbled = Raw::connect(sim.gateway_url()).await;
    garbled.send_text("{not json".to_owned()).await;
    assert_eq!(garbled.closed().await, Some(4002));

    let mut unknown = Raw::connect(sim.gateway_url()).await;
    unknown.send(json!({"op": 5, "d": {}})).await;
    assert_eq!(unknown.closed().await, Some(4001));

    let mut incomplete = Raw::connect(sim.gateway_url()).await;
    incomplete
        .send(json!({"op": 2, "d": {"token": "sim-bot-token"}}))
        .await;
    assert_eq!(incomplete.closed().await, Some(4001));

    let mut old = Raw::open(sim.gateway_url(), "v=8&encoding=json").await;
    assert_eq!(old.closed().await, Some(4012));
}

#[tokio::test]
async fn a_payload_over_4096_bytes_closes_with_4002() {
    let sim = start(quiet_heartbeat()).await;
    let mut raw = Raw::connect(sim.gateway_url()).await;
    raw.send(json!({"op": 1, "d": null, "padding": "x".repeat(4096)}))
        .await;
    assert_eq!(raw.closed().await, Some(4002));
    assert!(sim.control().heartbeats().is_empty());
}

#[tokio::test]
async fn the_121st_payload_within_a_minute_closes_with_4008() {
    let sim = start(quiet_heartbeat()).await;
    let mut raw = Raw::connect(sim.gateway_url()).await;
    for _ in 0..121 {
        raw.send(json!({"op": 1, "d": null})).await;
    }
    let mut acks = 0;
    let code = loop {
        match raw.next().await {
            Got::Payload(payload) => {
                assert_eq!(payload["op"], 11);
                acks += 1;
            }
            Got::Closed(code) => break code,
        }
    };
    assert_eq!((acks, code), (120, Some(4008)));
}

#[tokio::test]
async fn resume_replays_exactly_the_dispatches_after_the_given_sequence_then_resumed() {
    let sim = start(quiet_heartbeat()).await;
    let control = sim.control();
    let mut raw = Raw::connect(sim.gateway_url()).await;
    let ready = raw.ready(ALL_WE_USE, [0, 1]).await;
    let session = ready["session_id"].as_str().unwrap().to_owned();
    assert_eq!(raw.dispatch("GUILD_CREATE").await["s"], 2);
    drop(raw);
    control
        .wait_until(|c| c.live_connections().is_empty(), WAIT)
        .await
        .unwrap();
    let sent: Vec<u64> = (0..3)
        .map(|i| {
            control
                .post_message(ids::I_SHIPPED, ids::ALICE, &format!("message {i}"))
                .unwrap()
        })
        .collect();

    let mut resumed = Raw::connect(sim.resume_gateway_url()).await;
    resumed.resume(&session, 2).await;
    for (i, id) in sent.iter().enumerate() {
        let event = resumed.payload().await;
        assert_eq!(
            (event["t"].as_str(), event["s"].as_u64()),
            (Some("MESSAGE_CREATE"), Some(3 + i as u64))
        );
        assert_eq!(event["d"]["id"], id.to_string());
    }
    let done = resumed.payload().await;
    assert_eq!(
        (done["t"].as_str(), done["s"].as_u64()),
        (Some("RESUMED"), Some(6))
    );
    control
        .post_message(ids::I_SHIPPED, ids::BOB, "after the resume")
        .unwrap();
    assert_eq!(resumed.dispatch("MESSAGE_CREATE").await["s"], 7);

    let resumes = control.resumes();
    assert_eq!(resumes.len(), 1);
    assert_eq!(resumes[0].outcome, ResumeOutcome::Resumed { replayed: 3 });
    assert!(resumes[0].via_resume_url && !resumes[0].took_over);
    let received = control.close_codes_received();
    assert_eq!(received[0].code, None, "dropped without a close frame");
}

#[tokio::test]
async fn resume_is_refused_for_unknown_expired_or_cleanly_closed_sessions_and_seq_from_the_future()
{
    let sim = start(SimConfig {
        session_ttl: Duration::from_millis(200),
        ..quiet_heartbeat()
    })
    .await;
    let mut unknown = Raw::connect(sim.gateway_url()).await;
    unknown.resume("no-such-session", 1).await;
    assert_eq!(
        unknown.payload().await,
        json!({"op": 9, "d": false, "s": null, "t": null})
    );

    let mut raw = Raw::connect(sim.gateway_url()).await;
    let session = raw.ready(ALL_WE_USE, [0, 1]).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(raw);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut late = Raw::connect(sim.resume_gateway_url()).await;
    late.resume(&session, 2).await;
    assert_eq!(late.payload().await["op"], 9, "expired after session_ttl");

    let mut clean = Raw::connect(sim.gateway_url()).await;
    let session = clean.ready(ALL_WE_USE, [0, 1]).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    clean
        .ws
        .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: 1000u16.into(),
            reason: "bye".into(),
        }))
        .await
        .unwrap();
    sim.control()
        .wait_until(
            |c| {
                c.close_codes_received()
                    .iter()
                    .any(|r| r.code == Some(1000))
            },
            WAIT,
        )
        .await
        .unwrap();
    let mut after_1000 = Raw::connect(sim.resume_gateway_url()).await;
    after_1000.resume(&session, 2).await;
    assert_eq!(
        after_1000.payload().await["op"],
        9,
        "closing with 1000 ends the session"
    );

    let mut ahead = Raw::connect(sim.gateway_url()).await;
    let session = ahead.ready(ALL_WE_USE, [0, 1]).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(ahead);
    let mut future = Raw::connect(sim.resume_gateway_url()).await;
    future.resume(&session, 99).await;
    assert_eq!(future.closed().await, Some(4007));
}

#[tokio::test]
async fn an_identify_too_soon_for_its_bucket_gets_op_9_and_spends_nothing() {
    let limit = SessionStartLimit {
        total: 10,
        remaining: 10,
        reset_after: Duration::from_secs(3600),
        max_concurrency: 1,
    };
    let sim = start(SimConfig {
        session_start_limit: limit,
        identify_window: Duration::from_millis(400),
        ..quiet_heartbeat()
    })
    .await;
    let mut first = Raw::connect(sim.gateway_url()).await;
    first.ready(ALL_WE_USE, [0, 2]).await;
    let mut second = Raw::connect(sim.gateway_url()).await;
    second.identify(ALL_WE_USE, [1, 2]).await;
    assert_eq!(
        second.payload().await,
        json!({"op": 9, "d": false, "s": null, "t": null})
    );
    assert_eq!(sim.control().session_start_limit().remaining, 9);
    tokio::time::sleep(Duration::from_millis(400)).await;
    second.ready(ALL_WE_USE, [1, 2]).await;
    let outcomes: Vec<IdentifyOutcome> = sim
        .control()
        .identifies()
        .into_iter()
        .map(|i| i.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            IdentifyOutcome::Ready,
            IdentifyOutcome::ConcurrencyLimited,
            IdentifyOutcome::Ready
        ]
    );
    assert_eq!(sim.control().session_start_limit().remaining, 8);
}

#[tokio::test]
async fn overspending_the_identify_budget_ends_every_session_and_resets_the_token() {
    let limit = SessionStartLimit {
        total: 5,
        remaining: 1,
        reset_after: Duration::from_secs(3600),
        max_concurrency: 16,
    };
    let sim = start(SimConfig {
        session_start_limit: limit,
        ..quiet_heartbeat()
    })
    .await;
    let control = sim.control();
    let mut holder = Raw::connect(sim.gateway_url()).await;
    holder.ready(ALL_WE_USE, [0, 2]).await;
    let mut spender = Raw::connect(sim.gateway_url()).await;
    spender.identify(ALL_WE_USE, [1, 2]).await;
    assert_eq!(spender.closed().await, Some(4004));
    assert_eq!(holder.closed().await, Some(4004));
    assert!(control.token_revoked());
    assert_eq!(
        control.identifies()[1].outcome,
        IdentifyOutcome::BudgetExhausted
    );
    let rest = reqwest::Client::new()
        .get(format!("{}/gateway/bot", sim.api_base()))
        .header("authorization", "Bot sim-bot-token")
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 401);

    control.set_session_start_remaining(5);
    let mut after = Raw::connect(sim.gateway_url()).await;
    after.ready(ALL_WE_USE, [0, 1]).await;
}

#[tokio::test]
async fn reconnect_is_sent_and_later_events_wait_for_the_resume() {
    let sim = start(quiet_heartbeat()).await;
    let control = sim.control();
    let mut raw = Raw::connect(sim.gateway_url()).await;
    let session = raw.ready(ALL_WE_USE, [0, 1]).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    raw.dispatch("GUILD_CREATE").await;
    assert_eq!(control.send_reconnect(0), 1);
    assert_eq!(
        raw.payload().await,
        json!({"op": 7, "d": null, "s": null, "t": null})
    );
    control
        .post_message(ids::I_SHIPPED, ids::ALICE, "during the reconnect")
        .unwrap();
    assert!(raw.silent_for(Duration::from_millis(200)).await);
    raw.ws
        .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: 4000u16.into(),
            reason: "reconnect".into(),
        }))
        .await
        .unwrap();
    let mut fresh = Raw::connect(sim.resume_gateway_url()).await;
    fresh.resume(&session, 2).await;
    assert_eq!(
        fresh.payload().await["d"]["content"],
        "during the reconnect"
    );
    assert_eq!(fresh.payload().await["t"], "RESUMED");
}

#[tokio::test]
async fn invalid_session_true_keeps_the_session_and_false_ends_it() {
    let sim = start(quiet_heartbeat()).await;
    let control = sim.control();
    let mut raw = Raw::connect(sim.gateway_url()).await;
    let session = raw.ready(ALL_WE_USE, [0, 1]).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(control.send_invalid_session(0, true), 1);
    assert_eq!(raw.dispatch_or_ack().await, 9);
    drop(raw);
    let mut resumed = Raw::connect(sim.resume_gateway_url()).await;
    resumed.resume(&session, 2).await;
    resumed.dispatch("RESUMED").await;

    assert_eq!(control.send_invalid_session(0, false), 1);
    assert_eq!(
        resumed.payload().await,
        json!({"op": 9, "d": false, "s": null, "t": null})
    );
    drop(resumed);
    let mut refused = Raw::connect(sim.resume_gateway_url()).await;
    refused.resume(&session, 3).await;
    assert_eq!(refused.payload().await["op"], 9);
}

#[tokio::test]
async fn scripted_closes_drops_and_heartbeat_requests_reach_the_shards_connection() {
    let sim = start(quiet_heartbeat()).await;
    let control = sim.control();
    let mut raw = Raw::connect(sim.gateway_url()).await;
    let session = raw.ready(ALL_WE_USE, [0, 1]).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    raw.dispatch("GUILD_CREATE").await;
    assert_eq!(control.request_heartbeat(0), 1);
    assert_eq!(raw.payload().await["op"], 1);
    assert_eq!(control.request_heartbeat(3), 0, "no connection on shard 3");

    assert_eq!(control.drop_tcp(0), 1);
    assert_eq!(raw.closed().await, None);
    let mut resumed = Raw::connect(sim.resume_gateway_url()).await;
    resumed.resume(&session, 2).await;
    resumed.dispatch("RESUMED").await;

    assert_eq!(control.close(0, 4009), 1);
    assert_eq!(resumed.closed().await, Some(4009));
    control
        .wait_until(|c| c.live_connections().is_empty(), WAIT)
        .await
        .unwrap();
    let mut refused = Raw::connect(sim.resume_gateway_url()).await;
    refused.resume(&session, 3).await;
    assert_eq!(refused.payload().await["op"], 9, "4009 ends the session");
    let sent: Vec<(Closer, Option<u16>)> = control
        .closes_sent()
        .into_iter()
        .map(|c| (c.by, c.code))
        .collect();
    assert_eq!(sent, [(Closer::Sim, None), (Closer::Sim, Some(4009))]);
}

#[tokio::test]
async fn a_restart_drops_every_connection_and_keeps_or_forgets_sessions() {
    let sim = start(quiet_heartbeat()).await;
    let control = sim.control();
    let mut raw = Raw::connect(sim.gateway_url()).await;
    let session = raw.ready(ALL_WE_USE, [0, 1]).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    control.restart(true);
    assert_eq!(raw.closed().await, None);
    let mut kept = Raw::connect(sim.resume_gateway_url()).await;
    kept.resume(&session, 1).await;
    kept.dispatch("RESUMED").await;
    control.restart(false);
    assert_eq!(kept.closed().await, None);
    let mut forgotten = Raw::connect(sim.resume_gateway_url()).await;
    forgotten.resume(&session, 2).await;
    assert_eq!(forgotten.payload().await["op"], 9);
}

#[tokio::test]
async fn a_second_resume_of_a_live_session_takes_it_over_and_is_recorded() {
    let sim = start(quiet_heartbeat()).await;
    let mut first = Raw::connect(sim.gateway_url()).await;
    let session = first.ready(ALL_WE_USE, [0, 1]).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut second = Raw::connect(sim.resume_gateway_url()).await;
    second.resume(&session, 1).await;
    second.dispatch("RESUMED").await;
    assert_eq!(first.closed().await, Some(4000));
    assert!(sim.control().resumes()[0].took_over);
}

#[tokio::test]
async fn outages_refuse_upgrades_on_the_main_or_resume_url() {
    let sim = start(quiet_heartbeat()).await;
    let control = sim.control();
    control.refuse_gateway(true);
    assert!(
        connect_async(format!("{}/?v=10&encoding=json", sim.gateway_url()))
            .await
            .is_err()
    );
    Raw::connect(sim.resume_gateway_url()).await;
    control.refuse_gateway(false);
    control.refuse_resume_url(true);
    assert!(
        connect_async(format!("{}/?v=10&encoding=json", sim.resume_gateway_url()))
            .await
            .is_err()
    );
    Raw::connect(sim.gateway_url()).await;
    let refused: Vec<(Endpoint, bool)> = control
        .connections()
        .into_iter()
        .map(|c| (c.endpoint, c.refused))
        .collect();
    assert_eq!(
        refused,
        [
            (Endpoint::Main, true),
            (Endpoint::Resume, false),
            (Endpoint::Resume, true),
            (Endpoint::Main, false)
        ]
    );
}

#[tokio::test]
async fn zlib_stream_compresses_every_payload_in_one_context_ending_with_the_sync_flush() {
    let mut config = quiet_heartbeat();
    config.guilds[0].filler_channels = 3000;
    let sim = start(config).await;
    let mut raw = Raw::open(sim.gateway_url(), "v=10&encoding=json&compress=zlib-stream").await;
    assert_eq!(raw.payload().await["op"], 10);
    raw.ready(ALL_WE_USE, [0, 1]).await;
    let guild_create = raw.dispatch("GUILD_CREATE").await;
    assert!(
        guild_create.to_string().len() > 500_000,
        "a large GUILD_CREATE"
    );
    assert_eq!(
        guild_create["d"]["channels"].as_array().unwrap().len(),
        3003
    );
    sim.control()
        .post_message(ids::I_SHIPPED, ids::ALICE, "compressed")
        .unwrap();
    assert_eq!(
        raw.dispatch("MESSAGE_CREATE").await["d"]["content"],
        "compressed"
    );
    assert!(raw.suffixes_ok && raw.mirror_ok);
    assert!(sim.control().connections()[0].compressed);
}

#[tokio::test]
async fn a_stream_delivers_every_message_in_order_with_the_promised_mix() {
    let sim = start(quiet_heartbeat()).await;
    let mut raw = Raw::connect(sim.gateway_url()).await;
    raw.ready(ALL_WE_USE, [0, 1]).await;
    raw.dispatch("GUILD_CREATE").await;
    let summary = sim
        .control()
        .stream_messages(ids::I_SHIPPED, 2000, StreamMix::default())
        .unwrap();
    assert_eq!(
        (summary.count, summary.launches, summary.bot_messages),
        (2000, 200, 100)
    );
    for seq in 3..2003 {
        let event = raw.dispatch("MESSAGE_CREATE").await;
        assert_eq!(event["s"].as_u64(), Some(seq));
    }
}

/// A dispatch with what differs between two posts of the same stream message taken out: the
/// message's id and the timestamp made from it.
fn without_ids(mut payload: Value) -> Value {
    let data = payload["d"].as_object_mut().unwrap();
    data.remove("id");
    data.remove("timestamp");
    payload
}

/// Streams `count` messages, then prepares and releases as many on the same connection: the
/// burst must wait for its release and then arrive as the stream did (same payloads but for the
/// ids, the sequence numbers following on), in the bytes a resume replays from the session.
async fn a_prepared_burst_is_sent_on_release_as_a_stream_is(query: &str) {
    const COUNT: u64 = 600;
    let sim = start(quiet_heartbeat()).await;
    let control = sim.control();
    let mut raw = Raw::open(sim.gateway_url(), query).await;
    assert_eq!(raw.payload().await["op"], 10);
    let session = raw.ready(ALL_WE_USE, [0, 1]).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    raw.dispatch("GUILD_CREATE").await;

    let streamed_summary = control
        .stream_messages(ids::I_SHIPPED, COUNT, StreamMix::default())
        .unwrap();
    let mut streamed = Vec::new();
    for _ in 0..COUNT {
        streamed.push(raw.dispatch("MESSAGE_CREATE").await);
    }

    let burst = control
        .prepare_messages(ids::I_SHIPPED, COUNT, StreamMix::default())
        .await
        .unwrap();
    let summary = burst.summary().clone();
    assert_eq!(
        (summary.count, summary.launches, summary.bot_messages),
        (
            streamed_summary.count,
            streamed_summary.launches,
            streamed_summary.bot_messages
        )
    );
    assert!(
        raw.silent_for(Duration::from_millis(300)).await,
        "nothing is written before the release"
    );
    assert_eq!(burst.release(), 1);
    let mut released_texts = Vec::new();
    for (i, stream_event) in streamed.into_iter().enumerate() {
        let event = raw.payload().await;
        let seq = 3 + COUNT + i as u64;
        assert_eq!(
            (event["t"].as_str(), event["s"].as_u64()),
            (Some("MESSAGE_CREATE"), Some(seq))
        );
        let is_launch = |summary: &StreamSummary, event: &Value| {
            let id = event["d"]["id"].as_str().unwrap().to_owned();
            summary.launch_ids.contains(&id)
        };
        assert_eq!(
            is_launch(&summary, &event),
            is_launch(&streamed_summary, &stream_event)
        );
        let mut expected = without_ids(stream_event);
        expected["s"] = json!(seq);
        assert_eq!(without_ids(event), expected);
        released_texts.push(raw.last_text.clone());
    }
    assert!(raw.suffixes_ok && raw.mirror_ok);

    let mut resumed = Raw::connect(sim.resume_gateway_url()).await;
    resumed.resume(&session, 2 + COUNT).await;
    for text in &released_texts {
        resumed.payload().await;
        assert_eq!(&resumed.last_text, text, "the bytes the session replays");
    }
    assert_eq!(resumed.payload().await["t"], "RESUMED");
}

#[tokio::test]
async fn a_prepared_burst_is_sent_on_release_as_a_stream_is_in_plain_json() {
    a_prepared_burst_is_sent_on_release_as_a_stream_is("v=10&encoding=json").await;
}

#[tokio::test]
async fn a_prepared_burst_is_sent_on_release_as_a_stream_is_in_zlib_stream() {
    a_prepared_burst_is_sent_on_release_as_a_stream_is("v=10&encoding=json&compress=zlib-stream")
        .await;
}

#[tokio::test]
async fn what_is_encoded_while_a_burst_is_held_follows_it_in_order_in_one_zlib_stream() {
    let sim = start(quiet_heartbeat()).await;
    let control = sim.control();
    let mut raw = Raw::open(sim.gateway_url(), "v=10&encoding=json&compress=zlib-stream").await;
    assert_eq!(raw.payload().await["op"], 10);
    raw.ready(ALL_WE_USE, [0, 1]).await;
    raw.dispatch("GUILD_CREATE").await;

    let burst = control
        .prepare_messages(ids::I_SHIPPED, 300, StreamMix::default())
        .await
        .unwrap();
    raw.send(json!({"op": 1, "d": 2})).await;
    assert!(
        raw.silent_for(Duration::from_millis(300)).await,
        "the ACK waits behind the burst"
    );
    assert_eq!(control.heartbeats().len(), 1);
    control
        .post_message(ids::I_SHIPPED, ids::ALICE, "posted during the hold")
        .unwrap();
    assert_eq!(control.request_heartbeat(0), 1);
    assert!(raw.silent_for(Duration::from_millis(100)).await);
    drop(burst);

    for seq in 3..303 {
        let event = raw.payload().await;
        assert_eq!(
            (event["t"].as_str(), event["s"].as_u64()),
            (Some("MESSAGE_CREATE"), Some(seq))
        );
    }
    assert_eq!(raw.payload().await["op"], 11, "then the held ACK");
    let posted = raw.payload().await;
    assert_eq!(
        (posted["s"].as_u64(), posted["d"]["content"].as_str()),
        (Some(303), Some("posted during the hold"))
    );
    assert_eq!(
        raw.payload().await["op"],
        1,
        "then the sim's heartbeat request"
    );
    raw.send(json!({"op": 1, "d": 303})).await;
    assert_eq!(raw.payload().await["op"], 11, "nothing held any more");
    assert!(raw.suffixes_ok && raw.mirror_ok);
}

#[tokio::test]
async fn unsupported_encodings_and_compressions_are_refused_at_the_upgrade() {
    let sim = start(quiet_heartbeat()).await;
    assert!(
        connect_async(format!("{}/?v=10&encoding=etf", sim.gateway_url()))
            .await
            .is_err()
    );
    assert!(
        connect_async(format!(
            "{}/?v=10&encoding=json&compress=zstd-stream",
            sim.gateway_url()
        ))
        .await
        .is_err()
    );
    Raw::open(
        sim.gateway_url().trim_end_matches('/'),
        "v=10&encoding=json",
    )
    .await;
}
