//! The Worker's settings, read from its environment (wrangler.toml `[vars]` and secrets)
//! into one typed struct, so a missing or malformed value fails with a message that names it.

use ed25519_compact::PublicKey;
use thiserror::Error;

/// Everything the Worker needs to know about where it runs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Discord's key for this application: every interaction is signed with its private half.
    pub discord_public_key: PublicKey,
    pub discord_application_id: u64,
    /// Discord's REST base, e.g. `https://discord.com/api/v10`, without a trailing slash.
    pub discord_api_base: String,
    /// Used by the scheduled digest to post as the bot; interactions answer through their own token.
    pub discord_bot_token: String,
    pub database: DatabaseTarget,
}

/// Where the Hrana pipeline endpoint of the database is, and how to authenticate to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseTarget {
    /// `{base}/v3/pipeline`, always `http(s)://`.
    pub pipeline_url: String,
    /// Sent as `Authorization: Bearer …`; none for a local server that checks no token.
    pub auth_token: Option<String>,
}

/// A setting that is missing or cannot be used, named so the operator knows what to fix.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name} is not set: {how_to_set}")]
    Missing {
        name: &'static str,
        how_to_set: &'static str,
    },
    #[error("{name} is malformed: {reason}")]
    Malformed { name: &'static str, reason: String },
}

const SET_SECRET: &str = "run `wrangler secret put` for it (locally: add it to .dev.vars)";
const SET_VAR: &str = "add it to [vars] in wrangler.toml";

impl Settings {
    /// Reads every setting through `lookup` (the Worker's `env`, or a map in tests).
    /// Empty values count as missing: wrangler passes `""` for a var declared without a value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let present = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let require = |name: &'static str, how_to_set: &'static str| {
            present(name).ok_or(ConfigError::Missing { name, how_to_set })
        };

        Ok(Settings {
            discord_public_key: parse_public_key(&require("DISCORD_PUBLIC_KEY", SET_SECRET)?)?,
            discord_application_id: parse_snowflake(
                "DISCORD_APPLICATION_ID",
                &require("DISCORD_APPLICATION_ID", SET_VAR)?,
            )?,
            discord_api_base: parse_api_base(&require("DISCORD_API_BASE", SET_VAR)?)?,
            discord_bot_token: require("DISCORD_BOT_TOKEN", SET_SECRET)?,
            database: DatabaseTarget {
                pipeline_url: parse_database_url(&require("DATABASE_URL", SET_VAR)?)?,
                auth_token: present("DATABASE_AUTH_TOKEN"),
            },
        })
    }
}

/// The key is 32 bytes of hex, and must be a usable Ed25519 point: a small-order key would
/// let anyone forge signatures under some verifiers, so it is refused here, once, for all of them.
fn parse_public_key(value: &str) -> Result<PublicKey, ConfigError> {
    let malformed = |reason: String| ConfigError::Malformed {
        name: "DISCORD_PUBLIC_KEY",
        reason,
    };
    let bytes = hex::decode(value.trim())
        .map_err(|error| malformed(format!("expected 64 hex characters ({error})")))?;
    let key = PublicKey::from_slice(&bytes)
        .map_err(|_| malformed(format!("expected 32 bytes, got {}", bytes.len())))?;
    key.validate()
        .map_err(|_| malformed("not a valid Ed25519 public key".to_owned()))?;
    Ok(key)
}

fn parse_snowflake(name: &'static str, value: &str) -> Result<u64, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ConfigError::Malformed {
            name,
            reason: format!("expected a Discord id (a positive integer), got {value:?}"),
        }),
    }
}

fn parse_api_base(value: &str) -> Result<String, ConfigError> {
    let value = value.trim().trim_end_matches('/');
    if value.starts_with("https://") || value.starts_with("http://") {
        Ok(value.to_owned())
    } else {
        Err(ConfigError::Malformed {
            name: "DISCORD_API_BASE",
            reason: format!("expected an http(s) URL, got {value:?}"),
        })
    }
}

