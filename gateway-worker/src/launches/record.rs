//! Applies a decided [`Effect`] to the database. Every write is idempotent (the insert is
//! keyed by the message id, the removal only touches live rows), so applying an effect
//! twice — a replay after a restart, a retry after a timeout — leaves the same rows.

use shiptrack_core::sql::LaunchSource;
use twilight_model::id::{
    Id,
    marker::{ChannelMarker, MessageMarker},
};

use super::Effect;
use crate::store::StoreError;
use crate::store::launches::{self, Logged, NewLaunch};

/// What applying an effect changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// A new launch row: its message gets the 🚀.
    Logged {
        channel: Id<ChannelMarker>,
        message: Id<MessageMarker>,
    },
    /// The message was logged before (a replay, or an edit of a launch): no reaction.
    AlreadyLogged,
    /// This many live launches were soft-deleted.
    Removed(usize),
    Unchanged,
}

pub async fn record(
    conn: &libsql::Connection,
    effect: &Effect,
    now_ms: i64,
) -> Result<Recorded, StoreError> {
    match effect {
        Effect::Nothing => Ok(Recorded::Unchanged),
        Effect::Log(launch) => {
            let row = NewLaunch {
                guild_id: launch.guild_id.get(),
                channel_id: Some(launch.channel_id.get()),
                author_id: launch.author_id.get(),
                author_name: &launch.author_name,
                text: &launch.text,
                url: Some(&launch.url),
                source: LaunchSource::Message,
                source_id: launch.message_id.get(),
                created_at: launch.created_at,
            };
            Ok(match launches::insert_launch(conn, &row).await? {
                Logged::New { .. } => Recorded::Logged {
                    channel: launch.channel_id,
                    message: launch.message_id,
                },
                Logged::AlreadyLogged => Recorded::AlreadyLogged,
            })
        }
        Effect::Remove(messages) => {
            let mut removed = 0;
            for message in messages {
                if launches::soft_delete_by_source_id(conn, message.get(), now_ms).await? {
                    removed += 1;
                }
            }
            Ok(if removed == 0 {
                Recorded::Unchanged
            } else {
                Recorded::Removed(removed)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::migrated_connection as migrated;
    use crate::launches::MessageLaunch;

    fn launch(message: u64) -> Effect {
        Effect::Log(MessageLaunch {
            guild_id: Id::new(1),
            channel_id: Id::new(2),
            message_id: Id::new(message),
            author_id: Id::new(3),
            author_name: "ada".to_owned(),
            text: "shipped https://x.io".to_owned(),
            url: "https://x.io".to_owned(),
            created_at: 1_000,
        })
    }

    async fn live_launches(conn: &libsql::Connection) -> i64 {
        let mut rows = conn
            .query("SELECT COUNT(*) FROM launches WHERE deleted_at IS NULL", ())
            .await
            .unwrap();
        rows.next().await.unwrap().unwrap().get(0).unwrap()
    }

    #[tokio::test]
    async fn a_launch_is_logged_once_and_only_the_first_time_asks_for_a_reaction() {
        let (_dir, conn) = migrated().await;
        assert_eq!(
            record(&conn, &launch(9), 5).await.unwrap(),
            Recorded::Logged {
                channel: Id::new(2),
                message: Id::new(9)
            }
        );
        assert_eq!(
            record(&conn, &launch(9), 6).await.unwrap(),
            Recorded::AlreadyLogged
        );
        assert_eq!(live_launches(&conn).await, 1);
    }

    #[tokio::test]
    async fn a_deleted_message_soft_deletes_its_launch_once() {
        let (_dir, conn) = migrated().await;
        record(&conn, &launch(9), 5).await.unwrap();
        let removal = Effect::Remove(vec![Id::new(9), Id::new(10)]);
        assert_eq!(
            record(&conn, &removal, 6).await.unwrap(),
            Recorded::Removed(1)
        );
        assert_eq!(
            record(&conn, &removal, 7).await.unwrap(),
            Recorded::Unchanged
        );
        assert_eq!(live_launches(&conn).await, 0);
    }
}
