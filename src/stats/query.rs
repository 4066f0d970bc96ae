//! The aggregate queries behind the figures: one grouped scan per table, with the caller's
//! scope and the filters inside the SQL. Group keys are SQL expressions chosen per backend.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Timestamp};

use super::figures::condition::{CLOSED, FOUND, MAJOR, RECTIFIED};
use super::figures::{GroupBy, HazardCounts, InspectionCounts, KindCounts, next_region_level};
use crate::auth::scope::Scope;
use crate::calendar;
use crate::db::schema::{enforcement_actions, hazards, inspection_officers, inspections};
use crate::db::{self, Backend, DbBackend, DbConnection, DbPool};
use crate::enforcement::rules::ActionKind;
use crate::error::ApiError;

/// What a statistics request counts over.
#[derive(Debug, Clone)]
pub struct Selection {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    /// A region code prefix.
    pub region: Option<String>,
    /// A sector code; an umbrella sector includes its children.
    pub sector: Option<String>,
    pub scope: Scope,
}

impl Selection {
    /// The region prefix the answer covers: the one asked for, else the caller's own.
    pub fn region_prefix(&self) -> &str {
        match (&self.region, &self.scope) {
            (Some(region), _) => region,
            (None, Scope::Area { region_prefix, .. }) => region_prefix,
            _ => "",
        }
    }
}

/// The SQL of a group key over a table whose region column is `region_code`, time column
/// `time`, and officer column `officer`. `None` without grouping.
fn key_sql(
    group: Option<GroupBy>,
    selection: &Selection,
    backend: Backend,
    time: &str,
    officer: &str,
) -> Option<String> {
    Some(match group? {
        GroupBy::Sector => "sector_code".to_owned(),
        GroupBy::Region => format!(
            "substr(region_code, 1, {})",
            next_region_level(selection.region_prefix())
        ),
        GroupBy::Month => calendar::month_sql(backend, time),
        GroupBy::Inspector => officer.to_owned(),
    })
}

/// Hazard and inspection counts per group key ("" without grouping), however counted.
#[derive(Debug, Default)]
pub struct Counted {
    pub hazards: BTreeMap<String, HazardCounts>,
    pub inspections: BTreeMap<String, InspectionCounts>,
    /// The whole selection's inspections, when they were counted beside the groups (from the
    /// tallies, grouped by any key): their distinct enterprises never add up from the groups.
    pub inspection_totals: Option<InspectionCounts>,
}

/// Hazard and inspection counts per group key, counted from the rows, and what `beside` reads
/// (after the inspections, on a second connection when the pool has one idle).
pub fn counted<T: Send>(
    conn: &mut DbConnection,
    pool: &DbPool,
    selection: &Selection,
    group: Option<GroupBy>,
    now: NaiveDateTime,
    beside: impl FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send,
) -> Result<(Counted, T), ApiError> {
    // Two scans of two tables that need not wait for each other; `beside` after the smaller.
    let (hazards, (inspections, beside_result)) = db::side_by_side(
        conn,
        pool,
        |conn| hazard_counts(conn, selection, group, now),
        |conn| Ok((inspection_counts(conn, selection, group)?, beside(conn)?)),
    )?;
    let counted = Counted {
        hazards: hazards.into_iter().collect(),
        inspections: inspections.into_iter().collect(),
        inspection_totals: None,
    };
    Ok((counted, beside_result))
}

