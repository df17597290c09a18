//! Discord's message timestamps (`2021-07-22T15:42:57.744000+00:00`), read into UTC.
//!
//! RFC 3339 as Discord writes it: a date, `T`, a time with an optional fraction of up to nine
//! digits, then `Z` or an offset. Read by hand and checked by chrono's calendar rather than
//! through twilight-model's `Timestamp`, whose RFC 3339 parser (the `time` crate) cost the
//! Worker several kilobytes for this one field. The tests hold the two to the same answers on
//! Discord's own `+00:00` form; on other offsets twilight keeps the local time, this converts.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// `input` as a UTC time, or `None` when it is not such a timestamp or names no real time.
pub fn parse(input: &str) -> Option<DateTime<Utc>> {
    let mut cursor = Cursor(input.as_bytes());
    let year = cursor.digits(4)?;
    cursor.byte(b'-')?;
    let month = cursor.digits(2)?;
    cursor.byte(b'-')?;
    let day = cursor.digits(2)?;
    cursor.byte(b'T')?;
    let hour = cursor.digits(2)?;
    cursor.byte(b':')?;
    let minute = cursor.digits(2)?;
    cursor.byte(b':')?;
    let second = cursor.digits(2)?;
    let nanos = if cursor.byte(b'.').is_some() {
        cursor.fraction_nanos()?
    } else {
        0
    };
    let offset_minutes = match cursor.next()? {
        b'Z' => 0,
        sign @ (b'+' | b'-') => {
            let hours = cursor.digits(2)?;
            cursor.byte(b':')?;
            let minutes = cursor.digits(2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = i64::from(hours * 60 + minutes);
            if sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    if !cursor.0.is_empty() {
        return None;
    }
    let local = NaiveDate::from_ymd_opt(year as i32, month, day)?
        .and_hms_nano_opt(hour, minute, second, nanos)?;
    Some((local - TimeDelta::minutes(offset_minutes)).and_utc())
}

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn byte(&mut self, expected: u8) -> Option<()> {
        (self.0.first() == Some(&expected)).then(|| self.0 = &self.0[1..])
    }

    /// Exactly `count` ASCII digits as a number.
    fn digits(&mut self, count: usize) -> Option<u32> {
        let digits = self.0.get(..count)?;
        self.0 = &self.0[count..];
        digits.iter().try_fold(0, |value, &digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    }

    /// One to nine digits after the decimal point, as nanoseconds.
    fn fraction_nanos(&mut self) -> Option<u32> {
        let count = self
            .0
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if !(1..=9).contains(&count) {
            return None;
        }
        let value = self.digits(count)?;
        Some(value * 10u32.pow(9 - count as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use twilight_model::util::Timestamp;

    /// What twilight-model's `Timestamp` reads, as UTC microseconds.
    fn twilight_micros(input: &str) -> Option<i64> {
        Timestamp::parse(input)
            .ok()
            .map(|timestamp| timestamp.as_micros())
    }

    fn our_micros(input: &str) -> Option<i64> {
        parse(input).map(|time| time.timestamp_micros())
    }

    #[test]
    fn reads_both_forms_discord_sends() {
        assert_eq!(
            parse("2021-07-22T15:42:57.744000+00:00"),
            DateTime::from_timestamp_millis(1_626_968_577_744)
        );
        assert_eq!(
            parse("2021-07-22T15:42:57+00:00"),
            DateTime::from_timestamp(1_626_968_577, 0)
        );
    }

    #[test]
    fn offsets_and_zulu_are_converted_to_utc() {
        let utc = parse("2026-11-30T09:00:00Z");
        assert_eq!(parse("2026-11-30T10:30:00+01:30"), utc);
        assert_eq!(parse("2026-11-30T04:00:00-05:00"), utc);
        assert_eq!(parse("2026-11-30T09:00:00.000000000+00:00"), utc);
    }

    #[test]
    fn refuses_what_is_not_a_timestamp_or_no_real_time() {
        for input in [
            "",
            "last Tuesday",
            "2021-07-22",
            "2021-07-22T15:42:57",
            "2021-07-22 15:42:57+00:00",
            "2021-07-22T15:42:57.+00:00",
            "2021-07-22T15:42:57.1234567890+00:00",
            "2021-02-30T15:42:57+00:00",
            "2021-07-22T24:00:00+00:00",
            "2021-07-22T15:42:57+24:00",
            "2021-07-22T15:42:57+00:00 ",
            "２０２１-07-22T15:42:57+00:00",
        ] {
            assert_eq!(parse(input), None, "{input:?}");
        }
    }

    #[test]
    fn agrees_with_twilight_on_discords_forms_and_on_garbage() {
        for input in [
            "2021-07-22T15:42:57.744000+00:00",
            "2021-07-22T15:42:57+00:00",
            "1970-01-01T00:00:00+00:00",
            "2015-05-13T00:00:00.5+00:00",
            "last Tuesday",
            "2021-02-30T15:42:57+00:00",
            "2021-07-22T15:42:57",
        ] {
            assert_eq!(our_micros(input), twilight_micros(input), "{input:?}");
        }
    }

    /// `utc` written as Discord would in an offset of `offset_minutes`.
    fn written(utc: DateTime<Utc>, offset_minutes: i64, with_fraction: bool) -> String {
        let local = (utc + TimeDelta::minutes(offset_minutes)).naive_utc();
        let fraction = if with_fraction {
            local.format(".%6f").to_string()
        } else {
            String::new()
        };
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        format!(
            "{}{fraction}{sign}{:02}:{:02}",
            local.format("%Y-%m-%dT%H:%M:%S"),
            offset_minutes.abs() / 60,
            offset_minutes.abs() % 60,
        )
    }

    proptest! {
        /// Discord always writes `+00:00`; twilight-model reads the local time and drops any
        /// other offset, so the two are compared on Discord's own form.
        #[test]
        fn agrees_with_twilight_on_any_time_in_discords_format(
            seconds in 1_420_070_400i64..4_102_444_800,
            micros in 0u32..1_000_000,
            with_fraction: bool,
        ) {
            let utc = DateTime::from_timestamp(seconds, micros * 1000).unwrap();
            let input = written(utc, 0, with_fraction);
            prop_assert_eq!(our_micros(&input), twilight_micros(&input), "{}", input);
        }

        #[test]
        fn any_offset_names_the_same_instant(
            seconds in 1_420_070_400i64..4_102_444_800,
            micros in 0u32..1_000_000,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i64),
        ) {
            let utc = DateTime::from_timestamp(seconds, micros * 1000).unwrap();
            let input = written(utc, offset_minutes, true);
            prop_assert_eq!(parse(&input), Some(utc), "{}", input);
        }

        #[test]
        fn never_panics_on_arbitrary_text(input in "[0-9T:+.Z-]{0,40}|\\PC{0,40}") {
            let _ = parse(&input);
        }
    }
}
