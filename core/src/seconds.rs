//! Discord's durations in decimal seconds (`X-RateLimit-Reset-After: 1.250`, `Retry-After: 3`),
//! read exactly and without floating point: both the Worker and the gateway worker pace their
//! REST calls by them, and float parsing alone cost the Worker's wasm about 12 KB of tables.

use std::time::Duration;

/// `value` (surrounding whitespace allowed) as a duration: digits, optionally a point and more
/// digits, to the nanosecond (further digits are dropped). Anything else, a sign or an
/// exponent included, is `None`.
pub fn parse(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let seconds = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0, |nanos, digit| nanos * 10 + u32::from(digit - b'0'));
    Some(Duration::new(seconds, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_what_discord_sends() {
        assert_eq!(parse("1.250"), Some(Duration::from_millis(1250)));
        assert_eq!(parse("0.4"), Some(Duration::from_millis(400)));
        assert_eq!(parse("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse(" 64.57 "), Some(Duration::from_millis(64_570)));
        assert_eq!(parse("0.000000001"), Some(Duration::from_nanos(1)));
        assert_eq!(parse("0.0000000019"), Some(Duration::from_nanos(1)));
        assert_eq!(parse(".5"), Some(Duration::from_millis(500)));
        assert_eq!(parse("5."), Some(Duration::from_secs(5)));
    }

    #[test]
    fn refuses_what_is_not_a_plain_decimal() {
        for value in [
            "",
            ".",
            " ",
            "-1",
            "+1",
            "1e3",
            "inf",
            "NaN",
            "1.2.3",
            "1,5",
            "0x10",
            "１",
            "99999999999999999999999",
        ] {
            assert_eq!(parse(value), None, "{value:?}");
        }
    }

    proptest! {
        /// Exact to the millisecond, and within a microsecond of the float path it replaced.
        #[test]
        fn reads_milliseconds_exactly(millis in 0u64..100_000_000) {
            let text = format!("{}.{:03}", millis / 1000, millis % 1000);
            let parsed = parse(&text).unwrap();
            prop_assert_eq!(parsed, Duration::from_millis(millis));
            let float = Duration::from_secs_f64(text.parse::<f64>().unwrap());
            prop_assert!(parsed.abs_diff(float) < Duration::from_micros(1), "{}", text);
        }

        #[test]
        fn never_panics(value in "\\PC{0,30}") {
            let _ = parse(&value);
        }
    }
}
