//! The figures from the running tallies (`tally`), when they can answer exactly: a period of
//! whole days (China Standard Time), a region no finer than a county, and a breakdown the
//! tallies keep (sector, region down to counties, month, officer). A period's whole months come
//! from the monthly tallies and only the days at its edges from the daily ones. Anything
//! else, a township's figures or a period bounded inside a day, is counted from the rows
//! (`query`). `overdue` depends on the moment asked, so it is always counted from the open
//! hazards.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use super::figures::{GroupBy, HazardCounts, InspectionCounts, next_region_level};
use super::query::{self, Counted, Selection};
use super::tally::{self, Grain};
use crate::auth::scope::Scope;
use crate::calendar;
use crate::db::schema::{
    day_tallies, inspected_enterprises, officer_day_tallies, officer_inspected_enterprises,
    officer_tallies, report_tallies,
};
use crate::db::{self, DbBackend, DbConnection, DbPool};
use crate::error::ApiError;

/// The region and sector codes tallies are kept under (`tally::county_of`).
const COUNTY_DIGITS: usize = 6;

/// The bits of every day of a month (bit d-1 for day d).
const ALL_DAYS: i32 = 0x7FFF_FFFF;

/// The bits of every month of a year (bit m-1 for month m).
const ALL_MONTHS: i32 = 0xFFF;

/// What the tallies are asked: a period of whole days, split into whole months and the days
/// outside them, inside an area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Whole months `[from, to)` as their first days; `None` when the period holds none.
    months: Option<(NaiveDate, NaiveDate)>,
    /// The days outside whole months, as runs `[first, end)` that each lie in one month.
    days: Vec<(NaiveDate, NaiveDate)>,
    /// The caller's region prefix and sectors; `None` for the whole country.
    area: Option<(String, Vec<String>)>,
}

/// The first day of the month `day` lies in.
fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

fn next_month(first: NaiveDate) -> NaiveDate {
    first + Months::new(1)
}

