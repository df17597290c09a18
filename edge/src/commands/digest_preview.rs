//! `/digest preview`: shows a server's admins, privately, the digest the coming Monday's cron
//! would post for the week so far: the same settings row, query and renderer as the cron.
//!
//! Only members with Manage Server may: the command is registered with that
//! `default_member_permissions`, and since a server can override it, the member's own
//! permissions are checked again here.

use chrono::{DateTime, Datelike, Timelike, Utc};
use shiptrack_core::{
    digest::{self, DigestOptions},
    interaction::CommandInvocation,
    replies,
    response::MESSAGE_CONTENT_MAX,
    sql,
    week::{self, DigestWindow},
};

use super::{Answer, Finish as CommandFinish, Plan, ephemeral, private, result};
use crate::digest::{launches, targets};
use crate::hrana::{DbError, StmtResult, statement, text};

#[derive(Debug)]
pub struct Finish {
    window: DigestWindow,
}

/// One pipeline: the guild's settings row, then its launches so far this week.
pub fn plan(invocation: &CommandInvocation, now: DateTime<Utc>) -> Plan {
    let Some(guild_id) = invocation.guild_id else {
        return ephemeral(&replies::works_in_servers());
    };
    if !invocation.invoker.can_manage_guild() {
        return ephemeral(&replies::manage_server_required());
    }
    let guild_id = guild_id.get();
    let window = DigestWindow::before(week::next_digest_at(now));
    Plan::query(
        vec![
            statement(sql::GUILD_SETTINGS, [text(guild_id.to_string())]),
            launches::statement_for(guild_id, &window),
        ],
        CommandFinish::DigestPreview(Finish { window }),
        Some(&invocation.token),
    )
}

impl Finish {
    pub fn answer(self, results: &[StmtResult]) -> Result<Answer, DbError> {
        let settings = targets::read_settings(result(results, 0)?)?;
        let launches = launches::read(result(results, 1)?)?;
        let options = DigestOptions {
            quiet_week_message: settings.is_some_and(|row| row.quiet_week_message),
        };
        let messages = digest::render(&launches, &self.window, options);
        let enabled = settings.is_none_or(|row| row.digest_enabled);
        Ok(private(preview(&self.window, enabled, &messages)))
    }
}

