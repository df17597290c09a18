//! The words of every reply ShipTrack sends, as pure functions of the data the database
//! layer fills in.
//!
//! User text (names, launch texts, links) goes through [`crate::markdown`] so it can neither
//! mention anyone nor break the reply's formatting. Member mentions are written `<@id>`: the
//! responses carry `allowed_mentions: {"parse": []}`, so they render as names and ping nobody.
//! Every reply fits in one Discord message.

use std::cmp::Reverse;

use chrono::{DateTime, Datelike, Utc};
use twilight_model::id::{Id, marker::UserMarker};

use crate::{
    interaction::CommandError,
    launch::ShipWords,
    lowercase::lowercase,
    markdown::{neutralise_within, safe_link},
    period::Period,
    response::{AutocompleteChoice, MESSAGE_CONTENT_MAX},
};

/// How many of a member's newest launches `/profile` lists; the query fetches this many.
pub const PROFILE_RECENT_LAUNCHES: usize = 5;
/// How many members `/leaderboard` lists; the query fetches this many, in [`rank`] order.
pub const LEADERBOARD_SIZE: usize = 10;

/// A name as it may appear in a reply; Discord's own names are at most 32 characters.
const NAME_MAX: usize = 64;
/// A launch text quoted in a list line or confirmation.
const QUOTED_TEXT_MAX: usize = 120;

/// One launch as `/profile` lists it and `/unship` offers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentLaunch {
    /// The row id, which `/unship` autocomplete sends back as the option value.
    pub id: i64,
    pub text: String,
    pub url: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A member's launches in one server, for `/profile`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileStats {
    pub user_id: Id<UserMarker>,
    pub count: u64,
    /// `None` when the member has no launches.
    pub first_at: Option<DateTime<Utc>>,
    pub latest_at: Option<DateTime<Utc>>,
    /// Newest first, at most [`PROFILE_RECENT_LAUNCHES`].
    pub recent: Vec<RecentLaunch>,
}

/// One member's standing in a `/leaderboard` period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderboardRow {
    pub user_id: Id<UserMarker>,
    pub count: u64,
    /// Their newest launch in the period: the tie-breaker.
    pub latest_at: DateTime<Utc>,
}

/// What `/unship` found when asked to remove a launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnshipOutcome {
    /// Soft-deleted; carries the launch's text for the confirmation.
    Removed { text: String },
    /// Someone else's launch, and the member lacks Manage Server.
    NotYours,
    /// No live launch with that id in this server (never existed, or already removed).
    NotFound,
}

/// The public answer to a logged `/ship`.
pub fn ship_logged(name: &str) -> String {
    format!(
        "🚀 Logged your ship, {}!",
        neutralise_within(name, NAME_MAX)
    )
}

/// The public answer to "Log as launch": the message's author is the shipper.
pub fn message_logged(author_name: &str) -> String {
    format!(
        "🚀 Logged {}'s message as a launch!",
        neutralise_within(author_name, NAME_MAX)
    )
}

/// A launch command used in a DM: launches belong to a server.
pub fn works_in_servers() -> String {
    "ShipTrack logs launches per server — run /ship in a server channel.".to_owned()
}

/// The launch (same interaction or same message) is in the log already.
pub fn already_logged() -> String {
    "✅ That launch is already logged — nothing more to do.".to_owned()
}

/// The database failed or did not answer: nothing was saved.
pub fn database_error() -> String {
    "⚠️ I couldn't reach the launch log, so nothing was saved — try again in a moment.".to_owned()
}

/// "Log as launch" on a message that is not launch-shaped.
pub fn not_a_launch(words: &ShipWords) -> String {
    format!(
        "That message doesn't look like a launch: it needs a link and one of these words: {words}."
    )
}

/// "Log as launch" on a bot's message.
pub fn bot_message() -> String {
    "Messages from bots aren't logged as launches.".to_owned()
}

