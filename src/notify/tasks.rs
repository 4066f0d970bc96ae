//! My turn: what waits for the caller now, in their scope, and since when.
//!
//! | role | kind | the hazards | ordered by |
//! |---|---|---|---|
//! | enterprise | `submit_rectification` | its own `open` ones (rejected proof and failed re-checks come back here) | deadline: overdue first |
//! | inspector | `verify` | `submitted` in scope | since the proof came |
//! | supervisor | `decide_closure` | `verified` in scope | since the re-check |
//! | supervisor | `decide_extension` | pending extension requests in scope | since the request |
//! | supervisor | `set_listing` | major, `open`, past the deadline, not yet listed | since the deadline |
//!
//! A page merges the caller's kinds by that time (then id), oldest first; the cursor is the
//! last item's (time, id), so each kind's query starts strictly after it on its own index.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::db::schema::{enterprises, extension_requests, hazards};
use crate::db::{DbBackend, DbConnection};
use crate::error::ApiError;
use crate::pagination::Cursor;

/// The action expected of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Rectify and send proof (提交整改).
    SubmitRectification,
    /// Re-check the proof (复查).
    Verify,
    /// Approve or reject the closure (销号).
    DecideClosure,
    /// Approve or deny an extension request (延期).
    DecideExtension,
    /// Put an overdue major hazard under listed supervision (挂牌督办).
    SetListing,
}

impl TaskKind {
    /// The kinds that wait for `role`.
    pub fn for_role(role: Role) -> &'static [TaskKind] {
        match role {
            Role::Enterprise => &[TaskKind::SubmitRectification],
            Role::Inspector => &[TaskKind::Verify],
            Role::Supervisor => &[
                TaskKind::DecideClosure,
                TaskKind::DecideExtension,
                TaskKind::SetListing,
            ],
            Role::Admin => &[],
        }
    }
}

/// One thing to do.
#[derive(Debug, Clone)]
pub struct Task {
    pub kind: TaskKind,
    pub hazard_id: String,
    pub description: String,
    pub level: String,
    pub status: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub deadline: NaiveDateTime,
    /// Since when it has waited for the caller.
    pub waiting_since: NaiveDateTime,
    /// For `decide_extension`: the request and the deadline it asks for.
    pub extension: Option<(String, NaiveDateTime)>,
    /// The position in the page's order: (time, id).
    pub position: Cursor,
}

type HazardColumns = (
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    NaiveDateTime,
);

const HAZARD_COLUMNS: (
    hazards::id,
    hazards::description,
    hazards::level,
    hazards::status,
    hazards::enterprise_id,
    enterprises::name,
    hazards::deadline,
    hazards::status_since,
    hazards::updated_at,
) = (
    hazards::id,
    hazards::description,
    hazards::level,
    hazards::status,
    hazards::enterprise_id,
    enterprises::name,
    hazards::deadline,
    hazards::status_since,
    hazards::updated_at,
);

/// Hazards of one kind in `scope`, after `after`, at most `limit`.
fn hazard_tasks(
    conn: &mut DbConnection,
    scope: &Scope,
    kind: TaskKind,
    after: Option<&Cursor>,
    among: Option<&[String]>,
    limit: i64,
    now: NaiveDateTime,
) -> Result<Vec<Task>, ApiError> {
    let base = hazards::table
        .inner_join(enterprises::table)
        .into_boxed::<DbBackend>();
    let mut query = crate::apply_scope!(
        base,
        scope,
        enterprise: hazards::enterprise_id,
        region: hazards::region_code,
        sector: hazards::sector_code
    );
    if let Some(ids) = among {
        query = query.filter(hazards::id.eq_any(ids.to_vec()));
    }
    let by_deadline = matches!(kind, TaskKind::SubmitRectification | TaskKind::SetListing);
    query = match kind {
        TaskKind::SubmitRectification => query.filter(hazards::status.eq("open")),
        TaskKind::Verify => query.filter(hazards::status.eq("submitted")),
        TaskKind::DecideClosure => query.filter(hazards::status.eq("verified")),
        TaskKind::SetListing => query
            .filter(hazards::status.eq("open"))
            .filter(hazards::level.eq("major"))
            .filter(hazards::listed_level.is_null())
            .filter(hazards::deadline.lt(now)),
        TaskKind::DecideExtension => unreachable!("extension requests have their own query"),
    };
    if let Some(after) = after {
        query = if by_deadline {
            query.filter(
                hazards::deadline.gt(after.at).or(hazards::deadline
                    .eq(after.at)
                    .and(hazards::id.gt(after.id.clone()))),
            )
        } else {
            query.filter(
                hazards::status_since.gt(after.at).or(hazards::status_since
                    .eq(after.at)
                    .and(hazards::id.gt(after.id.clone()))),
            )
        };
    }
    query = if by_deadline {
        query.order((hazards::deadline.asc(), hazards::id.asc()))
    } else {
        query.order((hazards::status_since.asc(), hazards::id.asc()))
    };
    let rows: Vec<HazardColumns> = query.limit(limit).select(HAZARD_COLUMNS).load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, description, level, status, enterprise_id, name, deadline, since, updated)| {
                let since = since.unwrap_or(updated);
                let waiting_since = if kind == TaskKind::SetListing {
                    deadline
                } else {
                    since
                };
                let at = if by_deadline { deadline } else { since };
                Task {
                    kind,
                    position: Cursor { at, id: id.clone() },
                    hazard_id: id,
                    description,
                    level,
                    status,
                    enterprise_id,
                    enterprise_name: name,
                    deadline,
                    waiting_since,
                    extension: None,
                }
            },
        )
        .collect())
}

