//! The store's functions against a freshly migrated database, each test run twice: on an
//! embedded file and through `testkit dev-db` over HTTP, because the `libsql` crate's remote
//! client re-serialises every statement before sending it and the edge sends the same text
//! over Hrana. Passing on both shows core's SQL means the same thing on either side.

mod backends;

use std::time::Duration;

use backends::Backend;
use shiptrack_core::sql::{self, LaunchSource};
use shiptrack_gateway_worker::db::migrate;
use shiptrack_gateway_worker::gateway::{ResumeState, ShardId};
use shiptrack_gateway_worker::store::digests::{
    self, Claim, ClaimWrite, DigestGuild, DigestOutcome, DigestWeek,
};
use shiptrack_gateway_worker::store::gateway::{self as gateway_store, Lease, SessionWrite};
use shiptrack_gateway_worker::store::launches::{self, Caller, Logged, NewLaunch, Unshipped};
use shiptrack_gateway_worker::store::settings::{self, GuildSettings, ShipChannel};

async fn migrated(backend: Backend) -> Backend {
    migrate::apply(&backend.conn, &migrate::embedded())
        .await
        .unwrap();
    backend
}

async fn count(backend: &Backend, sql: &str) -> i64 {
    let mut rows = backend.conn.query(sql, ()).await.unwrap();
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

backends::on_every_backend!(
    setup = super::migrated;
    every_core_statement_compiles_against_the_schema,
    a_second_insert_with_the_same_source_id_is_already_logged,
    a_deleted_message_removes_its_launch_once_and_a_replay_does_not_restore_it,
    unship_removes_own_launches_and_managers_remove_any,
    unship_explains_what_it_did_not_remove,
    profile_counts_live_launches_and_lists_the_latest_first,
    leaderboard_breaks_ties_by_who_got_there_first_then_by_id,
    leaderboard_counts_only_the_period_the_guild_and_live_launches,
    unship_choices_are_candidates_in_any_case_newest_first_at_most_100,
    a_lease_has_one_holder_until_it_expires,
    racing_processes_never_both_win_a_lease,
    only_the_lease_holder_saves_or_deletes_the_session,
    guild_settings_and_ship_channels_round_trip,
    digest_guilds_are_those_with_the_digest_on_and_a_channel,
    digest_launches_are_the_live_ones_in_the_window_oldest_first,
    a_digest_week_is_claimed_once_until_its_claim_goes_stale,
    a_finished_digest_is_never_claimed_again,
    a_failed_digest_is_retried_after_the_stale_age,
);

const GUILD: u64 = 100;
const OTHER_GUILD: u64 = 200;
const ALICE: u64 = 11;
const BOB: u64 = 12;
const CAROL: u64 = 13;
/// 2025-11-24T00:00:00Z, a Monday.
const T0: i64 = 1_763_942_400_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

fn launch(source_id: u64, author_id: u64, created_at: i64) -> NewLaunch<'static> {
    NewLaunch {
        guild_id: GUILD,
        channel_id: Some(300),
        author_id,
        author_name: "someone",
        text: "shipped a thing",
        url: Some("https://example.com"),
        source: LaunchSource::Message,
        source_id,
        created_at,
    }
}

async fn insert(backend: &Backend, launch: NewLaunch<'_>) -> i64 {
    match launches::insert_launch(&backend.conn, &launch)
        .await
        .unwrap()
    {
        Logged::New { id } => id,
        Logged::AlreadyLogged => panic!("source id {} was already logged", launch.source_id),
    }
}

async fn every_core_statement_compiles_against_the_schema(backend: Backend) {
    for (name, statement) in sql::ALL {
        if let Err(error) = backend.conn.prepare(statement).await {
            panic!("{name} does not compile against the migrated schema: {error}");
        }
    }
}

