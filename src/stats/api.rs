//! `GET /api/v1/stats`: the bureau's report figures for a period, in the caller's scope.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::figures::{Figures, GroupBy, HazardCounts, InspectionCounts};
use super::query::{self, Counted, EnforcementCounts, Selection};
use super::tallied::{self, Plan};
use crate::AppState;
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::db::schema::{regions, sectors, users};
use crate::db::{self, DbConnection, DbPool};
use crate::error::{ApiError, Problem};
use crate::{calendar, registry::catalog};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Start of the period, inclusive: a date (midnight, China Standard Time) or an RFC 3339
    /// time. Default: 1 January of the current year.
    pub from: Option<String>,
    /// End of the period, exclusive; same forms. Default: 1 January of the next year.
    pub to: Option<String>,
    /// A region code prefix inside the caller's scope.
    pub region: Option<String>,
    /// A sector code; an umbrella sector includes its children.
    pub sector: Option<String>,
    /// Break the figures down by `sector`, `region` (one level below `region`, or below the
    /// caller's own region), `month` (China Standard Time) or `inspector` (who reported the
    /// hazard, every officer present at the inspection, who issued the document).
    pub group_by: Option<GroupBy>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    /// The sector code, region code, `YYYY-MM` month, or user id.
    pub key: String,
    /// The sector's or region's Chinese name, or the officer's display name.
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The region prefix covered (the one asked for, or the caller's own).
    pub region: Option<String>,
    pub sector: Option<String>,
    pub group_by: Option<GroupBy>,
    /// When the figures were computed; `overdue` is as of this moment.
    pub generated_at: DateTime<Utc>,
    /// The figures of the whole selection.
    #[serde(flatten)]
    pub totals: Figures,
    /// One entry per group with anything to count, ordered by key; empty without `group_by`.
    pub groups: Vec<Group>,
}

fn this_year() -> chrono::NaiveDateTime {
    calendar::start_of_year(calendar::year_of(Utc::now()))
}

fn next_year() -> chrono::NaiveDateTime {
    calendar::start_of_year(calendar::year_of(Utc::now()) + 1)
}

pub fn selection(query: &StatsQuery, scope: Scope) -> Result<Selection, ApiError> {
    let from = calendar::bound_param("from", query.from.as_deref())?.unwrap_or_else(this_year);
    let to = calendar::bound_param("to", query.to.as_deref())?.unwrap_or_else(next_year);
    if from >= to {
        return Err(ApiError::validation("to", "must come after `from`"));
    }
    if let Some(region) = &query.region
        && (region.is_empty() || region.len() > 12 || !region.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::validation(
            "region",
            "must be a region code prefix of 1-12 digits",
        ));
    }
    Ok(Selection {
        from,
        to,
        region: query.region.clone(),
        sector: query.sector.clone(),
        scope,
    })
}

/// The names groups are shown with.
fn names(
    conn: &mut DbConnection,
    group: GroupBy,
    keys: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let keys: Vec<String> = keys.iter().cloned().collect();
    let pairs: Vec<(String, String)> = match group {
        GroupBy::Sector => sectors::table
            .filter(sectors::code.eq_any(&keys))
            .select((sectors::code, sectors::name))
            .load(conn)?,
        GroupBy::Region => regions::table
            .filter(regions::code.eq_any(&keys))
            .select((regions::code, regions::name))
            .load(conn)?,
        GroupBy::Inspector => users::table
            .filter(users::id.eq_any(&keys))
            .select((users::id, users::display_name))
            .load(conn)?,
        GroupBy::Month => Vec::new(),
    };
    Ok(pairs.into_iter().collect())
}

fn sum<'a>(groups: impl Iterator<Item = &'a HazardCounts>) -> HazardCounts {
    groups.fold(HazardCounts::default(), |total, g| HazardCounts {
        found: total.found + g.found,
        major_found: total.major_found + g.major_found,
        rectified: total.rectified + g.rectified,
        major_rectified: total.major_rectified + g.major_rectified,
        closed: total.closed + g.closed,
        overdue: total.overdue + g.overdue,
    })
}

/// Hazard and inspection counts per group key, from the tallies when they can answer exactly
/// (`tallied::Plan`), else from the rows.
fn count<T: Send>(
    conn: &mut DbConnection,
    pool: &DbPool,
    plan: Option<&Plan>,
    selection: &Selection,
    group: Option<GroupBy>,
    now: NaiveDateTime,
    beside: impl FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send,
) -> Result<(Counted, T), ApiError> {
    match plan {
        Some(plan) => tallied::counted(conn, pool, plan, selection, group, now, beside),
        None => query::counted(conn, pool, selection, group, now, beside),
    }
}

