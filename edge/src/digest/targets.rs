//! Which guilds get a digest, and in which channel: every guild whose settings row turns the
//! digest on and names a channel, plus the single community named by the `GUILD_ID` and
//! `ANNOUNCEMENTS_CHANNEL_ID` vars, whose settings row (when it has one) still decides whether
//! it gets a digest and may name its channel instead.

use libsql_hrana::proto::Stmt;
use shiptrack_core::sql;

use crate::config::ConfigError;
use crate::hrana::{DbError, StmtResult, statement, text};

/// The single community configured by vars, for a bot that serves one server without settings rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Community {
    pub guild_id: u64,
    /// `ANNOUNCEMENTS_CHANNEL_ID`; a settings row may name the channel instead.
    pub channel_id: Option<u64>,
}

impl Community {
    /// Reads `GUILD_ID` and `ANNOUNCEMENTS_CHANNEL_ID`; neither set means no such community.
    /// A channel without a guild is refused: the digest would not know whose launches to post.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let present = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let channel_id = present("ANNOUNCEMENTS_CHANNEL_ID")
            .map(|value| snowflake("ANNOUNCEMENTS_CHANNEL_ID", &value))
            .transpose()?;
        match present("GUILD_ID") {
            Some(value) => Ok(Some(Community {
                guild_id: snowflake("GUILD_ID", &value)?,
                channel_id,
            })),
            None if channel_id.is_some() => Err(ConfigError::Missing {
                name: "GUILD_ID",
                how_to_set: "ANNOUNCEMENTS_CHANNEL_ID is set, so add the guild it belongs to to [vars] in wrangler.toml",
            }),
            None => Ok(None),
        }
    }
}

fn snowflake(name: &'static str, value: &str) -> Result<u64, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ConfigError::Malformed {
            name,
            reason: format!("expected a Discord id (a positive integer), got {value:?}"),
        }),
    }
}

/// A guild's settings row, as far as the digest cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestSettings {
    pub announcements_channel_id: Option<u64>,
    pub digest_enabled: bool,
    pub quiet_week_message: bool,
}

/// The guild's settings row from a [`sql::GUILD_SETTINGS`] result, if it has one.
pub fn read_settings(result: &StmtResult) -> Result<Option<DigestSettings>, DbError> {
    let Some(row) = result.rows.first() else {
        return Ok(None);
    };
    let announcements_channel_id = if row.is_null(0) {
        None
    } else {
        Some(id_column(row.text(0), "announcements_channel_id")?)
    };
    Ok(Some(DigestSettings {
        announcements_channel_id,
        digest_enabled: flag(row.integer(2), "digest_enabled")?,
        quiet_week_message: flag(row.integer(3), "quiet_week_message")?,
    }))
}

/// A guild the digest is posted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub guild_id: u64,
    pub channel_id: u64,
    pub quiet_week_message: bool,
}

/// A configured guild that gets no digest, and why, for the run's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// Its settings row turns the digest off.
    DigestOff { guild_id: u64 },
    /// Neither its settings row nor `ANNOUNCEMENTS_CHANNEL_ID` names a channel.
    NoChannel { guild_id: u64 },
}

/// The guilds to post to, by guild id, and the ones left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    pub targets: Vec<Target>,
    pub skipped: Vec<Skipped>,
}

/// One pipeline: the guilds with the digest on, then the community's own settings row.
pub fn statements(community: Option<&Community>) -> Vec<Stmt> {
    let mut statements = vec![statement(sql::DIGEST_GUILDS, [])];
    if let Some(community) = community {
        statements.push(statement(
            sql::GUILD_SETTINGS,
            [text(community.guild_id.to_string())],
        ));
    }
    statements
}

