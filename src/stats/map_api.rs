//! `GET /api/v1/map/hazards`: unresolved hazards in scope as a GeoJSON FeatureCollection
//! (RFC 7946) for the risk map (风险隐患图), each at its enterprise's position.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::db::schema::{enterprises, hazards};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::hazard::api::HazardQuery;
use crate::hazard::model::{self, HazardFilter, HazardRow};
use crate::hazard::report::HazardLevel;

/// The most features one answer carries; narrow with `bbox` or filters for more.
pub const MAX_FEATURES: i64 = 5000;

const UNRESOLVED: [&str; 3] = ["open", "submitted", "verified"];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MapQuery {
    /// One of `open`, `submitted`, `verified`; default all three (not yet closed).
    #[param(value_type = Option<crate::hazard::workflow::Status>)]
    pub status: Option<String>,
    pub level: Option<HazardLevel>,
    pub overdue: Option<bool>,
    pub listed: Option<bool>,
    pub enterprise_id: Option<uuid::Uuid>,
    pub sector: Option<String>,
    pub region: Option<String>,
    /// `min_longitude,min_latitude,max_longitude,max_latitude` (WGS 84): only enterprises
    /// inside it.
    pub bbox: Option<String>,
}

/// A GeoJSON FeatureCollection; see RFC 7946.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Vec<Object>)]
    pub features: Vec<serde_json::Value>,
    /// More hazards matched than `MAX_FEATURES` (5000); narrow the request.
    pub truncated: bool,
    pub server_time: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl BoundingBox {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let invalid = || {
            ApiError::validation(
                "bbox",
                "must be min_longitude,min_latitude,max_longitude,max_latitude in degrees",
            )
        };
        let numbers: Vec<f64> = text
            .split(',')
            .map(|n| n.trim().parse::<f64>().map_err(|_| invalid()))
            .collect::<Result<_, _>>()?;
        let [west, south, east, north] = numbers[..] else {
            return Err(invalid());
        };
        let longitude = -180.0..=180.0;
        let latitude = -90.0..=90.0;
        let inside = longitude.contains(&west)
            && longitude.contains(&east)
            && latitude.contains(&south)
            && latitude.contains(&north);
        if !inside || west > east || south > north {
            return Err(invalid());
        }
        Ok(BoundingBox {
            west,
            south,
            east,
            north,
        })
    }
}

fn feature(
    row: HazardRow,
    company: Option<&Company>,
    now: chrono::NaiveDateTime,
) -> serde_json::Value {
    let geometry = match company.and_then(|c| c.latitude.zip(c.longitude)) {
        // GeoJSON positions are longitude first.
        Some((latitude, longitude)) => {
            json!({"type": "Point", "coordinates": [longitude, latitude]})
        }
        None => serde_json::Value::Null,
    };
    json!({
        "type": "Feature",
        "id": row.id,
        "geometry": geometry,
        "properties": {
            "enterprise_id": row.enterprise_id,
            "enterprise_name": company.map(|c| c.name.as_str()),
            "level": row.level,
            "status": row.status,
            "overdue": row.is_overdue(now),
            "listed": row.is_listed(now),
            "listed_level": row.listed_level,
            "deadline": row.deadline.and_utc(),
            "description": row.description,
            "sector": row.sector_code,
            "region_code": row.region_code,
        },
    })
}

