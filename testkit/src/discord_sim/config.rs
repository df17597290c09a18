//! What the simulator knows before it starts: the application, its guilds and people, and the
//! protocol knobs (heartbeat, sharding, session start limit, rate limits) a test may turn.
use std::net::SocketAddr;
use std::time::Duration;

use super::ids;

/// Everything a simulator is started with. `SimConfig::default()` is one community (the guild
/// [`ids::GUILD`] with `#i-shipped`, `#announcements` and `#general`, four people and one other
/// bot) at Discord's own protocol values; tests change the fields they care about.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port (read it back from `RunningSim`).
    pub listen: SocketAddr,
    /// The token REST (`Authorization: Bot <token>`) and Identify/Resume must carry.
    pub bot_token: String,
    /// The application id, which is also the bot user's id, as for every Discord app made since 2020.
    pub application_id: u64,
    pub bot_username: String,
    /// Seed of the application's Ed25519 key pair; `None` draws a fresh one.
    pub public_key_seed: Option<[u8; 32]>,
    pub guilds: Vec<GuildSpec>,
    /// People (and other bots) known to the sim; each is a member of every guild.
    pub users: Vec<UserSpec>,
    /// Sent in Hello; Discord's is 41250 ms.
    pub heartbeat_interval: Duration,
    /// How late past `heartbeat_interval` a heartbeat may arrive before the sim drops the connection.
    pub heartbeat_grace: Duration,
    /// `shards` in `GET /gateway/bot`.
    pub recommended_shards: u32,
    pub session_start_limit: SessionStartLimit,
    /// The window in which each `shard_id % max_concurrency` bucket may identify once (Discord: 5 s).
    pub identify_window: Duration,
    /// How long a session outlives its dropped connection and can still be resumed.
    pub session_ttl: Duration,
    /// Dispatches kept per session for Resume; a resume from before the oldest kept one is refused.
    pub replay_buffer: usize,
    /// Privileged intents the application has been granted; any other privileged bit closes with 4014.
    pub privileged_intents: u64,
    pub rate_limits: RateLimits,
    /// How long `nonce` + `enforce_nonce` deduplicates message creation ("the past few minutes").
    pub nonce_window: Duration,
    /// How long an interaction token accepts webhook calls (Discord: 15 minutes).
    pub interaction_token_ttl: Duration,
    /// Where interactions are POSTed unless a call names another URL.
    pub interactions_url: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            bot_token: "sim-bot-token".to_owned(),
            application_id: ids::APPLICATION,
            bot_username: "ShipTrack".to_owned(),
            public_key_seed: None,
            guilds: vec![GuildSpec::community(0)],
            users: UserSpec::community(),
            heartbeat_interval: Duration::from_millis(41_250),
            heartbeat_grace: Duration::from_secs(5),
            recommended_shards: 1,
            session_start_limit: SessionStartLimit::default(),
            identify_window: Duration::from_secs(5),
            session_ttl: Duration::from_secs(180),
            replay_buffer: 100_000,
            privileged_intents: intents::PRIVILEGED,
            rate_limits: RateLimits::default(),
            nonce_window: Duration::from_secs(300),
            interaction_token_ttl: Duration::from_secs(15 * 60),
            interactions_url: None,
        }
    }
}

impl SimConfig {
    /// `count` communities, guild `i` routed to shard `i % n` for every shard count `n` up to 16.
    pub fn with_guilds(mut self, count: u32) -> Self {
        self.guilds = (0..count).map(GuildSpec::community).collect();
        self
    }

    /// The guild and channel named so, e.g. `channel("i-shipped")` in the first guild that has one.
    pub fn channel(&self, name: &str) -> Option<(&GuildSpec, &ChannelSpec)> {
        self.guilds
            .iter()
            .find_map(|g| g.channels.iter().find(|c| c.name == name).map(|c| (g, c)))
    }
}

/// `session_start_limit` of `GET /gateway/bot`: the identify budget and its concurrency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionStartLimit {
    pub total: u32,
    pub remaining: u32,
    /// Until `remaining` is refilled to `total`.
    pub reset_after: Duration,
    pub max_concurrency: u32,
}

impl Default for SessionStartLimit {
    fn default() -> Self {
        Self {
            total: 1000,
            remaining: 1000,
            reset_after: Duration::from_secs(24 * 3600),
            max_concurrency: 1,
        }
    }
}

/// A guild the bot is in.
#[derive(Clone, Debug)]
pub struct GuildSpec {
    pub id: u64,
    pub name: String,
    pub channels: Vec<ChannelSpec>,
    /// Roles besides `@everyone` (whose id is the guild's).
    pub roles: Vec<RoleSpec>,
    /// Extra text channels in GUILD_CREATE, to make it as big as a large server's.
    pub filler_channels: usize,
    /// Extra members in GUILD_CREATE, for the same reason.
    pub filler_members: usize,
}