/// Reads the results of [`statements`] into the targets.
pub fn read(results: &[StmtResult], community: Option<&Community>) -> Result<Targets, DbError> {
    let listed = results
        .first()
        .ok_or_else(|| DbError::Protocol("no result for the digest guilds".to_owned()))?
        .rows
        .iter()
        .map(|row| {
            Ok(Target {
                guild_id: id_column(row.text(0), "guild_id")?,
                channel_id: id_column(row.text(1), "announcements_channel_id")?,
                quiet_week_message: flag(row.integer(2), "quiet_week_message")?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    let community = match community {
        Some(community) => {
            let row = results.get(1).ok_or_else(|| {
                DbError::Protocol("no result for the community's settings".to_owned())
            })?;
            Some((*community, read_settings(row)?))
        }
        None => None,
    };
    Ok(choose(listed, community))
}

/// The guilds listed by their settings rows, plus the vars' community: its row, when it has
/// one, turns the digest off or names the channel and the quiet-week line; otherwise the vars'
/// channel is used with the defaults. A guild is posted to once, in guild order.
pub fn choose(
    listed: Vec<Target>,
    community: Option<(Community, Option<DigestSettings>)>,
) -> Targets {
    let mut targets = Targets {
        targets: listed,
        skipped: Vec::new(),
    };
    if let Some((community, settings)) = community {
        let guild_id = community.guild_id;
        let enabled = settings.is_none_or(|row| row.digest_enabled);
        let channel = settings
            .and_then(|row| row.announcements_channel_id)
            .or(community.channel_id);
        match (enabled, channel) {
            (false, _) => targets.skipped.push(Skipped::DigestOff { guild_id }),
            (true, None) => targets.skipped.push(Skipped::NoChannel { guild_id }),
            (true, Some(channel_id)) => {
                // A row that names a channel already listed the guild, with the same values.
                if !targets
                    .targets
                    .iter()
                    .any(|target| target.guild_id == guild_id)
                {
                    targets.targets.push(Target {
                        guild_id,
                        channel_id,
                        quiet_week_message: settings.is_some_and(|row| row.quiet_week_message),
                    });
                }
            }
        }
    }
    targets.targets.sort_by_key(|target| target.guild_id);
    targets
}

fn id_column(value: Option<&str>, column: &str) -> Result<u64, DbError> {
    value
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| DbError::Protocol(format!("guild_settings.{column} is not a Discord id")))
}

fn flag(value: Option<i64>, column: &str) -> Result<bool, DbError> {
    match value {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(DbError::Protocol(format!(
            "guild_settings.{column} is not 0 or 1"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::test_support::{int, null, rows, txt};
    use std::collections::HashMap;

    fn community(vars: &[(&str, &str)]) -> Result<Option<Community>, ConfigError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        Community::from_lookup(|name| vars.get(name).map(|value| (*value).to_owned()))
    }

    fn target(guild_id: u64, channel_id: u64) -> Target {
        Target {
            guild_id,
            channel_id,
            quiet_week_message: false,
        }
    }

    const ENV: Community = Community {
        guild_id: 50,
        channel_id: Some(500),
    };

    #[test]
    fn the_vars_name_a_community_with_its_channel() {
        assert_eq!(
            community(&[("GUILD_ID", "50"), ("ANNOUNCEMENTS_CHANNEL_ID", "500")]),
            Ok(Some(ENV))
        );
        assert_eq!(
            community(&[("GUILD_ID", "50")]),
            Ok(Some(Community {
                guild_id: 50,
                channel_id: None
            }))
        );
        assert_eq!(
            community(&[("GUILD_ID", ""), ("ANNOUNCEMENTS_CHANNEL_ID", " ")]),
            Ok(None)
        );
    }

    #[test]
    fn a_channel_without_a_guild_or_a_malformed_id_is_named() {
        let missing = community(&[("ANNOUNCEMENTS_CHANNEL_ID", "500")]).unwrap_err();
        assert!(
            matches!(
                missing,
                ConfigError::Missing {
                    name: "GUILD_ID",
                    ..
                }
            ),
            "{missing:?}"
        );
        let malformed = community(&[("GUILD_ID", "general")]).unwrap_err();
        assert!(
            matches!(
                malformed,
                ConfigError::Malformed {
                    name: "GUILD_ID",
                    ..
                }
            ),
            "{malformed:?}"
        );
        let malformed =
            community(&[("GUILD_ID", "50"), ("ANNOUNCEMENTS_CHANNEL_ID", "-1")]).unwrap_err();
        assert!(
            matches!(
                malformed,
                ConfigError::Malformed {
                    name: "ANNOUNCEMENTS_CHANNEL_ID",
                    ..
                }
            ),
            "{malformed:?}"
        );
    }

    #[test]
    fn a_community_without_a_settings_row_gets_the_vars_channel_and_no_quiet_line() {
        let chosen = choose(vec![target(70, 700)], Some((ENV, None)));
        assert_eq!(chosen.targets, vec![target(50, 500), target(70, 700)]);
        assert!(chosen.skipped.is_empty());
    }

    #[test]
    fn a_settings_row_that_turns_the_digest_off_skips_the_community() {
        let off = DigestSettings {
            announcements_channel_id: None,
            digest_enabled: false,
            quiet_week_message: true,
        };
        let chosen = choose(vec![], Some((ENV, Some(off))));
        assert_eq!(chosen.targets, vec![]);
        assert_eq!(chosen.skipped, vec![Skipped::DigestOff { guild_id: 50 }]);
    }

    #[test]
    fn a_settings_row_without_a_channel_falls_back_to_the_vars_channel_and_keeps_its_quiet_line() {
        let row = DigestSettings {
            announcements_channel_id: None,
            digest_enabled: true,
            quiet_week_message: true,
        };
        let chosen = choose(vec![], Some((ENV, Some(row))));
        assert_eq!(
            chosen.targets,
            vec![Target {
                guild_id: 50,
                channel_id: 500,
                quiet_week_message: true
            }]
        );
    }

    #[test]
    fn a_community_listed_by_its_own_row_is_posted_to_once_in_the_rows_channel() {
        let row = DigestSettings {
            announcements_channel_id: Some(555),
            digest_enabled: true,
            quiet_week_message: false,
        };
        let chosen = choose(vec![target(50, 555)], Some((ENV, Some(row))));
        assert_eq!(chosen.targets, vec![target(50, 555)]);
    }

    #[test]
    fn a_community_with_no_channel_anywhere_is_skipped() {
        let no_channel = Community {
            guild_id: 50,
            channel_id: None,
        };
        let chosen = choose(vec![], Some((no_channel, None)));
        assert_eq!(chosen.skipped, vec![Skipped::NoChannel { guild_id: 50 }]);
    }

    #[test]
    fn rows_are_read_by_position_and_the_community_row_follows() {
        let results = vec![
            rows(vec![vec![txt("70"), txt("700"), int(1)]]),
            rows(vec![vec![null(), null(), int(1), int(0)]]),
        ];
        let statements = statements(Some(&ENV));
        assert_eq!(statements.len(), 2);
        let chosen = read(&results, Some(&ENV)).unwrap();
        assert_eq!(
            chosen.targets,
            vec![
                target(50, 500),
                Target {
                    guild_id: 70,
                    channel_id: 700,
                    quiet_week_message: true
                }
            ]
        );
    }

    #[test]
    fn a_row_that_does_not_read_as_documented_is_a_protocol_error() {
        let results = vec![rows(vec![vec![txt("70"), txt("#general"), int(1)]])];
        assert!(matches!(read(&results, None), Err(DbError::Protocol(_))));
        let results = vec![rows(vec![vec![txt("70"), txt("700"), int(2)]])];
        assert!(matches!(read(&results, None), Err(DbError::Protocol(_))));
    }
}
