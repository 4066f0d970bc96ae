//! Fan-out: the log's new events become one delivery per endpoint that wants each. One
//! transaction per batch takes the reader's row first (a write every other node's dispatcher
//! waits on), reads on from its place, writes the deliveries and moves the place: any number of
//! API nodes may run this, and each event reaches each endpoint once.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::endpoints::{self, EndpointRow};
use super::outbox::{self, LoggedEvent};
use crate::db::DbConnection;
use crate::db::schema::{log_readers, webhook_deliveries};
use crate::error::ApiError;
use crate::registry::catalog;

/// The name of the webhook dispatcher's place in the log.
pub const READER: &str = "webhooks";

/// Events read per transaction.
const BATCH: i64 = 500;

/// The Standard Webhooks body of an event: `{type, timestamp, data}`.
pub fn standard_body(event_type: &str, at: NaiveDateTime, data: Value) -> String {
    json!({
        "type": event_type,
        "timestamp": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": data,
    })
    .to_string()
}

/// A new delivery of `event_id` to `endpoint`, due now.
pub fn new_delivery(
    conn: &mut DbConnection,
    endpoint_id: &str,
    event_id: &str,
    event_type: &str,
    body: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    use webhook_deliveries as d;
    diesel::insert_into(d::table)
        .values((
            d::id.eq(uuid::Uuid::now_v7().to_string()),
            d::endpoint_id.eq(endpoint_id),
            d::event_id.eq(event_id),
            d::event_type.eq(event_type),
            d::body.eq(body),
            d::status.eq("pending"),
            d::attempts.eq(0),
            d::next_attempt_at.eq(now),
            d::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Fans out one batch of new events; how many events it read.
pub fn fan_out(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, ApiError> {
    ensure_reader(conn, now)?;
    // Nothing new: no write at all, so an idle server's rounds never contend with requests.
    let place = log_readers::table
        .find(READER)
        .select((log_readers::commit_order, log_readers::position))
        .first(conn)?;
    if outbox::read_after(conn, place, 1)?.is_empty() {
        return Ok(0);
    }
    conn.transaction(|conn| {
        let place = take_reader(conn, now)?;
        let events = outbox::read_after(conn, place, BATCH)?;
        let Some(last) = events.last() else {
            return Ok(0);
        };
        let endpoints = endpoints::enabled(conn)?;
        let sectors = catalog::all_sectors(conn)?;
        for event in &events {
            for endpoint in endpoints.iter().filter(|e| e.wants(event, &sectors)) {
                deliver_later(conn, endpoint, event, now)?;
            }
        }
        diesel::update(log_readers::table.find(READER))
            .set((
                log_readers::commit_order.eq(last.commit_order),
                log_readers::position.eq(last.position),
            ))
            .execute(conn)?;
        Ok(events.len())
    })
}

fn deliver_later(
    conn: &mut DbConnection,
    endpoint: &EndpointRow,
    event: &LoggedEvent,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let data: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
    let body = standard_body(&event.event_type, event.occurred_at, data);
    new_delivery(conn, &endpoint.id, &event.id, &event.event_type, &body, now)
}

/// Makes the reader's row at the log's start the first time, outside any transaction: of
/// two nodes making it at once, one insert wins and the other's is a harmless conflict.
fn ensure_reader(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(), ApiError> {
    let exists: i64 = log_readers::table
        .filter(log_readers::name.eq(READER))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(());
    }
    let made = diesel::insert_into(log_readers::table)
        .values((
            log_readers::name.eq(READER),
            log_readers::commit_order.eq(i64::MIN),
            log_readers::position.eq(i64::MIN),
            log_readers::held_until.eq(now),
        ))
        .execute(conn);
    match made {
        Ok(_) => Ok(()),
        Err(e) if crate::idempotency::is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Locks the reader's row for this transaction (every other node's dispatcher waits on this
/// write) and answers its place.
fn take_reader(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(i64, i64), ApiError> {
    diesel::update(log_readers::table.find(READER))
        .set(log_readers::held_until.eq(now))
        .execute(conn)?;
    Ok(log_readers::table
        .find(READER)
        .select((log_readers::commit_order, log_readers::position))
        .first(conn)?)
}
