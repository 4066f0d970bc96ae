//! Lists: hazards with the API's filters and 导出台账, the listed-supervision list, and an
//! inspector's inspections. Each page reads through the list functions the API uses.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use super::work_queue::days_late;
use super::{Frame, PageError, Visitor, html, local_date, local_time, messages};
use crate::AppState;
use crate::auth::Role;
use crate::auth::scope::Scope;
use crate::db::schema::enterprises;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::hazard::api::HazardQuery;
use crate::hazard::model;
use crate::hazard::report::HazardLevel;
use crate::inspection::model::{self as inspection_model, InspectionFilter};
use crate::pagination::{self, Cursor};
use crate::registry::catalog::{self, Sector};
use crate::stats::ledger_api::{self, ExportFormat, ExportQuery};

/// The list's filters as a form sends them: an option left at "全部" arrives empty.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListFilters {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub overdue: String,
    #[serde(default)]
    pub listed: String,
    #[serde(default)]
    pub sector: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub cursor: String,
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

fn yes_no(field: &str, text: &str) -> Result<Option<bool>, ApiError> {
    match text {
        "" => Ok(None),
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(ApiError::validation(
            field.to_owned(),
            "must be true or false",
        )),
    }
}

impl ListFilters {
    /// The API's hazard query for these filters.
    pub fn query(&self) -> Result<HazardQuery, ApiError> {
        let level = match self.level.as_str() {
            "" => None,
            "general" => Some(HazardLevel::General),
            "major" => Some(HazardLevel::Major),
            _ => return Err(ApiError::validation("level", "must be general or major")),
        };
        Ok(HazardQuery {
            status: given(&self.status),
            level,
            overdue: yes_no("overdue", &self.overdue)?,
            listed: yes_no("listed", &self.listed)?,
            enterprise_id: None,
            sector: given(&self.sector),
            region: given(&self.region),
            updated_since: None,
            cursor: given(&self.cursor),
            limit: Some(50),
        })
    }

    /// The filters as a query string, without the cursor (for the export and the next page).
    pub fn encoded(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("status", &self.status),
            ("level", &self.level),
            ("overdue", &self.overdue),
            ("listed", &self.listed),
            ("sector", &self.sector),
            ("region", &self.region),
        ] {
            if !value.is_empty() {
                out.append_pair(name, value);
            }
        }
        out.finish()
    }
}

pub struct HazardLine {
    pub id: String,
    pub description: String,
    pub enterprise: String,
    pub level: &'static str,
    pub major: bool,
    pub status: &'static str,
    pub deadline: String,
    pub overdue_days: i64,
    pub listed: &'static str,
}

#[derive(Template)]
#[template(path = "console/hazards.html")]
struct HazardsPage {
    frame: Frame,
    heading: &'static str,
    action: &'static str,
    filters: ListFilters,
    sectors: Vec<Sector>,
    rows: HazardRows,
}

/// The table and its next-page link: what htmx swaps when the filters change.
#[derive(Template)]
#[template(path = "console/hazard_rows_partial.html")]
struct HazardRowsPartial {
    rows: HazardRows,
}

pub struct HazardRows {
    pub action: &'static str,
    pub lines: Vec<HazardLine>,
    pub next: Option<String>,
    /// The filters as the ledger export takes them, for those who may export.
    pub export: Option<String>,
}

