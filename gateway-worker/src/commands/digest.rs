//! `gateway-worker digest --dry-run [--at TIME] [--guild ID]`: prints, message by message, the
//! digest a guild would get, from the same queries (`shiptrack_core::sql`) and the same renderer
//! (`shiptrack_core::digest`) the Worker's cron uses, and posts nothing.
//!
//! Posting belongs to the Worker alone (its claim makes a week post once), so this command has no
//! posting mode; `--dry-run` is required to say so on the command line.

use std::fmt::Write as _;
use std::num::NonZeroU64;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use shiptrack_core::digest::{self, DigestLaunch, DigestOptions};
use shiptrack_core::week::{self, DigestWindow};

use crate::db::{config::DatabaseConfig, connect::Database};
use crate::store::{digests, settings};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print what would be posted instead of posting (the Worker's cron is what posts).
    #[arg(long, required = true)]
    dry_run: bool,
    /// The digest's scheduled time, RFC 3339; the digest covers the seven days before it.
    /// Default: the most recent Monday 09:00 UTC.
    #[arg(long, value_name = "TIME", value_parser = week::parse_instant)]
    at: Option<DateTime<Utc>>,
    /// The guild (server) whose digest to show.
    #[arg(long, value_name = "ID", env = "GUILD_ID")]
    guild: NonZeroU64,
    /// The announcements channel of a guild whose settings name none.
    #[arg(long, value_name = "ID", env = "ANNOUNCEMENTS_CHANNEL_ID")]
    channel: Option<NonZeroU64>,
}

pub async fn main(args: Args) -> anyhow::Result<ExitCode> {
    let config = DatabaseConfig::from_env().map_err(super::BadConfiguration::new)?;
    let database = Database::open(&config).await?;
    let conn = database.connect()?;
    let scheduled = args.at.unwrap_or_else(|| most_recent_digest_at(now()));
    let request = Request {
        guild_id: args.guild.get(),
        default_channel_id: args.channel.map(NonZeroU64::get),
        scheduled,
    };
    let preview = preview(&conn, &request).await.with_context(|| {
        format!(
            "reading guild {}'s digest from {}",
            request.guild_id,
            database.location()
        )
    })?;
    print!("{preview}");
    Ok(ExitCode::SUCCESS)
}

/// Which digest to show.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Request {
    guild_id: u64,
    /// The environment's `ANNOUNCEMENTS_CHANNEL_ID`, used when the settings row names no channel.
    default_channel_id: Option<u64>,
    scheduled: DateTime<Utc>,
}

/// The report for `request`: what the cron would do for the guild, then every message in order.
async fn preview(conn: &libsql::Connection, request: &Request) -> anyhow::Result<String> {
    let window = DigestWindow::before(request.scheduled);
    let settings = settings::guild_settings(conn, request.guild_id).await?;
    let launches = digests::digest_launches(
        conn,
        request.guild_id,
        window.start().timestamp_millis(),
        window.end().timestamp_millis(),
    )
    .await?;
    let launches = launches
        .into_iter()
        .map(renderable)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let options = DigestOptions {
        quiet_week_message: settings.as_ref().is_some_and(|row| row.quiet_week_message),
    };
    let target = Target {
        enabled: settings.as_ref().is_none_or(|row| row.digest_enabled),
        channel_id: settings
            .as_ref()
            .and_then(|row| row.announcements_channel_id)
            .or(request.default_channel_id),
    };
    let messages = digest::render(&launches, &window, options);
    Ok(report(
        request.guild_id,
        &window,
        target,
        launches.len(),
        &messages,
    ))
}

/// A stored launch as the renderer takes it.
fn renderable(launch: digests::DigestLaunch) -> anyhow::Result<DigestLaunch> {
    let created_at = DateTime::from_timestamp_millis(launch.created_at).with_context(|| {
        format!(
            "launch {} has an impossible created_at {}",
            launch.id, launch.created_at
        )
    })?;
    Ok(DigestLaunch {
        id: launch.id,
        author_id: launch.author_id,
        text: launch.text,
        url: launch.url,
        created_at,
    })
}

/// Where the cron would post for the guild, as its settings row and the environment say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Target {
    enabled: bool,
    channel_id: Option<u64>,
}

/// The most recent Monday 09:00 UTC at or before `now`: the digest that was due last, which is
/// what the cron would post if it fired now.
fn most_recent_digest_at(now: DateTime<Utc>) -> DateTime<Utc> {
    week::next_digest_at(now) - TimeDelta::days(week::WINDOW_DAYS)
}