/// `/digest preview` by a member without Manage Server (a server can override the default
/// permission, so the edge checks again).
pub fn manage_server_required() -> String {
    "Only members with the Manage Server permission can do that.".to_owned()
}

/// A component, modal or other interaction ShipTrack never asked for.
pub fn unsupported_interaction() -> String {
    "ShipTrack doesn't handle that kind of interaction.".to_owned()
}

/// The ephemeral explanation of a command that could not be parsed.
pub fn command_error(error: &CommandError) -> String {
    match error {
        CommandError::TooLong { option, chars, max } => format!(
            "Your `{option}` is {chars} characters long; the limit is {max}. Shorten it and try again."
        ),
        CommandError::EmptyOption { option } => {
            format!("`{option}` can't be empty — tell us what you shipped!")
        }
        CommandError::MissingOption { option } => {
            format!("The `{option}` option is required — fill it in and try again.")
        }
        CommandError::BadUrl { .. } => {
            "`url` must be a single link starting with http:// or https://, like https://example.com."
                .to_owned()
        }
        CommandError::UnknownPeriod { .. } => {
            "Pick a period from the list: last 7 days, last 30 days, last 90 days or all time."
                .to_owned()
        }
        CommandError::UnknownCommand { .. }
        | CommandError::UnknownOption { .. }
        | CommandError::WrongOptionType { .. }
        | CommandError::NotAutocompletable { .. } => {
            "This command is out of date. Try again in a minute; if it keeps happening, ask an admin to re-register ShipTrack's commands."
                .to_owned()
        }
        CommandError::MissingUser
        | CommandError::MissingChannel
        | CommandError::MissingData
        | CommandError::MissingResolvedUser { .. }
        | CommandError::MissingTargetMessage
        | CommandError::NoFocusedOption => {
            "Discord sent an incomplete request, so nothing was done — please try again.".to_owned()
        }
    }
}

/// The `/profile` reply: count, first and latest launch, and the newest few with links.
pub fn profile(stats: &ProfileStats) -> String {
    let who = mention(stats.user_id);
    let dates = stats
        .first_at
        .zip(stats.latest_at)
        .filter(|_| stats.count > 0);
    let Some((first, latest)) = dates else {
        return format!("{who} hasn't logged a launch yet — `/ship` logs the first one.");
    };
    let header = format!(
        "{who} has logged **{}**, the first on {} and the latest {}.",
        launches(stats.count),
        date(first),
        relative(latest),
    );
    let lines = stats
        .recent
        .iter()
        .take(PROFILE_RECENT_LAUNCHES)
        .map(|launch| {
            let text = neutralise_within(&launch.text, QUOTED_TEXT_MAX);
            match launch.url.as_deref().and_then(safe_link) {
                Some(link) => format!("• {} — {text} — {link}", short_date(launch.created_at)),
                None => format!("• {} — {text}", short_date(launch.created_at)),
            }
        });
    join_within(
        [header, "**Latest launches**".to_owned()]
            .into_iter()
            .chain(lines),
    )
}

/// `rows` in leaderboard order: more launches first; on equal counts, whoever's latest
/// launch came earlier (they reached the count first); then the lower user id, so the order
/// never depends on how the database returned the rows. The query orders the same way
/// (`count DESC, latest_at ASC, author_id ASC`) so its `LIMIT` keeps the right members.
pub fn rank(rows: &mut [LeaderboardRow]) {
    rows.sort_by_key(|row| (Reverse(row.count), row.latest_at, row.user_id.get()));
}

/// The `/leaderboard` reply: rank, mention and count for the top [`LEADERBOARD_SIZE`].
pub fn leaderboard(period: Period, rows: &[LeaderboardRow]) -> String {
    let header = format!("🏆 **Top shippers — {}**", period.label());
    let mut ranked = rows.to_vec();
    rank(&mut ranked);
    if ranked.is_empty() {
        return format!("{header}\nNo launches yet — be the first with `/ship`!");
    }
    let lines = ranked
        .iter()
        .take(LEADERBOARD_SIZE)
        .enumerate()
        .map(|(index, row)| {
            format!(
                "**{}.** {} — {}",
                index + 1,
                mention(row.user_id),
                launches(row.count)
            )
        });
    join_within(std::iter::once(header).chain(lines))
}

