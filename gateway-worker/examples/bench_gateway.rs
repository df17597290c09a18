//! The driver of `scripts/bench-gateway` (a benchmark, not a test). For each transport
//! (plain JSON, then zlib-stream) it starts the Discord simulator in this process and runs,
//! one after the other against the same streams:
//!
//! - the real `gateway-worker` binary, read through its `/metrics`: an event is *received*
//!   once the shard has parsed it and the pipeline has decided on it and queued it
//!   (`shiptrack_events_handled_total`), and *stored* once every launch in the stream has its
//!   row and the spool is empty;
//! - `bench_twilight_consumer`, a minimal consumer on `twilight-gateway`'s `Shard` that
//!   deserialises each MESSAGE_CREATE (counted from its stdout), for reference.
//!
//! Each consumer first gets a paced stream (by default 1,000 events per second) and then a
//! burst of N events (10% launches). The simulator prepares the burst before the clock starts:
//! it makes every message (world, session buffer) and the connection encodes every frame,
//! compressed in its zlib stream for zlib-stream, holding them back; the timer starts when the
//! burst is released and the connection writes the ready frames in large batches. So the burst
//! measures the consumer, not how fast the simulator (which costs more CPU per event than
//! either consumer) can make events on the same two cores. Printed: burst events per second
//! from the release, CPU time per burst event (user + system, which other load on the machine
//! disturbs far less than the rate), peak RSS (`VmHWM`) after the paced stream and after the
//! burst, the CPU time this process (the simulator writing the released frames) spent per
//! burst event, and the ratios gateway-worker / twilight; each the median of `--runs` runs,
//! the consumers alternating, because the simulator shares this machine's two cores with
//! whichever consumer runs; then the received ratio of each run's pair.
//!
//! Usage: `bench_gateway --worker PATH --twilight-plain PATH --twilight-zlib PATH
//! [--events N] [--rate PER_SECOND] [--paced-seconds S] [--runs R]`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shiptrack_gateway_worker::db::{self, config::DatabaseConfig};
use shiptrack_testkit::discord_sim::{
    DiscordSim, PreparedBurst, RateLimits, RunningSim, SimConfig, StreamMix, ids,
};
use tokio::sync::mpsc;

/// How long any one phase may take before the benchmark gives up.
const PHASE_LIMIT: Duration = Duration::from_secs(300);
/// How often the worker's counters are read while it is measured. Each read is an HTTP request
/// that the worker serves and this process makes, on the runtime that also runs the simulator,
/// so reading every few milliseconds would take CPU from both during the worker's runs only
/// (the reference consumer reports on stdout, a line per thousand events). The moment the
/// worker reached the target is interpolated between two reads instead.
const POLL_EVERY: Duration = Duration::from_millis(20);

struct Options {
    worker: String,
    twilight_plain: String,
    twilight_zlib: String,
    events: u64,
    rate: u64,
    paced_seconds: u64,
    runs: usize,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        worker: String::new(),
        twilight_plain: String::new(),
        twilight_zlib: String::new(),
        // At a few hundred thousand events per second a burst this long lasts a few hundred
        // milliseconds, long enough against the 20 ms between reads of the worker's counters.
        events: 100_000,
        rate: 1_000,
        paced_seconds: 10,
        runs: 3,
    };
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--worker" => options.worker = value,
            "--twilight-plain" => options.twilight_plain = value,
            "--twilight-zlib" => options.twilight_zlib = value,
            "--events" => options.events = value.parse().expect("--events N"),
            "--rate" => options.rate = value.parse().expect("--rate PER_SECOND"),
            "--paced-seconds" => options.paced_seconds = value.parse().expect("--paced-seconds S"),
            "--runs" => options.runs = value.parse().expect("--runs R"),
            other => panic!("unknown option {other}"),
        }
    }
    assert!(
        !options.worker.is_empty()
            && !options.twilight_plain.is_empty()
            && !options.twilight_zlib.is_empty(),
        "pass --worker, --twilight-plain and --twilight-zlib"
    );
    options
}

/// One consumer's figures for one transport.
struct Figures {
    received_per_second: f64,
    /// CPU time (user + system) the consumer spent per burst event.
    cpu_us_per_event: f64,
    /// CPU time this process (the simulator, and the driver reading the consumer's progress)
    /// spent per burst event, from the release until the consumer had received them: writing
    /// the prepared frames, and for the worker serving its reactions, on the same two cores.
    sim_cpu_us_per_event: f64,
    /// `None` for the reference consumer, which stores nothing.
    stored_per_second: Option<f64>,
    paced_peak_rss_kib: u64,
    peak_rss_kib: u64,
}