struct Company {
    name: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

fn load(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &HazardFilter,
    statuses: Vec<String>,
    bbox: Option<BoundingBox>,
    now: chrono::NaiveDateTime,
) -> Result<(Vec<HazardRow>, HashMap<String, Company>), ApiError> {
    let mut query = model::filtered(scope, filter, now).filter(hazards::status.eq_any(statuses));
    if let Some(b) = bbox {
        query = query.filter(
            hazards::enterprise_id.eq_any(
                enterprises::table
                    .filter(enterprises::latitude.between(b.south, b.north))
                    .filter(enterprises::longitude.between(b.west, b.east))
                    .select(enterprises::id),
            ),
        );
    }
    let rows: Vec<HazardRow> = query
        .order((hazards::created_at.desc(), hazards::id.desc()))
        .limit(MAX_FEATURES + 1)
        .select(HazardRow::as_select())
        .load(conn)?;
    let mut ids: Vec<&str> = rows.iter().map(|r| r.enterprise_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let companies = enterprises::table
        .filter(enterprises::id.eq_any(&ids))
        .select((
            enterprises::id,
            enterprises::name,
            enterprises::latitude,
            enterprises::longitude,
        ))
        .load::<(String, String, Option<f64>, Option<f64>)>(conn)?
        .into_iter()
        .map(|(id, name, latitude, longitude)| {
            (
                id,
                Company {
                    name,
                    latitude,
                    longitude,
                },
            )
        })
        .collect();
    Ok((rows, companies))
}

/// Unresolved hazards (`open`, `submitted`, `verified`) in the caller's scope as GeoJSON, at
/// their enterprise's position (`geometry` is null for an enterprise without one), newest
/// first, at most 5000 (`truncated` says when there were more). Properties: `level`, `status`,
/// `overdue`, `listed`, `listed_level`, `deadline`, `enterprise_name` and the codes.
#[utoipa::path(
    tag = "statistics",
    params(MapQuery),
    responses((status = 200, body = FeatureCollection, content_type = "application/geo+json")),
    security(("bearer" = []))
)]
#[get("/map/hazards")]
pub async fn map_hazards(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<MapQuery>,
) -> Result<HttpResponse, ApiError> {
    let features = open_hazards(&state, caller, query.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .json(features))
}

/// The unresolved hazards the caller may see, as GeoJSON: the map endpoint's answer, also the
/// console's risk map.
pub async fn open_hazards(
    state: &AppState,
    caller: AuthUser,
    query: MapQuery,
) -> Result<FeatureCollection, ApiError> {
    let statuses: Vec<String> = match &query.status {
        Some(status) if UNRESOLVED.contains(&status.as_str()) => vec![status.clone()],
        Some(_) => {
            return Err(ApiError::validation(
                "status",
                "the map shows unresolved hazards: open, submitted or verified",
            ));
        }
        None => UNRESOLVED.iter().map(|s| s.to_string()).collect(),
    };
    let bbox = query.bbox.as_deref().map(BoundingBox::parse).transpose()?;
    let filter = HazardQuery {
        status: None,
        level: query.level,
        overdue: query.overdue,
        listed: query.listed,
        enterprise_id: query.enterprise_id,
        sector: query.sector,
        region: query.region,
        updated_since: None,
        cursor: None,
        limit: None,
    }
    .into_filter()?;
    let scope = Scope::of(&caller);
    let now = db::now();
    let (mut rows, companies) = db::run(&state.pool, move |conn| {
        load(conn, &scope, &filter, statuses, bbox, now)
    })
    .await?;
    let truncated = rows.len() as i64 > MAX_FEATURES;
    rows.truncate(MAX_FEATURES as usize);
    let features = rows
        .into_iter()
        .map(|row| {
            let company = companies.get(&row.enterprise_id);
            feature(row, company, now)
        })
        .collect();
    Ok(FeatureCollection {
        kind: "FeatureCollection".into(),
        features,
        truncated,
        server_time: Utc::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounding_boxes_are_checked() {
        let b = BoundingBox::parse("114.9,25.7,115.3,26.0").unwrap();
        assert_eq!((b.west, b.north), (114.9, 26.0));
        for bad in [
            "",
            "1,2,3",
            "1,2,3,4,5",
            "a,b,c,d",
            "115,26,114,25",
            "0,-91,1,0",
            "181,0,182,1",
        ] {
            assert!(BoundingBox::parse(bad).is_err(), "{bad}");
        }
    }
}
