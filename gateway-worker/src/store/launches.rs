//! Launches: logging one at most once per Discord id, removing one, the gateway worker's owed
//! 🚀 reactions, and the member views (`/profile`, `/leaderboard`, `/unship`'s choices) over
//! the live ones.

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
    insert_with(conn, sql::INSERT_LAUNCH, launch).await
}

/// The gateway worker's insert: logs a launch from a message it saw unless its source id was
/// logged before, and records that the message is owed its 🚀 until [`mark_reacted`].
pub async fn insert_launch_awaiting_reaction(
    conn: &libsql::Connection,
    launch: &NewLaunch<'_>,
) -> Result<Logged, StoreError> {
    insert_with(conn, sql::INSERT_LAUNCH_AWAITING_REACTION, launch).await
}

async fn insert_with(
    conn: &libsql::Connection,
    statement: &str,
    launch: &NewLaunch<'_>,
) -> Result<Logged, StoreError> {
    let mut rows = conn.query(statement, insert_params(launch)).await?;
    logged(rows.next().await?)
}

/// [`insert_launch_awaiting_reaction`]'s statement prepared once, to log a run of launches in
/// one transaction without parsing the same SQL for each of them. Worth it on an embedded
/// file only: a server answers a prepare with a round trip of its own.
pub struct LaunchInsert(libsql::Statement);

impl LaunchInsert {
    pub async fn prepare(conn: &libsql::Connection) -> Result<Self, StoreError> {
        Ok(Self(
            conn.prepare(sql::INSERT_LAUNCH_AWAITING_REACTION).await?,
        ))
    }

    /// Logs a launch as [`insert_launch_awaiting_reaction`] does.
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

/// Settles a launch's 🚀 (Discord accepted it, or refused it for good); true when it was
/// still pending.
pub async fn mark_reacted(conn: &libsql::Connection, source_id: u64) -> Result<bool, StoreError> {
    let changed = conn
        .execute(sql::MARK_LAUNCH_REACTED, [source_id.to_string()])
        .await?;
    Ok(changed > 0)
}

/// A launch whose message is still owed its 🚀.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingReaction {
    pub guild_id: u64,
    pub channel_id: u64,
    pub message_id: u64,
}

