//! The figures from the running tallies (`tally`), when they can answer exactly: a period of
//! whole months (China Standard Time), a region no finer than a county, and a breakdown the
//! tallies keep (sector, region down to counties, month, officer). Anything else, a township's
//! figures or an odd period, is counted from the rows (`query`). `overdue`
//! depends on the moment asked, so it is always counted from the open hazards.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use super::figures::{GroupBy, HazardCounts, InspectionCounts, next_region_level};
use super::query::{self, Counted, Selection};
use crate::auth::scope::Scope;
use crate::calendar;
use crate::db::schema::{
    inspected_enterprises, officer_inspected_enterprises, officer_tallies, report_tallies,
};
use crate::db::{DbBackend, DbConnection};
use crate::error::ApiError;

/// The region and sector codes tallies are kept under (`tally::county_of`).
const COUNTY_DIGITS: usize = 6;

/// What the tallies are asked: whole months `[from, to)` as (year, month), inside an area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    from: (i32, u32),
    to: (i32, u32),
    /// The caller's region prefix and sectors; `None` for the whole country.
    area: Option<(String, Vec<String>)>,
}

impl Plan {
    /// The plan when the tallies can answer `selection` broken down by `group` exactly.
    pub fn for_selection(selection: &Selection, group: Option<GroupBy>) -> Option<Plan> {
        let from = calendar::month_opened_by(selection.from)?;
        let to = calendar::month_opened_by(selection.to)?;
        let area = match &selection.scope {
            Scope::All => None,
            Scope::Area {
                region_prefix,
                sectors,
            } if region_prefix.len() <= COUNTY_DIGITS => {
                Some((region_prefix.clone(), sectors.clone()))
            }
            _ => return None,
        };
        let coarse_region = selection
            .region
            .as_ref()
            .is_none_or(|r| r.len() <= COUNTY_DIGITS);
        let kept = match group {
            None | Some(GroupBy::Sector | GroupBy::Month) => true,
            Some(GroupBy::Region) => next_region_level(selection.region_prefix()) <= COUNTY_DIGITS,
            Some(GroupBy::Inspector) => true,
        };
        (coarse_region && kept).then_some(Plan { from, to, area })
    }

    fn month_text((year, month): (i32, u32)) -> String {
        format!("{year:04}-{month:02}")
    }

