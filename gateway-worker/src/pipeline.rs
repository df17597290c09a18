//! One shard's events, from the socket to the database, in order.
//!
//! The shard reads each dispatch into its [`Effect`] with the [`LaunchRules`] as it parses
//! the payload ([`crate::launches::LaunchReader`]). The *pump* takes each [`ShardEvent`] the
//! moment it arrives (the shard never waits for us) and queues it in the shard's [`Spool`]. The *processor* applies the queued entries in order, a run of them per
//! transaction, retrying the database with backoff for as long as it is down, and only then
//! moves the session's stored sequence past them. So the sequence a restart resumes from
//! never skips an event whose launch is not stored, and replayed events find their rows and
//! change nothing.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::db::connect::Database;
use crate::db::reused_connection::{Opening, ReusedConnection};
use crate::gateway::{ShardEvent, ShardId};
use crate::launches::Effect;
use crate::launches::record::{Recorded, Statements, record, record_run};
use crate::lease::now_ms;
use crate::metrics::ShardSlot;
use crate::reactions::Reactions;
use crate::sessions::{self, Progress, Saved, SessionRecord};
use crate::spool::{Spool, SpoolError};

/// How long one database call may take before it counts as failed and is retried.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(10);
/// Retries of a failing database write: quick at first, then every few seconds.
const DATABASE_BACKOFF: Backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
/// Most events stored in one transaction. A burst (a replay after a restart, the spool after
/// an outage) then costs one commit per run instead of one per launch.
pub const MAX_RUN: usize = 256;
/// After a commit, how long the processor lets the next run gather unless a full one is
/// waiting already: a burst is then stored in a few large transactions instead of one per
/// handful of events, while a launch after a quiet spell is stored at once.
const COMMIT_SPACING: Duration = Duration::from_millis(10);

/// One queued step of the shard's event stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    /// A READY: from here on the events belong to this new session.
    Session(SessionRecord),
    /// A dispatch with something to store.
    Event { sequence: u64, effect: Effect },
}

/// What the processor should do next.
enum Next {
    /// A new session, whose events follow.
    Start(SessionRecord),
    /// The oldest queued events (at most [`MAX_RUN`]), to store together.
    Store(Vec<(u64, Effect)>),
    /// Only events with nothing to store came since the last entry: the stored sequence
    /// can move up to here without a write.
    Skip(u64),
    Idle,
    Finished,
}

struct QueueState {
    spool: Spool<Entry>,
    /// The newest dispatch, when nothing to store came after the last queued entry.
    trailing_sequence: Option<u64>,
    /// The pump is done: once the spool is empty, so is the processor.
    closed: bool,
}

/// The spool shared by one shard's pump and processor.
pub struct Queue {
    state: Mutex<QueueState>,
    wake: Notify,
}

impl Queue {
    pub fn new(spool: Spool<Entry>) -> Self {
        Self {
            state: Mutex::new(QueueState {
                spool,
                trailing_sequence: None,
                closed: false,
            }),
            wake: Notify::new(),
        }
    }

