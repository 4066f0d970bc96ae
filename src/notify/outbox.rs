//! The ordered log of committed changes (the transactional outbox). Every hazard event,
//! extension request and decision, listing, enforcement document and inspection submission
//! writes its row here in the same transaction as the change itself: a committed change always
//! has its event, a rolled-back one never. Readers (the webhook dispatcher) follow the log in
//! `(commit_order, position)` order and only as far as `Backend::settled_log_rows` allows, so
//! a row that commits late is never skipped.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::db::schema::{enterprises, hazards, outbox_events};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::hazard::events::EventRow;

/// The event types, fixed names that receivers are written against.
pub const EVENT_TYPES: [&str; 15] = [
    "hazard.reported",
    "hazard.rectification_submitted",
    "hazard.verified",
    "hazard.verification_failed",
    "hazard.closed",
    "hazard.closure_rejected",
    "hazard.cancelled",
    "hazard.deadline_approaching",
    "hazard.overdue",
    "hazard.listed",
    "hazard.extension_requested",
    "hazard.extension_decided",
    "inspection.submitted",
    "enforcement_action.issued",
    "ping",
];

/// An event type, as endpoints subscribe to it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub enum EventType {
    #[serde(rename = "hazard.reported")]
    HazardReported,
    #[serde(rename = "hazard.rectification_submitted")]
    HazardRectificationSubmitted,
    #[serde(rename = "hazard.verified")]
    HazardVerified,
    #[serde(rename = "hazard.verification_failed")]
    HazardVerificationFailed,
    #[serde(rename = "hazard.closed")]
    HazardClosed,
    #[serde(rename = "hazard.closure_rejected")]
    HazardClosureRejected,
    #[serde(rename = "hazard.cancelled")]
    HazardCancelled,
    #[serde(rename = "hazard.deadline_approaching")]
    HazardDeadlineApproaching,
    #[serde(rename = "hazard.overdue")]
    HazardOverdue,
    #[serde(rename = "hazard.listed")]
    HazardListed,
    #[serde(rename = "hazard.extension_requested")]
    HazardExtensionRequested,
    #[serde(rename = "hazard.extension_decided")]
    HazardExtensionDecided,
    #[serde(rename = "inspection.submitted")]
    InspectionSubmitted,
    #[serde(rename = "enforcement_action.issued")]
    EnforcementActionIssued,
    #[serde(rename = "ping")]
    Ping,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        let index = self as usize;
        EVENT_TYPES[index]
    }
}

/// Where an event happened, for the scope of the endpoints that receive it.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub hazard_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub region_code: Option<String>,
    pub sector_code: Option<String>,
}

/// One row of the log.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_events)]
pub struct LoggedEvent {
    pub position: i64,
    pub commit_order: i64,
    pub id: String,
    pub event_type: String,
    pub hazard_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub region_code: Option<String>,
    pub sector_code: Option<String>,
    pub payload: String,
    pub occurred_at: NaiveDateTime,
}

