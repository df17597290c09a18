//! The weekly digest: the "this week we shipped" messages for a guild's week of launches.
//!
//! Rendering is a pure function of the week's launches, so the cron, the dry-run CLI and the
//! `/digest preview` command show exactly the same messages. Every message fits Discord's
//! 2000-character limit however many launches there are, and no user text in it can mention
//! anyone or break out of its line.

mod header;
mod line;
mod split;

use chrono::{DateTime, Utc};

use crate::week::DigestWindow;

/// Discord's limit on a message's content, in characters (Unicode scalar values).
pub const MESSAGE_LIMIT: usize = 2000;

// The longest header or continuation marker and the longest launch line share a message
// whatever the inputs, so splitting on launch boundaries can always stay under the limit.
const _: () = assert!(header::MAX_CHARS + 1 + line::MAX_CHARS <= MESSAGE_LIMIT);

/// One launch as the digest needs it: a live (not deleted) row of `launches`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestLaunch {
    /// The row id; breaks ties between launches logged at the same instant.
    pub id: i64,
    /// The builder's Discord user id, written as a `<@id>` mention.
    pub author_id: u64,
    /// What they shipped, as they wrote it.
    pub text: String,
    /// The launch's link, if it has one.
    pub url: Option<String>,
    /// When it was logged, in UTC.
    pub created_at: DateTime<Utc>,
}

/// How a guild wants its digest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DigestOptions {
    /// Post a short line when nothing was shipped, instead of staying quiet.
    pub quiet_week_message: bool,
}

