//! `/api/v1/webhooks`: endpoints that hear of events (admins anywhere, supervisors inside
//! their own scope), their signing secrets (shown once) and rotation.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::endpoints::{self, EndpointKind, EndpointRow, Settings};
use super::outbox::EventType;
use super::signing;
use crate::AppState;
use crate::auth::{AuthUser, Role};
use crate::db::schema::webhook_endpoints;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::extract::Json;
use crate::registry::catalog;

/// How long a rotated-out secret still signs, so receivers can switch without losing a message.
pub const ROTATION_GRACE_HOURS: i64 = 24;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where to POST: an http(s) URL; for robots, the robot's webhook URL.
    pub url: String,
    pub event_types: Vec<EventType>,
    /// Only events in this GB/T 2260 prefix; a supervisor's defaults to (and must lie inside)
    /// its own.
    pub region_prefix: Option<String>,
    /// Only events in these sectors (umbrella sectors include their children); a supervisor's
    /// default to its own.
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub kind: Option<EndpointKind>,
    /// For `standard`, a `whsec_…` secret of your own (one is made otherwise); for `dingtalk`,
    /// the robot's signing secret (SEC…); none for `wecom`.
    pub secret: Option<String>,
    pub description: Option<String>,
}

/// Fields to change; absent ones stay. `enabled: true` turns a disabled endpoint back on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub region_prefix: Option<String>,
    pub sectors: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: uuid::Uuid,
    /// For robots, with the credential in its query cut to the last four characters.
    pub url: String,
    pub kind: EndpointKind,
    pub event_types: Vec<String>,
    pub region_prefix: Option<String>,
    pub sectors: Vec<String>,
    pub description: Option<String>,
    /// `false` once disabled (410 from the receiver, days of failures, or by hand); see
    /// `disabled_reason`.
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed, if they do.
    pub failing_since: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint as made, with its signing secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_…` for `standard` endpoints; verify deliveries with it.
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub secret: String,
    /// Until when the previous secret still signs beside the new one.
    pub previous_valid_until: DateTime<Utc>,
}

/// A robot's URL carries its credential (`key=`, `access_token=`): shown with each query value
/// cut to its last four characters.
pub fn masked(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if value.chars().count() > 4 => {
                let last: String = value.chars().skip(value.chars().count() - 4).collect();
                format!("{name}=…{last}")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

impl From<EndpointRow> for WebhookView {
    fn from(row: EndpointRow) -> Self {
        WebhookView {
            id: row.id.parse().unwrap_or_default(),
            kind: row.kind(),
            event_types: row.event_type_list(),
            sectors: row.sector_list(),
            url: match row.kind() {
                EndpointKind::Standard => row.url,
                _ => masked(&row.url),
            },
            region_prefix: row.region_prefix,
            description: row.description,
            enabled: row.disabled_at.is_none(),
            disabled_at: row.disabled_at.map(|t| t.and_utc()),
            disabled_reason: row.disabled_reason,
            failing_since: row.failing_since.map(|t| t.and_utc()),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

fn names(types: &[EventType]) -> Vec<String> {
    let mut names: Vec<String> = types.iter().map(|t| t.as_str().to_owned()).collect();
    names.sort();
    names.dedup();
    names
}

fn managers(caller: &AuthUser) -> Result<(), ApiError> {
    caller.require(&[Role::Admin, Role::Supervisor])
}

/// Checks `row` as it would be stored, for `caller`.
fn check(
    conn: &mut DbConnection,
    row: &EndpointRow,
    secret: Option<&str>,
    caller: &AuthUser,
    allow_private: bool,
) -> Result<(), ApiError> {
    let sectors = catalog::all_sectors(conn)?;
    let (types, sector_codes) = (row.event_type_list(), row.sector_list());
    let settings = Settings {
        url: &row.url,
        kind: row.kind(),
        event_types: &types,
        region_prefix: row.region_prefix.as_deref(),
        sectors: &sector_codes,
        secret,
        description: row.description.as_deref(),
    };
    let mut errors = endpoints::setting_errors(&settings, caller, allow_private, &sectors);
    for (i, code) in sector_codes.iter().enumerate() {
        if !sectors.iter().any(|s| &s.code == code) {
            errors.push(crate::error::FieldError::new(
                format!("sectors[{i}]"),
                "is not a sector",
            ));
        }
    }
    ApiError::check_fields(errors)
}

/// Make an endpoint; its secret is in this answer only.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    responses((status = 201, body = CreatedWebhook)),
    security(("bearer" = []))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: AuthUser,
    Json(body): Json<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let allow_private = state.config.webhook_allow_private;
    let created = db::run(&state.pool, move |conn| {
        register(conn, &caller, body, allow_private)
    })
    .await?;
    let shown = (created.kind() == EndpointKind::Standard).then(|| created.secret.clone());
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{}", created.id)))
        .json(CreatedWebhook {
            webhook: WebhookView::from(created),
            secret: shown,
        }))
}

/// Checks and stores a new endpoint (admin, or a supervisor inside their scope): the one way
/// in, for the API and the console alike. A `standard` endpoint without a secret gets one.
pub fn register(
    conn: &mut DbConnection,
    caller: &AuthUser,
    body: CreateWebhook,
    allow_private: bool,
) -> Result<EndpointRow, ApiError> {
    managers(caller)?;
    let kind = body.kind.unwrap_or(EndpointKind::Standard);
    let secret = match (kind, body.secret.clone()) {
        (EndpointKind::Standard, None) => Some(signing::new_secret()),
        (_, given) => given,
    };
    let now = db::now();
    let supervisor = caller.role == Role::Supervisor;
    let mut sectors = body.sectors.clone();
    sectors.sort();
    sectors.dedup();
    if supervisor && sectors.is_empty() {
        sectors = caller.sectors.clone();
    }
    let row = EndpointRow {
        id: uuid::Uuid::now_v7().to_string(),
        url: body.url.trim().to_owned(),
        kind: kind.as_str().to_owned(),
        event_types: names(&body.event_types).join(","),
        region_prefix: body
            .region_prefix
            .clone()
            .or_else(|| supervisor.then(|| caller.region_prefix.clone()).flatten()),
        sectors: sectors.join(","),
        description: body.description.clone(),
        secret: secret.unwrap_or_default(),
        previous_secret: None,
        previous_secret_until: None,
        created_by: caller.id.to_string(),
        disabled_at: None,
        disabled_reason: None,
        failing_since: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    check(conn, &row, body.secret.as_deref(), caller, allow_private)?;
    diesel::insert_into(webhook_endpoints::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// Removes an endpoint the caller manages, with its delivery log.
pub fn remove(conn: &mut DbConnection, caller: &AuthUser, id: &str) -> Result<(), ApiError> {
    managers(caller)?;
    let row = endpoints::find(conn, caller, id)?;
    conn.transaction(|conn| {
        use crate::db::schema::webhook_deliveries;
        diesel::delete(
            webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(&row.id)),
        )
        .execute(conn)?;
        diesel::delete(webhook_endpoints::table.find(&row.id)).execute(conn)?;
        Ok(())
    })
}

/// The endpoints the caller manages.
#[utoipa::path(tag = "webhooks", responses((status = 200, body = Vec<WebhookView>)), security(("bearer" = [])))]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: AuthUser,
) -> Result<HttpResponse, ApiError> {
    managers(&caller)?;
    let rows = db::run(&state.pool, move |conn| endpoints::list(conn, &caller)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(WebhookView::from).collect::<Vec<_>>()))
}

/// One endpoint.
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path)), responses((status = 200, body = WebhookView)), security(("bearer" = [])))]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    managers(&caller)?;
    let id = id.into_inner().to_string();
    let row = db::run(&state.pool, move |conn| endpoints::find(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(WebhookView::from(row)))
}

/// Change an endpoint; `enabled: true` turns a disabled one back on.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = uuid::Uuid, Path)),
    request_body = WebhookPatch,
    responses((status = 200, body = WebhookView)),
    security(("bearer" = []))
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
    Json(patch): Json<WebhookPatch>,
) -> Result<HttpResponse, ApiError> {
    managers(&caller)?;
    let id = id.into_inner().to_string();
    let allow_private = state.config.webhook_allow_private;
    let row = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let current = endpoints::find(conn, &caller, &id)?;
            let now = db::now();
            let mut row = current.clone();
            if let Some(url) = &patch.url {
                row.url = url.trim().to_owned();
            }
            if let Some(types) = &patch.event_types {
                row.event_types = names(types).join(",");
            }
            if let Some(prefix) = &patch.region_prefix {
                row.region_prefix = Some(prefix.clone());
            }
            if let Some(sectors) = &patch.sectors {
                let mut sectors = sectors.clone();
                sectors.sort();
                sectors.dedup();
                row.sectors = sectors.join(",");
            }
            if let Some(description) = &patch.description {
                row.description = Some(description.clone());
            }
            match patch.enabled {
                Some(true) => {
                    row.disabled_at = None;
                    row.disabled_reason = None;
                    row.failing_since = None;
                }
                Some(false) if row.disabled_at.is_none() => {
                    row.disabled_at = Some(now);
                    row.disabled_reason = Some("disabled by hand".into());
                }
                _ => {}
            }
            // The stored secret stands: it is checked as the kind requires, not asked again.
            let secret = (!row.secret.is_empty()).then_some(row.secret.as_str());
            check(conn, &row, secret, &caller, allow_private)?;
            row.version = current.version + 1;
            row.updated_at = now;
            let changed = diesel::update(
                webhook_endpoints::table
                    .find(&current.id)
                    .filter(webhook_endpoints::version.eq(current.version)),
            )
            .set(&row)
            .execute(conn)?;
            if changed == 0 {
                return Err(ApiError::Conflict {
                    code: "webhook_changed",
                    detail: "the endpoint changed meanwhile; read it again".into(),
                });
            }
            Ok(row)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(WebhookView::from(row)))
}

/// Remove an endpoint and its delivery log.
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path)), responses((status = 204)), security(("bearer" = [])))]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    db::run(&state.pool, move |conn| remove(conn, &caller, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new signing secret; the previous one signs beside it for 24 hours.
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path)), responses((status = 200, body = RotatedSecret)), security(("bearer" = [])))]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    managers(&caller)?;
    let id = id.into_inner().to_string();
    let rotated = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let row = endpoints::find(conn, &caller, &id)?;
            if row.kind() != EndpointKind::Standard {
                return Err(ApiError::Conflict {
                    code: "not_rotatable",
                    detail: "robot endpoints use the secret their chat platform issued".into(),
                });
            }
            let now = db::now();
            let until = now + Duration::hours(ROTATION_GRACE_HOURS);
            let secret = signing::new_secret();
            use webhook_endpoints as e;
            let changed = diesel::update(e::table.find(&row.id).filter(e::version.eq(row.version)))
                .set((
                    e::previous_secret.eq(&row.secret),
                    e::previous_secret_until.eq(until),
                    e::secret.eq(&secret),
                    e::version.eq(row.version + 1),
                    e::updated_at.eq(now),
                ))
                .execute(conn)?;
            if changed == 0 {
                return Err(ApiError::Conflict {
                    code: "webhook_changed",
                    detail: "the endpoint changed meanwhile (another rotation?); read it again"
                        .into(),
                });
            }
            Ok(RotatedSecret {
                secret,
                previous_valid_until: until.and_utc(),
            })
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(rotated))
}
