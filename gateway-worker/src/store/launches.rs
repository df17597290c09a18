//! Launches: logging one at most once per Discord id, removing one, and the member views
//! (`/profile`, `/leaderboard`, `/unship`'s choices) over the live ones.

use shiptrack_core::sql::{self, LaunchSource};

use super::{StoreError, collect, snowflake};

/// A launch to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLaunch<'a> {
    pub guild_id: u64,
    pub channel_id: Option<u64>,
    pub author_id: u64,
    pub author_name: &'a str,
    pub text: &'a str,
    pub url: Option<&'a str>,
    pub source: LaunchSource,
    /// The interaction id (`/ship`) or message id (a message, "Log as launch").
    pub source_id: u64,
    pub created_at: i64,
}

/// What logging a launch did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logged {
    /// A new row with this id.
    New { id: i64 },
    /// A launch with the same source id exists (a replayed event or retried request): nothing changed.
    AlreadyLogged,
}

/// Logs a launch unless its source id was logged before.
pub async fn insert_launch(
    conn: &libsql::Connection,
    launch: &NewLaunch<'_>,
) -> Result<Logged, StoreError> {
    let mut rows = conn
        .query(sql::INSERT_LAUNCH, insert_params(launch))
        .await?;
    logged(rows.next().await?)
}

/// [`insert_launch`]'s statement prepared once, to log a run of launches in one transaction
/// without parsing the same SQL for each of them. Worth it on an embedded file only: a
/// server answers a prepare with a round trip of its own.
pub struct LaunchInsert(libsql::Statement);

impl LaunchInsert {
    pub async fn prepare(conn: &libsql::Connection) -> Result<Self, StoreError> {
        Ok(Self(conn.prepare(sql::INSERT_LAUNCH).await?))
    }

    /// Logs a launch unless its source id was logged before, as [`insert_launch`] does.
    pub async fn insert(&mut self, launch: &NewLaunch<'_>) -> Result<Logged, StoreError> {
        // The previous launch's run of the statement ends here.
        self.0.reset();
        let mut rows = self.0.query(insert_params(launch)).await?;
        logged(rows.next().await?)
    }
}

fn insert_params(launch: &NewLaunch<'_>) -> [libsql::Result<libsql::Value>; 9] {
    libsql::params![
        launch.guild_id.to_string(),
        launch.channel_id.map(|id| id.to_string()),
        launch.author_id.to_string(),
        launch.author_name,
        launch.text,
        launch.url,
        launch.source.as_str(),
        launch.source_id.to_string(),
        launch.created_at,
    ]
}

/// The insert returns the new row's id, or nothing when the source id was there already.
fn logged(row: Option<libsql::Row>) -> Result<Logged, StoreError> {
    Ok(match row {
        Some(row) => Logged::New { id: row.get(0)? },
        None => Logged::AlreadyLogged,
    })
}

/// Removes the launch a deleted message produced; true when a live launch was removed.
pub async fn soft_delete_by_source_id(
    conn: &libsql::Connection,
    source_id: u64,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = conn
        .execute(
            sql::SOFT_DELETE_LAUNCH_BY_SOURCE_ID,
            libsql::params![source_id.to_string(), now],
        )
        .await?;
    Ok(changed > 0)
}

/// The outcome of `/unship`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unshipped {
    Removed {
        id: i64,
        author_id: u64,
        text: String,
    },
    /// No launch with that id in this guild.
    NotFound,
    AlreadyRemoved,
    /// Someone else's launch, and the caller may not manage the server.
    NotYours {
        author_id: u64,
    },
}

/// Who asks to remove a launch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: u64,
    /// The member has Manage Server, so may remove anyone's launch.
    pub may_manage_server: bool,
}

