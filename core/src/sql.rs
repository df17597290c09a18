//! The SQL ShipTrack runs, as text, so the edge (Hrana over HTTP) and the native side
//! (the `libsql` crate) run the very same statements against the schema in `migrations/`.
//!
//! Every statement takes positional parameters (`?1`, `?2`, …), which both Hrana and the
//! `libsql` crate bind the same way. Discord ids (snowflakes) are bound and returned as
//! TEXT, because a JavaScript number in the Worker cannot hold every u64; times are
//! INTEGER Unix milliseconds, UTC. Each statement's doc lists its parameters and what it
//! returns. [`ALL`] names every statement so the native tests can compile each one against
//! the migrated schema.

/// Stores a launch unless one with the same `source_id` exists, so a replayed gateway event
/// or a retried interaction never makes a second row.
///
/// Parameters: ?1 guild_id, ?2 channel_id (or NULL), ?3 author_id, ?4 author_name, ?5 text,
/// ?6 url (or NULL), ?7 source ([`LaunchSource::as_str`]), ?8 source_id (interaction or
/// message id), ?9 created_at.
/// Returns: one row `id` when the launch is new; no row when it was already logged.
pub const INSERT_LAUNCH: &str = "\
INSERT INTO launches (guild_id, channel_id, author_id, author_name, text, url, source, source_id, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (source_id) DO NOTHING
RETURNING id";

/// The gateway worker's launch from a message in a ship channel: [`INSERT_LAUNCH`], with the
/// message's 🚀 marked as owed (`reaction = 'pending'`) in the same row, so a process that dies
/// before the reaction went out leaves a row the next one finds with
/// [`PENDING_LAUNCH_REACTIONS`]. The edge's launches keep `reaction` NULL: it never reacts.
///
/// Parameters and returns: those of [`INSERT_LAUNCH`].
pub const INSERT_LAUNCH_AWAITING_REACTION: &str = "\
INSERT INTO launches (guild_id, channel_id, author_id, author_name, text, url, source, source_id, created_at, reaction)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending')
ON CONFLICT (source_id) DO NOTHING
RETURNING id";

/// A launch's 🚀 is settled: Discord accepted it, or refused it for good.
///
/// Parameters: ?1 source_id (message id).
/// Returns: no rows; one change when the reaction was pending.
pub const MARK_LAUNCH_REACTED: &str = "\
UPDATE launches SET reaction = 'done'
WHERE source_id = ?1 AND reaction = 'pending'";

/// The live launches of one shard's guilds whose 🚀 is still owed, created since a time,
/// oldest first (ties by id). A guild belongs to shard `(guild_id >> 22) % shard_count`;
/// snowflakes fit in SQLite's 64-bit integers.
///
/// Parameters: ?1 shard_id, ?2 shard_count, ?3 created since (inclusive), ?4 limit.
/// Returns: rows `guild_id, channel_id, source_id`.
pub const PENDING_LAUNCH_REACTIONS: &str = "\
SELECT guild_id, channel_id, source_id
FROM launches
WHERE reaction = 'pending' AND created_at >= ?3 AND deleted_at IS NULL
  AND channel_id IS NOT NULL
  AND (CAST(guild_id AS INTEGER) >> 22) % ?2 = ?1
ORDER BY created_at, id
LIMIT ?4";

/// Soft-deletes the launch a Discord message produced (the message was deleted). Message ids
/// are unique across Discord, so no guild is needed.
///
/// Parameters: ?1 source_id (message id), ?2 deleted_at.
/// Returns: no rows; one change when a live launch was removed, none otherwise.
pub const SOFT_DELETE_LAUNCH_BY_SOURCE_ID: &str = "\
UPDATE launches SET deleted_at = ?2
WHERE source_id = ?1 AND deleted_at IS NULL";

