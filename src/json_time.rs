//! Times in JSON answers, written exactly as chrono's `Serialize` writes them (RFC 3339 in UTC
//! with `Z`, and a fraction of 3, 6 or 9 digits only when the time has one), without its
//! formatter. chrono hands serde_json a `Display` that goes a character at a time through the
//! string escaper; for a page of 50 hazards with five times each that was ~9% of the page's
//! CPU (`scripts/bench-list`). Answers read in bulk name these on their time fields
//! (`#[serde(serialize_with = "crate::json_time::utc")]`); a time this does not cover (a year
//! outside 0–9999, a leap second) is handed to chrono.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

/// The longest form written here: `2026-12-02T15:04:05.123456789Z`.
const LONGEST: usize = 30;

/// A time, as chrono would write it.
pub fn utc<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = [0u8; LONGEST];
    match write(time, &mut text) {
        Some(len) => serializer.serialize_str(std::str::from_utf8(&text[..len]).expect("ASCII")),
        None => time.serialize(serializer),
    }
}

/// A time or `null`, as chrono would write it.
pub fn maybe_utc<S: Serializer>(
    time: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => utc(time, serializer),
        None => serializer.serialize_none(),
    }
}

/// Writes `time` into `text` and says how many bytes it took, or `None` for a form chrono
/// writes another way.
fn write(time: &DateTime<Utc>, text: &mut [u8; LONGEST]) -> Option<usize> {
    // Read from the naive time: each field of a `DateTime` adds its (zero) offset again.
    let time = time.naive_utc();
    let year = time.year();
    let nanos = time.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    digits(&mut text[0..4], year as u32);
    text[4] = b'-';
    digits(&mut text[5..7], time.month());
    text[7] = b'-';
    digits(&mut text[8..10], time.day());
    text[10] = b'T';
    digits(&mut text[11..13], time.hour());
    text[13] = b':';
    digits(&mut text[14..16], time.minute());
    text[16] = b':';
    digits(&mut text[17..19], time.second());
    let (fraction, width) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    let mut len = 19;
    if width > 0 {
        text[19] = b'.';
        digits(&mut text[20..20 + width], fraction);
        len = 20 + width;
    }
    text[len] = b'Z';
    Some(len + 1)
}

/// `value` in decimal, padded with zeros to fill `out`.
fn digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    #[derive(Serialize)]
    struct Ours {
        #[serde(serialize_with = "utc")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "maybe_utc")]
        maybe: Option<DateTime<Utc>>,
    }

    #[derive(Serialize)]
    struct Chronos {
        at: DateTime<Utc>,
        maybe: Option<DateTime<Utc>>,
    }

    fn same_as_chrono(at: DateTime<Utc>) {
        for maybe in [Some(at), None] {
            let ours = serde_json::to_string(&Ours { at, maybe }).unwrap();
            let chronos = serde_json::to_string(&Chronos { at, maybe }).unwrap();
            assert_eq!(ours, chronos, "{at:?}");
        }
    }

    fn at(year: i32, nanos: u32) -> DateTime<Utc> {
        let date = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
        Utc.from_utc_datetime(&date.and_hms_nano_opt(23, 59, 58, nanos).unwrap())
    }

    #[test]
    fn every_fraction_width_is_written_as_chrono_writes_it() {
        for nanos in [
            0,
            1,
            10,
            999,
            1_000,
            120_000,
            999_999,
            1_000_000,
            5_000_000,
            123_000_000,
            123_456_000,
            123_456_789,
            999_999_999,
        ] {
            same_as_chrono(at(2026, nanos));
        }
    }

    #[test]
    fn every_year_chrono_writes_with_four_digits_and_past_them() {
        for year in [-10_000, -1, 0, 1, 9, 99, 999, 1970, 9999, 10_000, 262_142] {
            same_as_chrono(at(year, 0));
            same_as_chrono(at(year, 7_000));
        }
    }

    #[test]
    fn a_leap_second_is_left_to_chrono() {
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap();
        same_as_chrono(Utc.from_utc_datetime(&leap));
    }

    #[test]
    fn a_spread_of_times_is_written_as_chrono_writes_them() {
        // Every field at every width: a walk through four centuries in uneven steps.
        let mut seconds: i64 = -2_208_988_800; // 1900-01-01
        let mut nanos: u32 = 0;
        while seconds < 10_000_000_000 {
            same_as_chrono(DateTime::from_timestamp(seconds, nanos).unwrap());
            seconds += 7_777_777 + i64::from(nanos % 86_400);
            nanos = (nanos.wrapping_mul(1_103_515_245).wrapping_add(12_345)) % 1_000_000_000;
            if nanos.is_multiple_of(3) {
                nanos -= nanos % 1_000_000;
            }
        }
    }
}
