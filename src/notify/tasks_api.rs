//! `GET /api/v1/me/tasks`: the caller's work queue, with counts per kind for badges.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::tasks::{self, Task, TaskKind};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::error::ApiError;
use crate::pagination::{self, Cursor};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    pub cursor: Option<String>,
    /// 1-200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// One thing waiting for the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    /// The action expected.
    pub kind: TaskKind,
    pub hazard_id: uuid::Uuid,
    pub description: String,
    #[schema(value_type = crate::hazard::report::HazardLevel)]
    pub level: String,
    #[schema(value_type = crate::hazard::workflow::Status)]
    pub status: String,
    pub enterprise_id: uuid::Uuid,
    pub enterprise_name: String,
    /// The rectification deadline (整改期限).
    pub deadline: DateTime<Utc>,
    /// Open and past the deadline (逾期).
    pub overdue: bool,
    /// Since when it has waited for the caller: the proof's arrival, the re-check, the request,
    /// the deadline that passed.
    pub waiting_since: DateTime<Utc>,
    /// For `decide_extension`: the request to decide and the deadline it asks for.
    pub extension_id: Option<uuid::Uuid>,
    pub requested_deadline: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    pub items: Vec<TaskView>,
    /// How many of each of the caller's kinds wait in all, for badges.
    #[schema(value_type = BTreeMap<String, i64>)]
    pub counts: BTreeMap<TaskKind, i64>,
    pub next_cursor: Option<String>,
}

fn uuid(text: &str) -> uuid::Uuid {
    text.parse().unwrap_or_default()
}

impl TaskView {
    pub fn new(task: Task, now: chrono::NaiveDateTime) -> Self {
        TaskView {
            kind: task.kind,
            hazard_id: uuid(&task.hazard_id),
            overdue: task.status == "open" && task.deadline < now,
            description: task.description,
            level: task.level,
            status: task.status,
            enterprise_id: uuid(&task.enterprise_id),
            enterprise_name: task.enterprise_name,
            deadline: task.deadline.and_utc(),
            waiting_since: task.waiting_since.and_utc(),
            extension_id: task.extension.as_ref().map(|(id, _)| uuid(id)),
            requested_deadline: task.extension.map(|(_, at)| at.and_utc()),
        }
    }
}

/// What waits for the caller now, oldest first: an enterprise's open hazards by deadline
/// (overdue first); an inspector's proof awaiting re-check; a supervisor's closures,
/// extension requests and overdue major hazards not yet listed. In the caller's scope.
#[utoipa::path(
    tag = "hazards",
    params(TaskQuery),
    responses((status = 200, body = TaskPage)),
    security(("bearer" = []))
)]
#[get("/me/tasks")]
pub async fn my_tasks(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<TaskQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let now = db::now();
    let (rows, counts) = db::run(&state.pool, move |conn| {
        tasks::page(conn, &caller, after.as_ref(), limit, now)
    })
    .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, |task| task.position.clone());
    Ok(HttpResponse::Ok().json(TaskPage {
        items: rows.into_iter().map(|t| TaskView::new(t, now)).collect(),
        counts,
        next_cursor,
    }))
}
