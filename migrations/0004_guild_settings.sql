-- Per-guild settings for a bot that serves more than one community. Environment variables
-- (GUILD_ID, ANNOUNCEMENTS_CHANNEL_ID, SHIP_CHANNEL_IDS, SHIP_WORDS) are the single-community default.
CREATE TABLE guild_settings (
    guild_id                 TEXT    PRIMARY KEY,
    announcements_channel_id TEXT,
    ship_words               TEXT,               -- comma-separated; NULL means the default words
    digest_enabled           INTEGER NOT NULL DEFAULT 1 CHECK (digest_enabled IN (0, 1)),
    quiet_week_message       INTEGER NOT NULL DEFAULT 0 CHECK (quiet_week_message IN (0, 1)),
    updated_at               INTEGER NOT NULL    -- Unix ms
);

-- The channels whose messages the gateway worker watches for launches.
CREATE TABLE ship_channels (
    channel_id TEXT PRIMARY KEY,
    guild_id   TEXT NOT NULL
);
CREATE INDEX ship_channels_by_guild ON ship_channels (guild_id);
