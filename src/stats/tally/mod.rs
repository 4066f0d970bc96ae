//! Running tallies behind the report figures, so a year's figures sum a few thousand rows
//! instead of counting half a million. Time is kept at two grains (`Grain`), in China Standard
//! Time: whole months answer most questions, days answer the edges of a period that starts or
//! ends inside a month.
//! - `report_tallies` (migration 000011) and `day_tallies` (000027): the figures that add up
//!   (inspections, hazards found, rectified, closed, and their major parts) per month or day,
//!   county and sector;
//! - `inspected_enterprises`: which months of a year and which days of each month each
//!   enterprise was inspected in (a row per year since 000028), under the region and sector
//!   its inspections carry, so distinct enterprises stay countable over any run of days;
//! - `officer_tallies`, `officer_inspected_enterprises` (000026) and `officer_day_tallies`
//!   (000027): the same per officer, for figures grouped by inspector: a hazard counts for the
//!   officer who reported it, an inspection for every officer present.
//!
//! Every write that changes a figure calls in here inside its own transaction, so a tally
//! commits or rolls back with the write: a hazard reported, a hazard moved from one status to
//! another, an inspection submitted. `recount` rebuilds them from the rows and says how far
//! they are from a recount.

mod recount;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::calendar;
use crate::db::schema::inspection_officers;
use crate::db::{Backend, DbConnection};
use crate::hazard::model::HazardRow;
use crate::inspection::model::InspectionRow;

pub use recount::{differences, rebuild};

/// How finely a tally splits time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// `YYYY-MM` in the figures.
    Month,
    /// `YYYY-MM-DD` in the figures.
    Day,
}

impl Grain {
    pub const ALL: [Grain; 2] = [Grain::Month, Grain::Day];

    /// The table of figures: everyone's, or per officer.
    pub fn tally_table(self, per_officer: bool) -> &'static str {
        match (self, per_officer) {
            (Grain::Month, false) => "report_tallies",
            (Grain::Month, true) => "officer_tallies",
            (Grain::Day, false) => "day_tallies",
            (Grain::Day, true) => "officer_day_tallies",
        }
    }

    /// The time column of the figures' tables.
    pub fn column(self) -> &'static str {
        match self {
            Grain::Month => "month",
            Grain::Day => "day",
        }
    }

    /// The figures' time key of a stored UTC time.
    fn key_of(self, at: NaiveDateTime) -> String {
        match self {
            Grain::Month => calendar::month_of(at),
            Grain::Day => calendar::date_of(at).format("%Y-%m-%d").to_string(),
        }
    }

    /// SQL for the figures' time key of a stored UTC time column.
    fn key_sql(self, backend: Backend, column: &str) -> String {
        match self {
            Grain::Month => calendar::month_sql(backend, column),
            Grain::Day => calendar::day_sql(backend, column),
        }
    }
}

/// The table of when enterprises were inspected, a row per year: everyone's, or per officer.
pub fn inspected_table(per_officer: bool) -> &'static str {
    if per_officer {
        "officer_inspected_enterprises"
    } else {
        "inspected_enterprises"
    }
}

/// The column of an inspected-enterprise row holding the days of `month` (1-12) it was
/// inspected on, bit d-1 for day d; `months` holds bit m-1 for month m.
pub fn days_column(month: u32) -> String {
    format!("days_{month:02}")
}

/// The additive figures of one row of `report_tallies`, or what one record adds to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub inspections: i64,
    pub hazards_found: i64,
    pub major_hazards_found: i64,
    pub hazards_rectified: i64,
    pub major_hazards_rectified: i64,
    pub hazards_closed: i64,
}

/// The counted columns of `report_tallies`, in `Tally`'s order.
const COUNTED: [&str; 6] = [
    "inspections",
    "hazards_found",
    "major_hazards_found",
    "hazards_rectified",
    "major_hazards_rectified",
    "hazards_closed",
];

impl Tally {
    /// What one hazard of `level` in `status` counts for (`figures.rs`; the same definitions
    /// as `figures::condition` in SQL).
    pub fn of_hazard(level: &str, status: &str) -> Tally {
        let found = status != "cancelled";
        let major = level == "major";
        let rectified = matches!(status, "verified" | "closed");
        Tally {
            inspections: 0,
            hazards_found: found.into(),
            major_hazards_found: (found && major).into(),
            hazards_rectified: rectified.into(),
            major_hazards_rectified: (rectified && major).into(),
            hazards_closed: (status == "closed").into(),
        }
    }

