//! `gateway-worker run` (the default): reads the configuration, asks Discord where to
//! connect, and runs every configured shard (each behind its lease) with the health
//! endpoint beside them, until SIGTERM/SIGINT or a fatal gateway close.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use twilight_model::gateway::connection_info::BotConnectionInfo;

use crate::backoff::Backoff;
use crate::config::WorkerConfig;
use crate::db::connect::Database;
use crate::gateway::{HttpIdentifyQueue, IdentifyQueue, LocalIdentifyQueue};
use crate::launches::{self, LaunchRules};
use crate::metrics::{Registry, ShardSlot};
use crate::reactions::Reactions;
use crate::rest::{RestClient, RestError, RetryPolicy};
use crate::supervisor::{self, Shared};
use crate::{health, lease, shutdown};

/// How long reactions already promised may take to go out on shutdown.
const REACTIONS_GRACE: Duration = Duration::from_secs(5);

pub async fn main() -> anyhow::Result<ExitCode> {
    let config = WorkerConfig::from_env().map_err(super::BadConfiguration::new)?;
    let shutdown = shutdown::listen().context("listening for SIGTERM and SIGINT")?;
    let health_listener = health::bind(config.health_addr).await?;
    let database = Arc::new(Database::open(&config.database).await?);
    let rest = Arc::new(RestClient::new(
        &config.api_base,
        &config.token,
        RetryPolicy::default(),
    )?);

    let Some(gateway) = gateway_bot(&rest, &shutdown).await? else {
        return Ok(ExitCode::SUCCESS);
    };
    let shards = config.shards.shards(gateway.shards);
    let identify_queue: Arc<dyn IdentifyQueue> = match &config.gateway_queue_url {
        Some(url) => Arc::new(HttpIdentifyQueue::new(url.clone())),
        None => Arc::new(LocalIdentifyQueue::new(&gateway.session_start_limit)),
    };
    tracing::info!(
        shards = %shards.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
        database = database.location(),
        identifies_left = gateway.session_start_limit.remaining,
        "starting"
    );

    let (rules_tx, rules_rx) = watch::channel(Arc::new(LaunchRules::new(
        &config.ship_channels,
        config.ship_words.clone(),
    )));
    let (reactions, reactions_task) = Reactions::start(rest.clone(), database.clone());
    let slots: Vec<Arc<ShardSlot>> = shards
        .iter()
        .map(|shard| Arc::new(ShardSlot::new(*shard)))
        .collect();
    let rest_for_metrics = rest.clone();
    let registry = Arc::new(Registry {
        slots: slots.clone(),
        rest_rate_limits: Box::new(move || rest_for_metrics.rate_limit_hits()),
    });

    let stop_background = CancellationToken::new();
    let health_task = tokio::spawn(health::serve(
        health_listener,
        registry,
        stop_background.clone(),
    ));
    let rules_task = tokio::spawn(launches::keep_fresh(
        database.clone(),
        config.ship_channels.clone(),
        config.ship_words.clone(),
        rules_tx,
        stop_background.clone(),
    ));

    let shared = Shared {
        token: config.token.clone(),
        gateway_url: gateway.url,
        compression: config.compression,
        identify_queue,
        timings: config.timings,
        spool: config.spool.clone(),
        holder: lease::holder_id(),
        database,
        rules: rules_rx,
        reactions,
    };
    // A fatal close on one shard stops them all: the cause (a bad token, disallowed
    // intents) is the same for every shard, and a half-running bot hides it.
    let stop_shards = shutdown.child_token();
    let mut supervisors = JoinSet::new();
    for slot in slots {
        supervisors.spawn(supervisor::supervise(
            shared.clone(),
            slot,
            stop_shards.clone(),
        ));
    }
    drop(shared);
    let mut fatal = None;
    while let Some(joined) = supervisors.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::error!(%error, "stopping every shard");
                stop_shards.cancel();
                fatal.get_or_insert(error);
            }
            Err(panic) => {
                stop_shards.cancel();
                return Err(anyhow::anyhow!("a shard supervisor panicked: {panic}"));
            }
        }
    }

    if tokio::time::timeout(REACTIONS_GRACE, reactions_task)
        .await
        .is_err()
    {
        tracing::warn!(
            "some reactions were still waiting on Discord at exit; their launches are logged"
        );
    }
    stop_background.cancel();
    let _ = rules_task.await;
    health_task
        .await
        .context("the health endpoint task")?
        .context("serving HEALTH_ADDR")?;

    match fatal {
        Some(error) => {
            Err(anyhow::Error::new(error).context("Discord refused the gateway session"))
        }
        None => {
            tracing::info!("stopped cleanly; the stored sessions resume on the next start");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `GET /gateway/bot`, retried with backoff while Discord is unreachable or failing; a
/// refusal (a bad token) ends the start. `None` when a shutdown came first.
async fn gateway_bot(
    rest: &RestClient,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<BotConnectionInfo>> {
    let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    let mut failures = 0;
    loop {
        match rest.gateway_bot().await {
            Ok(info) => return Ok(Some(info)),
            Err(error @ (RestError::Refused { .. } | RestError::UnexpectedBody { .. })) => {
                return Err(error).context("asking Discord where to connect (GET /gateway/bot)");
            }
            Err(error) => {
                failures += 1;
                tracing::warn!(%error, "cannot ask Discord where to connect yet; retrying");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(None),
            () = tokio::time::sleep(backoff.delay(failures)) => {}
        }
    }
}
