//! What the worker counts, per shard and for the process, and its rendering as Prometheus
//! text for `GET /metrics`. The shard's connection counters live in
//! [`ShardStatus`](crate::gateway::ShardStatus); the rest are counted here.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use crate::gateway::{ShardId, ShardState, ShardStatus};

/// One shard this process may run, and what it did.
#[derive(Debug)]
pub struct ShardSlot {
    pub shard: ShardId,
    /// Written by the shard's connection task.
    pub status: Arc<ShardStatus>,
    holding: AtomicBool,
    events_handled: AtomicU64,
    launches_logged: AtomicU64,
    spool_depth: AtomicU64,
    spool_on_disk: AtomicU64,
}

impl ShardSlot {
    pub fn new(shard: ShardId) -> Self {
        Self {
            shard,
            status: Arc::new(ShardStatus::new()),
            holding: AtomicBool::new(false),
            events_handled: AtomicU64::new(0),
            launches_logged: AtomicU64::new(0),
            spool_depth: AtomicU64::new(0),
            spool_on_disk: AtomicU64::new(0),
        }
    }

    /// Whether this process holds the shard's lease (and so owes a connection).
    pub fn holding(&self) -> bool {
        self.holding.load(Relaxed)
    }

    pub fn set_holding(&self, holding: bool) {
        self.holding.store(holding, Relaxed);
    }

    /// A dispatch was decided on and queued (or found to need nothing).
    pub fn count_event_handled(&self) {
        self.events_handled.fetch_add(1, Relaxed);
    }

    pub fn count_launch_logged(&self) {
        self.launches_logged.fetch_add(1, Relaxed);
    }

    pub fn launches_logged(&self) -> u64 {
        self.launches_logged.load(Relaxed)
    }

    pub fn set_spool(&self, depth: usize, on_disk: usize) {
        self.spool_depth.store(depth as u64, Relaxed);
        self.spool_on_disk.store(on_disk as u64, Relaxed);
    }
}

/// Every shard slot of the process, plus the REST client's 429 count.
pub struct Registry {
    pub slots: Vec<Arc<ShardSlot>>,
    pub rest_rate_limits: Box<dyn Fn() -> u64 + Send + Sync>,
}

const STATES: [ShardState; 6] = [
    ShardState::Connecting,
    ShardState::Identifying,
    ShardState::Resuming,
    ShardState::Connected,
    ShardState::BackingOff,
    ShardState::Stopped,
];

impl Registry {
    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let shard_metric = |out: &mut String,
                            name: &str,
                            kind: &str,
                            help: &str,
                            value: &dyn Fn(&ShardSlot) -> String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for slot in &self.slots {
                let _ = writeln!(out, "{name}{{{}}} {}", labels(slot.shard), value(slot));
            }
        };

        let _ = writeln!(
            out,
            "# HELP shiptrack_shard_state The shard's connection state (1 for the current state).\n# TYPE shiptrack_shard_state gauge"
        );
        for slot in &self.slots {
            let current = slot.status.state();
            for state in STATES {
                let _ = writeln!(
                    out,
                    "shiptrack_shard_state{{{},state=\"{}\"}} {}",
                    labels(slot.shard),
                    state.as_str(),
                    u8::from(state == current)
                );
            }
        }
        shard_metric(
            &mut out,
            "shiptrack_shard_lease_held",
            "gauge",
            "1 while this process holds the shard's lease.",
            &|slot| u8::from(slot.holding()).to_string(),
        );
        shard_metric(
            &mut out,
            "shiptrack_heartbeat_latency_seconds",
            "gauge",
            "Round trip of the last acknowledged heartbeat (NaN before the first).",
            &|slot| {
                slot.status
                    .heartbeat_latency()
                    .map_or("NaN".to_owned(), |latency| {
                        latency.as_secs_f64().to_string()
                    })
            },
        );
        shard_metric(
            &mut out,
            "shiptrack_reconnects_total",
            "counter",
            "Connections that ended and were followed by another.",
            &|slot| slot.status.reconnects().to_string(),
        );
        shard_metric(
            &mut out,
            "shiptrack_resumes_total",
            "counter",
            "Sessions resumed.",
            &|slot| slot.status.resumes().to_string(),
        );
        shard_metric(
            &mut out,
            "shiptrack_identifies_total",
            "counter",
            "IDENTIFY payloads sent.",
            &|slot| slot.status.identifies().to_string(),
        );
        shard_metric(
            &mut out,
            "shiptrack_events_total",
            "counter",
            "Gateway dispatches received.",
            &|slot| slot.status.dispatches().to_string(),
        );
        shard_metric(
            &mut out,
            "shiptrack_events_handled_total",
            "counter",
            "Dispatches the pipeline has decided on; behind shiptrack_events_total while a backlog waits.",
            &|slot| slot.events_handled.load(Relaxed).to_string(),
        );
        shard_metric(
            &mut out,
            "shiptrack_launches_logged_total",
            "counter",
            "New launch rows written from messages.",
            &|slot| slot.launches_logged().to_string(),
        );
        shard_metric(
            &mut out,
            "shiptrack_spool_depth",
            "gauge",
            "Events waiting for the database, in memory and on disk.",
            &|slot| slot.spool_depth.load(Relaxed).to_string(),
        );
        shard_metric(
            &mut out,
            "shiptrack_spool_on_disk",
            "gauge",
            "Events waiting for the database in the spool file.",
            &|slot| slot.spool_on_disk.load(Relaxed).to_string(),
        );
        let _ = writeln!(
            out,
            "# HELP shiptrack_rest_rate_limited_total 429 answers from Discord's REST API.\n# TYPE shiptrack_rest_rate_limited_total counter\nshiptrack_rest_rate_limited_total {}",
            (self.rest_rate_limits)()
        );
        out
    }
}

