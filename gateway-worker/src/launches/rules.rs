//! Which channels are watched and which words count, per guild: `SHIP_CHANNEL_IDS` and
//! `SHIP_WORDS` from the environment, plus the `ship_channels` and `guild_settings` rows.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use shiptrack_core::launch::ShipWords;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use twilight_model::id::{
    Id,
    marker::{ChannelMarker, GuildMarker},
};

use crate::db::connect::Database;
use crate::store::{self, StoreError};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaunchRules {
    channels: HashSet<Id<ChannelMarker>>,
    default_words: ShipWords,
    guild_words: HashMap<Id<GuildMarker>, ShipWords>,
}

impl LaunchRules {
    /// Rules from the environment alone.
    pub fn new(channels: &BTreeSet<Id<ChannelMarker>>, default_words: ShipWords) -> Self {
        Self {
            channels: channels.iter().copied().collect(),
            default_words,
            guild_words: HashMap::new(),
        }
    }

    /// The environment's rules plus the database's ship channels and the ship words of
    /// their guilds.
    pub async fn load(
        conn: &libsql::Connection,
        channels: &BTreeSet<Id<ChannelMarker>>,
        default_words: ShipWords,
    ) -> Result<Self, StoreError> {
        let mut rules = Self::new(channels, default_words);
        let stored = store::settings::ship_channels(conn).await?;
        let guilds: BTreeSet<u64> = stored.iter().map(|channel| channel.guild_id).collect();
        rules.channels.extend(
            stored
                .iter()
                .filter_map(|channel| Id::new_checked(channel.channel_id)),
        );
        for guild in guilds {
            let Some(guild_id) = Id::new_checked(guild) else {
                continue;
            };
            let Some(list) = store::settings::guild_settings(conn, guild)
                .await?
                .and_then(|settings| settings.ship_words)
            else {
                continue;
            };
            match list.parse::<ShipWords>() {
                Ok(words) => {
                    rules.guild_words.insert(guild_id, words);
                }
                Err(error) => tracing::warn!(
                    guild = guild,
                    %error,
                    "guild_settings.ship_words is not a valid list; using the default words for this guild until it is fixed"
                ),
            }
        }
        Ok(rules)
    }

    pub fn is_ship_channel(&self, channel: Id<ChannelMarker>) -> bool {
        self.channels.contains(&channel)
    }

    pub fn words_for(&self, guild: Id<GuildMarker>) -> &ShipWords {
        self.guild_words.get(&guild).unwrap_or(&self.default_words)
    }

    /// How many channels are watched, for the start-up log line.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Gives one guild its own words (a `guild_settings` row), for tests of the per-guild rule.
    #[cfg(test)]
    pub fn with_guild_words(mut self, guild: Id<GuildMarker>, words: ShipWords) -> Self {
        self.guild_words.insert(guild, words);
        self
    }
}

/// How often the database's ship channels and words are read again, so a new row takes
/// effect without a restart.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);

/// Loads the rules now and then every [`REFRESH_EVERY`] into `rules`, until `shutdown`. While
/// the database is unreachable the last rules (at first, the environment's) stay in force.
pub async fn keep_fresh(
    database: Arc<Database>,
    channels: BTreeSet<Id<ChannelMarker>>,
    default_words: ShipWords,
    rules: watch::Sender<Arc<LaunchRules>>,
    shutdown: CancellationToken,
) {
    let mut first = true;
    loop {
        let (channels, default_words) = (channels.clone(), default_words.clone());
        let load = database.call_on_new_connection(move |conn| async move {
            LaunchRules::load(&conn, &channels, default_words).await
        });
        match tokio::time::timeout(Duration::from_secs(10), load).await {
            Ok(Ok(loaded)) => {
                if loaded.channel_count() == 0 && first {
                    tracing::warn!(
                        "no ship channels: set SHIP_CHANNEL_IDS or add rows to ship_channels, or no message will be logged"
                    );
                } else if first || **rules.borrow() != loaded {
                    tracing::info!(channels = loaded.channel_count(), "watching ship channels");
                }
                rules.send_replace(Arc::new(loaded));
                first = false;
            }
            Ok(Err(error)) => {
                tracing::warn!(error = %format!("{error:#}"), "could not read ship channels from the database; keeping the current ones")
            }
            Err(_) => tracing::warn!(
                "reading ship channels from the database timed out; keeping the current ones"
            ),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(REFRESH_EVERY) => {}
        }
    }
}
