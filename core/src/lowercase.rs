//! Lowercasing for case-insensitive matching: ship words against a message's words, and what a
//! member types into `/unship` against their launches.
//!
//! Rust's `str::to_lowercase` carries the Unicode case tables, which were about 10 KB of the
//! Worker's gzipped wasm. With the `runtime-lowercase` feature (the Worker's build), text that
//! is not all ASCII is lowercased by the JavaScript runtime's own `String.prototype.toLowerCase`
//! instead: the same Unicode default case mapping (final sigma included), with the tables
//! already in the runtime. ASCII text, nearly all of it, never leaves Rust.

/// `text` in lowercase, as `str::to_lowercase` gives it.
pub fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    unicode(text)
}

#[cfg(all(target_arch = "wasm32", feature = "runtime-lowercase"))]
fn unicode(text: &str) -> String {
    js_sys::JsString::from(text).to_lower_case().into()
}

#[cfg(not(all(target_arch = "wasm32", feature = "runtime-lowercase")))]
fn unicode(text: &str) -> String {
    text.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_unicode_text_lowercase_as_the_standard_library_does() {
        for text in [
            "",
            "Shipped",
            "LAUNCHED v2.0 🚀",
            "ÉCLAIR Crème",
            "ΟΔΟΣ",
            "İstanbul",
            "ǅemal",
            "STRASSE ẞ",
        ] {
            assert_eq!(lowercase(text), text.to_lowercase(), "{text}");
        }
    }
}
