//! Moving a hazard through the loop: one transaction of guarded update, event and photo links.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::events::{self, NewEvent};
use super::model::{self, HazardRow};
use super::workflow::{self, Action, Actor, Status};
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::db::schema::hazards;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::evidence::model as photo_model;
use crate::stats::tally;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: Action,
    /// What was done (rectification), the re-check note, or the reason (failures, rejections,
    /// cancellations): required for all but `approve_closure`.
    pub note: Option<String>,
    /// `rectification` photos for `submit_rectification` (at least one); `verification` photos
    /// for the re-check (optional).
    #[serde(default, deserialize_with = "crate::ids::distinct")]
    pub photo_ids: Vec<uuid::Uuid>,
}

/// What each action must carry: (note required, photo purposes accepted, minimum photos).
fn requirements(action: Action) -> (bool, &'static [&'static str], usize) {
    match action {
        Action::SubmitRectification => (true, &["rectification"], 1),
        Action::VerifyPass | Action::VerifyFail => (true, &["verification"], 0),
        Action::RejectClosure | Action::Cancel => (true, &[], 0),
        Action::ApproveClosure => (false, &[], 0),
    }
}

fn check_content(request: &TransitionRequest) -> Result<(), ApiError> {
    let (note_required, purposes, min_photos) = requirements(request.action);
    let note = request.note.as_deref().map(str::trim).unwrap_or("");
    if note_required && note.is_empty() {
        let what = match request.action {
            Action::SubmitRectification => "describe what was done",
            Action::VerifyPass => "record the re-check",
            _ => "give the reason",
        };
        return Err(ApiError::validation(
            "note",
            format!("is required for `{}`: {what}", request.action.as_str()),
        ));
    }
    if note.chars().count() > 2000 {
        return Err(ApiError::validation(
            "note",
            "must be at most 2000 characters",
        ));
    }
    // A rectification's and a re-check's notes are printed on the re-check opinion.
    crate::documents::fonts::printable(&[("note", request.note.as_deref())])?;
    if request.photo_ids.len() < min_photos {
        return Err(ApiError::validation(
            "photo_ids",
            format!(
                "`{}` needs at least {min_photos} photo of the rectification",
                request.action.as_str()
            ),
        ));
    }
    if purposes.is_empty() && !request.photo_ids.is_empty() {
        return Err(ApiError::validation(
            "photo_ids",
            format!("`{}` takes no photos", request.action.as_str()),
        ));
    }
    if request.photo_ids.len() > 20 {
        return Err(ApiError::validation("photo_ids", "at most 20 photos"));
    }
    Ok(())
}

/// Applies an action to a hazard the caller can see, with `expected_version` from `If-Match`.
pub fn transition(
    conn: &mut DbConnection,
    caller: &AuthUser,
    hazard_id: &str,
    request: &TransitionRequest,
    expected_version: Option<crate::conditional::IfMatch>,
) -> Result<HazardRow, ApiError> {
    let hazard = model::find_in_scope(conn, &Scope::of(caller), hazard_id)?;
    crate::conditional::check_version(expected_version.as_ref(), hazard.version)?;
    let from = Status::parse(&hazard.status).expect("statuses are checked by the database");
    let me = caller.id.to_string();
    let to = may_take(conn, caller, &hazard, request.action)?;
    check_content(request)?;
    let photo_ids: Vec<String> = request.photo_ids.iter().map(|p| p.to_string()).collect();
    let (_, purposes, _) = requirements(request.action);
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let now = db::now();
    conn.transaction(|conn| {
        // The guarded update comes first: it is the write that decides a race (exactly one of
        // two concurrent actions matches the status and version it read).
        let (rectified_at, closed_at) = stamps(&hazard, request.action, now);
        let updated = diesel::update(
            hazards::table
                .filter(hazards::id.eq(hazard_id))
                .filter(hazards::status.eq(from.as_str()))
                .filter(hazards::version.eq(hazard.version)),
        )
        .set((
            hazards::status.eq(to.as_str()),
            hazards::version.eq(hazard.version + 1),
            hazards::updated_at.eq(now),
            hazards::status_since.eq(now),
            hazards::rectified_at.eq(rectified_at),
            hazards::closed_at.eq(closed_at),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(ApiError::Conflict {
                code: "hazard_changed",
                detail: "someone else acted on this hazard at the same moment; read it again"
                    .into(),
            });
        }
        photo_model::attach(conn, caller, hazard_id, &photo_ids, purposes, "photo_ids")?;
        events::append(
            conn,
            NewEvent {
                hazard_id,
                actor_id: &me,
                actor_role: caller.role.as_str(),
                action: request.action.as_str(),
                from_status: Some(from.as_str()),
                to_status: to.as_str(),
                note,
                photo_ids: &photo_ids,
                detail: None,
            },
        )?;
        // Last, so the shared tally row is locked for the least time.
        tally::hazard_moved(conn, &hazard, from.as_str(), to.as_str())?;
        Ok(())
    })?;
    model::find_in_scope(conn, &Scope::of(caller), hazard_id)
}

/// The status `action` leads to if the loop lets `caller` take it on `hazard` now; otherwise the
/// refusal, with the actions allowed instead.
pub fn may_take(
    conn: &mut DbConnection,
    caller: &AuthUser,
    hazard: &HazardRow,
    action: Action,
) -> Result<Status, ApiError> {
    let from = Status::parse(&hazard.status).expect("statuses are checked by the database");
    let actor = actor_for(conn, caller, hazard)?;
    workflow::next(from, action, actor).map_err(|refusal| ApiError::TransitionRefused {
        detail: refusal.reason,
        detail_zh: refusal.reason_zh,
        allowed: refusal
            .allowed
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
    })
}

/// The caller as the loop sees them on this hazard.
pub fn actor_for(
    conn: &mut DbConnection,
    caller: &AuthUser,
    hazard: &HazardRow,
) -> Result<Actor, ApiError> {
    let me = caller.id.to_string();
    Ok(Actor {
        role: caller.role,
        own_enterprise: caller.role == Role::Enterprise
            && caller.enterprise_id.as_deref() == Some(&hazard.enterprise_id),
        verified_it: hazard.status == Status::Verified.as_str()
            && events::last_verifier(conn, &hazard.id)?.as_deref() == Some(me.as_str()),
    })
}

/// When it was rectified (整治到位: the re-check passed) and closed (销号).
fn stamps(
    hazard: &HazardRow,
    action: Action,
    now: NaiveDateTime,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    match action {
        Action::VerifyPass => (Some(now), None),
        Action::ApproveClosure => (hazard.rectified_at, Some(now)),
        Action::RejectClosure | Action::VerifyFail => (None, None),
        Action::SubmitRectification | Action::Cancel => (hazard.rectified_at, hazard.closed_at),
    }
}