async fn a_second_insert_with_the_same_source_id_is_already_logged(backend: Backend) {
    let first = launches::insert_launch(&backend.conn, &launch(1, ALICE, T0))
        .await
        .unwrap();
    assert!(matches!(first, Logged::New { .. }), "{first:?}");
    let replay = NewLaunch {
        text: "edited text",
        ..launch(1, ALICE, T0 + MINUTE)
    };
    assert_eq!(
        launches::insert_launch(&backend.conn, &replay)
            .await
            .unwrap(),
        Logged::AlreadyLogged
    );
    // The same message logged from the context menu is the same launch.
    let from_menu = NewLaunch {
        source: LaunchSource::ContextMenu,
        ..launch(1, ALICE, T0)
    };
    assert_eq!(
        launches::insert_launch(&backend.conn, &from_menu)
            .await
            .unwrap(),
        Logged::AlreadyLogged
    );

    assert_eq!(count(&backend, "SELECT COUNT(*) FROM launches").await, 1);
    let mut rows = backend
        .conn
        .query("SELECT text, created_at, source FROM launches", ())
        .await
        .unwrap();
    let row = rows.next().await.unwrap().unwrap();
    assert_eq!(row.get::<String>(0).unwrap(), "shipped a thing");
    assert_eq!(row.get::<i64>(1).unwrap(), T0);
    assert_eq!(row.get::<String>(2).unwrap(), "message");
}

async fn a_deleted_message_removes_its_launch_once_and_a_replay_does_not_restore_it(
    backend: Backend,
) {
    insert(&backend, launch(1, ALICE, T0)).await;
    insert(&backend, launch(2, ALICE, T0)).await;
    assert!(
        launches::soft_delete_by_source_id(&backend.conn, 1, T0 + DAY)
            .await
            .unwrap()
    );
    assert!(
        !launches::soft_delete_by_source_id(&backend.conn, 1, T0 + 2 * DAY)
            .await
            .unwrap()
    );
    assert!(
        !launches::soft_delete_by_source_id(&backend.conn, 99, T0)
            .await
            .unwrap()
    );
    // A MESSAGE_CREATE replayed after the delete must not bring the launch back.
    assert_eq!(
        launches::insert_launch(&backend.conn, &launch(1, ALICE, T0))
            .await
            .unwrap(),
        Logged::AlreadyLogged
    );
    assert_eq!(
        count(
            &backend,
            "SELECT COUNT(*) FROM launches WHERE deleted_at IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &backend,
            "SELECT deleted_at FROM launches WHERE source_id = '1'"
        )
        .await,
        T0 + DAY
    );
    let stats = launches::profile_stats(&backend.conn, GUILD, ALICE)
        .await
        .unwrap();
    assert_eq!(stats.launch_count, 1);
}

async fn unship_removes_own_launches_and_managers_remove_any(backend: Backend) {
    let alices = insert(&backend, launch(1, ALICE, T0)).await;
    let bobs = insert(&backend, launch(2, BOB, T0)).await;
    let alice = Caller {
        user_id: ALICE,
        may_manage_server: false,
    };
    let manager = Caller {
        user_id: CAROL,
        may_manage_server: true,
    };

    assert_eq!(
        launches::unship(&backend.conn, GUILD, alices, alice, T0 + 1)
            .await
            .unwrap(),
        Unshipped::Removed {
            id: alices,
            author_id: ALICE,
            text: "shipped a thing".into()
        }
    );
    assert_eq!(
        launches::unship(&backend.conn, GUILD, bobs, manager, T0 + 1)
            .await
            .unwrap(),
        Unshipped::Removed {
            id: bobs,
            author_id: BOB,
            text: "shipped a thing".into()
        }
    );
    assert_eq!(
        count(
            &backend,
            "SELECT COUNT(*) FROM launches WHERE deleted_at IS NULL"
        )
        .await,
        0
    );
}

async fn unship_explains_what_it_did_not_remove(backend: Backend) {
    let bobs = insert(&backend, launch(2, BOB, T0)).await;
    let alice = Caller {
        user_id: ALICE,
        may_manage_server: false,
    };
    let bob = Caller {
        user_id: BOB,
        may_manage_server: false,
    };

    assert_eq!(
        launches::unship(&backend.conn, GUILD, bobs, alice, T0)
            .await
            .unwrap(),
        Unshipped::NotYours { author_id: BOB }
    );
    assert_eq!(
        launches::unship(&backend.conn, OTHER_GUILD, bobs, bob, T0)
            .await
            .unwrap(),
        Unshipped::NotFound
    );
    assert_eq!(
        launches::unship(&backend.conn, GUILD, bobs + 1000, bob, T0)
            .await
            .unwrap(),
        Unshipped::NotFound
    );
    assert!(matches!(
        launches::unship(&backend.conn, GUILD, bobs, bob, T0)
            .await
            .unwrap(),
        Unshipped::Removed { .. }
    ));
    assert_eq!(
        launches::unship(&backend.conn, GUILD, bobs, bob, T0)
            .await
            .unwrap(),
        Unshipped::AlreadyRemoved
    );
}