    /// Holding the lock across a panic leaves the queue as it was, so it stays usable.
    fn state(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues what the pump decided for a batch of events, in order, under one lock and with
    /// one wake-up of the processor.
    fn accept(&self, steps: Vec<Step>, slot: &ShardSlot) -> Result<(), SpoolError> {
        let mut state = self.state();
        let mut result = Ok(());
        for step in steps {
            match step {
                Step::Queue(entry) => {
                    if let Err(error) = state.spool.push(entry) {
                        result = Err(error);
                        break;
                    }
                    state.trailing_sequence = None;
                }
                Step::Skip(sequence) => state.trailing_sequence = Some(sequence),
            }
        }
        slot.set_spool(state.spool.len(), state.spool.on_disk());
        drop(state);
        self.wake.notify_one();
        result
    }

    fn close(&self) {
        self.state().closed = true;
        self.wake.notify_one();
    }

    fn next(&self) -> Result<Next, SpoolError> {
        let mut state = self.state();
        let mut oldest = state.spool.peek()?.peekable();
        if let Some(Entry::Session(record)) = oldest.peek() {
            return Ok(Next::Start(record.clone()));
        }
        let run: Vec<(u64, Effect)> = oldest
            .map_while(|entry| match entry {
                Entry::Event { sequence, effect } => Some((*sequence, effect.clone())),
                Entry::Session(_) => None,
            })
            .take(MAX_RUN)
            .collect();
        if !run.is_empty() {
            return Ok(Next::Store(run));
        }
        if let Some(sequence) = state.trailing_sequence.take() {
            return Ok(Next::Skip(sequence));
        }
        Ok(if state.closed {
            Next::Finished
        } else {
            Next::Idle
        })
    }

    /// A full run is waiting, or nothing more will come: no reason to let the next run gather.
    fn holds_full_run(&self) -> bool {
        let state = self.state();
        state.closed || state.spool.len() >= MAX_RUN
    }

    /// Drops the `count` oldest entries, whose effects are stored.
    fn done(&self, count: usize, slot: &ShardSlot) {
        let mut state = self.state();
        for _ in 0..count {
            state.spool.pop();
        }
        slot.set_spool(state.spool.len(), state.spool.on_disk());
    }

    /// Gives the spool back, to persist what is left on shutdown.
    pub fn into_spool(self) -> Spool<Entry> {
        self.state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .spool
    }
}

/// What the pump decided for one event.
enum Step {
    Queue(Entry),
    /// Nothing to store: the stored sequence may pass this event.
    Skip(u64),
}

/// Most events the pump takes before handing them to the queue together.
const PUMP_BATCH: usize = 256;

/// Moves the shard's events into the queue until the shard stops sending. An error means
/// an event could not be kept (the spool file failed): the caller stops the shard, and the
/// event comes back with the replay after the stored sequence.
pub async fn pump(
    mut events: mpsc::UnboundedReceiver<ShardEvent<Effect>>,
    queue: &Queue,
    slot: &ShardSlot,
) -> Result<(), SpoolError> {
    let result = async {
        let mut batch = Vec::with_capacity(PUMP_BATCH);
        while events.recv_many(&mut batch, PUMP_BATCH).await > 0 {
            let steps = batch
                .drain(..)
                .filter_map(|event| step(event, slot))
                .collect();
            queue.accept(steps, slot)?;
        }
        Ok(())
    }
    .await;
    queue.close();
    result
}

fn step(event: ShardEvent<Effect>, slot: &ShardSlot) -> Option<Step> {
    match event {
        ShardEvent::Ready { shard, session } => {
            tracing::info!(%shard, session_id = %session.session_id, "new gateway session");
            Some(Step::Queue(Entry::Session(session.into())))
        }
        ShardEvent::Resumed { shard } => {
            tracing::info!(%shard, "gateway session resumed");
            None
        }
        ShardEvent::Disconnected { shard, reason } => {
            tracing::info!(%shard, %reason, "gateway connection ended");
            None
        }
        ShardEvent::Dispatch {
            shard,
            sequence,
            data,
        } => {
            slot.count_event_handled();
            match data {
                Ok(Effect::Nothing) => Some(Step::Skip(sequence)),
                Ok(effect) => Some(Step::Queue(Entry::Event { sequence, effect })),
                Err(unreadable) => {
                    tracing::warn!(%shard, sequence, event_type = %unreadable.event_type, error = %unreadable.error, "skipping a dispatch whose payload does not parse");
                    Some(Step::Skip(sequence))
                }
            }
        }
    }
}

/// Applies effects to the database, retrying until they are stored, and sends the
/// reactions for new launches.
pub struct Applier {
    shard: ShardId,
    connection: ReusedConnection,
    reactions: Reactions,
    slot: Arc<ShardSlot>,
}

impl Applier {
    pub fn new(
        shard: ShardId,
        database: Arc<Database>,
        reactions: Reactions,
        slot: Arc<ShardSlot>,
    ) -> Self {
        Self {
            shard,
            connection: ReusedConnection::new(database, Opening::ForEventWrites, DATABASE_TIMEOUT),
            reactions,
            slot,
        }
    }