/// Pending extension requests on hazards in `scope`, after `after`, at most `limit`.
fn extension_tasks(
    conn: &mut DbConnection,
    scope: &Scope,
    after: Option<&Cursor>,
    among: Option<&[String]>,
    limit: i64,
) -> Result<Vec<Task>, ApiError> {
    use extension_requests as er;
    let base = er::table
        .inner_join(hazards::table.inner_join(enterprises::table))
        .into_boxed::<DbBackend>();
    let mut query = crate::apply_scope!(
        base,
        scope,
        enterprise: hazards::enterprise_id,
        region: hazards::region_code,
        sector: hazards::sector_code
    )
    .filter(er::decision.is_null());
    if let Some(ids) = among {
        query = query.filter(er::hazard_id.eq_any(ids.to_vec()));
    }
    if let Some(after) = after {
        query = query.filter(
            er::requested_at.gt(after.at).or(er::requested_at
                .eq(after.at)
                .and(er::id.gt(after.id.clone()))),
        );
    }
    let rows: Vec<(String, NaiveDateTime, NaiveDateTime, HazardColumns)> = query
        .order((er::requested_at.asc(), er::id.asc()))
        .limit(limit)
        .select((
            er::id,
            er::requested_at,
            er::requested_deadline,
            HAZARD_COLUMNS,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(request, asked_at, asked_for, hazard)| {
            let (hazard_id, description, level, status, enterprise_id, name, deadline, _, _) =
                hazard;
            Task {
                kind: TaskKind::DecideExtension,
                position: Cursor {
                    at: asked_at,
                    id: request.clone(),
                },
                hazard_id,
                description,
                level,
                status,
                enterprise_id,
                enterprise_name: name,
                deadline,
                waiting_since: asked_at,
                extension: Some((request, asked_for)),
            }
        })
        .collect())
}

fn tasks_of(
    conn: &mut DbConnection,
    scope: &Scope,
    kind: TaskKind,
    after: Option<&Cursor>,
    among: Option<&[String]>,
    limit: i64,
    now: NaiveDateTime,
) -> Result<Vec<Task>, ApiError> {
    match kind {
        TaskKind::DecideExtension => extension_tasks(conn, scope, after, among, limit),
        _ => hazard_tasks(conn, scope, kind, after, among, limit, now),
    }
}

/// The caller's tasks on these hazards (the sync feed's `task` entity), any order.
pub fn on_hazards(
    conn: &mut DbConnection,
    caller: &AuthUser,
    hazard_ids: &[String],
    now: NaiveDateTime,
) -> Result<Vec<Task>, ApiError> {
    let scope = Scope::of(caller);
    let mut tasks = Vec::new();
    for &kind in TaskKind::for_role(caller.role) {
        let limit = hazard_ids.len() as i64 * 4 + 1;
        tasks.extend(tasks_of(
            conn,
            &scope,
            kind,
            None,
            Some(hazard_ids),
            limit,
            now,
        )?);
    }
    Ok(tasks)
}