/// When the digest posts, as `%A %b %-d, %H:%M UTC` would write it ("Monday Dec 1, 09:00
/// UTC"), spelled out by hand: chrono's format strings would bring their parser and
/// formatter into the Worker for this one line.
fn posting_time(at: DateTime<Utc>) -> String {
    const WEEKDAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {}, {:02}:{:02} UTC",
        WEEKDAYS[at.weekday().num_days_from_monday() as usize],
        MONTHS[at.month0() as usize],
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// Room kept at the end of a cut preview for the line that says how much is left out.
const CUT_NOTE_RESERVE: usize = 100;

/// The reply: a line on when and whether the digest posts, then the digest's messages as they
/// would be posted, line by line for as long as they fit in one message; a longer digest ends
/// with how many launches are left out.
fn preview(window: &DigestWindow, enabled: bool, messages: &[String]) -> String {
    let when = posting_time(window.end());
    let mut reply = match (enabled, messages.len()) {
        (false, _) => format!(
            "👀 The digest is turned off for this server, so nothing will be posted on {when}."
        ),
        (true, 0) => {
            format!("👀 Nothing shipped yet this week, so the digest on {when} would post nothing.")
        }
        (true, 1) => {
            format!("👀 Only you can see this: the digest as it would be posted on {when}, so far.")
        }
        (true, count) => format!(
            "👀 Only you can see this: the digest as it would be posted on {when}, so far, in {count} messages."
        ),
    };
    if !enabled {
        return reply;
    }
    let lines: Vec<&str> = messages
        .iter()
        .flat_map(|message| message.lines())
        .collect();
    let mut used = reply.chars().count() + 1;
    for (index, line) in lines.iter().enumerate() {
        let chars = 1 + line.chars().count();
        let room = if index + 1 == lines.len() {
            MESSAGE_CONTENT_MAX
        } else {
            MESSAGE_CONTENT_MAX - CUT_NOTE_RESERVE
        };
        if used + chars > room {
            let left_out = lines[index..]
                .iter()
                .filter(|line| line.starts_with("• "))
                .count();
            let noun = if left_out == 1 { "launch" } else { "launches" };
            reply.push_str(&format!("\n\n… and {left_out} more {noun}."));
            return reply;
        }
        reply.push_str(if index == 0 { "\n\n" } else { "\n" });
        reply.push_str(line);
        used += chars;
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::super::Interim;
    use super::super::test_support::*;
    use super::*;
    use chrono::TimeDelta;
    use serde_json::json;
    use shiptrack_core::response::Visibility;

    fn digest_preview() -> serde_json::Value {
        slash(
            "digest",
            json!([{"type": 1, "name": "preview", "options": []}]),
        )
    }

    fn as_admin() -> serde_json::Value {
        with_permissions(digest_preview(), MANAGE_GUILD)
    }

    /// The window `now()` falls in: the week the coming Monday's digest covers.
    fn this_week() -> DigestWindow {
        DigestWindow::before(week::next_digest_at(now()))
    }

    fn launch_row(
        id: i64,
        author: &str,
        text: &str,
        hours_in: i64,
    ) -> Vec<crate::hrana::ColumnValue> {
        let created = this_week().start() + TimeDelta::hours(hours_in);
        vec![
            int(id),
            txt(author),
            txt("someone"),
            txt(text),
            null(),
            int(created.timestamp_millis()),
        ]
    }

    fn answer(results: Vec<StmtResult>) -> (String, Visibility) {
        message_of(expect_query(plan_command(as_admin())).answer(Ok(results)))
    }

    #[test]
    fn a_member_without_manage_server_is_refused_even_if_the_server_let_them_run_it() {
        let reply = expect_reply(plan_command(digest_preview()));
        assert_eq!(reply["data"]["content"], replies::manage_server_required());
        assert_eq!(reply["data"]["flags"], 64);
    }

    #[test]
    fn in_a_dm_it_explains_it_works_in_servers() {
        let reply = expect_reply(plan_command(in_dm(as_admin())));
        assert_eq!(reply["data"]["content"], replies::works_in_servers());
    }

    #[test]
    fn an_admin_previews_the_guilds_week_so_far_privately() {
        let query = expect_query(plan_command(as_admin()));
        assert_eq!(query.interim(), Interim::Deferred(Visibility::Ephemeral));
        assert_eq!(statement_json(&query, 0)["sql"], sql::GUILD_SETTINGS);
        assert_eq!(
            statement_json(&query, 0)["args"],
            json!([{"type": "text", "value": GUILD}])
        );
        assert_eq!(
            statement_json(&query, 1),
            serde_json::to_value(launches::statement_for(
                GUILD.parse().unwrap(),
                &this_week()
            ))
            .unwrap()
        );
        assert!(this_week().contains(now()));
    }

    #[test]
    fn the_preview_shows_the_messages_the_cron_would_post() {
        let rows_ = vec![
            launch_row(1, "11", "ShipTrack 1.0 for @everyone", 1),
            launch_row(2, "12", "the CLI", 2),
        ];
        let expected = digest::render(
            &launches::read(&rows(rows_.clone())).unwrap(),
            &this_week(),
            DigestOptions::default(),
        );
        let (content, visibility) = answer(vec![rows(vec![]), rows(rows_)]);
        assert_eq!(visibility, Visibility::Ephemeral);
        let (opening, digest) = content.split_once("\n\n").unwrap();
        assert!(
            opening.starts_with(
                "👀 Only you can see this: the digest as it would be posted on Monday"
            ),
            "{opening}"
        );
        assert_eq!(digest, expected[0]);
        assert!(digest.contains("@\u{200B}everyone"));
    }

    #[test]
    fn a_quiet_week_says_nothing_would_be_posted_unless_the_guild_wants_a_quiet_line() {
        let (silent, _) = answer(vec![rows(vec![]), rows(vec![])]);
        assert!(
            silent.starts_with("👀 Nothing shipped yet this week"),
            "{silent}"
        );
        let quiet_row = vec![txt("77"), null(), int(1), int(1)];
        let (quiet, _) = answer(vec![rows(vec![quiet_row]), rows(vec![])]);
        assert!(quiet.contains("nothing this time"), "{quiet}");
    }

    #[test]
    fn a_guild_with_the_digest_off_is_told_so() {
        let off = vec![txt("77"), null(), int(0), int(0)];
        let (content, _) = answer(vec![
            rows(vec![off]),
            rows(vec![launch_row(1, "11", "a thing", 1)]),
        ]);
        assert!(
            content.starts_with("👀 The digest is turned off for this server"),
            "{content}"
        );
        assert!(!content.contains("a thing"));
    }

    #[test]
    fn a_long_week_is_cut_between_lines_and_says_how_many_launches_are_left_out() {
        let rows_: Vec<_> = (0..60)
            .map(|id| {
                launch_row(
                    id,
                    "11",
                    &format!("launch {id} {}", "story ".repeat(30)),
                    id,
                )
            })
            .collect();
        let messages = digest::render(
            &launches::read(&rows(rows_.clone())).unwrap(),
            &this_week(),
            DigestOptions::default(),
        );
        let (content, _) = answer(vec![rows(vec![]), rows(rows_)]);
        assert!(content.chars().count() <= MESSAGE_CONTENT_MAX);
        assert!(
            content
                .lines()
                .next()
                .unwrap()
                .ends_with(&format!("so far, in {} messages.", messages.len())),
            "{content}"
        );
        let shown = content
            .lines()
            .filter(|line| line.starts_with("• "))
            .count();
        assert!(shown > 0 && shown < 60, "{shown} shown");
        assert!(
            content.ends_with(&format!("\n\n… and {} more launches.", 60 - shown)),
            "{content}"
        );
        let digest_part = content.split_once("\n\n").unwrap().1;
        assert!(
            messages[0].starts_with(digest_part.rsplit_once("\n\n").unwrap().0),
            "the shown lines are the digest's first"
        );
    }

    #[test]
    fn a_database_failure_gets_the_database_error_reply() {
        let query = expect_query(plan_command(as_admin()));
        assert_eq!(query.answer(Err(unreachable())), database_error_answer());
    }

    #[test]
    fn the_posting_time_reads_as_chronos_format_would_write_it() {
        let start = DateTime::from_timestamp(1_764_579_600, 0).unwrap();
        for days in 0..400 {
            let at = start + TimeDelta::days(days) + TimeDelta::minutes(days * 37);
            assert_eq!(
                posting_time(at),
                at.format("%A %b %-d, %H:%M UTC").to_string()
            );
        }
    }
}
