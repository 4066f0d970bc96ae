//! Inspection rows, their officers and checklist results, and the scoped queries on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::scope::Scope;
use crate::db::schema::{inspection_officers, inspection_results, inspections};
use crate::db::{DbBackend, DbConnection};
use crate::error::ApiError;
use crate::pagination::Cursor;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = inspections)]
pub struct InspectionRow {
    pub id: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub sector_code: String,
    pub kind: String,
    pub campaign: Option<String>,
    pub checklist_id: Option<String>,
    pub status: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub summary: String,
    pub created_by: String,
    pub submitted_at: Option<NaiveDateTime>,
    pub request_hash: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = inspection_results)]
pub struct ResultRow {
    pub inspection_id: String,
    pub item_code: String,
    pub outcome: String,
    pub note: Option<String>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = inspections)]
pub struct InspectionChanges {
    pub campaign: Option<Option<String>>,
    pub finished_at: Option<Option<NaiveDateTime>>,
    pub latitude: Option<Option<f64>>,
    pub longitude: Option<Option<f64>>,
    pub summary: Option<String>,
    pub status: Option<String>,
    pub submitted_at: Option<Option<NaiveDateTime>>,
    pub version: Option<i64>,
    pub updated_at: Option<NaiveDateTime>,
}

/// An inspection with everything hanging off it.
pub struct Inspection {
    pub row: InspectionRow,
    pub officer_ids: Vec<String>,
    pub results: Vec<ResultRow>,
}

type BoxedQuery<'a> = inspections::BoxedQuery<'a, DbBackend>;

fn scoped<'a>(scope: &Scope) -> BoxedQuery<'a> {
    crate::apply_scope!(
        inspections::table.into_boxed(),
        scope,
        enterprise: inspections::enterprise_id,
        region: inspections::region_code,
        sector: inspections::sector_code
    )
}

/// Stores a new inspection with its officers and results, in one transaction.
pub fn insert(
    conn: &mut DbConnection,
    inspection: &Inspection,
) -> Result<(), diesel::result::Error> {
    conn.transaction(|conn| {
        diesel::insert_into(inspections::table)
            .values(&inspection.row)
            .execute(conn)?;
        // MultiConnection has no batch insert: one statement per row, in one transaction.
        for user in &inspection.officer_ids {
            diesel::insert_into(inspection_officers::table)
                .values((
                    inspection_officers::inspection_id.eq(&inspection.row.id),
                    inspection_officers::user_id.eq(user),
                ))
                .execute(conn)?;
        }
        for result in &inspection.results {
            diesel::insert_into(inspection_results::table)
                .values(result)
                .execute(conn)?;
        }
        touch_inspection(conn, &inspection.row)?;
        Ok(())
    })
}