/// Writes one event; call inside the transaction of the change it records.
pub fn record(
    conn: &mut DbConnection,
    event_type: &'static str,
    subject: Subject,
    data: Value,
) -> Result<String, ApiError> {
    debug_assert!(EVENT_TYPES.contains(&event_type));
    let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    diesel::insert_into(outbox_events::table)
        .values((
            outbox_events::id.eq(&id),
            outbox_events::event_type.eq(event_type),
            outbox_events::hazard_id.eq(subject.hazard_id),
            outbox_events::enterprise_id.eq(subject.enterprise_id),
            outbox_events::region_code.eq(subject.region_code),
            outbox_events::sector_code.eq(subject.sector_code),
            outbox_events::payload.eq(data.to_string()),
            outbox_events::occurred_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The event type of an action in a hazard's record, if it is one receivers hear of.
pub fn hazard_event_type(action: &str, detail: Option<&Value>) -> Option<&'static str> {
    Some(match action {
        "report" => "hazard.reported",
        "submit_rectification" => "hazard.rectification_submitted",
        "verify_pass" => "hazard.verified",
        "verify_fail" => "hazard.verification_failed",
        "approve_closure" => "hazard.closed",
        "reject_closure" => "hazard.closure_rejected",
        "cancel" => "hazard.cancelled",
        "request_extension" => "hazard.extension_requested",
        "approve_extension" | "deny_extension" => "hazard.extension_decided",
        "set_listing" if detail.is_some_and(|d| !d["level"].is_null()) => "hazard.listed",
        "auto_listing" => "hazard.listed",
        // Lifting a listing, and the enforcement document (its own event), are not announced
        // per hazard.
        _ => return None,
    })
}

/// The event of an entry just appended to a hazard's record, with the hazard as it now
/// stands: ids, status, the record's chain hash; names already in the record, nothing more.
pub fn hazard_event(conn: &mut DbConnection, entry: &EventRow) -> Result<(), ApiError> {
    let detail: Option<Value> = entry
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok());
    let Some(event_type) = hazard_event_type(&entry.action, detail.as_ref()) else {
        return Ok(());
    };
    let (hazard, enterprise_name) = hazard_facts(conn, &entry.hazard_id)?;
    let mut data = hazard_data(&hazard, &enterprise_name);
    data["action"] = json!(entry.action);
    data["actor_role"] = json!(entry.actor_role);
    data["sequence"] = json!(entry.sequence);
    data["chain_hash"] = json!(entry.hash);
    if let Some(detail) = detail {
        data["detail"] = detail;
    }
    record(conn, event_type, subject_of(&hazard), data)?;
    Ok(())
}

/// A hazard row and its enterprise's name.
pub fn hazard_facts(
    conn: &mut DbConnection,
    hazard_id: &str,
) -> Result<(crate::hazard::model::HazardRow, String), ApiError> {
    use crate::hazard::model::HazardRow;
    Ok(hazards::table
        .inner_join(enterprises::table)
        .filter(hazards::id.eq(hazard_id))
        .select((HazardRow::as_select(), enterprises::name))
        .first(conn)?)
}

/// What every hazard event says of its hazard.
pub fn hazard_data(hazard: &crate::hazard::model::HazardRow, enterprise_name: &str) -> Value {
    json!({
        "hazard_id": hazard.id,
        "enterprise_id": hazard.enterprise_id,
        "enterprise_name": enterprise_name,
        "description": hazard.description,
        "level": hazard.level,
        "status": hazard.status,
        "deadline": hazard.deadline.and_utc(),
        "listed_level": hazard.listed_level,
        "region_code": hazard.region_code,
        "sector_code": hazard.sector_code,
    })
}

pub fn subject_of(hazard: &crate::hazard::model::HazardRow) -> Subject {
    Subject {
        hazard_id: Some(hazard.id.clone()),
        enterprise_id: Some(hazard.enterprise_id.clone()),
        region_code: Some(hazard.region_code.clone()),
        sector_code: Some(hazard.sector_code.clone()),
    }
}

/// Up to `limit` settled events after `(commit_order, position)`, in log order.
pub fn read_after(
    conn: &mut DbConnection,
    after: (i64, i64),
    limit: i64,
) -> Result<Vec<LoggedEvent>, ApiError> {
    let (order, position) = after;
    let mut query = outbox_events::table
        .filter(
            outbox_events::commit_order
                .gt(order)
                .or(outbox_events::commit_order
                    .eq(order)
                    .and(outbox_events::position.gt(position))),
        )
        .into_boxed();
    if let Some(settled) = conn.backend().settled_log_rows() {
        query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(settled));
    }
    Ok(query
        .order((outbox_events::commit_order, outbox_events::position))
        .limit(limit)
        .select(LoggedEvent::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_names_are_the_fixed_ones() {
        for (i, name) in EVENT_TYPES.iter().enumerate() {
            let parsed: EventType = serde_json::from_value(json!(name)).unwrap();
            assert_eq!(parsed.as_str(), *name);
            assert_eq!(parsed as usize, i);
            assert_eq!(serde_json::to_value(parsed).unwrap(), json!(name));
        }
    }

    #[test]
    fn chain_actions_map_to_the_fixed_types() {
        for (action, expected) in [
            ("report", Some("hazard.reported")),
            ("verify_fail", Some("hazard.verification_failed")),
            ("deny_extension", Some("hazard.extension_decided")),
            ("enforcement_action", None),
        ] {
            assert_eq!(hazard_event_type(action, None), expected, "{action}");
        }
        assert_eq!(
            hazard_event_type("set_listing", Some(&json!({"level": "county"}))),
            Some("hazard.listed")
        );
        assert_eq!(
            hazard_event_type("set_listing", Some(&json!({"level": null}))),
            None
        );
        for action in [
            "report",
            "submit_rectification",
            "verify_pass",
            "approve_closure",
            "reject_closure",
            "cancel",
            "request_extension",
            "approve_extension",
        ] {
            let kind = hazard_event_type(action, None).unwrap();
            assert!(EVENT_TYPES.contains(&kind), "{kind}");
        }
    }
}