/// The inspection figures of the whole selection, when the groups were counted by a key.
fn inspection_totals(
    conn: &mut DbConnection,
    selection: &Selection,
    groups: &Counted,
) -> Result<InspectionCounts, ApiError> {
    // The tallies count them beside the groups (`tallied::counted`).
    if let Some(totals) = groups.inspection_totals {
        return Ok(totals);
    }
    Ok(query::inspection_counts(conn, selection, None)?
        .into_iter()
        .next()
        .map(|(_, c)| c)
        .unwrap_or_default())
}

pub fn compute(
    conn: &mut DbConnection,
    pool: &DbPool,
    selection: &Selection,
    group: Option<GroupBy>,
) -> Result<(Figures, Vec<Group>), ApiError> {
    if let Some(sector) = &selection.sector
        && catalog::find_sector(conn, sector)?.is_none()
    {
        return Err(ApiError::validation("sector", "is not a known sector code"));
    }
    let now = db::now();
    let plan = Plan::for_selection(selection, group);
    let plan = plan.as_ref();
    // The enforcement documents are a small table of their own: read beside the counting.
    let (counted, (all_enforcement, enforcement)) =
        count(conn, pool, plan, selection, group, now, |conn| {
            let all = query::enforcement_counts(conn, selection, None)?;
            let grouped = match group {
                Some(group) => query::enforcement_counts(conn, selection, Some(group))?,
                None => EnforcementCounts::new(),
            };
            Ok((all, grouped))
        })?;
    let all_enforcement = all_enforcement.into_values().next().unwrap_or_default();
    let Some(group) = group else {
        let hazards = counted.hazards.into_values().next().unwrap_or_default();
        let inspections = counted.inspections.into_values().next().unwrap_or_default();
        return Ok((
            Figures::new(hazards, inspections, &all_enforcement),
            Vec::new(),
        ));
    };
    // Every hazard falls in exactly one group, so its totals are the groups' sums: one scan of
    // the largest table instead of two.
    let inspections = inspection_totals(conn, selection, &counted)?;
    let totals = Figures::new(sum(counted.hazards.values()), inspections, &all_enforcement);
    let Counted {
        hazards,
        inspections,
        ..
    } = counted;
    let keys: BTreeSet<String> = hazards
        .keys()
        .chain(inspections.keys())
        .chain(enforcement.keys())
        .cloned()
        .collect();
    let names = names(conn, group, &keys)?;
    let groups = keys
        .into_iter()
        .map(|key| Group {
            name: names.get(&key).cloned(),
            figures: Figures::new(
                hazards.get(&key).copied().unwrap_or_default(),
                inspections.get(&key).copied().unwrap_or_default(),
                &enforcement.get(&key).cloned().unwrap_or_default(),
            ),
            key,
        })
        .collect();
    Ok((totals, groups))
}

/// The bureau's report figures for a period, inside the caller's scope.
///
/// For hazards reported in `[from, to)`, `cancelled` ones left out:
/// `hazards_found` and `major_hazards_found` count them (排查隐患);
/// `hazards_rectified` and `major_hazards_rectified` those now `verified` or `closed` (整治到位);
/// `hazards_closed` those `closed` (已销号);
/// `rectification_rate` = `hazards_rectified / hazards_found` (整改率) and
/// `major_rectification_rate` likewise, as decimals (null when the denominator is 0) with
/// `rectification_ratio` / `major_rectification_ratio` giving numerator and denominator;
/// `overdue` those still `open` past their deadline at `generated_at` (逾期).
///
/// For inspections submitted in the period, self-inspections (自查) left out: `inspections`
/// (检查家次) and `enterprises_inspected` (distinct enterprises).
///
/// For enforcement documents issued in the period: `fines_total_fen` (经济处罚, in fen); per
/// kind the enterprises acted against (`suspension` = 责令停产整顿家数, `shutdown` = 关闭取缔家数,
/// `penalty_decision`, `seal_up`, `rectification_notice`, `interview`, `joint_punishment`,
/// `referral`), and the documents issued in `documents_by_kind`.
///
/// Periods are dates in China Standard Time or RFC 3339 times; the default is the current
/// year. Inspectors, supervisors and admins may ask; each sees only its own scope.
#[utoipa::path(
    tag = "statistics",
    params(StatsQuery),
    responses(
        (status = 200, body = Stats),
        (status = 403, description = "enterprise users have no statistics", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/stats")]
pub async fn stats(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Inspector, Role::Supervisor, Role::Admin])?;
    let query = query.into_inner();
    let selection = selection(&query, Scope::of(&caller))?;
    let group = query.group_by;
    let generated_at = Utc::now();
    let answer = selection.clone();
    let pool = state.pool.clone();
    let (totals, groups) = db::run(&state.pool, move |conn| {
        compute(conn, &pool, &answer, group)
    })
    .await?;
    let region = Some(selection.region_prefix().to_owned()).filter(|r| !r.is_empty());
    Ok(HttpResponse::Ok().json(Stats {
        from: selection.from.and_utc(),
        to: selection.to.and_utc(),
        region,
        sector: selection.sector,
        group_by: group,
        generated_at,
        totals,
        groups,
    }))
}
