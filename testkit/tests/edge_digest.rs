//! The weekly digest end to end: the built Worker in workerd (`wrangler dev`), its Cron Trigger
//! fired through wrangler's scheduled endpoint with the trigger's time set
//! (`/cdn-cgi/local/scheduled?cron=…&time=<ms>`, which miniflare passes on as the event's
//! `scheduledTime`), reading the dev-db and posting to the Discord simulator.
//!
//! Needs `edge/build` (scripts/build-edge) and `node_modules` (scripts/setup); scripts/test
//! provides both. One Worker serves every trial, and each trial owns a community and a week. That
//! alone does not keep trials apart: a firing posts for every configured guild, so the trials
//! that fire the cron take turns (see [`turn_to_fire`]).

mod edge_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, TimeDelta, Utc};
use edge_support::EdgeStack;
use libsql::Value;
use libtest_mimic::Arguments;
use serde_json::{Value as Json, json};
use shiptrack_core::digest::{self, DigestLaunch, DigestOptions, MESSAGE_LIMIT};
use shiptrack_core::replies;
use shiptrack_core::week::{self, DigestWindow, parse_instant};
use shiptrack_edge::digest::post::NewMessage;
use shiptrack_testkit::discord_sim::ids::{ALICE, BOB, CAROL, MAYA, MODERATORS_ROLE};
use shiptrack_testkit::discord_sim::{GuildSpec, InteractionKind, PostedMessage, RestFault};

/// Communities in the simulator; trial `i` posts to community `i`'s `#announcements`.
const COMMUNITIES: u32 = 10;
type TrialFn = fn(&EdgeStack);

/// The cron in wrangler.toml, URL-encoded.
const CRON: &str = "0+9+*+*+1";

fn main() {
    let args = Arguments::from_args();
    let env_community = GuildSpec::community(0);
    let stack = Arc::new(EdgeStack::start(
        COMMUNITIES,
        &[
            ("GUILD_ID", &env_community.id.to_string()),
            (
                "ANNOUNCEMENTS_CHANNEL_ID",
                &env_community.channels[1].id.to_string(),
            ),
        ],
    ));
    let trials: Vec<(&str, TrialFn)> = vec![
        (
            "a_week_is_posted_once_in_order_and_pings_nobody",
            a_week_is_posted_once_in_order_and_pings_nobody,
        ),
        (
            "two_concurrent_firings_post_one_digest",
            two_concurrent_firings_post_one_digest,
        ),
        (
            "a_stale_claim_is_taken_over_without_posting_the_unrecorded_message_twice",
            a_stale_claim_is_taken_over_without_posting_the_unrecorded_message_twice,
        ),
        (
            "rate_limits_and_server_errors_are_waited_out",
            rate_limits_and_server_errors_are_waited_out,
        ),
        (
            "an_unknown_channel_is_recorded_on_the_row_and_other_guilds_still_get_their_digest",
            an_unknown_channel_is_recorded_on_the_row_and_other_guilds_still_get_their_digest,
        ),
        (
            "a_guild_with_the_digest_off_gets_nothing_and_a_quiet_week_gets_its_line",
            a_guild_with_the_digest_off_gets_nothing_and_a_quiet_week_gets_its_line,
        ),
        (
            "a_week_of_a_thousand_launches_fits_discords_limit_and_posts_in_order",
            a_week_of_a_thousand_launches_fits_discords_limit_and_posts_in_order,
        ),
        (
            "digest_preview_shows_an_admin_the_week_so_far_privately",
            digest_preview_shows_an_admin_the_week_so_far_privately,
        ),
    ];
    edge_support::run_trials(&args, stack, trials);
}

// ----- helpers -----

/// Community `index`: its guild and its `#announcements` channel.
fn community(stack: &EdgeStack, index: usize) -> (u64, u64) {
    let guild = &stack.sim.config().guilds[index];
    let announcements = guild
        .channels
        .iter()
        .find(|channel| channel.name == "announcements")
        .unwrap();
    (guild.id, announcements.id)
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    parse_instant(rfc3339).unwrap()
}

