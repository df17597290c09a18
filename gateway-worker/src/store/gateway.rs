//! The gateway's durable state: each shard's lease (who may hold its session) and its stored
//! session (what a restarted or standby worker resumes).
//!
//! Session writes are fenced by the lease inside the statement itself, so a worker that lost
//! its lease while paused cannot overwrite the session of the worker that took over.

use std::time::Duration;

use shiptrack_core::sql;

use super::StoreError;
use crate::gateway::{ResumeState, ShardId};

/// A shard's session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    pub resume: ResumeState,
    /// When it was stored, to judge whether it is fresh enough to resume.
    pub updated_at: i64,
}

/// The outcome of a lease request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lease {
    /// The caller holds the shard until this time and must renew before it.
    Held { expires_at: i64 },
    /// Another live process holds it.
    HeldByAnother,
}

/// The outcome of a session write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionWrite {
    Done,
    /// The caller's lease is gone (expired or taken): stop using the shard.
    NotLeaseHolder,
}

/// Takes the shard's lease if it is free, expired, or already the caller's (renewal), for `ttl` from `now`.
pub async fn acquire_lease(
    conn: &libsql::Connection,
    shard: ShardId,
    holder: &str,
    now: i64,
    ttl: Duration,
) -> Result<Lease, StoreError> {
    let expires_at = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
    let mut rows = conn
        .query(
            sql::ACQUIRE_GATEWAY_LEASE,
            libsql::params![shard.number, shard.total, holder, now, expires_at],
        )
        .await?;
    Ok(match rows.next().await? {
        Some(row) => Lease::Held {
            expires_at: row.get(0)?,
        },
        None => Lease::HeldByAnother,
    })
}

/// Gives the lease up so a standby can take over at once; true when the caller held it.
pub async fn release_lease(
    conn: &libsql::Connection,
    shard: ShardId,
    holder: &str,
) -> Result<bool, StoreError> {
    let changed = conn
        .execute(
            sql::RELEASE_GATEWAY_LEASE,
            libsql::params![shard.number, shard.total, holder],
        )
        .await?;
    Ok(changed > 0)
}

/// The shard's stored session, if any.
pub async fn load_session(
    conn: &libsql::Connection,
    shard: ShardId,
) -> Result<Option<StoredSession>, StoreError> {
    let mut rows = conn
        .query(
            sql::LOAD_GATEWAY_SESSION,
            libsql::params![shard.number, shard.total],
        )
        .await?;
    let Some(row) = rows.next().await? else {
        return Ok(None);
    };
    let sequence: i64 = row.get(2)?;
    let sequence = u64::try_from(sequence).map_err(|_| StoreError::Corrupt {
        column: "gateway_sessions.sequence",
        value: sequence.to_string(),
        expected: "a sequence number",
    })?;
    Ok(Some(StoredSession {
        resume: ResumeState {
            session_id: row.get(0)?,
            resume_gateway_url: row.get(1)?,
            sequence,
        },
        updated_at: row.get(3)?,
    }))
}

/// Stores the shard's session, if the caller still holds the shard's lease at `now`.
pub async fn save_session(
    conn: &libsql::Connection,
    shard: ShardId,
    holder: &str,
    resume: &ResumeState,
    now: i64,
) -> Result<SessionWrite, StoreError> {
    // SQLite integers are signed.
    let sequence = i64::try_from(resume.sequence).map_err(|_| StoreError::TooLarge {
        what: "a gateway sequence number",
        value: resume.sequence,
    })?;
    let changed = conn
        .execute(
            sql::SAVE_GATEWAY_SESSION,
            libsql::params![
                shard.number,
                shard.total,
                resume.session_id.as_str(),
                resume.resume_gateway_url.as_str(),
                sequence,
                now,
                holder,
            ],
        )
        .await?;
    Ok(if changed > 0 {
        SessionWrite::Done
    } else {
        SessionWrite::NotLeaseHolder
    })
}

/// Forgets the shard's session (Discord invalidated it), if the caller holds the lease.
/// Returns true when a session was removed.
pub async fn delete_session(
    conn: &libsql::Connection,
    shard: ShardId,
    holder: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = conn
        .execute(
            sql::DELETE_GATEWAY_SESSION,
            libsql::params![shard.number, shard.total, holder, now],
        )
        .await?;
    Ok(changed > 0)
}