/// A process that is killed when dropped.
struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time the process has used (user + system), from `/proc/PID/stat`, in clock ticks
/// (1/100 s on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces;
    // utime and stime are the 12th and 13th of them.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .map(|field| field.parse().unwrap_or(0))
        .collect();
    fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0)
}

/// Microseconds of CPU per event from a tick difference.
fn cpu_us_per_event(ticks: u64, events: u64) -> f64 {
    ticks as f64 * 10_000.0 / events as f64
}

/// The simulator with Discord's own rate limits: the worker's 🚀 reactions then go out at the
/// pace Discord allows (one per 250 ms per channel), as in production, instead of thousands
/// of extra REST requests served during the burst by the simulator that is streaming it.
async fn start_sim() -> RunningSim {
    DiscordSim::start(SimConfig {
        rate_limits: RateLimits::default(),
        identify_window: Duration::from_millis(50),
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts")
}

/// What a stream sent.
struct Sent {
    count: u64,
    launches: u64,
}

/// Streams `rate` messages per second for `seconds`, in slices every 10 ms.
async fn paced_stream(sim: &RunningSim, rate: u64, seconds: u64) -> Sent {
    let per_tick = (rate / 100).max(1);
    let mut ticks = tokio::time::interval(Duration::from_millis(10));
    let mut sent = Sent {
        count: 0,
        launches: 0,
    };
    for _ in 0..seconds * 100 {
        ticks.tick().await;
        let summary = sim
            .control()
            .stream_messages(ids::I_SHIPPED, per_tick, StreamMix::default())
            .unwrap();
        sent.count += summary.count;
        sent.launches += summary.launches;
    }
    sent
}

/// The burst, made and encoded for the consumer's connection but not yet written; what it holds.
async fn prepare_burst(sim: &RunningSim, events: u64) -> (PreparedBurst, Sent) {
    let burst = sim
        .control()
        .prepare_messages(ids::I_SHIPPED, events, StreamMix::default())
        .await
        .unwrap();
    let sent = Sent {
        count: burst.summary().count,
        launches: burst.summary().launches,
    };
    (burst, sent)
}

/// The worker's counters from `/metrics`.
#[derive(Clone, Copy, Debug)]
struct Counters {
    events: u64,
    launches: u64,
    spool_depth: u64,
    connected: bool,
}

struct WorkerProbe {
    client: reqwest::Client,
    metrics_url: String,
}

impl WorkerProbe {
    async fn counters(&self) -> Option<Counters> {
        let text = self
            .client
            .get(&self.metrics_url)
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let value = |name: &str| -> Option<u64> {
            let prefix = format!("{name}{{shard=\"0\",shard_count=\"1\"}} ");
            text.lines()
                .find_map(|line| line.strip_prefix(&prefix))?
                .parse()
                .ok()
        };
        Some(Counters {
            events: value("shiptrack_events_handled_total")?,
            launches: value("shiptrack_launches_logged_total")?,
            spool_depth: value("shiptrack_spool_depth")?,
            connected: text.lines().any(|line| {
                line == "shiptrack_shard_state{shard=\"0\",shard_count=\"1\",state=\"connected\"} 1"
            }),
        })
    }

    /// Polls until the stream `sent` after `base` is received and then stored; returns when
    /// each happened. The moment of receipt is interpolated between the last read below the
    /// target and the first at or above it, as if events arrived at an even rate between them.
    async fn wait_through(&self, base: Counters, sent: &Sent, log: &Path) -> (Instant, Instant) {
        let deadline = Instant::now() + PHASE_LIMIT;
        let target = base.events + sent.count;
        let mut below: Option<(Instant, u64)> = None;
        let mut received = None;
        loop {
            let counters = self.counters().await;
            let read_at = Instant::now();
            if let Some(now) = counters {
                if received.is_none() {
                    if now.events >= target {
                        received = Some(match below {
                            Some((then, events)) => {
                                let share = (target - events) as f64 / (now.events - events) as f64;
                                then + (read_at - then).mul_f64(share)
                            }
                            None => read_at,
                        });
                    } else {
                        below = Some((read_at, now.events));
                    }
                }
                if let Some(received) = received
                    && now.launches >= base.launches + sent.launches
                    && now.spool_depth == 0
                {
                    return (received, Instant::now());
                }
            }
            assert!(
                Instant::now() < deadline,
                "the worker did not store {} events with {} launches; counters {counters:?}, base {base:?}; its log:\n{}",
                sent.count,
                sent.launches,
                std::fs::read_to_string(log).unwrap_or_default()
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

async fn bench_worker(options: &Options, compression: &str) -> Figures {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("file:{}", dir.path().join("bench.db").display());
    db::open_migrated(&DatabaseConfig::parse(Some(&database_url), None).unwrap())
        .await
        .unwrap();
    let health = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let log_path = dir.path().join("worker.log");
    let worker = Spawned(
        Command::new(&options.worker)
            .env_clear()
            .envs([
                ("DISCORD_BOT_TOKEN", sim.bot_token()),
                ("DISCORD_API_BASE", sim.api_base()),
                ("DATABASE_URL", &database_url),
                ("SHIP_CHANNEL_IDS", &ids::I_SHIPPED.to_string()),
                ("HEALTH_ADDR", &health),
                ("SPOOL_DIR", &dir.path().join("spool").display().to_string()),
                ("GATEWAY_COMPRESSION", compression),
                ("NO_COLOR", "1"),
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .expect("the worker starts"),
    );
    let pid = worker.0.id();
    let probe = WorkerProbe {
        client: reqwest::Client::new(),
        metrics_url: format!("http://{health}/metrics"),
    };
    // Connected, not healthy: /healthz also wants a heartbeat ACK, which at Discord's 41 s
    // interval can be most of a minute away.
    let connect_deadline = Instant::now() + Duration::from_secs(30);
    while !probe
        .counters()
        .await
        .is_some_and(|counters| counters.connected)
    {
        assert!(
            Instant::now() < connect_deadline,
            "the worker did not connect; log: {}",
            log_path.display()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The GUILD_CREATE after READY is counted too: let it arrive before taking the base.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let base = probe.counters().await.unwrap();
    let paced = paced_stream(&sim, options.rate, options.paced_seconds).await;
    probe.wait_through(base, &paced, &log_path).await;
    let paced_peak_rss_kib = peak_rss_kib(pid);

    let (burst, sent) = prepare_burst(&sim, options.events).await;
    let base = probe.counters().await.unwrap();
    let cpu_before = cpu_ticks(pid);
    let sim_cpu_before = cpu_ticks(std::process::id());
    let started = Instant::now();
    assert_eq!(burst.release(), 1, "the worker's one connection");
    let (received, stored) = probe.wait_through(base, &sent, &log_path).await;
    Figures {
        received_per_second: sent.count as f64 / (received - started).as_secs_f64(),
        cpu_us_per_event: cpu_us_per_event(cpu_ticks(pid) - cpu_before, sent.count),
        sim_cpu_us_per_event: cpu_us_per_event(
            cpu_ticks(std::process::id()) - sim_cpu_before,
            sent.count,
        ),
        stored_per_second: Some(sent.count as f64 / (stored - started).as_secs_f64()),
        paced_peak_rss_kib,
        peak_rss_kib: peak_rss_kib(pid),
    }
}

async fn bench_twilight(options: &Options, binary: &str) -> Figures {
    let sim = start_sim().await;
    let mut child = Command::new(binary)
        .env_clear()
        .env("DISCORD_BOT_TOKEN", sim.bot_token())
        .env("GATEWAY_URL", sim.gateway_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the twilight consumer starts");
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let consumer = Spawned(child);
    let (lines_tx, mut lines) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    // The consumer reports every thousandth message; the targets are rounded down to those.
    let mut received = 0u64;
    let mut read_until = async |target: Option<u64>| loop {
        let line = tokio::time::timeout(PHASE_LIMIT, lines.recv())
            .await
            .expect("the twilight consumer kept reporting")
            .expect("the twilight consumer is running");
        if let Some(count) = line.strip_prefix("received ") {
            received = count.parse().unwrap();
        }
        match target {
            None if line == "ready" => return Instant::now(),
            Some(target) if received >= target => return Instant::now(),
            _ => {}
        }
    };
    read_until(None).await;

    let paced = paced_stream(&sim, options.rate, options.paced_seconds)
        .await
        .count;
    read_until(Some(paced - paced % 1000)).await;
    let paced_peak_rss_kib = peak_rss_kib(pid);

    let (burst, sent) = prepare_burst(&sim, options.events).await;
    let total = paced + sent.count;
    let cpu_before = cpu_ticks(pid);
    let sim_cpu_before = cpu_ticks(std::process::id());
    let started = Instant::now();
    assert_eq!(burst.release(), 1, "the consumer's one connection");
    let finished = read_until(Some(total - total % 1000)).await;
    let counted = total - total % 1000 - paced;
    let figures = Figures {
        received_per_second: counted as f64 / (finished - started).as_secs_f64(),
        cpu_us_per_event: cpu_us_per_event(cpu_ticks(pid) - cpu_before, counted),
        sim_cpu_us_per_event: cpu_us_per_event(
            cpu_ticks(std::process::id()) - sim_cpu_before,
            counted,
        ),
        stored_per_second: None,
        paced_peak_rss_kib,
        peak_rss_kib: peak_rss_kib(pid),
    };
    drop(consumer);
    figures
}

fn megabytes(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The median of each figure over several runs.
fn medians(runs: &[Figures]) -> Figures {
    let of = |figure: &dyn Fn(&Figures) -> f64| median(runs.iter().map(figure).collect());
    Figures {
        received_per_second: of(&|run| run.received_per_second),
        cpu_us_per_event: of(&|run| run.cpu_us_per_event),
        sim_cpu_us_per_event: of(&|run| run.sim_cpu_us_per_event),
        stored_per_second: runs[0]
            .stored_per_second
            .map(|_| of(&|run| run.stored_per_second.unwrap_or_default())),
        paced_peak_rss_kib: of(&|run| run.paced_peak_rss_kib as f64) as u64,
        peak_rss_kib: of(&|run| run.peak_rss_kib as f64) as u64,
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    println!(
        "bench-gateway: one shard; {} events/s paced for {} s, then a burst of {} events prepared ahead and timed from its release; 10% launches; median of {} runs",
        options.rate, options.paced_seconds, options.events, options.runs
    );
    println!(
        "{:<12} {:<15} {:>13} {:>13} {:>12} {:>12} {:>15} {:>10}",
        "transport",
        "consumer",
        "received ev/s",
        "stored ev/s",
        "CPU µs/ev",
        "sim µs/ev",
        "paced peak RSS",
        "peak RSS"
    );
    for (compression, twilight_binary) in [
        ("none", &options.twilight_plain),
        ("zlib-stream", &options.twilight_zlib),
    ] {
        let (mut worker_runs, mut twilight_runs) = (Vec::new(), Vec::new());
        for _ in 0..options.runs {
            worker_runs.push(bench_worker(&options, compression).await);
            twilight_runs.push(bench_twilight(&options, twilight_binary).await);
        }
        let (worker, twilight) = (medians(&worker_runs), medians(&twilight_runs));
        for (name, figures) in [("gateway-worker", &worker), ("twilight", &twilight)] {
            println!(
                "{:<12} {:<15} {:>13.0} {:>13} {:>12.1} {:>12.1} {:>12.1} MB {:>7.1} MB",
                compression,
                name,
                figures.received_per_second,
                figures
                    .stored_per_second
                    .map_or("-".to_owned(), |rate| format!("{rate:.0}")),
                figures.cpu_us_per_event,
                figures.sim_cpu_us_per_event,
                megabytes(figures.paced_peak_rss_kib),
                megabytes(figures.peak_rss_kib),
            );
        }
        println!(
            "{:<12} {:<15} {:>13.2} {:>13.2} {:>12.2} {:>12.2} {:>15.2} {:>10.2}",
            compression,
            "ratio w/t",
            worker.received_per_second / twilight.received_per_second,
            worker.stored_per_second.unwrap_or_default() / twilight.received_per_second,
            worker.cpu_us_per_event / twilight.cpu_us_per_event,
            worker.sim_cpu_us_per_event / twilight.sim_cpu_us_per_event,
            worker.paced_peak_rss_kib as f64 / twilight.paced_peak_rss_kib as f64,
            worker.peak_rss_kib as f64 / twilight.peak_rss_kib as f64,
        );
        // Each run's pair (the worker, then twilight right after it) shares the machine's load
        // of the moment, so its ratio is steadier than the ratio of the medians.
        let pairs: Vec<String> = worker_runs
            .iter()
            .zip(&twilight_runs)
            .map(|(worker, twilight)| {
                format!(
                    "{:.2}",
                    worker.received_per_second / twilight.received_per_second
                )
            })
            .collect();
        println!(
            "{:<12} received ratio of each run: {}",
            compression,
            pairs.join(" ")
        );
    }
}