/// The `/unship` reply.
pub fn unship(outcome: &UnshipOutcome) -> String {
    match outcome {
        UnshipOutcome::Removed { text } => format!(
            "🗑️ Removed the launch “{}”. It won't appear in the digest or the leaderboard.",
            neutralise_within(text, QUOTED_TEXT_MAX)
        ),
        UnshipOutcome::NotYours => {
            "That launch isn't yours to remove — only its author or someone with Manage Server can."
                .to_owned()
        }
        UnshipOutcome::NotFound => {
            "I couldn't find that launch; it may already be removed. Pick one from the list as you type."
                .to_owned()
        }
    }
}

/// `/unship` suggestions: the launches whose text holds what the member typed (any case),
/// newest first as given, each shown as "2025-06-02 · text" with its id as the value.
pub fn unship_choices(launches: &[RecentLaunch], typed: &str) -> Vec<AutocompleteChoice> {
    let typed = lowercase(typed.trim());
    launches
        .iter()
        .filter(|launch| lowercase(&launch.text).contains(&typed))
        .filter_map(|launch| {
            // Suggestions are plain text, so no markdown escaping; only the line is tidied.
            let text = launch.text.split_whitespace().collect::<Vec<_>>().join(" ");
            // The date by hand, not `format("%Y-%m-%d")`: chrono's format strings would
            // bring their parser and formatter into the Worker for this one prefix.
            let date = launch.created_at;
            let name = format!(
                "{:04}-{:02}-{:02} · {text}",
                date.year(),
                date.month(),
                date.day()
            );
            // Refused only for an empty name or an over-long value: the date prefix and a
            // numeric id rule both out.
            AutocompleteChoice::new(&name, launch.id.to_string()).ok()
        })
        .collect()
}

fn mention(user_id: Id<UserMarker>) -> String {
    format!("<@{user_id}>")
}

fn launches(count: u64) -> String {
    match count {
        1 => "1 launch".to_owned(),
        n => format!("{n} launches"),
    }
}

/// Discord timestamp markup: each reader sees the date in their own time zone and language.
fn date(at: DateTime<Utc>) -> String {
    format!("<t:{}:D>", at.timestamp())
}

fn short_date(at: DateTime<Utc>) -> String {
    format!("<t:{}:d>", at.timestamp())
}

fn relative(at: DateTime<Utc>) -> String {
    format!("<t:{}:R>", at.timestamp())
}

