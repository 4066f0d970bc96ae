//! Decisions beside the loop: deadline extensions (延期) and listed supervision (挂牌督办).
//! Each is an event in the hazard's record, written under the same guarded update as a
//! transition so the record stays one chain.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::events::{self, NewEvent};
use super::model::{self, HazardRow};
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::db::schema::{extension_requests, hazards};
use crate::db::{self, DbBackend, DbConnection};
use crate::error::ApiError;
use crate::pagination::Cursor;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = extension_requests)]
pub struct ExtensionRow {
    pub id: String,
    pub hazard_id: String,
    pub requested_deadline: NaiveDateTime,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: NaiveDateTime,
    pub decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
}

/// Where an extension request stands: awaiting a decision, or decided either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionStatus {
    Pending,
    Approved,
    Denied,
}

impl ExtensionRow {
    pub fn status(&self) -> ExtensionStatus {
        match self.decision.as_deref() {
            None => ExtensionStatus::Pending,
            Some("approved") => ExtensionStatus::Approved,
            Some(_) => ExtensionStatus::Denied,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExtensionFilter {
    pub status: Option<ExtensionStatus>,
    pub hazard_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// Extension requests on hazards in `scope`, newest first, `limit + 1` rows: the
/// supervisor's queue with `status = pending`, an enterprise's own requests otherwise.
pub fn list_extensions(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &ExtensionFilter,
) -> Result<Vec<ExtensionRow>, ApiError> {
    use extension_requests as er;
    let mut query = crate::apply_scope!(
        er::table.inner_join(hazards::table).into_boxed::<DbBackend>(),
        scope,
        enterprise: hazards::enterprise_id,
        region: hazards::region_code,
        sector: hazards::sector_code
    );
    query = match filter.status {
        None => query,
        Some(ExtensionStatus::Pending) => query.filter(er::decision.is_null()),
        Some(ExtensionStatus::Approved) => query.filter(er::decision.eq("approved")),
        Some(ExtensionStatus::Denied) => query.filter(er::decision.eq("denied")),
    };
    if let Some(hazard_id) = &filter.hazard_id {
        query = query.filter(er::hazard_id.eq(hazard_id.clone()));
    }
    if let Some(enterprise_id) = &filter.enterprise_id {
        query = query.filter(hazards::enterprise_id.eq(enterprise_id.clone()));
    }
    if let Some(after) = &filter.after {
        query = query.filter(er::requested_at.le(after.at)).filter(
            er::requested_at.lt(after.at).or(er::requested_at
                .eq(after.at)
                .and(er::id.lt(after.id.clone()))),
        );
    }
    Ok(query
        .order((er::requested_at.desc(), er::id.desc()))
        .limit(filter.limit + 1)
        .select(ExtensionRow::as_select())
        .load(conn)?)
}

/// One extension request on a hazard in `scope`; outside it, not found.
pub fn find_extension(
    conn: &mut DbConnection,
    scope: &Scope,
    extension_id: &str,
) -> Result<(ExtensionRow, HazardRow), ApiError> {
    let request: ExtensionRow = extension_requests::table
        .find(extension_id)
        .select(ExtensionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("extension request"))?;
    let hazard = model::find_in_scope(conn, scope, &request.hazard_id)
        .map_err(|_| ApiError::NotFound("extension request"))?;
    Ok((request, hazard))
}

/// 挂牌督办 level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListedLevel {
    County,
    City,
    Province,
}

impl ListedLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ListedLevel::County => "county",
            ListedLevel::City => "city",
            ListedLevel::Province => "province",
        }
    }
}

/// Bumps the hazard's version if it is still at `hazard.version` (and still `status`), then
/// appends the event: the same discipline as a transition.
pub fn record_decision(
    conn: &mut DbConnection,
    hazard: &HazardRow,
    caller: &AuthUser,
    action: &str,
    note: Option<&str>,
    detail: serde_json::Value,
    changes: impl FnOnce(&mut DbConnection) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let now = db::now();
    let updated = diesel::update(
        hazards::table
            .filter(hazards::id.eq(&hazard.id))
            .filter(hazards::version.eq(hazard.version))
            .filter(hazards::status.eq(&hazard.status)),
    )
    .set((
        hazards::version.eq(hazard.version + 1),
        hazards::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::Conflict {
            code: "hazard_changed",
            detail: "someone else acted on this hazard at the same moment; read it again".into(),
        });
    }
    changes(conn)?;
    events::append(
        conn,
        NewEvent {
            hazard_id: &hazard.id,
            actor_id: &caller.id.to_string(),
            actor_role: caller.role.as_str(),
            action,
            from_status: Some(&hazard.status),
            to_status: &hazard.status,
            note,
            photo_ids: &[],
            detail: Some(detail.to_string()),
        },
    )?;
    Ok(())
}

fn reason_error(field: &str, text: &str) -> Result<(), ApiError> {
    let n = text.trim().chars().count();
    if (1..=2000).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::validation(field, "must be 1-2000 characters"))
    }
}

/// What an enterprise asks for, and how far the bureau lets a deadline move.
pub struct Extension<'a> {
    pub requested_deadline: DateTime<Utc>,
    pub reason: &'a str,
    /// At most this many days past the current deadline (`SAFELOOP_EXTENSION_MAX_DAYS`).
    pub max_days: i64,
}