    /// Each year the period touches, with the bits of its months inside the period (bit m-1
    /// for month m, as `inspected_enterprises.months` holds them).
    pub fn year_masks(&self) -> Vec<(i32, i32)> {
        let mut masks: Vec<(i32, i32)> = Vec::new();
        let (mut year, mut month) = self.from;
        while (year, month) < self.to {
            match masks.last_mut() {
                Some((y, mask)) if *y == year => *mask |= 1 << (month - 1),
                _ => masks.push((year, 1 << (month - 1))),
            }
            (year, month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
        }
        masks
    }
}

/// The area and the selection's filters on a boxed query of a tally table.
macro_rules! within {
    ($query:expr, $plan:expr, $selection:expr, $region:expr, $sector:expr) => {{
        let mut query = $query;
        if let Some((prefix, sectors)) = &$plan.area {
            query = crate::apply_region!(query, $region, prefix);
            if !sectors.is_empty() {
                let codes = crate::registry::catalog::sector_and_children(sectors);
                query = query.filter($sector.eq_any(codes));
            }
        }
        narrow!(query, $selection, $region, $sector)
    }};
}

/// Loads `columns` from `table`, grouped by the SQL `key` when there is one, through `narrow`
/// (the area, the selection and the period) applied to the boxed query.
macro_rules! grouped {
    ($conn:expr, $table:ident, $key:expr, $columns:expr, |$query:ident| $narrow:expr) => {
        match $key {
            Some(key) => {
                let $query = $table::table
                    .group_by(sql::<Text>(key))
                    .select($columns)
                    .into_boxed::<DbBackend>();
                $narrow.load($conn)?
            }
            None => {
                let $query = $table::table.select($columns).into_boxed::<DbBackend>();
                $narrow.load($conn)?
            }
        }
    };
}

/// The group key over a tally table whose region column is `region`.
fn key_sql(group: Option<GroupBy>, selection: &Selection, region: &str) -> Option<String> {
    Some(match group? {
        GroupBy::Sector => "sector_code".to_owned(),
        GroupBy::Region => format!(
            "substr({region}, 1, {})",
            next_region_level(selection.region_prefix())
        ),
        GroupBy::Month => "month".to_owned(),
        // In the officer tables (`officer_tallies`, `officer_inspected_enterprises`).
        GroupBy::Inspector => "officer_id".to_owned(),
    })
}

/// Hazard and inspection counts per group key ("" without grouping).
pub fn counted(
    conn: &mut DbConnection,
    plan: &Plan,
    selection: &Selection,
    group: Option<GroupBy>,
    now: NaiveDateTime,
) -> Result<Counted, ApiError> {
    let key = key_sql(group, selection, "county_code");
    let sum = |column: &str| sql::<BigInt>(&format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"));
    let columns = (
        sql::<Text>(key.as_deref().unwrap_or("''")),
        sum("inspections"),
        sum("hazards_found"),
        sum("major_hazards_found"),
        sum("hazards_rectified"),
        sum("major_hazards_rectified"),
        sum("hazards_closed"),
    );
    // The same sums over `report_tallies`, or over `officer_tallies` by officer.
    macro_rules! summed {
        ($table:ident) => {
            grouped!(conn, $table, &key, columns, |query| {
                within!(
                    query,
                    plan,
                    selection,
                    $table::county_code,
                    $table::sector_code
                )
                .filter($table::month.ge(Plan::month_text(plan.from)))
                .filter($table::month.lt(Plan::month_text(plan.to)))
            })
        };
    }
    type Row = (String, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = if group == Some(GroupBy::Inspector) {
        summed!(officer_tallies)
    } else {
        summed!(report_tallies)
    };
    let overdue = query::overdue_counts(conn, selection, group, now)?;
    let enterprises = enterprises_inspected(conn, plan, selection, group)?;
    let mut counted = Counted::default();
    for (key, inspections, found, major_found, rectified, major_rectified, closed) in rows {
        if found > 0 {
            let counts = HazardCounts {
                found,
                major_found,
                rectified,
                major_rectified,
                closed,
                overdue: overdue.get(&key).copied().unwrap_or(0),
            };
            counted.hazards.insert(key.clone(), counts);
        }
        if inspections > 0 {
            let counts = InspectionCounts {
                inspections,
                enterprises: enterprises.get(&key).copied().unwrap_or(0),
            };
            counted.inspections.insert(key, counts);
        }
    }
    Ok(counted)
}

/// Distinct enterprises inspected per group key ("" without grouping).
pub fn enterprises_inspected(
    conn: &mut DbConnection,
    plan: &Plan,
    selection: &Selection,
    group: Option<GroupBy>,
) -> Result<std::collections::BTreeMap<String, i64>, ApiError> {
    if group == Some(GroupBy::Month) {
        return enterprises_by_month(conn, plan, selection);
    }
    // The years and months asked, from integers this code made.
    let inside = plan
        .year_masks()
        .iter()
        .map(|(year, mask)| format!("(year = {year} AND (months & {mask}) <> 0)"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let key = key_sql(group, selection, "region_code");
    let columns = (
        sql::<Text>(key.as_deref().unwrap_or("''")),
        sql::<BigInt>("COUNT(DISTINCT enterprise_id)"),
    );
    // Over `inspected_enterprises`, or over `officer_inspected_enterprises` by officer.
    macro_rules! distinct {
        ($table:ident) => {
            grouped!(conn, $table, &key, columns, |query| {
                within!(
                    query,
                    plan,
                    selection,
                    $table::region_code,
                    $table::sector_code
                )
                .filter(sql::<Bool>(&format!("({inside})")))
            })
        };
    }
    let rows: Vec<(String, i64)> = if group == Some(GroupBy::Inspector) {
        distinct!(officer_inspected_enterprises)
    } else {
        distinct!(inspected_enterprises)
    };
    Ok(rows.into_iter().collect())
}

/// Distinct enterprises inspected in each month of the plan: one pass over each year's rows.
fn enterprises_by_month(
    conn: &mut DbConnection,
    plan: &Plan,
    selection: &Selection,
) -> Result<std::collections::BTreeMap<String, i64>, ApiError> {
    let in_month = |bit: u32| {
        sql::<BigInt>(&format!(
            "COUNT(DISTINCT CASE WHEN (months & {}) <> 0 THEN enterprise_id END)",
            1 << bit
        ))
    };
    let mut counts = std::collections::BTreeMap::new();
    for (year, mask) in plan.year_masks() {
        let columns = (
            in_month(0),
            in_month(1),
            in_month(2),
            in_month(3),
            in_month(4),
            in_month(5),
            in_month(6),
            in_month(7),
            in_month(8),
            in_month(9),
            in_month(10),
            in_month(11),
        );
        let row: (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) = within!(
            inspected_enterprises::table
                .select(columns)
                .into_boxed::<DbBackend>(),
            plan,
            selection,
            inspected_enterprises::region_code,
            inspected_enterprises::sector_code
        )
        .filter(inspected_enterprises::year.eq(year))
        .first(conn)?;
        let by_month = [
            row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11,
        ];
        for (bit, count) in by_month.into_iter().enumerate() {
            if mask & (1 << bit) != 0 && count > 0 {
                counts.insert(Plan::month_text((year, bit as u32 + 1)), count);
            }
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(from: &str, to: &str, region: Option<&str>, scope: Scope) -> Selection {
        Selection {
            from: calendar::parse_bound(from).unwrap(),
            to: calendar::parse_bound(to).unwrap(),
            region: region.map(str::to_owned),
            sector: None,
            scope,
        }
    }

    fn area(prefix: &str) -> Scope {
        Scope::Area {
            region_prefix: prefix.into(),
            sectors: vec![],
        }
    }

    #[test]
    fn whole_months_in_a_county_or_wider_come_from_the_tallies() {
        let year = selection("2025-01-01", "2026-01-01", None, Scope::All);
        let plan = Plan::for_selection(&year, Some(GroupBy::Sector)).unwrap();
        assert_eq!(plan.year_masks(), [(2025, 0b1111_1111_1111)]);
        let county = selection("2025-01-01", "2026-01-01", Some("360704"), area("36"));
        assert!(Plan::for_selection(&county, Some(GroupBy::Month)).is_some());
        assert!(Plan::for_selection(&year, Some(GroupBy::Inspector)).is_some());
        assert!(Plan::for_selection(&county, None).is_some());
    }

    #[test]
    fn anything_finer_is_counted_from_the_rows() {
        let year = ("2025-01-01", "2026-01-01");
        let township = selection(year.0, year.1, None, area("360704101"));
        assert_eq!(Plan::for_selection(&township, None), None);
        let asked = selection(year.0, year.1, Some("360704101"), Scope::All);
        assert_eq!(Plan::for_selection(&asked, None), None);
        let county = selection(year.0, year.1, Some("360704"), Scope::All);
        assert_eq!(
            Plan::for_selection(&county, Some(GroupBy::Region)),
            None,
            "a county broken down into townships"
        );
        let odd = selection("2025-01-15", "2026-01-01", None, Scope::All);
        assert_eq!(Plan::for_selection(&odd, None), None);
        let utc = selection("2025-01-01T00:00:00Z", "2026-01-01", None, Scope::All);
        assert_eq!(Plan::for_selection(&utc, None), None);
        let manager = selection(year.0, year.1, None, Scope::Enterprise("e".into()));
        assert_eq!(Plan::for_selection(&manager, None), None);
        assert_eq!(
            Plan::for_selection(&selection(year.0, year.1, None, Scope::Nothing), None),
            None
        );
    }

    #[test]
    fn periods_across_years_mask_each_year() {
        let period = selection("2024-11-01", "2026-02-01", None, Scope::All);
        let plan = Plan::for_selection(&period, None).unwrap();
        assert_eq!(
            plan.year_masks(),
            [
                (2024, 0b1100_0000_0000),
                (2025, 0b1111_1111_1111),
                (2026, 0b1)
            ]
        );
    }
}
