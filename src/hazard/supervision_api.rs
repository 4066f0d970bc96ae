//! Endpoints for extensions (延期申请) and listed supervision (挂牌督办).

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::HazardView;
use super::supervision::{self, ExtensionFilter, ExtensionRow, ExtensionStatus, ListedLevel};
use crate::AppState;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::conditional;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::pagination::{self, Cursor};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    /// Later than the current deadline.
    pub requested_deadline: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecision {
    pub approve: bool,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingRequest {
    /// `county`, `city` or `province`; `null` lifts listed supervision.
    pub level: Option<ListedLevel>,
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionView {
    pub id: uuid::Uuid,
    pub hazard_id: uuid::Uuid,
    pub requested_deadline: DateTime<Utc>,
    pub reason: String,
    pub requested_by: uuid::Uuid,
    pub requested_at: DateTime<Utc>,
    pub status: ExtensionStatus,
    /// `approved`, `denied`, or absent while pending.
    pub decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<uuid::Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExtensionQuery {
    /// `pending` is the queue awaiting a supervisor's decision.
    #[param(inline)]
    pub status: Option<ExtensionStatus>,
    pub hazard_id: Option<uuid::Uuid>,
    pub enterprise_id: Option<uuid::Uuid>,
    pub cursor: Option<String>,
    /// 1-200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionPage {
    pub items: Vec<ExtensionView>,
    pub next_cursor: Option<String>,
}

impl From<ExtensionRow> for ExtensionView {
    fn from(row: ExtensionRow) -> Self {
        let uuid = |text: &str| text.parse().expect("ids are UUIDs");
        let status = row.status();
        ExtensionView {
            id: uuid(&row.id),
            hazard_id: uuid(&row.hazard_id),
            requested_deadline: row.requested_deadline.and_utc(),
            reason: row.reason,
            requested_by: uuid(&row.requested_by),
            requested_at: row.requested_at.and_utc(),
            status,
            decision: row.decision,
            decision_note: row.decision_note,
            decided_by: row.decided_by.as_deref().map(uuid),
            decided_at: row.decided_at.map(|t| t.and_utc()),
        }
    }
}

/// Ask for a later deadline (the enterprise, for its own open hazard).
#[utoipa::path(
    tag = "hazards",
    params(("id" = uuid::Uuid, Path)),
    request_body = ExtensionRequest,
    responses(
        (status = 201, body = ExtensionView),
        (status = 409, description = "not open, or a request is already pending", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/hazards/{id}/extensions")]
pub async fn request_extension(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
    Json(body): Json<ExtensionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let max_days = state.config.extension_max_days;
    let row = db::run(&state.pool, move |conn| {
        let asked = supervision::Extension {
            requested_deadline: body.requested_deadline,
            reason: &body.reason,
            max_days,
        };
        supervision::request_extension(conn, &caller, &id, asked)
    })
    .await?;
    Ok(HttpResponse::Created().json(ExtensionView::from(row)))
}

/// Approve (the deadline moves) or deny an extension request (a supervisor in scope).
#[utoipa::path(
    tag = "hazards",
    params(("id" = uuid::Uuid, Path)),
    request_body = ExtensionDecision,
    responses(
        (status = 200, body = ExtensionView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already decided (`already_decided`), or an approval on a closed or cancelled hazard (`extension_not_allowed`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/extensions/{id}/decision")]
pub async fn decide_extension(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
    Json(body): Json<ExtensionDecision>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let row = db::run(&state.pool, move |conn| {
        supervision::decide_extension(conn, &caller, &id, body.approve, body.note.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(ExtensionView::from(row)))
}

/// Extension requests on hazards in the caller's scope, newest first: with `status=pending`,
/// the requests a supervisor has to decide; for an enterprise, its own.
#[utoipa::path(
    tag = "hazards",
    params(ExtensionQuery),
    responses((status = 200, body = ExtensionPage), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/extensions")]
pub async fn list_extensions(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<ExtensionQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let filter = ExtensionFilter {
        status: query.status,
        hazard_id: query.hazard_id.map(|h| h.to_string()),
        enterprise_id: query.enterprise_id.map(|e| e.to_string()),
        after: query.cursor.as_deref().map(Cursor::decode).transpose()?,
        limit,
    };
    let scope = Scope::of(&caller);
    let rows = db::run(&state.pool, move |conn| {
        supervision::list_extensions(conn, &scope, &filter)
    })
    .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, |row| Cursor {
        at: row.requested_at,
        id: row.id.clone(),
    });
    Ok(HttpResponse::Ok().json(ExtensionPage {
        items: rows.into_iter().map(ExtensionView::from).collect(),
        next_cursor,
    }))
}

/// One extension request on a hazard in the caller's scope.
#[utoipa::path(
    tag = "hazards",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ExtensionView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/extensions/{id}")]
pub async fn get_extension(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let scope = Scope::of(&caller);
    let (row, _) = db::run(&state.pool, move |conn| {
        supervision::find_extension(conn, &scope, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ExtensionView::from(row)))
}

/// Put a hazard under listed supervision (挂牌督办) at a level, or lift it.
#[utoipa::path(
    tag = "hazards",
    params(("id" = uuid::Uuid, Path)),
    request_body = ListingRequest,
    responses((status = 200, body = HazardView), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/hazards/{id}/listing")]
pub async fn set_listing(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
    Json(body): Json<ListingRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let row = db::run(&state.pool, move |conn| {
        supervision::set_listing(conn, &caller, &id, body.level, &body.note)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, conditional::etag(row.version)))
        .json(HazardView::new(row, db::now())))
}
