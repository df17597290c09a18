//! One shard's life in this process: wait for its lease (as a standby while another process
//! holds it), pick up its stored session, apply what a previous process left in the spool,
//! queue the 🚀 reactions its launches are still owed, then run the connection, the pump,
//! the processor and the lease renewal together — and wind them down in order when the lease
//! is lost, the spool fails, Discord ends the session fatally, or the process is asked to
//! stop.
//!
//! Winding down always goes the same way: stop the connection first (it closes with 4000,
//! so the session stays resumable), let the pump move what it received into the queue, let
//! the processor store it, save the session, and only then let the lease go.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::{SpoolConfig, Timings};
use crate::db::connect::Database;
use crate::gateway::{self, Compression, FatalError, IdentifyQueue, ShardConfig, ShardId, Token};
use crate::launches::{Effect, LaunchReader, LaunchRules};
use crate::lease;
use crate::metrics::ShardSlot;
use crate::pipeline::{self, Applier, Entry, Processed, Queue};
use crate::reactions::Reactions;
use crate::sessions::{self, Progress};
use crate::spool::{self, Spool};
use crate::store;

/// After a shutdown request, how long the processor may keep storing what is queued before
/// the rest is written to the spool file for the next process.
const DRAIN_GRACE: Duration = Duration::from_secs(8);
/// Bound on each start-up step against the database.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause before taking the shard again after a tenure failed to start.
const RETRY_PAUSE: Duration = Duration::from_secs(2);

/// What every shard of the process shares.
#[derive(Clone)]
pub struct Shared {
    pub token: Token,
    pub gateway_url: String,
    pub compression: Compression,
    pub identify_queue: Arc<dyn IdentifyQueue>,
    pub timings: Timings,
    pub spool: SpoolConfig,
    pub holder: String,
    pub database: Arc<Database>,
    pub rules: watch::Receiver<Arc<LaunchRules>>,
    pub reactions: Reactions,
}

/// How one tenure (one holding of the lease) ended.
enum TenureEnd {
    Shutdown,
    LeaseLost,
    Fatal(FatalError),
    /// Could not start or keep the pipeline; try again after a pause.
    Failed(String),
}

/// Runs the shard whenever this process holds its lease, until shutdown or a fatal close.
pub async fn supervise(
    shared: Shared,
    slot: Arc<ShardSlot>,
    shutdown: CancellationToken,
) -> Result<(), FatalError> {
    let shard = slot.shard;
    let mut progress: Option<Progress> = None;
    loop {
        let Some(renewed_at) = lease::acquire(
            &shared.database,
            shard,
            &shared.holder,
            &shared.timings,
            &shutdown,
        )
        .await
        else {
            return Ok(());
        };
        slot.set_holding(true);
        let end = tenure(&shared, &slot, renewed_at, &mut progress, &shutdown).await;
        slot.set_holding(false);
        match end {
            TenureEnd::Shutdown => {
                lease::release(&shared.database, shard, &shared.holder, STEP_TIMEOUT).await;
                return Ok(());
            }
            TenureEnd::Fatal(error) => {
                lease::release(&shared.database, shard, &shared.holder, STEP_TIMEOUT).await;
                return Err(error);
            }
            TenureEnd::LeaseLost => {
                tracing::warn!(%shard, "stopped the shard after losing its lease; standing by")
            }
            TenureEnd::Failed(reason) => {
                tracing::warn!(%shard, %reason, "the shard could not run; trying again shortly");
                tokio::select! {
                    () = shutdown.cancelled() => {
                        lease::release(&shared.database, shard, &shared.holder, STEP_TIMEOUT).await;
                        return Ok(());
                    }
                    () = tokio::time::sleep(RETRY_PAUSE) => {}
                }
            }
        }
    }
}

fn spool_path(dir: &std::path::Path, shard: ShardId) -> PathBuf {
    dir.join(format!("shard-{}-of-{}.jsonl", shard.number, shard.total))
}

/// Queues the 🚀 this shard's launches are still owed: a process killed between a launch's
/// commit and its reaction, a Discord that kept failing, a holder that died before a standby
/// took over. A failure is logged and left for the next tenure; the shard runs regardless.
async fn sweep_owed_reactions(shared: &Shared, shard: ShardId) {
    let swept = shared
        .reactions
        .sweep(&shared.database, shard, lease::now_ms());
    match tokio::time::timeout(STEP_TIMEOUT, swept).await {
        Ok(Ok(0)) => {}
        Ok(Ok(count)) => {
            tracing::info!(%shard, count, "queued the 🚀 still owed to launches logged earlier")
        }
        Ok(Err(error)) => {
            tracing::warn!(%shard, error = %format!("{error:#}"), "could not look for launches still owed a 🚀; the next tenure looks again")
        }
        Err(_) => {
            tracing::warn!(%shard, "looking for launches still owed a 🚀 timed out; the next tenure looks again")
        }
    }
}

