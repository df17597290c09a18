use std::time::Duration;

use chrono::{DateTime, TimeDelta};
use serde_json::json;
use shiptrack_core::digest::{DigestOptions, MESSAGE_LIMIT};
use shiptrack_core::{sql, week::parse_instant};

use super::*;
use crate::digest::test_support::*;

const GUILD: u64 = 290_926_798_626_357_999;
const CHANNEL: u64 = 645_027_906_669_510_667;
const OTHER_GUILD: u64 = 290_926_798_626_358_000;
const OTHER_CHANNEL: u64 = 645_027_906_669_510_668;

fn job() -> Job {
    Job {
        scheduled: parse_instant("2026-11-30T09:00:00Z").unwrap(),
        community: Some(Community {
            guild_id: GUILD,
            channel_id: Some(CHANNEL),
        }),
        claimer: "run-1".to_owned(),
    }
}

fn window() -> DigestWindow {
    DigestWindow::before(job().scheduled)
}

/// `count` launches through the window, each long enough that a message holds only a few.
fn long_launches(count: i64) -> Vec<Vec<crate::hrana::ColumnValue>> {
    (0..count)
        .map(|id| {
            let created = window().start() + TimeDelta::hours(id + 1);
            vec![
                int(id + 1),
                txt(&(11 + id % 3).to_string()),
                txt("someone"),
                txt(&format!("launch {id} {}", "with a long story ".repeat(15))),
                txt(&format!("https://example.com/{id}")),
                int(created.timestamp_millis()),
            ]
        })
        .collect()
}

fn held_week(launches: Vec<Vec<crate::hrana::ColumnValue>>) -> FakeDb {
    FakeDb {
        claim: Some(vec![]),
        launches,
        ..FakeDb::default()
    }
}

/// What the renderer makes of the rows, to compare with what was posted.
fn rendered(io: &FakeIo, quiet_week_message: bool) -> Vec<String> {
    let launches = crate::digest::launches::read(&rows(io.db.borrow().launches.clone())).unwrap();
    shiptrack_core::digest::render(&launches, &window(), DigestOptions { quiet_week_message })
}

fn guild_results(report: &Report) -> Vec<&GuildResult> {
    match report {
        Report::Ran { guilds, .. } => guilds.iter().map(|guild| &guild.result).collect(),
        Report::ListingFailed { error, .. } => panic!("listing failed: {error}"),
    }
}

fn posted_contents(io: &FakeIo) -> Vec<String> {
    io.posts
        .borrow()
        .iter()
        .map(|(_, message)| message.content.clone())
        .collect()
}

#[test]
fn posts_every_message_in_order_records_each_id_and_finishes_the_week() {
    let io = FakeIo::new(held_week(long_launches(40)));
    let report = block_on(run(&io, &job()));

    let expected = rendered(&io, false);
    assert!(expected.len() > 3, "{} messages", expected.len());
    assert_eq!(
        guild_results(&report),
        [&GuildResult::Posted {
            messages: expected.len(),
            resumed_after: 0
        }]
    );
    assert_eq!(posted_contents(&io), expected);
    assert!(
        io.posts
            .borrow()
            .iter()
            .all(|(channel, _)| *channel == CHANNEL)
    );
    assert!(
        expected
            .iter()
            .all(|message| message.chars().count() <= MESSAGE_LIMIT)
    );
    let recorded = io.text_args(sql::RECORD_DIGEST_MESSAGE, 3);
    let ids: Vec<String> = (1_000..1_000 + expected.len())
        .map(|id| id.to_string())
        .collect();
    assert_eq!(recorded, ids);
    assert_eq!(io.text_args(sql::FINISH_DIGEST, 3), ["posted"]);
    assert!(io.sleeps.borrow().is_empty());
}

#[test]
fn the_claim_comes_before_anything_is_read_or_posted() {
    let io = FakeIo::new(held_week(long_launches(3)));
    block_on(run(&io, &job()));
    let order: Vec<String> = io
        .executed
        .borrow()
        .iter()
        .map(|executed| executed.sql.clone())
        .collect();
    assert_eq!(
        order,
        [
            sql::DIGEST_GUILDS,
            sql::GUILD_SETTINGS,
            sql::CLAIM_DIGEST,
            sql::DIGEST_LAUNCHES,
            sql::RECORD_DIGEST_MESSAGE,
            sql::FINISH_DIGEST
        ]
    );
}