/// Enterprise names by id, for a page of rows.
pub fn enterprise_names(
    conn: &mut DbConnection,
    ids: &[&str],
) -> Result<HashMap<String, String>, ApiError> {
    Ok(enterprises::table
        .filter(enterprises::id.eq_any(ids))
        .select((enterprises::id, enterprises::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

async fn hazard_rows(
    state: &AppState,
    visitor: &Visitor,
    filters: &ListFilters,
    action: &'static str,
) -> Result<(HazardRows, Vec<Sector>), PageError> {
    let filter = filters.query()?.into_filter()?;
    let limit = filter.limit;
    let scope = Scope::of(&visitor.caller);
    let now = db::now();
    let (rows, names, sectors) = db::run(&state.pool, move |conn| {
        let rows = model::list(conn, &scope, &filter, now)?;
        let ids: Vec<&str> = rows.iter().map(|r| r.enterprise_id.as_str()).collect();
        let names = enterprise_names(conn, &ids)?;
        Ok((rows, names, catalog::all_sectors(conn)?))
    })
    .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, |h| Cursor {
        at: h.created_at,
        id: h.id.clone(),
    });
    let base = filters.encoded();
    let next = next_cursor.map(|cursor| {
        let cursor: String = form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
        let joiner = if base.is_empty() { "" } else { "&" };
        format!("{action}?{base}{joiner}cursor={cursor}")
    });
    let lines = rows
        .into_iter()
        .map(|h| HazardLine {
            overdue_days: if h.is_overdue(now) {
                days_late(h.deadline, now)
            } else {
                0
            },
            listed: if h.is_listed(now) {
                h.listed_level
                    .as_deref()
                    .map_or("逾期重大隐患", messages::listed_level_name)
            } else {
                ""
            },
            enterprise: names.get(&h.enterprise_id).cloned().unwrap_or_default(),
            level: messages::level_name(&h.level),
            major: h.level == "major",
            status: messages::status_name(&h.status),
            deadline: local_date(h.deadline),
            description: h.description,
            id: h.id,
        })
        .collect();
    Ok((
        HazardRows {
            action,
            lines,
            next,
            export: matches!(visitor.role(), Role::Supervisor | Role::Admin).then_some(base),
        },
        sectors,
    ))
}

async fn hazard_list(
    state: &AppState,
    req: &HttpRequest,
    visitor: Visitor,
    mut filters: ListFilters,
    listed_only: bool,
) -> Result<HttpResponse, PageError> {
    let (heading, action, path) = if listed_only {
        filters.listed = "true".into();
        ("挂牌督办", "/console/listed", "/console/listed")
    } else {
        ("隐患", "/console/hazards", "/console/hazards")
    };
    let (rows, sectors) = hazard_rows(state, &visitor, &filters, action).await?;
    if req.headers().contains_key("hx-request") {
        return Ok(html(StatusCode::OK, HazardRowsPartial { rows }.render()));
    }
    let page = HazardsPage {
        frame: Frame::new(&visitor, path, None),
        heading,
        action,
        filters,
        sectors,
        rows,
    };
    Ok(html(StatusCode::OK, page.render()))
}

/// `GET /console/hazards`
pub async fn hazards(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    filters: web::Query<ListFilters>,
) -> Result<HttpResponse, PageError> {
    hazard_list(&state, &req, visitor, filters.into_inner(), false).await
}

/// `GET /console/listed`: hazards under listed supervision, or major and overdue.
pub async fn listed(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    filters: web::Query<ListFilters>,
) -> Result<HttpResponse, PageError> {
    hazard_list(&state, &req, visitor, filters.into_inner(), true).await
}

#[derive(Deserialize)]
pub struct ExportChoice {
    #[serde(default)]
    format: String,
}

/// `GET /console/hazards/export?format=csv|xlsx&…`: 导出台账, the API's ledger itself.
pub async fn export(
    state: web::Data<AppState>,
    visitor: Visitor,
    choice: web::Query<ExportChoice>,
    filters: web::Query<ListFilters>,
) -> Result<HttpResponse, PageError> {
    let format = match choice.format.as_str() {
        "" | "csv" => ExportFormat::Csv,
        "xlsx" => ExportFormat::Xlsx,
        _ => return Err(ApiError::validation("format", "must be csv or xlsx").into()),
    };
    let query = filters.query()?;
    let export = ExportQuery {
        format: Some(format),
        status: query.status,
        level: query.level,
        overdue: query.overdue,
        listed: query.listed,
        enterprise_id: None,
        sector: query.sector,
        region: query.region,
        updated_since: None,
    };
    Ok(ledger_api::ledger(&state, visitor.caller, export).await?)
}

pub struct InspectionLine {
    pub enterprise: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub started: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "console/inspections.html")]
struct InspectionsPage {
    frame: Frame,
    lines: Vec<InspectionLine>,
}

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "routine" => "日常检查",
        "special" => "专项检查",
        "random" => "双随机检查",
        "covert" => "明察暗访",
        "joint" => "联合检查",
        "follow_up" => "复查",
        "self" => "企业自查",
        _ => "检查",
    }
}

/// `GET /console/inspections`: the newest inspections in the visitor's scope.
pub async fn inspections(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    visitor.require(&[Role::Inspector, Role::Supervisor, Role::Admin])?;
    let scope = Scope::of(&visitor.caller);
    let (rows, names) = db::run(&state.pool, move |conn| {
        let filter = InspectionFilter {
            limit: 50,
            ..InspectionFilter::default()
        };
        let rows = inspection_model::list(conn, &scope, &filter)?;
        let ids: Vec<&str> = rows.iter().map(|r| r.row.enterprise_id.as_str()).collect();
        let names = enterprise_names(conn, &ids)?;
        Ok((rows, names))
    })
    .await?;
    let lines = rows
        .into_iter()
        .take(50)
        .map(|i| InspectionLine {
            enterprise: names.get(&i.row.enterprise_id).cloned().unwrap_or_default(),
            kind: kind_name(&i.row.kind),
            status: if i.row.status == "submitted" {
                "已提交"
            } else {
                "草稿"
            },
            started: local_time(i.row.started_at),
            summary: i.row.summary,
        })
        .collect();
    let page = InspectionsPage {
        frame: Frame::new(&visitor, "/console/inspections", None),
        lines,
    };
    Ok(html(StatusCode::OK, page.render()))
}