/// `/unship`: soft-deletes a launch if the caller wrote it or may manage the server. The
/// check sits in the WHERE clause so no one can remove another member's launch between a
/// separate check and the update.
///
/// Parameters: ?1 launch id, ?2 guild_id, ?3 caller's user id, ?4 deleted_at,
/// ?5 1 when the caller has Manage Server, else 0.
/// Returns: one row `id, author_id, text` when removed; no row when the launch does not exist
/// in this guild, is already removed, or is someone else's (see [`LAUNCH_OWNER`] to tell which).
pub const SOFT_DELETE_LAUNCH_BY_ID: &str = "\
UPDATE launches SET deleted_at = ?4
WHERE id = ?1 AND guild_id = ?2 AND deleted_at IS NULL AND (author_id = ?3 OR ?5 = 1)
RETURNING id, author_id, text";

/// Who wrote a launch and whether it is removed, to explain why [`SOFT_DELETE_LAUNCH_BY_ID`]
/// changed nothing. Both fit in one Hrana pipeline, so the explanation costs no round trip.
///
/// Parameters: ?1 launch id, ?2 guild_id.
/// Returns: at most one row `author_id, deleted_at` (deleted_at NULL while live).
pub const LAUNCH_OWNER: &str = "\
SELECT author_id, deleted_at FROM launches WHERE id = ?1 AND guild_id = ?2";

/// `/profile`: a member's live launch count with the times of the first and latest.
///
/// Parameters: ?1 guild_id, ?2 author_id.
/// Returns: exactly one row `launch_count, first_at, latest_at` (times NULL when the count is 0).
pub const PROFILE_STATS: &str = "\
SELECT COUNT(*) AS launch_count, MIN(created_at) AS first_at, MAX(created_at) AS latest_at
FROM launches
WHERE guild_id = ?1 AND author_id = ?2 AND deleted_at IS NULL";

/// `/profile`: a member's latest live launches, newest first (ties by id, newest first).
///
/// Parameters: ?1 guild_id, ?2 author_id, ?3 how many.
/// Returns: rows `id, text, url, created_at`.
pub const PROFILE_LATEST_LAUNCHES: &str = "\
SELECT id, text, url, created_at
FROM launches
WHERE guild_id = ?1 AND author_id = ?2 AND deleted_at IS NULL
ORDER BY created_at DESC, id DESC
LIMIT ?3";

/// `/leaderboard`: the members with the most live launches since a time.
///
/// Ties are broken stably: more launches first; on equal counts, whoever reached that count
/// first (the earlier latest launch) ranks higher; then by author_id as text, so the order
/// never depends on how the database happened to group. `author_name` is the name on the
/// member's latest launch in the period (SQLite takes a bare column from the row that
/// `MAX` chose).
///
/// Parameters: ?1 guild_id, ?2 since (inclusive; 0 for all time), ?3 how many.
/// Returns: rows `author_id, author_name, launch_count, latest_at`, best first.
pub const LEADERBOARD: &str = "\
SELECT author_id, author_name, COUNT(*) AS launch_count, MAX(created_at) AS latest_at
FROM launches
WHERE guild_id = ?1 AND created_at >= ?2 AND deleted_at IS NULL
GROUP BY author_id
ORDER BY launch_count DESC, latest_at ASC, author_id ASC
LIMIT ?3";

/// `/unship` autocomplete: the candidates among the caller's live launches for what they
/// typed, newest first, at most 100. The pattern ([`like_contains`]) lets through every text
/// that holds the typed text in any case, and some that do not; `replies::unship_choices`
/// keeps the true matches, of which the answer shows 25 (Discord's limit on choices). The
/// 100 leave room for the candidates it drops.
///
/// Parameters: ?1 guild_id, ?2 author_id, ?3 a LIKE pattern built by [`like_contains`].
/// Returns: rows `id, text, created_at`.
pub const UNSHIP_AUTOCOMPLETE: &str = r"SELECT id, text, created_at
FROM launches
WHERE guild_id = ?1 AND author_id = ?2 AND deleted_at IS NULL AND text LIKE ?3 ESCAPE '\'
ORDER BY created_at DESC, id DESC
LIMIT 100";

/// A guild's settings row, when it has one (otherwise the environment's defaults apply).
///
/// Parameters: ?1 guild_id.
/// Returns: at most one row `announcements_channel_id, ship_words, digest_enabled,
/// quiet_week_message` (ship_words NULL for the default words; flags 0 or 1).
pub const GUILD_SETTINGS: &str = "\
SELECT announcements_channel_id, ship_words, digest_enabled, quiet_week_message
FROM guild_settings WHERE guild_id = ?1";

