//! Liveness and readiness probes for load balancers and orchestrators.

use actix_web::{HttpResponse, get, web};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::db;
use crate::error::{ApiError, Problem};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when alive, `ready` when every dependency answers.
    pub status: &'static str,
}

/// The process is alive. Touches nothing else.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers a query and the photo store answers; a load balancer should send
/// traffic here only then.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "a dependency is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // A probe has its own short deadline: a load balancer's check must not time out waiting
    // on a database or a store that hangs.
    let limit = state.config.ready_timeout;
    let database = db::run(&state.pool, |conn| {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map_err(ApiError::database_unavailable)
    });
    tokio::time::timeout(limit, database)
        .await
        .map_err(|_| ApiError::database_unavailable("the readiness check timed out"))??;
    tokio::time::timeout(limit, state.store.check())
        .await
        .map_err(|_| ApiError::Unavailable("the photo store did not answer in time".into()))??;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}