/// Whatever the scope: for telling a replayed create from a clashing one.
pub fn find_any(conn: &mut DbConnection, id: &str) -> Result<Option<InspectionRow>, ApiError> {
    Ok(inspections::table
        .find(id)
        .select(InspectionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_in_scope(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
) -> Result<Inspection, ApiError> {
    let row = scoped(scope)
        .filter(inspections::id.eq(id.to_owned()))
        .select(InspectionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("inspection"))?;
    complete(conn, row)
}

/// The ones of `ids` in `scope`, complete.
pub fn in_scope(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: Vec<String>,
) -> Result<Vec<Inspection>, ApiError> {
    let rows: Vec<InspectionRow> = scoped(scope)
        .filter(inspections::id.eq_any(ids))
        .select(InspectionRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|row| complete(conn, row)).collect()
}

pub fn complete(conn: &mut DbConnection, row: InspectionRow) -> Result<Inspection, ApiError> {
    let officer_ids = inspection_officers::table
        .filter(inspection_officers::inspection_id.eq(&row.id))
        .select(inspection_officers::user_id)
        .order(inspection_officers::user_id)
        .load(conn)?;
    let results = results_of(conn, &row.id)?;
    Ok(Inspection {
        row,
        officer_ids,
        results,
    })
}

pub fn results_of(
    conn: &mut DbConnection,
    inspection_id: &str,
) -> Result<Vec<ResultRow>, ApiError> {
    Ok(inspection_results::table
        .filter(inspection_results::inspection_id.eq(inspection_id))
        .order(inspection_results::item_code)
        .select(ResultRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Default)]
pub struct InspectionFilter {
    pub enterprise_id: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub region: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// Newest first, `limit + 1` rows.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &InspectionFilter,
) -> Result<Vec<Inspection>, ApiError> {
    let mut query = scoped(scope);
    if let Some(enterprise_id) = &filter.enterprise_id {
        query = query.filter(inspections::enterprise_id.eq(enterprise_id.clone()));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(inspections::kind.eq(kind.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(inspections::status.eq(status.clone()));
    }
    if let Some(region) = &filter.region {
        query = crate::apply_region!(query, inspections::region_code, region);
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(inspections::updated_at.gt(since));
    }
    if let Some(after) = &filter.after {
        // The plain bound lets the (created_at, id) index start at the cursor; the OR alone
        // would read every newer row again on each page.
        query = query.filter(inspections::created_at.le(after.at)).filter(
            inspections::created_at
                .lt(after.at)
                .or(inspections::created_at
                    .eq(after.at)
                    .and(inspections::id.lt(after.id.clone()))),
        );
    }
    let rows: Vec<InspectionRow> = query
        .order((inspections::created_at.desc(), inspections::id.desc()))
        .limit(filter.limit + 1)
        .select(InspectionRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|row| complete(conn, row)).collect()
}

/// Applies changes to a draft at the version read; 409 if it is no longer a draft at that version.
pub fn update_draft(
    conn: &mut DbConnection,
    current: &InspectionRow,
    mut changes: InspectionChanges,
    results: Option<&[ResultRow]>,
) -> Result<(), ApiError> {
    changes.version = Some(current.version + 1);
    let now = crate::db::now();
    changes.updated_at = Some(now);
    conn.transaction(|conn| {
        let updated = diesel::update(
            inspections::table
                .filter(inspections::id.eq(&current.id))
                .filter(inspections::version.eq(current.version))
                .filter(inspections::status.eq("draft")),
        )
        .set(&changes)
        .execute(conn)?;
        if updated == 0 {
            return Err(ApiError::Conflict {
                code: "inspection_changed",
                detail: "the inspection was submitted or changed meanwhile; read it again".into(),
            });
        }
        if let Some(results) = results {
            diesel::delete(
                inspection_results::table.filter(inspection_results::inspection_id.eq(&current.id)),
            )
            .execute(conn)?;
            for result in results {
                diesel::insert_into(inspection_results::table)
                    .values(result)
                    .execute(conn)?;
            }
        }
        touch_inspection(conn, current)?;
        // Last, so the shared tally rows are locked for the least time.
        if changes.status.as_deref() == Some("submitted") {
            let at = changes.submitted_at.flatten().unwrap_or(now);
            announce_submission(conn, current, at)?;
            crate::stats::tally::inspection_submitted(conn, current, at)?;
        }
        Ok(())
    })
}

/// Puts the inspection at the end of the sync log.
fn touch_inspection(
    conn: &mut DbConnection,
    row: &InspectionRow,
) -> Result<(), diesel::result::Error> {
    use crate::sync::log::{self, Entity, Facts};
    let facts = Facts::of_enterprise(&row.enterprise_id, &row.region_code, &row.sector_code);
    log::touch(conn, Entity::Inspection, &row.id, &facts)
}

/// `inspection.submitted`, in the submission's transaction.
fn announce_submission(
    conn: &mut DbConnection,
    inspection: &InspectionRow,
    at: chrono::NaiveDateTime,
) -> Result<(), ApiError> {
    use crate::notify::outbox::{self, Subject};
    let data = serde_json::json!({
        "inspection_id": inspection.id,
        "enterprise_id": inspection.enterprise_id,
        "kind": inspection.kind,
        "campaign": inspection.campaign,
        "submitted_at": at.and_utc(),
        "region_code": inspection.region_code,
        "sector_code": inspection.sector_code,
    });
    let subject = Subject {
        hazard_id: None,
        enterprise_id: Some(inspection.enterprise_id.clone()),
        region_code: Some(inspection.region_code.clone()),
        sector_code: Some(inspection.sector_code.clone()),
    };
    outbox::record(conn, "inspection.submitted", subject, data)?;
    Ok(())
}
