//! The tallies recounted from the rows: `rebuild` replaces them with a recount (after a bulk
//! import, or if they were ever found out of step), `differences` says how many tally rows a
//! recount would change. Both cover every table at every grain.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{COUNTED, Grain, days_column, inspected_table};
use crate::calendar;
use crate::db::{Backend, DatePart, DbConnection};
use crate::stats::figures::condition::{CLOSED, FOUND, MAJOR, RECTIFIED};

/// The inspections that count: submitted, and not self-inspections (in a table called `i`).
const SUBMITTED: &str = "i.status = 'submitted' AND i.kind <> 'self'";

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

/// The key columns of a figures table, in its primary key's order.
fn tally_key(grain: Grain, per_officer: bool) -> String {
    let officer = if per_officer { ", officer_id" } else { "" };
    format!("{}{officer}, county_code, sector_code", grain.column())
}

/// How many leading columns of a table's recount are its primary key.
fn key_width(per_officer: bool, inspected: bool) -> usize {
    // time, county, sector; or year, enterprise, region, sector; and the officer.
    3 + usize::from(inspected) + usize::from(per_officer)
}

/// A figures table recounted from the rows: its key and the counted columns, one row per key
/// with anything to count. Per officer, hazards count under their reporter and inspections
/// under every officer present.
fn recounted_tally(backend: Backend, grain: Grain, per_officer: bool) -> String {
    let sums: Vec<String> = COUNTED.iter().map(|c| format!("SUM({c}) AS {c}")).collect();
    let nonzero: Vec<String> = COUNTED.iter().map(|c| format!("SUM({c}) <> 0")).collect();
    let (hazard_officer, inspection_officer, officers) = if per_officer {
        (
            ", reported_by AS officer_id",
            ", o.user_id",
            "JOIN inspection_officers o ON o.inspection_id = i.id",
        )
    } else {
        ("", "", "")
    };
    let time = grain.column();
    let key = tally_key(grain, per_officer);
    format!(
        "SELECT {key}, {sums} FROM ( \
           SELECT {hazard_time} AS {time}, substr(region_code, 1, 6) AS county_code, \
                  sector_code{hazard_officer}, {counts} FROM hazards \
           UNION ALL \
           SELECT {inspection_time}, substr(i.region_code, 1, 6), i.sector_code\
                  {inspection_officer}, 1, 0, 0, 0, 0, 0 \
           FROM inspections i {officers} WHERE {SUBMITTED} \
         ) AS counted GROUP BY {key} HAVING {nonzero}",
        counts = hazard_columns().join(", "),
        sums = sums.join(", "),
        hazard_time = grain.key_sql(backend, "created_at"),
        inspection_time = grain.key_sql(backend, "i.submitted_at"),
        nonzero = nonzero.join(" OR "),
    )
}

/// The stored rows of a figures table with anything to count, in the recount's columns.
fn stored_tally(grain: Grain, per_officer: bool) -> String {
    let nonzero: Vec<String> = COUNTED.iter().map(|c| format!("{c} <> 0")).collect();
    format!(
        "SELECT {}, {} FROM {} WHERE {}",
        tally_key(grain, per_officer),
        COUNTED.join(", "),
        grain.tally_table(per_officer),
        nonzero.join(" OR ")
    )
}

/// The columns of an inspected-enterprise table, in the order the recount selects them.
fn inspected_columns(per_officer: bool) -> String {
    let officer = if per_officer { "officer_id, " } else { "" };
    let days: Vec<String> = (1..=12).map(days_column).collect();
    format!(
        "year, {officer}enterprise_id, region_code, sector_code, months, {}",
        days.join(", ")
    )
}

/// An inspected-enterprise table recounted from the rows.
fn recounted_inspected(backend: Backend, per_officer: bool) -> String {
    let part = |part| calendar::part_sql(backend, part, "i.submitted_at");
    let (year, month, day) = (
        part(DatePart::Year),
        part(DatePart::Month),
        part(DatePart::Day),
    );
    let (officer, officers) = if per_officer {
        (
            "o.user_id, ",
            "JOIN inspection_officers o ON o.inspection_id = i.id",
        )
    } else {
        ("", "")
    };
    // Bits add up to a bitwise OR when each is summed once.
    let days: Vec<String> = (1..=12)
        .map(|m| {
            format!(
                "CAST(SUM(DISTINCT CASE WHEN {month} = {m} THEN 1 << ({day} - 1) ELSE 0 END) \
                 AS INTEGER)"
            )
        })
        .collect();
    format!(
        "SELECT {year}, {officer}i.enterprise_id, i.region_code, i.sector_code, \
                CAST(SUM(DISTINCT 1 << ({month} - 1)) AS INTEGER), {} \
         FROM inspections i {officers} WHERE {SUBMITTED} \
         GROUP BY {year}, {officer}i.enterprise_id, i.region_code, i.sector_code",
        days.join(", ")
    )
}

fn stored_inspected(per_officer: bool) -> String {
    format!(
        "SELECT {} FROM {}",
        inspected_columns(per_officer),
        inspected_table(per_officer)
    )
}

/// A tally table with the statements that read it back and recount it.
struct Table {
    name: &'static str,
    columns: String,
    stored: String,
    recounted: String,
    /// How many leading columns of `columns` are the primary key.
    key_width: usize,
}

fn tables(backend: Backend) -> Vec<Table> {
    let mut tables = Vec::new();
    for grain in Grain::ALL {
        for per_officer in [false, true] {
            tables.push(Table {
                name: grain.tally_table(per_officer),
                columns: format!("{}, {}", tally_key(grain, per_officer), COUNTED.join(", ")),
                stored: stored_tally(grain, per_officer),
                recounted: recounted_tally(backend, grain, per_officer),
                key_width: key_width(per_officer, false),
            });
        }
    }
    for per_officer in [false, true] {
        tables.push(Table {
            name: inspected_table(per_officer),
            columns: inspected_columns(per_officer),
            stored: stored_inspected(per_officer),
            recounted: recounted_inspected(backend, per_officer),
            key_width: key_width(per_officer, true),
        });
    }
    tables
}

/// Recounts every tally from the rows, in one transaction: for after a bulk import, or if
/// `differences` ever finds them out of step. Rows are written in their primary key's order,
/// into emptied tables, so a recounted tally lies on disk as one grown day by day does, and a
/// run of days is read from a run of pages rather than from a page for each row. On PostgreSQL
/// the statistics wait for the recount to commit.
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    let backend = conn.backend();
    conn.transaction(|conn| {
        for table in tables(backend) {
            let key: Vec<String> = (1..=table.key_width).map(|i| i.to_string()).collect();
            diesel::sql_query(backend.emptying(table.name)).execute(conn)?;
            diesel::sql_query(format!(
                "INSERT INTO {} ({}) {} ORDER BY {}",
                table.name,
                table.columns,
                table.recounted,
                key.join(", ")
            ))
            .execute(conn)?;
        }
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
    let mut total = 0;
    for table in tables(conn.backend()) {
        let (stored, recounted) = (&table.stored, &table.recounted);
        for (left, right) in [(stored, recounted), (recounted, stored)] {
            let count = format!(
                "SELECT COUNT(*) AS n FROM (SELECT * FROM ({left}) AS l \
                 EXCEPT SELECT * FROM ({right}) AS r) AS d"
            );
            total += diesel::sql_query(count).get_result::<Count>(conn)?.n;
        }
    }
    Ok(total)
}