fn labels(shard: ShardId) -> String {
    format!("shard=\"{}\",shard_count=\"{}\"", shard.number, shard.total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_rendered_per_shard_with_its_labels() {
        let slot = Arc::new(ShardSlot::new(ShardId {
            number: 1,
            total: 2,
        }));
        slot.status.set_state(ShardState::Connected);
        slot.set_holding(true);
        slot.count_event_handled();
        slot.count_launch_logged();
        slot.set_spool(5, 3);
        let registry = Registry {
            slots: vec![slot],
            rest_rate_limits: Box::new(|| 4),
        };
        let text = registry.render();
        for line in [
            "shiptrack_shard_state{shard=\"1\",shard_count=\"2\",state=\"connected\"} 1",
            "shiptrack_shard_state{shard=\"1\",shard_count=\"2\",state=\"resuming\"} 0",
            "shiptrack_shard_lease_held{shard=\"1\",shard_count=\"2\"} 1",
            "shiptrack_heartbeat_latency_seconds{shard=\"1\",shard_count=\"2\"} NaN",
            "shiptrack_reconnects_total{shard=\"1\",shard_count=\"2\"} 0",
            "shiptrack_resumes_total{shard=\"1\",shard_count=\"2\"} 0",
            "shiptrack_identifies_total{shard=\"1\",shard_count=\"2\"} 0",
            "shiptrack_events_total{shard=\"1\",shard_count=\"2\"} 0",
            "shiptrack_events_handled_total{shard=\"1\",shard_count=\"2\"} 1",
            "shiptrack_launches_logged_total{shard=\"1\",shard_count=\"2\"} 1",
            "shiptrack_spool_depth{shard=\"1\",shard_count=\"2\"} 5",
            "shiptrack_spool_on_disk{shard=\"1\",shard_count=\"2\"} 3",
            "shiptrack_rest_rate_limited_total 4",
        ] {
            assert!(
                text.lines().any(|rendered| rendered == line),
                "missing {line} in\n{text}"
            );
        }
    }

    #[test]
    fn every_sample_line_belongs_to_a_declared_metric() {
        let registry = Registry {
            slots: vec![Arc::new(ShardSlot::new(ShardId {
                number: 0,
                total: 1,
            }))],
            rest_rate_limits: Box::new(|| 0),
        };
        let text = registry.render();
        let declared: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .map(|rest| rest.split(' ').next().unwrap())
            .collect();
        for sample in text.lines().filter(|line| !line.starts_with('#')) {
            let name = sample.split(['{', ' ']).next().unwrap();
            assert!(declared.contains(&name), "{sample}");
        }
    }
}
