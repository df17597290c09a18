//! Links in messages: finds http(s) URLs in user text and writes a URL as `<url>`, which
//! Discord shows as a link without an embed, percent-encoded so that it can neither close its
//! brackets nor open markdown nor form a mention.
//!
//! URLs are kept out of markdown escaping on purpose: Discord takes a URL's characters as they
//! are, so a backslash added to escape `_` would become part of the link and break it.

/// The longest link [`safe_link`] returns, brackets included. A longer URL is left out rather
/// than cut, because a shortened URL points somewhere else.
pub const MAX_LINK_CHARS: usize = 512;

/// `url` as `<url>`, ready to place in a message, or `None` when it is not an http(s) URL with a
/// host or would be longer than [`MAX_LINK_CHARS`].
///
/// Surrounding whitespace is ignored; any other character outside RFC 3986's URL characters
/// (spaces, `<`, `>`, `` ` ``, `|`, `\`, non-ASCII) is percent-encoded, as a browser would, and
/// the `@` of `@everyone` or `@here` becomes `%40`.
pub fn safe_link(url: &str) -> Option<String> {
    encode(url.trim()).filter(|link| link.chars().count() <= MAX_LINK_CHARS)
}

/// A piece of one whitespace-free word of user text.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Segment<'a> {
    /// Text to escape as markdown.
    Plain(&'a str),
    /// A rendered link, `<url>`.
    Link(String),
}

/// Splits one word (no whitespace in it) into plain text and links.
///
/// A link starts at `http://` or `https://` (any case) and runs until a character that cannot
/// be in a URL written in a message (`<`, `>`, `"`, `` ` ``, `|`); then trailing punctuation
/// that ends the sentence rather than the URL (`.`, `,`, `!`, `*`, a `)` with no `(` in the URL,
/// …) is handed back to the text. A URL the user already wrapped in `<…>` keeps one pair of
/// brackets, not two. A candidate with no host stays plain text.
pub(super) fn segments(word: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    // Plain text runs from `plain_start` until the next link, so a character's neighbours (which
    // decide escapes such as `<@`) are always in the same plain piece.
    let mut plain_start = 0;
    let mut search_from = 0;
    while let Some(offset) = find_scheme(&word[search_from..]) {
        let start = search_from + offset;
        let candidate = &word[start..];
        let url = trim_trailing_punctuation(&candidate[..url_end(candidate)]);
        let Some(link) = encode(url) else {
            search_from = start + scheme_len(candidate);
            continue;
        };
        let (mut plain_end, mut resume) = (start, start + url.len());
        if start > plain_start && word[..start].ends_with('<') && word[resume..].starts_with('>') {
            plain_end -= 1;
            resume += 1;
        }
        if plain_start < plain_end {
            segments.push(Segment::Plain(&word[plain_start..plain_end]));
        }
        segments.push(Segment::Link(link));
        plain_start = resume;
        search_from = resume;
    }
    if plain_start < word.len() {
        segments.push(Segment::Plain(&word[plain_start..]));
    }
    segments
}

/// The byte offset of the first `http://` or `https://` in `text`, in any case.
pub(crate) fn find_scheme(text: &str) -> Option<usize> {
    text.char_indices()
        .map(|(index, _)| index)
        .find(|&index| scheme_len(&text[index..]) > 0)
}