/// Creates or replaces a guild's settings row.
///
/// Parameters: ?1 guild_id, ?2 announcements_channel_id (or NULL), ?3 ship_words
/// (comma-separated, or NULL for the default words), ?4 digest_enabled (0 or 1),
/// ?5 quiet_week_message (0 or 1), ?6 updated_at.
/// Returns: no rows.
pub const UPSERT_GUILD_SETTINGS: &str = "\
INSERT INTO guild_settings (guild_id, announcements_channel_id, ship_words, digest_enabled, quiet_week_message, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (guild_id) DO UPDATE SET
    announcements_channel_id = excluded.announcements_channel_id,
    ship_words = excluded.ship_words,
    digest_enabled = excluded.digest_enabled,
    quiet_week_message = excluded.quiet_week_message,
    updated_at = excluded.updated_at";

/// Every ship channel stored in the database (the environment's `SHIP_CHANNEL_IDS` add to them).
///
/// Parameters: none.
/// Returns: rows `channel_id, guild_id`, ordered by channel_id.
pub const SHIP_CHANNELS: &str = "\
SELECT channel_id, guild_id FROM ship_channels ORDER BY channel_id";

/// Makes a channel a ship channel of a guild; adding it again changes nothing.
///
/// Parameters: ?1 channel_id, ?2 guild_id.
/// Returns: no rows.
pub const ADD_SHIP_CHANNEL: &str = "\
INSERT INTO ship_channels (channel_id, guild_id) VALUES (?1, ?2)
ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id";

/// The stored gateway session of a shard, to resume it after a restart.
///
/// Parameters: ?1 shard_id, ?2 shard_count.
/// Returns: at most one row `session_id, resume_gateway_url, sequence, updated_at`.
pub const LOAD_GATEWAY_SESSION: &str = "\
SELECT session_id, resume_gateway_url, sequence, updated_at
FROM gateway_sessions WHERE shard_id = ?1 AND shard_count = ?2";

/// Stores a shard's gateway session, but only while the caller holds the shard's lease: a
/// process that lost its lease (paused, partitioned) can never overwrite the session of the
/// process that took over.
///
/// Parameters: ?1 shard_id, ?2 shard_count, ?3 session_id, ?4 resume_gateway_url,
/// ?5 sequence (the last one whose effects are stored), ?6 now (updated_at), ?7 holder.
/// Returns: no rows; one change when stored, none when the caller does not hold a live lease.
pub const SAVE_GATEWAY_SESSION: &str = "\
INSERT INTO gateway_sessions (shard_id, shard_count, session_id, resume_gateway_url, sequence, updated_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6
WHERE EXISTS (
    SELECT 1 FROM gateway_leases
    WHERE shard_id = ?1 AND shard_count = ?2 AND holder = ?7 AND expires_at > ?6
)
ON CONFLICT (shard_id, shard_count) DO UPDATE SET
    session_id = excluded.session_id,
    resume_gateway_url = excluded.resume_gateway_url,
    sequence = excluded.sequence,
    updated_at = excluded.updated_at";

/// Forgets a shard's session (Discord invalidated it, so the next start must identify), with
/// the same lease check as [`SAVE_GATEWAY_SESSION`].
///
/// Parameters: ?1 shard_id, ?2 shard_count, ?3 holder, ?4 now.
/// Returns: no rows; one change when a session was removed.
pub const DELETE_GATEWAY_SESSION: &str = "\
DELETE FROM gateway_sessions
WHERE shard_id = ?1 AND shard_count = ?2
  AND EXISTS (
    SELECT 1 FROM gateway_leases
    WHERE shard_id = ?1 AND shard_count = ?2 AND holder = ?3 AND expires_at > ?4
  )";

