//! The entities named by a feed page, as the caller may see them now: read through each part's
//! own scoped query and shown in the shape its GET answers, so the feed adds no rule of its
//! own. An id missing from the answer is one the caller may no longer see.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::Value;

use super::log::Entity;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::db::schema::{enterprises, extension_requests, hazard_photos, hazards, photos};
use crate::db::{DbBackend, DbConnection};
use crate::enforcement::{api::ActionView, model as action_model};
use crate::error::ApiError;
use crate::evidence::api::PhotoView;
use crate::evidence::model::PhotoRow;
use crate::hazard::api::HazardView;
use crate::hazard::model::{self as hazard_model, HazardRow};
use crate::hazard::supervision::ExtensionRow;
use crate::hazard::supervision_api::ExtensionView;
use crate::inspection::{api::InspectionView, checklist, checklist_api, model as inspection_model};
use crate::registry::enterprise::{self, EnterpriseRow};
use crate::registry::enterprise_api::EnterpriseView;

/// An entity as the caller sees it now.
pub struct Current {
    pub version: Option<i64>,
    pub data: Value,
}

fn current(version: Option<i64>, view: impl serde::Serialize) -> Result<Current, ApiError> {
    Ok(Current {
        version,
        data: serde_json::to_value(view).map_err(ApiError::internal)?,
    })
}

/// The ones of `ids` the caller may see, by id.
pub fn load(
    conn: &mut DbConnection,
    entity: Entity,
    ids: &[String],
    caller: &AuthUser,
    scope: &Scope,
    now: chrono::NaiveDateTime,
) -> Result<Vec<(String, Current)>, ApiError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let chunk = chunk.to_vec();
        match entity {
            Entity::Enterprise => {
                let rows: Vec<EnterpriseRow> =
                    enterprise::scoped(enterprises::table.into_boxed(), scope)
                        .filter(enterprises::id.eq_any(chunk))
                        .select(EnterpriseRow::as_select())
                        .load(conn)?;
                for row in rows {
                    let id = row.id.clone();
                    found.push((id, current(Some(row.version), EnterpriseView::from(row))?));
                }
            }
            Entity::Checklist => {
                for id in chunk {
                    if let Some((row, items)) = checklist::find(conn, &id)? {
                        let version = row.version;
                        let view = checklist_api::view(row, items);
                        found.push((id, current(Some(version), view)?));
                    }
                }
            }
            Entity::Inspection => {
                for inspection in inspection_model::in_scope(conn, scope, chunk)? {
                    let id = inspection.row.id.clone();
                    let version = inspection.row.version;
                    found.push((
                        id,
                        current(Some(version), InspectionView::from(inspection))?,
                    ));
                }
            }
            Entity::Hazard => found.extend(hazards_with_photos(conn, scope, chunk, now)?),
            Entity::ExtensionRequest => {
                let rows: Vec<ExtensionRow> = crate::apply_scope!(
                    extension_requests::table
                        .inner_join(hazards::table)
                        .into_boxed::<DbBackend>(),
                    scope,
                    enterprise: hazards::enterprise_id,
                    region: hazards::region_code,
                    sector: hazards::sector_code
                )
                .filter(extension_requests::id.eq_any(chunk))
                .select(ExtensionRow::as_select())
                .load(conn)?;
                for row in rows {
                    let id = row.id.clone();
                    found.push((id, current(None, ExtensionView::from(row))?));
                }
            }
            Entity::EnforcementAction => {
                for action in action_model::in_scope(conn, scope, chunk)? {
                    let id = action.row.id.clone();
                    found.push((id, current(None, ActionView::from(action))?));
                }
            }
            Entity::Photo => {
                let rows: Vec<PhotoRow> = photos::table
                    .filter(photos::id.eq_any(chunk))
                    .filter(photos::uploaded_by.eq(caller.id.to_string()))
                    .filter(photos::attached_at.is_null())
                    .select(PhotoRow::as_select())
                    .load(conn)?;
                for row in rows {
                    let id = row.id.clone();
                    found.push((id, current(None, PhotoView::from(row))?));
                }
            }
            Entity::Task => {}
        }
    }
    Ok(found)
}

/// Hazards in scope with their photos, as `GET /api/v1/hazards/{id}` shows them.
fn hazards_with_photos(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: Vec<String>,
    now: chrono::NaiveDateTime,
) -> Result<Vec<(String, Current)>, ApiError> {
    let rows: Vec<HazardRow> = hazard_model::scoped(scope)
        .filter(hazards::id.eq_any(ids))
        .select(HazardRow::as_select())
        .load(conn)?;
    let hazard_ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let attached: Vec<(String, PhotoRow)> = photos::table
        .inner_join(hazard_photos::table)
        .filter(hazard_photos::hazard_id.eq_any(hazard_ids))
        .order((photos::uploaded_at, photos::id))
        .select((hazard_photos::hazard_id, PhotoRow::as_select()))
        .load(conn)?;
    let mut photos_of: HashMap<String, Vec<PhotoRow>> = HashMap::new();
    for (hazard_id, photo) in attached {
        photos_of.entry(hazard_id).or_default().push(photo);
    }
    rows.into_iter()
        .map(|row| {
            let id = row.id.clone();
            let version = row.version;
            let photos = photos_of.remove(&id).unwrap_or_default();
            let view = HazardView::with_photos(row, photos, now);
            Ok((id, current(Some(version), view)?))
        })
        .collect()
}

/// The caller's tasks on these hazards, by hazard: (the hazard's version,
/// `{hazard_id, tasks}` with the tasks as `/me/tasks` lists them).
pub fn tasks(
    conn: &mut DbConnection,
    caller: &AuthUser,
    hazard_ids: &[String],
    now: chrono::NaiveDateTime,
) -> Result<HashMap<String, (i64, Value)>, ApiError> {
    let mut by_hazard: HashMap<String, Vec<crate::notify::tasks_api::TaskView>> = HashMap::new();
    for chunk in hazard_ids.chunks(500) {
        for task in crate::notify::tasks::on_hazards(conn, caller, chunk, now)? {
            by_hazard
                .entry(task.hazard_id.clone())
                .or_default()
                .push(crate::notify::tasks_api::TaskView::new(task, now));
        }
    }
    let ids: Vec<String> = by_hazard.keys().cloned().collect();
    let mut versions: HashMap<String, i64> = HashMap::new();
    for chunk in ids.chunks(500) {
        versions.extend(
            hazards::table
                .filter(hazards::id.eq_any(chunk))
                .select((hazards::id, hazards::version))
                .load::<(String, i64)>(conn)?,
        );
    }
    by_hazard
        .into_iter()
        .map(|(id, tasks)| {
            let version = versions.get(&id).copied().unwrap_or(0);
            let data = serde_json::json!({ "hazard_id": id, "tasks": tasks });
            Ok((id, (version, data)))
        })
        .collect()
}
