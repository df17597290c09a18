//! Launch detection: is this message a launch, and which link did it ship?
//!
//! A message is a launch when it holds an http(s) link and one of the ship words as a whole
//! word, outside any link. The gateway worker applies this to messages in ship channels and
//! the edge applies it to the "Log as launch" message command, so both agree on what counts.

use std::{fmt, ops::Range, str::FromStr};

use thiserror::Error;

use crate::lowercase::lowercase;
use crate::markdown::link;

/// The ship words used when a community configures none.
pub const DEFAULT_SHIP_WORDS: [&str; 4] = ["shipped", "launched", "live", "released"];

/// The words that mark a message as a launch, stored lowercase and matched in any case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShipWords {
    words: Vec<String>,
}

/// Why a ship-word list (e.g. the `SHIP_WORDS` setting) was refused.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ShipWordsError {
    #[error(
        "the ship-word list is empty: give comma-separated words, such as \"shipped,launched,live,released\""
    )]
    Empty,
    #[error("entry {position} of the ship-word list is empty: remove the extra comma")]
    EmptyEntry { position: usize },
    #[error(
        "ship word {word:?} is not a single word: use letters and digits only, one word per comma"
    )]
    NotAWord { word: String },
}

impl Default for ShipWords {
    fn default() -> Self {
        Self {
            words: DEFAULT_SHIP_WORDS
                .iter()
                .map(|word| (*word).to_owned())
                .collect(),
        }
    }
}

impl FromStr for ShipWords {
    type Err = ShipWordsError;

    /// Parses a comma-separated list; spaces around entries are ignored.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        if list.trim().is_empty() {
            return Err(ShipWordsError::Empty);
        }
        let words = list
            .split(',')
            .enumerate()
            .map(|(index, entry)| {
                let word = entry.trim();
                if word.is_empty() {
                    Err(ShipWordsError::EmptyEntry {
                        position: index + 1,
                    })
                } else if !word.chars().all(char::is_alphanumeric) {
                    // Matching is per word (a run of letters and digits), so an entry with a
                    // space or punctuation could never match: refuse it instead of ignoring it.
                    Err(ShipWordsError::NotAWord {
                        word: word.to_owned(),
                    })
                } else {
                    Ok(lowercase(word))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { words })
    }
}

impl fmt::Display for ShipWords {
    /// The words as a reader sees them in a reply: "shipped, launched, live, released".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words.join(", "))
    }
}

impl ShipWords {
    /// The first link of `text` when `text` is a launch: it holds an http(s) link and one of
    /// the ship words as a whole word outside every link.
    pub fn launch_url<'a>(&self, text: &'a str) -> Option<&'a str> {
        let links = link_spans(text);
        let first = &text[links.first()?.clone()];
        // Only the text between links is searched, so ".../shipped" in a path never counts.
        let mut plain_start = 0;
        for link in &links {
            if self.contains_word(&text[plain_start..link.start]) {
                return Some(first);
            }
            plain_start = link.end;
        }
        self.contains_word(&text[plain_start..]).then_some(first)
    }

    fn contains_word(&self, plain: &str) -> bool {
        plain
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .any(|word| self.words.contains(&lowercase(word)))
    }
}

/// The first http(s) link in `text`, without trailing punctuation or `<…>` brackets.
pub fn first_url(text: &str) -> Option<&str> {
    link_spans(text).into_iter().next().map(|span| &text[span])
}

/// `candidate` itself when it is exactly one http(s) link and nothing else.
pub fn whole_url(candidate: &str) -> Option<&str> {
    first_url(candidate).filter(|url| url.len() == candidate.len())
}

