//! Filing an inspection: the checks on its times, position and text, its officers (the
//! two-officer rule is in `rules.rs`), its checklist results, and storing it as a draft.
//! Idempotent on the client's id.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::api::{CreateInspection, ItemResult};
use super::checklist;
use super::model::{self, Inspection, InspectionRow, ResultRow};
use super::rules::{Officer, officer_problem};
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::db::schema::users;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, FieldError};
use crate::idempotency::{self, Created};
use crate::registry::{enterprise, user};

/// Checks times, position and text that need no database.
pub fn field_errors(
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    position: (Option<f64>, Option<f64>),
    campaign: Option<&str>,
    summary: &str,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    // Phones' clocks drift; a few minutes ahead is tolerated.
    if started_at > Utc::now() + Duration::minutes(10) {
        errors.push(FieldError::new("started_at", "is in the future"));
    }
    if finished_at.is_some_and(|f| f < started_at) {
        errors.push(FieldError::new("finished_at", "is before started_at"));
    } else if finished_at.is_some_and(|f| f > Utc::now() + Duration::minutes(10)) {
        errors.push(FieldError::new("finished_at", "is in the future"));
    }
    match position {
        (Some(lat), Some(lon))
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) =>
        {
            errors.push(FieldError::new(
                "latitude",
                "latitude must be within ±90 and longitude within ±180",
            ))
        }
        (Some(_), None) | (None, Some(_)) => errors.push(FieldError::new(
            "latitude",
            "give both latitude and longitude, or neither",
        )),
        _ => {}
    }
    if campaign.is_some_and(|c| c.chars().count() > 200) {
        errors.push(FieldError::new(
            "campaign",
            "must be at most 200 characters",
        ));
    }
    if let Some(campaign) = campaign {
        errors.extend(crate::text::name_error("campaign", campaign));
    }
    if summary.chars().count() > 5000 {
        errors.push(FieldError::new(
            "summary",
            "must be at most 5000 characters",
        ));
    }
    errors
}

/// A new inspection's start must be recent: a phone offline for weeks still files its work,
/// but a start in 1900 is a typo or a forgery that would skew every period's figures.
pub fn started_at_error(
    started_at: DateTime<Utc>,
    max_age_days: i64,
    now: DateTime<Utc>,
) -> Option<FieldError> {
    (started_at < now - Duration::days(max_age_days)).then(|| {
        FieldError::new(
            "started_at",
            format!(
                "is more than {max_age_days} days ago (SAFELOOP_INSPECTION_MAX_AGE_DAYS); file inspections within that time"
            ),
        )
    })
}

/// Results must name items of the inspection's checklist, each once.
pub fn result_rows(
    conn: &mut DbConnection,
    inspection_id: &str,
    checklist_id: Option<&str>,
    results: &[ItemResult],
) -> Result<Vec<ResultRow>, ApiError> {
    if results.is_empty() {
        return Ok(Vec::new());
    }
    let Some(checklist_id) = checklist_id else {
        return Err(ApiError::validation(
            "results",
            "results need a checklist_id",
        ));
    };
    let items = checklist::items_of(conn, checklist_id)?;
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, result) in results.iter().enumerate() {
        if !items.iter().any(|item| item.code == result.item_code) {
            errors.push(FieldError::new(
                format!("results[{i}].item_code"),
                "is not an item of the checklist",
            ));
        } else if !seen.insert(result.item_code.as_str()) {
            errors.push(FieldError::new(
                format!("results[{i}].item_code"),
                "appears twice",
            ));
        }
        if result
            .note
            .as_deref()
            .is_some_and(|n| n.chars().count() > 2000)
        {
            errors.push(FieldError::new(
                format!("results[{i}].note"),
                "must be at most 2000 characters",
            ));
        }
    }
    ApiError::check_fields(errors)?;
    Ok(results
        .iter()
        .map(|r| ResultRow {
            inspection_id: inspection_id.to_owned(),
            item_code: r.item_code.clone(),
            outcome: r.outcome.as_str().to_owned(),
            note: r.note.clone(),
        })
        .collect())
}

fn officers(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<Officer>, ApiError> {
    let rows: Vec<(String, String, bool, Option<String>)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::role, users::active, users::certificate_no))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, role, active, certificate_no)| Officer {
            id,
            role: Role::parse(&role).expect("roles are checked by the database"),
            active,
            certificate_no,
        })
        .collect())
}