impl GuildSpec {
    /// Community number `index`: `#i-shipped`, `#announcements`, `#general` and a Moderators role.
    /// Community 0 is the default one, with the ids in [`ids`].
    pub fn community(index: u32) -> Self {
        let (id, shipped, announcements, general, moderators) = if index == 0 {
            (
                ids::GUILD,
                ids::I_SHIPPED,
                ids::ANNOUNCEMENTS,
                ids::GENERAL,
                ids::MODERATORS_ROLE,
            )
        } else {
            let base = 10_000 + u64::from(index) * 16;
            (
                ids::guild(index),
                ids::fixed(base),
                ids::fixed(base + 1),
                ids::fixed(base + 2),
                ids::fixed(base + 3),
            )
        };
        let name = if index == 0 {
            "ShipTrack Community".to_owned()
        } else {
            format!("Community {index}")
        };
        Self {
            id,
            name,
            channels: vec![
                ChannelSpec {
                    id: shipped,
                    name: "i-shipped".to_owned(),
                },
                ChannelSpec {
                    id: announcements,
                    name: "announcements".to_owned(),
                },
                ChannelSpec {
                    id: general,
                    name: "general".to_owned(),
                },
            ],
            roles: vec![RoleSpec {
                id: moderators,
                name: "Moderators".to_owned(),
                permissions: permissions::MODERATOR,
            }],
            filler_channels: 0,
            filler_members: 0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ChannelSpec {
    pub id: u64,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct RoleSpec {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
}

/// A person (or another bot) in the sim's guilds.
#[derive(Clone, Debug)]
pub struct UserSpec {
    pub id: u64,
    pub username: String,
    pub global_name: Option<String>,
    pub bot: bool,
    /// Holds every guild's Moderators role (Manage Server), as a community's admins do.
    pub moderator: bool,
}

impl UserSpec {
    /// Alice, Bob and Carol (members), Maya (a moderator) and Helper Bot (another app's bot).
    pub fn community() -> Vec<Self> {
        let person = |id, username: &str, global: &str, moderator| Self {
            id,
            username: username.to_owned(),
            global_name: Some(global.to_owned()),
            bot: false,
            moderator,
        };
        vec![
            person(ids::ALICE, "alice", "Alice", false),
            person(ids::BOB, "bob", "Bob", false),
            person(ids::CAROL, "carol", "Carol", false),
            person(ids::MAYA, "maya", "Maya", true),
            Self {
                id: ids::HELPER_BOT,
                username: "Helper Bot".to_owned(),
                global_name: None,
                bot: true,
                moderator: false,
            },
        ]
    }
}

/// REST rate limits. Each rule is a fixed window per route and top-level resource (channel,
/// webhook token, application), as Discord's buckets are; `global_per_second` caps every
/// bot-authenticated request.
#[derive(Clone, Debug)]
pub struct RateLimits {
    pub enabled: bool,
    pub global_per_second: u32,
    pub create_message: RateLimitRule,
    pub create_reaction: RateLimitRule,
    pub webhook: RateLimitRule,
    pub commands: RateLimitRule,
    pub gateway_bot: RateLimitRule,
}

impl Default for RateLimits {
    /// The values Discord answers with for these routes today.
    fn default() -> Self {
        Self {
            enabled: true,
            global_per_second: 50,
            create_message: RateLimitRule::new(5, Duration::from_secs(5)),
            create_reaction: RateLimitRule::new(1, Duration::from_millis(250)),
            webhook: RateLimitRule::new(5, Duration::from_secs(2)),
            commands: RateLimitRule::new(10, Duration::from_secs(10)),
            gateway_bot: RateLimitRule::new(30, Duration::from_secs(5)),
        }
    }
}

impl RateLimits {
    /// No limits at all, for tests about something else.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }
}

/// `limit` requests per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitRule {
    pub limit: u32,
    pub window: Duration,
}

impl RateLimitRule {
    pub const fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window }
    }
}

/// Gateway intent bits (Discord's "List of Intents").
pub mod intents {
    pub const GUILDS: u64 = 1 << 0;
    pub const GUILD_MEMBERS: u64 = 1 << 1;
    pub const GUILD_PRESENCES: u64 = 1 << 8;
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
    pub const PRIVILEGED: u64 = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT;
    /// Every documented bit: 0 to 16, 20, 21, 24 and 25. Anything else closes with 4013.
    pub const KNOWN: u64 = 0x1_FFFF | (1 << 20) | (1 << 21) | (1 << 24) | (1 << 25);
}

/// Permission bits the sim hands out.
pub mod permissions {
    pub const MANAGE_GUILD: u64 = 1 << 5;
    pub const ADD_REACTIONS: u64 = 1 << 6;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const MENTION_EVERYONE: u64 = 1 << 17;
    pub const USE_EXTERNAL_EMOJIS: u64 = 1 << 18;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    /// `@everyone` in the sim's guilds.
    pub const EVERYONE: u64 = ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS;
    pub const MODERATOR: u64 = MANAGE_GUILD | MENTION_EVERYONE;
    /// What the app may do in a DM with its bot user (the note under the interaction object).
    pub const BOT_DM: u64 = ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE | USE_EXTERNAL_EMOJIS;
}