/// The length of the `http://` or `https://` that `text` starts with, or 0.
pub(crate) fn scheme_len(text: &str) -> usize {
    ["https://", "http://"]
        .iter()
        .find(|scheme| {
            text.get(..scheme.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
        })
        .map_or(0, |scheme| scheme.len())
}

pub(crate) fn url_end(candidate: &str) -> usize {
    candidate
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`' | '|'))
        .unwrap_or(candidate.len())
}

pub(crate) fn trim_trailing_punctuation(mut url: &str) -> &str {
    loop {
        let Some(last) = url.chars().last() else {
            return url;
        };
        let closes_unopened = match last {
            ')' => url.matches(')').count() > url.matches('(').count(),
            ']' => url.matches(']').count() > url.matches('[').count(),
            _ => false,
        };
        if closes_unopened
            || matches!(
                last,
                '.' | ',' | ':' | ';' | '!' | '?' | '\'' | '*' | '_' | '~'
            )
        {
            url = &url[..url.len() - last.len_utf8()];
        } else {
            return url;
        }
    }
}

/// `<url>` percent-encoded, or `None` when `url` is not http(s) with a host.
fn encode(url: &str) -> Option<String> {
    let scheme = scheme_len(url);
    let authority_len = url[scheme..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - scheme);
    if scheme == 0 || authority_len == 0 {
        return None;
    }
    let mut link = String::with_capacity(url.len() + 2);
    link.push('<');
    for (index, c) in url.char_indices() {
        if c == '@' && starts_mass_mention(&url[index..]) {
            link.push_str("%40");
        } else if is_url_char(c) {
            link.push(c);
        } else {
            let mut utf8 = [0; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                link.push('%');
                link.push(hex_digit(byte >> 4));
                link.push(hex_digit(byte & 0xf));
            }
        }
    }
    link.push('>');
    Some(link)
}

/// Whether `text` starts with `@everyone` or `@here`, in any case.
pub(super) fn starts_mass_mention(text: &str) -> bool {
    ["@everyone", "@here"].iter().any(|mention| {
        text.get(..mention.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(mention))
    })
}

/// RFC 3986's unreserved and reserved characters, plus `%` so encoded URLs stay as they are.
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(nibble)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_http_or_https_url_is_wrapped_in_angle_brackets() {
        assert_eq!(
            safe_link("https://x.dev/a_b?q=1#top"),
            Some("<https://x.dev/a_b?q=1#top>".into())
        );
        assert_eq!(safe_link(" HTTP://x.dev "), Some("<HTTP://x.dev>".into()));
    }

    #[test]
    fn other_schemes_and_urls_without_a_host_are_refused() {
        assert_eq!(safe_link("javascript:alert(1)"), None);
        assert_eq!(safe_link("ftp://x.dev"), None);
        assert_eq!(safe_link("https://"), None);
        assert_eq!(safe_link("https:///path"), None);
        assert_eq!(safe_link("x.dev"), None);
    }

    #[test]
    fn characters_that_could_close_the_link_or_open_markdown_are_percent_encoded() {
        assert_eq!(
            safe_link("https://x.dev/a b>c<@&1>`|\\\""),
            Some("<https://x.dev/a%20b%3Ec%3C@&1%3E%60%7C%5C%22>".into())
        );
    }

    #[test]
    fn non_ascii_is_percent_encoded_as_utf8() {
        assert_eq!(
            safe_link("https://x.dev/é🚀"),
            Some("<https://x.dev/%C3%A9%F0%9F%9A%80>".into())
        );
    }

    #[test]
    fn mass_mentions_in_a_url_are_percent_encoded() {
        assert_eq!(
            safe_link("https://social.example/@everyone/@Here/@alice"),
            Some("<https://social.example/%40everyone/%40Here/@alice>".into())
        );
    }

    #[test]
    fn a_link_longer_than_the_cap_is_left_out_rather_than_cut() {
        let url = format!("https://x.dev/{}", "a".repeat(MAX_LINK_CHARS));
        assert_eq!(safe_link(&url), None);
        let longest = format!("https://x.dev/{}", "a".repeat(MAX_LINK_CHARS - 16));
        assert_eq!(
            safe_link(&longest).map(|link| link.chars().count()),
            Some(MAX_LINK_CHARS)
        );
    }

    #[test]
    fn a_url_inside_a_word_is_split_from_the_text_around_it() {
        assert_eq!(
            segments("(see:https://x.dev/a)."),
            vec![
                Segment::Plain("(see:"),
                Segment::Link("<https://x.dev/a>".into()),
                Segment::Plain(")."),
            ]
        );
    }

    #[test]
    fn a_closing_parenthesis_that_belongs_to_the_url_stays_in_it() {
        assert_eq!(
            segments("https://en.wikipedia.org/wiki/Rust_(language)"),
            vec![Segment::Link(
                "<https://en.wikipedia.org/wiki/Rust_(language)>".into()
            )]
        );
    }

    #[test]
    fn sentence_punctuation_after_a_url_is_not_part_of_it() {
        assert_eq!(
            segments("https://x.dev!"),
            vec![Segment::Link("<https://x.dev>".into()), Segment::Plain("!")]
        );
    }

    #[test]
    fn a_url_already_in_angle_brackets_keeps_one_pair() {
        assert_eq!(
            segments("<https://x.dev>"),
            vec![Segment::Link("<https://x.dev>".into())]
        );
    }

    #[test]
    fn a_scheme_with_no_host_stays_plain_and_a_later_url_is_still_found() {
        assert_eq!(
            segments("https://|https://x.dev"),
            vec![
                Segment::Plain("https://|"),
                Segment::Link("<https://x.dev>".into())
            ]
        );
    }

    proptest! {
        #[test]
        fn a_safe_link_is_one_bracketed_token_with_no_mention(url in "\\PC{0,80}") {
            if let Some(link) = safe_link(&format!("https://h{url}")) {
                let inner = &link[1..link.len() - 1];
                prop_assert!(link.starts_with('<') && link.ends_with('>'));
                prop_assert!(!inner.contains(['<', '>', ' ', '`', '|', '\\']), "{}", link);
                prop_assert!(!starts_mass_mention_anywhere(inner), "{}", link);
                prop_assert!(link.chars().count() <= MAX_LINK_CHARS);
            }
        }

        #[test]
        fn segments_lose_no_text_and_invent_none(
            word in "([a-z(.!*]{0,4}(https?://)?[a-z0-9./_()!*?,-]{0,20}){1,3}",
        ) {
            // Over these characters a link's encoding changes nothing, so the pieces read in
            // order must give back the word.
            let rebuilt: String = segments(&word)
                .into_iter()
                .map(|segment| match segment {
                    Segment::Plain(plain) => plain.to_string(),
                    Segment::Link(link) => link[1..link.len() - 1].to_string(),
                })
                .collect();
            prop_assert_eq!(rebuilt, word);
        }
    }

    fn starts_mass_mention_anywhere(text: &str) -> bool {
        text.char_indices()
            .any(|(index, _)| starts_mass_mention(&text[index..]))
    }
}