/// Joins whole lines while they fit in one message, so a long list loses its last lines
/// rather than being cut mid-line.
fn join_within(lines: impl Iterator<Item = String>) -> String {
    let mut reply = String::new();
    let mut chars = 0;
    for line in lines {
        let added = line.chars().count() + usize::from(!reply.is_empty());
        if chars + added > MESSAGE_CONTENT_MAX {
            break;
        }
        if !reply.is_empty() {
            reply.push('\n');
        }
        reply.push_str(&line);
        chars += added;
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::option;
    use proptest::prelude::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn launch(id: i64, text: &str, url: Option<&str>, seconds: i64) -> RecentLaunch {
        RecentLaunch {
            id,
            text: text.to_owned(),
            url: url.map(str::to_owned),
            created_at: at(seconds),
        }
    }

    fn row(user: u64, count: u64, latest: i64) -> LeaderboardRow {
        LeaderboardRow {
            user_id: Id::new(user),
            count,
            latest_at: at(latest),
        }
    }

    #[test]
    fn ship_logged_names_the_shipper() {
        assert_eq!(ship_logged("Mason"), "🚀 Logged your ship, Mason!");
    }

    #[test]
    fn a_hostile_name_cannot_mention_or_format() {
        let reply = ship_logged("@everyone <@&123> **boss**");
        assert!(!reply.contains("@everyone"));
        assert!(!reply.contains("<@&"));
        assert!(!reply.contains("**boss**"));
        let reply = message_logged("@here");
        assert!(!reply.contains("@here"));
    }

    #[test]
    fn the_dm_reply_points_to_a_server() {
        assert_eq!(
            works_in_servers(),
            "ShipTrack logs launches per server — run /ship in a server channel."
        );
    }

    #[test]
    fn the_database_error_reply_says_nothing_was_saved() {
        let reply = database_error();
        assert!(reply.contains("nothing was saved"));
        assert!(reply.contains("try again in a moment"));
    }

    #[test]
    fn not_a_launch_lists_the_configured_words() {
        let words: ShipWords = "deployed,live".parse().unwrap();
        assert!(not_a_launch(&words).ends_with("one of these words: deployed, live."));
    }

    #[test]
    fn a_profile_lists_count_dates_and_latest_launches_with_links() {
        let stats = ProfileStats {
            user_id: Id::new(42),
            count: 3,
            first_at: Some(at(1_700_000_000)),
            latest_at: Some(at(1_717_286_400)),
            recent: vec![
                launch(
                    9,
                    "Dashboard v2",
                    Some("https://example.com/dash"),
                    1_717_286_400,
                ),
                launch(8, "CLI *beta*", None, 1_710_000_000),
            ],
        };
        assert_eq!(
            profile(&stats),
            "<@42> has logged **3 launches**, the first on <t:1700000000:D> and the latest <t:1717286400:R>.\n\
             **Latest launches**\n\
             • <t:1717286400:d> — Dashboard v2 — <https://example.com/dash>\n\
             • <t:1710000000:d> — CLI \\*beta\\*"
        );
    }

    #[test]
    fn a_profile_without_launches_says_so() {
        let stats = ProfileStats {
            user_id: Id::new(42),
            count: 0,
            first_at: None,
            latest_at: None,
            recent: vec![],
        };
        assert_eq!(
            profile(&stats),
            "<@42> hasn't logged a launch yet — `/ship` logs the first one."
        );
    }

    #[test]
    fn a_single_launch_is_not_plural() {
        let stats = ProfileStats {
            user_id: Id::new(1),
            count: 1,
            first_at: Some(at(0)),
            latest_at: Some(at(0)),
            recent: vec![launch(1, "x", None, 0)],
        };
        assert!(profile(&stats).contains("**1 launch**,"));
    }

    #[test]
    fn a_profile_of_huge_launches_still_fits_one_message() {
        let long_url = format!("https://example.com/{}", "a".repeat(480));
        let recent = (0..PROFILE_RECENT_LAUNCHES as i64)
            .map(|n| launch(n, &"🚀".repeat(1000), Some(&long_url), n))
            .collect();
        let stats = ProfileStats {
            user_id: Id::new(1),
            count: 99,
            first_at: Some(at(0)),
            latest_at: Some(at(5)),
            recent,
        };
        let reply = profile(&stats);
        assert!(reply.chars().count() <= MESSAGE_CONTENT_MAX);
        assert!(reply.ends_with('>'), "a list line is never cut: {reply}");
    }

    #[test]
    fn the_leaderboard_ranks_by_count_then_earliest_latest_launch_then_user_id() {
        let rows = [
            row(7, 2, 500),
            row(5, 4, 900),
            row(3, 2, 100),
            row(9, 2, 100),
        ];
        assert_eq!(
            leaderboard(Period::Week, &rows),
            "🏆 **Top shippers — last 7 days**\n\
             **1.** <@5> — 4 launches\n\
             **2.** <@3> — 2 launches\n\
             **3.** <@9> — 2 launches\n\
             **4.** <@7> — 2 launches"
        );
    }

    #[test]
    fn the_leaderboard_shows_at_most_ten_members() {
        let rows: Vec<_> = (1..=30).map(|user| row(user, user, 0)).collect();
        let reply = leaderboard(Period::All, &rows);
        assert_eq!(reply.lines().count(), 1 + LEADERBOARD_SIZE);
        assert!(reply.contains("**1.** <@30> — 30 launches"));
        assert!(reply.ends_with("**10.** <@21> — 21 launches"));
    }

    #[test]
    fn an_empty_leaderboard_invites_the_first_launch() {
        assert_eq!(
            leaderboard(Period::All, &[]),
            "🏆 **Top shippers — all time**\nNo launches yet — be the first with `/ship`!"
        );
    }

    #[test]
    fn unship_replies_cover_removed_not_yours_and_not_found() {
        let removed = unship(&UnshipOutcome::Removed {
            text: "my @everyone app".into(),
        });
        assert!(
            removed.starts_with("🗑️ Removed the launch “my @"),
            "{removed}"
        );
        assert!(removed.ends_with("It won't appear in the digest or the leaderboard."));
        assert!(!removed.contains("@everyone"));
        assert!(unship(&UnshipOutcome::NotYours).contains("Manage Server"));
        assert!(unship(&UnshipOutcome::NotFound).contains("couldn't find"));
    }

    #[test]
    fn unship_choices_match_typed_text_in_any_case() {
        let launches = [
            launch(17, "Dashboard\nv2", None, 1_717_286_400),
            launch(18, "CLI beta", None, 1_710_000_000),
        ];
        let choices = unship_choices(&launches, " DASH");
        assert_eq!(
            choices,
            vec![AutocompleteChoice::new("2024-06-02 · Dashboard v2", "17").unwrap()]
        );
        assert_eq!(unship_choices(&launches, "").len(), 2);
    }

    #[test]
    fn command_errors_read_as_what_to_do_next() {
        let too_long = CommandError::TooLong {
            option: option::TEXT,
            chars: 1200,
            max: 1000,
        };
        assert_eq!(
            command_error(&too_long),
            "Your `text` is 1200 characters long; the limit is 1000. Shorten it and try again."
        );
        assert!(command_error(&CommandError::BadUrl { value: "x".into() }).contains("https://"));
        assert!(
            command_error(&CommandError::UnknownPeriod { value: "x".into() })
                .contains("last 7 days")
        );
        assert!(
            command_error(&CommandError::UnknownCommand { name: "x".into() })
                .contains("re-register")
        );
        assert!(command_error(&CommandError::MissingUser).contains("try again"));
    }

    proptest! {
        #[test]
        fn the_leaderboard_order_does_not_depend_on_input_order(
            rows in prop::collection::vec((1u64..50, 0u64..5, 0i64..5), 0..30),
            seed in any::<u64>(),
        ) {
            let mut rows: Vec<_> = rows
                .into_iter()
                .map(|(user, count, latest)| row(user, count, latest))
                .collect();
            rows.sort_by_key(|row| row.user_id);
            rows.dedup_by_key(|row| row.user_id);
            let mut shuffled = rows.clone();
            let len = shuffled.len().max(1);
            shuffled.rotate_left(usize::try_from(seed % len as u64).unwrap());
            shuffled.reverse();
            prop_assert_eq!(leaderboard(Period::Month, &rows), leaderboard(Period::Month, &shuffled));
        }

        #[test]
        fn a_profile_always_fits_one_message(
            texts in prop::collection::vec("\\PC{0,1500}", 0..=PROFILE_RECENT_LAUNCHES),
        ) {
            let recent = texts
                .iter()
                .enumerate()
                .map(|(n, text)| launch(n as i64, text, Some("https://example.com/x"), 0))
                .collect();
            let stats = ProfileStats {
                user_id: Id::new(1),
                count: texts.len() as u64 + 1,
                first_at: Some(at(0)),
                latest_at: Some(at(1)),
                recent,
            };
            prop_assert!(profile(&stats).chars().count() <= MESSAGE_CONTENT_MAX);
        }
    }
}