    fn inspection() -> Tally {
        Tally {
            inspections: 1,
            ..Tally::default()
        }
    }

    fn parts(self) -> [i64; 6] {
        [
            self.inspections,
            self.hazards_found,
            self.major_hazards_found,
            self.hazards_rectified,
            self.major_hazards_rectified,
            self.hazards_closed,
        ]
    }

    /// What changes when a record goes from counting as `before` to counting as `self`.
    pub fn change_from(self, before: Tally) -> Tally {
        let [a, b, c, d, e, f] = self.parts();
        let [g, h, i, j, k, l] = before.parts();
        Tally {
            inspections: a - g,
            hazards_found: b - h,
            major_hazards_found: c - i,
            hazards_rectified: d - j,
            major_hazards_rectified: e - k,
            hazards_closed: f - l,
        }
    }
}

/// The county a region code lies in: its first six digits (GB/T 2260).
pub fn county_of(region_code: &str) -> &str {
    region_code.get(..6).unwrap_or(region_code)
}

/// A hazard was reported: count it in its month, county and sector.
pub fn hazard_reported(conn: &mut DbConnection, hazard: &HazardRow) -> QueryResult<()> {
    let tally = Tally::of_hazard(&hazard.level, &hazard.status);
    add_for_hazard(conn, hazard, tally)
}

/// Adds what a hazard counts for under its county and sector, and under its reporter.
fn add_for_hazard(conn: &mut DbConnection, hazard: &HazardRow, tally: Tally) -> QueryResult<()> {
    let (at, region, sector) = (hazard.created_at, &hazard.region_code, &hazard.sector_code);
    add(conn, at, region, sector, None, tally)?;
    add(conn, at, region, sector, Some(&hazard.reported_by), tally)
}

/// A hazard moved from status `from` to status `to`.
pub fn hazard_moved(
    conn: &mut DbConnection,
    hazard: &HazardRow,
    from: &str,
    to: &str,
) -> QueryResult<()> {
    let change =
        Tally::of_hazard(&hazard.level, to).change_from(Tally::of_hazard(&hazard.level, from));
    if change == Tally::default() {
        return Ok(());
    }
    add_for_hazard(conn, hazard, change)
}

/// An inspection was submitted at `at`: count it, and mark its enterprise inspected in that
/// month and on that day. Self-inspections (自查) are not the bureau's inspections and count
/// for nothing.
pub fn inspection_submitted(
    conn: &mut DbConnection,
    inspection: &InspectionRow,
    at: NaiveDateTime,
) -> QueryResult<()> {
    if inspection.kind == "self" {
        return Ok(());
    }
    let (region, sector) = (&inspection.region_code, &inspection.sector_code);
    add(conn, at, region, sector, None, Tally::inspection())?;
    mark_inspected(conn, inspection, None, at)?;
    let officers: Vec<String> = inspection_officers::table
        .filter(inspection_officers::inspection_id.eq(&inspection.id))
        .select(inspection_officers::user_id)
        .load(conn)?;
    for officer in &officers {
        add(conn, at, region, sector, Some(officer), Tally::inspection())?;
        mark_inspected(conn, inspection, Some(officer), at)?;
    }
    Ok(())
}

/// Sets the bits of `at`'s month and of its day in that month in the inspected enterprise's
/// row of its year, under `officer` when one is given.
fn mark_inspected(
    conn: &mut DbConnection,
    inspection: &InspectionRow,
    officer: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let (year, month) = calendar::year_month_of(at);
    let day = chrono::Datelike::day(&calendar::date_of(at));
    let table = inspected_table(officer.is_some());
    let days = days_column(month);
    let officer_column = if officer.is_some() {
        "officer_id, "
    } else {
        ""
    };
    let key = format!("year, {officer_column}enterprise_id, region_code, sector_code");
    let statement = format!(
        "INSERT INTO {table} ({key}, months, {days}) VALUES ({}) ON CONFLICT ({key}) \
         DO UPDATE SET months = {table}.months | excluded.months, \
         {days} = {table}.{days} | excluded.{days}",
        conn.backend()
            .placeholders(6 + usize::from(officer.is_some()))
    );
    let statement = diesel::sql_query(statement)
        .into_boxed::<crate::db::DbBackend>()
        .bind::<Integer, _>(year);
    let statement = match officer {
        Some(officer) => statement.bind::<Text, _>(officer.to_owned()),
        None => statement,
    };
    statement
        .bind::<Text, _>(inspection.enterprise_id.clone())
        .bind::<Text, _>(inspection.region_code.clone())
        .bind::<Text, _>(inspection.sector_code.clone())
        .bind::<Integer, _>(1 << (month - 1))
        .bind::<Integer, _>(1 << (day - 1))
        .execute(conn)?;
    Ok(())
}