/// Hazards `open` past their deadline at `now`, per group key: from the open hazards alone.
pub fn overdue_counts(
    conn: &mut DbConnection,
    selection: &Selection,
    group: Option<GroupBy>,
    now: NaiveDateTime,
) -> Result<BTreeMap<String, i64>, ApiError> {
    let key = key_sql(
        group,
        selection,
        conn.backend(),
        "created_at",
        "reported_by",
    );
    macro_rules! selected {
        ($query:expr) => {
            narrow!(
                crate::apply_scope!(
                    $query,
                    &selection.scope,
                    enterprise: hazards::enterprise_id,
                    region: hazards::region_code,
                    sector: hazards::sector_code
                ),
                selection,
                hazards::region_code,
                hazards::sector_code
            )
            .filter(hazards::status.eq("open"))
            .filter(hazards::deadline.lt(now))
            .filter(hazards::created_at.ge(selection.from))
            .filter(hazards::created_at.lt(selection.to))
        };
    }
    let columns = (
        sql::<Text>(key.as_deref().unwrap_or("''")),
        sql::<BigInt>("COUNT(*)"),
    );
    let rows: Vec<(String, i64)> = match &key {
        Some(key) => selected!(
            hazards::table
                .group_by(sql::<Text>(key))
                .select(columns)
                .into_boxed::<DbBackend>()
        )
        .load(conn)?,
        None => selected!(hazards::table.select(columns).into_boxed::<DbBackend>()).load(conn)?,
    };
    Ok(rows.into_iter().filter(|(_, n)| *n > 0).collect())
}