/// Byte ranges of the links in `text`, in order. Where a link starts and ends is decided by
/// `markdown::link`, the same scanner that writes links into the digest, so a launch's URL is
/// exactly the link the digest shows.
fn link_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(offset) = link::find_scheme(&text[from..]) {
        let start = from + offset;
        let scheme_len = link::scheme_len(&text[start..]);
        from = start + scheme_len;
        // "xhttp://…" is not a link: a link starts the text or follows a non-word character.
        if text[..start]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        let candidate = &text[start..];
        let url = link::trim_trailing_punctuation(&candidate[..link::url_end(candidate)]);
        let host_starts_well = url[scheme_len..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '[');
        if host_starts_well {
            spans.push(start..start + url.len());
        }
        from = from.max(start + url.len());
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn detect(text: &str) -> Option<&str> {
        ShipWords::default().launch_url(text)
    }

    #[test]
    fn a_ship_word_and_a_link_make_a_launch() {
        assert_eq!(
            detect("Just shipped my app: https://example.com/app"),
            Some("https://example.com/app")
        );
    }

    #[test]
    fn every_default_word_counts_in_any_case() {
        for word in ["SHIPPED", "Launched", "lIvE", "released"] {
            let text = format!("{word} http://example.com");
            assert_eq!(detect(&text), Some("http://example.com"), "{word}");
        }
    }

    #[test]
    fn a_link_alone_is_not_a_launch() {
        assert_eq!(detect("look at https://example.com"), None);
    }

    #[test]
    fn a_ship_word_alone_is_not_a_launch() {
        assert_eq!(detect("we shipped it, link later"), None);
    }

    #[test]
    fn ship_words_inside_other_words_do_not_count() {
        assert_eq!(detect("delivered https://example.com"), None);
        assert_eq!(detect("still alive https://example.com"), None);
        assert_eq!(detect("unreleased https://example.com"), None);
        assert_eq!(detect("relaunched2 https://example.com"), None);
    }

    #[test]
    fn a_ship_word_only_inside_the_link_does_not_count() {
        assert_eq!(detect("see https://example.com/shipped/live"), None);
        assert_eq!(detect("see https://live.example.com"), None);
    }

    #[test]
    fn a_ship_word_after_the_link_counts() {
        assert_eq!(
            detect("https://example.com is live!"),
            Some("https://example.com")
        );
    }

    #[test]
    fn markdown_and_punctuation_around_the_word_do_not_hide_it() {
        assert_eq!(
            detect("**Shipped!** https://example.com"),
            Some("https://example.com")
        );
        assert_eq!(
            detect("_live_ https://example.com"),
            Some("https://example.com")
        );
    }

    #[test]
    fn the_first_link_is_returned() {
        assert_eq!(
            detect("launched https://one.example and https://two.example"),
            Some("https://one.example")
        );
    }

    #[test]
    fn trailing_punctuation_and_markup_are_not_part_of_the_link() {
        for (text, url) in [
            ("live at https://example.com.", "https://example.com"),
            ("live (https://example.com/a)!", "https://example.com/a"),
            (
                "is it live? https://example.com/?q=1?",
                "https://example.com/?q=1",
            ),
            ("live: https://example.com/x,", "https://example.com/x"),
            ("||live https://example.com/s||", "https://example.com/s"),
            ("live **https://example.com/b**", "https://example.com/b"),
        ] {
            assert_eq!(detect(text), Some(url), "{text}");
        }
    }

    #[test]
    fn a_bracket_the_link_opened_stays_in_the_link() {
        assert_eq!(
            detect("released https://en.wikipedia.org/wiki/Rust_(programming_language)."),
            Some("https://en.wikipedia.org/wiki/Rust_(programming_language)")
        );
    }

    #[test]
    fn embed_suppressing_angle_brackets_are_not_part_of_the_link() {
        assert_eq!(
            detect("shipped <https://example.com/x>"),
            Some("https://example.com/x")
        );
    }

    #[test]
    fn a_markdown_link_yields_its_target() {
        assert_eq!(
            detect("shipped [my app](https://example.com/app)"),
            Some("https://example.com/app")
        );
    }

    #[test]
    fn an_uppercase_scheme_is_a_link() {
        assert_eq!(
            detect("LIVE HTTPS://EXAMPLE.COM"),
            Some("HTTPS://EXAMPLE.COM")
        );
    }

    #[test]
    fn other_schemes_bare_schemes_and_glued_schemes_are_not_links() {
        assert_eq!(detect("shipped ftp://example.com"), None);
        assert_eq!(detect("shipped https://"), None);
        assert_eq!(detect("shipped https://..."), None);
        assert_eq!(detect("shipped xhttps://example.com"), None);
    }

    #[test]
    fn ship_words_parse_from_a_comma_separated_list() {
        let words: ShipWords = " Deployed, LIVE ,v2".parse().unwrap();
        assert_eq!(words.to_string(), "deployed, live, v2");
        assert_eq!(
            words.launch_url("DEPLOYED https://x.io"),
            Some("https://x.io")
        );
        assert_eq!(words.launch_url("shipped https://x.io"), None);
    }

    #[test]
    fn an_empty_ship_word_list_is_refused() {
        assert_eq!("".parse::<ShipWords>(), Err(ShipWordsError::Empty));
        assert_eq!("  ".parse::<ShipWords>(), Err(ShipWordsError::Empty));
    }

    #[test]
    fn an_empty_entry_is_refused_with_its_position() {
        assert_eq!(
            "shipped,,live".parse::<ShipWords>(),
            Err(ShipWordsError::EmptyEntry { position: 2 })
        );
        assert_eq!(
            "shipped,".parse::<ShipWords>(),
            Err(ShipWordsError::EmptyEntry { position: 2 })
        );
    }

    #[test]
    fn an_entry_that_is_not_one_word_is_refused() {
        assert_eq!(
            "shipped,go live".parse::<ShipWords>(),
            Err(ShipWordsError::NotAWord {
                word: "go live".to_owned()
            })
        );
        assert_eq!(
            "ship-it".parse::<ShipWords>(),
            Err(ShipWordsError::NotAWord {
                word: "ship-it".to_owned()
            })
        );
    }

    #[test]
    fn the_default_words_display_as_a_list() {
        assert_eq!(
            ShipWords::default().to_string(),
            "shipped, launched, live, released"
        );
    }

    #[test]
    fn whole_url_accepts_exactly_one_link() {
        assert_eq!(
            whole_url("https://example.com/a"),
            Some("https://example.com/a")
        );
        assert_eq!(whole_url("https://example.com/a."), None);
        assert_eq!(whole_url("see https://example.com"), None);
        assert_eq!(whole_url("example.com"), None);
        assert_eq!(whole_url("javascript:alert(1)"), None);
    }

    #[test]
    fn first_url_needs_no_ship_word() {
        assert_eq!(
            first_url("my notes https://example.com"),
            Some("https://example.com")
        );
        assert_eq!(first_url("no link here"), None);
    }

    /// Text that never holds a ship word as a whole word outside a link.
    fn near_misses() -> impl Strategy<Value = String> {
        let token = prop::sample::select(vec![
            "delivered",
            "alive",
            "relive",
            "shipping",
            "launch",
            "release",
            "unreleased",
            "https://example.com/shipped",
            "http://live.example.com/launched",
            "<https://released.example>",
            "hello",
            "🚀",
            "été",
        ]);
        let separator = prop::sample::select(vec![" ", ", ", "\n", " — ", "! "]);
        prop::collection::vec((token, separator), 0..12).prop_map(|parts| {
            parts
                .into_iter()
                .map(|(token, separator)| format!("{token}{separator}"))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn text_without_a_ship_word_is_never_a_launch(text in near_misses()) {
            prop_assert_eq!(detect(&text), None);
        }

        #[test]
        fn adding_text_without_a_ship_word_never_makes_a_launch(
            base in "[a-z .,!]{0,40}",
            extra in near_misses(),
        ) {
            prop_assume!(!ShipWords::default().contains_word(&base));
            let text = format!("{base} {extra}");
            prop_assert_eq!(detect(&text), None);
        }

        #[test]
        fn a_found_link_is_a_slice_of_the_input_starting_with_http(text in any::<String>()) {
            if let Some(url) = first_url(&text) {
                let offset = url.as_ptr() as usize - text.as_ptr() as usize;
                prop_assert_eq!(&text[offset..offset + url.len()], url);
                prop_assert!(url.to_ascii_lowercase().starts_with("http"));
                prop_assert!(!url.contains(char::is_whitespace));
            }
        }

        #[test]
        fn detection_ignores_case(text in "[ -~]{0,80}") {
            prop_assert_eq!(
                detect(&text).is_some(),
                detect(&text.to_ascii_uppercase()).is_some()
            );
        }

        #[test]
        fn a_ship_word_beside_a_link_is_a_launch_of_the_first_link(
            before in near_misses(),
            word in prop::sample::select(DEFAULT_SHIP_WORDS.to_vec()),
            upper in any::<bool>(),
            path in "[a-zA-Z0-9/-]{0,20}",
            ending in prop::sample::select(vec!["", ".", "!", ")", ">", "?!", "||"]),
        ) {
            let word = if upper { word.to_uppercase() } else { word.to_owned() };
            let url = format!("https://example.com/{path}");
            let text = format!("{before} {word} {url}{ending}");
            let expected = first_url(&before).unwrap_or(&url);
            prop_assert_eq!(detect(&text), Some(expected));
        }
    }
}