#[test]
fn the_week_is_the_seven_days_before_the_scheduled_time_not_the_clock() {
    let io = FakeIo::new(held_week(vec![]));
    io.clock_ms.set(START_MS + 3 * 3_600_000);
    block_on(run(&io, &job()));
    let claim = &io.executed(sql::CLAIM_DIGEST)[0].args;
    assert_eq!(claim[1], json!({"type": "text", "value": "2026-W48"}));
    assert_eq!(
        claim[2]["value"],
        window().start().timestamp_millis().to_string()
    );
    assert_eq!(claim[3]["value"], START_MS.to_string());
    let launches = &io.executed(sql::DIGEST_LAUNCHES)[0].args;
    assert_eq!(launches[1], claim[2]);
    assert_eq!(launches[2], claim[3]);
}

#[test]
fn a_week_another_run_holds_or_finished_posts_nothing() {
    let io = FakeIo::new(FakeDb {
        claim: None,
        launches: long_launches(5),
        ..FakeDb::default()
    });
    let report = block_on(run(&io, &job()));
    assert_eq!(guild_results(&report), [&GuildResult::Taken]);
    assert!(io.posts.borrow().is_empty());
    assert!(io.executed(sql::DIGEST_LAUNCHES).is_empty());
    assert!(io.executed(sql::FINISH_DIGEST).is_empty());
}

#[test]
fn a_take_over_continues_after_the_messages_already_recorded_with_their_own_nonces() {
    let mut db = held_week(long_launches(40));
    db.claim = Some(vec!["1".to_owned(), "2".to_owned()]);
    let io = FakeIo::new(db);
    let report = block_on(run(&io, &job()));

    let expected = rendered(&io, false);
    assert_eq!(
        guild_results(&report),
        [&GuildResult::Posted {
            messages: expected.len(),
            resumed_after: 2
        }]
    );
    assert_eq!(posted_contents(&io), expected[2..]);
    let week = window().key();
    let nonces: Vec<String> = (2..expected.len())
        .map(|part| NewMessage::new("", GUILD, week, part).nonce)
        .collect();
    assert_eq!(io.posted_nonces(), nonces);
}

#[test]
fn a_run_that_died_after_its_last_message_only_finishes_the_week() {
    let mut db = held_week(long_launches(2));
    db.claim = Some(vec!["1".to_owned()]);
    let io = FakeIo::new(db);
    let report = block_on(run(&io, &job()));
    assert_eq!(
        guild_results(&report),
        [&GuildResult::Posted {
            messages: 1,
            resumed_after: 1
        }]
    );
    assert!(io.posts.borrow().is_empty());
    assert_eq!(io.text_args(sql::FINISH_DIGEST, 3), ["posted"]);
}

#[test]
fn an_empty_week_posts_nothing_and_is_finished_as_empty() {
    let io = FakeIo::new(held_week(vec![]));
    let report = block_on(run(&io, &job()));
    assert_eq!(guild_results(&report), [&GuildResult::Empty]);
    assert!(io.posts.borrow().is_empty());
    assert_eq!(io.text_args(sql::FINISH_DIGEST, 3), ["empty"]);
}

#[test]
fn an_empty_week_posts_the_quiet_line_when_the_guild_asks() {
    let mut db = held_week(vec![]);
    db.settings = Some(vec![null(), null(), int(1), int(1)]);
    let io = FakeIo::new(db);
    block_on(run(&io, &job()));
    assert_eq!(posted_contents(&io), rendered(&io, true));
    assert!(posted_contents(&io)[0].contains("nothing this time"));
    assert_eq!(io.text_args(sql::FINISH_DIGEST, 3), ["posted"]);
}

#[test]
fn a_rate_limited_post_waits_retry_after_and_sends_the_same_message_again() {
    let io = FakeIo::new(held_week(long_launches(2)));
    io.reply(Ok(answer(
        429,
        json!({"message": "You are being rate limited.", "retry_after": 2.5, "global": false}),
    )));
    let report = block_on(run(&io, &job()));
    assert_eq!(
        guild_results(&report),
        [&GuildResult::Posted {
            messages: 1,
            resumed_after: 0
        }]
    );
    assert_eq!(*io.sleeps.borrow(), [Duration::from_millis(2500)]);
    let posts = io.posts.borrow();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].1, posts[1].1);
    assert_eq!(io.executed(sql::RECORD_DIGEST_MESSAGE).len(), 1);
}

#[test]
fn an_emptied_bucket_pauses_before_the_next_post_instead_of_provoking_a_429() {
    let io = FakeIo::new(held_week(long_launches(40)));
    let mut last_in_bucket = created("1");
    last_in_bucket.remaining = Some(0);
    last_in_bucket.reset_after = Some(Duration::from_millis(4200));
    io.reply(Ok(last_in_bucket));
    block_on(run(&io, &job()));
    assert_eq!(*io.sleeps.borrow(), [Duration::from_millis(4200)]);
    // The pause follows the first record and precedes the second post.
    assert!(io.posts.borrow().len() > 2);
}