/// Adds `tally` to the rows of the month and the day `at` falls in, the county of
/// `region_code`, and `sector_code` (in the officer tables under `officer`, when one is
/// given), making a row if it is the first.
fn add(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    region_code: &str,
    sector_code: &str,
    officer: Option<&str>,
    tally: Tally,
) -> QueryResult<()> {
    for grain in Grain::ALL {
        let table = grain.tally_table(officer.is_some());
        let officer_column = if officer.is_some() {
            ", officer_id"
        } else {
            ""
        };
        let key = format!(
            "{}, county_code, sector_code{officer_column}",
            grain.column()
        );
        let sums: Vec<String> = COUNTED
            .iter()
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
            .collect();
        let keys = 3 + usize::from(officer.is_some());
        let statement = format!(
            "INSERT INTO {table} ({key}, {}) VALUES ({}) \
             ON CONFLICT ({key}) DO UPDATE SET {}",
            COUNTED.join(", "),
            conn.backend().placeholders(keys + COUNTED.len()),
            sums.join(", ")
        );
        let [a, b, c, d, e, f] = tally.parts();
        let statement = diesel::sql_query(statement)
            .into_boxed::<crate::db::DbBackend>()
            .bind::<Text, _>(grain.key_of(at))
            .bind::<Text, _>(county_of(region_code).to_owned())
            .bind::<Text, _>(sector_code.to_owned());
        let statement = match officer {
            Some(officer) => statement.bind::<Text, _>(officer.to_owned()),
            None => statement,
        };
        statement
            .bind::<BigInt, _>(a)
            .bind::<BigInt, _>(b)
            .bind::<BigInt, _>(c)
            .bind::<BigInt, _>(d)
            .bind::<BigInt, _>(e)
            .bind::<BigInt, _>(f)
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hazard_counts_by_its_level_and_status() {
        let open = Tally::of_hazard("general", "open");
        assert_eq!((open.hazards_found, open.hazards_rectified), (1, 0));
        let major_closed = Tally::of_hazard("major", "closed");
        assert_eq!(
            major_closed,
            Tally {
                inspections: 0,
                hazards_found: 1,
                major_hazards_found: 1,
                hazards_rectified: 1,
                major_hazards_rectified: 1,
                hazards_closed: 1,
            }
        );
        assert_eq!(Tally::of_hazard("major", "cancelled"), Tally::default());
        let submitted = Tally::of_hazard("general", "submitted");
        assert_eq!(
            submitted, open,
            "a claimed rectification is not yet rectified"
        );
    }

    #[test]
    fn moves_change_only_what_they_change() {
        let of = |status| Tally::of_hazard("major", status);
        assert_eq!(of("submitted").change_from(of("open")), Tally::default());
        let verified = of("verified").change_from(of("submitted"));
        assert_eq!(
            (verified.hazards_rectified, verified.major_hazards_rectified),
            (1, 1)
        );
        assert_eq!(verified.hazards_found, 0);
        // A refused closure sends a verified hazard back: it is no longer rectified.
        let reopened = of("open").change_from(of("verified"));
        assert_eq!(reopened.hazards_rectified, -1);
        let cancelled = of("cancelled").change_from(of("open"));
        assert_eq!(
            (cancelled.hazards_found, cancelled.major_hazards_found),
            (-1, -1)
        );
    }

    #[test]
    fn counties_are_six_digits() {
        assert_eq!(county_of("360704101001"), "360704");
        assert_eq!(county_of("3607"), "3607");
    }
}