/// 行政处罚法 art. 42: each officer named must be one who may act at the enterprise, that is
/// whose own scope (region prefix and sectors) covers it, by the same rule that decides what
/// they see. The caller's scope was checked when the enterprise was found.
fn officer_outside_scope(
    conn: &mut DbConnection,
    caller_id: &str,
    officer_ids: &[String],
    enterprise_id: &str,
) -> Result<Option<FieldError>, ApiError> {
    let others: Vec<&String> = officer_ids.iter().filter(|id| *id != caller_id).collect();
    let rows: Vec<(String, Option<String>, String)> = users::table
        .filter(users::id.eq_any(&others))
        .select((users::id, users::region_prefix, users::sectors))
        .load(conn)?;
    for (id, region_prefix, sectors) in rows {
        let scope = match region_prefix {
            Some(region_prefix) => Scope::Area {
                region_prefix,
                sectors: user::sector_list(&sectors),
            },
            None => Scope::Nothing,
        };
        match enterprise::find_in_scope(conn, &scope, enterprise_id) {
            Ok(_) => {}
            Err(ApiError::NotFound(_)) => {
                return Ok(Some(FieldError::new(
                    "officer_ids",
                    format!(
                        "{id} may not act at this enterprise: their region and sectors do not cover it (行政处罚法 第四十二条)"
                    ),
                )));
            }
            Err(other) => return Err(other),
        }
    }
    Ok(None)
}

/// Validates against the database and stores; finds the earlier try of a retried create.
pub fn file(
    conn: &mut DbConnection,
    caller: &AuthUser,
    body: CreateInspection,
    hash: String,
) -> Result<Created<Inspection>, ApiError> {
    let id = body.id.to_string();
    let scope = Scope::of(caller);
    if let Some(existing) = model::find_any(conn, &id)? {
        return replay(conn, &scope, existing, &hash);
    }
    let enterprise = enterprise::find_in_scope(conn, &scope, &body.enterprise_id.to_string())
        .map_err(|_| ApiError::validation("enterprise_id", "is not an enterprise you can see"))?;
    let officer_ids: Vec<String> = body.officer_ids.iter().map(|o| o.to_string()).collect();
    let known = officers(conn, &officer_ids)?;
    if let Some(problem) = officer_problem(body.kind, &caller.id.to_string(), &officer_ids, &known)
    {
        return Err(ApiError::Validation {
            detail: problem.message.clone(),
            errors: vec![problem],
        });
    }
    if let Some(problem) =
        officer_outside_scope(conn, &caller.id.to_string(), &officer_ids, &enterprise.id)?
    {
        return Err(ApiError::Validation {
            detail: problem.message.clone(),
            errors: vec![problem],
        });
    }
    let checklist_id = body.checklist_id.map(|c| c.to_string());
    if let Some(checklist_id) = &checklist_id
        && checklist::find(conn, checklist_id)?.is_none()
    {
        return Err(ApiError::validation("checklist_id", "is not a checklist"));
    }
    let results = result_rows(conn, &id, checklist_id.as_deref(), &body.results)?;
    let mut officer_ids = officer_ids;
    officer_ids.sort();
    officer_ids.dedup();
    let now = db::now();
    let inspection = Inspection {
        row: InspectionRow {
            id: id.clone(),
            enterprise_id: enterprise.id,
            region_code: enterprise.region_code,
            sector_code: enterprise.sector_code,
            kind: body.kind.as_str().to_owned(),
            campaign: body.campaign,
            checklist_id,
            status: "draft".into(),
            started_at: db::stored_time(body.started_at),
            finished_at: body.finished_at.map(db::stored_time),
            latitude: body.latitude,
            longitude: body.longitude,
            summary: body.summary,
            created_by: caller.id.to_string(),
            submitted_at: None,
            request_hash: hash.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        },
        officer_ids,
        results,
    };
    match model::insert(conn, &inspection) {
        Ok(()) => Ok(Created::New(inspection)),
        // Another try of the same create won the race.
        Err(e) if idempotency::is_unique_violation(&e) => match model::find_any(conn, &id)? {
            Some(existing) => replay(conn, &scope, existing, &hash),
            None => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

fn replay(
    conn: &mut DbConnection,
    scope: &Scope,
    existing: InspectionRow,
    hash: &str,
) -> Result<Created<Inspection>, ApiError> {
    let visible = model::find_in_scope(conn, scope, &existing.id).is_ok();
    idempotency::replay_or_conflict(&existing.request_hash, hash, visible)?;
    Ok(Created::Replayed(model::complete(conn, existing)?))
}