/// Takes or renews a shard's lease in one conditional upsert: the row is written only when
/// the shard is free, its lease has expired, or the caller already holds it. SQLite runs the
/// statement atomically, so two processes racing for one shard can never both win.
///
/// Parameters: ?1 shard_id, ?2 shard_count, ?3 holder, ?4 now, ?5 expires_at.
/// Returns: one row `expires_at` when the caller holds the lease; no row when another holds it.
pub const ACQUIRE_GATEWAY_LEASE: &str = "\
INSERT INTO gateway_leases (shard_id, shard_count, holder, expires_at)
VALUES (?1, ?2, ?3, ?5)
ON CONFLICT (shard_id, shard_count) DO UPDATE SET
    holder = excluded.holder,
    expires_at = excluded.expires_at
WHERE gateway_leases.holder = excluded.holder OR gateway_leases.expires_at <= ?4
RETURNING expires_at";

/// Gives a shard's lease up (clean shutdown), so a standby takes over without waiting for it
/// to expire. Only the holder can release it.
///
/// Parameters: ?1 shard_id, ?2 shard_count, ?3 holder.
/// Returns: no rows; one change when the caller held the lease.
pub const RELEASE_GATEWAY_LEASE: &str = "\
DELETE FROM gateway_leases WHERE shard_id = ?1 AND shard_count = ?2 AND holder = ?3";

/// The digest's launches: a guild's live launches in a window, oldest first (ties by id),
/// so the same week always renders the same way.
///
/// Parameters: ?1 guild_id, ?2 window start (inclusive), ?3 window end (exclusive).
/// Returns: rows `id, author_id, author_name, text, url, created_at`.
pub const DIGEST_LAUNCHES: &str = "\
SELECT id, author_id, author_name, text, url, created_at
FROM launches
WHERE guild_id = ?1 AND created_at >= ?2 AND created_at < ?3 AND deleted_at IS NULL
ORDER BY created_at ASC, id ASC";

/// The guilds whose settings ask for a digest and name a channel for it, in guild order.
/// (`GUILD_ID` and `ANNOUNCEMENTS_CHANNEL_ID` from the environment add a single community.)
///
/// Parameters: none.
/// Returns: rows `guild_id, announcements_channel_id, quiet_week_message`.
pub const DIGEST_GUILDS: &str = "\
SELECT guild_id, announcements_channel_id, quiet_week_message
FROM guild_settings
WHERE digest_enabled = 1 AND announcements_channel_id IS NOT NULL
ORDER BY guild_id";

/// Claims a guild's digest for a week before anything is posted, in one statement: a new
/// week is claimed by inserting its row; an existing row is taken over only when it is not
/// finished (`claimed`, or `failed` so a later run can retry) and its claim is older than the
/// stale age, meaning the run that held it died. The caller's own live claim is also
/// returned again, so a retried claim request is harmless. A posted or empty week is never
/// claimed again, so two cron firings post once.
///
/// Parameters: ?1 guild_id, ?2 week_key, ?3 window_start, ?4 window_end, ?5 claimer (unique
/// per run), ?6 now, ?7 stale age in ms.
/// Returns: one row `message_ids` (JSON array of ids posted by an earlier holder, to continue
/// after) when the caller holds the claim; no row when another run holds or finished it.
pub const CLAIM_DIGEST: &str = "\
INSERT INTO digests (guild_id, week_key, window_start, window_end, status, claimed_by, claimed_at)
VALUES (?1, ?2, ?3, ?4, 'claimed', ?5, ?6)
ON CONFLICT (guild_id, week_key) DO UPDATE SET
    status = 'claimed',
    claimed_by = excluded.claimed_by,
    claimed_at = excluded.claimed_at,
    error = NULL
WHERE (digests.status = 'claimed' AND digests.claimed_by = excluded.claimed_by)
   OR (digests.status IN ('claimed', 'failed') AND digests.claimed_at <= excluded.claimed_at - ?7)
RETURNING message_ids";

/// Appends a posted message's id to the claimed digest and refreshes the claim, so a run
/// slowed by rate limits is not mistaken for a dead one. Only the current claimer can write.
///
/// Parameters: ?1 guild_id, ?2 week_key, ?3 claimer, ?4 message id, ?5 now.
/// Returns: no rows; one change when recorded, none when the claim was lost (stop posting).
pub const RECORD_DIGEST_MESSAGE: &str = "\
UPDATE digests SET message_ids = json_insert(message_ids, '$[#]', ?4), claimed_at = ?5
WHERE guild_id = ?1 AND week_key = ?2 AND claimed_by = ?3 AND status = 'claimed'";