    /// Stores `effects` in order — together, in one transaction, when there are several —
    /// however many attempts it takes; `None` only when `abort` is cancelled first, with
    /// nothing stored.
    pub async fn apply(
        &mut self,
        effects: Arc<[Effect]>,
        abort: &CancellationToken,
    ) -> Option<Vec<Recorded>> {
        let statements = if self.connection.database().is_local() {
            Statements::PreparedInsert
        } else {
            Statements::OneByOne
        };
        let mut failures = 0u32;
        loop {
            let (effects, reactions) = (effects.clone(), self.reactions.clone());
            let attempt = self
                .connection
                .call(|conn| async move {
                    let now = now_ms();
                    let recorded = if let [effect] = &effects[..] {
                        // One statement is atomic already, and over HTTP a transaction would
                        // cost two more round trips.
                        vec![record(&conn, effect, now).await?]
                    } else {
                        let transaction = conn.transaction().await?;
                        let recorded = record_run(&transaction, &effects, now, statements).await?;
                        transaction.commit().await?;
                        recorded
                    };
                    // Queued the moment the rows are committed, still on the thread that
                    // committed them, so the 🚀 follows at once. A process killed in between
                    // leaves the rows' reactions pending, and the next tenure's sweep sends them.
                    for outcome in &recorded {
                        if let Recorded::Logged { channel, message } = *outcome {
                            reactions.react(channel, message);
                        }
                    }
                    Ok(recorded)
                })
                .await;
            match attempt {
                Ok(recorded) => {
                    if failures > 0 {
                        tracing::info!(shard = %self.shard, failures, "the database is answering again");
                    }
                    for outcome in &recorded {
                        if let Recorded::Logged { channel, message } = *outcome {
                            self.slot.count_launch_logged();
                            tracing::info!(shard = %self.shard, channel_id = %channel, message_id = %message, "launch logged");
                        }
                    }
                    return Some(recorded);
                }
                Err(error) => {
                    failures += 1;
                    // The first failure, then one line in ten: an outage must not flood the log.
                    if failures == 1 || failures.is_multiple_of(10) {
                        tracing::warn!(shard = %self.shard, failures, error = %format!("{error:#}"), "could not store events; keeping them and retrying");
                    }
                    tokio::select! {
                        () = abort.cancelled() => return None,
                        () = tokio::time::sleep(DATABASE_BACKOFF.delay(failures)) => {}
                    }
                }
            }
        }
    }

    /// Saves the session if it changed; a failure is left for the next save.
    async fn save(&mut self, holder: &str, progress: &mut Progress) -> Option<Saved> {
        let shard = self.shard;
        let holder = holder.to_owned();
        let snapshot = progress.clone();
        let outcome = self
            .connection
            .call(|conn| async move {
                let mut snapshot = snapshot;
                let saved = sessions::save(&conn, shard, &holder, &mut snapshot, now_ms()).await?;
                Ok((saved, snapshot))
            })
            .await;
        match outcome {
            Ok((saved, snapshot)) => {
                *progress = snapshot;
                Some(saved)
            }
            Err(error) => {
                tracing::debug!(%shard, error = %format!("{error:#}"), "could not store the session yet");
                None
            }
        }
    }
}

/// How the processor ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Processed {
    /// Everything queued was stored and the session saved as far as the database allowed.
    Drained,
    /// `abort` came first: entries are left in the queue.
    Aborted,
}

