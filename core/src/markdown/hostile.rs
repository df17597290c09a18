//! Test support: user text written to break a message, and checks that nothing in the
//! neutralised result escaped. Shared by the markdown and digest property tests.

use proptest::prelude::*;

/// Text made of pieces that have broken Discord messages (mentions, markdown, line breaks, URLs
/// with markdown in them, multi-byte characters), mixed with arbitrary characters.
pub(crate) fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "@everyone",
            "@here",
            "@EveryOne",
            "<@1>",
            "<@!22>",
            "<@&333>",
            "<#4444>",
            "</ship:5>",
            "\n",
            "\r\n",
            "\t",
            " ",
            "  ",
            "**",
            "__",
            "~~",
            "||",
            "`",
            "```",
            "```rust\n",
            "\\",
            "# ",
            "> ",
            "- ",
            "-# ",
            "[x](https://evil.example)",
            "https://x.dev/a_b*c",
            "<https://x.dev/@everyone>",
            "https://",
            "🚀",
            "漢字",
            "👩‍💻",
            "\u{202E}",
            "\u{200B}",
            "é",
        ])
        .prop_map(String::from),
        "[a-z]{1,12}".prop_map(String::from),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// The mention tokens Discord would act on that occur in `text`: mass mentions in any ASCII case,
/// and the openings of user, role, channel and command mentions.
pub(crate) fn live_tokens(text: &str) -> Vec<&'static str> {
    let lower = text.to_ascii_lowercase();
    ["@everyone", "@here", "<@", "<#", "</"]
        .into_iter()
        .filter(|token| lower.contains(token))
        .collect()
}

/// Markdown markers in `text` that are not escaped, outside `<http…>` links (whose contents
/// Discord does not parse as markdown). A line-start marker counts only as the first character.
pub(crate) fn unescaped_markers(text: &str) -> Vec<char> {
    let mut found = Vec::new();
    if let Some(first) = text.chars().next().filter(|c| "#>-+".contains(*c)) {
        found.push(first);
    }
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '<' if is_link_at(&text[index..]) => {
                chars.by_ref().find(|&(_, c)| c == '>');
            }
            '*' | '_' | '~' | '|' | '`' | '[' => found.push(c),
            _ => {}
        }
    }
    found
}

/// Whether `text` starts with a whole `<http…>` link: no whitespace before its closing `>`.
fn is_link_at(text: &str) -> bool {
    let word = text.split(char::is_whitespace).next().unwrap_or_default();
    word.to_ascii_lowercase().starts_with("<http") && word.contains('>')
}