impl Plan {
    /// The plan when the tallies can answer `selection` broken down by `group` exactly.
    pub fn for_selection(selection: &Selection, group: Option<GroupBy>) -> Option<Plan> {
        let from = calendar::day_opened_by(selection.from)?;
        let to = calendar::day_opened_by(selection.to)?;
        // The tallies' keys are `YYYY-MM-DD` text: chrono writes years past 9999 with a sign,
        // which would sort before every key (a bound of 9999-12-31T16:00:00Z is year 10000 in
        // Beijing).
        if from >= to || to.year() > 9999 {
            return None;
        }
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
            None | Some(GroupBy::Sector | GroupBy::Month | GroupBy::Inspector) => true,
            Some(GroupBy::Region) => next_region_level(selection.region_prefix()) <= COUNTY_DIGITS,
        };
        (coarse_region && kept).then(|| Plan::split(from, to, area))
    }

    /// Splits the days `[from, to)` into whole months and runs of days.
    fn split(from: NaiveDate, to: NaiveDate, area: Option<(String, Vec<String>)>) -> Plan {
        let whole_from = if from.day() == 1 {
            from
        } else {
            next_month(month_start(from))
        };
        let whole_to = month_start(to);
        let (months, outside) = if whole_from < whole_to {
            (
                Some((whole_from, whole_to)),
                vec![(from, whole_from), (whole_to, to)],
            )
        } else {
            (None, vec![(from, to)])
        };
        let mut days = Vec::new();
        for (mut first, end) in outside {
            while first < end {
                let run_end = next_month(month_start(first)).min(end);
                days.push((first, run_end));
                first = run_end;
            }
        }
        Plan { months, days, area }
    }

    /// Each year the whole months touch, with the bits of its months inside the period (bit
    /// m-1 for month m, as `inspected_enterprises.months` holds them).
    pub fn year_masks(&self) -> Vec<(i32, i32)> {
        let mut masks: Vec<(i32, i32)> = Vec::new();
        let Some((mut month, to)) = self.months else {
            return masks;
        };
        while month < to {
            let bit = 1 << (month.month() - 1);
            match masks.last_mut() {
                Some((y, mask)) if *y == month.year() => *mask |= bit,
                _ => masks.push((month.year(), bit)),
            }
            month = next_month(month);
        }
        masks
    }

    /// Each month the runs of days touch, as its year and number, with the bits of its days
    /// inside the period (bit d-1 for day d, as the `days_MM` columns hold them).
    fn day_masks(&self) -> Vec<(i32, u32, i32)> {
        self.days
            .iter()
            .map(|(first, end)| {
                let days = (*end - *first).num_days();
                let mask = ((1i64 << days) - 1) << first.day0();
                let mask = i32::try_from(mask).expect("a run lies in one month");
                (first.year(), first.month(), mask)
            })
            .collect()
    }

    /// Per year the period touches, the bits of the days inside it in each month: all of a
    /// whole month's, none of a month outside it.
    fn month_day_masks(&self) -> Vec<(i32, [i32; 12])> {
        let mut years: BTreeMap<i32, [i32; 12]> = BTreeMap::new();
        for (year, months) in self.year_masks() {
            let masks = years.entry(year).or_default();
            for (month, mask) in masks.iter_mut().enumerate() {
                if months & (1 << month) != 0 {
                    *mask = ALL_DAYS;
                }
            }
        }
        for (year, month, mask) in self.day_masks() {
            years.entry(year).or_default()[month as usize - 1] |= mask;
        }
        years.into_iter().collect()
    }

    /// The SQL that keeps the rows of an inspected-enterprise table (a row per year) with an
    /// inspection inside the period: runs of whole years by their numbers, and in any other
    /// year its whole months from the month bits and the days at its edges from the day bits
    /// of their months. From integers this code made; its size does not grow with the years a
    /// period spans (SQLite refuses expressions more than 1,000 deep).
    fn inspected_period(&self) -> String {
        let mut whole_years: Vec<(i32, i32)> = Vec::new();
        let mut years: BTreeMap<i32, Vec<String>> = BTreeMap::new();
        for (year, mask) in self.year_masks() {
            if mask == ALL_MONTHS {
                match whole_years.last_mut() {
                    Some((_, last)) if *last + 1 == year => *last = year,
                    _ => whole_years.push((year, year)),
                }
                continue;
            }
            years
                .entry(year)
                .or_default()
                .push(format!("(months & {mask}) <> 0"));
        }
        for (year, month, mask) in self.day_masks() {
            let days = tally::days_column(month);
            years
                .entry(year)
                .or_default()
                .push(format!("({days} & {mask}) <> 0"));
        }
        let runs = whole_years.into_iter().map(|(first, last)| {
            if first == last {
                format!("year = {first}")
            } else {
                format!("(year >= {first} AND year <= {last})")
            }
        });
        let years = years
            .into_iter()
            .map(|(year, inside)| format!("(year = {year} AND ({}))", inside.join(" OR ")));
        format!("({})", runs.chain(years).collect::<Vec<_>>().join(" OR "))
    }

    /// The SQL that keeps the rows of the figures' table at `grain` inside the period, from
    /// dates this code made.
    fn tally_filter(&self, grain: Grain) -> Option<String> {
        let filter = match grain {
            Grain::Month => {
                let (from, to) = self.months?;
                format!(
                    "month >= '{}' AND month < '{}'",
                    from.format("%Y-%m"),
                    to.format("%Y-%m")
                )
            }
            Grain::Day => {
                if self.days.is_empty() {
                    return None;
                }
                self.days
                    .iter()
                    .map(|(first, end)| format!("(day >= '{first}' AND day < '{end}')"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            }
        };
        Some(format!("({filter})"))
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

/// Loads `columns` from `table`, grouped by the SQL `key` when there is one, inside the area,
/// the selection and the SQL `period`.
macro_rules! grouped {
    ($conn:expr, $table:ident, $key:expr, $columns:expr, $plan:expr, $selection:expr,
     $region:ident, $period:expr) => {{
        macro_rules! narrowed {
            ($query:expr) => {
                within!(
                    $query.into_boxed::<DbBackend>(),
                    $plan,
                    $selection,
                    $table::$region,
                    $table::sector_code
                )
                .filter(sql::<Bool>($period))
                .load($conn)?
            };
        }
        match $key {
            Some(key) => narrowed!($table::table.group_by(sql::<Text>(key)).select($columns)),
            None => narrowed!($table::table.select($columns)),
        }
    }};
}

/// The group key over a tally table whose region column is `region` and whose month is the
/// SQL `month`.
fn key_sql(
    group: Option<GroupBy>,
    selection: &Selection,
    region: &str,
    month: &str,
) -> Option<String> {
    Some(match group? {
        GroupBy::Sector => "sector_code".to_owned(),
        GroupBy::Region => format!(
            "substr({region}, 1, {})",
            next_region_level(selection.region_prefix())
        ),
        GroupBy::Month => month.to_owned(),
        // In the officer tables.
        GroupBy::Inspector => "officer_id".to_owned(),
    })
}

/// The six additive figures per group key, whole months and edge days added up.
fn tally_sums(
    conn: &mut DbConnection,
    plan: &Plan,
    selection: &Selection,
    group: Option<GroupBy>,
) -> Result<BTreeMap<String, [i64; 6]>, ApiError> {
    type Row = (String, i64, i64, i64, i64, i64, i64);
    let sum = |column: &str| sql::<BigInt>(&format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"));
    let by_officer = group == Some(GroupBy::Inspector);
    // Whole months and the days at the edges add up, key by key.
    let mut sums: BTreeMap<String, [i64; 6]> = BTreeMap::new();
    for grain in Grain::ALL {
        let Some(period) = plan.tally_filter(grain) else {
            continue;
        };
        let month = match grain {
            Grain::Month => "month",
            Grain::Day => "substr(day, 1, 7)",
        };
        let key = key_sql(group, selection, "county_code", month);
        let columns = (
            sql::<Text>(key.as_deref().unwrap_or("''")),
            sum("inspections"),
            sum("hazards_found"),
            sum("major_hazards_found"),
            sum("hazards_rectified"),
            sum("major_hazards_rectified"),
            sum("hazards_closed"),
        );
        macro_rules! summed {
            ($table:ident) => {
                grouped!(
                    conn,
                    $table,
                    &key,
                    columns,
                    plan,
                    selection,
                    county_code,
                    &period
                )
            };
        }
        let rows: Vec<Row> = match (grain, by_officer) {
            (Grain::Month, false) => summed!(report_tallies),
            (Grain::Month, true) => summed!(officer_tallies),
            (Grain::Day, false) => summed!(day_tallies),
            (Grain::Day, true) => summed!(officer_day_tallies),
        };
        for (key, a, b, c, d, e, f) in rows {
            let total = sums.entry(key).or_default();
            for (sum, part) in total.iter_mut().zip([a, b, c, d, e, f]) {
                *sum += part;
            }
        }
    }
    Ok(sums)
}

/// Hazard and inspection counts per group key ("" without grouping), and what `beside` reads.
/// The distinct enterprises, the longest statement, are counted beside the sums on a second
/// connection when the pool has one idle (`db::side_by_side`), and `beside` runs after them.
pub fn counted<T: Send>(
    conn: &mut DbConnection,
    pool: &DbPool,
    plan: &Plan,
    selection: &Selection,
    group: Option<GroupBy>,
    now: NaiveDateTime,
    beside: impl FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send,
) -> Result<(Counted, T), ApiError> {
    let ((sums, overdue, totals), (enterprises, beside_result)) = db::side_by_side(
        conn,
        pool,
        |conn| {
            let sums = tally_sums(conn, plan, selection, group)?;
            let overdue = query::overdue_counts(conn, selection, group, now)?;
            // The groups' distinct enterprises beside take about as long as the sums and the
            // totals together, so the totals are read here rather than after both.
            let totals = match group {
                None => None,
                // An inspection counts for every officer present: the ungrouped tallies.
                Some(GroupBy::Inspector) => Some(inspection_totals(conn, plan, selection)?),
                // Every inspection falls in exactly one of the other groups, so the count adds
                // up; distinct enterprises do not.
                Some(_) => Some(InspectionCounts {
                    inspections: sums.values().map(|[inspections, ..]| inspections).sum(),
                    enterprises: enterprises_inspected(conn, plan, selection, None)?
                        .into_values()
                        .next()
                        .unwrap_or(0),
                }),
            };
            Ok((sums, overdue, totals))
        },
        |conn| {
            let enterprises = enterprises_inspected(conn, plan, selection, group)?;
            Ok((enterprises, beside(conn)?))
        },
    )?;
    let mut counted = Counted {
        inspection_totals: totals,
        ..Counted::default()
    };
    for (
        key,
        [
            inspections,
            found,
            major_found,
            rectified,
            major_rectified,
            closed,
        ],
    ) in sums
    {
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
    Ok((counted, beside_result))
}

/// The inspections of the whole selection and their distinct enterprises, from the ungrouped
/// tallies and without the hazard figures: the totals of an answer by inspector, where an
/// inspection by two officers counts once.
fn inspection_totals(
    conn: &mut DbConnection,
    plan: &Plan,
    selection: &Selection,
) -> Result<InspectionCounts, ApiError> {
    let sums = tally_sums(conn, plan, selection, None)?;
    let enterprises = enterprises_inspected(conn, plan, selection, None)?;
    Ok(InspectionCounts {
        inspections: sums.values().map(|[inspections, ..]| inspections).sum(),
        enterprises: enterprises.into_values().next().unwrap_or(0),
    })
}

/// Distinct enterprises inspected per group key ("" without grouping), from a row per
/// enterprise and year: its whole months from the month bits, the days at its edges from the
/// day bits of their months, so that each enterprise is counted once.
pub fn enterprises_inspected(
    conn: &mut DbConnection,
    plan: &Plan,
    selection: &Selection,
    group: Option<GroupBy>,
) -> Result<BTreeMap<String, i64>, ApiError> {
    let by_officer = group == Some(GroupBy::Inspector);
    let key = key_sql(group, selection, "region_code", "month");
    let columns = (
        sql::<Text>(key.as_deref().unwrap_or("''")),
        sql::<BigInt>("COUNT(DISTINCT enterprise_id)"),
    );
    macro_rules! distinct {
        ($table:ident, $period:expr) => {
            grouped!(
                conn,
                $table,
                &key,
                columns,
                plan,
                selection,
                region_code,
                $period
            )
        };
    }
    if group == Some(GroupBy::Month) {
        return enterprises_by_month(conn, plan, selection);
    }
    let period = plan.inspected_period();
    let rows: Vec<(String, i64)> = if by_officer {
        distinct!(officer_inspected_enterprises, &period)
    } else {
        distinct!(inspected_enterprises, &period)
    };
    Ok(rows.into_iter().collect())
}

/// Distinct enterprises inspected in each month of the plan, on its days inside the period:
/// one pass over each year's rows.
fn enterprises_by_month(
    conn: &mut DbConnection,
    plan: &Plan,
    selection: &Selection,
) -> Result<BTreeMap<String, i64>, ApiError> {
    let mut counts = BTreeMap::new();
    let periods = plan.month_day_masks();
    let (Some((first, _)), Some((last, _))) = (periods.first(), periods.last()) else {
        return Ok(counts);
    };
    // A period may span thousands of years: only those with rows are read.
    let present: BTreeSet<i32> = inspected_enterprises::table
        .filter(inspected_enterprises::year.ge(first))
        .filter(inspected_enterprises::year.le(last))
        .select(inspected_enterprises::year)
        .distinct()
        .load(conn)?
        .into_iter()
        .collect();
    for (year, masks) in periods.iter().filter(|(year, _)| present.contains(year)) {
        let (year, masks) = (*year, *masks);
        let in_month = |month: usize| {
            let days = tally::days_column(month as u32 + 1);
            sql::<BigInt>(&format!(
                "COUNT(DISTINCT CASE WHEN ({days} & {}) <> 0 THEN enterprise_id END)",
                masks[month]
            ))
        };
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
        for (month, count) in by_month.into_iter().enumerate() {
            if masks[month] != 0 && count > 0 {
                counts.insert(format!("{year:04}-{:02}", month + 1), count);
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
        let utc = selection("2025-01-01T00:00:00Z", "2026-01-01", None, Scope::All);
        assert_eq!(Plan::for_selection(&utc, None), None, "08:00 in Beijing");
        let nothing = selection("2025-03-15", "2025-03-15", None, Scope::All);
        assert_eq!(Plan::for_selection(&nothing, None), None);
        let far = selection("9999-01-01", "9999-12-31T16:00:00Z", None, Scope::All);
        assert_eq!(
            Plan::for_selection(&far, None),
            None,
            "year 10000 in Beijing"
        );
        let manager = selection(year.0, year.1, None, Scope::Enterprise("e".into()));
        assert_eq!(Plan::for_selection(&manager, None), None);
        assert_eq!(
            Plan::for_selection(&selection(year.0, year.1, None, Scope::Nothing), None),
            None
        );
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn plan(from: &str, to: &str) -> Plan {
        Plan::for_selection(&selection(from, to, None, Scope::All), None).unwrap()
    }

    #[test]
    fn whole_months_come_from_months_and_the_edges_from_days() {
        let half_year = plan("2025-03-15", "2025-09-15");
        assert_eq!(
            half_year.months,
            Some((date("2025-04-01"), date("2025-09-01")))
        );
        assert_eq!(
            half_year.days,
            [
                (date("2025-03-15"), date("2025-04-01")),
                (date("2025-09-01"), date("2025-09-15"))
            ]
        );
        assert_eq!(half_year.year_masks(), [(2025, 0b0000_1111_1000)]);
        assert_eq!(
            half_year.day_masks(),
            [(2025, 3, 0x7FFF_C000), (2025, 9, 0b11_1111_1111_1111)]
        );
        assert_eq!(
            half_year.inspected_period(),
            "((year = 2025 AND ((months & 248) <> 0 OR (days_03 & 2147467264) <> 0 \
             OR (days_09 & 16383) <> 0)))"
        );
        let mut masks = [0; 12];
        masks[2] = 0x7FFF_C000;
        masks[3..8].fill(ALL_DAYS);
        masks[8] = 0b11_1111_1111_1111;
        assert_eq!(half_year.month_day_masks(), [(2025, masks)]);
        let whole = plan("2025-04-01", "2025-06-01");
        assert!(whole.days.is_empty());
        assert_eq!(whole.tally_filter(Grain::Day), None);
        assert_eq!(
            whole.tally_filter(Grain::Month).unwrap(),
            "(month >= '2025-04' AND month < '2025-06')"
        );
    }

    #[test]
    fn short_periods_are_days_split_at_month_ends() {
        let across = plan("2024-02-20", "2024-03-10");
        assert_eq!(across.months, None);
        assert_eq!(
            across.days,
            [
                (date("2024-02-20"), date("2024-03-01")),
                (date("2024-03-01"), date("2024-03-10"))
            ]
        );
        // 20-29 February in a leap year: ten days from bit 19.
        assert_eq!(across.day_masks()[0], (2024, 2, 0b11_1111_1111 << 19));
        assert_eq!(across.day_masks()[1], (2024, 3, 0b1_1111_1111));
        let one_day = plan("2024-12-31", "2025-01-01");
        assert_eq!(one_day.day_masks(), [(2024, 12, 1 << 30)]);
        assert_eq!(
            one_day.tally_filter(Grain::Day).unwrap(),
            "((day >= '2024-12-31' AND day < '2025-01-01'))"
        );
        let to_month_end = plan("2025-01-02", "2025-02-01");
        assert_eq!(to_month_end.months, None);
        assert_eq!(to_month_end.day_masks(), [(2025, 1, 0x7FFF_FFFE)]);
    }

    #[test]
    fn inspected_periods_across_a_new_year_keep_each_years_rows() {
        let winter = plan("2024-12-15", "2025-02-10");
        assert_eq!(
            winter.inspected_period(),
            "((year = 2024 AND ((days_12 & 2147467264) <> 0)) \
             OR (year = 2025 AND ((months & 1) <> 0 OR (days_02 & 511) <> 0)))"
        );
        let (mut december, mut early) = ([0; 12], [0; 12]);
        december[11] = 0x7FFF_C000;
        early[0] = ALL_DAYS;
        early[1] = 0b1_1111_1111;
        assert_eq!(winter.month_day_masks(), [(2024, december), (2025, early)]);
    }

    #[test]
    fn whole_years_are_one_run_however_many() {
        let years = plan("2024-11-01", "2030-01-01");
        assert_eq!(
            years.inspected_period(),
            "((year >= 2025 AND year <= 2029) OR (year = 2024 AND ((months & 3072) <> 0)))"
        );
        let far = plan("2026-01-01", "9999-12-31");
        assert_eq!(
            far.inspected_period(),
            "((year >= 2026 AND year <= 9998) OR (year = 9999 AND ((months & 2047) <> 0 \
             OR (days_12 & 1073741823) <> 0)))"
        );
        assert_eq!(
            plan("2025-01-01", "2026-01-01").inspected_period(),
            "(year = 2025)"
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
