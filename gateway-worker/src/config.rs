//! The gateway worker's settings, read once from the environment at start-up into typed
//! structs that are passed down. Any bad value is refused before anything connects, with a
//! message naming the variable and what to write instead (the binary then exits with 2).
//!
//! The contract (issue 6): `DISCORD_BOT_TOKEN` (required), `DISCORD_API_BASE`, `DATABASE_URL`,
//! `DATABASE_AUTH_TOKEN`, `SHIP_CHANNEL_IDS`, `SHIP_WORDS`, `SHARDS`, `GATEWAY_QUEUE_URL`,
//! `GATEWAY_COMPRESSION`, `HEALTH_ADDR`, `RUST_LOG`. Tuning knobs with production defaults,
//! which the tests shorten: `LEASE_TTL_MS`, `LEASE_RENEW_MS`, `SESSION_SAVE_MS`, `SPOOL_DIR`,
//! `SPOOL_MEMORY_EVENTS`. `register-commands` also reads `DISCORD_APPLICATION_ID`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use shiptrack_core::launch::ShipWords;
use thiserror::Error;
use twilight_model::id::{
    Id,
    marker::{ApplicationMarker, ChannelMarker},
};

use crate::db::config::{DatabaseConfig, DatabaseConfigError};
use crate::gateway::{Compression, ShardId, Token};

pub const DEFAULT_API_BASE: &str = "https://discord.com/api/v10";
pub const DEFAULT_HEALTH_ADDR: &str = "127.0.0.1:9187";

/// A setting that cannot be used. The message names the variable and says what to do.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{variable} is not set: {hint}")]
    Missing {
        variable: &'static str,
        hint: &'static str,
    },
    #[error("{variable}={value:?} is not valid: {hint}")]
    Invalid {
        variable: &'static str,
        value: String,
        hint: String,
    },
    /// Used for secrets, whose value must not be echoed into a log.
    #[error("{variable} is not valid: {hint}")]
    InvalidSecret {
        variable: &'static str,
        hint: &'static str,
    },
    #[error("{variable} is not valid UTF-8: set it to plain text")]
    NotUnicode { variable: &'static str },
    #[error(transparent)]
    Database(#[from] DatabaseConfigError),
}

/// Which shards this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSelection {
    /// Every shard of the count Discord recommends in `GET /gateway/bot`.
    Recommended,
    /// Shards `first..=last` of `total`, from `SHARDS=first-last/total` (or `n/total`).
    Range { first: u32, last: u32, total: u32 },
}

impl ShardSelection {
    /// The shards to run, given Discord's recommended count.
    pub fn shards(&self, recommended: u32) -> Vec<ShardId> {
        match *self {
            Self::Recommended => {
                let total = recommended.max(1);
                (0..total).map(|number| ShardId { number, total }).collect()
            }
            Self::Range { first, last, total } => (first..=last)
                .map(|number| ShardId { number, total })
                .collect(),
        }
    }
}

/// Timings of the lease and the session store. The defaults suit production; the tests
/// shorten them so a take-over happens in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timings {
    /// How long a lease lasts without renewal (`LEASE_TTL_MS`, default 15 s). A process
    /// killed on one machine is replaced by a standby within about this long.
    pub lease_ttl: Duration,
    /// How often the holder renews, and a standby retries (`LEASE_RENEW_MS`, default 5 s).
    pub lease_renew: Duration,
    /// How often the stored sequence is written while events flow (`SESSION_SAVE_MS`, default 5 s).
    pub session_save: Duration,
}

/// Where events wait while the database is down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpoolConfig {
    /// Folder for the spool files, one per shard (`SPOOL_DIR`, default `spool`).
    pub dir: PathBuf,
    /// Events held in memory per shard before they go to the file (`SPOOL_MEMORY_EVENTS`, default 10000).
    pub memory_events: usize,
}

/// Everything `gateway-worker run` needs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    pub token: Token,
    pub api_base: String,
    pub database: DatabaseConfig,
    /// Channels from `SHIP_CHANNEL_IDS`; rows in `ship_channels` add to them.
    pub ship_channels: BTreeSet<Id<ChannelMarker>>,
    /// `SHIP_WORDS`, or the default words.
    pub ship_words: ShipWords,
    pub shards: ShardSelection,
    pub gateway_queue_url: Option<String>,
    pub compression: Compression,
    pub health_addr: SocketAddr,
    pub timings: Timings,
    pub spool: SpoolConfig,
}

