//! Hazard endpoints: report (idempotent on the client's id), list with the loop's filters, read.

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::list_row::HazardListRow;
use super::model::{self, HazardFilter, HazardRow};
use super::register;
use super::report::{HazardLevel, HazardSource};
use crate::AppState;
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::conditional;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::evidence::api::PhotoView;
use crate::evidence::model as photo_model;
use crate::extract::Json;
use crate::idempotency::{self, Created};
use crate::pagination::{self, Cursor};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHazard {
    /// Made by the phone (UUID); sending the same report again returns the stored hazard.
    pub id: uuid::Uuid,
    /// The inspection it was found in; a self-inspection for an enterprise's own report.
    pub inspection_id: Option<uuid::Uuid>,
    pub enterprise_id: uuid::Uuid,
    /// Forced to `major` when the checklist item is a major-hazard item.
    pub level: HazardLevel,
    pub description: String,
    /// Where in the plant.
    pub location: Option<String>,
    /// The failed checklist item; its legal basis is copied in when `legal_basis` is absent.
    pub checklist_item_code: Option<String>,
    pub legal_basis: Option<String>,
    /// 整改时限: when rectification is due. Must lie ahead.
    pub deadline: DateTime<Utc>,
    /// 整改责任人.
    pub responsible_person: String,
    /// 整改措施: what must be done.
    pub measures: String,
    /// Photos of the hazard, uploaded first.
    #[serde(default, deserialize_with = "crate::ids::distinct")]
    pub photo_ids: Vec<uuid::Uuid>,
}

// A hazard as answered. Its texts are borrowed where a list page read them into one buffer per
// row (`list_row`), owned where a single hazard was read. (Not a doc comment: that would become
// the schema's description for clients.)
#[derive(Debug, Serialize, ToSchema)]
pub struct HazardView<'a> {
    #[schema(value_type = uuid::Uuid)]
    pub id: Cow<'a, str>,
    #[schema(value_type = Option<uuid::Uuid>)]
    pub inspection_id: Option<Cow<'a, str>>,
    #[schema(value_type = uuid::Uuid)]
    pub enterprise_id: Cow<'a, str>,
    #[schema(value_type = String)]
    pub sector: Cow<'a, str>,
    #[schema(value_type = String)]
    pub region_code: Cow<'a, str>,
    pub source: HazardSource,
    pub level: HazardLevel,
    #[schema(value_type = String)]
    pub description: Cow<'a, str>,
    #[schema(value_type = Option<String>)]
    pub location: Option<Cow<'a, str>>,
    #[schema(value_type = Option<String>)]
    pub legal_basis: Option<Cow<'a, str>>,
    #[schema(value_type = Option<String>)]
    pub checklist_item_code: Option<Cow<'a, str>>,
    #[serde(serialize_with = "crate::json_time::utc")]
    pub deadline: DateTime<Utc>,
    #[schema(value_type = String)]
    pub responsible_person: Cow<'a, str>,
    #[schema(value_type = String)]
    pub measures: Cow<'a, str>,
    /// 挂牌督办 level: `county`, `city` or `province`.
    #[schema(value_type = Option<crate::hazard::supervision::ListedLevel>)]
    pub listed_level: Option<Cow<'a, str>>,
    /// `open` 待整改, `submitted` 待复查, `verified` 待销号, `closed` 已销号, `cancelled` 已撤销.
    #[schema(value_type = crate::hazard::workflow::Status)]
    pub status: Cow<'a, str>,
    /// Open and past its deadline (逾期); derived, never stored.
    pub overdue: bool,
    /// Under listed supervision, or major and overdue.
    pub listed: bool,
    #[schema(value_type = uuid::Uuid)]
    pub reported_by: Cow<'a, str>,
    /// Also sent as `ETag`; send it back in `If-Match` to act on this version.
    pub version: i64,
    #[serde(serialize_with = "crate::json_time::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::json_time::utc")]
    pub updated_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::json_time::maybe_utc")]
    pub rectified_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::json_time::maybe_utc")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The photos attached to it (in single-hazard answers; lists leave them out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photos: Option<Vec<PhotoView>>,
}

