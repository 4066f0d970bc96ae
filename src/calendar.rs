//! The bureau's calendar. Reports count days, months and years in China Standard Time
//! (UTC+08:00, no daylight saving): a hazard found at 23:30 UTC on 31 December belongs to the
//! next year's report. Times are stored in UTC; only period bounds and group keys use this.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::db::{Backend, DatePart};

/// UTC+08:00 in seconds.
pub const OFFSET_SECS: i32 = 8 * 3600;

pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(OFFSET_SECS).expect("a valid offset")
}

/// The calendar year a moment falls in, in China Standard Time.
pub fn year_of(at: DateTime<Utc>) -> i32 {
    at.with_timezone(&offset()).year()
}

/// `YYYY-MM` of a stored UTC time, in China Standard Time.
pub fn month_of(at: NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&offset())
        .format("%Y-%m")
        .to_string()
}

/// The date (China Standard Time) of a stored UTC time.
pub fn date_of(at: NaiveDateTime) -> NaiveDate {
    at.and_utc().with_timezone(&offset()).date_naive()
}

/// The year and month number (1-12) of a stored UTC time, in China Standard Time.
pub fn year_month_of(at: NaiveDateTime) -> (i32, u32) {
    let local = at.and_utc().with_timezone(&offset());
    (local.year(), local.month())
}

/// The year and month a stored UTC time opens, if it is midnight on the first of a month in
/// China Standard Time.
pub fn month_opened_by(at: NaiveDateTime) -> Option<(i32, u32)> {
    let local = at.and_utc().with_timezone(&offset()).naive_local();
    (local.day() == 1 && local.time() == chrono::NaiveTime::MIN)
        .then(|| (local.year(), local.month()))
}

/// The date a stored UTC time opens, if it is midnight in China Standard Time.
pub fn day_opened_by(at: NaiveDateTime) -> Option<NaiveDate> {
    let local = at.and_utc().with_timezone(&offset()).naive_local();
    (local.time() == chrono::NaiveTime::MIN).then(|| local.date())
}

/// SQL for `YYYY-MM-DD` of a stored UTC time column, in China Standard Time.
pub fn day_sql(backend: Backend, column: &str) -> String {
    backend.day_text(column, OFFSET_SECS / 3600)
}

/// SQL for `YYYY-MM` of a stored UTC time column, in China Standard Time.
pub fn month_sql(backend: Backend, column: &str) -> String {
    backend.month_text(column, OFFSET_SECS / 3600)
}

/// SQL for the year or the month number of a stored UTC time column, in China Standard Time,
/// as an integer.
pub fn part_sql(backend: Backend, part: DatePart, column: &str) -> String {
    backend.date_part(part, column, OFFSET_SECS / 3600)
}

/// A period bound from a query: a date (`2023-01-01`, midnight in China Standard Time) or an
/// RFC 3339 time. `None` when it is neither.
pub fn parse_bound(text: &str) -> Option<NaiveDateTime> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = offset()
            .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
            .single()?;
        return Some(midnight.naive_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc).naive_utc())
}

/// A period bound from the query parameter `field`, if given; a 422 naming it if unreadable.
pub fn bound_param(
    field: &str,
    text: Option<&str>,
) -> Result<Option<NaiveDateTime>, crate::error::ApiError> {
    text.map(|t| {
        let bound = parse_bound(t).ok_or_else(|| {
            crate::error::ApiError::validation(
                field,
                "must be a date (YYYY-MM-DD) or an RFC 3339 time",
            )
        })?;
        // Years SQLite's text times and every calendar step here handle; a bureau's records
        // start long after 1900.
        if !(1900..=9999).contains(&chrono::Datelike::year(&bound)) {
            return Err(crate::error::ApiError::validation(
                field,
                "must lie between the years 1900 and 9999",
            ));
        }
        Ok(bound)
    })
    .transpose()
}

/// Midnight of 1 January of `year`, China Standard Time, as stored UTC.
pub fn start_of_year(year: i32) -> NaiveDateTime {
    parse_bound(&format!("{year:04}-01-01")).expect("a valid date")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_turn_at_midnight_in_beijing() {
        let late = DateTime::parse_from_rfc3339("2023-12-31T16:30:00Z").unwrap();
        assert_eq!(year_of(late.with_timezone(&Utc)), 2024);
        let early = DateTime::parse_from_rfc3339("2023-12-31T15:59:59Z").unwrap();
        assert_eq!(year_of(early.with_timezone(&Utc)), 2023);
        assert_eq!(month_of(late.naive_utc()), "2024-01");
    }

    #[test]
    fn months_open_at_midnight_in_beijing() {
        let first = parse_bound("2024-03-01").unwrap();
        assert_eq!(month_opened_by(first), Some((2024, 3)));
        assert_eq!(year_month_of(first), (2024, 3));
        assert_eq!(
            year_month_of(first - chrono::Duration::seconds(1)),
            (2024, 2)
        );
        assert_eq!(month_opened_by(first + chrono::Duration::seconds(1)), None);
        assert_eq!(month_opened_by(parse_bound("2024-03-02").unwrap()), None);
        // Midnight UTC on the first is 08:00 in Beijing: not a month's start.
        let utc_midnight = parse_bound("2024-03-01T00:00:00Z").unwrap();
        assert_eq!(month_opened_by(utc_midnight), None);
    }

    #[test]
    fn days_open_at_midnight_in_beijing() {
        let fifteenth = parse_bound("2024-03-15").unwrap();
        let date = NaiveDate::from_ymd_opt(2024, 3, 15).unwrap();
        assert_eq!(day_opened_by(fifteenth), Some(date));
        assert_eq!(date_of(fifteenth), date);
        assert_eq!(
            date_of(fifteenth - chrono::Duration::seconds(1)),
            date.pred_opt().unwrap()
        );
        assert_eq!(
            day_opened_by(fifteenth + chrono::Duration::seconds(1)),
            None
        );
        let utc_midnight = parse_bound("2024-03-15T00:00:00Z").unwrap();
        assert_eq!(day_opened_by(utc_midnight), None);
    }

    #[test]
    fn bounds_are_dates_or_times() {
        assert_eq!(
            parse_bound("2023-01-01").unwrap().to_string(),
            "2022-12-31 16:00:00"
        );
        assert_eq!(
            parse_bound("2023-06-01T00:00:00Z").unwrap().to_string(),
            "2023-06-01 00:00:00"
        );
        assert_eq!(start_of_year(2024), parse_bound("2024-01-01").unwrap());
        for bad in ["2023-13-01", "yesterday", "2023-01-01 00:00", ""] {
            assert!(parse_bound(bad).is_none(), "{bad}");
        }
    }
}
