//! The loop's endpoints: act on a hazard, read its record, verify the record's chain.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::api::HazardView;
use super::events::{self, EventRow};
use super::model;
use super::transitions::{self, TransitionRequest};
use crate::AppState;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::conditional;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::evidence::model as photo_model;
use crate::extract::Json;

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub sequence: i32,
    pub actor_id: uuid::Uuid,
    pub actor_role: String,
    /// `report`, `submit_rectification`, `verify_pass`, `verify_fail`, `approve_closure`,
    /// `reject_closure`, `cancel`.
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    pub photo_ids: Vec<uuid::Uuid>,
    /// Facts of the action, e.g. the reported level and deadline.
    pub detail: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and this event's canonical encoding.
    pub hash: String,
}

impl From<EventRow> for EventView {
    fn from(row: EventRow) -> Self {
        EventView {
            sequence: row.sequence,
            actor_id: row.actor_id.parse().expect("user ids are UUIDs"),
            actor_role: row.actor_role,
            action: row.action,
            from_status: row.from_status,
            to_status: row.to_status,
            note: row.note,
            photo_ids: events::photo_list(&row.photo_ids)
                .iter()
                .filter_map(|p| p.parse().ok())
                .collect(),
            detail: row.detail.and_then(|d| serde_json::from_str(&d).ok()),
            at: row.at.and_utc(),
            prev_hash: row.prev_hash,
            hash: row.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainCheck {
    /// Every event links to the one before and its hash recomputes.
    pub valid: bool,
    pub events: usize,
    /// The first event that does not check out.
    pub first_bad_sequence: Option<i32>,
}

/// Move a hazard through the loop (who may do what from which status: docs/closed-loop.md). Send `If-Match` with the version you acted
/// on; a stale one answers 412, an action not allowed now 409 with the allowed ones.
#[utoipa::path(
    tag = "hazards",
    params(("id" = uuid::Uuid, Path)),
    request_body = TransitionRequest,
    responses(
        (status = 200, body = HazardView),
        (status = 409, description = "not allowed from this status, or someone acted at the same moment", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/hazards/{id}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    Json(body): Json<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = conditional::expected_version(&req)?;
    let id = id.into_inner().to_string();
    let (row, photos) = db::run(&state.pool, move |conn| {
        let row = transitions::transition(conn, &caller, &id, &body, expected)?;
        let photos = photo_model::of_hazard(conn, &id)?;
        Ok((row, photos))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, conditional::etag(row.version)))
        .json(HazardView::with_photos(row, photos, db::now())))
}

/// The hazard's record, oldest first.
#[utoipa::path(
    tag = "hazards",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<EventView>), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/hazards/{id}/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let rows = db::run(&state.pool, move |conn| {
        model::find_in_scope(conn, &Scope::of(&caller), &id)?;
        events::list(conn, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(EventView::from).collect::<Vec<_>>()))
}

/// Recompute the record's hash chain.
#[utoipa::path(
    tag = "hazards",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ChainCheck), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/hazards/{id}/events/verify")]
pub async fn verify_events(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let check = db::run(&state.pool, move |conn| {
        model::find_in_scope(conn, &Scope::of(&caller), &id)?;
        events::verify(conn, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ChainCheck {
        valid: check.valid,
        events: check.events,
        first_bad_sequence: check.first_bad_sequence,
    }))
}
