//! Hazard rows and the scoped queries on them. `overdue` is derived (open and past the
//! deadline), never stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::scope::Scope;
use crate::db::schema::hazards;
use crate::db::{DbBackend, DbConnection};
use crate::error::ApiError;
use crate::pagination::Cursor;

use super::list_row::HazardListRow;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = hazards)]
pub struct HazardRow {
    pub id: String,
    pub inspection_id: Option<String>,
    pub enterprise_id: String,
    pub region_code: String,
    pub sector_code: String,
    pub source: String,
    pub level: String,
    pub description: String,
    pub location: Option<String>,
    pub legal_basis: Option<String>,
    pub checklist_item_code: Option<String>,
    #[diesel(deserialize_as = crate::db::StoredTime)]
    pub deadline: NaiveDateTime,
    pub responsible_person: String,
    pub measures: String,
    pub listed_level: Option<String>,
    pub status: String,
    pub reported_by: String,
    pub request_hash: String,
    pub version: i64,
    #[diesel(deserialize_as = crate::db::StoredTime)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = crate::db::StoredTime)]
    pub updated_at: NaiveDateTime,
    #[diesel(deserialize_as = crate::db::MaybeStoredTime)]
    pub rectified_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = crate::db::MaybeStoredTime)]
    pub closed_at: Option<NaiveDateTime>,
    /// Since when it has stood at its status (`/me/tasks` says how long it has waited).
    #[diesel(deserialize_as = crate::db::MaybeStoredTime)]
    pub status_since: Option<NaiveDateTime>,
}

impl HazardRow {
    /// 逾期, by `overdue`.
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        overdue(&self.status, self.deadline, now)
    }

    /// Listed or due for it, by `listed`.
    pub fn is_listed(&self, now: NaiveDateTime) -> bool {
        listed(
            self.listed_level.as_deref(),
            &self.level,
            self.is_overdue(now),
        )
    }
}

/// 逾期: still waiting for rectification after its deadline.
pub fn overdue(status: &str, deadline: NaiveDateTime, now: NaiveDateTime) -> bool {
    status == "open" && deadline < now
}

/// Under listed supervision (挂牌督办), or a major hazard overdue and so due for it.
pub fn listed(listed_level: Option<&str>, level: &str, overdue: bool) -> bool {
    listed_level.is_some() || (level == "major" && overdue)
}

type BoxedQuery<'a> = hazards::BoxedQuery<'a, DbBackend>;

pub fn scoped<'a>(scope: &Scope) -> BoxedQuery<'a> {
    crate::apply_scope!(
        hazards::table.into_boxed(),
        scope,
        enterprise: hazards::enterprise_id,
        region: hazards::region_code,
        sector: hazards::sector_code
    )
}

/// Stores a new hazard. Counting it is the caller's last write in the same transaction
/// (`stats::tally::hazard_reported`): a tally row many reports share stays locked only from
/// that write to the commit.
pub fn insert(conn: &mut DbConnection, row: &HazardRow) -> Result<(), diesel::result::Error> {
    diesel::insert_into(hazards::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Whatever the scope: for telling a replayed create from a clashing one.
pub fn find_any(conn: &mut DbConnection, id: &str) -> Result<Option<HazardRow>, ApiError> {
    Ok(hazards::table
        .find(id)
        .select(HazardRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_in_scope(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
) -> Result<HazardRow, ApiError> {
    scoped(scope)
        .filter(hazards::id.eq(id.to_owned()))
        .select(HazardRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("hazard"))
}

#[derive(Debug, Default, Clone)]
pub struct HazardFilter {
    pub status: Option<String>,
    pub level: Option<String>,
    pub overdue: Option<bool>,
    pub listed: Option<bool>,
    pub enterprise_id: Option<String>,
    pub sector: Option<String>,
    pub region: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// The filters of the hazard list, also used by the ledger export and the map.
pub fn filtered<'a>(scope: &Scope, filter: &HazardFilter, now: NaiveDateTime) -> BoxedQuery<'a> {
    let mut query = scoped(scope);
    if let Some(status) = &filter.status {
        query = query.filter(hazards::status.eq(status.clone()));
    }
    if let Some(level) = &filter.level {
        query = query.filter(hazards::level.eq(level.clone()));
    }
    match filter.overdue {
        Some(true) => {
            query = query.filter(hazards::status.eq("open").and(hazards::deadline.lt(now)))
        }
        Some(false) => {
            query = query.filter(hazards::status.ne("open").or(hazards::deadline.ge(now)))
        }
        None => {}
    }
    let overdue_major = hazards::level
        .eq("major")
        .and(hazards::status.eq("open"))
        .and(hazards::deadline.lt(now));
    match filter.listed {
        Some(true) => query = query.filter(hazards::listed_level.is_not_null().or(overdue_major)),
        Some(false) => {
            query = query.filter(
                hazards::listed_level
                    .is_null()
                    .and(diesel::dsl::not(overdue_major)),
            )
        }
        None => {}
    }
    if let Some(enterprise_id) = &filter.enterprise_id {
        query = query.filter(hazards::enterprise_id.eq(enterprise_id.clone()));
    }
    if let Some(sector) = &filter.sector {
        let codes = crate::registry::catalog::sector_and_children(std::slice::from_ref(sector));
        query = query.filter(hazards::sector_code.eq_any(codes));
    }
    if let Some(region) = &filter.region {
        query = crate::apply_region!(query, hazards::region_code, region);
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(hazards::updated_at.gt(since));
    }
    query
}

/// Newest first, `limit + 1` rows.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &HazardFilter,
    now: NaiveDateTime,
) -> Result<Vec<HazardRow>, ApiError> {
    Ok(page(scope, filter, now)
        .select(HazardRow::as_select())
        .load(conn)?)
}

/// A list page's `limit + 1` rows, newest first, each with its texts in one buffer.
pub fn list_page(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &HazardFilter,
    now: NaiveDateTime,
) -> Result<Vec<HazardListRow>, ApiError> {
    // Sized up front: a row is a few hundred bytes, moved again at each doubling of a `Vec`.
    let mut rows = Vec::with_capacity(filter.limit as usize + 1);
    for row in page(scope, filter, now)
        .select(<HazardRow as Selectable<DbBackend>>::construct_selection())
        .load_iter::<HazardListRow, diesel::connection::DefaultLoadingMode>(conn)?
    {
        rows.push(row?);
    }
    Ok(rows)
}

/// The filtered rows from the cursor on, newest first, `limit + 1` of them.
fn page<'a>(scope: &Scope, filter: &HazardFilter, now: NaiveDateTime) -> BoxedQuery<'a> {
    let mut query = filtered(scope, filter, now);
    if let Some(after) = &filter.after {
        // The plain bound lets the (created_at, id) index start at the cursor; the OR alone
        // would read every newer row again on each page.
        query = query.filter(hazards::created_at.le(after.at)).filter(
            hazards::created_at.lt(after.at).or(hazards::created_at
                .eq(after.at)
                .and(hazards::id.lt(after.id.clone()))),
        );
    }
    query
        .order((hazards::created_at.desc(), hazards::id.desc()))
        .limit(filter.limit + 1)
}

/// Unresolved hazards (open, submitted, verified) in scope, the soonest deadline first: what an
/// enterprise works down.
pub fn unresolved_by_deadline(
    conn: &mut DbConnection,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<HazardRow>, ApiError> {
    Ok(scoped(scope)
        .filter(hazards::status.eq_any(["open", "submitted", "verified"]))
        .order((hazards::deadline.asc(), hazards::id.asc()))
        .limit(limit)
        .select(HazardRow::as_select())
        .load(conn)?)
}
