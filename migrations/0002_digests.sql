-- One row per (guild, week). The cron claims the row before posting, so a trigger that
-- fires twice posts once; a claim left behind by a run that died (claimed_at older than a
-- few minutes; each posted message refreshes it) can be taken over. 'posted' and 'empty'
-- are final; 'failed' keeps Discord's error and may be retried by a later run.
CREATE TABLE digests (
    guild_id     TEXT    NOT NULL,
    week_key     TEXT    NOT NULL,               -- ISO week of the window, e.g. '2026-W48'
    window_start INTEGER NOT NULL,               -- Unix ms, inclusive
    window_end   INTEGER NOT NULL,               -- Unix ms, exclusive: the trigger's scheduled time
    status       TEXT    NOT NULL CHECK (status IN ('claimed', 'posted', 'empty', 'failed')),
    claimed_by   TEXT    NOT NULL,
    claimed_at   INTEGER NOT NULL,
    -- JSON array of the ids of the messages posted so far, in order; a take-over continues after them.
    message_ids  TEXT    NOT NULL DEFAULT '[]',
    posted_at    INTEGER,
    error        TEXT,
    PRIMARY KEY (guild_id, week_key)
);
