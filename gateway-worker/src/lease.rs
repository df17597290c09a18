//! One holder per shard: a lease row in `gateway_leases` (holder, expiry) that the holder
//! renews every `LEASE_RENEW_MS` while it runs the shard. Any other process for the same shard
//! waits as a hot standby, retrying at the same pace, and takes the lease once it expires —
//! when the holder died, within `LEASE_TTL_MS` plus one retry.
//!
//! Two processes must never hold one session at once (the seed bot's duplicated session
//! reacted twice to everything). So a holder that cannot renew stops its shard before the
//! lease it last wrote expires, whatever the reason — the database may be down for it alone.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::Timings;
use crate::db::connect::Database;
use crate::gateway::ShardId;
use crate::store::gateway::{self as stored, Lease};

/// Who holds a lease: host, process and a random part, so a restarted process with a reused
/// pid is still someone else.
pub fn holder_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned());
    format!(
        "{host}:{}:{:08x}",
        std::process::id(),
        rand::rng().random::<u32>()
    )
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// When a holder must have stopped: its last successful renewal plus the TTL, less a margin
/// for the time the shard takes to close and for clock differences between machines.
pub fn stop_deadline(renewed_at: Instant, timings: &Timings) -> Instant {
    renewed_at + timings.lease_ttl - timings.lease_renew / 2
}

/// One attempt to take or renew the lease, bounded in time so a hung database cannot hold
/// the caller past its deadline. `None` when the database did not answer.
async fn try_acquire(
    database: &Database,
    shard: ShardId,
    holder: &str,
    timings: &Timings,
) -> Option<Lease> {
    let (holder, ttl) = (holder.to_owned(), timings.lease_ttl);
    let attempt = database.call_on_new_connection(move |conn| async move {
        stored::acquire_lease(&conn, shard, &holder, now_ms(), ttl).await
    });
    match tokio::time::timeout(timings.lease_renew, attempt).await {
        Ok(Ok(lease)) => Some(lease),
        Ok(Err(error)) => {
            tracing::warn!(%shard, error = %format!("{error:#}"), "could not take or renew the shard's lease; retrying (if a table is missing, run `gateway-worker migrate`)");
            None
        }
        Err(_) => {
            tracing::warn!(%shard, "the database did not answer the lease request in time; retrying");
            None
        }
    }
}

/// Waits until this process holds the shard's lease, as a standby while another holds it.
/// Returns when the lease was renewed or taken, or `None` on shutdown.
pub async fn acquire(
    database: &Database,
    shard: ShardId,
    holder: &str,
    timings: &Timings,
    shutdown: &CancellationToken,
) -> Option<Instant> {
    let mut announced_standby = false;
    loop {
        let started = Instant::now();
        match try_acquire(database, shard, holder, timings).await {
            Some(Lease::Held { .. }) => {
                tracing::info!(%shard, holder, "holding the shard's lease");
                return Some(started);
            }
            Some(Lease::HeldByAnother) if !announced_standby => {
                tracing::info!(%shard, "another process holds this shard; standing by to take over if it stops renewing");
                announced_standby = true;
            }
            Some(Lease::HeldByAnother) | None => {}
        }
        tokio::select! {
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep(timings.lease_renew) => {}
        }
    }
}

/// Renews the lease every `lease_renew` until `stop` is cancelled. Cancels `lost` — and
/// returns — when another process took the lease, or when renewals kept failing until the
/// deadline by which this process must have let go.
pub async fn keep(
    database: &Database,
    shard: ShardId,
    holder: &str,
    timings: &Timings,
    mut renewed_at: Instant,
    lost: &CancellationToken,
    stop: &CancellationToken,
) {
    let give_up = || {
        tracing::error!(
            %shard,
            "could not renew the shard's lease before it expires; stopping the shard so no other process runs it at the same time"
        );
        lost.cancel();
    };
    loop {
        let deadline = stop_deadline(renewed_at, timings);
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep_until(deadline) => return give_up(),
            () = tokio::time::sleep(timings.lease_renew) => {}
        }
        let started = Instant::now();
        let outcome = tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep_until(deadline) => return give_up(),
            outcome = try_acquire(database, shard, holder, timings) => outcome,
        };
        match outcome {
            Some(Lease::Held { .. }) => renewed_at = started,
            Some(Lease::HeldByAnother) => {
                tracing::error!(%shard, "another process took this shard's lease; stopping the shard here");
                lost.cancel();
                return;
            }
            None => {}
        }
    }
}

