//! The optional bearer-token check. Both reference clients send `Authorization: Bearer <token>`
//! (the `libsql` crate always, with an empty token when it has none; `@libsql/client` only when
//! given one), so that is the one form accepted.

use axum::http::HeaderValue;

/// Whether a request may proceed: always without a configured token, otherwise only with
/// that exact bearer token.
pub(super) fn is_authorized(expected: Option<&str>, authorization: Option<&HeaderValue>) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    authorization
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .is_some_and(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && token == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a request carrying `authorization` passes a server started with `s3cret`.
    fn passes(authorization: Option<&str>) -> bool {
        let header = authorization.map(|value| HeaderValue::from_str(value).expect("header"));
        is_authorized(Some("s3cret"), header.as_ref())
    }

    #[test]
    fn without_a_configured_token_anything_passes() {
        assert!(is_authorized(None, None));
        assert!(is_authorized(
            None,
            Some(&HeaderValue::from_static("Bearer "))
        ));
    }

    #[test]
    fn the_configured_bearer_token_passes_in_any_scheme_case() {
        assert!(passes(Some("Bearer s3cret")));
        assert!(passes(Some("bearer s3cret")));
    }

    #[test]
    fn a_missing_wrong_or_non_bearer_credential_is_refused() {
        for refused in [
            None,
            Some("Bearer wrong"),
            Some("Bearer s3cret2"),
            Some("Basic s3cret"),
            Some("s3cret"),
        ] {
            assert!(!passes(refused), "{refused:?}");
        }
    }
}