/// `libsql://host` is Turso's name for `https://host`; `http://` serves local databases.
/// `file:` URLs are for native processes: a Worker has no file system.
fn parse_database_url(value: &str) -> Result<String, ConfigError> {
    let value = value.trim().trim_end_matches('/');
    let base = if let Some(host) = value.strip_prefix("libsql://") {
        format!("https://{host}")
    } else if value.starts_with("https://") || value.starts_with("http://") {
        value.to_owned()
    } else {
        return Err(ConfigError::Malformed {
            name: "DATABASE_URL",
            reason: format!("the Worker needs a libsql://, https:// or http:// URL, got {value:?}"),
        });
    };
    Ok(format!("{base}/v3/pipeline"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    // RFC 8032, test 1.
    const KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn settings(overrides: &[(&str, Option<&str>)]) -> Result<Settings, ConfigError> {
        let mut env: HashMap<&str, Option<&str>> = HashMap::from([
            ("DISCORD_PUBLIC_KEY", Some(KEY)),
            ("DISCORD_APPLICATION_ID", Some("1100000000000000001")),
            ("DISCORD_API_BASE", Some("https://discord.com/api/v10/")),
            ("DISCORD_BOT_TOKEN", Some("bot-token")),
            ("DATABASE_URL", Some("libsql://shiptrack-example.turso.io")),
            ("DATABASE_AUTH_TOKEN", Some("db-token")),
        ]);
        env.extend(overrides.iter().copied());
        Settings::from_lookup(|name| env.get(name).copied().flatten().map(str::to_owned))
    }

    #[test]
    fn complete_environment_parses_into_typed_settings() {
        let settings = settings(&[]).unwrap();
        assert_eq!(hex::encode(*settings.discord_public_key), KEY);
        assert_eq!(settings.discord_application_id, 1_100_000_000_000_000_001);
        assert_eq!(settings.discord_api_base, "https://discord.com/api/v10");
        assert_eq!(
            settings.database,
            DatabaseTarget {
                pipeline_url: "https://shiptrack-example.turso.io/v3/pipeline".to_owned(),
                auth_token: Some("db-token".to_owned()),
            }
        );
    }

    #[test]
    fn local_http_database_needs_no_token() {
        let settings = settings(&[
            ("DATABASE_URL", Some("http://127.0.0.1:8080")),
            ("DATABASE_AUTH_TOKEN", None),
        ])
        .unwrap();
        assert_eq!(
            settings.database.pipeline_url,
            "http://127.0.0.1:8080/v3/pipeline"
        );
        assert_eq!(settings.database.auth_token, None);
    }

    #[test]
    fn each_missing_setting_is_named() {
        for name in [
            "DISCORD_PUBLIC_KEY",
            "DISCORD_APPLICATION_ID",
            "DISCORD_API_BASE",
            "DISCORD_BOT_TOKEN",
            "DATABASE_URL",
        ] {
            for absent in [None, Some(""), Some("  ")] {
                let error = settings(&[(name, absent)]).unwrap_err();
                assert!(
                    matches!(error, ConfigError::Missing { name: missing, .. } if missing == name),
                    "{name}={absent:?} gave {error:?}"
                );
                assert!(error.to_string().starts_with(name));
            }
        }
    }

    /// WebCrypto's Ed25519 in workerd accepts forged signatures (R small-order, S = 0)
    /// under these keys; the portable check refuses them. Refusing the keys here keeps the two
    /// implementations in agreement on every key that can be configured.
    #[test]
    fn every_small_order_public_key_is_refused() {
        for key in [
            "0100000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        ] {
            let error = settings(&[("DISCORD_PUBLIC_KEY", Some(key))]).unwrap_err();
            assert!(
                matches!(
                    error,
                    ConfigError::Malformed {
                        name: "DISCORD_PUBLIC_KEY",
                        ..
                    }
                ),
                "{key} gave {error:?}"
            );
        }
    }

    #[test]
    fn malformed_settings_are_named() {
        for (name, value) in [
            ("DISCORD_PUBLIC_KEY", "not hex"),
            ("DISCORD_PUBLIC_KEY", "d75a98"),
            ("DISCORD_APPLICATION_ID", "shiptrack"),
            ("DISCORD_APPLICATION_ID", "0"),
            ("DISCORD_API_BASE", "discord.com/api"),
            ("DATABASE_URL", "file:shiptrack.db"),
        ] {
            let error = settings(&[(name, Some(value))]).unwrap_err();
            assert!(
                matches!(error, ConfigError::Malformed { name: malformed, .. } if malformed == name),
                "{name}={value:?} gave {error:?}"
            );
        }
    }
}
