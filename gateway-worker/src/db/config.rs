//! Where the database is, parsed once from `DATABASE_URL` and `DATABASE_AUTH_TOKEN`.
//!
//! `file:` URLs name an embedded libSQL file (the local default); `libsql://`, `https://` and
//! `http://` name a libSQL server (Turso in production, `testkit dev-db` locally). `libsql://`
//! is Turso's spelling of HTTPS.

use std::path::PathBuf;

use thiserror::Error;

/// The variable naming the database.
pub const URL_VAR: &str = "DATABASE_URL";
/// The variable holding the server's bearer token, if it needs one.
pub const AUTH_TOKEN_VAR: &str = "DATABASE_AUTH_TOKEN";
/// The database used when `DATABASE_URL` is unset or empty: a file in the working directory.
pub const DEFAULT_URL: &str = "file:shiptrack.db";

/// Where the database lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// An embedded libSQL database file.
    File(PathBuf),
    /// A libSQL server spoken to over HTTP(S) (Hrana); the URL is `http://` or `https://`.
    Remote { url: String },
}

/// The database settings, parsed from the environment.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    pub location: DatabaseLocation,
    /// Bearer token for a server; `None` when unset or empty.
    pub auth_token: Option<String>,
}

/// A database setting that cannot be used; the message names the variable to fix.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DatabaseConfigError {
    #[error(
        "{URL_VAR}={value:?} is not supported: use file:PATH for an embedded database, or a libsql://, https:// or http:// URL for a libSQL server"
    )]
    UnsupportedScheme { value: String },
    #[error("{URL_VAR}={value:?} names no file: write it as file:PATH, e.g. {DEFAULT_URL}")]
    EmptyPath { value: String },
    #[error(
        "{URL_VAR}={value:?} has query parameters, which are not supported: remove everything from `?` on"
    )]
    QueryParameters { value: String },
    #[error("{URL_VAR}={value:?} names no host: write it as SCHEME://HOST[:PORT]")]
    MissingHost { value: String },
    #[error("{var} is not valid UTF-8: set it to plain text")]
    NotUnicode { var: &'static str },
}

impl std::fmt::Debug for DatabaseConfig {
    /// Never prints the token, so a config can be logged.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("location", &self.location)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl DatabaseConfig {
    /// Reads `DATABASE_URL` and `DATABASE_AUTH_TOKEN`; an unset or empty variable takes its default.
    pub fn from_env() -> Result<Self, DatabaseConfigError> {
        Self::parse(
            read_var(URL_VAR)?.as_deref(),
            read_var(AUTH_TOKEN_VAR)?.as_deref(),
        )
    }

    /// Parses the two settings' values, `None` standing for an unset variable.
    pub fn parse(url: Option<&str>, auth_token: Option<&str>) -> Result<Self, DatabaseConfigError> {
        let url = url
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .unwrap_or(DEFAULT_URL);
        Ok(Self {
            location: parse_location(url)?,
            auth_token: auth_token
                .map(str::trim)
                .filter(|token| !token.is_empty())
                .map(str::to_owned),
        })
    }

    /// The location for messages: the path or the URL, never the token.
    pub fn describe(&self) -> String {
        match &self.location {
            DatabaseLocation::File(path) => format!("file:{}", path.display()),
            DatabaseLocation::Remote { url } => url.clone(),
        }
    }
}

fn read_var(var: &'static str) -> Result<Option<String>, DatabaseConfigError> {
    match std::env::var(var) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(DatabaseConfigError::NotUnicode { var }),
    }
}