/// The messages to post for `window`, in order; empty when there is nothing to post.
///
/// The first message opens with a header that counts launches and builders and names the dates;
/// then one line per launch, "• <@id> shipped: text (<link>)", oldest first (ties by id, so the
/// input's order never matters). Launches outside the window are left out, so the header always
/// describes what is listed. Messages split only between launch lines, each at most
/// [`MESSAGE_LIMIT`] characters; later messages start with "(continued 2/3)".
///
/// The mentions are written out but meant to be sent with `allowed_mentions: {"parse": []}`, so
/// the digest names builders without pinging them.
pub fn render(
    launches: &[DigestLaunch],
    window: &DigestWindow,
    options: DigestOptions,
) -> Vec<String> {
    let mut listed: Vec<&DigestLaunch> = launches
        .iter()
        .filter(|launch| window.contains(launch.created_at))
        .collect();
    if listed.is_empty() {
        return if options.quiet_week_message {
            vec![header::quiet(window)]
        } else {
            Vec::new()
        };
    }
    listed.sort_by_key(|launch| (launch.created_at, launch.id));
    let mut builders: Vec<u64> = listed.iter().map(|launch| launch.author_id).collect();
    builders.sort_unstable();
    builders.dedup();

    let header = header::summary(listed.len(), builders.len(), window);
    let lines: Vec<String> = listed.into_iter().map(line::render).collect();
    split::into_messages(&header, &lines, MESSAGE_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::hostile::{hostile_text, live_tokens, unescaped_markers};
    use crate::week::parse_instant;
    use chrono::TimeDelta;
    use proptest::prelude::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        parse_instant(rfc3339).expect("valid test time")
    }

    fn week() -> DigestWindow {
        DigestWindow::before(at("2026-11-30T09:00:00Z"))
    }

    fn launch(
        id: i64,
        author_id: u64,
        text: &str,
        url: Option<&str>,
        created_at: &str,
    ) -> DigestLaunch {
        DigestLaunch {
            id,
            author_id,
            text: text.to_string(),
            url: url.map(str::to_string),
            created_at: at(created_at),
        }
    }

    const QUIET: DigestOptions = DigestOptions {
        quiet_week_message: true,
    };

    #[test]
    fn a_small_week_renders_exactly() {
        let launches = [
            launch(3, 111, "docs **v2**", None, "2026-11-28T18:30:00Z"),
            launch(
                1,
                111,
                "ShipTrack 1.0",
                Some("https://shiptrack.dev"),
                "2026-11-24T10:00:00Z",
            ),
            launch(
                2,
                222,
                "a CLI for @everyone\n<@&9>",
                Some("https://cli.example/"),
                "2026-11-25T08:00:00Z",
            ),
        ];
        assert_eq!(
            render(&launches, &week(), DigestOptions::default()),
            vec![
                "**🚀 This week we shipped** — 3 launches from 2 builders (Nov 23 – Nov 30)\n\
                 • <@111> shipped: ShipTrack 1.0 (<https://shiptrack.dev>)\n\
                 • <@222> shipped: a CLI for @\u{200B}everyone <\u{200B}@&9> (<https://cli.example/>)\n\
                 • <@111> shipped: docs \\*\\*v2\\*\\*"
                    .to_string()
            ]
        );
    }

    #[test]
    fn launches_logged_at_the_same_instant_are_ordered_by_id() {
        let same_time = "2026-11-25T12:00:00Z";
        let launches = [
            launch(9, 1, "second", None, same_time),
            launch(4, 2, "first", None, same_time),
        ];
        let messages = render(&launches, &week(), DigestOptions::default());
        let listed: Vec<&str> = messages[0].lines().skip(1).collect();
        assert_eq!(listed, ["• <@2> shipped: first", "• <@1> shipped: second"]);
    }

    #[test]
    fn launches_outside_the_window_are_left_out_of_the_lines_and_the_counts() {
        let launches = [
            launch(1, 1, "too early", None, "2026-11-23T08:59:59Z"),
            launch(2, 2, "in the week", None, "2026-11-23T09:00:00Z"),
            launch(3, 3, "too late", None, "2026-11-30T09:00:00Z"),
        ];
        assert_eq!(
            render(&launches, &week(), DigestOptions::default()),
            vec![
                "**🚀 This week we shipped** — 1 launch from 1 builder (Nov 23 – Nov 30)\n\
                 • <@2> shipped: in the week"
                    .to_string()
            ]
        );
    }

    #[test]
    fn an_empty_week_posts_nothing_unless_the_guild_wants_a_quiet_week_line() {
        assert!(render(&[], &week(), DigestOptions::default()).is_empty());
        assert_eq!(
            render(&[], &week(), QUIET),
            vec![
                "**🚀 This week we shipped** — nothing this time (Nov 23 – Nov 30). \
                 Shipped something? Log it with /ship."
                    .to_string()
            ]
        );
    }

    #[test]
    fn a_week_with_launches_has_no_quiet_line_even_when_asked() {
        let launches = [launch(1, 1, "a thing", None, "2026-11-25T12:00:00Z")];
        let messages = render(&launches, &week(), QUIET);
        assert_eq!(messages.len(), 1);
        assert!(!messages[0].contains("nothing this time"));
    }

    #[test]
    fn a_thousand_long_launches_split_into_numbered_messages_under_the_limit() {
        let launches: Vec<DigestLaunch> = (0..1000)
            .map(|id| DigestLaunch {
                id,
                author_id: 1_000_000_000_000_000_000 + (id as u64 % 37),
                text: format!("launch {id} {}", "🚀 long text ".repeat(40)),
                url: Some(format!("https://example.com/{id}")),
                created_at: week().start() + TimeDelta::minutes(id),
            })
            .collect();
        let messages = render(&launches, &week(), DigestOptions::default());
        let total = messages.len();
        assert!(total > 100, "{total} messages for 1000 long launches");
        assert!(
            messages[0].starts_with("**🚀 This week we shipped** — 1000 launches from 37 builders")
        );
        for (index, message) in messages.iter().enumerate().skip(1) {
            assert!(
                message.starts_with(&format!("(continued {}/{total})\n• ", index + 1)),
                "{message}"
            );
        }
        assert!(
            messages
                .iter()
                .all(|message| message.chars().count() <= MESSAGE_LIMIT)
        );
    }

    /// A week of launches in random order: `L{id}` opens each text so a line can be traced back
    /// to its launch; timestamps fall on whole hours so many launches share an instant. Texts are
    /// drawn from a pool of hostile texts, which keeps a case of 1,500 launches quick to generate.
    fn random_week() -> impl Strategy<Value = Vec<DigestLaunch>> {
        let launch = (
            prop::sample::select(vec![1u64, 2, 3, 80_351_110_224_678_912, u64::MAX]),
            any::<prop::sample::Index>(),
            prop::option::of(prop::sample::select(vec![
                "https://x.dev/a_b",
                "https://social.example/@everyone",
                "javascript:alert(1)",
                "https://x.dev/<@&1>`|",
            ])),
            0i64..7 * 24,
        );
        (
            prop::collection::vec(hostile_text(), 1..64),
            prop::collection::vec(launch, 0..1500),
        )
            .prop_map(|(texts, launches)| {
                launches
                    .into_iter()
                    .enumerate()
                    .map(|(id, (author_id, text, url, hour))| DigestLaunch {
                        id: id as i64,
                        author_id,
                        text: format!("L{id} {}", text.get(&texts)),
                        url: url.map(str::to_string),
                        created_at: week().start() + TimeDelta::hours(hour),
                    })
                    .collect::<Vec<_>>()
            })
            .prop_shuffle()
    }

    /// The launch lines of a digest, in posting order.
    fn launch_lines(messages: &[String]) -> Vec<&str> {
        messages
            .iter()
            .flat_map(|message| message.lines().skip(1))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn every_message_is_within_the_limit_and_none_is_empty(
            launches in random_week(),
            quiet_week_message in any::<bool>(),
        ) {
            let messages = render(&launches, &week(), DigestOptions { quiet_week_message });
            prop_assert_eq!(messages.is_empty(), launches.is_empty() && !quiet_week_message);
            // A message is its opening line plus at least one launch, or the quiet line alone.
            let least_lines = if launches.is_empty() { 1 } else { 2 };
            for message in &messages {
                prop_assert!(message.chars().count() <= MESSAGE_LIMIT);
                prop_assert!(message.lines().count() >= least_lines);
            }
        }

        #[test]
        fn every_launch_appears_exactly_once_oldest_first(launches in random_week()) {
            let mut expected = launches.clone();
            expected.sort_by_key(|launch| (launch.created_at, launch.id));
            let messages = render(&launches, &week(), DigestOptions::default());
            let lines = launch_lines(&messages);
            prop_assert_eq!(lines.len(), expected.len());
            for (line, launch) in lines.iter().zip(&expected) {
                let opening = format!("• <@{}> shipped: L{}", launch.author_id, launch.id);
                let after = line.strip_prefix(opening.as_str());
                prop_assert!(
                    after.is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_digit())),
                    "{:?} should be launch {}", line, launch.id
                );
            }
        }

        #[test]
        fn no_user_text_can_mention_anyone_or_leak_markdown(launches in random_week()) {
            let messages = render(&launches, &week(), DigestOptions::default());
            for message in &messages {
                let mut lines = message.lines();
                let opening = lines.next().unwrap_or_default();
                prop_assert_eq!(live_tokens(opening), Vec::<&str>::new());
                for line in lines {
                    let (mention, user_part) = line
                        .split_once(" shipped")
                        .expect("every launch line says shipped");
                    let author_id = mention.strip_prefix("• <@").and_then(|rest| rest.strip_suffix('>'));
                    prop_assert!(
                        author_id.is_some_and(|id| id.parse::<u64>().is_ok()),
                        "{:?} should open with the author's mention", line
                    );
                    prop_assert_eq!(live_tokens(user_part), Vec::<&str>::new(), "{:?}", line);
                    prop_assert_eq!(unescaped_markers(user_part), Vec::<char>::new(), "{:?}", line);
                }
            }
        }

        #[test]
        fn rendering_is_deterministic_whatever_the_input_order(launches in random_week()) {
            let mut reversed = launches.clone();
            reversed.reverse();
            let first = render(&launches, &week(), DigestOptions::default());
            prop_assert_eq!(&first, &render(&launches, &week(), DigestOptions::default()));
            prop_assert_eq!(&first, &render(&reversed, &week(), DigestOptions::default()));
        }
    }
}