/// Gives the lease up on shutdown, so a standby or the next deploy takes over at once.
pub async fn release(database: &Database, shard: ShardId, holder: &str, timeout: Duration) {
    let holder = holder.to_owned();
    let attempt = database.call_on_new_connection(move |conn| async move {
        stored::release_lease(&conn, shard, &holder).await
    });
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(_)) => tracing::info!(%shard, "released the shard's lease"),
        Ok(Err(error)) => {
            tracing::warn!(%shard, error = %format!("{error:#}"), "could not release the shard's lease; it expires on its own")
        }
        Err(_) => {
            tracing::warn!(%shard, "releasing the shard's lease timed out; it expires on its own")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::migrated_file_database as migrated;

    #[test]
    fn a_holder_stops_before_its_lease_expires() {
        let timings = Timings {
            lease_ttl: Duration::from_secs(15),
            lease_renew: Duration::from_secs(5),
            session_save: Duration::from_secs(5),
        };
        let renewed = Instant::now();
        let deadline = stop_deadline(renewed, &timings);
        assert!(deadline < renewed + timings.lease_ttl);
        assert!(
            deadline > renewed + timings.lease_renew * 2,
            "room for a failed renewal and a retry"
        );
    }

    fn quick() -> Timings {
        Timings {
            lease_ttl: Duration::from_millis(600),
            lease_renew: Duration::from_millis(150),
            session_save: Duration::from_millis(150),
        }
    }

    const SHARD: ShardId = ShardId {
        number: 0,
        total: 1,
    };

    #[tokio::test]
    async fn a_standby_waits_while_the_holder_renews_and_takes_over_when_it_stops() {
        let dir = tempfile::tempdir().unwrap();
        let database = migrated(&dir).await;
        let timings = quick();
        let shutdown = CancellationToken::new();
        let renewed = acquire(&database, SHARD, "a", &timings, &shutdown)
            .await
            .unwrap();

        let (lost, stop) = (CancellationToken::new(), CancellationToken::new());
        let standby_shutdown = CancellationToken::new();
        let (held_until_stopped, taken_over) = tokio::join!(
            async {
                tokio::select! {
                    () = keep(&database, SHARD, "a", &timings, renewed, &lost, &stop) => {}
                    () = tokio::time::sleep(Duration::from_millis(1500)) => stop.cancel(),
                }
                Instant::now()
            },
            async {
                let taken = acquire(&database, SHARD, "b", &timings, &standby_shutdown).await;
                (taken.is_some(), Instant::now())
            }
        );
        let (taken, taken_at) = taken_over;
        assert!(taken);
        assert!(
            !lost.is_cancelled(),
            "the holder kept its lease while renewing"
        );
        assert!(
            taken_at >= held_until_stopped,
            "the standby took over only after the holder stopped"
        );
        assert!(taken_at - held_until_stopped <= timings.lease_ttl + timings.lease_renew * 2);

        // The old holder learns at its next renewal that the lease is gone.
        let (lost, stop) = (CancellationToken::new(), CancellationToken::new());
        tokio::time::timeout(
            Duration::from_secs(2),
            keep(
                &database,
                SHARD,
                "a",
                &timings,
                Instant::now(),
                &lost,
                &stop,
            ),
        )
        .await
        .unwrap();
        assert!(lost.is_cancelled());
    }

    #[tokio::test]
    async fn a_holder_that_cannot_renew_gives_up_before_its_lease_expires() {
        let unreachable = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let url = format!("http://{unreachable}");
        let database =
            Database::open(&crate::db::config::DatabaseConfig::parse(Some(&url), None).unwrap())
                .await
                .unwrap();
        let timings = quick();
        let renewed = Instant::now();
        let (lost, stop) = (CancellationToken::new(), CancellationToken::new());
        tokio::time::timeout(
            Duration::from_secs(2),
            keep(&database, SHARD, "a", &timings, renewed, &lost, &stop),
        )
        .await
        .unwrap();
        assert!(lost.is_cancelled());
        assert!(
            Instant::now() < renewed + timings.lease_ttl,
            "gave up before the lease could pass to another"
        );
    }

    #[tokio::test]
    async fn release_lets_a_standby_take_the_lease_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let database = migrated(&dir).await;
        let timings = quick();
        let shutdown = CancellationToken::new();
        acquire(&database, SHARD, "a", &timings, &shutdown)
            .await
            .unwrap();
        release(&database, SHARD, "a", Duration::from_secs(1)).await;
        let started = Instant::now();
        acquire(&database, SHARD, "b", &timings, &shutdown)
            .await
            .unwrap();
        assert!(started.elapsed() < timings.lease_renew);
    }

    #[test]
    fn holder_ids_differ_between_processes_on_one_host() {
        assert_ne!(holder_id(), holder_id());
        assert!(holder_id().contains(&format!(":{}:", std::process::id())));
    }
}