/// Everything `gateway-worker register-commands` needs.
#[derive(Clone, Debug)]
pub struct RegisterConfig {
    pub token: Token,
    pub api_base: String,
    pub application_id: Id<ApplicationMarker>,
}

impl WorkerConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(&process_env)
    }

    /// Parses the settings from `env`, which returns a variable's value or `None` when unset.
    pub fn parse(
        env: &dyn Fn(&'static str) -> Result<Option<String>, ConfigError>,
    ) -> Result<Self, ConfigError> {
        let lease_ttl = duration_ms(env, "LEASE_TTL_MS", 15_000)?;
        let lease_renew = duration_ms(env, "LEASE_RENEW_MS", 5_000)?;
        // A renewal must be able to fail once and still land before the lease expires.
        if lease_renew > lease_ttl / 2 {
            return Err(ConfigError::Invalid {
                variable: "LEASE_RENEW_MS",
                value: lease_renew.as_millis().to_string(),
                hint: format!(
                    "renew well before the lease expires: use at most half of LEASE_TTL_MS ({} ms)",
                    lease_ttl.as_millis()
                ),
            });
        }
        Ok(Self {
            token: token(env)?,
            api_base: api_base(env)?,
            database: DatabaseConfig::parse(
                env(crate::db::config::URL_VAR)?.as_deref(),
                env(crate::db::config::AUTH_TOKEN_VAR)?.as_deref(),
            )?,
            ship_channels: ship_channels(env)?,
            ship_words: ship_words(env)?,
            shards: shards(env)?,
            gateway_queue_url: optional(env, "GATEWAY_QUEUE_URL")?
                .map(|url| {
                    http_url(
                        "GATEWAY_QUEUE_URL",
                        &url,
                        "the gateway-queue service, e.g. http://queue:8080/",
                    )
                })
                .transpose()?,
            compression: compression(env)?,
            health_addr: health_addr(env)?,
            timings: Timings {
                lease_ttl,
                lease_renew,
                session_save: duration_ms(env, "SESSION_SAVE_MS", 5_000)?,
            },
            spool: SpoolConfig {
                dir: optional(env, "SPOOL_DIR")?
                    .map_or_else(|| PathBuf::from("spool"), PathBuf::from),
                memory_events: positive(env, "SPOOL_MEMORY_EVENTS", 10_000)?,
            },
        })
    }
}

impl RegisterConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(&process_env)
    }

    pub fn parse(
        env: &dyn Fn(&'static str) -> Result<Option<String>, ConfigError>,
    ) -> Result<Self, ConfigError> {
        let application_id = optional(env, "DISCORD_APPLICATION_ID")?.ok_or(ConfigError::Missing {
            variable: "DISCORD_APPLICATION_ID",
            hint: "copy the Application ID from the General Information page of your app in Discord's developer portal",
        })?;
        Ok(Self {
            token: token(env)?,
            api_base: api_base(env)?,
            application_id: snowflake("DISCORD_APPLICATION_ID", &application_id)?,
        })
    }
}

/// Reads a variable from the process environment.
fn process_env(variable: &'static str) -> Result<Option<String>, ConfigError> {
    match std::env::var(variable) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::NotUnicode { variable }),
    }
}

type Env<'a> = &'a dyn Fn(&'static str) -> Result<Option<String>, ConfigError>;

/// A variable's trimmed value; unset and empty are the same.
fn optional(env: Env, variable: &'static str) -> Result<Option<String>, ConfigError> {
    Ok(env(variable)?
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty()))
}

fn token(env: Env) -> Result<Token, ConfigError> {
    const VARIABLE: &str = "DISCORD_BOT_TOKEN";
    let token = optional(env, VARIABLE)?.ok_or(ConfigError::Missing {
        variable: VARIABLE,
        hint: "copy the bot token from the Bot page of your app in Discord's developer portal",
    })?;
    let token = token.strip_prefix("Bot ").unwrap_or(&token);
    if !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ConfigError::InvalidSecret {
            variable: VARIABLE,
            hint: "a bot token has no spaces or special characters: copy it again from the developer portal",
        });
    }
    Ok(Token::new(token))
}