/// An enterprise asks for more time on its own open hazard.
pub fn request_extension(
    conn: &mut DbConnection,
    caller: &AuthUser,
    hazard_id: &str,
    asked: Extension,
) -> Result<ExtensionRow, ApiError> {
    let Extension {
        requested_deadline,
        reason,
        max_days,
    } = asked;
    caller.require(&[Role::Enterprise])?;
    let hazard = model::find_in_scope(conn, &Scope::of(caller), hazard_id)?;
    reason_error("reason", reason)?;
    let requested = db::stored_time(requested_deadline);
    if hazard.status != "open" {
        return Err(ApiError::Conflict {
            code: "extension_not_allowed",
            detail: format!(
                "only an open hazard's deadline can be extended; this one is {}",
                hazard.status
            ),
        });
    }
    if requested <= hazard.deadline || requested <= db::now() {
        return Err(ApiError::validation(
            "requested_deadline",
            "must be later than the current deadline and than now",
        ));
    }
    // A deadline moved to 9999 could never pass: the hazard would never be overdue or listed.
    if requested > hazard.deadline + chrono::Duration::days(max_days) {
        return Err(ApiError::validation(
            "requested_deadline",
            format!(
                "may be at most {max_days} days after the current deadline (SAFELOOP_EXTENSION_MAX_DAYS)"
            ),
        ));
    }
    let pending: i64 = extension_requests::table
        .filter(extension_requests::hazard_id.eq(hazard_id))
        .filter(extension_requests::decision.is_null())
        .count()
        .get_result(conn)?;
    if pending > 0 {
        return Err(ApiError::Conflict {
            code: "extension_pending",
            detail: "an extension request for this hazard is awaiting a decision".into(),
        });
    }
    let row = ExtensionRow {
        id: uuid::Uuid::now_v7().to_string(),
        hazard_id: hazard_id.to_owned(),
        requested_deadline: requested,
        reason: reason.trim().to_owned(),
        requested_by: caller.id.to_string(),
        requested_at: db::now(),
        decision: None,
        decision_note: None,
        decided_by: None,
        decided_at: None,
    };
    let detail =
        serde_json::json!({"extension_id": row.id, "requested_deadline": requested.and_utc()});
    conn.transaction(|conn| {
        record_decision(
            conn,
            &hazard,
            caller,
            "request_extension",
            Some(&row.reason),
            detail,
            |conn| {
                diesel::insert_into(extension_requests::table)
                    .values(&row)
                    .execute(conn)?;
                Ok(())
            },
        )
    })?;
    Ok(row)
}

/// A supervisor in scope approves (the deadline moves) or denies a pending request.
pub fn decide_extension(
    conn: &mut DbConnection,
    caller: &AuthUser,
    extension_id: &str,
    approve: bool,
    note: Option<&str>,
) -> Result<ExtensionRow, ApiError> {
    caller.require(&[Role::Supervisor])?;
    let (request, hazard) = find_extension(conn, &Scope::of(caller), extension_id)?;
    if request.decision.is_some() {
        return Err(ApiError::Conflict {
            code: "already_decided",
            detail: "this request has been decided".into(),
        });
    }
    if approve && matches!(hazard.status.as_str(), "closed" | "cancelled") {
        return Err(ApiError::Conflict {
            code: "extension_not_allowed",
            detail: format!(
                "the hazard is {}: there is no deadline left to extend; deny the request to \
                 take it off the queue",
                hazard.status
            ),
        });
    }
    if let Some(note) = note {
        reason_error("note", note)?;
    }
    let decision = if approve { "approved" } else { "denied" };
    let now = db::now();
    let detail = serde_json::json!({
        "extension_id": request.id, "decision": decision,
        "previous_deadline": hazard.deadline.and_utc(), "requested_deadline": request.requested_deadline.and_utc(),
    });
    let action = if approve {
        "approve_extension"
    } else {
        "deny_extension"
    };
    conn.transaction(|conn| {
        record_decision(conn, &hazard, caller, action, note, detail, |conn| {
            let decided = diesel::update(
                extension_requests::table
                    .find(&request.id)
                    .filter(extension_requests::decision.is_null()),
            )
            .set((
                extension_requests::decision.eq(decision),
                extension_requests::decision_note.eq(note),
                extension_requests::decided_by.eq(caller.id.to_string()),
                extension_requests::decided_at.eq(now),
            ))
            .execute(conn)?;
            if decided == 0 {
                return Err(ApiError::Conflict {
                    code: "already_decided",
                    detail: "this request has been decided".into(),
                });
            }
            if approve {
                diesel::update(hazards::table.find(&hazard.id))
                    .set(hazards::deadline.eq(request.requested_deadline))
                    .execute(conn)?;
            }
            Ok(())
        })
    })?;
    Ok(extension_requests::table
        .find(extension_id)
        .select(ExtensionRow::as_select())
        .first(conn)?)
}

/// A supervisor puts a hazard under listed supervision at a level, or lifts it (`None`).
pub fn set_listing(
    conn: &mut DbConnection,
    caller: &AuthUser,
    hazard_id: &str,
    level: Option<ListedLevel>,
    note: &str,
) -> Result<HazardRow, ApiError> {
    caller.require(&[Role::Supervisor])?;
    let hazard = model::find_in_scope(conn, &Scope::of(caller), hazard_id)?;
    reason_error("note", note)?;
    if matches!(hazard.status.as_str(), "closed" | "cancelled") {
        return Err(ApiError::Conflict {
            code: "listing_not_allowed",
            detail: format!("a {} hazard is no longer supervised", hazard.status),
        });
    }
    let level_text = level.map(ListedLevel::as_str);
    let detail = serde_json::json!({"previous": hazard.listed_level, "level": level_text});
    conn.transaction(|conn| {
        record_decision(
            conn,
            &hazard,
            caller,
            "set_listing",
            Some(note.trim()),
            detail,
            |conn| {
                diesel::update(hazards::table.find(&hazard.id))
                    .set(hazards::listed_level.eq(level_text))
                    .execute(conn)?;
                Ok(())
            },
        )
    })?;
    model::find_in_scope(conn, &Scope::of(caller), hazard_id)
}
