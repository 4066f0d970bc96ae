//! Inspection endpoints: file (idempotent on the client's id), list, read, amend a draft, submit.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::checklist;
use super::model::{
    self, Inspection, InspectionChanges, InspectionFilter, InspectionRow, ResultRow,
};
use super::rules::{InspectionKind, Officer, officer_problem};
use crate::AppState;
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::conditional;
use crate::db::schema::users;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{Json, double_option};
use crate::idempotency::{self, Created};
use crate::pagination::{self, Cursor};
use crate::registry::enterprise;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    NotApplicable,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "not_applicable",
        }
    }

    fn parse(text: &str) -> Outcome {
        match text {
            "pass" => Outcome::Pass,
            "fail" => Outcome::Fail,
            _ => Outcome::NotApplicable,
        }
    }
}

/// The result of one checklist item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemResult {
    pub item_code: String,
    pub outcome: Outcome,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInspection {
    /// Made by the phone (UUID); sending the same create again returns the stored inspection.
    pub id: uuid::Uuid,
    pub enterprise_id: uuid::Uuid,
    pub kind: InspectionKind,
    /// The officers present. Enforcement kinds need at least two active inspectors with
    /// certificate numbers, the caller among them; `self` names none.
    #[serde(default)]
    pub officer_ids: Vec<uuid::Uuid>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The campaign (专项整治行动) a `special` inspection belongs to.
    pub campaign: Option<String>,
    pub checklist_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub results: Vec<ItemResult>,
    #[serde(default)]
    pub summary: String,
}

/// Changes to a draft; absent fields stay, `null` clears. `results` replaces all results.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionPatch {
    #[serde(default, deserialize_with = "double_option")]
    pub finished_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "double_option")]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub campaign: Option<Option<String>>,
    pub summary: Option<String>,
    pub results: Option<Vec<ItemResult>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionView {
    pub id: uuid::Uuid,
    pub enterprise_id: uuid::Uuid,
    pub kind: InspectionKind,
    pub campaign: Option<String>,
    pub checklist_id: Option<uuid::Uuid>,
    /// `draft` or `submitted`; a submitted inspection is read-only.
    pub status: String,
    pub officer_ids: Vec<uuid::Uuid>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub summary: String,
    pub results: Vec<ItemResult>,
    pub created_by: uuid::Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn uuid_of(text: &str) -> uuid::Uuid {
    text.parse().expect("ids are UUIDs")
}

impl From<Inspection> for InspectionView {
    fn from(i: Inspection) -> Self {
        let row = i.row;
        InspectionView {
            id: uuid_of(&row.id),
            enterprise_id: uuid_of(&row.enterprise_id),
            kind: InspectionKind::parse(&row.kind).expect("kinds are checked by the database"),
            campaign: row.campaign,
            checklist_id: row.checklist_id.as_deref().map(uuid_of),
            status: row.status,
            officer_ids: i.officer_ids.iter().map(|id| uuid_of(id)).collect(),
            started_at: row.started_at.and_utc(),
            finished_at: row.finished_at.map(|t| t.and_utc()),
            latitude: row.latitude,
            longitude: row.longitude,
            summary: row.summary,
            results: i
                .results
                .into_iter()
                .map(|r| ItemResult {
                    item_code: r.item_code,
                    outcome: Outcome::parse(&r.outcome),
                    note: r.note,
                })
                .collect(),
            created_by: uuid_of(&row.created_by),
            submitted_at: row.submitted_at.map(|t| t.and_utc()),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionQuery {
    pub enterprise_id: Option<uuid::Uuid>,
    pub kind: Option<InspectionKind>,
    /// `draft` or `submitted`.
    pub status: Option<String>,
    /// A region code prefix.
    pub region: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionPage {
    pub items: Vec<InspectionView>,
    pub next_cursor: Option<String>,
    pub server_time: DateTime<Utc>,
}

/// Checks times, position and text that need no database.
fn field_errors(
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
    if summary.chars().count() > 5000 {
        errors.push(FieldError::new(
            "summary",
            "must be at most 5000 characters",
        ));
    }
    errors
}

/// Results must name items of the inspection's checklist, each once.
fn result_rows(
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

/// Validates against the database and stores; finds the earlier try of a retried create.
fn file(
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

/// File an inspection (as a draft). Idempotent on `id`: a retry returns the stored one (200).
#[utoipa::path(
    tag = "inspections",
    request_body = CreateInspection,
    responses(
        (status = 201, body = InspectionView),
        (status = 200, description = "the same create was already stored", body = InspectionView),
        (status = 409, description = "the id belongs to a different inspection", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/inspections")]
pub async fn create_inspection(
    state: web::Data<AppState>,
    caller: AuthUser,
    Json(body): Json<CreateInspection>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Inspector, Role::Enterprise])?;
    if caller.role != body.kind.filed_by() {
        return Err(ApiError::Forbidden(match caller.role {
            Role::Enterprise => "an enterprise files only self-inspections (kind `self`)".into(),
            _ => "self-inspections are filed by the enterprise".into(),
        }));
    }
    let hash = idempotency::request_hash(&body);
    ApiError::check_fields(field_errors(
        body.started_at,
        body.finished_at,
        (body.latitude, body.longitude),
        body.campaign.as_deref(),
        &body.summary,
    ))?;
    let created = db::run(&state.pool, move |conn| file(conn, &caller, body, hash)).await?;
    Ok(match created {
        Created::New(inspection) => HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/api/v1/inspections/{}", inspection.row.id),
            ))
            .insert_header((header::ETAG, conditional::etag(inspection.row.version)))
            .json(InspectionView::from(inspection)),
        Created::Replayed(inspection) => HttpResponse::Ok()
            .insert_header((header::ETAG, conditional::etag(inspection.row.version)))
            .json(InspectionView::from(inspection)),
    })
}

/// Inspections in the caller's scope, newest first.
#[utoipa::path(tag = "inspections", params(InspectionQuery), responses((status = 200, body = InspectionPage)), security(("bearer" = [])))]
#[get("/inspections")]
pub async fn list_inspections(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<InspectionQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let filter = InspectionFilter {
        enterprise_id: query.enterprise_id.map(|e| e.to_string()),
        kind: query.kind.map(|k| k.as_str().to_owned()),
        status: query.status,
        region: query.region,
        updated_since: query.updated_since.map(|t| t.naive_utc()),
        after: query.cursor.as_deref().map(Cursor::decode).transpose()?,
        limit,
    };
    let server_time = pagination::server_time();
    let scope = Scope::of(&caller);
    let rows = db::run(&state.pool, move |conn| model::list(conn, &scope, &filter)).await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, |i| Cursor {
        at: i.row.created_at,
        id: i.row.id.clone(),
    });
    Ok(HttpResponse::Ok().json(InspectionPage {
        items: rows.into_iter().map(InspectionView::from).collect(),
        next_cursor,
        server_time,
    }))
}

/// One inspection in the caller's scope.
#[utoipa::path(
    tag = "inspections",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = InspectionView), (status = 304), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/inspections/{id}")]
pub async fn get_inspection(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let scope = Scope::of(&caller);
    let inspection = db::run(&state.pool, move |conn| {
        model::find_in_scope(conn, &scope, &id)
    })
    .await?;
    let etag = conditional::etag(inspection.row.version);
    if conditional::not_modified(&req, inspection.row.version) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .json(InspectionView::from(inspection)))
}

/// Only whoever filed a draft, or one of its officers, may change or submit it.
fn require_author(caller: &AuthUser, inspection: &Inspection) -> Result<(), ApiError> {
    let me = caller.id.to_string();
    if inspection.row.created_by == me || inspection.officer_ids.contains(&me) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the officers of an inspection may change it".into(),
        ))
    }
}

