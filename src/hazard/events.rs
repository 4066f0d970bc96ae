//! The loop's record: append-only events, each chained to the one before by SHA-256 over the
//! previous hash and a canonical encoding of the event (photo hashes included), so rewriting
//! any row, or swapping a photo, shows up in `verify`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::schema::{hazard_events, photos};
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// The `prev_hash` of a hazard's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = hazard_events)]
pub struct EventRow {
    pub hazard_id: String,
    pub sequence: i32,
    pub actor_id: String,
    pub actor_role: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    /// Comma-separated photo ids.
    pub photo_ids: String,
    /// Canonical JSON of action-specific facts (e.g. a new deadline).
    pub detail: Option<String>,
    pub at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

/// What a new event says; the chain fields are filled in by `append`.
pub struct NewEvent<'a> {
    pub hazard_id: &'a str,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub note: Option<&'a str>,
    pub photo_ids: &'a [String],
    pub detail: Option<String>,
}

#[derive(Serialize)]
struct Canonical<'a> {
    hazard_id: &'a str,
    sequence: i32,
    actor_id: &'a str,
    actor_role: &'a str,
    action: &'a str,
    from_status: Option<&'a str>,
    to_status: &'a str,
    note: Option<&'a str>,
    photos: Vec<(&'a str, String)>,
    detail: Option<&'a str>,
    at: String,
}

pub fn photo_list(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The SHA-256 of each photo, read from the photo rows (a missing photo hashes as "missing").
fn photo_hashes(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<String>, ApiError> {
    let found: Vec<(String, String)> = photos::table
        .filter(photos::id.eq_any(ids))
        .select((photos::id, photos::sha256))
        .load(conn)?;
    Ok(ids
        .iter()
        .map(|id| {
            found
                .iter()
                .find(|(p, _)| p == id)
                .map_or_else(|| "missing".to_owned(), |(_, h)| h.clone())
        })
        .collect())
}

/// The hash of an event row given its predecessor's hash.
fn chain_hash(
    conn: &mut DbConnection,
    row: &EventRow,
    prev_hash: &str,
) -> Result<String, ApiError> {
    let ids = photo_list(&row.photo_ids);
    let hashes = photo_hashes(conn, &ids)?;
    let canonical = Canonical {
        hazard_id: &row.hazard_id,
        sequence: row.sequence,
        actor_id: &row.actor_id,
        actor_role: &row.actor_role,
        action: &row.action,
        from_status: row.from_status.as_deref(),
        to_status: &row.to_status,
        note: row.note.as_deref(),
        photos: ids.iter().map(String::as_str).zip(hashes).collect(),
        detail: row.detail.as_deref(),
        at: row.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
    };
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(serde_json::to_vec(&canonical).expect("events serialise"));
    Ok(hex::encode(hasher.finalize()))
}

/// Appends an event after the hazard's last one. Call inside the transaction whose guarded
/// update of the hazard serialises writers.
pub fn append(conn: &mut DbConnection, event: NewEvent) -> Result<EventRow, ApiError> {
    let last: Option<(i32, String)> = hazard_events::table
        .filter(hazard_events::hazard_id.eq(event.hazard_id))
        .order(hazard_events::sequence.desc())
        .select((hazard_events::sequence, hazard_events::hash))
        .first(conn)
        .optional()?;
    let (sequence, prev_hash) = match last {
        Some((sequence, hash)) => (sequence + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let mut row = EventRow {
        hazard_id: event.hazard_id.to_owned(),
        sequence,
        actor_id: event.actor_id.to_owned(),
        actor_role: event.actor_role.to_owned(),
        action: event.action.to_owned(),
        from_status: event.from_status.map(str::to_owned),
        to_status: event.to_status.to_owned(),
        note: event.note.map(str::to_owned),
        photo_ids: event.photo_ids.join(","),
        detail: event.detail,
        at: db::now(),
        prev_hash: prev_hash.clone(),
        hash: String::new(),
    };
    row.hash = chain_hash(conn, &row, &prev_hash)?;
    diesel::insert_into(hazard_events::table)
        .values(&row)
        .execute(conn)?;
    // Announced in the same transaction: committed together, or not at all.
    crate::notify::outbox::hazard_event(conn, &row)?;
    let extension_changed = matches!(
        row.action.as_str(),
        "request_extension" | "approve_extension" | "deny_extension"
    );
    crate::sync::log::touch_hazard(conn, &row.hazard_id, extension_changed)?;
    Ok(row)
}

pub fn list(conn: &mut DbConnection, hazard_id: &str) -> Result<Vec<EventRow>, ApiError> {
    Ok(hazard_events::table
        .filter(hazard_events::hazard_id.eq(hazard_id))
        .order(hazard_events::sequence)
        .select(EventRow::as_select())
        .load(conn)?)
}

/// The actor of the last passed re-check, for separation of duties at closure.
pub fn last_verifier(conn: &mut DbConnection, hazard_id: &str) -> Result<Option<String>, ApiError> {
    Ok(hazard_events::table
        .filter(hazard_events::hazard_id.eq(hazard_id))
        .filter(hazard_events::action.eq("verify_pass"))
        .order(hazard_events::sequence.desc())
        .select(hazard_events::actor_id)
        .first(conn)
        .optional()?)
}

/// The result of recomputing a chain.
pub struct Verification {
    pub valid: bool,
    pub events: usize,
    pub first_bad_sequence: Option<i32>,
}

/// Recomputes every hash from the first event on; the first event whose sequence, link or hash
/// does not match is reported.
pub fn verify(conn: &mut DbConnection, hazard_id: &str) -> Result<Verification, ApiError> {
    let rows = list(conn, hazard_id)?;
    let mut prev = GENESIS.to_owned();
    for (index, row) in rows.iter().enumerate() {
        let expected_sequence = index as i32 + 1;
        let intact = row.sequence == expected_sequence
            && row.prev_hash == prev
            && chain_hash(conn, row, &prev)? == row.hash;
        if !intact {
            return Ok(Verification {
                valid: false,
                events: rows.len(),
                first_bad_sequence: Some(row.sequence),
            });
        }
        prev = row.hash.clone();
    }
    Ok(Verification {
        valid: !rows.is_empty(),
        events: rows.len(),
        first_bad_sequence: None,
    })
}
