-- The gateway worker's durable session per shard, so a restarted or redeployed worker
-- resumes and Discord replays what it missed. `sequence` is the last sequence number whose
-- effects are stored, never one that is only in memory. Only the holder of the shard's
-- lease (below) may write it.
CREATE TABLE gateway_sessions (
    shard_id           INTEGER NOT NULL,
    shard_count        INTEGER NOT NULL,
    session_id         TEXT    NOT NULL,
    resume_gateway_url TEXT    NOT NULL,
    sequence           INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,         -- Unix ms
    PRIMARY KEY (shard_id, shard_count)
);

-- Who holds each shard's session: one process at a time, renewed while connected;
-- a standby takes an expired lease over.
CREATE TABLE gateway_leases (
    shard_id    INTEGER NOT NULL,
    shard_count INTEGER NOT NULL,
    holder      TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,                -- Unix ms
    PRIMARY KEY (shard_id, shard_count)
);