async fn tenure(
    shared: &Shared,
    slot: &Arc<ShardSlot>,
    renewed_at: Instant,
    previous: &mut Option<Progress>,
    shutdown: &CancellationToken,
) -> TenureEnd {
    let shard = slot.shard;
    let mut applier = Applier::new(
        shard,
        shared.database.clone(),
        shared.reactions.clone(),
        slot.clone(),
    );

    // Where to pick up: this process's own progress, or the stored session.
    let stored = shared
        .database
        .call_on_new_connection(move |conn| async move {
            store::gateway::load_session(&conn, shard).await
        });
    let stored = match tokio::time::timeout(STEP_TIMEOUT, stored).await {
        Ok(Ok(stored)) => stored,
        Ok(Err(error)) => {
            return TenureEnd::Failed(format!("loading the stored session: {error:#}"));
        }
        Err(_) => return TenureEnd::Failed("loading the stored session timed out".to_owned()),
    };
    let mut progress = sessions::pick_up(previous.take(), stored, lease::now_ms());

    // Events a previous process spooled but never stored. Their sequence numbers belong to
    // that process's connection, so only their effects are applied.
    let path = spool_path(&shared.spool.dir, shard);
    let leftovers = match spool::leftovers::<Entry>(&path) {
        Ok(leftovers) => leftovers,
        Err(error) => return TenureEnd::Failed(error.to_string()),
    };
    if !leftovers.is_empty() {
        tracing::info!(%shard, entries = leftovers.len(), "applying events a previous process left in the spool");
    }
    let effects: Vec<Effect> = leftovers
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::Event { effect, .. } => Some(effect),
            Entry::Session(_) => None,
        })
        .collect();
    for run in effects.chunks(pipeline::MAX_RUN) {
        if applier.apply(run.into(), shutdown).await.is_none() {
            *previous = Some(progress);
            return TenureEnd::Shutdown;
        }
    }
    sweep_owed_reactions(shared, shard).await;
    let queue = match Spool::create(&path, shared.spool.memory_events) {
        Ok(spool) => Queue::new(spool),
        Err(error) => return TenureEnd::Failed(error.to_string()),
    };

    let mut config = ShardConfig::new(
        shared.token.clone(),
        shared.gateway_url.clone(),
        shard,
        shared.identify_queue.clone(),
    );
    config.compression = shared.compression;
    config.initial_session = progress.current().cloned();
    match &config.initial_session {
        Some(session) => {
            tracing::info!(%shard, sequence = session.sequence, "resuming the stored session")
        }
        None => tracing::info!(%shard, "no session to resume; identifying"),
    }

    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let stop_connection = CancellationToken::new();
    let lease_lost = CancellationToken::new();
    let pump_failed = CancellationToken::new();
    let connection_ended = CancellationToken::new();
    let processor_done = CancellationToken::new();
    let abort_processor = CancellationToken::new();

    let connection = async {
        let result = gateway::run_shard(
            config,
            LaunchReader::new(shared.rules.clone()),
            events_tx,
            slot.status.clone(),
            stop_connection.clone(),
        )
        .await;
        connection_ended.cancel();
        result
    };
    let pump = async {
        let result = pipeline::pump(events_rx, &queue, slot).await;
        if let Err(error) = &result {
            tracing::error!(%shard, %error, "cannot keep events; stopping the shard so they are replayed later");
            pump_failed.cancel();
        }
        result
    };
    let processor = async {
        let outcome = pipeline::process(
            &queue,
            &mut applier,
            &mut progress,
            &shared.holder,
            shared.timings.session_save,
            &lease_lost,
            &abort_processor,
        )
        .await;
        processor_done.cancel();
        outcome
    };
    let keeper = async {
        // Renewal goes on while the processor stores what is queued, so its final session
        // save is still covered by the lease.
        lease::keep(
            &shared.database,
            shard,
            &shared.holder,
            &shared.timings,
            renewed_at,
            &lease_lost,
            &processor_done,
        )
        .await;
    };
    let conductor = async {
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = lease_lost.cancelled() => {}
            () = pump_failed.cancelled() => {}
            () = connection_ended.cancelled() => {}
            // Only if the spool cannot be read back: nothing would store what arrives.
            () = processor_done.cancelled() => {}
        }
        stop_connection.cancel();
        // Storing what is queued may wait on the database; a shutdown gives it a grace period.
        tokio::select! {
            () = processor_done.cancelled() => {}
            () = async {
                shutdown.cancelled().await;
                tokio::time::sleep(DRAIN_GRACE).await;
            } => abort_processor.cancel(),
        }
    };

    let (connection, pump, processed, (), ()) =
        tokio::join!(connection, pump, processor, keeper, conductor);

    if processed == Processed::Aborted {
        match queue.into_spool().persist() {
            Ok(0) => {}
            Ok(count) => {
                tracing::warn!(%shard, count, path = %path.display(), "queued events could not all reach the database; kept them in the spool file for the next start")
            }
            Err(error) => {
                tracing::error!(%shard, %error, "could not write the remaining events to the spool file; the next start resumes from the stored sequence")
            }
        }
    }
    *previous = Some(progress);

    match connection {
        Err(fatal) => TenureEnd::Fatal(fatal),
        Ok(_) if shutdown.is_cancelled() => TenureEnd::Shutdown,
        Ok(_) if lease_lost.is_cancelled() => TenureEnd::LeaseLost,
        Ok(_) => TenureEnd::Failed(match pump {
            Err(error) => error.to_string(),
            Ok(()) if processed == Processed::Aborted => {
                "the spool could not be read back".to_owned()
            }
            Ok(()) => "the connection stopped on its own".to_owned(),
        }),
    }
}
