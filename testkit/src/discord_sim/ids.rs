//! Snowflakes: the fixed ids of the default community, and fresh ids whose timestamp is now.
//!
//! The fixed ids are real snowflakes from June 2024 whose timestamps are a multiple of 720720
//! (the least common multiple of 1 to 16) apart from the guild index, so community `i` lands on
//! shard `i % n` for any shard count `n` up to 16 by Discord's `(guild_id >> 22) % n`.
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds from the Unix epoch to Discord's (2015-01-01T00:00:00Z).
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
/// Timestamp part of the default community's ids.
const BASE: u64 = 297_130_513_680;

/// The snowflake `offset` milliseconds after the base.
pub const fn fixed(offset: u64) -> u64 {
    (BASE + offset) << 22
}

/// The guild of community `index`: its timestamp is `BASE + index`, hence its shard.
pub const fn guild(index: u32) -> u64 {
    fixed(index as u64)
}

pub const GUILD: u64 = guild(0);
/// The application, and so the bot user.
pub const APPLICATION: u64 = fixed(100);
pub const ALICE: u64 = fixed(200);
pub const BOB: u64 = fixed(201);
pub const CAROL: u64 = fixed(202);
/// A moderator (Manage Server) in every guild.
pub const MAYA: u64 = fixed(203);
/// Another application's bot, whose messages a launch detector must ignore.
pub const HELPER_BOT: u64 = fixed(204);
pub const I_SHIPPED: u64 = fixed(300);
pub const ANNOUNCEMENTS: u64 = fixed(301);
pub const GENERAL: u64 = fixed(302);
pub const MODERATORS_ROLE: u64 = fixed(400);

/// The shard Discord routes a guild's events to.
pub const fn shard_for(guild_id: u64, shard_count: u32) -> u32 {
    ((guild_id >> 22) % shard_count as u64) as u32
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The Unix time, in milliseconds, a snowflake was made at.
pub const fn timestamp_ms(snowflake: u64) -> u64 {
    (snowflake >> 22) + DISCORD_EPOCH_MS
}

/// Makes snowflakes stamped with the current time, unique within one simulator.
#[derive(Debug, Default)]
pub struct SnowflakeGen {
    last_ms: u64,
    increment: u64,
}

impl SnowflakeGen {
    /// Worker 1, process 1, as Discord's ids carry some.
    const MACHINE_BITS: u64 = (1 << 17) | (1 << 12);

    pub fn fresh(&mut self) -> u64 {
        let now = now_ms().saturating_sub(DISCORD_EPOCH_MS);
        if now > self.last_ms {
            self.last_ms = now;
            self.increment = 0;
        } else {
            self.increment += 1;
            // 4096 ids in one millisecond: borrow the next millisecond rather than repeat one.
            if self.increment == 1 << 12 {
                self.last_ms += 1;
                self.increment = 0;
            }
        }
        (self.last_ms << 22) | Self::MACHINE_BITS | self.increment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn community_guilds_land_on_their_index_modulo_any_small_shard_count() {
        for count in 1..=16 {
            for index in 0..40 {
                assert_eq!(shard_for(guild(index), count), index % count);
            }
        }
    }

    #[test]
    fn fresh_snowflakes_are_unique_increasing_and_stamped_now() {
        let mut ids = SnowflakeGen::default();
        let before = now_ms();
        let made: Vec<u64> = (0..10_000).map(|_| ids.fresh()).collect();
        assert!(made.windows(2).all(|w| w[0] < w[1]));
        let stamped = timestamp_ms(made[0]);
        assert!(stamped >= before && stamped <= now_ms() + 5);
    }
}
