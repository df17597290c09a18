//! An independent client, `twilight-gateway`'s `Shard`, against the simulator: it connects,
//! identifies, receives dispatches, and resumes after op 7, a dropped connection and a zombied
//! one. twilight-gateway picks its transport compression at compile time, so these tests run
//! twice: `cargo test -p shiptrack-testkit --test discord_sim_twilight` (plain JSON) and again
//! with `--features twilight-zlib` (zlib-stream); each run checks it used the one it was built for.
use std::time::Duration;

use shiptrack_testkit::discord_sim::{
    DiscordSim, Endpoint, IdentifyOutcome, ResumeOutcome, RunningSim, SimConfig, ids,
};
use tokio::sync::mpsc;
use twilight_gateway::{
    ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt as _,
};

const COMPRESSED: bool = cfg!(feature = "twilight-zlib");
const WAIT: Duration = Duration::from_secs(10);

async fn start(config: SimConfig) -> RunningSim {
    DiscordSim::start(config).await.unwrap()
}

/// A twilight shard polled in its own task (a shard only heartbeats while polled); its events
/// come out of the returned channel.
fn shard(sim: &RunningSim) -> Events {
    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
    let config = ConfigBuilder::new(sim.bot_token().to_owned(), intents)
        .proxy_url(sim.gateway_url().to_owned())
        .build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        while let Some(event) = shard.next_event(EventTypeFlags::all()).await {
            let event = event.map_err(|error| error.to_string());
            if tx.send(event).is_err() {
                return;
            }
        }
    });
    Events { rx, task }
}

struct Events {
    rx: mpsc::UnboundedReceiver<Result<Event, String>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Events {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The next event `wanted` returns something for, skipping the rest.
async fn next_matching<T>(events: &mut Events, mut wanted: impl FnMut(Event) -> Option<T>) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.rx.recv().await {
                Some(Ok(event)) => {
                    if let Some(found) = wanted(event) {
                        return found;
                    }
                }
                Some(Err(error)) => panic!("twilight could not read the simulator: {error}"),
                None => panic!("the shard stopped"),
            }
        }
    })
    .await
    .expect("the awaited event arrived in time")
}

async fn ready(shard: &mut Events) -> twilight_model::gateway::payload::incoming::Ready {
    next_matching(shard, |e| {
        if let Event::Ready(ready) = e {
            Some(ready)
        } else {
            None
        }
    })
    .await
}

async fn message_content(shard: &mut Events) -> String {
    next_matching(shard, |e| {
        if let Event::MessageCreate(message) = e {
            Some(message.content.clone())
        } else {
            None
        }
    })
    .await
}

async fn resumed(shard: &mut Events) {
    next_matching(shard, |e| matches!(e, Event::Resumed).then_some(())).await;
}

#[tokio::test]
async fn twilight_identifies_receives_big_guilds_and_message_create() {
    let mut config = SimConfig {
        heartbeat_interval: Duration::from_secs(5),
        ..SimConfig::default()
    };
    config.guilds[0].filler_channels = 2000;
    config.guilds[0].filler_members = 2000;
    let sim = start(config).await;
    let mut shard = shard(&sim);
    let ready = ready(&mut shard).await;
    assert_eq!(ready.resume_gateway_url, sim.resume_gateway_url());
    let guild = next_matching(&mut shard, |e| {
        if let Event::GuildCreate(g) = e {
            Some(g)
        } else {
            None
        }
    })
    .await;
    assert_eq!(guild.id().get(), ids::GUILD);
    sim.control()
        .post_message(
            ids::I_SHIPPED,
            ids::ALICE,
            "Just shipped rivet https://rivet.dev",
        )
        .unwrap();
    assert_eq!(
        message_content(&mut shard).await,
        "Just shipped rivet https://rivet.dev"
    );

    let identifies = sim.control().identifies();
    assert_eq!(identifies.len(), 1);
    assert_eq!(identifies[0].outcome, IdentifyOutcome::Ready);
    assert_eq!(sim.control().connections()[0].compressed, COMPRESSED);
}

#[tokio::test]
async fn twilight_resumes_after_op_7_and_gets_what_was_sent_meanwhile() {
    let sim = start(SimConfig {
        heartbeat_interval: Duration::from_secs(5),
        ..SimConfig::default()
    })
    .await;
    let control = sim.control();
    let mut shard = shard(&sim);
    ready(&mut shard).await;
    assert_eq!(control.send_reconnect(0), 1);
    control
        .post_message(
            ids::I_SHIPPED,
            ids::BOB,
            "launched during op 7 https://b.dev",
        )
        .unwrap();
    assert_eq!(
        message_content(&mut shard).await,
        "launched during op 7 https://b.dev"
    );
    resumed(&mut shard).await;

    let resumes = control.resumes();
    assert_eq!(resumes.len(), 1);
    assert_eq!(resumes[0].outcome, ResumeOutcome::Resumed { replayed: 1 });
    assert!(resumes[0].via_resume_url);
    assert_eq!(
        control.identifies().len(),
        1,
        "a resume, not a second identify"
    );
    assert!(
        control
            .connections()
            .iter()
            .all(|c| c.compressed == COMPRESSED)
    );
}

#[tokio::test]
async fn twilight_resumes_after_a_dropped_connection() {
    let sim = start(SimConfig {
        heartbeat_interval: Duration::from_secs(5),
        ..SimConfig::default()
    })
    .await;
    let control = sim.control();
    let mut shard = shard(&sim);
    ready(&mut shard).await;
    control
        .post_message(ids::I_SHIPPED, ids::ALICE, "before")
        .unwrap();
    assert_eq!(message_content(&mut shard).await, "before");
    assert_eq!(control.drop_tcp(0), 1);
    control
        .post_message(ids::I_SHIPPED, ids::CAROL, "while it was gone")
        .unwrap();
    assert_eq!(message_content(&mut shard).await, "while it was gone");
    resumed(&mut shard).await;
    assert_eq!(
        control.resumes()[0].outcome,
        ResumeOutcome::Resumed { replayed: 1 }
    );
    assert_eq!(
        control.connections().last().map(|c| c.endpoint),
        Some(Endpoint::Resume)
    );
    assert_eq!(control.identifies().len(), 1);
}

#[tokio::test]
async fn twilight_notices_a_zombie_connection_and_resumes() {
    let sim = start(SimConfig {
        heartbeat_interval: Duration::from_millis(400),
        ..SimConfig::default()
    })
    .await;
    let control = sim.control();
    let mut shard = shard(&sim);
    ready(&mut shard).await;
    control
        .wait_until(|c| c.heartbeats().iter().any(|h| h.acked), WAIT)
        .await
        .unwrap();
    assert_eq!(control.set_zombie(0, true), 1);
    control
        .post_message(ids::I_SHIPPED, ids::ALICE, "sent to a zombie")
        .unwrap();
    assert_eq!(message_content(&mut shard).await, "sent to a zombie");
    resumed(&mut shard).await;
    // twilight drops a zombied connection without a close frame; either way the session survives.
    let closed = control.close_codes_received();
    assert_eq!(closed.len(), 1);
    assert!(!matches!(closed[0].code, Some(1000 | 1001)), "{closed:?}");
    assert!(control.heartbeats().iter().any(|h| !h.acked));
}