/// How many of one kind wait, for badges (and the robots' morning digest).
pub fn count_of(
    conn: &mut DbConnection,
    scope: &Scope,
    kind: TaskKind,
    now: NaiveDateTime,
) -> Result<i64, ApiError> {
    let hazards_in_scope = || {
        crate::apply_scope!(
            hazards::table.into_boxed::<DbBackend>(),
            scope,
            enterprise: hazards::enterprise_id,
            region: hazards::region_code,
            sector: hazards::sector_code
        )
    };
    let count = match kind {
        TaskKind::SubmitRectification => hazards_in_scope()
            .filter(hazards::status.eq("open"))
            .count()
            .get_result(conn)?,
        TaskKind::Verify => hazards_in_scope()
            .filter(hazards::status.eq("submitted"))
            .count()
            .get_result(conn)?,
        TaskKind::DecideClosure => hazards_in_scope()
            .filter(hazards::status.eq("verified"))
            .count()
            .get_result(conn)?,
        TaskKind::SetListing => hazards_in_scope()
            .filter(hazards::status.eq("open"))
            .filter(hazards::level.eq("major"))
            .filter(hazards::listed_level.is_null())
            .filter(hazards::deadline.lt(now))
            .count()
            .get_result(conn)?,
        TaskKind::DecideExtension => crate::apply_scope!(
            extension_requests::table
                .inner_join(hazards::table)
                .into_boxed::<DbBackend>(),
            scope,
            enterprise: hazards::enterprise_id,
            region: hazards::region_code,
            sector: hazards::sector_code
        )
        .filter(extension_requests::decision.is_null())
        .count()
        .get_result(conn)?,
    };
    Ok(count)
}

/// One page of the caller's tasks after `after` (`limit + 1` read, so the caller can tell a
/// next page), and how many of each kind wait in all.
pub fn page(
    conn: &mut DbConnection,
    caller: &AuthUser,
    after: Option<&Cursor>,
    limit: i64,
    now: NaiveDateTime,
) -> Result<(Vec<Task>, BTreeMap<TaskKind, i64>), ApiError> {
    let scope = Scope::of(caller);
    let kinds = TaskKind::for_role(caller.role);
    let mut tasks = Vec::new();
    let mut counts = BTreeMap::new();
    for &kind in kinds {
        tasks.extend(tasks_of(conn, &scope, kind, after, None, limit + 1, now)?);
        counts.insert(kind, count_of(conn, &scope, kind, now)?);
    }
    Ok((merge(tasks, limit + 1), counts))
}

/// The oldest `take` of the kinds' pages, by (time, id).
fn merge(mut tasks: Vec<Task>, take: i64) -> Vec<Task> {
    tasks.sort_by(|a, b| (a.position.at, &a.position.id).cmp(&(b.position.at, &b.position.id)));
    tasks.truncate(take.max(0) as usize);
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(kind: TaskKind, minute: u32, id: &str) -> Task {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(8, minute, 0)
            .unwrap();
        Task {
            kind,
            hazard_id: id.into(),
            description: String::new(),
            level: "general".into(),
            status: "verified".into(),
            enterprise_id: String::new(),
            enterprise_name: String::new(),
            deadline: at,
            waiting_since: at,
            extension: None,
            position: Cursor { at, id: id.into() },
        }
    }

    #[test]
    fn kinds_merge_oldest_first_then_by_id() {
        let merged = merge(
            vec![
                task(TaskKind::DecideClosure, 5, "c"),
                task(TaskKind::DecideExtension, 1, "e"),
                task(TaskKind::SetListing, 5, "a"),
                task(TaskKind::DecideClosure, 9, "d"),
            ],
            3,
        );
        let order: Vec<&str> = merged.iter().map(|t| t.hazard_id.as_str()).collect();
        assert_eq!(order, ["e", "a", "c"]);
    }

    #[test]
    fn each_role_waits_for_its_own_kinds() {
        assert_eq!(
            TaskKind::for_role(Role::Enterprise),
            [TaskKind::SubmitRectification]
        );
        assert_eq!(TaskKind::for_role(Role::Inspector), [TaskKind::Verify]);
        assert_eq!(TaskKind::for_role(Role::Supervisor).len(), 3);
        assert!(TaskKind::for_role(Role::Admin).is_empty());
    }
}