fn now() -> DateTime<Utc> {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    DateTime::from_timestamp_millis(i64::try_from(millis).unwrap()).unwrap()
}

/// Fires the Monday cron as if Cloudflare scheduled it at `scheduled`; returns once the run ended.
async fn fire(stack: &EdgeStack, scheduled: DateTime<Utc>) -> Duration {
    let url = format!(
        "{}/cdn-cgi/local/scheduled?cron={CRON}&time={}&format=json",
        stack.worker.url(),
        scheduled.timestamp_millis()
    );
    let started = Instant::now();
    let response = reqwest::get(&url)
        .await
        .expect("wrangler answers the scheduled endpoint");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "the scheduled handler failed: {body}");
    assert_eq!(
        serde_json::from_str::<Json>(&body).unwrap()["outcome"],
        "ok",
        "{body}"
    );
    started.elapsed()
}

/// A trial's turn with the cron, held from its first write to its last check, so that the only
/// firings its channels see are its own. A firing posts to every configured guild, whichever
/// trial fired it: the vars' community gets any week it has launches in (the first trial's
/// launch at exactly Nov 30 09:00 lies in the week the Dec 7 firing covers), and a guild that
/// wants the quiet-week line gets one for every week fired.
fn turn_to_fire() -> MutexGuard<'static, ()> {
    static CRON: Mutex<()> = Mutex::new(());
    // A trial that failed during its turn has still finished firing; the next one can go.
    CRON.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Source ids unique across the binary's trials.
