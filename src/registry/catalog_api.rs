//! `GET /sectors` and `GET /regions`: the catalogs every client needs.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::catalog::{self, Region, Sector};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::error::ApiError;

/// The sectors (行业领域), umbrella sectors first with their children after them.
#[utoipa::path(tag = "registry", responses((status = 200, body = Vec<Sector>)), security(("bearer" = [])))]
#[get("/sectors")]
pub async fn list_sectors(
    state: web::Data<AppState>,
    _caller: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let sectors = db::run(&state.pool, catalog::all_sectors).await?;
    Ok(HttpResponse::Ok().json(sectors))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// The parent's code; absent lists the top level (provinces).
    pub parent: Option<String>,
}

/// The regions directly under a parent (GB/T 2260 tree).
#[utoipa::path(tag = "registry", params(RegionQuery), responses((status = 200, body = Vec<Region>)), security(("bearer" = [])))]
#[get("/regions")]
pub async fn list_regions(
    state: web::Data<AppState>,
    _caller: AuthUser,
    query: web::Query<RegionQuery>,
) -> Result<HttpResponse, ApiError> {
    let parent = query.into_inner().parent;
    let regions = db::run(&state.pool, move |conn| {
        catalog::regions_under(conn, parent.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(regions))
}