#[test]
fn the_last_message_finishes_the_week_without_waiting_for_the_bucket() {
    let io = FakeIo::new(held_week(long_launches(2)));
    let mut emptied = created("1");
    emptied.remaining = Some(0);
    io.reply(Ok(emptied));
    block_on(run(&io, &job()));
    assert_eq!(io.posts.borrow().len(), 1);
    assert!(io.sleeps.borrow().is_empty());
    assert_eq!(io.text_args(sql::FINISH_DIGEST, 3), ["posted"]);
}

#[test]
fn an_answer_lost_on_the_way_is_retried_with_the_same_nonce() {
    let io = FakeIo::new(held_week(long_launches(2)));
    io.reply(Err("connection reset".to_owned()));
    io.reply(Ok(answer(
        503,
        json!({"message": "503: Service Unavailable", "code": 0}),
    )));
    let report = block_on(run(&io, &job()));
    assert!(matches!(
        guild_results(&report)[..],
        [GuildResult::Posted { messages: 1, .. }]
    ));
    assert_eq!(
        *io.sleeps.borrow(),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
    let nonces = io.posted_nonces();
    assert_eq!(nonces.len(), 3);
    assert!(nonces.iter().all(|nonce| *nonce == nonces[0]));
}

fn two_guilds(db: FakeDb) -> FakeDb {
    FakeDb {
        guilds: vec![
            vec![txt(&GUILD.to_string()), txt(&CHANNEL.to_string()), int(0)],
            vec![
                txt(&OTHER_GUILD.to_string()),
                txt(&OTHER_CHANNEL.to_string()),
                int(0),
            ],
        ],
        ..db
    }
}

fn without_community() -> Job {
    Job {
        community: None,
        ..job()
    }
}

#[test]
fn a_refused_channel_is_recorded_on_the_row_and_the_next_guild_still_gets_its_digest() {
    let io = FakeIo::new(two_guilds(held_week(long_launches(2))));
    io.reply(Ok(answer(
        403,
        json!({"message": "Missing Access", "code": 50001}),
    )));
    let report = block_on(run(&io, &without_community()));

    let refusal = Refusal {
        status: 403,
        code: Some(50001),
        message: "Missing Access".to_owned(),
    };
    assert_eq!(
        guild_results(&report),
        [
            &GuildResult::Refused {
                refusal: refusal.clone(),
                posted: 0
            },
            &GuildResult::Posted {
                messages: 1,
                resumed_after: 0
            }
        ]
    );
    assert_eq!(
        io.text_args(sql::FAIL_DIGEST, 3),
        ["Discord refused the message: Missing Access (HTTP 403, code 50001)"]
    );
    assert_eq!(io.text_args(sql::FAIL_DIGEST, 0), [GUILD.to_string()]);
    let posts = io.posts.borrow();
    assert_eq!(posts.len(), 2, "the refused post is not retried");
    assert_eq!(posts[1].0, OTHER_CHANNEL);
}

#[test]
fn an_outage_backs_off_keeps_the_claim_fresh_and_gives_up_when_the_run_s_time_is_up() {
    let io = FakeIo::new(held_week(long_launches(2)));
    for _ in 0..100 {
        io.reply(Ok(answer(
            503,
            json!({"message": "503: Service Unavailable", "code": 0}),
        )));
    }
    let report = block_on(run(&io, &job()));

    let [GuildResult::GaveUp { reason, posted: 0 }] = &guild_results(&report)[..] else {
        panic!("{report:?}");
    };
    assert!(
        reason.starts_with("Discord did not take the post: HTTP 503"),
        "{reason}"
    );
    assert_eq!(
        io.text_args(sql::FAIL_DIGEST, 3),
        std::slice::from_ref(reason)
    );
    let waited: Duration = io.sleeps.borrow().iter().sum();
    assert!(
        waited <= RUN_BUDGET && waited > RUN_BUDGET - Duration::from_secs(30),
        "{waited:?}"
    );
    // Refreshes keep the claim younger than a minute through the whole wait.
    let refreshes: Vec<i64> = io
        .executed(sql::REFRESH_DIGEST_CLAIM)
        .iter()
        .map(|executed| executed.args[3]["value"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut last = START_MS;
    for at in refreshes.iter().chain([&io.clock_ms.get()]) {
        assert!(
            at - last <= 60_000 + 30_000,
            "{} ms between refreshes",
            at - last
        );
        last = *at;
    }
    assert!(refreshes.len() >= 9, "{refreshes:?}");
}

#[test]
fn a_long_rate_limit_is_waited_in_steps_that_keep_the_claim_fresh() {
    let io = FakeIo::new(held_week(long_launches(2)));
    io.reply(Ok(answer(
        429,
        json!({"retry_after": 150.0, "global": true}),
    )));
    block_on(run(&io, &job()));
    assert_eq!(
        *io.sleeps.borrow(),
        [
            Duration::from_secs(60),
            Duration::from_secs(60),
            Duration::from_secs(30)
        ]
    );
    assert_eq!(io.executed(sql::REFRESH_DIGEST_CLAIM).len(), 3);
}

#[test]
fn a_run_whose_claim_was_taken_over_stops_posting() {
    let mut db = held_week(long_launches(40));
    db.lose_claim_at_write = Some(2);
    let io = FakeIo::new(db);
    let report = block_on(run(&io, &job()));
    assert_eq!(
        guild_results(&report),
        [&GuildResult::ClaimLost { posted: 2 }]
    );
    assert_eq!(io.posts.borrow().len(), 3);
    assert!(io.executed(sql::FINISH_DIGEST).is_empty());
}

#[test]
fn a_database_failure_stops_that_guild_but_not_the_run() {
    let io = FakeIo::new(two_guilds(held_week(long_launches(2))));
    io.db.borrow_mut().unreachable_for = Some(sql::RECORD_DIGEST_MESSAGE);
    let report = block_on(run(&io, &without_community()));
    let results = guild_results(&report);
    assert!(
        matches!(results[0], GuildResult::Database { posted: 0, .. }),
        "{results:?}"
    );
    assert!(
        matches!(results[1], GuildResult::Database { posted: 0, .. }),
        "{results:?}"
    );
    assert_eq!(
        io.posts.borrow().len(),
        2,
        "each guild tried its first message"
    );
}

#[test]
fn a_guild_whose_turn_comes_after_the_deadline_is_not_claimed() {
    let io = FakeIo::new(two_guilds(held_week(long_launches(40))));
    let mut slow = created("1");
    slow.remaining = Some(0);
    slow.reset_after = Some(RUN_BUDGET);
    io.reply(Ok(slow));
    let report = block_on(run(&io, &without_community()));
    let results = guild_results(&report);
    let GuildResult::GaveUp { reason, posted: 1 } = results[0] else {
        panic!("{results:?}");
    };
    assert!(
        reason.starts_with("the run's time ran out after 1 of "),
        "{reason}"
    );
    assert_eq!(results[1], &GuildResult::NotReached);
    assert_eq!(io.executed(sql::CLAIM_DIGEST).len(), 1);
}

#[test]
fn a_listing_failure_claims_nothing() {
    let io = FakeIo::new(FakeDb {
        unreachable_for: Some(sql::DIGEST_GUILDS),
        ..FakeDb::default()
    });
    let report = block_on(run(&io, &job()));
    assert!(matches!(report, Report::ListingFailed { .. }), "{report:?}");
    assert!(io.executed(sql::CLAIM_DIGEST).is_empty());
}

#[test]
fn the_report_says_what_happened_and_what_to_do() {
    let refused = GuildReport {
        guild_id: 1,
        channel_id: 2,
        result: GuildResult::Refused {
            refusal: Refusal {
                status: 404,
                code: Some(10003),
                message: "Unknown Channel".to_owned(),
            },
            posted: 0,
        },
    };
    assert_eq!(
        refused.to_string(),
        "guild 1 (channel 2): Discord refused the message: Unknown Channel (HTTP 404, code 10003); \
         0 messages posted; fix the bot's access to the channel, then run again"
    );
    assert!(refused.result.is_problem());
    assert!(!GuildResult::Taken.is_problem());
}

#[test]
fn a_thousand_launches_render_within_the_limit_and_post_in_order() {
    let launches: Vec<_> = (0..1000i64)
        .map(|id| {
            let created: DateTime<chrono::Utc> = window().start() + TimeDelta::seconds(id * 600);
            vec![
                int(id + 1),
                txt(&(1_000_000_000_000_000_000u64 + (id as u64 % 37)).to_string()),
                txt("builder"),
                txt(&format!("launch {id}: @everyone <@&123> shipped a thing")),
                txt(&format!("https://example.com/{id}")),
                int(created.timestamp_millis()),
            ]
        })
        .collect();
    let io = FakeIo::new(held_week(launches));
    let report = block_on(run(&io, &job()));
    let posted = posted_contents(&io);
    assert!(matches!(
        guild_results(&report)[..],
        [GuildResult::Posted { .. }]
    ));
    assert_eq!(posted, rendered(&io, false));
    assert!(
        posted
            .iter()
            .all(|message| message.chars().count() <= MESSAGE_LIMIT)
    );
    let lines: Vec<&str> = posted
        .iter()
        .flat_map(|message| message.lines().skip(1))
        .collect();
    assert_eq!(lines.len(), 1000);
    for (id, line) in lines.iter().enumerate() {
        assert!(
            line.contains(&format!("launch {id}: @\u{200B}everyone <\u{200B}@&123>")),
            "{line}"
        );
    }
}
