//! Makes user text safe to place in a Discord message: one line, no mention that can fire,
//! no markdown that can leak past its own text, and nothing cut inside a character, an escape
//! or a link.
//!
//! The poster always sends `allowed_mentions: {"parse": []}`, so nobody would be pinged anyway;
//! the text is neutralised regardless, as defence in depth and so that an ephemeral preview, a
//! dry run and the posted digest read the same.

pub(crate) mod link;

#[cfg(test)]
pub(crate) mod hostile;

use std::borrow::Cow;

use link::Segment;
pub use link::{MAX_LINK_CHARS, safe_link};

/// Appended to text that was shortened.
pub const ELLIPSIS: char = '…';

/// A zero-width space: placed inside `@everyone`, `@here` and `<@…>`, `<#…>`, `</…>` it stops
/// Discord from reading a mention while the text still looks the same.
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Characters that open or close inline markdown anywhere in a line (bold, italics, underline,
/// strikethrough, spoilers, code, masked links) and the backslash that escapes them. All are
/// escaped, balanced or not: user formatting is shown as typed, and a pair that a shortening
/// cuts in half can never leave a marker open.
const INLINE_MARKERS: &[char] = &['\\', '*', '_', '~', '|', '`', '['];

/// Characters that make a header, quote or list item at the start of a line.
const LINE_START_MARKERS: &[char] = &['#', '>', '-', '+'];

/// `text` as one safe line: see [`neutralise_within`]; nothing is dropped.
pub fn neutralise(text: &str) -> String {
    neutralise_within(text, usize::MAX)
}

/// `text` as one safe line of at most `max_chars` characters (Unicode scalar values, as
/// Discord counts them).
///
/// - Line breaks, tabs and other control characters become spaces, runs of whitespace one
///   space, and the ends are trimmed; bidirectional overrides are dropped so the text cannot
///   reorder what follows it on the line.
/// - `@everyone` and `@here` (any case) get a zero-width space after the `@`; so do user, role,
///   channel and command mentions (`<@1>`, `<@!1>`, `<@&1>`, `<#1>`, `</ship:1>`) after the `<`.
/// - Markdown markers are backslash-escaped: `\`, `*`, `_`, `~`, `|`, `` ` `` and `[`
///   everywhere, and `#`, `>`, `-`, `+` at the start of the text.
/// - http(s) URLs are written as `<url>` by [`safe_link`]'s rules (no embed, no escapes inside
///   the link, so it still works).
///
/// When the result would be longer than `max_chars`, it is cut between whole pieces (a
/// character, an escape, a link) and ends with [`ELLIPSIS`].
pub fn neutralise_within(text: &str, max_chars: usize) -> String {
    let single_line: String = text
        .chars()
        .filter(|&c| !is_bidi_control(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut pieces = Pieces::default();
    for (index, word) in single_line.split_whitespace().enumerate() {
        if index > 0 {
            pieces.push_str(" ");
        }
        for segment in link::segments(word) {
            match segment {
                Segment::Link(link) => pieces.push_str(&link),
                Segment::Plain(plain) => {
                    let starts_line = pieces.is_empty();
                    escape_plain(plain, starts_line, &mut pieces);
                }
            }
        }
    }
    pieces.within(max_chars)
}

/// `text` shortened to at most `max_chars` characters (Unicode scalar values), ending with
/// [`ELLIPSIS`] when anything was cut. For text that is already safe; user text goes through
/// [`neutralise_within`], which never cuts inside an escape.
pub fn truncate_chars(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some(_) if max_chars == 0 => Cow::Borrowed(""),
        Some(_) => {
            let kept_bytes = text
                .char_indices()
                .nth(max_chars - 1)
                .map_or(text.len(), |(index, _)| index);
            let mut shortened = String::with_capacity(kept_bytes + ELLIPSIS.len_utf8());
            shortened.push_str(&text[..kept_bytes]);
            shortened.push(ELLIPSIS);
            Cow::Owned(shortened)
        }
    }
}

fn escape_plain(plain: &str, starts_line: bool, pieces: &mut Pieces) {
    for (index, c) in plain.char_indices() {
        let rest = &plain[index..];
        let next = rest[c.len_utf8()..].chars().next();
        if c == '@' && link::starts_mass_mention(rest) {
            pieces.push_chars(&['@', ZERO_WIDTH_SPACE]);
        } else if c == '<' && matches!(next, Some('@' | '#' | '/')) {
            pieces.push_chars(&['<', ZERO_WIDTH_SPACE]);
        } else if INLINE_MARKERS.contains(&c)
            || (starts_line && index == 0 && LINE_START_MARKERS.contains(&c))
        {
            pieces.push_chars(&['\\', c]);
        } else {
            pieces.push_chars(&[c]);
        }
    }
}

/// Explicit bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Neutralised text built from pieces that must stay whole, remembering where each ends so the
/// text can be shortened without splitting one.
#[derive(Default)]
struct Pieces {
    text: String,
    chars: usize,
    /// For each piece, the text's length in bytes and in characters after it.
    ends: Vec<(usize, usize)>,
}

impl Pieces {
    fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    fn push_str(&mut self, piece: &str) {
        self.text.push_str(piece);
        self.end_piece(piece.chars().count());
    }

    fn push_chars(&mut self, piece: &[char]) {
        self.text.extend(piece);
        self.end_piece(piece.len());
    }

    fn end_piece(&mut self, chars: usize) {
        self.chars += chars;
        self.ends.push((self.text.len(), self.chars));
    }

    fn within(self, max_chars: usize) -> String {
        if self.chars <= max_chars {
            return self.text;
        }
        if max_chars == 0 {
            return String::new();
        }
        let kept_bytes = self
            .ends
            .iter()
            .take_while(|&&(_, chars)| chars < max_chars)
            .last()
            .map_or(0, |&(bytes, _)| bytes);
        let mut text = self.text;
        text.truncate(kept_bytes);
        // "shipped …" reads as a gap; "shipped…" as a cut.
        text.truncate(text.trim_end().len());
        text.push(ELLIPSIS);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::hostile::{hostile_text, live_tokens, unescaped_markers};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mass_mentions_get_a_zero_width_space_after_the_at() {
        assert_eq!(
            neutralise("hi @everyone and @HERE"),
            "hi @\u{200B}everyone and @\u{200B}HERE"
        );
    }

    #[test]
    fn user_role_channel_and_command_mentions_show_as_text() {
        assert_eq!(
            neutralise("<@123> <@!123> <@&123> <#123> </ship:1>"),
            "<\u{200B}@123> <\u{200B}@!123> <\u{200B}@&123> <\u{200B}#123> <\u{200B}/ship:1>"
        );
    }

    #[test]
    fn line_breaks_and_whitespace_runs_become_single_spaces() {
        assert_eq!(
            neutralise("  a\n\n b\r\nc\td\u{2028}e \u{0}f "),
            "a b c d e f"
        );
    }

    #[test]
    fn headers_quotes_and_list_markers_at_the_start_are_escaped() {
        assert_eq!(neutralise("# big"), "\\# big");
        assert_eq!(neutralise("> quote"), "\\> quote");
        assert_eq!(neutralise(">>> quote"), "\\>>> quote");
        assert_eq!(neutralise("- item"), "\\- item");
        assert_eq!(neutralise("-# small"), "\\-# small");
        assert_eq!(neutralise("\n  + item"), "\\+ item");
    }

    #[test]
    fn markers_inside_the_text_are_left_alone_when_they_cannot_start_a_line() {
        assert_eq!(neutralise("v1 -> v2 # done"), "v1 -> v2 # done");
    }

    #[test]
    fn inline_markdown_is_escaped_balanced_or_not() {
        assert_eq!(neutralise("**bold"), "\\*\\*bold");
        assert_eq!(neutralise("__u__"), "\\_\\_u\\_\\_");
        assert_eq!(neutralise("~~gone"), "\\~\\~gone");
        assert_eq!(neutralise("||spoiler||"), "\\|\\|spoiler\\|\\|");
        assert_eq!(neutralise("`code"), "\\`code");
        assert_eq!(neutralise("```rust"), "\\`\\`\\`rust");
    }

    #[test]
    fn a_backslash_in_user_text_cannot_undo_an_escape() {
        assert_eq!(neutralise("\\*"), "\\\\\\*");
    }

    #[test]
    fn masked_links_cannot_disguise_their_target() {
        assert_eq!(
            neutralise("[docs.rs](https://evil.example)"),
            "\\[docs.rs](<https://evil.example>)"
        );
    }

    #[test]
    fn urls_in_text_become_links_without_embeds_and_without_escapes() {
        assert_eq!(
            neutralise("shipped https://x.dev/a_b*c!"),
            "shipped <https://x.dev/a_b*c>!"
        );
        assert_eq!(neutralise("see <https://x.dev/>"), "see <https://x.dev/>");
        assert_eq!(
            neutralise("**https://x.dev**"),
            "\\*\\*<https://x.dev>\\*\\*"
        );
    }

    #[test]
    fn a_scheme_without_a_host_is_plain_text() {
        assert_eq!(neutralise("https:// nothing"), "https:// nothing");
    }

    #[test]
    fn bidirectional_overrides_are_dropped() {
        assert_eq!(neutralise("abc\u{202E}def\u{2066}"), "abcdef");
    }

    #[test]
    fn emoji_and_cjk_pass_through() {
        assert_eq!(neutralise("🚀 漢字 café"), "🚀 漢字 café");
    }

    #[test]
    fn shortening_never_splits_an_escape() {
        assert_eq!(neutralise_within("a*b", 3), "a…");
        assert_eq!(neutralise_within("a*b", 4), "a\\*b");
    }

    #[test]
    fn shortening_never_splits_a_link() {
        assert_eq!(
            neutralise_within("see https://example.com/long", 20),
            "see…"
        );
    }

    #[test]
    fn shortening_never_splits_a_defused_mention() {
        assert_eq!(neutralise_within("@here", 2), "…");
    }

    #[test]
    fn shortening_does_not_leave_a_space_before_the_ellipsis() {
        assert_eq!(neutralise_within("ab cd", 4), "ab…");
    }

    #[test]
    fn shortening_to_zero_characters_gives_nothing() {
        assert_eq!(neutralise_within("abc", 0), "");
    }

    #[test]
    fn text_that_fits_exactly_is_not_shortened() {
        assert_eq!(neutralise_within("abc", 3), "abc");
    }

    #[test]
    fn truncate_counts_unicode_scalar_values_not_bytes() {
        assert_eq!(truncate_chars("héllo", 3), "hé…");
        assert_eq!(truncate_chars("🚀🚀🚀", 3), "🚀🚀🚀");
        assert_eq!(truncate_chars("🚀🚀🚀🚀", 3), "🚀🚀…");
    }

    #[test]
    fn truncate_leaves_short_text_borrowed_and_unchanged() {
        assert!(matches!(truncate_chars("abc", 10), Cow::Borrowed("abc")));
    }

    #[test]
    fn truncate_to_zero_characters_gives_nothing() {
        assert_eq!(truncate_chars("abc", 0), "");
    }

    proptest! {
        #[test]
        fn neutralised_text_is_one_line_with_no_live_mention(text in hostile_text()) {
            let safe = neutralise(&text);
            prop_assert!(!safe.chars().any(char::is_control), "{safe:?}");
            prop_assert_eq!(live_tokens(&safe), Vec::<&str>::new(), "{:?}", safe);
        }

        #[test]
        fn neutralised_text_has_no_unescaped_markdown(text in hostile_text()) {
            let safe = neutralise(&text);
            prop_assert_eq!(unescaped_markers(&safe), Vec::<char>::new(), "{:?}", safe);
        }

        #[test]
        fn shortened_neutralised_text_fits_and_is_a_prefix_of_the_whole(
            text in hostile_text(),
            max_chars in 0usize..120,
        ) {
            let whole = neutralise(&text);
            let short = neutralise_within(&text, max_chars);
            prop_assert!(short.chars().count() <= max_chars);
            if short != whole && max_chars > 0 {
                let kept = short.strip_suffix(ELLIPSIS).expect("a shortened text ends with …");
                prop_assert!(whole.starts_with(kept));
            }
            prop_assert_eq!(live_tokens(&short), Vec::<&str>::new(), "{:?}", short);
            prop_assert_eq!(unescaped_markers(&short), Vec::<char>::new(), "{:?}", short);
        }

        #[test]
        fn truncate_fits_and_keeps_a_prefix_on_a_char_boundary(
            text in hostile_text(),
            max_chars in 0usize..80,
        ) {
            let short = truncate_chars(&text, max_chars);
            prop_assert!(short.chars().count() <= max_chars);
            if text.chars().count() <= max_chars {
                prop_assert_eq!(&*short, text.as_str());
            } else if max_chars > 0 {
                let kept = short.strip_suffix(ELLIPSIS).expect("a shortened text ends with …");
                prop_assert!(text.starts_with(kept));
                prop_assert_eq!(kept.chars().count(), max_chars - 1);
            }
        }
    }
}
