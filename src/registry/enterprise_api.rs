//! The enterprise endpoints: create and change (admin, supervisor), list and read (in scope).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::credit_code;
use super::enterprise::{self, EnterpriseChanges, EnterpriseFilter, EnterpriseRow};
use super::enterprise_rules as rules;
use crate::AppState;
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::conditional;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, double_option};
use crate::ids::EnterpriseId;
use crate::pagination::{self, Cursor};

/// Risk level (风险等级): 重大 red, 较大 orange, 一般 yellow, 低 blue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Red,
    Orange,
    Yellow,
    Blue,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Red => "red",
            RiskLevel::Orange => "orange",
            RiskLevel::Yellow => "yellow",
            RiskLevel::Blue => "blue",
        }
    }

    pub fn parse(text: &str) -> RiskLevel {
        match text {
            "red" => RiskLevel::Red,
            "orange" => RiskLevel::Orange,
            "yellow" => RiskLevel::Yellow,
            _ => RiskLevel::Blue,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseView {
    pub id: EnterpriseId,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Whether the code passes the GB 32100 check; `false` only with an override reason.
    pub credit_code_valid: bool,
    pub credit_code_override_reason: Option<String>,
    pub name: String,
    pub sector: String,
    pub region_code: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub risk_level: RiskLevel,
    pub contact_name: String,
    pub contact_phone: String,
    /// 规模以上.
    pub above_scale: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EnterpriseRow> for EnterpriseView {
    fn from(row: EnterpriseRow) -> Self {
        EnterpriseView {
            id: row.id.parse().expect("enterprise ids are UUIDs"),
            credit_code_valid: credit_code::check(&row.credit_code).is_ok(),
            credit_code: row.credit_code,
            credit_code_override_reason: row.credit_code_override_reason,
            name: row.name,
            sector: row.sector_code,
            region_code: row.region_code,
            address: row.address,
            latitude: row.latitude,
            longitude: row.longitude,
            risk_level: RiskLevel::parse(&row.risk_level),
            contact_name: row.contact_name,
            contact_phone: row.contact_phone,
            above_scale: row.above_scale,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnterprise {
    /// Optional client-chosen id; the server makes one otherwise.
    pub id: Option<EnterpriseId>,
    pub credit_code: String,
    /// Required to register a code that fails the GB 32100 check (some real ones do).
    pub credit_code_override_reason: Option<String>,
    pub name: String,
    pub sector: String,
    pub region_code: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub risk_level: RiskLevel,
    pub contact_name: String,
    pub contact_phone: String,
    #[serde(default)]
    pub above_scale: bool,
}

/// Fields to change; absent fields stay, `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterprisePatch {
    pub credit_code: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub credit_code_override_reason: Option<Option<String>>,
    pub name: Option<String>,
    pub sector: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub longitude: Option<Option<f64>>,
    pub risk_level: Option<RiskLevel>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub above_scale: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    /// A name fragment or an exact credit code.
    pub q: Option<String>,
    /// A sector code; an umbrella sector includes its children.
    pub sector: Option<String>,
    /// A region code prefix.
    pub region: Option<String>,
    pub risk_level: Option<RiskLevel>,
    /// Only records changed after this time (for sync; pass the last `server_time`).
    pub updated_since: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    /// 1-200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterprisePage {
    pub items: Vec<EnterpriseView>,
    pub next_cursor: Option<String>,
    /// Pass as `updated_since` next time. It lags a few seconds behind the clock so a change
    /// committed late is not missed; a record may therefore arrive twice.
    pub server_time: DateTime<Utc>,
}

/// Register an enterprise.
#[utoipa::path(
    tag = "registry",
    request_body = CreateEnterprise,
    responses(
        (status = 201, body = EnterpriseView),
        (status = 409, description = "credit code already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid field; a bad check character names the expected one", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/enterprises")]
pub async fn create_enterprise(
    state: web::Data<AppState>,
    caller: AuthUser,
    Json(body): Json<CreateEnterprise>,
) -> Result<HttpResponse, ApiError> {
    let created = db::run(&state.pool, move |conn| {
        rules::register(conn, &caller, body)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/enterprises/{}", created.id),
        ))
        .insert_header((header::ETAG, conditional::etag(created.version)))
        .json(EnterpriseView::from(created)))
}

/// Enterprises in the caller's scope, newest first.
#[utoipa::path(tag = "registry", params(EnterpriseQuery), responses((status = 200, body = EnterprisePage)), security(("bearer" = [])))]
#[get("/enterprises")]
pub async fn list_enterprises(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<EnterpriseQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let filter = EnterpriseFilter {
        text: query.q.filter(|q| !q.trim().is_empty()),
        sector: query.sector,
        region: query.region,
        risk_level: query.risk_level.map(|r| r.as_str().to_owned()),
        updated_since: query.updated_since.map(|t| t.naive_utc()),
        after: query.cursor.as_deref().map(Cursor::decode).transpose()?,
        limit,
    };
    let server_time = pagination::server_time();
    let scope = Scope::of(&caller);
    let rows = db::run(&state.pool, move |conn| {
        enterprise::list(conn, &scope, &filter)
    })
    .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, |r| Cursor {
        at: r.created_at,
        id: r.id.clone(),
    });
    Ok(HttpResponse::Ok().json(EnterprisePage {
        items: rows.into_iter().map(EnterpriseView::from).collect(),
        next_cursor,
        server_time,
    }))
}

/// One enterprise in the caller's scope (404 outside it).
#[utoipa::path(
    tag = "registry",
    params(("id" = EnterpriseId, Path)),
    responses((status = 200, body = EnterpriseView), (status = 304), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/enterprises/{id}")]
pub async fn get_enterprise(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<EnterpriseId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let scope = Scope::of(&caller);
    let row = db::read(&state.pool, move |conn| {
        enterprise::find_in_scope(conn, &scope, &id)
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
        .json(EnterpriseView::from(row)))
}

/// Change an enterprise; `If-Match` with its ETag guards against lost updates (412).
#[utoipa::path(
    tag = "registry",
    params(("id" = EnterpriseId, Path)),
    request_body = EnterprisePatch,
    responses(
        (status = 200, body = EnterpriseView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/enterprises/{id}")]
pub async fn update_enterprise(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<EnterpriseId>,
    Json(patch): Json<EnterprisePatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin, Role::Supervisor])?;
    let expected = conditional::expected_version(&req)?;
    let id = id.into_inner().to_string();
    let updated = db::run(&state.pool, move |conn| {
        let scope = Scope::of(&caller);
        let current = enterprise::find_in_scope(conn, &scope, &id)?;
        conditional::check_version(expected.as_ref(), current.version)?;
        let merged = rules::merge(&current, &patch);
        ApiError::check_fields(rules::field_errors(&merged))?;
        rules::check_printable(&merged)?;
        rules::check_placement(conn, &caller, &merged)?;
        let changes = EnterpriseChanges {
            credit_code: patch
                .credit_code
                .as_ref()
                .map(|_| merged.credit_code.clone()),
            credit_code_override_reason: Some(
                rules::row_from(&merged, String::new()).credit_code_override_reason,
            ),
            name: patch.name.as_ref().map(|n| n.trim().to_owned()),
            sector_code: patch.sector.clone(),
            region_code: patch.region_code.clone(),
            address: patch.address.as_ref().map(|a| a.trim().to_owned()),
            latitude: patch.latitude,
            longitude: patch.longitude,
            risk_level: patch.risk_level.map(|r| r.as_str().to_owned()),
            contact_name: patch.contact_name.as_ref().map(|n| n.trim().to_owned()),
            contact_phone: patch.contact_phone.as_ref().map(|p| p.trim().to_owned()),
            above_scale: patch.above_scale,
            ..EnterpriseChanges::default()
        };
        enterprise::update(conn, &current, changes)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, conditional::etag(updated.version)))
        .json(EnterpriseView::from(updated)))
}
