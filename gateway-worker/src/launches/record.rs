//! Applies a decided [`Effect`] to the database. Every write is idempotent (the insert is
//! keyed by the message id, the removal only touches live rows), so applying an effect
//! twice — a replay after a restart, a retry after a timeout — leaves the same rows.

use shiptrack_core::sql::LaunchSource;
use twilight_model::id::{
    Id,
    marker::{ChannelMarker, MessageMarker},
};

use super::{Effect, MessageLaunch};
use crate::store::StoreError;
use crate::store::launches::{self, LaunchInsert, Logged, NewLaunch};

/// What applying an effect changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// A new launch row, its 🚀 pending: its message gets the reaction.
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
            let logged =
                launches::insert_launch_awaiting_reaction(conn, &new_launch(launch)).await?;
            Ok(recorded_launch(launch, logged))
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

/// How a run of effects reaches the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statements {
    /// Each statement sent as it comes: a server answers a prepare with a round trip.
    OneByOne,
    /// The launch insert prepared once for the run: on an embedded file SQLite then parses
    /// it once instead of once per launch.
    PreparedInsert,
}

/// Applies a run of effects in order, inside the caller's transaction.
pub async fn record_run(
    conn: &libsql::Connection,
    effects: &[Effect],
    now_ms: i64,
    statements: Statements,
) -> Result<Vec<Recorded>, StoreError> {
    let mut insert: Option<LaunchInsert> = None;
    let mut recorded = Vec::with_capacity(effects.len());
    for effect in effects {
        recorded.push(match effect {
            Effect::Log(launch) if statements == Statements::PreparedInsert => {
                let insert = match &mut insert {
                    Some(insert) => insert,
                    None => insert.insert(LaunchInsert::prepare(conn).await?),
                };
                recorded_launch(launch, insert.insert(&new_launch(launch)).await?)
            }
            effect => record(conn, effect, now_ms).await?,
        });
    }
    Ok(recorded)
}

fn new_launch(launch: &MessageLaunch) -> NewLaunch<'_> {
    NewLaunch {
        guild_id: launch.guild_id.get(),
        channel_id: Some(launch.channel_id.get()),
        author_id: launch.author_id.get(),
        author_name: &launch.author_name,
        text: &launch.text,
        url: Some(&launch.url),
        source: LaunchSource::Message,
        source_id: launch.message_id.get(),
        created_at: launch.created_at,
    }
}

fn recorded_launch(launch: &MessageLaunch, logged: Logged) -> Recorded {
    match logged {
        Logged::New { .. } => Recorded::Logged {
            channel: launch.channel_id,
            message: launch.message_id,
        },
        Logged::AlreadyLogged => Recorded::AlreadyLogged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::migrated_connection as migrated;

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
    async fn a_logged_launch_awaits_its_reaction_whichever_way_it_was_inserted() {
        for statements in [Statements::OneByOne, Statements::PreparedInsert] {
            let (_dir, conn) = migrated().await;
            record(&conn, &launch(8), 4).await.unwrap();
            record_run(&conn, &[launch(9)], 5, statements)
                .await
                .unwrap();
            let mut rows = conn
                .query("SELECT reaction FROM launches ORDER BY source_id", ())
                .await
                .unwrap();
            let mut reactions = Vec::new();
            while let Some(row) = rows.next().await.unwrap() {
                reactions.push(row.get::<Option<String>>(0).unwrap());
            }
            let pending = Some("pending".to_owned());
            assert_eq!(reactions, [pending.clone(), pending], "{statements:?}");
        }
    }

    #[tokio::test]
    async fn a_run_with_a_prepared_insert_records_what_one_by_one_records() {
        for statements in [Statements::OneByOne, Statements::PreparedInsert] {
            let (_dir, conn) = migrated().await;
            record(&conn, &launch(8), 4).await.unwrap();
            let run = [
                launch(8),
                launch(9),
                Effect::Remove(vec![Id::new(8)]),
                launch(10),
                launch(9),
            ];
            let transaction = conn.transaction().await.unwrap();
            let recorded = record_run(&transaction, &run, 5, statements).await.unwrap();
            transaction.commit().await.unwrap();
            let logged = |message| Recorded::Logged {
                channel: Id::new(2),
                message: Id::new(message),
            };
            assert_eq!(
                recorded,
                [
                    Recorded::AlreadyLogged,
                    logged(9),
                    Recorded::Removed(1),
                    logged(10),
                    Recorded::AlreadyLogged
                ],
                "{statements:?}"
            );
            assert_eq!(live_launches(&conn).await, 2, "{statements:?}");
        }
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