fn now() -> DateTime<Utc> {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
    DateTime::from_timestamp_millis(millis).unwrap_or(DateTime::UNIX_EPOCH)
}

/// A summary line, a line on what the cron would do, then each message between rules that
/// number it, so the messages can be read (or copied) exactly as they would be posted.
fn report(
    guild_id: u64,
    window: &DigestWindow,
    target: Target,
    launches: usize,
    messages: &[String],
) -> String {
    let mut out = format!(
        "Digest of guild {guild_id} for {} ({} to {}): {} in the window, {}.\n",
        window.key(),
        window.start().to_rfc3339_opts(SecondsFormat::Secs, true),
        window.end().to_rfc3339_opts(SecondsFormat::Secs, true),
        counted(launches, "launch", "launches"),
        counted(messages.len(), "message", "messages"),
    );
    out.push_str(&match (target.enabled, target.channel_id, messages.is_empty()) {
        (false, _, _) => "The digest is turned off for this guild: the cron skips it.\n".to_owned(),
        (true, None, _) => "No announcements channel is set (settings row or ANNOUNCEMENTS_CHANNEL_ID): the cron skips this guild.\n".to_owned(),
        (true, Some(_), true) => "Nothing would be posted: no launches, and the guild has no quiet-week line.\n".to_owned(),
        (true, Some(channel), false) => format!("The cron would post these to channel {channel}:\n"),
    });
    for (index, message) in messages.iter().enumerate() {
        let _ = writeln!(
            out,
            "──── message {} of {} ({} characters) ────\n{message}",
            index + 1,
            messages.len(),
            message.chars().count()
        );
    }
    out
}

fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::migrated_connection as migrated;
    use crate::store::launches::{self, NewLaunch};
    use crate::store::settings::GuildSettings;
    use shiptrack_core::sql::LaunchSource;

    const GUILD: u64 = 290_926_798_626_357_999;
    const CHANNEL: u64 = 645_027_906_669_510_667;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        week::parse_instant(rfc3339).unwrap()
    }

    async fn log(
        conn: &libsql::Connection,
        source_id: u64,
        author_id: u64,
        text: &str,
        created_at: &str,
    ) {
        launches::insert_launch(
            conn,
            &NewLaunch {
                guild_id: GUILD,
                channel_id: Some(1),
                author_id,
                author_name: "someone",
                text,
                url: Some("https://example.com/launch"),
                source: LaunchSource::Command,
                source_id,
                created_at: at(created_at).timestamp_millis(),
            },
        )
        .await
        .unwrap();
    }

    fn request(scheduled: &str) -> Request {
        Request {
            guild_id: GUILD,
            default_channel_id: Some(CHANNEL),
            scheduled: at(scheduled),
        }
    }

    #[test]
    fn the_default_time_is_the_last_monday_at_nine_utc() {
        assert_eq!(
            most_recent_digest_at(at("2026-12-02T15:00:00Z")),
            at("2026-11-30T09:00:00Z")
        );
        assert_eq!(
            most_recent_digest_at(at("2026-11-30T09:00:00Z")),
            at("2026-11-30T09:00:00Z")
        );
        assert_eq!(
            most_recent_digest_at(at("2026-11-30T08:59:59Z")),
            at("2026-11-23T09:00:00Z")
        );
    }

    #[tokio::test]
    async fn prints_exactly_the_messages_the_renderer_makes_for_the_window() {
        let (_dir, conn) = migrated().await;
        log(
            &conn,
            1,
            11,
            "ShipTrack 1.0 for @everyone",
            "2026-11-24T10:00:00Z",
        )
        .await;
        log(&conn, 2, 12, "before the window", "2026-11-23T08:59:59Z").await;
        log(&conn, 3, 12, "the CLI", "2026-11-29T23:00:00Z").await;
        let launches = digests::digest_launches(
            &conn,
            GUILD,
            at("2026-11-23T09:00:00Z").timestamp_millis(),
            at("2026-11-30T09:00:00Z").timestamp_millis(),
        )
        .await
        .unwrap();
        let expected = digest::render(
            &launches
                .into_iter()
                .map(|launch| renderable(launch).unwrap())
                .collect::<Vec<_>>(),
            &DigestWindow::before(at("2026-11-30T09:00:00Z")),
            DigestOptions::default(),
        );

        let output = preview(&conn, &request("2026-11-30T09:00:00Z"))
            .await
            .unwrap();

        assert_eq!(expected.len(), 1);
        assert_eq!(
            output,
            format!(
                "Digest of guild {GUILD} for 2026-W48 (2026-11-23T09:00:00Z to 2026-11-30T09:00:00Z): 2 launches in the window, 1 message.\n\
                 The cron would post these to channel {CHANNEL}:\n\
                 ──── message 1 of 1 ({} characters) ────\n{}\n",
                expected[0].chars().count(),
                expected[0]
            )
        );
        assert!(output.contains("• <@11> shipped: ShipTrack 1.0 for @\u{200B}everyone"));
        assert!(!output.contains("before the window"));
    }

    #[tokio::test]
    async fn a_deleted_launch_is_left_out() {
        let (_dir, conn) = migrated().await;
        log(&conn, 1, 11, "kept", "2026-11-24T10:00:00Z").await;
        log(&conn, 2, 11, "deleted", "2026-11-25T10:00:00Z").await;
        launches::soft_delete_by_source_id(&conn, 2, at("2026-11-26T00:00:00Z").timestamp_millis())
            .await
            .unwrap();
        let output = preview(&conn, &request("2026-11-30T09:00:00Z"))
            .await
            .unwrap();
        assert!(output.contains("1 launch in the window"), "{output}");
        assert!(!output.contains("deleted"), "{output}");
    }

    #[tokio::test]
    async fn the_settings_row_names_the_channel_and_the_quiet_week_line() {
        let (_dir, conn) = migrated().await;
        let row = GuildSettings {
            announcements_channel_id: Some(77),
            ship_words: None,
            digest_enabled: true,
            quiet_week_message: true,
        };
        settings::save_guild_settings(&conn, GUILD, &row, 0)
            .await
            .unwrap();
        let output = preview(&conn, &request("2026-11-30T09:00:00Z"))
            .await
            .unwrap();
        assert!(
            output.contains("0 launches in the window, 1 message."),
            "{output}"
        );
        assert!(
            output.contains("The cron would post these to channel 77:"),
            "{output}"
        );
        assert!(
            output.contains("nothing this time (Nov 23 – Nov 30)"),
            "{output}"
        );
    }

    #[tokio::test]
    async fn a_quiet_week_without_a_quiet_line_posts_nothing() {
        let (_dir, conn) = migrated().await;
        let output = preview(&conn, &request("2026-11-30T09:00:00Z"))
            .await
            .unwrap();
        assert_eq!(
            output.lines().nth(1),
            Some("Nothing would be posted: no launches, and the guild has no quiet-week line.")
        );
        assert!(!output.contains("────"), "{output}");
    }

    #[tokio::test]
    async fn a_guild_with_the_digest_off_is_shown_as_skipped() {
        let (_dir, conn) = migrated().await;
        log(&conn, 1, 11, "a thing", "2026-11-24T10:00:00Z").await;
        let row = GuildSettings {
            announcements_channel_id: Some(77),
            ship_words: None,
            digest_enabled: false,
            quiet_week_message: false,
        };
        settings::save_guild_settings(&conn, GUILD, &row, 0)
            .await
            .unwrap();
        let output = preview(&conn, &request("2026-11-30T09:00:00Z"))
            .await
            .unwrap();
        assert_eq!(
            output.lines().nth(1),
            Some("The digest is turned off for this guild: the cron skips it.")
        );
    }

    #[tokio::test]
    async fn a_guild_without_a_channel_is_shown_as_skipped() {
        let (_dir, conn) = migrated().await;
        log(&conn, 1, 11, "a thing", "2026-11-24T10:00:00Z").await;
        let request = Request {
            default_channel_id: None,
            ..request("2026-11-30T09:00:00Z")
        };
        let output = preview(&conn, &request).await.unwrap();
        assert!(
            output
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("No announcements channel is set"),
            "{output}"
        );
    }

    #[tokio::test]
    async fn a_long_week_prints_every_message_numbered() {
        let (_dir, conn) = migrated().await;
        for id in 0..200u64 {
            let time =
                (at("2026-11-23T09:00:00Z") + TimeDelta::minutes(id as i64 * 30)).to_rfc3339();
            log(
                &conn,
                100 + id,
                id % 7,
                &format!("launch {id} {}", "words ".repeat(20)),
                &time,
            )
            .await;
        }
        let output = preview(&conn, &request("2026-11-30T09:00:00Z"))
            .await
            .unwrap();
        let rules: Vec<&str> = output
            .lines()
            .filter(|line| line.starts_with("──── message"))
            .collect();
        assert!(rules.len() > 1, "{output}");
        assert!(rules[0].starts_with(&format!("──── message 1 of {} (", rules.len())));
        assert_eq!(output.matches("• <@").count(), 200);
    }
}