fn parse_location(url: &str) -> Result<DatabaseLocation, DatabaseConfigError> {
    let value = || url.to_owned();
    if let Some(path) = url.strip_prefix("file:") {
        // `file:///abs/path` is the URI spelling of `/abs/path`; `file:rel/path` is relative.
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.contains('?') {
            return Err(DatabaseConfigError::QueryParameters { value: value() });
        }
        if path.is_empty() {
            return Err(DatabaseConfigError::EmptyPath { value: value() });
        }
        return Ok(DatabaseLocation::File(PathBuf::from(path)));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| DatabaseConfigError::UnsupportedScheme { value: value() })?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        // Turso's libsql:// URLs are served over HTTPS.
        "libsql" | "https" => "https",
        "http" => "http",
        _ => return Err(DatabaseConfigError::UnsupportedScheme { value: value() }),
    };
    if rest.contains('?') {
        return Err(DatabaseConfigError::QueryParameters { value: value() });
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(DatabaseConfigError::MissingHost { value: value() });
    }
    Ok(DatabaseLocation::Remote {
        url: format!("{scheme}://{}", rest.trim_end_matches('/')),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(url: &str) -> Result<DatabaseLocation, DatabaseConfigError> {
        DatabaseConfig::parse(Some(url), None).map(|config| config.location)
    }

    fn remote(url: &str) -> DatabaseLocation {
        DatabaseLocation::Remote {
            url: url.to_owned(),
        }
    }

    #[test]
    fn an_unset_or_empty_url_means_the_local_file() {
        for url in [None, Some(""), Some("  ")] {
            let config = DatabaseConfig::parse(url, None).unwrap();
            assert_eq!(
                config.location,
                DatabaseLocation::File("shiptrack.db".into())
            );
        }
    }

    #[test]
    fn file_urls_name_relative_and_absolute_paths() {
        assert_eq!(
            location("file:data/bot.db"),
            Ok(DatabaseLocation::File("data/bot.db".into()))
        );
        assert_eq!(
            location("file:/var/lib/bot.db"),
            Ok(DatabaseLocation::File("/var/lib/bot.db".into()))
        );
        assert_eq!(
            location("file:///var/lib/bot.db"),
            Ok(DatabaseLocation::File("/var/lib/bot.db".into()))
        );
    }

    #[test]
    fn libsql_urls_are_spoken_to_over_https() {
        assert_eq!(
            location("libsql://team-db.turso.io"),
            Ok(remote("https://team-db.turso.io"))
        );
        assert_eq!(
            location("LIBSQL://team-db.turso.io/"),
            Ok(remote("https://team-db.turso.io"))
        );
    }

    #[test]
    fn http_and_https_urls_are_kept() {
        assert_eq!(
            location("http://127.0.0.1:8080"),
            Ok(remote("http://127.0.0.1:8080"))
        );
        assert_eq!(
            location("https://db.example.com"),
            Ok(remote("https://db.example.com"))
        );
    }

    #[test]
    fn other_schemes_are_refused_naming_the_variable() {
        for url in [
            "postgres://localhost/db",
            "shiptrack.db",
            "ws://127.0.0.1:8080",
        ] {
            let error = location(url).unwrap_err();
            assert_eq!(
                error,
                DatabaseConfigError::UnsupportedScheme {
                    value: url.to_owned()
                }
            );
            assert!(error.to_string().starts_with("DATABASE_URL="), "{error}");
        }
    }

    #[test]
    fn a_file_url_without_a_path_is_refused() {
        assert_eq!(
            location("file:"),
            Err(DatabaseConfigError::EmptyPath {
                value: "file:".into()
            })
        );
    }

    #[test]
    fn query_parameters_are_refused_instead_of_becoming_part_of_a_name() {
        assert!(matches!(
            location("file:bot.db?mode=ro"),
            Err(DatabaseConfigError::QueryParameters { .. })
        ));
        assert!(matches!(
            location("libsql://db.turso.io?authToken=x"),
            Err(DatabaseConfigError::QueryParameters { .. })
        ));
    }

    #[test]
    fn a_server_url_without_a_host_is_refused() {
        assert!(matches!(
            location("https://"),
            Err(DatabaseConfigError::MissingHost { .. })
        ));
    }

    #[test]
    fn an_empty_token_counts_as_none() {
        let config = DatabaseConfig::parse(Some("http://127.0.0.1:1"), Some("")).unwrap();
        assert_eq!(config.auth_token, None);
        let config = DatabaseConfig::parse(Some("http://127.0.0.1:1"), Some("secret")).unwrap();
        assert_eq!(config.auth_token.as_deref(), Some("secret"));
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let config =
            DatabaseConfig::parse(Some("libsql://db.turso.io"), Some("secret-token")).unwrap();
        let shown = format!("{config:?} {}", config.describe());
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(shown.contains("https://db.turso.io"), "{shown}");
    }
}
