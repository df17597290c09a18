-- Every launch ShipTrack has logged, from /ship, from a message in a ship channel,
-- or from the "Log as launch" message command.
CREATE TABLE launches (
    id          INTEGER PRIMARY KEY,
    guild_id    TEXT    NOT NULL,
    channel_id  TEXT,
    author_id   TEXT    NOT NULL,
    author_name TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    url         TEXT,
    source      TEXT    NOT NULL CHECK (source IN ('command', 'message', 'context_menu')),
    -- The Discord id that produced the launch: the interaction id for /ship, the message id
    -- for a message (whether the gateway worker saw it or a member used "Log as launch").
    -- UNIQUE, so a replayed event or a retried request never makes a second row; its index
    -- also finds the launch to remove when the message is deleted.
    source_id   TEXT    NOT NULL UNIQUE,
    -- Unix milliseconds, UTC. For messages, the message's own timestamp, so a launch replayed
    -- after an outage still lands in the week it was posted.
    created_at  INTEGER NOT NULL,
    -- Soft delete (/unship, or the message was deleted): the digest and every query skip it.
    deleted_at  INTEGER
);

-- The digest and the leaderboard: a guild's live launches in a time window. Partial, so
-- removed launches cost nothing; queries say `deleted_at IS NULL` to use it.
CREATE INDEX launches_by_guild_time ON launches (guild_id, created_at) WHERE deleted_at IS NULL;

-- /profile and /unship's autocomplete: one member's launches, newest first.
CREATE INDEX launches_by_author ON launches (guild_id, author_id, created_at) WHERE deleted_at IS NULL;
