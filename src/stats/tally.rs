//! Running tallies behind the report figures (migration 000011), so a year's figures sum a few
//! thousand rows instead of counting half a million:
//! - `report_tallies`: the figures that add up (inspections, hazards found, rectified, closed,
//!   and their major parts) per month (China Standard Time), county and sector;
//! - `inspected_enterprises`: which months of a year each enterprise was inspected in, under
//!   the region and sector its inspections carry, so distinct enterprises stay countable;
//! - `officer_tallies` and `officer_inspected_enterprises` (migration 000026): the same per
//!   officer, for figures grouped by inspector: a hazard counts for the officer who reported
//!   it, an inspection for every officer present.
//!
//! Every write that changes a figure calls in here inside its own transaction, so a tally
//! commits or rolls back with the write: a hazard reported, a hazard moved from one status to
//! another, an inspection submitted. `rebuild` recounts both tables from the rows (after a bulk
//! import), and `differences` says how far they are from a recount (0 when in step).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::figures::condition::{CLOSED, FOUND, MAJOR, RECTIFIED};
use crate::calendar;
use crate::db::schema::inspection_officers;
use crate::db::{Backend, DatePart, DbConnection};
use crate::hazard::model::HazardRow;
use crate::inspection::model::InspectionRow;

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
/// month. Self-inspections (自查) are not the bureau's inspections and count for nothing.
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
    let (year, month) = calendar::year_month_of(at);
    let statement = format!(
        "INSERT INTO inspected_enterprises (year, enterprise_id, region_code, sector_code, months) \
         VALUES ({}) ON CONFLICT (year, enterprise_id, region_code, sector_code) \
         DO UPDATE SET months = inspected_enterprises.months | excluded.months",
        conn.backend().placeholders(5)
    );
    diesel::sql_query(statement)
        .bind::<Integer, _>(year)
        .bind::<Text, _>(&inspection.enterprise_id)
        .bind::<Text, _>(region)
        .bind::<Text, _>(sector)
        .bind::<Integer, _>(1 << (month - 1))
        .execute(conn)?;
    let officers: Vec<String> = inspection_officers::table
        .filter(inspection_officers::inspection_id.eq(&inspection.id))
        .select(inspection_officers::user_id)
        .load(conn)?;
    let statement = format!(
        "INSERT INTO officer_inspected_enterprises \
         (year, officer_id, enterprise_id, region_code, sector_code, months) VALUES ({}) \
         ON CONFLICT (year, officer_id, enterprise_id, region_code, sector_code) \
         DO UPDATE SET months = officer_inspected_enterprises.months | excluded.months",
        conn.backend().placeholders(6)
    );
    for officer in &officers {
        add(conn, at, region, sector, Some(officer), Tally::inspection())?;
        diesel::sql_query(&statement)
            .bind::<Integer, _>(year)
            .bind::<Text, _>(officer)
            .bind::<Text, _>(&inspection.enterprise_id)
            .bind::<Text, _>(region)
            .bind::<Text, _>(sector)
            .bind::<Integer, _>(1 << (month - 1))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds `tally` to the row of the month `at` falls in, the county of `region_code`, and
/// `sector_code` (in `officer_tallies` under `officer`, when one is given), making the row if
/// it is the first.
fn add(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    region_code: &str,
    sector_code: &str,
    officer: Option<&str>,
    tally: Tally,
) -> QueryResult<()> {
    let (table, key) = match officer {
        None => ("report_tallies", "month, county_code, sector_code"),
        Some(_) => (
            "officer_tallies",
            "month, county_code, sector_code, officer_id",
        ),
    };
    let sums: Vec<String> = COUNTED
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    let keys = if officer.is_some() { 4 } else { 3 };
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
        .bind::<Text, _>(calendar::month_of(at))
        .bind::<Text, _>(county_of(region_code))
        .bind::<Text, _>(sector_code);
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
    Ok(())
}

/// What one hazard row counts for, as the counted columns in `COUNTED`'s order (a hazard is
/// no inspection).
fn hazard_columns() -> Vec<String> {
    let when = |condition: &str| format!("CASE WHEN {condition} THEN 1 ELSE 0 END");
    let counts = [
        "0".to_owned(),
        when(FOUND),
        when(&format!("{FOUND} AND {MAJOR}")),
        when(RECTIFIED),
        when(&format!("{RECTIFIED} AND {MAJOR}")),
        when(CLOSED),
    ];
    counts
        .iter()
        .zip(COUNTED)
        .map(|(expression, name)| format!("{expression} AS {name}"))
        .collect()
}

/// `report_tallies` recounted from the rows: `month, county_code, sector_code` and the counted
/// columns, one row per key with anything to count.
fn recounted_report(backend: Backend) -> String {
    let counts = hazard_columns();
    let sums: Vec<String> = COUNTED.iter().map(|c| format!("SUM({c}) AS {c}")).collect();
    let nonzero: Vec<String> = COUNTED.iter().map(|c| format!("SUM({c}) <> 0")).collect();
    format!(
        "SELECT month, county_code, sector_code, {sums} FROM ( \
           SELECT {hazard_month} AS month, substr(region_code, 1, 6) AS county_code, \
                  sector_code, {counts} FROM hazards \
           UNION ALL \
           SELECT {inspection_month}, substr(region_code, 1, 6), sector_code, 1, 0, 0, 0, 0, 0 \
           FROM inspections WHERE {SUBMITTED} \
         ) AS counted GROUP BY month, county_code, sector_code HAVING {nonzero}",
        counts = counts.join(", "),
        sums = sums.join(", "),
        hazard_month = calendar::month_sql(backend, "created_at"),
        inspection_month = calendar::month_sql(backend, "submitted_at"),
        nonzero = nonzero.join(" OR "),
    )
}

/// `officer_tallies` recounted from the rows, in `recounted_report`'s shape with `officer_id`
/// after the key: hazards under their reporter, inspections under every officer present.
fn recounted_officers(backend: Backend) -> String {
    let counts = hazard_columns();
    let sums: Vec<String> = COUNTED.iter().map(|c| format!("SUM({c}) AS {c}")).collect();
    let nonzero: Vec<String> = COUNTED.iter().map(|c| format!("SUM({c}) <> 0")).collect();
    format!(
        "SELECT month, county_code, sector_code, officer_id, {sums} FROM ( \
           SELECT {hazard_month} AS month, substr(region_code, 1, 6) AS county_code, \
                  sector_code, reported_by AS officer_id, {counts} FROM hazards \
           UNION ALL \
           SELECT {inspection_month}, substr(i.region_code, 1, 6), i.sector_code, o.user_id, \
                  1, 0, 0, 0, 0, 0 \
           FROM inspections i JOIN inspection_officers o ON o.inspection_id = i.id \
           WHERE {SUBMITTED_AS_I} \
         ) AS counted GROUP BY month, county_code, sector_code, officer_id HAVING {nonzero}",
        counts = counts.join(", "),
        sums = sums.join(", "),
        hazard_month = calendar::month_sql(backend, "created_at"),
        inspection_month = calendar::month_sql(backend, "i.submitted_at"),
        nonzero = nonzero.join(" OR "),
    )
}

/// `SUBMITTED` for an inspections table called `i`.
const SUBMITTED_AS_I: &str = "i.status = 'submitted' AND i.kind <> 'self'";

/// `officer_inspected_enterprises` recounted from the rows.
fn recounted_officers_inspected(backend: Backend) -> String {
    let year = calendar::part_sql(backend, DatePart::Year, "i.submitted_at");
    let month = calendar::part_sql(backend, DatePart::Month, "i.submitted_at");
    format!(
        "SELECT {year} AS year, o.user_id AS officer_id, i.enterprise_id, i.region_code, \
                i.sector_code, CAST(SUM(DISTINCT 1 << ({month} - 1)) AS INTEGER) AS months \
         FROM inspections i JOIN inspection_officers o ON o.inspection_id = i.id \
         WHERE {SUBMITTED_AS_I} \
         GROUP BY {year}, o.user_id, i.enterprise_id, i.region_code, i.sector_code"
    )
}

/// The inspections that count: submitted, and not self-inspections.
const SUBMITTED: &str = "status = 'submitted' AND kind <> 'self'";

/// `inspected_enterprises` recounted from the rows.
fn recounted_inspected(backend: Backend) -> String {
    let year = calendar::part_sql(backend, DatePart::Year, "submitted_at");
    let month = calendar::part_sql(backend, DatePart::Month, "submitted_at");
    // Bits add up to a bitwise OR when each is summed once.
    format!(
        "SELECT {year} AS year, enterprise_id, region_code, sector_code, \
                CAST(SUM(DISTINCT 1 << ({month} - 1)) AS INTEGER) AS months \
         FROM inspections WHERE {SUBMITTED} \
         GROUP BY {year}, enterprise_id, region_code, sector_code"
    )
}

/// The stored rows with anything to count, in the recount's columns.
fn stored_report() -> String {
    let nonzero: Vec<String> = COUNTED.iter().map(|c| format!("{c} <> 0")).collect();
    format!(
        "SELECT month, county_code, sector_code, {} FROM report_tallies WHERE {}",
        COUNTED.join(", "),
        nonzero.join(" OR ")
    )
}

const STORED_INSPECTED: &str =
    "SELECT year, enterprise_id, region_code, sector_code, months FROM inspected_enterprises";

/// The stored officer rows with anything to count, in the recount's columns.
fn stored_officers() -> String {
    let nonzero: Vec<String> = COUNTED.iter().map(|c| format!("{c} <> 0")).collect();
    format!(
        "SELECT month, county_code, sector_code, officer_id, {} FROM officer_tallies WHERE {}",
        COUNTED.join(", "),
        nonzero.join(" OR ")
    )
}

const STORED_OFFICERS_INSPECTED: &str = "SELECT year, officer_id, enterprise_id, region_code, \
     sector_code, months FROM officer_inspected_enterprises";

/// Recounts every tally from the rows, in one transaction: for after a bulk import, or if
/// `differences` ever finds them out of step.
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    let backend = conn.backend();
    conn.transaction(|conn| {
        for table in [
            "report_tallies",
            "inspected_enterprises",
            "officer_tallies",
            "officer_inspected_enterprises",
        ] {
            diesel::sql_query(format!("DELETE FROM {table}")).execute(conn)?;
        }
        diesel::sql_query(format!(
            "INSERT INTO report_tallies (month, county_code, sector_code, {}) {}",
            COUNTED.join(", "),
            recounted_report(backend)
        ))
        .execute(conn)?;
        diesel::sql_query(format!(
            "INSERT INTO inspected_enterprises \
             (year, enterprise_id, region_code, sector_code, months) {}",
            recounted_inspected(backend)
        ))
        .execute(conn)?;
        diesel::sql_query(format!(
            "INSERT INTO officer_tallies (month, county_code, sector_code, officer_id, {}) {}",
            COUNTED.join(", "),
            recounted_officers(backend)
        ))
        .execute(conn)?;
        diesel::sql_query(format!(
            "INSERT INTO officer_inspected_enterprises \
             (year, officer_id, enterprise_id, region_code, sector_code, months) {}",
            recounted_officers_inspected(backend)
        ))
        .execute(conn)?;
        Ok(())
    })
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many tally rows differ from a recount of the rows (missing, extra or wrong): 0 when the
/// tallies are in step.
pub fn differences(conn: &mut DbConnection) -> QueryResult<i64> {
    let backend = conn.backend();
    let pairs = [
        (stored_report(), recounted_report(backend)),
        (STORED_INSPECTED.to_owned(), recounted_inspected(backend)),
        (stored_officers(), recounted_officers(backend)),
        (
            STORED_OFFICERS_INSPECTED.to_owned(),
            recounted_officers_inspected(backend),
        ),
    ];
    let mut total = 0;
    for (stored, recounted) in pairs {
        for (left, right) in [(&stored, &recounted), (&recounted, &stored)] {
            let count = format!(
                "SELECT COUNT(*) AS n FROM (SELECT * FROM ({left}) AS l \
                 EXCEPT SELECT * FROM ({right}) AS r) AS d"
            );
            total += diesel::sql_query(count).get_result::<Count>(conn)?.n;
        }
    }
    Ok(total)
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