async fn profile_counts_live_launches_and_lists_the_latest_first(backend: Backend) {
    let empty = launches::profile_stats(&backend.conn, GUILD, ALICE)
        .await
        .unwrap();
    assert_eq!(
        (empty.launch_count, empty.first_at, empty.latest_at),
        (0, None, None)
    );

    let first = insert(
        &backend,
        NewLaunch {
            text: "one",
            ..launch(1, ALICE, T0)
        },
    )
    .await;
    let second = insert(
        &backend,
        NewLaunch {
            text: "two",
            url: None,
            ..launch(2, ALICE, T0 + DAY)
        },
    )
    .await;
    let third = insert(
        &backend,
        NewLaunch {
            text: "three",
            ..launch(3, ALICE, T0 + DAY)
        },
    )
    .await;
    insert(
        &backend,
        NewLaunch {
            text: "gone",
            ..launch(4, ALICE, T0 + 5 * DAY)
        },
    )
    .await;
    launches::soft_delete_by_source_id(&backend.conn, 4, T0 + 6 * DAY)
        .await
        .unwrap();
    insert(&backend, launch(5, BOB, T0 + 3 * DAY)).await;
    insert(
        &backend,
        NewLaunch {
            guild_id: OTHER_GUILD,
            ..launch(6, ALICE, T0 + 4 * DAY)
        },
    )
    .await;

    let stats = launches::profile_stats(&backend.conn, GUILD, ALICE)
        .await
        .unwrap();
    assert_eq!(
        (stats.launch_count, stats.first_at, stats.latest_at),
        (3, Some(T0), Some(T0 + DAY))
    );

    let latest = launches::latest_launches(&backend.conn, GUILD, ALICE, 2)
        .await
        .unwrap();
    let ids: Vec<i64> = latest.iter().map(|launch| launch.id).collect();
    // Equal times fall back to the id, newest first.
    assert_eq!(ids, vec![third, second]);
    assert_eq!(latest[1].url, None);
    assert_eq!(latest[0].url.as_deref(), Some("https://example.com"));
    let all = launches::latest_launches(&backend.conn, GUILD, ALICE, 10)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|launch| launch.id).collect::<Vec<_>>(),
        vec![third, second, first]
    );
}

async fn leaderboard_breaks_ties_by_who_got_there_first_then_by_id(backend: Backend) {
    // Bob and Carol both have two launches; Bob's latest is earlier, so he got there first.
    // Alice and Dave have one each at the same time: the lower id (as text) ranks first.
    let dave = 9;
    insert(
        &backend,
        NewLaunch {
            author_name: "Bob",
            ..launch(1, BOB, T0)
        },
    )
    .await;
    insert(
        &backend,
        NewLaunch {
            author_name: "Bob B.",
            ..launch(2, BOB, T0 + DAY)
        },
    )
    .await;
    insert(&backend, launch(3, CAROL, T0)).await;
    insert(&backend, launch(4, CAROL, T0 + 2 * DAY)).await;
    insert(&backend, launch(5, dave, T0 + 3 * DAY)).await;
    insert(&backend, launch(6, ALICE, T0 + 3 * DAY)).await;
    insert(&backend, launch(7, 14, T0)).await;
    insert(&backend, launch(8, 14, T0)).await;
    insert(&backend, launch(10, 14, T0)).await;

    let board = launches::leaderboard(&backend.conn, GUILD, 0, 10)
        .await
        .unwrap();
    let order: Vec<(u64, i64)> = board
        .iter()
        .map(|entry| (entry.author_id, entry.launch_count))
        .collect();
    assert_eq!(
        order,
        vec![(14, 3), (BOB, 2), (CAROL, 2), (ALICE, 1), (dave, 1)]
    );
    // The name shown is the one on the member's latest launch.
    assert_eq!(board[1].author_name, "Bob B.");
    assert_eq!(board[1].latest_at, T0 + DAY);

    let top_two = launches::leaderboard(&backend.conn, GUILD, 0, 2)
        .await
        .unwrap();
    assert_eq!(top_two, board[..2].to_vec());
}

