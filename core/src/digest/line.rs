//! One launch's line in the digest: "• <@id> shipped: text (<link>)".

use crate::markdown::{MAX_LINK_CHARS, neutralise_within, safe_link};

use super::DigestLaunch;

/// How much of a launch's text a line shows, in characters after neutralising: enough for a
/// sentence or two, while a page of text still leaves room for many launches per message.
pub(super) const TEXT_CHARS: usize = 300;

/// The longest a line can be, in characters: "• <@", a 20-digit id, "> shipped: ", the text at
/// its cap, " (", the longest link, ")".
pub(super) const MAX_CHARS: usize = 4 + 20 + 11 + TEXT_CHARS + 2 + MAX_LINK_CHARS + 1;

pub(super) fn render(launch: &DigestLaunch) -> String {
    let text = neutralise_within(&launch.text, TEXT_CHARS);
    // A message launch usually quotes its own URL; saying it twice adds nothing.
    let link = launch
        .url
        .as_deref()
        .and_then(safe_link)
        .filter(|link| !text.contains(link.as_str()));

    let mut line = format!("• <@{}> shipped", launch.author_id);
    if !text.is_empty() {
        line.push_str(": ");
        line.push_str(&text);
    }
    if let Some(link) = link {
        line.push_str(" (");
        line.push_str(&link);
        line.push(')');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn launch(text: &str, url: Option<&str>) -> DigestLaunch {
        DigestLaunch {
            id: 1,
            author_id: 42,
            text: text.to_string(),
            url: url.map(str::to_string),
            created_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_line_mentions_the_builder_and_links_the_launch() {
        assert_eq!(
            render(&launch("ShipTrack 1.0", Some("https://shiptrack.dev"))),
            "• <@42> shipped: ShipTrack 1.0 (<https://shiptrack.dev>)"
        );
    }

    #[test]
    fn a_link_already_in_the_text_is_not_repeated() {
        assert_eq!(
            render(&launch(
                "shipped https://shiptrack.dev today",
                Some("https://shiptrack.dev")
            )),
            "• <@42> shipped: shipped <https://shiptrack.dev> today"
        );
    }

    #[test]
    fn a_launch_without_text_or_link_still_gets_a_line() {
        assert_eq!(render(&launch(" \n ", None)), "• <@42> shipped");
        assert_eq!(
            render(&launch("", Some("https://x.dev"))),
            "• <@42> shipped (<https://x.dev>)"
        );
    }

    #[test]
    fn a_link_that_is_not_http_is_left_out() {
        assert_eq!(
            render(&launch("my app", Some("javascript:alert(1)"))),
            "• <@42> shipped: my app"
        );
    }

    #[test]
    fn the_text_is_neutralised() {
        assert_eq!(
            render(&launch("@everyone **look** <@&1>\n# hi", None)),
            "• <@42> shipped: @\u{200B}everyone \\*\\*look\\*\\* <\u{200B}@&1> # hi"
        );
    }

    #[test]
    fn long_text_is_shortened_to_the_cap() {
        let line = render(&launch(&"漢".repeat(1000), None));
        assert_eq!(
            line,
            format!("• <@42> shipped: {}…", "漢".repeat(TEXT_CHARS - 1))
        );
    }

    #[test]
    fn the_longest_line_fits_its_budget() {
        let link = format!(
            "https://x.dev/{}",
            "a".repeat(MAX_LINK_CHARS - "<https://x.dev/>".len())
        );
        let mut longest = launch(&"b".repeat(1000), Some(&link));
        longest.author_id = u64::MAX;
        let line = render(&longest);
        assert!(line.ends_with("a>)"), "the link is kept: {line}");
        assert_eq!(line.chars().count(), MAX_CHARS);
    }
}