/// Refreshes a claimed digest's `claimed_at` while its run waits (a rate limit, Discord
/// unavailable), so a run that is alive but waiting is not taken for a dead one. Only the
/// current claimer can.
///
/// Parameters: ?1 guild_id, ?2 week_key, ?3 claimer, ?4 now.
/// Returns: no rows; one change while the claim is held, none when it was lost (stop posting).
pub const REFRESH_DIGEST_CLAIM: &str = "\
UPDATE digests SET claimed_at = ?4
WHERE guild_id = ?1 AND week_key = ?2 AND claimed_by = ?3 AND status = 'claimed'";

/// Finishes a claimed digest: `posted` when messages went out, `empty` when the week had
/// nothing to say. Either way the week is never claimed again.
///
/// Parameters: ?1 guild_id, ?2 week_key, ?3 claimer, ?4 status (`posted` or `empty`), ?5 now.
/// Returns: no rows; one change when finished, none when the claim was lost.
pub const FINISH_DIGEST: &str = "\
UPDATE digests SET status = ?4, posted_at = ?5
WHERE guild_id = ?1 AND week_key = ?2 AND claimed_by = ?3 AND status = 'claimed'
  AND ?4 IN ('posted', 'empty')";

/// Records a permanent posting failure (missing access, unknown channel) with Discord's message.
///
/// Parameters: ?1 guild_id, ?2 week_key, ?3 claimer, ?4 error text.
/// Returns: no rows; one change when recorded, none when the claim was lost.
pub const FAIL_DIGEST: &str = "\
UPDATE digests SET status = 'failed', error = ?4
WHERE guild_id = ?1 AND week_key = ?2 AND claimed_by = ?3 AND status = 'claimed'";

/// Every statement above by name, for tests that compile each one against the real schema.
pub const ALL: &[(&str, &str)] = &[
    ("INSERT_LAUNCH", INSERT_LAUNCH),
    (
        "INSERT_LAUNCH_AWAITING_REACTION",
        INSERT_LAUNCH_AWAITING_REACTION,
    ),
    ("MARK_LAUNCH_REACTED", MARK_LAUNCH_REACTED),
    ("PENDING_LAUNCH_REACTIONS", PENDING_LAUNCH_REACTIONS),
    (
        "SOFT_DELETE_LAUNCH_BY_SOURCE_ID",
        SOFT_DELETE_LAUNCH_BY_SOURCE_ID,
    ),
    ("SOFT_DELETE_LAUNCH_BY_ID", SOFT_DELETE_LAUNCH_BY_ID),
    ("LAUNCH_OWNER", LAUNCH_OWNER),
    ("PROFILE_STATS", PROFILE_STATS),
    ("PROFILE_LATEST_LAUNCHES", PROFILE_LATEST_LAUNCHES),
    ("LEADERBOARD", LEADERBOARD),
    ("UNSHIP_AUTOCOMPLETE", UNSHIP_AUTOCOMPLETE),
    ("GUILD_SETTINGS", GUILD_SETTINGS),
    ("UPSERT_GUILD_SETTINGS", UPSERT_GUILD_SETTINGS),
    ("SHIP_CHANNELS", SHIP_CHANNELS),
    ("ADD_SHIP_CHANNEL", ADD_SHIP_CHANNEL),
    ("LOAD_GATEWAY_SESSION", LOAD_GATEWAY_SESSION),
    ("SAVE_GATEWAY_SESSION", SAVE_GATEWAY_SESSION),
    ("DELETE_GATEWAY_SESSION", DELETE_GATEWAY_SESSION),
    ("ACQUIRE_GATEWAY_LEASE", ACQUIRE_GATEWAY_LEASE),
    ("RELEASE_GATEWAY_LEASE", RELEASE_GATEWAY_LEASE),
    ("DIGEST_LAUNCHES", DIGEST_LAUNCHES),
    ("DIGEST_GUILDS", DIGEST_GUILDS),
    ("CLAIM_DIGEST", CLAIM_DIGEST),
    ("RECORD_DIGEST_MESSAGE", RECORD_DIGEST_MESSAGE),
    ("REFRESH_DIGEST_CLAIM", REFRESH_DIGEST_CLAIM),
    ("FINISH_DIGEST", FINISH_DIGEST),
    ("FAIL_DIGEST", FAIL_DIGEST),
];

