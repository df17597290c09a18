//! The weekly digest's data: which guilds get one, their launches in a window, and the
//! (guild, week) claim that makes a cron firing twice post once.

use std::time::Duration;

use shiptrack_core::sql;

use super::{StoreError, collect, flag, snowflake};

/// A guild whose settings ask for a digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestGuild {
    pub guild_id: u64,
    pub announcements_channel_id: u64,
    pub quiet_week_message: bool,
}

/// Guilds with the digest on and an announcements channel, by guild id.
pub async fn digest_guilds(conn: &libsql::Connection) -> Result<Vec<DigestGuild>, StoreError> {
    let rows = conn.query(sql::DIGEST_GUILDS, ()).await?;
    collect(rows, |row| {
        Ok(DigestGuild {
            guild_id: snowflake(row, 0, "guild_settings.guild_id")?,
            announcements_channel_id: snowflake(row, 1, "guild_settings.announcements_channel_id")?,
            quiet_week_message: flag(row, 2)?,
        })
    })
    .await
}

/// A launch as the digest shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestLaunch {
    pub id: i64,
    pub author_id: u64,
    pub author_name: String,
    pub text: String,
    pub url: Option<String>,
    pub created_at: i64,
}

/// The guild's live launches with `start <= created_at < end`, oldest first.
pub async fn digest_launches(
    conn: &libsql::Connection,
    guild_id: u64,
    start: i64,
    end: i64,
) -> Result<Vec<DigestLaunch>, StoreError> {
    let rows = conn
        .query(
            sql::DIGEST_LAUNCHES,
            libsql::params![guild_id.to_string(), start, end],
        )
        .await?;
    collect(rows, |row| {
        Ok(DigestLaunch {
            id: row.get(0)?,
            author_id: snowflake(row, 1, "launches.author_id")?,
            author_name: row.get(2)?,
            text: row.get(3)?,
            url: row.get(4)?,
            created_at: row.get(5)?,
        })
    })
    .await
}

/// Which digest a claim is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestWeek<'a> {
    pub guild_id: u64,
    pub week_key: &'a str,
    pub window_start: i64,
    pub window_end: i64,
}

/// The outcome of a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The caller may post. `already_posted` holds the ids an earlier, dead run posted, in
    /// order, so the caller continues after them instead of posting them again.
    Claimed { already_posted: Vec<String> },
    /// Another run holds a live claim, or the week is finished.
    Taken,
}

/// Claims the week for `claimer` (unique per run). A claim older than `stale_after` that was
/// never finished is taken over.
pub async fn claim_digest(
    conn: &libsql::Connection,
    week: &DigestWeek<'_>,
    claimer: &str,
    now: i64,
    stale_after: Duration,
) -> Result<Claim, StoreError> {
    let stale_after = i64::try_from(stale_after.as_millis()).unwrap_or(i64::MAX);
    let mut rows = conn
        .query(
            sql::CLAIM_DIGEST,
            libsql::params![
                week.guild_id.to_string(),
                week.week_key,
                week.window_start,
                week.window_end,
                claimer,
                now,
                stale_after,
            ],
        )
        .await?;
    let Some(row) = rows.next().await? else {
        return Ok(Claim::Taken);
    };
    let message_ids: String = row.get(0)?;
    let already_posted = serde_json::from_str(&message_ids).map_err(|_| StoreError::Corrupt {
        column: "digests.message_ids",
        value: message_ids.clone(),
        expected: "a JSON list of message ids",
    })?;
    Ok(Claim::Claimed { already_posted })
}

/// The outcome of a write to a claimed digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimWrite {
    Done,
    /// The claim was taken over (this run was thought dead): stop posting.
    ClaimLost,
}

fn claim_write(changed: u64) -> ClaimWrite {
    if changed > 0 {
        ClaimWrite::Done
    } else {
        ClaimWrite::ClaimLost
    }
}

/// Records a posted message and refreshes the claim.
pub async fn record_digest_message(
    conn: &libsql::Connection,
    guild_id: u64,
    week_key: &str,
    claimer: &str,
    message_id: u64,
    now: i64,
) -> Result<ClaimWrite, StoreError> {
    let changed = conn
        .execute(
            sql::RECORD_DIGEST_MESSAGE,
            libsql::params![
                guild_id.to_string(),
                week_key,
                claimer,
                message_id.to_string(),
                now
            ],
        )
        .await?;
    Ok(claim_write(changed))
}

/// How a digest run ended well.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestOutcome {
    /// Messages were posted.
    Posted,
    /// Nothing shipped and the guild wants silence.
    Empty,
}

impl DigestOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Posted => "posted",
            Self::Empty => "empty",
        }
    }
}

/// Marks the claimed week finished; it is never claimed again.
pub async fn finish_digest(
    conn: &libsql::Connection,
    guild_id: u64,
    week_key: &str,
    claimer: &str,
    outcome: DigestOutcome,
    now: i64,
) -> Result<ClaimWrite, StoreError> {
    let changed = conn
        .execute(
            sql::FINISH_DIGEST,
            libsql::params![
                guild_id.to_string(),
                week_key,
                claimer,
                outcome.as_str(),
                now
            ],
        )
        .await?;
    Ok(claim_write(changed))
}

/// Records a permanent failure with Discord's message.
pub async fn fail_digest(
    conn: &libsql::Connection,
    guild_id: u64,
    week_key: &str,
    claimer: &str,
    error: &str,
) -> Result<ClaimWrite, StoreError> {
    let changed = conn
        .execute(
            sql::FAIL_DIGEST,
            libsql::params![guild_id.to_string(), week_key, claimer, error],
        )
        .await?;
    Ok(claim_write(changed))
}