fn require_draft(row: &InspectionRow) -> Result<(), ApiError> {
    if row.status == "draft" {
        Ok(())
    } else {
        Err(ApiError::Conflict {
            code: "inspection_submitted",
            detail: "a submitted inspection is read-only".into(),
        })
    }
}

/// Amend a draft inspection.
#[utoipa::path(
    tag = "inspections",
    params(("id" = uuid::Uuid, Path)),
    request_body = InspectionPatch,
    responses(
        (status = 200, body = InspectionView),
        (status = 409, description = "already submitted", body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/inspections/{id}")]
pub async fn update_inspection(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    Json(patch): Json<InspectionPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Inspector, Role::Enterprise])?;
    let expected = conditional::expected_version(&req)?;
    let id = id.into_inner().to_string();
    let updated = db::run(&state.pool, move |conn| {
        let scope = Scope::of(&caller);
        let current = model::find_in_scope(conn, &scope, &id)?;
        require_author(&caller, &current)?;
        conditional::check_version(expected, current.row.version)?;
        require_draft(&current.row)?;
        let row = &current.row;
        let finished_at = patch
            .finished_at
            .unwrap_or(row.finished_at.map(|t| t.and_utc()));
        let latitude = patch.latitude.unwrap_or(row.latitude);
        let longitude = patch.longitude.unwrap_or(row.longitude);
        let campaign = patch
            .campaign
            .clone()
            .unwrap_or_else(|| row.campaign.clone());
        let summary = patch.summary.clone().unwrap_or_else(|| row.summary.clone());
        ApiError::check_fields(field_errors(
            row.started_at.and_utc(),
            finished_at,
            (latitude, longitude),
            campaign.as_deref(),
            &summary,
        ))?;
        let results = match &patch.results {
            Some(results) => Some(result_rows(
                conn,
                &id,
                row.checklist_id.as_deref(),
                results,
            )?),
            None => None,
        };
        let changes = InspectionChanges {
            campaign: patch.campaign,
            finished_at: patch.finished_at.map(|f| f.map(db::stored_time)),
            latitude: patch.latitude,
            longitude: patch.longitude,
            summary: patch.summary,
            ..InspectionChanges::default()
        };
        model::update_draft(conn, row, changes, results.as_deref())?;
        model::find_in_scope(conn, &scope, &id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, conditional::etag(updated.row.version)))
        .json(InspectionView::from(updated)))
}

/// Submit a draft: from now on it is read-only and counts in the statistics.
#[utoipa::path(
    tag = "inspections",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = InspectionView),
        (status = 409, description = "already submitted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/inspections/{id}/submit")]
pub async fn submit_inspection(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Inspector, Role::Enterprise])?;
    let id = id.into_inner().to_string();
    let submitted = db::run(&state.pool, move |conn| {
        let scope = Scope::of(&caller);
        let current = model::find_in_scope(conn, &scope, &id)?;
        require_author(&caller, &current)?;
        require_draft(&current.row)?;
        let now = db::now();
        let changes = InspectionChanges {
            status: Some("submitted".into()),
            submitted_at: Some(Some(now)),
            finished_at: Some(Some(current.row.finished_at.unwrap_or(now))),
            ..InspectionChanges::default()
        };
        model::update_draft(conn, &current.row, changes, None)?;
        model::find_in_scope(conn, &scope, &id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, conditional::etag(submitted.row.version)))
        .json(InspectionView::from(submitted)))
}