fn fresh_source_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(9_000_000_000_000_000_000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A launch to seed, and the renderer's view of it.
struct Seeded {
    launch: DigestLaunch,
    deleted: bool,
}

async fn seed(
    stack: &EdgeStack,
    guild: u64,
    author: u64,
    text: &str,
    url: Option<&str>,
    created_at: DateTime<Utc>,
) -> Seeded {
    seed_row(stack, guild, author, text, url, created_at, false).await
}

async fn seed_row(
    stack: &EdgeStack,
    guild: u64,
    author: u64,
    text: &str,
    url: Option<&str>,
    created_at: DateTime<Utc>,
    deleted: bool,
) -> Seeded {
    let rows = stack
        .rows(
            "INSERT INTO launches (guild_id, channel_id, author_id, author_name, text, url, source, source_id, created_at, deleted_at)
             VALUES (?1, NULL, ?2, 'someone', ?3, ?4, 'command', ?5, ?6, ?7) RETURNING id",
            libsql::params![
                guild.to_string(),
                author.to_string(),
                text,
                url,
                fresh_source_id().to_string(),
                created_at.timestamp_millis(),
                deleted.then(|| created_at.timestamp_millis() + 1),
            ],
        )
        .await;
    let Value::Integer(id) = rows[0][0] else {
        panic!("no id for the seeded launch")
    };
    Seeded {
        launch: DigestLaunch {
            id,
            author_id: author,
            text: text.to_owned(),
            url: url.map(str::to_owned),
            created_at,
        },
        deleted,
    }
}

/// `count` launches spread through `window`, long enough that a message holds a handful.
async fn seed_long_week(
    stack: &EdgeStack,
    guild: u64,
    window: &DigestWindow,
    count: i64,
) -> Vec<Seeded> {
    let mut seeded = Vec::new();
    for index in 0..count {
        let author = [ALICE, BOB, CAROL][index as usize % 3];
        let text = format!(
            "launch {index}: {}",
            "a release with a long story to tell, ".repeat(6)
        );
        let created = window.start() + TimeDelta::minutes(90 * index + 1);
        seeded.push(
            seed(
                stack,
                guild,
                author,
                &text,
                Some(&format!("https://example.com/{index}")),
                created,
            )
            .await,
        );
    }
    seeded
}

async fn settings(stack: &EdgeStack, guild: u64, channel: u64, enabled: bool, quiet: bool) {
    stack
        .rows(
            "INSERT INTO guild_settings (guild_id, announcements_channel_id, digest_enabled, quiet_week_message, updated_at)
             VALUES (?1, ?2, ?3, ?4, 0)",
            libsql::params![guild.to_string(), channel.to_string(), i64::from(enabled), i64::from(quiet)],
        )
        .await;
}

/// What the renderer makes of the seeded launches: what the Worker must post.
fn expected(seeded: &[Seeded], window: &DigestWindow, quiet_week_message: bool) -> Vec<String> {
    let live: Vec<DigestLaunch> = seeded
        .iter()
        .filter(|s| !s.deleted)
        .map(|s| s.launch.clone())
        .collect();
    digest::render(&live, window, DigestOptions { quiet_week_message })
}

/// The `digests` row: status, message ids, error.
struct DigestRow {
    status: String,
    message_ids: Vec<String>,
    error: Option<String>,
}

async fn digest_row(stack: &EdgeStack, guild: u64, window: &DigestWindow) -> Option<DigestRow> {
    let rows = stack
        .rows(
            "SELECT status, message_ids, error FROM digests WHERE guild_id = ?1 AND week_key = ?2",
            [guild.to_string(), window.key().to_string()],
        )
        .await;
    let row = rows.into_iter().next()?;
    let text = |value: &Value| match value {
        Value::Text(text) => Some(text.clone()),
        _ => None,
    };
    Some(DigestRow {
        status: text(&row[0]).unwrap(),
        message_ids: serde_json::from_str(&text(&row[1]).unwrap()).unwrap(),
        error: text(&row[2]),
    })
}

fn contents(posted: &[PostedMessage]) -> Vec<String> {
    posted
        .iter()
        .map(|message| message.content.clone())
        .collect()
}

fn ids(posted: &[PostedMessage]) -> Vec<String> {
    posted
        .iter()
        .map(|message| message.id.to_string())
        .collect()
}

/// The nonce the Worker sends with part `part` of `guild`'s digest for `window`.
fn nonce(guild: u64, window: &DigestWindow, part: usize) -> String {
    NewMessage::new("", guild, window.key(), part).nonce
}

/// Every post pings nobody and carries its part's nonce, enforced.
fn assert_sent_as_the_digest(posted: &[PostedMessage], guild: u64, window: &DigestWindow) {
    for (part, message) in posted.iter().enumerate() {
        assert_eq!(
            message.allowed_mentions,
            Some(json!({"parse": []})),
            "part {part}"
        );
        assert_eq!(
            message.nonce,
            Some(json!(nonce(guild, window, part))),
            "part {part}"
        );
        assert!(message.enforce_nonce, "part {part}");
        assert!(
            message.content.chars().count() <= MESSAGE_LIMIT,
            "part {part}"
        );
    }
}

// ----- trials -----

fn a_week_is_posted_once_in_order_and_pings_nobody(stack: &EdgeStack) {
    let _turn = turn_to_fire();
    // Community 0 is the single community of GUILD_ID and ANNOUNCEMENTS_CHANNEL_ID: no settings row.
    let (guild, channel) = community(stack, 0);
    let scheduled = at("2026-11-30T09:00:00Z");
    let window = DigestWindow::before(scheduled);
    stack.block_on(async {
        let seeded = vec![
            seed(
                stack,
                guild,
                BOB,
                &format!("the CLI, ask <@&{MODERATORS_ROLE}> for access"),
                None,
                at("2026-11-25T08:00:00Z"),
            )
            .await,
            seed(
                stack,
                guild,
                ALICE,
                "ShipTrack 1.0 for @everyone and @here",
                Some("https://shiptrack.dev"),
                at("2026-11-24T10:00:00Z"),
            )
            .await,
            seed(
                stack,
                guild,
                MAYA,
                "**dark mode** for the dashboard",
                Some("https://shiptrack.dev/changelog#dark-mode"),
                at("2026-11-27T16:30:00Z"),
            )
            .await,
            seed(
                stack,
                guild,
                ALICE,
                "shipped the API docs https://docs.shiptrack.dev",
                Some("https://docs.shiptrack.dev"),
                at("2026-11-29T21:15:00Z"),
            )
            .await,
            seed_row(
                stack,
                guild,
                CAROL,
                "a launch removed with /unship",
                None,
                at("2026-11-26T10:00:00Z"),
                true,
            )
            .await,
            seed(
                stack,
                guild,
                CAROL,
                "last week's launch",
                None,
                at("2026-11-23T08:59:59Z"),
            )
            .await,
            seed(
                stack,
                guild,
                CAROL,
                "shipped as the cron fired",
                None,
                scheduled,
            )
            .await,
        ];
        let expected = expected(&seeded, &window, false);
        assert_eq!(expected.len(), 1);
        assert!(
            expected[0].contains("4 launches from 3 builders"),
            "{}",
            expected[0]
        );

        fire(stack, scheduled).await;
        let posted = stack.sim.control().posted_messages(channel);
        assert_eq!(contents(&posted), expected);
        assert_sent_as_the_digest(&posted, guild, &window);
        let content = &posted[0].content;
        assert!(
            content.contains("@\u{200B}everyone") && content.contains("@\u{200B}here"),
            "{content}"
        );
        assert!(
            content.contains(&format!("<\u{200B}@&{MODERATORS_ROLE}>")),
            "{content}"
        );
        assert!(!content.contains("removed with /unship") && !content.contains("last week's"));
        println!("sample digest, as the simulator received it:\n{content}");
        let row = digest_row(stack, guild, &window)
            .await
            .expect("the week is claimed");
        assert_eq!(
            (row.status.as_str(), row.message_ids),
            ("posted", ids(&posted))
        );

        // Cloudflare fires again, a few minutes late: the week is done.
        fire(stack, scheduled + TimeDelta::minutes(3)).await;
        assert_eq!(stack.sim.control().posted_messages(channel).len(), 1);
    });
}

fn two_concurrent_firings_post_one_digest(stack: &EdgeStack) {
    let _turn = turn_to_fire();
    let (guild, channel) = community(stack, 1);
    let scheduled = at("2026-12-07T09:00:00Z");
    let window = DigestWindow::before(scheduled);
    stack.block_on(async {
        settings(stack, guild, channel, true, false).await;
        let seeded = seed_long_week(stack, guild, &window, 24).await;
        let expected = expected(&seeded, &window, false);
        assert!(expected.len() >= 3, "{} messages", expected.len());

        tokio::join!(fire(stack, scheduled), fire(stack, scheduled));
        let posted = stack.sim.control().posted_messages(channel);
        assert_eq!(contents(&posted), expected);
        assert_sent_as_the_digest(&posted, guild, &window);
        let row = digest_row(stack, guild, &window).await.unwrap();
        assert_eq!(
            (row.status.as_str(), row.message_ids),
            ("posted", ids(&posted))
        );
    });
}

fn a_stale_claim_is_taken_over_without_posting_the_unrecorded_message_twice(stack: &EdgeStack) {
    let _turn = turn_to_fire();
    let (guild, channel) = community(stack, 2);
    let scheduled = at("2026-12-14T09:00:00Z");
    let window = DigestWindow::before(scheduled);
    stack.block_on(async {
        settings(stack, guild, channel, true, false).await;
        let seeded = seed_long_week(stack, guild, &window, 24).await;
        let expected = expected(&seeded, &window, false);
        assert!(expected.len() >= 3, "{} messages", expected.len());

        // A run that is alive (claimed a moment ago) is left alone.
        let claim = |claimed_at: i64, message_ids: String| {
            stack.rows(
                "INSERT INTO digests (guild_id, week_key, window_start, window_end, status, claimed_by, claimed_at, message_ids)
                 VALUES (?1, ?2, ?3, ?4, 'claimed', 'a-run-that-died', ?5, ?6)
                 ON CONFLICT (guild_id, week_key) DO UPDATE SET claimed_at = excluded.claimed_at, message_ids = excluded.message_ids",
                libsql::params![
                    guild.to_string(),
                    window.key().to_string(),
                    window.start().timestamp_millis(),
                    window.end().timestamp_millis(),
                    claimed_at,
                    message_ids,
                ],
            )
        };
        claim(now().timestamp_millis(), "[]".to_owned()).await;
        fire(stack, scheduled).await;
        assert!(stack.sim.control().posted_messages(channel).is_empty(), "a live claim was taken over");

        // That run posted parts 0 and 1, then died before recording part 1, ten minutes ago.
        let client = reqwest::Client::new();
        let mut dead_run_ids = Vec::new();
        for (part, content) in expected.iter().enumerate().take(2) {
            let sent: Json = client
                .post(format!("{}/channels/{channel}/messages", stack.sim.api_base()))
                .header("authorization", format!("Bot {}", stack.sim.bot_token()))
                .json(&json!({
                    "content": content,
                    "allowed_mentions": {"parse": []},
                    "nonce": nonce(guild, &window, part),
                    "enforce_nonce": true,
                }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            dead_run_ids.push(sent["id"].as_str().unwrap().to_owned());
        }
        let ten_minutes_ago = now().timestamp_millis() - 10 * 60_000;
        claim(ten_minutes_ago, json!([dead_run_ids[0]]).to_string()).await;

        fire(stack, scheduled).await;
        let posted = stack.sim.control().posted_messages(channel);
        assert_eq!(contents(&posted), expected, "every part once, in order");
        assert_eq!(ids(&posted)[..2], dead_run_ids[..]);
        let row = digest_row(stack, guild, &window).await.unwrap();
        assert_eq!(row.status, "posted");
        assert_eq!(row.message_ids, ids(&posted), "the re-sent part 1 came back as the message the dead run posted");
    });
}

fn rate_limits_and_server_errors_are_waited_out(stack: &EdgeStack) {
    let _turn = turn_to_fire();
    let (guild, channel) = community(stack, 3);
    let scheduled = at("2026-12-21T09:00:00Z");
    let window = DigestWindow::before(scheduled);
    let route = format!("/channels/{channel}/messages");
    stack.block_on(async {
        settings(stack, guild, channel, true, false).await;
        let seeded = seed_long_week(stack, guild, &window, 10).await;
        let expected = expected(&seeded, &window, false);
        let control = stack.sim.control();
        control.rest_fault(
            RestFault::rate_limited(&route, Duration::from_millis(1500), false).times(2),
        );
        control.rest_fault(RestFault::server_error(&route, 503).times(1));

        let took = fire(stack, scheduled).await;
        let posted = control.posted_messages(channel);
        assert_eq!(contents(&posted), expected);
        assert_sent_as_the_digest(&posted, guild, &window);
        let calls: Vec<_> = control
            .rest_calls()
            .into_iter()
            .filter(|call| call.path == route)
            .collect();
        let statuses: Vec<u16> = calls.iter().map(|call| call.status).collect();
        assert_eq!(statuses[..4], [429, 429, 503, 200], "{statuses:?}");
        assert!(
            calls[..4].iter().all(|call| call.body == calls[0].body),
            "every retry sends the same message"
        );
        // Two waits of 1.5 s as Discord asked, then a backoff of at least half a second.
        assert!(took >= Duration::from_millis(3500), "took {took:?}");
        assert_eq!(
            digest_row(stack, guild, &window).await.unwrap().status,
            "posted"
        );
    });
}

fn an_unknown_channel_is_recorded_on_the_row_and_other_guilds_still_get_their_digest(
    stack: &EdgeStack,
) {
    let _turn = turn_to_fire();
    let (broken_guild, _) = community(stack, 4);
    let (guild, channel) = community(stack, 5);
    let scheduled = at("2026-12-28T09:00:00Z");
    let window = DigestWindow::before(scheduled);
    let deleted_channel = 4_242_424_242;
    stack.block_on(async {
        settings(stack, broken_guild, deleted_channel, true, false).await;
        settings(stack, guild, channel, true, false).await;
        seed(
            stack,
            broken_guild,
            ALICE,
            "lost to a deleted channel",
            None,
            window.start() + TimeDelta::hours(1),
        )
        .await;
        let seeded = vec![
            seed(
                stack,
                guild,
                BOB,
                "still announced",
                None,
                window.start() + TimeDelta::hours(2),
            )
            .await,
        ];

        fire(stack, scheduled).await;
        let broken = digest_row(stack, broken_guild, &window)
            .await
            .expect("the broken guild's week is claimed");
        assert_eq!(broken.status, "failed");
        assert_eq!(
            broken.error.as_deref(),
            Some("Discord refused the message: Unknown Channel (HTTP 404, code 10003)")
        );
        let attempts = stack
            .sim
            .control()
            .rest_calls()
            .into_iter()
            .filter(|call| call.path == format!("/channels/{deleted_channel}/messages"))
            .count();
        assert_eq!(attempts, 1, "a permanent failure is not retried");
        assert_eq!(
            contents(&stack.sim.control().posted_messages(channel)),
            expected(&seeded, &window, false)
        );
        assert_eq!(
            digest_row(stack, guild, &window).await.unwrap().status,
            "posted"
        );
    });
}

fn a_guild_with_the_digest_off_gets_nothing_and_a_quiet_week_gets_its_line(stack: &EdgeStack) {
    let _turn = turn_to_fire();
    let (off_guild, off_channel) = community(stack, 6);
    let (quiet_guild, quiet_channel) = community(stack, 7);
    let scheduled = at("2027-01-04T09:00:00Z");
    let window = DigestWindow::before(scheduled);
    stack.block_on(async {
        settings(stack, off_guild, off_channel, false, false).await;
        settings(stack, quiet_guild, quiet_channel, true, true).await;
        seed(
            stack,
            off_guild,
            ALICE,
            "shipped to a server that reads no digest",
            None,
            window.start() + TimeDelta::hours(1),
        )
        .await;

        fire(stack, scheduled).await;
        assert!(stack.sim.control().posted_messages(off_channel).is_empty());
        assert!(
            digest_row(stack, off_guild, &window).await.is_none(),
            "a guild with the digest off is never claimed"
        );
        assert_eq!(
            contents(&stack.sim.control().posted_messages(quiet_channel)),
            expected(&[], &window, true)
        );
        assert_eq!(
            digest_row(stack, quiet_guild, &window)
                .await
                .unwrap()
                .status,
            "posted"
        );
    });
}

fn a_week_of_a_thousand_launches_fits_discords_limit_and_posts_in_order(stack: &EdgeStack) {
    let _turn = turn_to_fire();
    let (guild, channel) = community(stack, 8);
    let scheduled = at("2027-01-11T09:00:00Z");
    let window = DigestWindow::before(scheduled);
    let first_source_id = 8_000_000_000_000_000_000u64;
    let authors = [ALICE, BOB, CAROL, MAYA];
    stack.block_on(async {
        settings(stack, guild, channel, true, false).await;
        // One statement seeds the week: launch i by author i % 4, every ten minutes.
        stack
            .rows(
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
                 INSERT INTO launches (guild_id, author_id, author_name, text, url, source, source_id, created_at)
                 SELECT ?1,
                        CASE i % 4 WHEN 0 THEN ?2 WHEN 1 THEN ?3 WHEN 2 THEN ?4 ELSE ?5 END,
                        'builder', 'launch ' || i || ': version ' || i || ' of the app, @everyone come see',
                        'https://example.com/launch/' || i, 'command', CAST(?6 + i AS TEXT), ?7 + i * 600000
                 FROM n",
                libsql::params![
                    guild.to_string(),
                    ALICE.to_string(),
                    BOB.to_string(),
                    CAROL.to_string(),
                    MAYA.to_string(),
                    first_source_id as i64,
                    window.start().timestamp_millis(),
                ],
            )
            .await;
        let rows = stack
            .rows("SELECT id FROM launches WHERE guild_id = ?1 ORDER BY created_at, id", [guild.to_string()])
            .await;
        assert_eq!(rows.len(), 1000);
        let launches: Vec<DigestLaunch> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| DigestLaunch {
                id: match row[0] {
                    Value::Integer(id) => id,
                    _ => panic!("an id"),
                },
                author_id: authors[i % 4],
                text: format!("launch {i}: version {i} of the app, @everyone come see"),
                url: Some(format!("https://example.com/launch/{i}")),
                created_at: window.start() + TimeDelta::minutes(10 * i as i64),
            })
            .collect();
        let render_started = Instant::now();
        let expected = digest::render(&launches, &window, DigestOptions::default());
        let render_time = render_started.elapsed();

        let took = fire(stack, scheduled).await;
        let control = stack.sim.control();
        let posted = control.posted_messages(channel);
        assert_eq!(contents(&posted), expected);
        assert_sent_as_the_digest(&posted, guild, &window);
        let listed: Vec<&str> = posted.iter().flat_map(|message| message.content.lines().skip(1)).collect();
        assert_eq!(listed.len(), 1000);
        assert!(listed.iter().enumerate().all(|(i, line)| line.contains(&format!(": launch {i}: "))));
        let route = format!("/channels/{channel}/messages");
        let limited = control.rest_calls().iter().filter(|call| call.path == route && call.status == 429).count();
        assert_eq!(limited, 0, "the Worker waits for the bucket to refill instead of provoking 429s");
        let first = posted.first().unwrap().at_ms;
        let last = posted.last().unwrap().at_ms;
        // Within a burst the bucket allows, the gap between two posts is the Worker's own work
        // per message: the post, recording its id, and the next post's request.
        let mut gaps: Vec<u64> = posted
            .windows(2)
            .map(|pair| pair[1].at_ms - pair[0].at_ms)
            .filter(|gap| *gap < 1000)
            .collect();
        gaps.sort_unstable();
        println!(
            "digest of 1,000 launches: {} messages, rendered natively (debug build) in {:.1} ms; the Worker rendered and \
             posted them in {:.1} s from firing to the end of the run (first to last post {:.1} s) under the simulator's \
             Discord limit of 5 posts per 5 s per channel; inside a burst, {} ms per message (median of {} gaps)",
            posted.len(),
            render_time.as_secs_f64() * 1000.0,
            took.as_secs_f64(),
            (last - first) as f64 / 1000.0,
            gaps[gaps.len() / 2],
            gaps.len(),
        );
        assert_eq!(digest_row(stack, guild, &window).await.unwrap().message_ids, ids(&posted));
    });
}

fn digest_preview_shows_an_admin_the_week_so_far_privately(stack: &EdgeStack) {
    // No turn to fire: community 9 has no settings row and is not the vars' community, so no
    // firing posts to it.
    let (guild, channel) = community(stack, 9);
    let window = DigestWindow::before(week::next_digest_at(now()));
    stack.block_on(async {
        let halfway = window.start() + (now() - window.start()) / 2;
        let seeded = vec![
            seed(
                stack,
                guild,
                ALICE,
                "the preview, for @everyone",
                Some("https://shiptrack.dev/preview"),
                halfway,
            )
            .await,
            seed(
                stack,
                guild,
                BOB,
                "docs",
                None,
                halfway + TimeDelta::seconds(1),
            )
            .await,
        ];
        let control = stack.sim.control();
        let reply = control
            .interaction(InteractionKind::DigestPreview)
            .by(MAYA)
            .in_channel(channel)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        let answer = reply.json.expect("a JSON answer");
        assert_eq!(answer["data"]["flags"], 64, "{answer}");
        let content = answer["data"]["content"].as_str().unwrap();
        let (_, shown) = content
            .split_once("\n\n")
            .unwrap_or_else(|| panic!("{content}"));
        assert_eq!(shown, expected(&seeded, &window, false)[0]);
        assert!(
            control.posted_messages(channel).is_empty(),
            "a preview posts nothing"
        );

        let refused = control
            .interaction(InteractionKind::DigestPreview)
            .by(ALICE)
            .in_channel(channel)
            .send()
            .await
            .unwrap();
        let refused = refused.json.expect("a JSON answer");
        assert_eq!(
            refused["data"]["content"],
            replies::manage_server_required()
        );
        assert_eq!(refused["data"]["flags"], 64);
    });
}
