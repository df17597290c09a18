-- Whether the gateway worker still owes a launch's message its 🚀. The reaction is sent after
-- the row commits, so a process killed in between, or a Discord failing for longer than the
-- REST client retries, would otherwise lose it for good: the replayed event finds the row and
-- reacts to nothing. Each shard sweeps its pending rows when it takes the shard.
--   NULL      ShipTrack does not react to this launch (/ship, "Log as launch" from the edge,
--             rows from before this migration).
--   'pending' the gateway worker logged it and its 🚀 has not been confirmed.
--   'done'    reacted, or Discord refused for good (403/404: no permission, message gone),
--             which is never retried.
ALTER TABLE launches ADD COLUMN reaction TEXT CHECK (reaction IN ('pending', 'done'));

-- The sweep: recent launches still waiting for their 🚀, oldest first. Partial, so the
-- reacted and the edge's launches cost nothing.
CREATE INDEX launches_pending_reaction ON launches (created_at) WHERE reaction = 'pending';
