//! Reading stored times fast. SQLite keeps a timestamp as text (`2025-03-23 09:40:21.123456`,
//! as diesel writes it), and diesel reads it back through chrono's format-string parser; on a
//! page of 50 hazards with six times each that parser was an eighth of the page's CPU. Rows
//! read in bulk name `StoredTime` for their time columns (`#[diesel(deserialize_as = …)]`): the
//! text is read in place and its digits taken by position, any other form goes to chrono, and
//! PostgreSQL's binary times are read as before.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::sql_types::{Nullable, Timestamp};

use super::{MultiBackend, MultiRawValue};

/// A `Timestamp` column's value.
#[derive(Debug, Clone, Copy, FromSqlRow)]
pub struct StoredTime(NaiveDateTime);

impl From<StoredTime> for NaiveDateTime {
    fn from(time: StoredTime) -> Self {
        time.0
    }
}

/// A nullable `Timestamp` column's value.
#[derive(Debug, Clone, Copy, FromSqlRow)]
pub struct MaybeStoredTime(Option<NaiveDateTime>);

impl From<MaybeStoredTime> for Option<NaiveDateTime> {
    fn from(time: MaybeStoredTime) -> Self {
        time.0
    }
}

impl FromSql<Timestamp, MultiBackend> for StoredTime {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        match value {
            MultiRawValue::Sqlite(mut value) => {
                let text = value.read_text();
                parse_sqlite_text(text)
                    .map(StoredTime)
                    .ok_or_else(|| format!("invalid stored time {text:?}").into())
            }
            MultiRawValue::Pg(value) => {
                <NaiveDateTime as FromSql<Timestamp, diesel::pg::Pg>>::from_sql(value)
                    .map(StoredTime)
            }
        }
    }
}

impl FromSql<Nullable<Timestamp>, MultiBackend> for MaybeStoredTime {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        let time = <StoredTime as FromSql<Timestamp, MultiBackend>>::from_sql(value)?;
        Ok(MaybeStoredTime(Some(time.0)))
    }

    fn from_nullable_sql(value: Option<MultiRawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(value) => Self::from_sql(value),
            None => Ok(MaybeStoredTime(None)),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` with up to nine digits of fraction (or a `T` between), by position;
/// any other text SQLite might hold goes to chrono with the formats diesel tries.
pub fn parse_sqlite_text(text: &str) -> Option<NaiveDateTime> {
    fast(text.as_bytes()).or_else(|| {
        DIESEL_FORMATS
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    })
}

/// The formats diesel reads a SQLite timestamp with, in its order.
const DIESEL_FORMATS: [&str; 18] = [
    "%F %T%.f",
    "%F %T%.f%:z",
    "%F %T",
    "%F %T%:z",
    "%F %R",
    "%F %RZ",
    "%F %R%:z",
    "%F %TZ",
    "%F %T%.fZ",
    "%FT%R",
    "%FT%RZ",
    "%FT%R%:z",
    "%FT%T",
    "%FT%TZ",
    "%FT%T%:z",
    "%FT%T%.f",
    "%FT%T%.fZ",
    "%FT%T%.f%:z",
];

fn fast(bytes: &[u8]) -> Option<NaiveDateTime> {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes.get(range)?.iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let punctuated = bytes.len() >= 19
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b' ' | b'T')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !punctuated {
        return None;
    }
    let nanos = match &bytes[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let value = number(20..bytes.len())?;
            value * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
    let time =
        NaiveTime::from_hms_nano_opt(number(11..13)?, number(14..16)?, number(17..19)?, nanos)?;
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono(text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, "%F %T%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%FT%T%.f"))
            .ok()
    }

    #[test]
    fn reads_what_chrono_reads() {
        for text in [
            "2025-03-23 09:40:21.000000",
            "2025-03-23 09:40:21.123456",
            "2025-03-23 09:40:21",
            "2024-02-29T23:59:59.5",
            "2026-12-31 00:00:00.123456789",
            "1999-01-01 00:00:00.000001",
        ] {
            assert_eq!(fast(text.as_bytes()), chrono(text), "{text}");
            assert!(fast(text.as_bytes()).is_some(), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_time_and_leaves_odd_forms_to_chrono() {
        for text in [
            "2025-02-30 09:40:21",
            "2025-13-01 00:00:00",
            "2025-03-23 24:00:00",
            "2025-03-23 09:40:21.",
            "2025-03-23 09:40:21.1234567890",
            "2025-03-23 09:4a:21",
            "2025-03-23",
            "",
        ] {
            assert_eq!(fast(text.as_bytes()), None, "{text}");
        }
        assert_eq!(
            parse_sqlite_text("2025-03-23 09:40"),
            chrono("2025-03-23 09:40:00")
        );
        assert_eq!(parse_sqlite_text("yesterday"), None);
        assert_eq!(
            parse_sqlite_text("2025-03-23 17:40:21+08:00"),
            chrono("2025-03-23 17:40:21")
        );
    }
}