async fn leaderboard_counts_only_the_period_the_guild_and_live_launches(backend: Backend) {
    insert(&backend, launch(1, ALICE, T0 - 10 * DAY)).await;
    insert(&backend, launch(2, ALICE, T0 - 9 * DAY)).await;
    insert(&backend, launch(3, BOB, T0)).await;
    insert(&backend, launch(4, CAROL, T0 + DAY)).await;
    insert(&backend, launch(5, CAROL, T0 + DAY)).await;
    launches::soft_delete_by_source_id(&backend.conn, 5, T0 + 2 * DAY)
        .await
        .unwrap();
    insert(
        &backend,
        NewLaunch {
            guild_id: OTHER_GUILD,
            ..launch(6, BOB, T0)
        },
    )
    .await;

    let week = launches::leaderboard(&backend.conn, GUILD, T0, 10)
        .await
        .unwrap();
    let order: Vec<(u64, i64)> = week
        .iter()
        .map(|entry| (entry.author_id, entry.launch_count))
        .collect();
    assert_eq!(order, vec![(BOB, 1), (CAROL, 1)]);
    let all_time = launches::leaderboard(&backend.conn, GUILD, 0, 10)
        .await
        .unwrap();
    assert_eq!(all_time[0].author_id, ALICE);
    assert_eq!(all_time[0].launch_count, 2);
    assert!(
        launches::leaderboard(&backend.conn, 999, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn unship_choices_are_candidates_in_any_case_newest_first_at_most_100(backend: Backend) {
    for n in 0..105u64 {
        let text = format!("Widget v{n}");
        insert(
            &backend,
            NewLaunch {
                text: &text,
                ..launch(1000 + n, ALICE, T0 + n as i64 * MINUTE)
            },
        )
        .await;
    }
    // (source id, author, created at, text)
    let others = [
        (100, ALICE, T0, "100% done"),
        (101, ALICE, T0, "1000 users"),
        (102, ALICE, T0, "snake_case lib"),
        (103, ALICE, T0, "snakeXcase lib"),
        (106, ALICE, T0, "Été launch"),
        (104, BOB, T0 + DAY, "Widget by Bob"),
        (105, ALICE, T0 + DAY, "Widget removed"),
    ];
    for (source_id, author_id, created_at, text) in others {
        insert(
            &backend,
            NewLaunch {
                text,
                ..launch(source_id, author_id, created_at)
            },
        )
        .await;
    }
    launches::soft_delete_by_source_id(&backend.conn, 105, T0 + DAY)
        .await
        .unwrap();

    // The texts of Alice's candidates for `typed`.
    let conn = &backend.conn;
    let texts = |typed: &'static str| async move {
        launches::unship_choices(conn, GUILD, ALICE, typed)
            .await
            .unwrap()
            .into_iter()
            .map(|choice| choice.text)
            .collect::<Vec<_>>()
    };
    let widgets = texts("wIdGeT").await;
    assert_eq!(widgets.len(), 100);
    assert_eq!(widgets[0], "Widget v104");
    assert_eq!(widgets[99], "Widget v5");

    // SQLite's LIKE ignores ASCII case only; the pattern lets any character stand for É and é.
    assert_eq!(texts("éTÉ LAUNCH").await, ["Été launch"]);
    assert_eq!(texts("100%").await, ["100% done"]);
    assert_eq!(texts("snake_").await, ["snake_case lib"]);
    assert_eq!(texts("").await.len(), 100);
    assert!(
        launches::unship_choices(&backend.conn, GUILD, CAROL, "")
            .await
            .unwrap()
            .is_empty()
    );
}

const SHARD: ShardId = ShardId {
    number: 0,
    total: 2,
};
const TTL: Duration = Duration::from_secs(30);
const TTL_MS: i64 = 30_000;

async fn a_lease_has_one_holder_until_it_expires(backend: Backend) {
    let conn = &backend.conn;
    assert_eq!(
        gateway_store::acquire_lease(conn, SHARD, "a", T0, TTL)
            .await
            .unwrap(),
        Lease::Held {
            expires_at: T0 + TTL_MS
        }
    );
    assert_eq!(
        gateway_store::acquire_lease(conn, SHARD, "b", T0 + 1, TTL)
            .await
            .unwrap(),
        Lease::HeldByAnother
    );
    // The other shard, and the same number under another shard count, are separate leases.
    let other_shard = ShardId {
        number: 1,
        total: 2,
    };
    assert!(matches!(
        gateway_store::acquire_lease(conn, other_shard, "b", T0, TTL)
            .await
            .unwrap(),
        Lease::Held { .. }
    ));
    // Renewal by the holder moves the expiry.
    assert_eq!(
        gateway_store::acquire_lease(conn, SHARD, "a", T0 + 10_000, TTL)
            .await
            .unwrap(),
        Lease::Held {
            expires_at: T0 + 10_000 + TTL_MS
        }
    );
    assert_eq!(
        gateway_store::acquire_lease(conn, SHARD, "b", T0 + 10_000 + TTL_MS - 1, TTL)
            .await
            .unwrap(),
        Lease::HeldByAnother
    );
    // The holder died: once the lease has expired, the standby takes over and the old holder
    // cannot renew.
    let expired = T0 + 10_000 + TTL_MS;
    assert_eq!(
        gateway_store::acquire_lease(conn, SHARD, "b", expired, TTL)
            .await
            .unwrap(),
        Lease::Held {
            expires_at: expired + TTL_MS
        }
    );
    assert_eq!(
        gateway_store::acquire_lease(conn, SHARD, "a", expired + 1, TTL)
            .await
            .unwrap(),
        Lease::HeldByAnother
    );
    // Only the holder can release; after release anyone may take it at once.
    assert!(
        !gateway_store::release_lease(conn, SHARD, "a")
            .await
            .unwrap()
    );
    assert!(
        gateway_store::release_lease(conn, SHARD, "b")
            .await
            .unwrap()
    );
    assert!(matches!(
        gateway_store::acquire_lease(conn, SHARD, "a", expired + 2, TTL)
            .await
            .unwrap(),
        Lease::Held { .. }
    ));
}

async fn racing_processes_never_both_win_a_lease(backend: Backend) {
    let mut attempts = Vec::new();
    for contender in 0..8 {
        let conn = backend.database.connect().unwrap();
        attempts.push(tokio::spawn(async move {
            gateway_store::acquire_lease(&conn, SHARD, &format!("worker-{contender}"), T0, TTL)
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for attempt in attempts {
        if matches!(attempt.await.unwrap(), Lease::Held { .. }) {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(
        count(&backend, "SELECT COUNT(*) FROM gateway_leases").await,
        1
    );
}

async fn only_the_lease_holder_saves_or_deletes_the_session(backend: Backend) {
    let conn = &backend.conn;
    let session = ResumeState {
        session_id: "session-1".into(),
        resume_gateway_url: "wss://resume.example".into(),
        sequence: 42,
    };
    assert_eq!(
        gateway_store::load_session(conn, SHARD).await.unwrap(),
        None
    );
    assert_eq!(
        gateway_store::save_session(conn, SHARD, "a", &session, T0)
            .await
            .unwrap(),
        SessionWrite::NotLeaseHolder
    );
    assert_eq!(
        gateway_store::load_session(conn, SHARD).await.unwrap(),
        None
    );

    gateway_store::acquire_lease(conn, SHARD, "a", T0, TTL)
        .await
        .unwrap();
    assert_eq!(
        gateway_store::save_session(conn, SHARD, "a", &session, T0 + 1)
            .await
            .unwrap(),
        SessionWrite::Done
    );
    let later = ResumeState {
        sequence: 57,
        ..session.clone()
    };
    assert_eq!(
        gateway_store::save_session(conn, SHARD, "a", &later, T0 + 2)
            .await
            .unwrap(),
        SessionWrite::Done
    );
    let stored = gateway_store::load_session(conn, SHARD)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.resume, later);
    assert_eq!(stored.updated_at, T0 + 2);
    assert_eq!(
        gateway_store::load_session(
            conn,
            ShardId {
                number: 0,
                total: 4
            }
        )
        .await
        .unwrap(),
        None
    );

    // A process that is not the holder, or whose lease expired, changes nothing.
    let intruder = ResumeState {
        session_id: "session-2".into(),
        ..session.clone()
    };
    assert_eq!(
        gateway_store::save_session(conn, SHARD, "b", &intruder, T0 + 3)
            .await
            .unwrap(),
        SessionWrite::NotLeaseHolder
    );
    assert_eq!(
        gateway_store::save_session(conn, SHARD, "a", &intruder, T0 + TTL_MS)
            .await
            .unwrap(),
        SessionWrite::NotLeaseHolder
    );
    assert!(
        !gateway_store::delete_session(conn, SHARD, "b", T0 + 3)
            .await
            .unwrap()
    );
    assert_eq!(
        gateway_store::load_session(conn, SHARD)
            .await
            .unwrap()
            .unwrap()
            .resume,
        later
    );

    assert!(
        gateway_store::delete_session(conn, SHARD, "a", T0 + 3)
            .await
            .unwrap()
    );
    assert_eq!(
        gateway_store::load_session(conn, SHARD).await.unwrap(),
        None
    );
}

async fn guild_settings_and_ship_channels_round_trip(backend: Backend) {
    let conn = &backend.conn;
    assert_eq!(settings::guild_settings(conn, GUILD).await.unwrap(), None);
    let first = GuildSettings {
        announcements_channel_id: Some(500),
        ship_words: Some("deployed,live".into()),
        digest_enabled: true,
        quiet_week_message: false,
    };
    settings::save_guild_settings(conn, GUILD, &first, T0)
        .await
        .unwrap();
    assert_eq!(
        settings::guild_settings(conn, GUILD).await.unwrap(),
        Some(first)
    );
    let replaced = GuildSettings {
        announcements_channel_id: None,
        ship_words: None,
        digest_enabled: false,
        quiet_week_message: true,
    };
    settings::save_guild_settings(conn, GUILD, &replaced, T0 + 1)
        .await
        .unwrap();
    assert_eq!(
        settings::guild_settings(conn, GUILD).await.unwrap(),
        Some(replaced)
    );
    assert_eq!(
        count(&backend, "SELECT COUNT(*) FROM guild_settings").await,
        1
    );

    assert!(settings::ship_channels(conn).await.unwrap().is_empty());
    let channels = [
        ShipChannel {
            channel_id: 31,
            guild_id: GUILD,
        },
        ShipChannel {
            channel_id: 30,
            guild_id: OTHER_GUILD,
        },
    ];
    for channel in channels {
        settings::add_ship_channel(conn, channel).await.unwrap();
        settings::add_ship_channel(conn, channel).await.unwrap();
    }
    assert_eq!(
        settings::ship_channels(conn).await.unwrap(),
        vec![channels[1], channels[0]]
    );
}

async fn digest_guilds_are_those_with_the_digest_on_and_a_channel(backend: Backend) {
    let conn = &backend.conn;
    let on = |channel: Option<u64>, quiet| GuildSettings {
        announcements_channel_id: channel,
        ship_words: None,
        digest_enabled: true,
        quiet_week_message: quiet,
    };
    settings::save_guild_settings(conn, 3, &on(Some(33), true), T0)
        .await
        .unwrap();
    settings::save_guild_settings(conn, 1, &on(Some(11), false), T0)
        .await
        .unwrap();
    settings::save_guild_settings(conn, 2, &on(None, false), T0)
        .await
        .unwrap();
    let off = GuildSettings {
        digest_enabled: false,
        ..on(Some(44), false)
    };
    settings::save_guild_settings(conn, 4, &off, T0)
        .await
        .unwrap();

    assert_eq!(
        digests::digest_guilds(conn).await.unwrap(),
        vec![
            DigestGuild {
                guild_id: 1,
                announcements_channel_id: 11,
                quiet_week_message: false
            },
            DigestGuild {
                guild_id: 3,
                announcements_channel_id: 33,
                quiet_week_message: true
            },
        ]
    );
}

async fn digest_launches_are_the_live_ones_in_the_window_oldest_first(backend: Backend) {
    let start = T0;
    let end = T0 + 7 * DAY;
    insert(&backend, launch(1, ALICE, start - 1)).await;
    let at_start = insert(
        &backend,
        NewLaunch {
            url: None,
            ..launch(2, BOB, start)
        },
    )
    .await;
    let late = insert(&backend, launch(3, ALICE, end - 1)).await;
    insert(&backend, launch(4, ALICE, end)).await;
    let middle_b = insert(&backend, launch(6, CAROL, start + DAY)).await;
    let middle_a = insert(&backend, launch(5, ALICE, start + DAY)).await;
    insert(&backend, launch(7, ALICE, start + DAY)).await;
    launches::soft_delete_by_source_id(&backend.conn, 7, start + 2 * DAY)
        .await
        .unwrap();
    insert(
        &backend,
        NewLaunch {
            guild_id: OTHER_GUILD,
            ..launch(8, ALICE, start + DAY)
        },
    )
    .await;

    let week = digests::digest_launches(&backend.conn, GUILD, start, end)
        .await
        .unwrap();
    let ids: Vec<i64> = week.iter().map(|launch| launch.id).collect();
    assert_eq!(ids, vec![at_start, middle_b, middle_a, late]);
    assert_eq!(week[0].author_id, BOB);
    assert_eq!(week[0].url, None);
    assert_eq!(week[0].created_at, start);
    assert_eq!(week[1].text, "shipped a thing");
}

const WEEK: DigestWeek<'static> = DigestWeek {
    guild_id: GUILD,
    week_key: "2025-W48",
    window_start: T0 - 7 * DAY,
    window_end: T0,
};
const STALE: Duration = Duration::from_secs(300);
const STALE_MS: i64 = 300_000;

async fn a_digest_week_is_claimed_once_until_its_claim_goes_stale(backend: Backend) {
    let conn = &backend.conn;
    assert_eq!(
        digests::claim_digest(conn, &WEEK, "run-1", T0, STALE)
            .await
            .unwrap(),
        Claim::Claimed {
            already_posted: vec![]
        }
    );
    // A second firing, at once or a little later, finds the claim taken.
    assert_eq!(
        digests::claim_digest(conn, &WEEK, "run-2", T0 + 1, STALE)
            .await
            .unwrap(),
        Claim::Taken
    );
    // The same run asking again (a retried request) keeps its claim.
    assert!(matches!(
        digests::claim_digest(conn, &WEEK, "run-1", T0 + 2, STALE)
            .await
            .unwrap(),
        Claim::Claimed { .. }
    ));
    // Another guild's digest for the same week is separate.
    let other = DigestWeek {
        guild_id: OTHER_GUILD,
        ..WEEK
    };
    assert!(matches!(
        digests::claim_digest(conn, &other, "run-2", T0 + 1, STALE)
            .await
            .unwrap(),
        Claim::Claimed { .. }
    ));

    // Posting refreshes the claim, so a slow run is not taken over.
    assert_eq!(
        digests::record_digest_message(conn, GUILD, WEEK.week_key, "run-1", 9001, T0 + 60_000)
            .await
            .unwrap(),
        ClaimWrite::Done
    );
    assert_eq!(
        digests::claim_digest(conn, &WEEK, "run-2", T0 + STALE_MS + 1, STALE)
            .await
            .unwrap(),
        Claim::Taken
    );
    assert_eq!(
        digests::record_digest_message(conn, GUILD, WEEK.week_key, "run-1", 9002, T0 + 120_000)
            .await
            .unwrap(),
        ClaimWrite::Done
    );

    // run-1 died: once its claim is stale, run-2 takes over and continues after its messages.
    let taken_over = T0 + 120_000 + STALE_MS;
    assert_eq!(
        digests::claim_digest(conn, &WEEK, "run-2", taken_over, STALE)
            .await
            .unwrap(),
        Claim::Claimed {
            already_posted: vec!["9001".into(), "9002".into()]
        }
    );
    assert_eq!(
        digests::record_digest_message(conn, GUILD, WEEK.week_key, "run-1", 9003, taken_over)
            .await
            .unwrap(),
        ClaimWrite::ClaimLost
    );
    assert_eq!(
        digests::finish_digest(
            conn,
            GUILD,
            WEEK.week_key,
            "run-1",
            DigestOutcome::Posted,
            taken_over
        )
        .await
        .unwrap(),
        ClaimWrite::ClaimLost
    );
    assert_eq!(
        digests::record_digest_message(conn, GUILD, WEEK.week_key, "run-2", 9003, taken_over + 1)
            .await
            .unwrap(),
        ClaimWrite::Done
    );
    let mut rows = conn
        .query(
            "SELECT message_ids, claimed_by FROM digests WHERE guild_id = ?1",
            [GUILD.to_string()],
        )
        .await
        .unwrap();
    let row = rows.next().await.unwrap().unwrap();
    assert_eq!(row.get::<String>(0).unwrap(), r#"["9001","9002","9003"]"#);
    assert_eq!(row.get::<String>(1).unwrap(), "run-2");
}

async fn a_finished_digest_is_never_claimed_again(backend: Backend) {
    let conn = &backend.conn;
    let quiet = DigestWeek {
        week_key: "2025-W47",
        ..WEEK
    };
    for (week, outcome) in [
        (&WEEK, DigestOutcome::Posted),
        (&quiet, DigestOutcome::Empty),
    ] {
        digests::claim_digest(conn, week, "run-1", T0, STALE)
            .await
            .unwrap();
        assert_eq!(
            digests::finish_digest(conn, GUILD, week.week_key, "run-1", outcome, T0 + 1)
                .await
                .unwrap(),
            ClaimWrite::Done
        );
        let much_later = T0 + 100 * STALE_MS;
        assert_eq!(
            digests::claim_digest(conn, week, "run-2", much_later, STALE)
                .await
                .unwrap(),
            Claim::Taken
        );
        assert_eq!(
            digests::claim_digest(conn, week, "run-1", much_later, STALE)
                .await
                .unwrap(),
            Claim::Taken
        );
        assert_eq!(
            digests::record_digest_message(conn, GUILD, week.week_key, "run-1", 1, much_later)
                .await
                .unwrap(),
            ClaimWrite::ClaimLost
        );
    }
    let mut rows = conn
        .query(
            "SELECT week_key, status, posted_at FROM digests ORDER BY week_key",
            (),
        )
        .await
        .unwrap();
    for expected in [("2025-W47", "empty"), ("2025-W48", "posted")] {
        let row = rows.next().await.unwrap().unwrap();
        assert_eq!(
            (
                row.get::<String>(0).unwrap().as_str(),
                row.get::<String>(1).unwrap().as_str()
            ),
            expected
        );
        assert_eq!(row.get::<i64>(2).unwrap(), T0 + 1);
    }
}

async fn a_failed_digest_is_retried_after_the_stale_age(backend: Backend) {
    let conn = &backend.conn;
    digests::claim_digest(conn, &WEEK, "run-1", T0, STALE)
        .await
        .unwrap();
    digests::record_digest_message(conn, GUILD, WEEK.week_key, "run-1", 7, T0)
        .await
        .unwrap();
    assert_eq!(
        digests::fail_digest(conn, GUILD, WEEK.week_key, "run-1", "Missing Access")
            .await
            .unwrap(),
        ClaimWrite::Done
    );
    assert_eq!(
        count(
            &backend,
            "SELECT COUNT(*) FROM digests WHERE error = 'Missing Access'"
        )
        .await,
        1
    );
    // A duplicate firing right away leaves the failure alone.
    assert_eq!(
        digests::claim_digest(conn, &WEEK, "run-2", T0 + 1, STALE)
            .await
            .unwrap(),
        Claim::Taken
    );
    // A later run retries, continuing after what was posted, and clears the error.
    assert_eq!(
        digests::claim_digest(conn, &WEEK, "run-3", T0 + STALE_MS, STALE)
            .await
            .unwrap(),
        Claim::Claimed {
            already_posted: vec!["7".into()]
        }
    );
    assert_eq!(
        count(
            &backend,
            "SELECT COUNT(*) FROM digests WHERE error IS NULL AND status = 'claimed'"
        )
        .await,
        1
    );
}