fn api_base(env: Env) -> Result<String, ConfigError> {
    let base = optional(env, "DISCORD_API_BASE")?.unwrap_or_else(|| DEFAULT_API_BASE.to_owned());
    http_url(
        "DISCORD_API_BASE",
        &base,
        "Discord's API, https://discord.com/api/v10, or a simulator's API base",
    )
    .map(|url| url.trim_end_matches('/').to_owned())
}

fn http_url(variable: &'static str, value: &str, what: &str) -> Result<String, ConfigError> {
    let host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match host {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(value.to_owned()),
        _ => Err(ConfigError::Invalid {
            variable,
            value: value.to_owned(),
            hint: format!("write an http:// or https:// URL of {what}"),
        }),
    }
}

fn snowflake<T>(variable: &'static str, value: &str) -> Result<Id<T>, ConfigError> {
    value.parse::<u64>().ok().and_then(Id::new_checked).ok_or_else(|| ConfigError::Invalid {
        variable,
        value: value.to_owned(),
        hint: "write a Discord id (digits only); turn on Developer Mode in Discord and use Copy ID".to_owned(),
    })
}

fn ship_channels(env: Env) -> Result<BTreeSet<Id<ChannelMarker>>, ConfigError> {
    let Some(list) = optional(env, "SHIP_CHANNEL_IDS")? else {
        return Ok(BTreeSet::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            snowflake("SHIP_CHANNEL_IDS", entry).map_err(|_| ConfigError::Invalid {
                variable: "SHIP_CHANNEL_IDS",
                value: list.clone(),
                hint: format!(
                    "{entry:?} is not a channel id: write channel ids separated by commas"
                ),
            })
        })
        .collect()
}

fn ship_words(env: Env) -> Result<ShipWords, ConfigError> {
    match optional(env, "SHIP_WORDS")? {
        None => Ok(ShipWords::default()),
        Some(list) => list
            .parse()
            .map_err(
                |error: shiptrack_core::launch::ShipWordsError| ConfigError::Invalid {
                    variable: "SHIP_WORDS",
                    value: list,
                    hint: error.to_string(),
                },
            ),
    }
}

fn shards(env: Env) -> Result<ShardSelection, ConfigError> {
    let Some(value) = optional(env, "SHARDS")? else {
        return Ok(ShardSelection::Recommended);
    };
    parse_shards(&value).ok_or_else(|| ConfigError::Invalid {
        variable: "SHARDS",
        value,
        hint: "write FIRST-LAST/TOTAL (e.g. 0-3/8 for shards 0 to 3 of 8) or ID/TOTAL, with LAST below TOTAL; \
               leave it unset to run every shard Discord recommends"
            .to_owned(),
    })
}

fn parse_shards(value: &str) -> Option<ShardSelection> {
    let (range, total) = value.split_once('/')?;
    let total: u32 = total.trim().parse().ok()?;
    let (first, last) = match range.split_once('-') {
        Some((first, last)) => (first.trim().parse().ok()?, last.trim().parse().ok()?),
        None => {
            let only = range.trim().parse().ok()?;
            (only, only)
        }
    };
    (first <= last && last < total).then_some(ShardSelection::Range { first, last, total })
}

fn compression(env: Env) -> Result<Compression, ConfigError> {
    match optional(env, "GATEWAY_COMPRESSION")?.as_deref() {
        None | Some("zlib-stream") => Ok(Compression::ZlibStream),
        Some("none") => Ok(Compression::None),
        Some(other) => Err(ConfigError::Invalid {
            variable: "GATEWAY_COMPRESSION",
            value: other.to_owned(),
            hint: "write zlib-stream (the default) or none".to_owned(),
        }),
    }
}

fn health_addr(env: Env) -> Result<SocketAddr, ConfigError> {
    let value = optional(env, "HEALTH_ADDR")?.unwrap_or_else(|| DEFAULT_HEALTH_ADDR.to_owned());
    value.parse().map_err(|_| ConfigError::Invalid {
        variable: "HEALTH_ADDR",
        value,
        hint: format!("write an IP address and port, e.g. {DEFAULT_HEALTH_ADDR}"),
    })
}