/// Hazard counts per group key ("" without grouping).
pub fn hazard_counts(
    conn: &mut DbConnection,
    selection: &Selection,
    group: Option<GroupBy>,
    now: NaiveDateTime,
) -> Result<Vec<(String, HazardCounts)>, ApiError> {
    let key = key_sql(
        group,
        selection,
        conn.backend(),
        "created_at",
        "reported_by",
    );
    macro_rules! selected {
        ($query:expr) => {
            narrow!(
                crate::apply_scope!(
                    $query,
                    &selection.scope,
                    enterprise: hazards::enterprise_id,
                    region: hazards::region_code,
                    sector: hazards::sector_code
                ),
                selection,
                hazards::region_code,
                hazards::sector_code
            )
            .filter(hazards::created_at.ge(selection.from))
            .filter(hazards::created_at.lt(selection.to))
            .filter(sql::<Bool>(FOUND))
        };
    }
    let columns = (
        sql::<Text>(key.as_deref().unwrap_or("''")),
        sql::<BigInt>("COUNT(*)"),
        sql::<BigInt>(&format!("COUNT(CASE WHEN {MAJOR} THEN 1 END)")),
        sql::<BigInt>(&format!("COUNT(CASE WHEN {RECTIFIED} THEN 1 END)")),
        sql::<BigInt>(&format!(
            "COUNT(CASE WHEN {MAJOR} AND {RECTIFIED} THEN 1 END)"
        )),
        sql::<BigInt>(&format!("COUNT(CASE WHEN {CLOSED} THEN 1 END)")),
        sql::<BigInt>("COUNT(CASE WHEN status = 'open' AND deadline < ")
            .bind::<Timestamp, _>(now)
            .sql(" THEN 1 END)"),
    );
    type Row = (String, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = match &key {
        Some(key) => selected!(
            hazards::table
                .group_by(sql::<Text>(key))
                .select(columns)
                .into_boxed::<DbBackend>()
        )
        .load(conn)?,
        None => selected!(hazards::table.select(columns).into_boxed::<DbBackend>()).load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(
            |(key, found, major_found, rectified, major_rectified, closed, overdue)| {
                let counts = HazardCounts {
                    found,
                    major_found,
                    rectified,
                    major_rectified,
                    closed,
                    overdue,
                };
                (key, counts)
            },
        )
        .filter(|(_, counts)| counts.found > 0)
        .collect())
}

/// Submitted inspections (self-inspections left out) per group key.
pub fn inspection_counts(
    conn: &mut DbConnection,
    selection: &Selection,
    group: Option<GroupBy>,
) -> Result<Vec<(String, InspectionCounts)>, ApiError> {
    let key = key_sql(
        group,
        selection,
        conn.backend(),
        "submitted_at",
        "created_by",
    );
    macro_rules! selected {
        ($query:expr) => {
            narrow!(
                crate::apply_scope!(
                    $query,
                    &selection.scope,
                    enterprise: inspections::enterprise_id,
                    region: inspections::region_code,
                    sector: inspections::sector_code
                ),
                selection,
                inspections::region_code,
                inspections::sector_code
            )
            .filter(inspections::status.eq("submitted"))
            .filter(inspections::kind.ne("self"))
            .filter(inspections::submitted_at.ge(selection.from))
            .filter(inspections::submitted_at.lt(selection.to))
        };
    }
    let columns = (
        sql::<Text>(key.as_deref().unwrap_or("''")),
        sql::<BigInt>("COUNT(*)"),
        sql::<BigInt>("COUNT(DISTINCT enterprise_id)"),
    );
    let rows: Vec<(String, i64, i64)> = match &key {
        // An inspection counts for every officer present, not only the one who filed it.
        Some(_) if group == Some(GroupBy::Inspector) => {
            let officer = "inspection_officers.user_id";
            let columns = (
                sql::<Text>(officer),
                sql::<BigInt>("COUNT(*)"),
                sql::<BigInt>("COUNT(DISTINCT inspections.enterprise_id)"),
            );
            selected!(
                inspections::table
                    .inner_join(inspection_officers::table)
                    .group_by(sql::<Text>(officer))
                    .select(columns)
                    .into_boxed::<DbBackend>()
            )
            .load(conn)?
        }
        Some(key) => selected!(
            inspections::table
                .group_by(sql::<Text>(key))
                .select(columns)
                .into_boxed::<DbBackend>()
        )
        .load(conn)?,
        None => {
            selected!(inspections::table.select(columns).into_boxed::<DbBackend>()).load(conn)?
        }
    };
    Ok(rows
        .into_iter()
        .filter(|(_, inspections, _)| *inspections > 0)
        .map(|(key, inspections, enterprises)| {
            let counts = InspectionCounts {
                inspections,
                enterprises,
            };
            (key, counts)
        })
        .collect())
}

/// Enforcement documents per group key ("" without grouping) and kind.
pub type EnforcementCounts = BTreeMap<String, BTreeMap<ActionKind, KindCounts>>;

/// Enforcement documents issued per group key and kind.
pub fn enforcement_counts(
    conn: &mut DbConnection,
    selection: &Selection,
    group: Option<GroupBy>,
) -> Result<EnforcementCounts, ApiError> {
    let key = key_sql(group, selection, conn.backend(), "issued_at", "issued_by");
    // PostgreSQL refuses a constant in GROUP BY: without a key, group by kind alone.
    let grouping = match &key {
        Some(key) => format!("{key}, kind"),
        None => "kind".to_owned(),
    };
    let key = key.unwrap_or_else(|| "''".to_owned());
    let query = narrow!(
        crate::apply_scope!(
            enforcement_actions::table
                .group_by(sql::<Text>(&grouping))
                .select((
                    sql::<Text>(&key),
                    sql::<Text>("kind"),
                    sql::<BigInt>("COUNT(*)"),
                    sql::<BigInt>("COUNT(DISTINCT enterprise_id)"),
                    sql::<BigInt>("CAST(COALESCE(SUM(fine_fen), 0) AS BIGINT)"),
                ))
                .into_boxed::<DbBackend>(),
            &selection.scope,
            enterprise: enforcement_actions::enterprise_id,
            region: enforcement_actions::region_code,
            sector: enforcement_actions::sector_code
        ),
        selection,
        enforcement_actions::region_code,
        enforcement_actions::sector_code
    )
    .filter(enforcement_actions::issued_at.ge(selection.from))
    .filter(enforcement_actions::issued_at.lt(selection.to));
    let rows: Vec<(String, String, i64, i64, i64)> = query.load(conn)?;
    let mut counts: BTreeMap<String, BTreeMap<ActionKind, KindCounts>> = BTreeMap::new();
    for (key, kind, documents, enterprises, fines_fen) in rows {
        let Some(kind) = ActionKind::parse(&kind) else {
            continue;
        };
        counts.entry(key).or_default().insert(
            kind,
            KindCounts {
                documents,
                enterprises,
                fines_fen,
            },
        );
    }
    Ok(counts)
}
