//! Checklist endpoints: admins write them, everybody reads them.

use actix_web::{HttpResponse, get, http::header, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::checklist::{self, ChecklistRow, ItemRow};
use crate::AppState;
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConnection};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::Json;
use crate::registry::catalog;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Unique within the checklist, e.g. `FM-3.2`.
    pub code: String,
    pub text: String,
    /// The rule the item checks (依据), e.g. 《非煤矿山外包工程安全管理暂行办法》第十条.
    pub legal_basis: String,
    /// Failing it is a major hazard under the 重大事故隐患判定标准.
    pub major: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChecklist {
    pub sector: String,
    pub name: String,
    pub items: Vec<ChecklistItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistView {
    pub id: uuid::Uuid,
    pub sector: String,
    pub name: String,
    pub items: Vec<ChecklistItem>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecklistQuery {
    pub sector: Option<String>,
}

/// A checklist as its GET answers it.
pub fn view(row: ChecklistRow, items: Vec<ItemRow>) -> ChecklistView {
    ChecklistView {
        id: row.id.parse().expect("checklist ids are UUIDs"),
        sector: row.sector_code,
        name: row.name,
        items: items
            .into_iter()
            .map(|i| ChecklistItem {
                code: i.code,
                text: i.text,
                legal_basis: i.legal_basis,
                major: i.major,
            })
            .collect(),
        version: row.version,
        created_at: row.created_at.and_utc(),
    }
}

fn item_errors(body: &CreateChecklist) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name_len = body.name.trim().chars().count();
    if !(1..=200).contains(&name_len) {
        errors.push(FieldError::new("name", "must be 1-200 characters"));
    }
    errors.extend(crate::text::name_error("name", &body.name));
    if body.items.is_empty() || body.items.len() > 500 {
        errors.push(FieldError::new("items", "must have 1-500 items"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, item) in body.items.iter().enumerate() {
        let code_ok =
            (1..=40).contains(&item.code.len()) && !item.code.contains(char::is_whitespace);
        if !code_ok {
            errors.push(FieldError::new(
                format!("items[{i}].code"),
                "must be 1-40 characters without spaces",
            ));
        } else if let Some(error) = crate::text::name_error(&format!("items[{i}].code"), &item.code)
        {
            errors.push(error);
        } else if !seen.insert(item.code.as_str()) {
            errors.push(FieldError::new(
                format!("items[{i}].code"),
                "repeats an earlier item's code",
            ));
        }
        if !(1..=2000).contains(&item.text.trim().chars().count()) {
            errors.push(FieldError::new(
                format!("items[{i}].text"),
                "must be 1-2000 characters",
            ));
        }
        if !(1..=1000).contains(&item.legal_basis.trim().chars().count()) {
            errors.push(FieldError::new(
                format!("items[{i}].legal_basis"),
                "must be 1-1000 characters",
            ));
        }
    }
    errors
}

/// Checks and stores a new checklist (admins): the one way in, for the API and the console.
pub fn register(
    conn: &mut DbConnection,
    caller: &AuthUser,
    body: CreateChecklist,
) -> Result<ChecklistView, ApiError> {
    caller.require(&[Role::Admin])?;
    let errors = item_errors(&body);
    if !errors.is_empty() {
        let detail = format!("{} field(s) are invalid", errors.len());
        return Err(ApiError::Validation { detail, errors });
    }
    // The items are printed on inspection records.
    let mut printed = vec![("name", Some(body.name.as_str()))];
    for item in &body.items {
        printed.push(("items.text", Some(item.text.as_str())));
        printed.push(("items.legal_basis", Some(item.legal_basis.as_str())));
    }
    crate::documents::fonts::printable(&printed)?;
    if catalog::find_sector(conn, &body.sector)?.is_none() {
        return Err(ApiError::validation("sector", "is not a known sector code"));
    }
    let now = db::now();
    let row = ChecklistRow {
        id: uuid::Uuid::now_v7().to_string(),
        sector_code: body.sector,
        name: body.name.trim().to_owned(),
        created_by: caller.id.to_string(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let items: Vec<ItemRow> = body
        .items
        .into_iter()
        .enumerate()
        .map(|(i, item)| ItemRow {
            checklist_id: row.id.clone(),
            position: i as i32,
            code: item.code,
            text: item.text.trim().to_owned(),
            legal_basis: item.legal_basis.trim().to_owned(),
            major: item.major,
        })
        .collect();
    checklist::insert(conn, &row, &items)?;
    Ok(view(row, items))
}

/// Create a checklist for a sector.
#[utoipa::path(
    tag = "inspections",
    request_body = CreateChecklist,
    responses((status = 201, body = ChecklistView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/checklists")]
pub async fn create_checklist(
    state: web::Data<AppState>,
    caller: AuthUser,
    Json(body): Json<CreateChecklist>,
) -> Result<HttpResponse, ApiError> {
    let created = db::run(&state.pool, move |conn| register(conn, &caller, body)).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/checklists/{}", created.id),
        ))
        .json(created))
}

/// Checklists, optionally of one sector.
#[utoipa::path(tag = "inspections", params(ChecklistQuery), responses((status = 200, body = Vec<ChecklistView>)), security(("bearer" = [])))]
#[get("/checklists")]
pub async fn list_checklists(
    state: web::Data<AppState>,
    _caller: AuthUser,
    query: web::Query<ChecklistQuery>,
) -> Result<HttpResponse, ApiError> {
    let sector = query.into_inner().sector;
    let views = db::run(&state.pool, move |conn| {
        let rows = checklist::list(conn, sector.as_deref())?;
        rows.into_iter()
            .map(|row| {
                let items = checklist::items_of(conn, &row.id)?;
                Ok(view(row, items))
            })
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(views))
}

/// One checklist with its items.
#[utoipa::path(
    tag = "inspections",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ChecklistView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/checklists/{id}")]
pub async fn get_checklist(
    state: web::Data<AppState>,
    _caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let found = db::run(&state.pool, move |conn| checklist::find(conn, &id)).await?;
    let (row, items) = found.ok_or(ApiError::NotFound("checklist"))?;
    Ok(HttpResponse::Ok().json(view(row, items)))
}
