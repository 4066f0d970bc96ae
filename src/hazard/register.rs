//! Registering a reported hazard: the checks that need the database (the enterprise, the
//! inspection and its checklist item in the caller's scope), then the row, its photos and the
//! first event of its record in one transaction. Idempotent on the client's id.

use chrono::Utc;
use diesel::Connection;

use super::api::CreateHazard;
use super::model::{self, HazardRow};
use super::report::{self, HazardLevel, HazardSource, ReportText};
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::evidence::model as photo_model;
use crate::idempotency::{self, Created};
use crate::inspection::{checklist, model as inspection_model};
use crate::registry::enterprise;
use crate::stats::tally;

/// Where the report comes from, and what its checklist item says.
struct Origin {
    source: HazardSource,
    level: HazardLevel,
    legal_basis: Option<String>,
}

fn origin(
    conn: &mut DbConnection,
    caller: &AuthUser,
    scope: &Scope,
    body: &CreateHazard,
) -> Result<Origin, ApiError> {
    let mut origin = Origin {
        source: HazardSource::of(caller.role, None),
        level: body.level,
        legal_basis: body.legal_basis.clone(),
    };
    let Some(inspection_id) = body.inspection_id else {
        if body.checklist_item_code.is_some() {
            return Err(ApiError::validation(
                "checklist_item_code",
                "needs the inspection whose checklist it is from",
            ));
        }
        return Ok(origin);
    };
    let inspection = inspection_model::find_in_scope(conn, scope, &inspection_id.to_string())
        .map_err(|_| ApiError::validation("inspection_id", "is not an inspection you can see"))?
        .row;
    if inspection.enterprise_id != body.enterprise_id.to_string() {
        return Err(ApiError::validation(
            "inspection_id",
            "is an inspection of another enterprise",
        ));
    }
    let is_self = inspection.kind == "self";
    if caller.role == Role::Enterprise && !is_self {
        return Err(ApiError::validation(
            "inspection_id",
            "an enterprise reports from its own self-inspections",
        ));
    }
    origin.source = HazardSource::of(caller.role, Some(is_self));
    if let Some(code) = &body.checklist_item_code {
        let items = match &inspection.checklist_id {
            Some(checklist_id) => checklist::items_of(conn, checklist_id)?,
            None => Vec::new(),
        };
        let item = items
            .into_iter()
            .find(|item| &item.code == code)
            .ok_or_else(|| {
                ApiError::validation(
                    "checklist_item_code",
                    "is not an item of the inspection's checklist",
                )
            })?;
        if item.major {
            origin.level = HazardLevel::Major;
        }
        origin.legal_basis = origin.legal_basis.or(Some(item.legal_basis));
    }
    Ok(origin)
}

/// Stores a report with its photos and first event, in one transaction. Idempotent on the
/// client's id: the same body again gives the stored hazard back.
pub fn report(
    conn: &mut DbConnection,
    caller: &AuthUser,
    body: CreateHazard,
    hash: String,
) -> Result<Created<HazardRow>, ApiError> {
    let id = body.id.to_string();
    let scope = Scope::of(caller);
    if let Some(existing) = model::find_any(conn, &id)? {
        return replay(conn, &scope, existing, &hash);
    }
    let now = Utc::now();
    let text = ReportText {
        description: &body.description,
        location: body.location.as_deref(),
        responsible_person: &body.responsible_person,
        measures: &body.measures,
        legal_basis: body.legal_basis.as_deref(),
        deadline: body.deadline,
    };
    ApiError::check_fields(report::field_errors(&text, now))?;
    crate::documents::fonts::printable(&[
        ("description", Some(&body.description)),
        ("location", body.location.as_deref()),
        ("responsible_person", Some(&body.responsible_person)),
        ("measures", Some(&body.measures)),
        ("legal_basis", body.legal_basis.as_deref()),
    ])?;
    if body.photo_ids.len() > MAX_PHOTOS {
        return Err(ApiError::validation(
            "photo_ids",
            format!("at most {MAX_PHOTOS} photos"),
        ));
    }
    let enterprise = enterprise::find_in_scope(conn, &scope, &body.enterprise_id.to_string())
        .map_err(|_| ApiError::validation("enterprise_id", "is not an enterprise you can see"))?;
    let origin = origin(conn, caller, &scope, &body)?;
    let now = db::now();
    let row = HazardRow {
        id: id.clone(),
        inspection_id: body.inspection_id.map(|i| i.to_string()),
        enterprise_id: enterprise.id,
        region_code: enterprise.region_code,
        sector_code: enterprise.sector_code,
        source: origin.source.as_str().to_owned(),
        level: origin.level.as_str().to_owned(),
        description: body.description.trim().to_owned(),
        location: body.location.map(|l| l.trim().to_owned()),
        legal_basis: origin.legal_basis,
        checklist_item_code: body.checklist_item_code,
        deadline: db::stored_time(body.deadline),
        responsible_person: body.responsible_person.trim().to_owned(),
        measures: body.measures.trim().to_owned(),
        listed_level: None,
        status: "open".into(),
        reported_by: caller.id.to_string(),
        request_hash: hash.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
        rectified_at: None,
        closed_at: None,
        status_since: Some(now),
    };
    let photo_ids: Vec<String> = body.photo_ids.iter().map(|p| p.to_string()).collect();
    let stored = conn.transaction(|conn| {
        model::insert(conn, &row).map_err(|e| {
            if idempotency::is_unique_violation(&e) {
                ApiError::Conflict {
                    code: ID_TAKEN,
                    detail: String::new(),
                }
            } else {
                e.into()
            }
        })?;
        photo_model::attach(
            conn,
            caller,
            &row.id,
            &photo_ids,
            &["hazard", "site"],
            "photo_ids",
        )?;
        // The record starts with the report, its facts in the chain.
        let detail = serde_json::json!({
            "level": row.level, "deadline": row.deadline.and_utc(), "description": row.description,
            "enterprise_id": row.enterprise_id, "source": row.source,
        });
        super::events::append(
            conn,
            super::events::NewEvent {
                hazard_id: &row.id,
                actor_id: &row.reported_by,
                actor_role: caller.role.as_str(),
                action: "report",
                from_status: None,
                to_status: "open",
                note: None,
                photo_ids: &photo_ids,
                detail: Some(detail.to_string()),
            },
        )?;
        // Last, so the shared tally row is locked for the least time.
        tally::hazard_reported(conn, &row)?;
        Ok(())
    });
    match stored {
        Ok(()) => Ok(Created::New(row)),
        // Another try of the same report won the race.
        Err(ApiError::Conflict { code: ID_TAKEN, .. }) => match model::find_any(conn, &id)? {
            Some(existing) => replay(conn, &scope, existing, &hash),
            None => Err(ApiError::internal("hazard id taken but not found")),
        },
        Err(e) => Err(e),
    }
}

/// Marks the insert losing a race on the client's id, inside the transaction.
const ID_TAKEN: &str = "id_taken";

/// Photos a report may carry.
const MAX_PHOTOS: usize = 20;

fn replay(
    conn: &mut DbConnection,
    scope: &Scope,
    existing: HazardRow,
    hash: &str,
) -> Result<Created<HazardRow>, ApiError> {
    let visible = model::find_in_scope(conn, scope, &existing.id).is_ok();
    idempotency::replay_or_conflict(&existing.request_hash, hash, visible)?;
    Ok(Created::Replayed(existing))
}
