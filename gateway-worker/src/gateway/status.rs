//! A shard's live status, written by its task and read by `/healthz` and `/metrics`: plain
//! atomics, so reading never waits for the shard and the shard never waits for a reader.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where a shard's connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardState {
    Connecting,
    Identifying,
    Resuming,
    Connected,
    BackingOff,
    Stopped,
}

impl ShardState {
    const ALL: [Self; 6] = [
        Self::Connecting,
        Self::Identifying,
        Self::Resuming,
        Self::Connected,
        Self::BackingOff,
        Self::Stopped,
    ];

    /// The label used in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Identifying => "identifying",
            Self::Resuming => "resuming",
            Self::Connected => "connected",
            Self::BackingOff => "backing_off",
            Self::Stopped => "stopped",
        }
    }
}

/// Counters and gauges of one shard.
#[derive(Debug, Default)]
pub struct ShardStatus {
    state: AtomicU8,
    heartbeat_interval_ms: AtomicU64,
    latency_ms: AtomicU64,
    last_ack_unix_ms: AtomicU64,
    reconnects: AtomicU64,
    resumes: AtomicU64,
    identifies: AtomicU64,
    dispatches: AtomicU64,
}

impl ShardStatus {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn state(&self) -> ShardState {
        ShardState::ALL[usize::from(self.state.load(Relaxed))]
    }

    /// The interval Discord gave in the last Hello, once there was one.
    pub fn heartbeat_interval(&self) -> Option<Duration> {
        match self.heartbeat_interval_ms.load(Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Round trip of the last acknowledged heartbeat, once one was acknowledged.
    pub fn heartbeat_latency(&self) -> Option<Duration> {
        self.last_ack_unix_ms()
            .map(|_| Duration::from_millis(self.latency_ms.load(Relaxed)))
    }

    /// When the last heartbeat ACK arrived, in milliseconds since the Unix epoch.
    pub fn last_ack_unix_ms(&self) -> Option<u64> {
        match self.last_ack_unix_ms.load(Relaxed) {
            0 => None,
            ms => Some(ms),
        }
    }

    /// Connections that ended and were followed by another.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Relaxed)
    }

    /// Sessions resumed (RESUMED received).
    pub fn resumes(&self) -> u64 {
        self.resumes.load(Relaxed)
    }

    /// IDENTIFY payloads sent.
    pub fn identifies(&self) -> u64 {
        self.identifies.load(Relaxed)
    }

    /// Dispatches handed to the consumer.
    pub fn dispatches(&self) -> u64 {
        self.dispatches.load(Relaxed)
    }

    pub(crate) fn set_state(&self, state: ShardState) {
        let index = ShardState::ALL
            .iter()
            .position(|s| *s == state)
            .unwrap_or_default();
        self.state.store(index as u8, Relaxed);
    }

    pub(crate) fn set_heartbeat_interval(&self, interval: Duration) {
        self.heartbeat_interval_ms
            .store(interval.as_millis() as u64, Relaxed);
    }

    pub(crate) fn record_ack(&self, latency: Duration) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.latency_ms.store(latency.as_millis() as u64, Relaxed);
        self.last_ack_unix_ms
            .store(now.as_millis().max(1) as u64, Relaxed);
    }

    pub(crate) fn count_reconnect(&self) {
        self.reconnects.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_resume(&self) {
        self.resumes.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_identify(&self) {
        self.identifies.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_dispatch(&self) {
        self.dispatches.fetch_add(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_shard_is_connecting_with_nothing_measured() {
        let status = ShardStatus::new();
        assert_eq!(status.state(), ShardState::Connecting);
        assert_eq!(
            (status.heartbeat_latency(), status.last_ack_unix_ms()),
            (None, None)
        );
    }

    #[test]
    fn every_state_reads_back_as_written() {
        let status = ShardStatus::new();
        for state in ShardState::ALL {
            status.set_state(state);
            assert_eq!(status.state(), state);
        }
    }

    #[test]
    fn an_ack_records_latency_and_time() {
        let status = ShardStatus::new();
        status.record_ack(Duration::from_millis(42));
        assert_eq!(status.heartbeat_latency(), Some(Duration::from_millis(42)));
        assert!(status.last_ack_unix_ms().is_some());
    }
}
