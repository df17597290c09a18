//! The gateway URL we connect to: Discord's `url` (or a session's `resume_gateway_url`) plus the
//! version, encoding and transport compression as query parameters.
//!
//! Discord asks for the same parameters on the resume URL as on the first connection, so every
//! connection builds its URL here.

use super::Compression;

/// The gateway API version this client speaks (DESIGN.md: `v=10`).
const API_VERSION: u8 = 10;

/// `base` with `?v=10&encoding=json`, plus `&compress=zlib-stream` when asked for.
///
/// Discord's URLs have no path (`wss://gateway.discord.gg`); a request needs one, so a bare
/// host gets `/`. A base that already has a path or a query keeps it.
pub fn connect_url(base: &str, compression: Compression) -> String {
    let base = base.trim_end_matches('/');
    let has_path = base
        .split_once("://")
        .map_or(base, |(_, rest)| rest)
        .contains(['/', '?']);
    let separator = match (has_path, base.contains('?')) {
        (_, true) => "&",
        (true, false) => "?",
        (false, false) => "/?",
    };
    let compress = match compression {
        Compression::ZlibStream => "&compress=zlib-stream",
        Compression::None => "",
    };
    format!("{base}{separator}v={API_VERSION}&encoding=json{compress}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_gets_a_root_path_and_the_query() {
        assert_eq!(
            connect_url("wss://gateway.discord.gg", Compression::None),
            "wss://gateway.discord.gg/?v=10&encoding=json"
        );
    }

    #[test]
    fn zlib_stream_is_asked_for_in_the_query() {
        assert_eq!(
            connect_url("wss://gateway.discord.gg/", Compression::ZlibStream),
            "wss://gateway.discord.gg/?v=10&encoding=json&compress=zlib-stream"
        );
    }

    #[test]
    fn a_url_with_a_path_keeps_it() {
        assert_eq!(
            connect_url("ws://127.0.0.1:4000/gateway", Compression::None),
            "ws://127.0.0.1:4000/gateway?v=10&encoding=json"
        );
    }

    #[test]
    fn a_url_with_a_query_is_extended() {
        assert_eq!(
            connect_url("ws://127.0.0.1:4000/gateway?shard=1", Compression::None),
            "ws://127.0.0.1:4000/gateway?shard=1&v=10&encoding=json"
        );
    }
}