/// What produced a launch: the values of `launches.source`, which the schema checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaunchSource {
    /// `/ship`; the source id is the interaction id.
    Command,
    /// A message in a ship channel seen by the gateway worker; the source id is the message id.
    Message,
    /// The "Log as launch" message command; the source id is the target message's id, so the
    /// gateway worker and the command never log one message twice.
    ContextMenu,
}

impl LaunchSource {
    /// The value stored in `launches.source`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Command => "command",
            Self::Message => "message",
            Self::ContextMenu => "context_menu",
        }
    }
}

/// A LIKE pattern (for `ESCAPE '\'`) that every text containing `typed`, in any case,
/// matches. SQLite's LIKE ignores the case of ASCII letters only, so an ASCII character stands
/// for itself (the member's `%`, `_` and `\` escaped to match only themselves), as does a
/// character without case (CJK, digits, emoji); a non-ASCII letter with case (`é`, `Ж`) becomes
/// `_`, any one character, and the exact comparison is left to the caller.
pub fn like_contains(typed: &str) -> String {
    let mut pattern = String::with_capacity(typed.len() + 2);
    pattern.push('%');
    for c in typed.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
            pattern.push(c);
        } else if !c.is_ascii() && (c.is_lowercase() || c.is_uppercase()) {
            pattern.push('_');
        } else {
            pattern.push(c);
        }
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers of the `?N` parameters a statement uses, in order of first use.
    fn parameters(sql: &str) -> Vec<usize> {
        let mut found = Vec::new();
        let mut rest = sql;
        while let Some(at) = rest.find('?') {
            let digits: String = rest[at + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            assert!(!digits.is_empty(), "a bare `?` in {sql}");
            let number = digits.parse().unwrap();
            if !found.contains(&number) {
                found.push(number);
            }
            rest = &rest[at + 1 + digits.len()..];
        }
        found
    }

    #[test]
    fn every_statement_numbers_its_parameters_from_one_without_gaps() {
        for (name, sql) in ALL {
            let mut used = parameters(sql);
            used.sort_unstable();
            let expected: Vec<usize> = (1..=used.len()).collect();
            assert_eq!(used, expected, "{name}");
        }
    }

    #[test]
    fn every_statement_is_listed_once_under_a_unique_name() {
        for (index, (name, sql)) in ALL.iter().enumerate() {
            for (other_name, other_sql) in &ALL[index + 1..] {
                assert_ne!(name, other_name);
                assert_ne!(sql, other_sql, "{name} and {other_name}");
            }
        }
    }

    #[test]
    fn like_contains_wraps_plain_text_in_wildcards() {
        assert_eq!(like_contains("my app"), "%my app%");
        assert_eq!(like_contains(""), "%%");
    }

    #[test]
    fn like_contains_escapes_the_wildcards_a_member_types() {
        assert_eq!(like_contains("100%"), r"%100\%%");
        assert_eq!(like_contains("snake_case"), r"%snake\_case%");
        assert_eq!(like_contains(r"C:\path"), r"%C:\\path%");
    }

    #[test]
    fn like_contains_keeps_characters_without_case_whole() {
        assert_eq!(like_contains("リリース 🚀 v2"), "%リリース 🚀 v2%");
    }

    #[test]
    fn like_contains_lets_any_character_stand_for_a_non_ascii_letter_with_case() {
        assert_eq!(like_contains("Été"), "%_t_%");
        assert_eq!(like_contains("ЖУК"), "%___%");
        assert_eq!(like_contains("straße_"), r"%stra_e\_%");
    }

    #[test]
    fn launch_sources_are_the_values_the_schema_allows() {
        let schema = include_str!("../../migrations/0001_launches.sql");
        for source in [
            LaunchSource::Command,
            LaunchSource::Message,
            LaunchSource::ContextMenu,
        ] {
            assert!(
                schema.contains(&format!("'{}'", source.as_str())),
                "{source:?}"
            );
        }
    }
}
