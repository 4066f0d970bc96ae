//! Deadlines that act. Each tick, for the time `now` it is given (tests move it):
//!
//! - `hazard.deadline_approaching` for open hazards whose deadline is within one of
//!   `SAFELOOP_REMINDER_DAYS` (3 and 1 by default);
//! - `hazard.overdue` once the deadline has passed (deadlines of the last 30 days: a new
//!   installation does not announce years of history);
//! - an overdue major hazard put under listed supervision by the system itself
//!   (`SAFELOOP_AUTO_LISTING_LEVEL`, `county` by default), as an event in its record;
//! - the work-chat robots' morning digest (`digest.rs`).
//!
//! Each announcement is a row in `hazard_reminders` keyed by (hazard, kind, deadline), written
//! with its event in one transaction per hazard: any number of nodes may tick at once, a
//! missed tick is caught up on the next, nothing is sent twice, and a deadline moved by an
//! extension is announced again.

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use serde_json::json;

use super::outbox;
use crate::db::DbConnection;
use crate::db::schema::{hazard_reminders, hazards};
use crate::error::ApiError;
use crate::hazard::events::{self, NewEvent};
use crate::hazard::model::HazardRow;

/// Hazards handled per kind and tick; the rest wait for the next.
const BATCH: i64 = 500;

/// How far back passed deadlines are announced.
const OVERDUE_LOOKBACK_DAYS: i64 = 30;

/// What a tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    pub reminders: usize,
    pub overdue: usize,
    pub listed: usize,
    /// Robots sent their morning digest (`digest.rs`).
    pub digests: usize,
}

/// The scheduler's settings.
pub struct Rules<'a> {
    pub reminder_days: &'a [u32],
    pub auto_listing_level: Option<&'a str>,
}

pub fn tick(conn: &mut DbConnection, rules: &Rules, now: NaiveDateTime) -> Result<Tick, ApiError> {
    let mut done = Tick::default();
    for &days in rules.reminder_days {
        let kind = format!("approaching_{days}");
        let window = now + Duration::days(i64::from(days));
        for hazard in unannounced(conn, &kind, now, window)? {
            if announce(
                conn,
                &hazard,
                &kind,
                "hazard.deadline_approaching",
                now,
                json!({"days_before": days}),
            )? {
                done.reminders += 1;
            }
        }
    }
    let since = now - Duration::days(OVERDUE_LOOKBACK_DAYS);
    for hazard in unannounced(conn, "overdue", since, now)? {
        let late = (now - hazard.deadline).num_days();
        if announce(
            conn,
            &hazard,
            "overdue",
            "hazard.overdue",
            now,
            json!({"days_overdue": late}),
        )? {
            done.overdue += 1;
        }
    }
    if let Some(level) = rules.auto_listing_level {
        for hazard in overdue_major_unlisted(conn, now)? {
            if list(conn, &hazard, level, now)? {
                done.listed += 1;
            }
        }
    }
    done.digests = super::digest::send_due(conn, now)?;
    Ok(done)
}

/// Open hazards with a deadline in `(from, to]` not yet announced as `kind` for that deadline.
fn unannounced(
    conn: &mut DbConnection,
    kind: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<HazardRow>, ApiError> {
    let announced = hazard_reminders::table
        .filter(hazard_reminders::hazard_id.eq(hazards::id))
        .filter(hazard_reminders::kind.eq(kind.to_owned()))
        .filter(hazard_reminders::deadline.eq(hazards::deadline));
    Ok(hazards::table
        .filter(hazards::status.eq("open"))
        .filter(hazards::deadline.gt(from))
        .filter(hazards::deadline.le(to))
        .filter(not(exists(announced)))
        .order((hazards::deadline, hazards::id))
        .limit(BATCH)
        .select(HazardRow::as_select())
        .load(conn)?)
}

/// Records the announcement and its event together; `false` when another node was first.
fn announce(
    conn: &mut DbConnection,
    hazard: &HazardRow,
    kind: &str,
    event_type: &'static str,
    now: NaiveDateTime,
    extra: serde_json::Value,
) -> Result<bool, ApiError> {
    let sent = conn.transaction(|conn| {
        diesel::insert_into(hazard_reminders::table)
            .values((
                hazard_reminders::hazard_id.eq(&hazard.id),
                hazard_reminders::kind.eq(kind),
                hazard_reminders::deadline.eq(hazard.deadline),
                hazard_reminders::sent_at.eq(now),
            ))
            .execute(conn)?;
        let (current, enterprise_name) = outbox::hazard_facts(conn, &hazard.id)?;
        let mut data = outbox::hazard_data(&current, &enterprise_name);
        if let (Some(data), Some(extra)) = (data.as_object_mut(), extra.as_object()) {
            data.extend(extra.clone());
        }
        outbox::record(conn, event_type, outbox::subject_of(&current), data)?;
        // A deadline passing changes what waits for whom (the feed's tasks).
        crate::sync::log::touch_hazard(conn, &hazard.id, false)?;
        Ok::<_, ApiError>(())
    });
    match sent {
        Ok(()) => Ok(true),
        Err(ApiError::Conflict { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

fn overdue_major_unlisted(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> Result<Vec<HazardRow>, ApiError> {
    Ok(hazards::table
        .filter(hazards::status.eq("open"))
        .filter(hazards::level.eq("major"))
        .filter(hazards::listed_level.is_null())
        .filter(hazards::deadline.le(now))
        .order((hazards::deadline, hazards::id))
        .limit(BATCH)
        .select(HazardRow::as_select())
        .load(conn)?)
}

/// Puts an overdue major hazard under listed supervision, as the system, in its record;
/// `false` when someone acted on it meanwhile.
fn list(
    conn: &mut DbConnection,
    hazard: &HazardRow,
    level: &str,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    conn.transaction(|conn| {
        let updated = diesel::update(
            hazards::table
                .filter(hazards::id.eq(&hazard.id))
                .filter(hazards::version.eq(hazard.version))
                .filter(hazards::listed_level.is_null()),
        )
        .set((
            hazards::listed_level.eq(level),
            hazards::version.eq(hazard.version + 1),
            hazards::updated_at.eq(now),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Ok(false);
        }
        let detail = json!({"previous": null, "level": level, "reason": "重大隐患逾期未整改，系统自动挂牌督办"});
        events::append(
            conn,
            NewEvent {
                hazard_id: &hazard.id,
                actor_id: crate::registry::user::SYSTEM_USER,
                actor_role: "system",
                action: "auto_listing",
                from_status: Some(&hazard.status),
                to_status: &hazard.status,
                note: None,
                photo_ids: &[],
                detail: Some(detail.to_string()),
            },
        )?;
        Ok(true)
    })
}