impl HazardView<'static> {
    /// Ids are answered as stored: the server writes them as `Uuid`'s text, which is what
    /// `Uuid` serialises to.
    pub fn new(row: HazardRow, now: chrono::NaiveDateTime) -> Self {
        HazardView {
            overdue: row.is_overdue(now),
            listed: row.is_listed(now),
            id: Cow::Owned(row.id),
            inspection_id: row.inspection_id.map(Cow::Owned),
            enterprise_id: Cow::Owned(row.enterprise_id),
            sector: Cow::Owned(row.sector_code),
            region_code: Cow::Owned(row.region_code),
            source: HazardSource::parse(&row.source),
            level: HazardLevel::parse(&row.level),
            description: Cow::Owned(row.description),
            location: row.location.map(Cow::Owned),
            legal_basis: row.legal_basis.map(Cow::Owned),
            checklist_item_code: row.checklist_item_code.map(Cow::Owned),
            deadline: row.deadline.and_utc(),
            responsible_person: Cow::Owned(row.responsible_person),
            measures: Cow::Owned(row.measures),
            listed_level: row.listed_level.map(Cow::Owned),
            status: Cow::Owned(row.status),
            reported_by: Cow::Owned(row.reported_by),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            rectified_at: row.rectified_at.map(|t| t.and_utc()),
            closed_at: row.closed_at.map(|t| t.and_utc()),
            photos: None,
        }
    }

    /// The hazard with its photos.
    pub fn with_photos(
        row: HazardRow,
        photos: Vec<photo_model::PhotoRow>,
        now: chrono::NaiveDateTime,
    ) -> Self {
        let mut view = HazardView::new(row, now);
        view.photos = Some(photos.into_iter().map(PhotoView::from).collect());
        view
    }
}