/// The live launches of shard `shard_id` of `shard_count` whose 🚀 is still owed, created at
/// or after `since`, oldest first, at most `limit`.
pub async fn pending_reactions(
    conn: &libsql::Connection,
    shard_id: u32,
    shard_count: u32,
    since: i64,
    limit: u32,
) -> Result<Vec<PendingReaction>, StoreError> {
    let rows = conn
        .query(
            sql::PENDING_LAUNCH_REACTIONS,
            libsql::params![shard_id, shard_count, since, limit],
        )
        .await?;
    collect(rows, |row| {
        Ok(PendingReaction {
            guild_id: snowflake(row, 0, "launches.guild_id")?,
            channel_id: snowflake(row, 1, "launches.channel_id")?,
            message_id: snowflake(row, 2, "launches.source_id")?,
        })
    })
    .await
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

/// The candidates for `/unship`'s suggestions: the caller's live launches that may contain
/// `typed` in any case (`sql::UNSHIP_AUTOCOMPLETE`), newest first, at most 100.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::migrated_connection;

    /// Guild ids on shard 0 and shard 1 of 2, by Discord's `(guild_id >> 22) % shard_count`.
    const SHARD_0_GUILD: u64 = 4 << 22;
    const SHARD_1_GUILD: u64 = 5 << 22;

    fn launch(
        guild_id: u64,
        source: LaunchSource,
        source_id: u64,
        created_at: i64,
    ) -> NewLaunch<'static> {
        NewLaunch {
            guild_id,
            channel_id: Some(77),
            author_id: 3,
            author_name: "ada",
            text: "shipped https://x.io",
            url: Some("https://x.io"),
            source,
            source_id,
            created_at,
        }
    }

    fn from_message(guild_id: u64, message: u64, created_at: i64) -> NewLaunch<'static> {
        launch(guild_id, LaunchSource::Message, message, created_at)
    }

    async fn reaction_of(conn: &libsql::Connection, source_id: u64) -> Option<String> {
        let mut rows = conn
            .query(
                "SELECT reaction FROM launches WHERE source_id = ?1",
                [source_id.to_string()],
            )
            .await
            .unwrap();
        rows.next().await.unwrap().unwrap().get(0).unwrap()
    }

    async fn swept(conn: &libsql::Connection, shard_id: u32, since: i64, limit: u32) -> Vec<u64> {
        pending_reactions(conn, shard_id, 2, since, limit)
            .await
            .unwrap()
            .into_iter()
            .map(|pending| pending.message_id)
            .collect()
    }

    #[tokio::test]
    async fn a_launch_the_gateway_worker_logs_awaits_its_reaction() {
        let (_dir, conn) = migrated_connection().await;
        let logged = insert_launch_awaiting_reaction(&conn, &from_message(SHARD_0_GUILD, 9, 1_000))
            .await
            .unwrap();
        assert!(matches!(logged, Logged::New { .. }), "{logged:?}");
        assert_eq!(reaction_of(&conn, 9).await.as_deref(), Some("pending"));
        assert_eq!(
            pending_reactions(&conn, 0, 2, 0, 10).await.unwrap(),
            [PendingReaction {
                guild_id: SHARD_0_GUILD,
                channel_id: 77,
                message_id: 9
            }]
        );
    }

    #[tokio::test]
    async fn the_prepared_insert_also_marks_the_reaction_pending() {
        let (_dir, conn) = migrated_connection().await;
        let mut insert = LaunchInsert::prepare(&conn).await.unwrap();
        insert
            .insert(&from_message(SHARD_0_GUILD, 9, 1_000))
            .await
            .unwrap();
        insert
            .insert(&from_message(SHARD_0_GUILD, 10, 1_000))
            .await
            .unwrap();
        assert_eq!(reaction_of(&conn, 9).await.as_deref(), Some("pending"));
        assert_eq!(reaction_of(&conn, 10).await.as_deref(), Some("pending"));
    }

    #[tokio::test]
    async fn a_settled_reaction_is_done_once_and_no_longer_swept() {
        let (_dir, conn) = migrated_connection().await;
        insert_launch_awaiting_reaction(&conn, &from_message(SHARD_0_GUILD, 9, 1_000))
            .await
            .unwrap();
        assert!(mark_reacted(&conn, 9).await.unwrap());
        assert!(!mark_reacted(&conn, 9).await.unwrap(), "already settled");
        assert!(!mark_reacted(&conn, 404).await.unwrap(), "no such launch");
        assert_eq!(reaction_of(&conn, 9).await.as_deref(), Some("done"));
        assert_eq!(swept(&conn, 0, 0, 10).await, Vec::<u64>::new());
    }

    #[tokio::test]
    async fn the_sweep_returns_this_shards_recent_live_pending_launches_oldest_first() {
        let (_dir, conn) = migrated_connection().await;
        let since = 1_000;
        for launch in [
            from_message(SHARD_0_GUILD, 1, 3_000),
            from_message(SHARD_0_GUILD, 2, 2_000),
            from_message(SHARD_1_GUILD, 3, 2_500),
            from_message(SHARD_0_GUILD, 4, since - 1),
            from_message(SHARD_0_GUILD, 5, since),
            from_message(SHARD_0_GUILD, 6, 2_200),
            from_message(SHARD_0_GUILD, 7, 2_300),
        ] {
            insert_launch_awaiting_reaction(&conn, &launch)
                .await
                .unwrap();
        }
        mark_reacted(&conn, 6).await.unwrap();
        soft_delete_by_source_id(&conn, 7, 4_000).await.unwrap();

        assert_eq!(swept(&conn, 0, since, 10).await, [5, 2, 1]);
        assert_eq!(swept(&conn, 1, since, 10).await, [3]);
        assert_eq!(
            swept(&conn, 0, since, 2).await,
            [5, 2],
            "bounded, oldest first"
        );
    }

    #[tokio::test]
    async fn a_launch_from_the_edge_is_never_swept_nor_marked() {
        let (_dir, conn) = migrated_connection().await;
        insert_launch(
            &conn,
            &launch(SHARD_0_GUILD, LaunchSource::ContextMenu, 9, 2_000),
        )
        .await
        .unwrap();
        insert_launch(
            &conn,
            &launch(SHARD_0_GUILD, LaunchSource::Command, 10, 2_000),
        )
        .await
        .unwrap();
        assert_eq!(reaction_of(&conn, 9).await, None);
        assert_eq!(swept(&conn, 0, 0, 10).await, Vec::<u64>::new());
        assert!(!mark_reacted(&conn, 9).await.unwrap());
        assert_eq!(reaction_of(&conn, 9).await, None);
    }
}
