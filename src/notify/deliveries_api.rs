//! An endpoint's delivery log: a test `ping`, the attempts of each delivery, redelivery.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::delivery::DeliveryRow;
use super::dispatch;
use super::endpoints;
use crate::AppState;
use crate::auth::{AuthUser, Role};
use crate::db::schema::webhook_deliveries;
use crate::db::{self, DbBackend};
use crate::error::ApiError;
use crate::pagination::{self, Cursor};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet accepted; the next attempt is at `next_attempt_at`.
    Pending,
    /// A 2xx came back.
    Delivered,
    /// Every attempt of the schedule failed, or the receiver answered 410.
    Failed,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    pub status: Option<DeliveryStatus>,
    pub cursor: Option<String>,
    /// 1-200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: uuid::Uuid,
    /// The `webhook-id` of every attempt.
    pub event_id: String,
    pub event_type: String,
    #[schema(value_type = DeliveryStatus)]
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    pub last_error: Option<String>,
    /// The first 500 characters the receiver answered.
    pub response_excerpt: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    pub next_cursor: Option<String>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(row: DeliveryRow) -> Self {
        DeliveryView {
            id: row.id.parse().unwrap_or_default(),
            event_id: row.event_id,
            event_type: row.event_type,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at.and_utc(),
            last_attempt_at: row.last_attempt_at.map(|t| t.and_utc()),
            last_status_code: row.last_status_code,
            last_latency_ms: row.last_latency_ms,
            last_error: row.last_error,
            response_excerpt: row.response_excerpt,
            created_at: row.created_at.and_utc(),
            delivered_at: row.delivered_at.map(|t| t.and_utc()),
        }
    }
}

fn status_name(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Failed => "failed",
    }
}

/// Send a `ping` to the endpoint now (delivered like any event, on the next round).
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path)), responses((status = 202, body = DeliveryView)), security(("bearer" = [])))]
#[post("/webhooks/{id}/test")]
pub async fn test_webhook(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin, Role::Supervisor])?;
    let id = id.into_inner().to_string();
    let row = db::run(&state.pool, move |conn| {
        let endpoint = endpoints::find(conn, &caller, &id)?;
        let now = db::now();
        let event_id = format!("msg_{}", uuid::Uuid::now_v7().simple());
        let body = dispatch::standard_body(
            "ping",
            now,
            serde_json::json!({"webhook_id": endpoint.id, "message": "safeloop test delivery"}),
        );
        dispatch::new_delivery(conn, &endpoint.id, &event_id, "ping", &body, now)?;
        Ok(webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(&endpoint.id))
            .filter(webhook_deliveries::event_id.eq(&event_id))
            .select(DeliveryRow::as_select())
            .first(conn)?)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(row)))
}

/// The endpoint's deliveries, newest first.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = uuid::Uuid, Path), DeliveryQuery),
    responses((status = 200, body = DeliveryPage)),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin, Role::Supervisor])?;
    let id = id.into_inner().to_string();
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let rows = db::run(&state.pool, move |conn| {
        use webhook_deliveries as d;
        let endpoint = endpoints::find(conn, &caller, &id)?;
        let mut rows = d::table
            .filter(d::endpoint_id.eq(endpoint.id))
            .into_boxed::<DbBackend>();
        if let Some(status) = query.status {
            rows = rows.filter(d::status.eq(status_name(status)));
        }
        if let Some(after) = after {
            rows = rows.filter(
                d::created_at
                    .lt(after.at)
                    .or(d::created_at.eq(after.at).and(d::id.lt(after.id))),
            );
        }
        Ok(rows
            .order((d::created_at.desc(), d::id.desc()))
            .limit(limit + 1)
            .select(DeliveryRow::as_select())
            .load(conn)?)
    })
    .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, |row| Cursor {
        at: row.created_at,
        id: row.id.clone(),
    });
    Ok(HttpResponse::Ok().json(DeliveryPage {
        items: rows.into_iter().map(DeliveryView::from).collect(),
        next_cursor,
    }))
}

/// Send a delivery again from the start of the schedule, with the same `webhook-id`.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = uuid::Uuid, Path), ("delivery_id" = uuid::Uuid, Path)),
    responses((status = 202, body = DeliveryView)),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    caller: AuthUser,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin, Role::Supervisor])?;
    let (id, delivery_id) = path.into_inner();
    let (id, delivery_id) = (id.to_string(), delivery_id.to_string());
    let row = db::run(&state.pool, move |conn| {
        use webhook_deliveries as d;
        let endpoint = endpoints::find(conn, &caller, &id)?;
        // Not while an attempt is in flight: it would be sent twice at once.
        let now = db::now();
        let found = diesel::update(
            d::table
                .find(&delivery_id)
                .filter(d::endpoint_id.eq(&endpoint.id))
                .filter(d::claimed_until.is_null().or(d::claimed_until.lt(now))),
        )
        .set((
            d::status.eq("pending"),
            d::attempts.eq(0),
            d::next_attempt_at.eq(now),
        ))
        .execute(conn)?;
        if found == 0 {
            let exists: i64 = d::table
                .find(&delivery_id)
                .filter(d::endpoint_id.eq(&endpoint.id))
                .count()
                .get_result(conn)?;
            return Err(if exists == 0 {
                ApiError::NotFound("delivery")
            } else {
                ApiError::Conflict {
                    code: "delivery_in_flight",
                    detail: "an attempt of this delivery is under way; try again in a minute"
                        .into(),
                }
            });
        }
        Ok(d::table
            .find(&delivery_id)
            .select(DeliveryRow::as_select())
            .first(conn)?)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(row)))
}