/// `/unship`: removes a launch if the caller wrote it or may manage the server.
pub async fn unship(
    conn: &libsql::Connection,
    guild_id: u64,
    launch_id: i64,
    caller: Caller,
    now: i64,
) -> Result<Unshipped, StoreError> {
    let guild = guild_id.to_string();
    let mut removed = conn
        .query(
            sql::SOFT_DELETE_LAUNCH_BY_ID,
            libsql::params![
                launch_id,
                guild.as_str(),
                caller.user_id.to_string(),
                now,
                i64::from(caller.may_manage_server)
            ],
        )
        .await?;
    if let Some(row) = removed.next().await? {
        return Ok(Unshipped::Removed {
            id: row.get(0)?,
            author_id: snowflake(&row, 1, "launches.author_id")?,
            text: row.get(2)?,
        });
    }
    let mut owner = conn
        .query(sql::LAUNCH_OWNER, libsql::params![launch_id, guild])
        .await?;
    Ok(match owner.next().await? {
        None => Unshipped::NotFound,
        Some(row) if row.get::<Option<i64>>(1)?.is_some() => Unshipped::AlreadyRemoved,
        Some(row) => Unshipped::NotYours {
            author_id: snowflake(&row, 0, "launches.author_id")?,
        },
    })
}

/// A member's totals for `/profile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileStats {
    pub launch_count: i64,
    /// `None` when the member has no live launch.
    pub first_at: Option<i64>,
    pub latest_at: Option<i64>,
}

pub async fn profile_stats(
    conn: &libsql::Connection,
    guild_id: u64,
    author_id: u64,
) -> Result<ProfileStats, StoreError> {
    let mut rows = conn
        .query(
            sql::PROFILE_STATS,
            libsql::params![guild_id.to_string(), author_id.to_string()],
        )
        .await?;
    let row = rows
        .next()
        .await?
        .ok_or(libsql::Error::QueryReturnedNoRows)?;
    Ok(ProfileStats {
        launch_count: row.get(0)?,
        first_at: row.get(1)?,
        latest_at: row.get(2)?,
    })
}

/// One launch as `/profile` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchSummary {
    pub id: i64,
    pub text: String,
    pub url: Option<String>,
    pub created_at: i64,
}

/// A member's latest live launches, newest first.
pub async fn latest_launches(
    conn: &libsql::Connection,
    guild_id: u64,
    author_id: u64,
    limit: u32,
) -> Result<Vec<LaunchSummary>, StoreError> {
    let rows = conn
        .query(
            sql::PROFILE_LATEST_LAUNCHES,
            libsql::params![guild_id.to_string(), author_id.to_string(), limit],
        )
        .await?;
    collect(rows, |row| {
        Ok(LaunchSummary {
            id: row.get(0)?,
            text: row.get(1)?,
            url: row.get(2)?,
            created_at: row.get(3)?,
        })
    })
    .await
}

/// One line of `/leaderboard`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderboardEntry {
    pub author_id: u64,
    pub author_name: String,
    pub launch_count: i64,
    pub latest_at: i64,
}

/// The most active members since `since` (0 for all time), best first, ties broken as
/// [`sql::LEADERBOARD`] documents.
pub async fn leaderboard(
    conn: &libsql::Connection,
    guild_id: u64,
    since: i64,
    limit: u32,
) -> Result<Vec<LeaderboardEntry>, StoreError> {
    let rows = conn
        .query(
            sql::LEADERBOARD,
            libsql::params![guild_id.to_string(), since, limit],
        )
        .await?;
    collect(rows, |row| {
        Ok(LeaderboardEntry {
            author_id: snowflake(row, 0, "launches.author_id")?,
            author_name: row.get(1)?,
            launch_count: row.get(2)?,
            latest_at: row.get(3)?,
        })
    })
    .await
}

/// One choice offered by `/unship`'s autocomplete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnshipChoice {
    pub id: i64,
    pub text: String,
    pub created_at: i64,
}

/// The caller's recent live launches containing `typed` (any ASCII case), at most 25.
pub async fn unship_choices(
    conn: &libsql::Connection,
    guild_id: u64,
    author_id: u64,
    typed: &str,
) -> Result<Vec<UnshipChoice>, StoreError> {
    let rows = conn
        .query(
            sql::UNSHIP_AUTOCOMPLETE,
            libsql::params![
                guild_id.to_string(),
                author_id.to_string(),
                sql::like_contains(typed)
            ],
        )
        .await?;
    collect(rows, |row| {
        Ok(UnshipChoice {
            id: row.get(0)?,
            text: row.get(1)?,
            created_at: row.get(2)?,
        })
    })
    .await
}