/// Applies queued entries in order until the pump is done and the queue is empty, saving
/// the session every `save_every`. Cancels `lease_lost` when a save finds the lease gone.
pub async fn process(
    queue: &Queue,
    applier: &mut Applier,
    progress: &mut Progress,
    holder: &str,
    save_every: Duration,
    lease_lost: &CancellationToken,
    abort: &CancellationToken,
) -> Processed {
    let mut next_save = Instant::now() + save_every;
    let outcome = loop {
        let next = match queue.next() {
            Ok(next) => next,
            Err(error) => {
                tracing::error!(shard = %applier.shard, %error, "cannot read the spool back; stopping this shard's pipeline");
                break Processed::Aborted;
            }
        };
        match next {
            Next::Start(record) => {
                progress.started(record.into());
                queue.done(1, &applier.slot);
            }
            Next::Store(run) => {
                let (count, last_sequence) = (run.len(), run[run.len() - 1].0);
                let effects = run.into_iter().map(|(_, effect)| effect).collect();
                if applier.apply(effects, abort).await.is_none() {
                    break Processed::Aborted;
                }
                progress.stored_through(last_sequence);
                queue.done(count, &applier.slot);
                if !queue.holds_full_run() {
                    tokio::select! {
                        () = tokio::time::sleep(COMMIT_SPACING) => {}
                        () = abort.cancelled() => break Processed::Aborted,
                    }
                }
            }
            Next::Skip(sequence) => progress.stored_through(sequence),
            Next::Finished => break Processed::Drained,
            Next::Idle => {
                tokio::select! {
                    () = queue.wake.notified() => {}
                    () = tokio::time::sleep_until(next_save) => {}
                    () = abort.cancelled() => break Processed::Aborted,
                }
            }
        }
        if Instant::now() >= next_save {
            if applier.save(holder, progress).await == Some(Saved::LeaseLost) {
                lease_lost.cancel();
            }
            next_save = Instant::now() + save_every;
        }
    };
    if applier.save(holder, progress).await == Some(Saved::LeaseLost) {
        tracing::warn!(shard = %applier.shard, "the lease was gone before the final save; the next holder resumes from the last stored session");
    }
    outcome
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tokio::sync::watch;
    use twilight_model::id::Id;

    use super::*;
    use crate::db::config::DatabaseConfig;
    use crate::db::test_support::migrated_file_database;
    use crate::gateway::{DispatchReader, ResumeState, Token};
    use crate::launches::{LaunchReader, LaunchRules};
    use crate::rest::{RestClient, RetryPolicy};

    const SHARD: ShardId = ShardId {
        number: 0,
        total: 1,
    };

    fn rules() -> watch::Receiver<Arc<LaunchRules>> {
        let rules = LaunchRules::new(&BTreeSet::from([Id::new(100)]), Default::default());
        watch::channel(Arc::new(rules)).1
    }

    fn reactions(database: Arc<Database>) -> Reactions {
        // Nothing listens there: these tests count rows, not reactions.
        let rest = RestClient::new(
            "http://127.0.0.1:9",
            &Token::new("t"),
            RetryPolicy::default(),
        )
        .unwrap();
        Reactions::start(Arc::new(rest), database).0
    }

    fn session(sequence: u64) -> ResumeState {
        ResumeState {
            session_id: "s1".to_owned(),
            resume_gateway_url: "wss://resume".to_owned(),
            sequence,
        }
    }

    /// A dispatch as the shard hands it on, read by the worker's reader.
    fn dispatch(sequence: u64, event_type: &str, data: serde_json::Value) -> ShardEvent<Effect> {
        ShardEvent::Dispatch {
            shard: SHARD,
            sequence,
            data: Ok(LaunchReader::new(rules()).read(event_type, data).unwrap()),
        }
    }

    fn launch_message(id: u64) -> serde_json::Value {
        serde_json::json!({
            "id": id.to_string(), "channel_id": "100", "guild_id": "10",
            "author": {"id": "42", "username": "ada"},
            "content": "shipped https://ada.dev", "timestamp": "2026-11-02T10:15:30.000000+00:00"
        })
    }

    async fn database(url: &str) -> Arc<Database> {
        Arc::new(
            Database::open(&DatabaseConfig::parse(Some(url), None).unwrap())
                .await
                .unwrap(),
        )
    }

    /// Feeds `events` through a pump and a processor until the processor ends or `abort` fires.
    async fn run(
        database: Arc<Database>,
        spool: Spool<Entry>,
        events: Vec<ShardEvent<Effect>>,
        abort_after: Option<Duration>,
    ) -> (Processed, Progress, Queue, Arc<ShardSlot>) {
        let queue = Queue::new(spool);
        let slot = Arc::new(ShardSlot::new(SHARD));
        let mut applier = Applier::new(SHARD, database.clone(), reactions(database), slot.clone());
        let mut progress = Progress::default();
        let (sender, receiver) = mpsc::unbounded_channel();
        for event in events {
            sender.send(event).unwrap();
        }
        drop(sender);
        let abort = CancellationToken::new();
        if let Some(after) = abort_after {
            let abort = abort.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                abort.cancel();
            });
        }
        let lease_lost = CancellationToken::new();
        let (pumped, processed) = tokio::join!(
            pump(receiver, &queue, &slot),
            process(
                &queue,
                &mut applier,
                &mut progress,
                "holder",
                Duration::from_secs(60),
                &lease_lost,
                &abort
            )
        );
        pumped.unwrap();
        (processed, progress, queue, slot)
    }

    #[tokio::test]
    async fn events_are_stored_in_order_and_the_sequence_follows_them() {
        let dir = tempfile::tempdir().unwrap();
        let database = Arc::new(migrated_file_database(&dir).await);
        let spool = Spool::create(dir.path().join("spool.jsonl"), 2).unwrap();
        let events = vec![
            ShardEvent::Ready {
                shard: SHARD,
                session: session(1),
            },
            dispatch(2, "MESSAGE_CREATE", launch_message(501)),
            dispatch(3, "MESSAGE_CREATE", launch_message(502)),
            dispatch(4, "TYPING_START", serde_json::json!({"channel_id": "100"})),
            dispatch(
                5,
                "MESSAGE_DELETE",
                serde_json::json!({"id": "502", "channel_id": "100"}),
            ),
            dispatch(6, "MESSAGE_CREATE", launch_message(501)),
            dispatch(7, "GUILD_CREATE", serde_json::json!({"id": "10"})),
        ];
        let (processed, progress, _queue, slot) = run(database.clone(), spool, events, None).await;

        assert_eq!(processed, Processed::Drained);
        assert_eq!(progress.current(), Some(&session(7)));
        assert_eq!(slot.launches_logged(), 2);
        let conn = database.connect().unwrap();
        let mut rows = conn
            .query(
                "SELECT source_id, deleted_at IS NOT NULL FROM launches ORDER BY source_id",
                (),
            )
            .await
            .unwrap();
        let mut seen = Vec::new();
        while let Some(row) = rows.next().await.unwrap() {
            seen.push((row.get::<String>(0).unwrap(), row.get::<bool>(1).unwrap()));
        }
        assert_eq!(seen, [("501".to_owned(), false), ("502".to_owned(), true)]);
    }

    #[tokio::test]
    async fn while_the_database_is_down_the_sequence_stays_before_unstored_events_and_they_are_kept()
     {
        let dir = tempfile::tempdir().unwrap();
        let unreachable = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let database = database(&format!("http://{unreachable}")).await;
        let path = dir.path().join("spool.jsonl");
        let spool = Spool::create(&path, 1).unwrap();
        let events = vec![
            ShardEvent::Ready {
                shard: SHARD,
                session: session(1),
            },
            dispatch(2, "MESSAGE_CREATE", launch_message(501)),
            dispatch(3, "TYPING_START", serde_json::json!({"channel_id": "100"})),
            dispatch(4, "MESSAGE_CREATE", launch_message(502)),
        ];
        let (processed, progress, queue, slot) =
            run(database, spool, events, Some(Duration::from_millis(600))).await;

        assert_eq!(processed, Processed::Aborted);
        assert_eq!(
            progress.current(),
            Some(&session(1)),
            "the sequence must not pass unstored launches"
        );
        assert_eq!(slot.launches_logged(), 0);
        assert_eq!(queue.into_spool().persist().unwrap(), 2);
        let kept: Vec<Entry> = crate::spool::leftovers(&path).unwrap();
        let kept_sequences: Vec<u64> = kept
            .iter()
            .map(|entry| match entry {
                Entry::Event { sequence, .. } => *sequence,
                Entry::Session(record) => panic!("the session was applied already: {record:?}"),
            })
            .collect();
        assert_eq!(kept_sequences, [2, 4]);
    }
}
