//! `GET /console/`: what waits for the visitor now, from the same task list as `/me/tasks`; for
//! an enterprise, its unresolved hazards by deadline.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Frame, PageError, Visitor, html, local_date, local_time, messages, see_other};
use crate::AppState;
use crate::auth::Role;
use crate::auth::scope::Scope;
use crate::db;
use crate::hazard::model;
use crate::notify::tasks::{self, TaskKind};

/// One row of a queue.
pub struct QueueRow {
    pub hazard_id: String,
    pub description: String,
    pub enterprise: String,
    pub level: &'static str,
    pub major: bool,
    pub status: &'static str,
    pub deadline: String,
    pub overdue_days: i64,
    pub waiting_since: String,
    /// For an extension: the deadline asked for.
    pub asked_until: Option<String>,
}

pub struct Queue {
    pub title: &'static str,
    pub total: i64,
    pub rows: Vec<QueueRow>,
}

#[derive(Template)]
#[template(path = "console/work_queue.html")]
struct WorkQueuePage {
    frame: Frame,
    heading: &'static str,
    queues: Vec<Queue>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

fn queue_title(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::SubmitRectification => "待整改",
        TaskKind::Verify => "待复查：企业已提交整改",
        TaskKind::DecideClosure => "待销号：复查已通过",
        TaskKind::DecideExtension => "待审批的延期申请",
        TaskKind::SetListing => "逾期的重大隐患：待挂牌督办",
    }
}

/// Days past `deadline`, a started day counting whole (0 when not yet due).
pub fn days_late(deadline: chrono::NaiveDateTime, now: chrono::NaiveDateTime) -> i64 {
    if now <= deadline {
        0
    } else {
        ((now - deadline).num_seconds() + 86_399) / 86_400
    }
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    if visitor.role() == Role::Admin {
        return Ok(see_other("/console/admin/users"));
    }
    let caller = visitor.caller.clone();
    let now = db::now();
    let queues = if visitor.role() == Role::Enterprise {
        let rows = db::run(&state.pool, move |conn| {
            let names = enterprise_name(conn, &caller)?;
            let rows = model::unresolved_by_deadline(conn, &Scope::of(&caller), 200)?;
            Ok((names, rows))
        })
        .await?;
        let (name, rows) = rows;
        vec![Queue {
            title: "本企业未销号的隐患（按整改期限）",
            total: rows.len() as i64,
            rows: rows
                .into_iter()
                .map(|h| QueueRow {
                    overdue_days: if h.is_overdue(now) {
                        days_late(h.deadline, now)
                    } else {
                        0
                    },
                    hazard_id: h.id,
                    description: h.description,
                    enterprise: name.clone(),
                    level: messages::level_name(&h.level),
                    major: h.level == "major",
                    status: messages::status_name(&h.status),
                    deadline: local_date(h.deadline),
                    waiting_since: local_time(h.status_since.unwrap_or(h.updated_at)),
                    asked_until: None,
                })
                .collect(),
        }]
    } else {
        let (tasks, counts) = db::run(&state.pool, move |conn| {
            tasks::page(conn, &caller, None, 100, now)
        })
        .await?;
        by_kind(tasks, counts, now)
    };
    let heading = match visitor.role() {
        Role::Enterprise => "我的隐患",
        Role::Inspector => "待复查",
        _ => "待办",
    };
    let page = WorkQueuePage {
        frame: Frame::new(&visitor, "/console/", query.done.as_deref()),
        heading,
        queues,
    };
    Ok(html(StatusCode::OK, page.render()))
}

/// The enterprise's own name, for its queue's rows.
fn enterprise_name(
    conn: &mut crate::db::DbConnection,
    caller: &crate::auth::AuthUser,
) -> Result<String, crate::error::ApiError> {
    let Some(id) = caller.enterprise_id.as_deref() else {
        return Ok(String::new());
    };
    Ok(crate::registry::enterprise::find_in_scope(conn, &Scope::of(caller), id)?.name)
}

fn by_kind(
    tasks: Vec<tasks::Task>,
    counts: BTreeMap<TaskKind, i64>,
    now: chrono::NaiveDateTime,
) -> Vec<Queue> {
    counts
        .into_iter()
        .map(|(kind, total)| Queue {
            title: queue_title(kind),
            total,
            rows: tasks
                .iter()
                .filter(|t| t.kind == kind)
                .map(|t| QueueRow {
                    hazard_id: t.hazard_id.clone(),
                    description: t.description.clone(),
                    enterprise: t.enterprise_name.clone(),
                    level: messages::level_name(&t.level),
                    major: t.level == "major",
                    status: messages::status_name(&t.status),
                    deadline: local_date(t.deadline),
                    overdue_days: if t.status == "open" && t.deadline < now {
                        days_late(t.deadline, now)
                    } else {
                        0
                    },
                    waiting_since: local_time(t.waiting_since),
                    asked_until: t.extension.as_ref().map(|(_, until)| local_date(*until)),
                })
                .collect(),
        })
        .collect()
}