fn positive(env: Env, variable: &'static str, default: u64) -> Result<usize, ConfigError> {
    match optional(env, variable)? {
        None => Ok(default as usize),
        Some(value) => match value.parse::<usize>() {
            Ok(number) if number > 0 => Ok(number),
            _ => Err(ConfigError::Invalid {
                variable,
                value,
                hint: "write a whole number above 0".to_owned(),
            }),
        },
    }
}

fn duration_ms(env: Env, variable: &'static str, default_ms: u64) -> Result<Duration, ConfigError> {
    positive(env, variable, default_ms)
        .map(|ms| Duration::from_millis(ms as u64))
        .map_err(|error| match error {
            ConfigError::Invalid {
                variable, value, ..
            } => ConfigError::Invalid {
                variable,
                value,
                hint: "write a whole number of milliseconds above 0".to_owned(),
            },
            other => other,
        })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::db::config::DatabaseLocation;

    fn worker(pairs: &[(&'static str, &str)]) -> Result<WorkerConfig, ConfigError> {
        let vars: HashMap<&str, String> = pairs
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect();
        WorkerConfig::parse(&|name| Ok(vars.get(name).cloned()))
    }

    fn invalid_variable(result: Result<WorkerConfig, ConfigError>) -> &'static str {
        match result.unwrap_err() {
            ConfigError::Invalid { variable, .. }
            | ConfigError::Missing { variable, .. }
            | ConfigError::InvalidSecret { variable, .. } => variable,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_token_alone_gives_the_documented_defaults() {
        let config = worker(&[("DISCORD_BOT_TOKEN", "abc.def")]).unwrap();
        assert_eq!(config.token.expose(), "abc.def");
        assert_eq!(config.api_base, DEFAULT_API_BASE);
        assert_eq!(
            config.database.location,
            DatabaseLocation::File("shiptrack.db".into())
        );
        assert!(config.ship_channels.is_empty());
        assert_eq!(config.ship_words, ShipWords::default());
        assert_eq!(config.shards, ShardSelection::Recommended);
        assert_eq!(config.gateway_queue_url, None);
        assert_eq!(config.compression, Compression::ZlibStream);
        assert_eq!(config.health_addr, DEFAULT_HEALTH_ADDR.parse().unwrap());
        assert_eq!(config.timings.lease_ttl, Duration::from_secs(15));
        assert_eq!(config.spool.memory_events, 10_000);
    }

    #[test]
    fn a_missing_token_is_refused_naming_the_variable() {
        let error = worker(&[]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("DISCORD_BOT_TOKEN is not set"),
            "{error}"
        );
    }

    #[test]
    fn a_bad_token_is_refused_without_echoing_it() {
        let error = worker(&[("DISCORD_BOT_TOKEN", "has space")]).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("DISCORD_BOT_TOKEN") && !text.contains("has space"),
            "{text}"
        );
    }

    #[test]
    fn every_setting_is_read() {
        let config = worker(&[
            ("DISCORD_BOT_TOKEN", "Bot abc"),
            ("DISCORD_API_BASE", "http://127.0.0.1:9000/api/v10/"),
            ("DATABASE_URL", "http://127.0.0.1:8080"),
            ("DATABASE_AUTH_TOKEN", "db-secret"),
            ("SHIP_CHANNEL_IDS", "111, 222,"),
            ("SHIP_WORDS", "deployed,live"),
            ("SHARDS", "0-3/8"),
            ("GATEWAY_QUEUE_URL", "http://queue:8080/"),
            ("GATEWAY_COMPRESSION", "none"),
            ("HEALTH_ADDR", "0.0.0.0:9999"),
            ("LEASE_TTL_MS", "3000"),
            ("LEASE_RENEW_MS", "500"),
            ("SESSION_SAVE_MS", "250"),
            ("SPOOL_DIR", "/tmp/spool"),
            ("SPOOL_MEMORY_EVENTS", "4"),
        ])
        .unwrap();
        assert_eq!(config.token.expose(), "abc");
        assert_eq!(config.api_base, "http://127.0.0.1:9000/api/v10");
        assert_eq!(config.database.auth_token.as_deref(), Some("db-secret"));
        assert_eq!(
            config.ship_channels,
            BTreeSet::from([Id::new(111), Id::new(222)])
        );
        assert_eq!(config.ship_words, "deployed,live".parse().unwrap());
        assert_eq!(
            config.shards,
            ShardSelection::Range {
                first: 0,
                last: 3,
                total: 8
            }
        );
        assert_eq!(
            config.gateway_queue_url.as_deref(),
            Some("http://queue:8080/")
        );
        assert_eq!(config.compression, Compression::None);
        assert_eq!(config.health_addr, "0.0.0.0:9999".parse().unwrap());
        assert_eq!(
            config.timings,
            Timings {
                lease_ttl: Duration::from_secs(3),
                lease_renew: Duration::from_millis(500),
                session_save: Duration::from_millis(250)
            }
        );
        assert_eq!(
            config.spool,
            SpoolConfig {
                dir: "/tmp/spool".into(),
                memory_events: 4
            }
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let token = ("DISCORD_BOT_TOKEN", "abc");
        for (variable, value) in [
            ("DISCORD_API_BASE", "discord.com/api"),
            ("SHIP_CHANNEL_IDS", "111,general"),
            ("SHIP_WORDS", "go live"),
            ("SHARDS", "4-3/8"),
            ("SHARDS", "0-8/8"),
            ("SHARDS", "all"),
            ("GATEWAY_QUEUE_URL", "queue:8080"),
            ("GATEWAY_COMPRESSION", "gzip"),
            ("HEALTH_ADDR", "localhost"),
            ("LEASE_TTL_MS", "0"),
            ("SPOOL_MEMORY_EVENTS", "-1"),
        ] {
            assert_eq!(
                invalid_variable(worker(&[token, (variable, value)])),
                variable,
                "{variable}={value}"
            );
        }
    }

    #[test]
    fn a_renewal_slower_than_the_lease_is_refused() {
        let result = worker(&[
            ("DISCORD_BOT_TOKEN", "abc"),
            ("LEASE_TTL_MS", "1000"),
            ("LEASE_RENEW_MS", "600"),
        ]);
        assert_eq!(invalid_variable(result), "LEASE_RENEW_MS");
    }

    #[test]
    fn a_bad_database_url_is_refused_naming_database_url() {
        let error = worker(&[
            ("DISCORD_BOT_TOKEN", "abc"),
            ("DATABASE_URL", "postgres://x"),
        ])
        .unwrap_err();
        assert!(error.to_string().starts_with("DATABASE_URL="), "{error}");
    }

    #[test]
    fn shard_ranges_list_their_shards() {
        assert_eq!(
            parse_shards("2-3/8").unwrap().shards(1),
            [
                ShardId {
                    number: 2,
                    total: 8
                },
                ShardId {
                    number: 3,
                    total: 8
                }
            ]
        );
        assert_eq!(
            parse_shards("5/8").unwrap().shards(1),
            [ShardId {
                number: 5,
                total: 8
            }]
        );
        assert_eq!(ShardSelection::Recommended.shards(2).len(), 2);
        assert_eq!(
            ShardSelection::Recommended.shards(0),
            [ShardId {
                number: 0,
                total: 1
            }]
        );
    }

    #[test]
    fn register_commands_needs_an_application_id() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &'static str| {
                Ok(pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned()))
            }
        };
        let error = RegisterConfig::parse(&vars(&[("DISCORD_BOT_TOKEN", "abc")])).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("DISCORD_APPLICATION_ID is not set"),
            "{error}"
        );
        let error = RegisterConfig::parse(&vars(&[
            ("DISCORD_BOT_TOKEN", "abc"),
            ("DISCORD_APPLICATION_ID", "x1"),
        ]))
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("DISCORD_APPLICATION_ID=\"x1\""),
            "{error}"
        );
        let config = RegisterConfig::parse(&vars(&[
            ("DISCORD_BOT_TOKEN", "abc"),
            ("DISCORD_APPLICATION_ID", "42"),
        ]))
        .unwrap();
        assert_eq!(config.application_id, Id::new(42));
    }
}