impl<'a> HazardView<'a> {
    /// A row of a list page, its texts borrowed. Field by field as `new`: a field added to the
    /// view must be set in both, or the build stops.
    pub fn of_page_row(row: &'a HazardListRow, now: chrono::NaiveDateTime) -> Self {
        HazardView {
            overdue: row.is_overdue(now),
            listed: row.is_listed(now),
            id: Cow::Borrowed(row.id()),
            inspection_id: row.inspection_id().map(Cow::Borrowed),
            enterprise_id: Cow::Borrowed(row.enterprise_id()),
            sector: Cow::Borrowed(row.sector_code()),
            region_code: Cow::Borrowed(row.region_code()),
            source: HazardSource::parse(row.source()),
            level: HazardLevel::parse(row.level()),
            description: Cow::Borrowed(row.description()),
            location: row.location().map(Cow::Borrowed),
            legal_basis: row.legal_basis().map(Cow::Borrowed),
            checklist_item_code: row.checklist_item_code().map(Cow::Borrowed),
            deadline: row.deadline.and_utc(),
            responsible_person: Cow::Borrowed(row.responsible_person()),
            measures: Cow::Borrowed(row.measures()),
            listed_level: row.listed_level().map(Cow::Borrowed),
            status: Cow::Borrowed(row.status()),
            reported_by: Cow::Borrowed(row.reported_by()),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            rectified_at: row.rectified_at.map(|t| t.and_utc()),
            closed_at: row.closed_at.map(|t| t.and_utc()),
            photos: None,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HazardQuery {
    /// `open`, `submitted`, `verified`, `closed` or `cancelled`.
    #[param(value_type = Option<crate::hazard::workflow::Status>)]
    pub status: Option<String>,
    pub level: Option<HazardLevel>,
    /// Only open hazards past their deadline (or, `false`, the others).
    pub overdue: Option<bool>,
    /// Only hazards under listed supervision or major and overdue (or, `false`, the others).
    pub listed: Option<bool>,
    pub enterprise_id: Option<uuid::Uuid>,
    /// A sector code; an umbrella sector includes its children.
    pub sector: Option<String>,
    /// A region code prefix.
    pub region: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    /// 1-200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardPage<'a> {
    pub items: Vec<HazardView<'a>>,
    pub next_cursor: Option<String>,
    pub server_time: DateTime<Utc>,
}

const STATUSES: [&str; 5] = ["open", "submitted", "verified", "closed", "cancelled"];

impl HazardQuery {
    pub fn into_filter(self) -> Result<HazardFilter, ApiError> {
        if let Some(status) = &self.status
            && !STATUSES.contains(&status.as_str())
        {
            return Err(ApiError::validation(
                "status",
                "must be open, submitted, verified, closed or cancelled",
            ));
        }
        Ok(HazardFilter {
            status: self.status,
            level: self.level.map(|l| l.as_str().to_owned()),
            overdue: self.overdue,
            listed: self.listed,
            enterprise_id: self.enterprise_id.map(|e| e.to_string()),
            sector: self.sector,
            region: self.region,
            updated_since: self.updated_since.map(|t| t.naive_utc()),
            after: self.cursor.as_deref().map(Cursor::decode).transpose()?,
            limit: pagination::limit(self.limit)?,
        })
    }
}

/// Report a hazard; it starts `open` (待整改). Idempotent on `id`.
#[utoipa::path(
    tag = "hazards",
    request_body = CreateHazard,
    responses(
        (status = 201, body = HazardView),
        (status = 200, description = "the same report was already stored", body = HazardView),
        (status = 409, description = "the id belongs to a different hazard", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/hazards")]
pub async fn create_hazard(
    state: web::Data<AppState>,
    caller: AuthUser,
    Json(body): Json<CreateHazard>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Inspector, Role::Enterprise, Role::Supervisor])?;
    let hash = idempotency::request_hash(&body);
    let (created, photos) = db::run(&state.pool, move |conn| {
        let created = register::report(conn, &caller, body, hash)?;
        let id = match &created {
            Created::New(row) | Created::Replayed(row) => row.id.clone(),
        };
        Ok((created, photo_model::of_hazard(conn, &id)?))
    })
    .await?;
    let now = db::now();
    Ok(match created {
        Created::New(row) => HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/hazards/{}", row.id)))
            .insert_header((header::ETAG, conditional::etag(row.version)))
            .json(HazardView::with_photos(row, photos, now)),
        Created::Replayed(row) => HttpResponse::Ok()
            .insert_header((header::ETAG, conditional::etag(row.version)))
            .json(HazardView::with_photos(row, photos, now)),
    })
}

/// Hazards in the caller's scope, newest first.
#[utoipa::path(tag = "hazards", params(HazardQuery), responses((status = 200, body = HazardPage)), security(("bearer" = [])))]
#[get("/hazards")]
pub async fn list_hazards(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<HazardQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.into_inner().into_filter()?;
    let limit = filter.limit;
    let server_time = pagination::server_time();
    let now = db::now();
    let scope = Scope::of(&caller);
    let rows = db::read(&state.pool, move |conn| {
        model::list_page(conn, &scope, &filter, now)
    })
    .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, |h| Cursor {
        at: h.created_at,
        id: h.id().to_owned(),
    });
    let items = rows.len();
    let page = HazardPage {
        items: rows
            .iter()
            .map(|row| HazardView::of_page_row(row, now))
            .collect(),
        next_cursor,
        server_time,
    };
    Ok(pagination::json_page(&page, items, HAZARD_JSON_BYTES))
}

/// About what a hazard takes in a list page (~700 bytes with a Chinese description).
const HAZARD_JSON_BYTES: usize = 1024;

/// One hazard in the caller's scope; `ETag` is its version.
#[utoipa::path(
    tag = "hazards",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = HazardView), (status = 304), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/hazards/{id}")]
pub async fn get_hazard(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let scope = Scope::of(&caller);
    let (row, photos) = db::read(&state.pool, move |conn| {
        let row = model::find_in_scope(conn, &scope, &id)?;
        let photos = photo_model::of_hazard(conn, &id)?;
        Ok((row, photos))
    })
    .await?;
    let etag = conditional::etag(row.version);
    if conditional::not_modified(&req, row.version) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .json(HazardView::with_photos(row, photos, db::now())))
}
