//! Inspection endpoints: file (idempotent on the client's id), list, read, amend a draft, submit.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::filing;
use super::model::{self, Inspection, InspectionChanges, InspectionFilter, InspectionRow};
use super::rules::InspectionKind;
use crate::AppState;
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::conditional;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, double_option};
use crate::idempotency::{self, Created};
use crate::pagination::{self, Cursor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    NotApplicable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
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
    #[serde(default, deserialize_with = "crate::ids::distinct")]
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
    #[schema(value_type = super::rules::InspectionStatus)]
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
    pub status: Option<super::rules::InspectionStatus>,
    /// A region code prefix.
    pub region: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionPage {
    pub items: Vec<InspectionView>,
    pub next_cursor: Option<String>,
    pub server_time: DateTime<Utc>,
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
    let mut errors = filing::field_errors(
        body.started_at,
        body.finished_at,
        (body.latitude, body.longitude),
        body.campaign.as_deref(),
        &body.summary,
    );
    errors.extend(filing::started_at_error(
        body.started_at,
        state.config.inspection_max_age_days,
        chrono::Utc::now(),
    ));
    ApiError::check_fields(errors)?;
    crate::documents::fonts::printable(&printed(&body.summary, &body.results, &body.campaign))?;
    let created = db::run(&state.pool, move |conn| {
        filing::file(conn, &caller, body, hash)
    })
    .await?;
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
        status: query.status.map(|s| s.as_str().to_owned()),
        region: query.region,
        updated_since: query.updated_since.map(|t| t.naive_utc()),
        after: query.cursor.as_deref().map(Cursor::decode).transpose()?,
        limit,
    };
    let server_time = pagination::server_time();
    let scope = Scope::of(&caller);
    let rows = db::read(&state.pool, move |conn| model::list(conn, &scope, &filter)).await?;
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
    let inspection = db::read(&state.pool, move |conn| {
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
        conditional::check_version(expected.as_ref(), current.row.version)?;
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
        ApiError::check_fields(filing::field_errors(
            row.started_at.and_utc(),
            finished_at,
            (latitude, longitude),
            campaign.as_deref(),
            &summary,
        ))?;
        let no_results = Vec::new();
        crate::documents::fonts::printable(&printed(
            &summary,
            patch.results.as_ref().unwrap_or(&no_results),
            &campaign,
        ))?;
        let results = match &patch.results {
            Some(results) => Some(filing::result_rows(
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

/// What the inspection's record prints of what the caller wrote.
fn printed<'a>(
    summary: &'a str,
    results: &'a [ItemResult],
    campaign: &'a Option<String>,
) -> Vec<(&'a str, Option<&'a str>)> {
    let mut fields = vec![
        ("summary", Some(summary)),
        ("campaign", campaign.as_deref()),
    ];
    fields.extend(results.iter().map(|r| ("results.note", r.note.as_deref())));
    fields
}
