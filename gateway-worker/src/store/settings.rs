//! Per-guild settings and ship channels, for a bot serving more than one community. The
//! environment's values (`SHIP_CHANNEL_IDS`, `SHIP_WORDS`, …) are the single-community default;
//! these rows add to or override them.

use shiptrack_core::sql;

use super::{StoreError, collect, flag, optional_snowflake, snowflake};

/// A guild's settings row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuildSettings {
    pub announcements_channel_id: Option<u64>,
    /// Comma-separated ship words as stored; `None` means the default words. Parsed by
    /// `shiptrack_core::launch::ShipWords` where it is used, so a bad list is reported there.
    pub ship_words: Option<String>,
    pub digest_enabled: bool,
    /// Post a "quiet week" line when nothing shipped, instead of staying silent.
    pub quiet_week_message: bool,
}

/// The guild's settings row, or `None` when it has none.
pub async fn guild_settings(
    conn: &libsql::Connection,
    guild_id: u64,
) -> Result<Option<GuildSettings>, StoreError> {
    let mut rows = conn
        .query(sql::GUILD_SETTINGS, [guild_id.to_string()])
        .await?;
    let Some(row) = rows.next().await? else {
        return Ok(None);
    };
    Ok(Some(GuildSettings {
        announcements_channel_id: optional_snowflake(
            &row,
            0,
            "guild_settings.announcements_channel_id",
        )?,
        ship_words: row.get(1)?,
        digest_enabled: flag(&row, 2)?,
        quiet_week_message: flag(&row, 3)?,
    }))
}

/// Creates or replaces the guild's settings row.
pub async fn save_guild_settings(
    conn: &libsql::Connection,
    guild_id: u64,
    settings: &GuildSettings,
    now: i64,
) -> Result<(), StoreError> {
    conn.execute(
        sql::UPSERT_GUILD_SETTINGS,
        libsql::params![
            guild_id.to_string(),
            settings.announcements_channel_id.map(|id| id.to_string()),
            settings.ship_words.as_deref(),
            i64::from(settings.digest_enabled),
            i64::from(settings.quiet_week_message),
            now,
        ],
    )
    .await?;
    Ok(())
}

/// A channel whose messages are watched for launches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShipChannel {
    pub channel_id: u64,
    pub guild_id: u64,
}

/// Every ship channel stored in the database, by channel id.
pub async fn ship_channels(conn: &libsql::Connection) -> Result<Vec<ShipChannel>, StoreError> {
    let rows = conn.query(sql::SHIP_CHANNELS, ()).await?;
    collect(rows, |row| {
        Ok(ShipChannel {
            channel_id: snowflake(row, 0, "ship_channels.channel_id")?,
            guild_id: snowflake(row, 1, "ship_channels.guild_id")?,
        })
    })
    .await
}

/// Makes a channel a ship channel; adding it twice changes nothing.
pub async fn add_ship_channel(
    conn: &libsql::Connection,
    channel: ShipChannel,
) -> Result<(), StoreError> {
    conn.execute(
        sql::ADD_SHIP_CHANNEL,
        [channel.channel_id.to_string(), channel.guild_id.to_string()],
    )
    .await?;
    Ok(())
}
